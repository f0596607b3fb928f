//! Plays the SQS event source mapping and one deliver Lambda instance against AWS (for the chaos
//! suite, where workers are killed): receives batches from `DELIVERY_QUEUE_URL` with a short
//! visibility (`LAMBDA_WORKER_VISIBILITY`, default 10 s), invokes the real deliver handler with a
//! 60-second deadline, and deletes what it did not report as failed.

use std::time::Duration;

use ehrm_sync_core::ports::QueueConsumer;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    ehrm_sync_lambda::logging::init();
    let handler = match ehrm_sync_lambda::wiring::deliver_handler().await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let url = std::env::var("DELIVERY_QUEUE_URL").unwrap_or_default();
    let visibility = std::env::var("LAMBDA_WORKER_VISIBILITY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let sdk = ehrm_sync_aws::sdk::load().await;
    let queue = ehrm_sync_aws::SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), &url, None)
        .with_receive_visibility(visibility);
    loop {
        let messages = match queue.receive(5, Duration::from_secs(1)).await {
            Ok(m) => m,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let deadline = handler.clock.now_ms() + 60_000;
        let response = handler
            .handle(
                ehrm_sync_tests::aws::sqs_event(&messages, &url),
                Some(deadline),
            )
            .await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        for m in &messages {
            if !failed.contains(&m.message_id.as_str()) {
                let _ = queue.delete(&m.receipt).await;
            }
        }
    }
}
