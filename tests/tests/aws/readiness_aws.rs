//! The readiness check as the scheduled Lambda task runs it: its run, cohort and findings in
//! DynamoDB (from the template on `AWS_ENDPOINT_URL`), SKP repairs to SQS, files to S3, each
//! invocation bounded by its deadline and resumed by the next; the month's run done, the next
//! invocation is idle.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;

use ehrm_sync_aws::wiring::readiness;
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ports::Clock;
use ehrm_sync_core::readiness::ReadinessRun;
use ehrm_sync_devkit::world::{ReadinessWorld, WorldSpec};
use ehrm_sync_tests::aws::LongRunStack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_task_checks_readiness_on_dynamodb_resuming_across_invocations() {
    let world = ReadinessWorld::start(WorldSpec {
        employees: 700,
        seed: 31,
        per_kind: 0,
        rate: 200.0,
    })
    .await
    .expect("world");
    let bench = LongRunStack::deploy(&world.env).await;
    let LongRunStack {
        stack,
        s3,
        bucket,
        env,
        adapters,
    } = &bench;
    let sdk = &stack.sdk;
    let handler = bench.handler(
        None,
        readiness(sdk, env, adapters, Some(Arc::new(ehrm_sync_sheets::Xlsx)))
            .expect("configuration"),
    );
    // 62 s to live and a minute's margin: about two seconds of work per invocation.
    let mut outcomes = Vec::new();
    let run: ReadinessRun = loop {
        let deadline = SystemClock.now_ms() + 62_000;
        let out = handler
            .handle(&json!({"task": "readiness"}), Some(deadline))
            .await
            .expect("task works");
        let outcome = out["outcome"].as_str().unwrap_or("").to_string();
        outcomes.push(outcome.clone());
        if outcome == "finished" {
            break serde_json::from_value(out["run"].clone()).expect("the run");
        }
        assert!(outcomes.len() < 80, "never finished: {outcomes:?} {out}");
        assert_eq!(outcome, "paused", "{out}");
    };
    assert!(
        outcomes.len() > 2,
        "the run spanned invocations: {outcomes:?}"
    );
    assert_eq!(run.done, run.people);

    // The findings kept in DynamoDB are exactly the planted blockers (K6, K8 off).
    let r = readiness(sdk, env, adapters, Some(Arc::new(ehrm_sync_sheets::Xlsx)))
        .expect("configuration")
        .expect("configured");
    let findings = r.findings(&run).await.expect("findings");
    let found: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| (f.nip.clone(), f.rule.as_str().to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = world
        .planted
        .expected
        .iter()
        .filter(|e| e.needs.is_none())
        .map(|e| (e.nip.clone(), e.rule.clone()))
        .collect();
    assert_eq!(found, expected);
    assert!(
        run.queued_for_bkn >= 1,
        "missing SKPs went to the delivery queue"
    );
    for name in ["readiness.json", "readiness.csv", "readiness.xlsx"] {
        s3.head_object()
            .bucket(bucket)
            .key(format!("readiness/{}/{name}", run.run_id()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} in S3: {e}"));
    }
    // This month's run is done: the next scheduled invocation has nothing to do.
    let idle = handler
        .handle(
            &json!({"task": "readiness"}),
            Some(SystemClock.now_ms() + 62_000),
        )
        .await
        .expect("task works");
    assert_eq!(idle["outcome"], "idle");
}
