//! Lambda `ingest`: `POST /v1/events` (eHRM webhooks) and `GET /v1/sync/{nip}`, behind an API
//! Gateway HTTP API or a function URL. Clients are built once here; the router does the work.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ehrm_sync_lambda::logging::init();
    let router = ehrm_sync_lambda::wiring::ingest_router()
        .await
        .inspect_err(|e| tracing::error!("{e}"))?;
    lambda_http::run(router).await
}
