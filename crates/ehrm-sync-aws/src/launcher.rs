//! The console's launcher on AWS: an asynchronous invocation (`Event`) of the scheduled function
//! with `{"task": "reconcile", "launch": …}` or `{"task": "readiness", "restart": …}`, which runs
//! it within its own 15 minutes and leaves it checkpointed for the schedule to continue.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::json;

use ehrm_sync_core::ports::{LaunchError, LaunchRequest, Launched, Launcher};

pub struct LambdaLauncher {
    client: Client,
    function: String,
}

impl LambdaLauncher {
    pub fn new(client: Client, function: impl Into<String>) -> Self {
        LambdaLauncher {
            client,
            function: function.into(),
        }
    }

    /// With a Lambda client of the function's own configuration.
    pub fn from_sdk(sdk: &SdkConfig, function: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), function)
    }
}

/// The event the scheduled function receives for a reconciliation.
pub fn launch_event(request: &LaunchRequest) -> serde_json::Value {
    json!({"task": "reconcile", "launch": request})
}

/// The event the scheduled function receives for the readiness check.
pub fn readiness_event(restart: bool) -> serde_json::Value {
    json!({"task": "readiness", "restart": restart})
}

impl LambdaLauncher {
    async fn invoke(&self, event: serde_json::Value) -> Result<Launched, LaunchError> {
        let out = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(event.to_string().into_bytes()))
            .send()
            .await
            .map_err(|e| {
                LaunchError::Unavailable(format!(
                    "the scheduled function could not be invoked: {e:?}"
                ))
            })?;
        match out.status_code {
            202 => Ok(Launched::Invoked {
                function: self.function.clone(),
            }),
            other => Err(LaunchError::Unavailable(format!(
                "the scheduled function answered {other}"
            ))),
        }
    }
}

#[async_trait]
impl Launcher for LambdaLauncher {
    async fn reconcile(&self, request: LaunchRequest) -> Result<Launched, LaunchError> {
        self.invoke(launch_event(&request)).await
    }

    async fn readiness(&self, restart: bool) -> Result<Launched, LaunchError> {
        self.invoke(readiness_event(restart)).await
    }
}
