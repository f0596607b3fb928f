//! The scheduled function: EventBridge Scheduler invokes it with `{"task": "sweep"}` (every few
//! minutes) and `{"task": "callbacks"}` (every minute, when callbacks to eHRM are configured).

use serde_json::{Value, json};

use ehrm_sync_core::callbacks::CallbackDispatcher;
use ehrm_sync_core::sweep::Sweeper;

pub struct ScheduledHandler {
    pub sweeper: Sweeper,
    /// `None` when callbacks to eHRM are not configured.
    pub callbacks: Option<CallbackDispatcher>,
}

#[derive(Debug)]
pub struct TaskError(pub String);

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TaskError {}

impl ScheduledHandler {
    pub async fn handle(&self, event: &Value) -> Result<Value, TaskError> {
        match event.get("task").and_then(Value::as_str) {
            Some("sweep") => {
                let report = self
                    .sweeper
                    .sweep()
                    .await
                    .map_err(|e| TaskError(format!("sweep failed: {e}")))?;
                tracing::info!(
                    examined = report.examined,
                    queued = report.queued,
                    "sweep finished"
                );
                Ok(json!({"task": "sweep", "examined": report.examined, "queued": report.queued}))
            }
            Some("callbacks") => {
                let Some(dispatcher) = &self.callbacks else {
                    return Ok(json!({"task": "callbacks", "configured": false}));
                };
                let r = dispatcher
                    .dispatch(500)
                    .await
                    .map_err(|e| TaskError(format!("callbacks failed: {e}")))?;
                Ok(
                    json!({"task": "callbacks", "sent": r.sent, "retrying": r.retrying, "failed": r.failed, "dead": r.dead}),
                )
            }
            other => Err(TaskError(format!(
                "unknown task {other:?}; expected \"sweep\" or \"callbacks\""
            ))),
        }
    }
}
