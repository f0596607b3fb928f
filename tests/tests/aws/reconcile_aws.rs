//! Reconciliation as the scheduled Lambda task runs it: DynamoDB (runs, rows, checkpoints, PNS
//! ids) and SQS (repairs) from the template on `AWS_ENDPOINT_URL`, reports to S3, every
//! invocation bounded by its deadline and resumed by the next, the report exact.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use ehrm_sync_aws::wiring::reconciler;
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ports::Clock;
use ehrm_sync_devkit::world::{ReconcileWorld, WorldSpec};
use ehrm_sync_population::inject::ExpectedRow;
use ehrm_sync_tests::aws::LongRunStack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_task_reconciles_on_dynamodb_resuming_across_invocations() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 250,
        seed: 53,
        per_kind: 1,
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
    let reconcile = reconciler(
        &stack.sdk,
        env,
        adapters,
        Some(Arc::new(ehrm_sync_sheets::Xlsx)),
    )
    .expect("configuration")
    .expect("reconciliation is configured");
    let handler = bench.handler(Some(reconcile), None);
    // Invocations with 61 s to live stop a minute early (RECONCILE deadline margin): a second or so
    // of work each, so the run spans several invocations.
    let mut outcomes = Vec::new();
    let run = loop {
        let deadline = SystemClock.now_ms() + 61_000;
        let out = handler
            .handle(&json!({"task": "reconcile"}), Some(deadline))
            .await
            .expect("task works");
        assert!(
            SystemClock.now_ms() < deadline,
            "returned before the invocation's deadline"
        );
        let outcome = out["outcome"].as_str().unwrap_or("").to_string();
        outcomes.push(outcome.clone());
        if outcome == "finished" {
            break out["run"].clone();
        }
        assert!(outcomes.len() < 60, "never finished: {outcomes:?}");
        assert_ne!(outcome, "busy");
    };
    assert!(
        outcomes.iter().any(|o| o == "paused"),
        "the run spanned invocations: {outcomes:?}"
    );
    assert_eq!(run["scope"], "rolling slice");
    // The report in S3, exactly the injected discrepancies within the slice's employees.
    let key = format!(
        "reconcile/{}/report.json",
        run["run_id"].as_str().expect("id")
    );
    let body = s3
        .get_object()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
        .expect("report.json in S3")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    let rows: Vec<Value> = serde_json::from_slice(&body).expect("rows");
    let stored = ehrm_sync_core::ports::ReconcileStore::rows(
        &stack.store(),
        run["run_id"].as_str().expect("id"),
    )
    .await
    .expect("rows in DynamoDB");
    assert_eq!(rows.len(), stored.len(), "the report is the stored rows");
    let found: BTreeSet<ExpectedRow> = rows.iter().map(ExpectedRow::from_report_row).collect();
    let expected: BTreeSet<ExpectedRow> = world.injected.expected.iter().cloned().collect();
    assert!(
        found.is_subset(&expected),
        "nothing reported that was not injected: {:#?}",
        found.difference(&expected).collect::<Vec<_>>()
    );
    // Unit-level rows and the priority cohort's rows are always in a rolling run.
    for r in expected.iter().filter(|r| r.nip.is_none()) {
        assert!(found.contains(r), "unit-level row missing: {r:?}");
    }
    assert!(
        world.siasn.stats().max_calls_per_second <= 200,
        "the BKN rate held"
    );
    // The next invocation has nothing to do until the interval has passed.
    let idle = handler
        .handle(
            &json!({"task": "reconcile"}),
            Some(SystemClock.now_ms() + 64_000),
        )
        .await
        .expect("task works");
    assert_eq!(idle["outcome"], "idle");
    tokio::time::sleep(Duration::from_millis(10)).await;
}
