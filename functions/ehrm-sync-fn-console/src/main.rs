//! Lambda `console`: the web console at `/console/` behind the same API Gateway HTTP API as the
//! webhook. Users come from the `CONSOLE_USERS_SECRET_ID` secret; without any, the console is off.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ehrm_sync_lambda::logging::init();
    let router = ehrm_sync_lambda::wiring::console_router()
        .await
        .inspect_err(|e| tracing::error!("{e}"))?;
    lambda_http::run(router).await
}
