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
        let deadline = ehrm_sync_lambda::deadline::from_context(event.context.deadline);
        async move {
            handler
                .handle(&event.payload, deadline)
                .await
                .map_err(|e| lambda_runtime::Error::from(e.to_string()))
        }
    }))
    .await
}
