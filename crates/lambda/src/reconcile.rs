//! The scheduled function: EventBridge Scheduler invokes it with `{"task": "sweep"}` (every few
//! minutes) and, for reconciliation runs, `{"task": "reconcile"}`.

use serde_json::{Value, json};

use ehrm_sync_core::sweep::Sweeper;

pub struct ScheduledHandler {
    pub sweeper: Sweeper,
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
            other => Err(TaskError(format!(
                "unknown task {other:?}; expected \"sweep\""
            ))),
        }
    }
}
