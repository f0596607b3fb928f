//! Shared SDK configuration, loaded once per process.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration from the environment. `AWS_ENDPOINT_URL` (LocalStack on a
/// laptop, moto_server in CI) points every client at an emulator.
pub async fn load() -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL")
        && !url.trim().is_empty()
    {
        loader = loader.endpoint_url(url.trim());
    }
    loader.load().await
}
