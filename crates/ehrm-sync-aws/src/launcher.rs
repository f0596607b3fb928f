//! The console's reconciliation launcher on AWS: an asynchronous invocation (`Event`) of the
//! scheduled function with `{"task": "reconcile", "launch": …}`, which runs it within its own
//! 15 minutes and leaves it checkpointed for the schedule to continue.

use async_trait::async_trait;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::json;

use ehrm_sync_console::{LaunchRequest, Launched, ReconcileLauncher};

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
}

/// The event the scheduled function receives.
pub fn launch_event(request: &LaunchRequest) -> serde_json::Value {
    json!({"task": "reconcile", "launch": request})
}

#[async_trait]
impl ReconcileLauncher for LambdaLauncher {
    async fn launch(&self, request: LaunchRequest) -> Result<Launched, String> {
        let payload = launch_event(&request).to_string().into_bytes();
        let out = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| format!("the scheduled function could not be invoked: {e:?}"))?;
        match out.status_code {
            202 => Ok(Launched::Invoked {
                function: self.function.clone(),
            }),
            other => Err(format!("the scheduled function answered {other}")),
        }
    }
}
