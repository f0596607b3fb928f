//! The Lambda handlers, invoked with the event JSON Lambda sends (API Gateway HTTP API, function
//! URL, SQS), on DynamoDB and SQS from the template.

use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::{Value, json};

use ehrm_sync_core::ports::{QueueConsumer, ReceivedMessage, SyncStore};
use ehrm_sync_domain::record::{RecordKey, SyncStatus};
use ehrm_sync_tests::aws::world::{AwsWorld, Shape};
use ehrm_sync_tests::harness::STATUS_KEY;
use siasn_sim::Faults;

async fn receive_all(w: &AwsWorld, n: usize) -> Vec<ReceivedMessage> {
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + ehrm_sync_tests::patience::secs(20);
    while got.len() < n && std::time::Instant::now() < deadline {
        got.extend(
            w.consumer
                .receive(10, Duration::from_secs(1))
                .await
                .expect("receive"),
        );
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_answers_http_api_and_function_url_events() {
    let w = AwsWorld::start(Faults::default(), &[]).await;
    for (i, shape) in [Shape::HttpApi, Shape::HttpApiBase64, Shape::FunctionUrl]
        .into_iter()
        .enumerate()
    {
        let (body, key) = w.changed_annual(i);
        let (status, answer) = w.post_change(shape, &body).await;
        assert_eq!(status, 202, "{shape:?}: {answer}");
        let rec = w
            .adapters
            .store
            .record(&key)
            .await
            .expect("readable")
            .expect("in DynamoDB");
        assert_eq!(rec.status, SyncStatus::Pending);
    }
    let messages = receive_all(&w, 3).await;
    assert_eq!(
        messages.len(),
        3,
        "one delivery message per change, carrying only key and version"
    );
    for m in &messages {
        let v: Value = serde_json::from_str(&m.body).expect("JSON");
        assert_eq!(v.as_object().map(|o| o.len()), Some(2), "{v}");
    }

    let nip = w.population.employees[0].nip.clone();
    let path = format!("/v1/sync/{nip}");
    let authorised = AwsWorld::http_event(
        Shape::HttpApi,
        "GET",
        &path,
        &[("authorization", format!("Bearer {STATUS_KEY}"))],
        b"",
    );
    let (status, answer) = w.invoke_http(&authorised).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["records"][0]["status"], "pending");
    let anonymous = AwsWorld::http_event(Shape::FunctionUrl, "GET", &path, &[], b"");
    assert_eq!(w.invoke_http(&anonymous).await.0, 401);

    let forged = AwsWorld::http_event(
        Shape::HttpApi,
        "POST",
        "/v1/events",
        &[
            ("webhook-id", "evt_x".into()),
            ("webhook-timestamp", "1".into()),
            ("webhook-signature", "v1,AAAA".into()),
        ],
        b"{}",
    );
    assert_eq!(w.invoke_http(&forged).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deliver_handler_reports_exactly_the_transient_failures() {
    let w = AwsWorld::start(Faults::default(), &[]).await;
    let (good, good_key) = w.changed_annual(0);
    let (refused, refused_key) = w.changed_annual(1);
    let (transient, transient_key) = w.changed_annual(2);
    let refused_nip = w.population.employees[1].nip.clone();
    w.sim.set_faults(Faults {
        reject_nips: [(
            refused_nip,
            "1 error occurred:\n\t* PenilaiNipNrp tidak valid".to_string(),
        )]
        .into(),
        unavailable_nips: vec![w.population.employees[2].nip.clone()],
        ..Faults::default()
    });
    for body in [&good, &refused, &transient] {
        assert_eq!(w.post_change(Shape::HttpApi, body).await.0, 202);
    }
    let messages = receive_all(&w, 3).await;
    assert_eq!(messages.len(), 3);
    let event = w.sqs_event(&messages);
    let deadline = ehrm_sync_core::ports::Clock::now_ms(w.adapters.clock.as_ref()) + 120_000;
    let response = w.deliver.handle(event, Some(deadline)).await;

    let transient_id = messages
        .iter()
        .find(|m| m.body.contains(&transient_key.to_string()))
        .map(|m| m.message_id.clone())
        .expect("the transient one was received");
    let reported: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(
        reported,
        [transient_id],
        "only the transient failure is reported"
    );

    let status = |key: RecordKey| {
        let store = w.adapters.store.clone();
        async move {
            store
                .record(&key)
                .await
                .expect("readable")
                .expect("present")
        }
    };
    assert_eq!(status(good_key).await.status, SyncStatus::Synced);
    let r = status(refused_key).await;
    assert_eq!(
        (r.status, r.last_error.as_deref()),
        (
            SyncStatus::Failed,
            Some("1 error occurred:\n\t* PenilaiNipNrp tidak valid")
        )
    );
    assert_eq!(status(transient_key).await.status, SyncStatus::Retrying);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_records_never_panic_and_no_failure_is_reported_without_an_id() {
    let w = AwsWorld::start(Faults::default(), &[]).await;
    let unknown = json!({"key": format!("kinerja.tahunan/{}/2025", w.population.employees[3].nip), "version": 1});
    let records = json!({"Records": [
        {"messageId": null, "receiptHandle": "r1", "body": unknown.to_string(), "attributes": {}, "messageAttributes": {}},
        {"messageId": "", "receiptHandle": "r2", "body": "not json", "attributes": {}, "messageAttributes": {}},
        {"messageId": "m3", "receiptHandle": "r3", "body": "{\"key\": \"nonsense\"}", "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}},
        {"messageId": "m4", "receiptHandle": "r4", "body": unknown.to_string(), "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}},
        {"messageId": "m5", "attributes": {}, "messageAttributes": {}}
    ]});
    let event: SqsEvent = serde_json::from_value(records).expect("an SQS event");
    // A zero deadline is what local runtime emulators send: "unknown", not "expired".
    let response = w.deliver.handle(event, Some(0)).await;
    let reported: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(
        reported,
        ["m3", "m5"],
        "unreadable bodies stay for the dead-letter queue; a message for an unknown record is done"
    );
    assert!(reported.iter().all(|id| !id.is_empty()));
    let out = serde_json::to_value(&response).expect("serialises");
    assert_eq!(
        out["batchItemFailures"][0]["itemIdentifier"], "m3",
        "the wire shape Lambda expects"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_message_is_started_without_enough_time_left() {
    let w = AwsWorld::start(Faults::default(), &[]).await;
    let (body, key) = w.changed_annual(4);
    assert_eq!(w.post_change(Shape::FunctionUrl, &body).await.0, 202);
    let messages = receive_all(&w, 1).await;
    let now = ehrm_sync_core::ports::Clock::now_ms(w.adapters.clock.as_ref());
    let response = w
        .deliver
        .handle(w.sqs_event(&messages), Some(now + 5_000))
        .await;
    assert_eq!(
        response.batch_item_failures.len(),
        1,
        "left for the next invocation"
    );
    assert_eq!(
        w.adapters
            .store
            .record(&key)
            .await
            .expect("readable")
            .expect("present")
            .status,
        SyncStatus::Pending,
        "untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ops_function_reports_replays_and_redrives() {
    use ehrm_sync_core::ports::DeadLetters;
    let w = AwsWorld::start(Faults::default(), &[("DeliveryMaxReceiveCount", "2")]).await;
    let ops = ehrm_sync_lambda::ops::OpsHandler {
        store: std::sync::Arc::new(w.adapters.store.clone()),
        queue: std::sync::Arc::new(w.adapters.queue.clone()),
        dead: std::sync::Arc::new(w.adapters.queue.clone()),
        clock: w.adapters.clock.clone(),
    };
    // A failed record and a dead-lettered message.
    let nip = w.population.employees[5].nip.clone();
    w.sim.set_faults(Faults {
        reject_nips: [(nip, "1 error occurred:\n\t* Tahun is required".to_string())].into(),
        ..Faults::default()
    });
    let (body, key) = w.changed_annual(5);
    assert_eq!(w.post_change(Shape::HttpApi, &body).await.0, 202);
    w.pump().await;
    aws_sdk_sqs::Client::new(&w.stack.sdk)
        .send_message()
        .queue_url(&w.stack.queue_url)
        .message_body("garbage")
        .send()
        .await
        .expect("sent");
    let deadline = std::time::Instant::now() + ehrm_sync_tests::patience::secs(30);
    while w.adapters.queue.depth().await.expect("depth") == 0 {
        assert!(std::time::Instant::now() < deadline, "never dead-lettered");
        w.pump().await;
    }

    let status = ops.handle(&json!({"op": "status"})).await.expect("status");
    assert_eq!(status["records"]["failed"], 1);
    assert_eq!(status["dead_letters"], 1);
    let dry = ops
        .handle(&json!({"op": "replay", "status": "failed", "dry_run": true}))
        .await
        .expect("replay");
    assert_eq!(dry["matched"], json!([key.to_string()]));
    assert_eq!(dry["replayed"], 0);
    let moved = ops
        .handle(&json!({"op": "redrive"}))
        .await
        .expect("redrive");
    assert_eq!(
        moved["moved"], 1,
        "receive-and-resend where the move task is missing"
    );
    assert_eq!(w.adapters.queue.depth().await.expect("depth"), 0);
    assert!(ops.handle(&json!({"op": "reboot"})).await.is_err());
}
