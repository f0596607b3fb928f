//! Lambda `scheduled`: the scheduled tasks, `{"task": "sweep"}`, `{"task": "callbacks"}` and
//! `{"task": "reconcile"}`.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ehrm_sync_lambda::logging::init();
    let handler = Arc::new(
        ehrm_sync_lambda::wiring::scheduled_handler()
            .await
            .inspect_err(|e| tracing::error!("{e}"))?,
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let handler = handler.clone();
        // A deadline far off (or in the past) is not a real Lambda's: ignore it.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let deadline = i64::try_from(event.context.deadline)
            .ok()
            .filter(|d| *d > now && *d < now + 16 * 60 * 1000);
        async move {
            handler
                .handle(&event.payload, deadline)
                .await
                .map_err(|e| lambda_runtime::Error::from(e.to_string()))
        }
    }))
    .await
}
