#!/usr/bin/env python3
"""Runtime smoke test of the real function binaries, without Docker.

Runs the function binaries against `cargo lambda watch --only-lambda-apis` (cargo-lambda's local
Lambda Runtime API), the AWS endpoint in AWS_ENDPOINT_URL and a SIASN simulator (`ehrm-sync sim`),
then:

  1. deploys the template's data resources (EHRM_SYNC_DATA_TEMPLATE) through CloudFormation;
  2. invokes `ingest` with an API Gateway HTTP API event carrying a signed eHRM webhook -> 202;
  3. receives the delivery message from SQS, invokes `deliver` with it as an SQS event
     -> no batch item failures;
  4. checks DynamoDB: the record is synced at the version sent, and the simulator holds it.

Usage: smoke.py   (PATH must reach cargo-lambda; build the binaries into target/debug first, e.g.
                  cargo build --workspace --all-targets, which reuses the test build)
"""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import boto3

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, what, seconds=600):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited early (code {proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{what} did not listen on {port}")


def step(text):
    print(f"smoke: {text}", flush=True)


def deploy_stack():
    cf = boto3.client("cloudformation")
    name = f"ehrm-sync-smoke-{uuid.uuid4().hex[:8]}"
    with open(os.environ["EHRM_SYNC_DATA_TEMPLATE"], encoding="utf-8") as f:
        cf.create_stack(StackName=name, TemplateBody=f.read())
    for _ in range(300):
        stack = cf.describe_stacks(StackName=name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_IN_PROGRESS":
            break
        time.sleep(0.2)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        sys.exit(f"stack {name}: {stack['StackStatus']} {stack.get('StackStatusReason')}")
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def sign(secret_bytes, msg_id, ts, body):
    mac = hmac.new(secret_bytes, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def invoke(function, event, port, workdir):
    path = os.path.join(workdir, f"{function}-event.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(event, f)
    out = subprocess.run(
        ["cargo", "lambda", "invoke", function, "--data-file", path,
         "--invoke-address", "127.0.0.1", "--invoke-port", str(port), "--output-format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    if out.returncode != 0:
        sys.exit(f"invoke {function} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout)


def main():
    if not os.environ.get("AWS_ENDPOINT_URL") or not os.environ.get("EHRM_SYNC_DATA_TEMPLATE"):
        sys.exit("AWS_ENDPOINT_URL and EHRM_SYNC_DATA_TEMPLATE must be set (tests/run.sh sets them)")
    workdir = tempfile.mkdtemp(prefix="ehrm-sync-smoke-")
    procs = []
    try:
        step("deploying the data resources of infra/template.yaml")
        outputs = deploy_stack()

        step("starting the SIASN simulator")
        sim_port = free_port()
        sim = subprocess.Popen(
            [os.path.join(ROOT, "target", "debug", "ehrm-sync"), "--log-format", "text", "sim",
             "--listen", f"127.0.0.1:{sim_port}", "--employees", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
        )
        procs.append((sim, False))
        sim_env = {}
        while len(sim_env) < 8:
            line = sim.stdout.readline()
            if not line:
                sys.exit("the simulator stopped")
            m = re.match(r"^(BKN_[A-Z_]+)=(.*)$", line.strip())
            if m:
                sim_env[m.group(1)] = m.group(2)
        origin = sim_env["BKN_API_BASE_URL"].rsplit("/apisiasn", 1)[0]
        state = json.load(urllib.request.urlopen(f"{origin}/_sim/state"))
        target = state["skp22"][0]

        key = secrets.token_bytes(32)
        env = {
            **sim_env,
            "SYNC_TABLE_NAME": outputs["SyncTableName"],
            "DELIVERY_QUEUE_URL": outputs["DeliveryQueueUrl"],
            "DEAD_LETTER_QUEUE_URL": outputs["DeadLetterQueueUrl"],
            "EHRM_WEBHOOK_SECRET": "whsec_" + base64.b64encode(key).decode(),
            "STATUS_API_KEY": "smoke-status-key-0123456789",
            "BKN_RATE_PER_SEC": "20",
            "BKN_TIMEOUT_SECONDS": "5",
            "RUST_LOG": "info",
        }
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
            env[name] = os.environ.get(name, "test" if "KEY" in name else "ap-southeast-3")

        # One local Runtime API per function (`cargo lambda watch --only-lambda-apis`), and the
        # function binaries built beforehand run against it: watch's own `cargo run` would build
        # them again with another feature set, minutes of CI for the same code.
        ports = {}
        for function, package in (("ingest", "ehrm-sync-fn-ingest"), ("deliver", "ehrm-sync-fn-deliver")):
            step(f"starting the Lambda Runtime API and the {function} binary")
            ports[function] = free_port()
            watch = subprocess.Popen(
                ["cargo", "lambda", "watch", "-p", package, "--only-lambda-apis", "--invoke-address",
                 "127.0.0.1", "--invoke-port", str(ports[function])],
                cwd=ROOT, stdout=open(os.path.join(workdir, f"watch-{function}.log"), "w"),
                stderr=subprocess.STDOUT, start_new_session=True,
            )
            procs.append((watch, True))
            wait_port(ports[function], watch, f"cargo lambda watch ({function})")
            binary = os.path.join(ROOT, "target", "debug", function)
            if not os.access(binary, os.X_OK):
                sys.exit(f"{binary} is missing: build the function binaries first")
            runtime_env = {**os.environ, **env, "AWS_LAMBDA_FUNCTION_NAME": function,
                           "AWS_LAMBDA_FUNCTION_VERSION": "1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
                           "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{ports[function]}/.rt/{function}"}
            fn = subprocess.Popen([binary], env=runtime_env, cwd=ROOT,
                                  stdout=open(os.path.join(workdir, f"{function}.log"), "w"),
                                  stderr=subprocess.STDOUT)
            procs.append((fn, False))

        step("invoking ingest with an API Gateway HTTP API event")
        version = 1000
        body = json.dumps({
            "type": "kinerja.tahunan.upserted",
            "occurred_at": "2026-11-27T10:15:00+07:00",
            "version": version,
            "data": {
                "nip": target["nip"], "tahun": target["tahun"],
                "hasil_kinerja": 1, "perilaku_kerja": 1, "predikat": 1,
                "penilai": {"nip": target["penilai_nip"] if target["status_penilai"] == "ASN" else "-",
                            "nama": "Penilai", "jabatan": "Direktur", "unor_nama": "Direktorat",
                            "golongan_id": target["penilai_golongan"] or "41", "status": target["status_penilai"]},
            },
        }).encode()
        msg_id, ts = f"evt_{uuid.uuid4().hex}", int(time.time())
        with open(os.path.join(ROOT, "tests", "fixtures", "apigw-v2-request.json"), encoding="utf-8") as f:
            event = json.load(f)
        event.update({"routeKey": "POST /v1/events", "rawPath": "/training/v1/events", "body": body.decode(),
                      "isBase64Encoded": False})
        event["requestContext"].update({"stage": "training", "routeKey": "POST /v1/events"})
        event["requestContext"]["http"].update({"method": "POST", "path": "/training/v1/events"})
        event["headers"].update({"content-type": "application/json", "content-length": str(len(body)),
                                 "webhook-id": msg_id, "webhook-timestamp": str(ts),
                                 "webhook-signature": sign(key, msg_id, ts, body)})
        answer = invoke("ingest", event, ports["ingest"], workdir)
        if answer.get("statusCode") != 202:
            sys.exit(f"ingest answered {answer}")

        step("receiving the delivery message and invoking deliver with it as an SQS event")
        sqs = boto3.client("sqs")
        messages = []
        for _ in range(20):
            messages = sqs.receive_message(QueueUrl=outputs["DeliveryQueueUrl"], MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1, AttributeNames=["All"]).get("Messages", [])
            if messages:
                break
        if len(messages) != 1:
            sys.exit(f"expected one delivery message, got {len(messages)}")
        with open(os.path.join(ROOT, "tests", "fixtures", "sqs-event.json"), encoding="utf-8") as f:
            sqs_event = json.load(f)
        record = sqs_event["Records"][0]
        m = messages[0]
        record.update({"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                       "messageAttributes": {}})
        record["attributes"]["ApproximateReceiveCount"] = m["Attributes"].get("ApproximateReceiveCount", "1")
        answer = invoke("deliver", sqs_event, ports["deliver"], workdir)
        if answer.get("batchItemFailures") != []:
            sys.exit(f"deliver reported failures: {answer}")

        step("checking the store and the simulator")
        ddb = boto3.client("dynamodb")
        item = ddb.get_item(TableName=outputs["SyncTableName"], ConsistentRead=True,
                            Key={"PK": {"S": f"NIP#{target['nip']}"},
                                 "SK": {"S": f"REC#kinerja.tahunan/{target['nip']}/{target['tahun']}"}})["Item"]
        status, delivered = item["status"]["S"], item["delivered_version"]["N"]
        if status != "synced" or int(delivered) != version:
            sys.exit(f"store holds status={status} delivered_version={delivered}")
        state = json.load(urllib.request.urlopen(f"{origin}/_sim/state"))
        held = [r for r in state["skp22"] if r["nip"] == target["nip"] and r["tahun"] == target["tahun"]]
        if len(held) != 1 or (held[0]["hasil"], held[0]["perilaku"], held[0]["kuadran"]) != (1, 1, 1):
            sys.exit(f"BKN holds {held}")
        step("passed: ingest -> DynamoDB + SQS -> deliver -> BKN, record synced at v1000, one record at BKN")
    finally:
        for proc, whole_group in reversed(procs):
            try:
                if whole_group:
                    os.killpg(proc.pid, signal.SIGTERM)
                else:
                    proc.terminate()
                proc.wait(timeout=20)
            except Exception:
                proc.kill()


if __name__ == "__main__":
    main()
