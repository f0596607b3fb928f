//! The OpenAPI document: the committed `docs/openapi.json` is the one `serve` generates and
//! serves, and every event, answer and callback of the contract validates against it.
//!
//! After a change of the contract's types: `cargo run -- openapi > docs/openapi.json`.

use std::time::Duration;

use serde_json::{Value, json};

use ehrm_sync_core::callbacks::outcome_callback;
use ehrm_sync_devkit::events::{SignedEvent, delete_body, random_secret, upsert_body};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_tests::harness::{Harness, HarnessOptions};

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    std::fs::read_to_string(path).expect("docs/openapi.json is committed")
}

fn document() -> Value {
    serde_json::from_str(&ehrm_sync_http::openapi::document_json()).expect("the document is JSON")
}

/// A validator for one schema of the document (its `$ref`s resolve inside the document).
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": doc["components"],
    });
    jsonschema::validator_for(&root).expect("a valid JSON Schema")
}

fn assert_fits(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v.iter_errors(instance).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{what} does not fit the document: {errors:?}\n{instance}"
    );
}

fn response_schema<'a>(doc: &'a Value, path: &str, method: &str, status: u16) -> &'a Value {
    let s = &doc["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]
        ["schema"];
    assert!(!s.is_null(), "{method} {path} documents no {status} body");
    s
}

#[test]
fn the_committed_document_is_the_generated_one() {
    assert_eq!(
        committed(),
        ehrm_sync_http::openapi::document_json(),
        "docs/openapi.json is stale: run `cargo run -- openapi > docs/openapi.json`"
    );
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["webhooks"]["outcomeCallback"]["post"].is_object());
    for path in ["/v1/events", "/v1/sync/{nip}"] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    // The validation below is not vacuous: what the contract does not allow is refused.
    let answer = response_schema(&doc, "/v1/events", "post", 202);
    let v = validator(&doc, answer);
    assert!(v.is_valid(&json!({"result": "accepted", "record_key": "k", "status": "pending"})));
    assert!(!v.is_valid(&json!({"result": "lost", "record_key": "k", "status": "pending"})));
    assert!(!v.is_valid(&json!({"result": "accepted", "status": "pending"})));
    let request =
        &doc["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    let e = json!({"type": "kinerja.tahunan.deleted", "occurred_at": "2026-11-27T10:15:00+07:00",
                   "version": 3, "data": {"nip": "198507142010011002", "tahun": 2025}});
    assert!(validator(&doc, request).is_valid(&e));
    let mut short_nip = e.clone();
    short_nip["data"]["nip"] = json!("19850714");
    assert!(!validator(&doc, request).is_valid(&short_nip));
    let j = json!({"type": "jabatan.deleted", "occurred_at": "2026-11-27T10:15:00+07:00",
                   "version": 3, "data": {"nip": "198507142010011002", "riwayat_id": "RJ-1"}});
    assert!(validator(&doc, request).is_valid(&j));
    let mut bad_id = j.clone();
    bad_id["data"]["riwayat_id"] = json!("RJ/1");
    assert!(!validator(&doc, request).is_valid(&bad_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_and_answer_fits_the_document() {
    let doc = document();
    let h = Harness::start(HarnessOptions::default()).await;
    let served: Value = h
        .http
        .get(format!("{}/v1/openapi.json", h.base))
        .send()
        .await
        .expect("served")
        .json()
        .await
        .expect("JSON");
    assert_eq!(served, doc, "GET /v1/openapi.json serves the document");

    let request =
        &doc["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    let events = "/v1/events";
    let mut answers: Vec<(u16, Value)> = Vec::new();
    let e = h.employee(0).clone();
    for (i, k) in e.kinerja.iter().enumerate() {
        for body in [
            upsert_body(&e, k, 10 + i as u64),
            delete_body(&e, k, 20 + i as u64),
        ] {
            assert_fits(&doc, request, &body, "an event");
            answers.push(h.send(&body).await);
        }
    }
    let position = ehrm_sync_devkit::positions::fungsional(&e, "RJ-OA", "2026-03-01", "SK-OA");
    for body in [
        ehrm_sync_devkit::positions::upserted(&position, 1),
        ehrm_sync_devkit::positions::deleted(&e.nip, "RJ-OA", 2),
    ] {
        assert_fits(&doc, request, &body, "a position event");
        answers.push(h.send(&body).await);
    }
    let annual = e
        .kinerja
        .iter()
        .find(|k| k.jenis == "tahunan")
        .expect("annual");
    let body = upsert_body(&e, annual, 90);
    let ev = h.signed(&body);
    answers.push(h.send_signed(&ev).await); // 202
    answers.push(h.send_signed(&ev).await); // 200 duplicate
    answers.push(h.send(&upsert_body(&e, annual, 89)).await); // 202 ignored_stale
    let mut reuse = ev.clone();
    reuse.body = upsert_body(&e, annual, 91).to_string().into_bytes();
    reuse.signature = h.secret.sign(&reuse.id, reuse.timestamp, &reuse.body);
    answers.push(h.send_signed(&reuse).await); // 409
    answers.push(
        h.send_signed(&SignedEvent::sign(&h.secret, "evt_x", b"{".to_vec()))
            .await,
    ); // 400
    let forged = SignedEvent::sign(&random_secret(), "evt_f", body.to_string().into_bytes());
    answers.push(h.send_signed(&forged).await); // 401
    answers.push(
        h.send_signed(&SignedEvent::sign(&h.secret, "evt_h", vec![b' '; 300_000]))
            .await,
    ); // 413
    let mut invalid = upsert_body(&e, annual, 92);
    invalid["data"]["predikat"] = json!(5);
    answers.push(h.send(&invalid).await); // 422
    let codes: std::collections::BTreeSet<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        vec![200, 202, 400, 401, 409, 413, 422],
        "every documented answer but 503 (ingest_http covers it) was provoked"
    );
    for (status, body) in &answers {
        let schema = response_schema(&doc, events, "post", *status);
        assert_fits(&doc, schema, body, &format!("a {status} answer"));
    }

    // The status endpoint: a record with its attempts, and the refusals.
    assert!(h.wait_drained(Duration::from_secs(60)).await, "delivered");
    let status = h.status(&e.nip).await;
    let records = status["records"].as_array().expect("records");
    assert!(records.iter().any(|r| {
        r["attempt_history"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    }));
    let path = "/v1/sync/{nip}";
    assert_fits(
        &doc,
        response_schema(&doc, path, "get", 200),
        &status,
        "the status",
    );
    let unauthorised = h
        .http
        .get(format!("{}/v1/sync/{}", h.base, e.nip))
        .send()
        .await
        .expect("answers");
    assert_eq!(unauthorised.status().as_u16(), 401);
    let body: Value = unauthorised.json().await.expect("JSON");
    assert_fits(
        &doc,
        response_schema(&doc, path, "get", 401),
        &body,
        "a 401",
    );

    // The callbacks eHRM receives, built by the code that sends them.
    let callback = &doc["webhooks"]["outcomeCallback"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    let nip = Nip::parse(&e.nip).expect("valid");
    for rec in h.store().records_for_nip(&nip).await.expect("readable") {
        let cb = outcome_callback(&rec, 1_780_000_000_000);
        assert_fits(&doc, callback, &cb.payload, "an outcome callback");
    }
    h.shutdown().await;
}
