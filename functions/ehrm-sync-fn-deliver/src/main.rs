//! Lambda `deliver`: an SQS batch of delivery messages in, the failed ones out
//! (`ReportBatchItemFailures`). Clients are built once here; the handler does the work.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ehrm_sync_lambda::logging::init();
    let handler = Arc::new(
        ehrm_sync_lambda::wiring::deliver_handler()
            .await
            .inspect_err(|e| tracing::error!("{e}"))?,
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let handler = handler.clone();
        async move {
            let deadline = ehrm_sync_lambda::deadline::from_context(event.context.deadline);
            Ok::<_, lambda_runtime::Error>(handler.handle(event.payload, deadline).await)
        }
    }))
    .await
}
