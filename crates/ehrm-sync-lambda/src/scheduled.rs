//! The scheduled function: EventBridge Scheduler invokes it with `{"task": "sweep"}` (every few
//! minutes), `{"task": "callbacks"}` (every minute, when callbacks to eHRM are configured) and
//! `{"task": "reconcile"}` (continues the open reconciliation run until a minute before the
//! invocation's deadline, or starts a rolling one when the last is old enough).

use serde_json::{Value, json};

use ehrm_sync_core::callbacks::CallbackDispatcher;
use ehrm_sync_core::sweep::Sweeper;

pub struct ScheduledHandler {
    /// `None` when eHRM's read API is not configured.
    pub reconcile: Option<ehrm_sync_core::reconcile::Reconciler>,
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
    /// `deadline_ms`: the invocation's deadline (Unix ms), from the Lambda context.
    pub async fn handle(
        &self,
        event: &Value,
        deadline_ms: Option<i64>,
    ) -> Result<Value, TaskError> {
        match event.get("task").and_then(Value::as_str) {
            Some("reconcile") => {
                let Some(reconcile) = &self.reconcile else {
                    return Ok(json!({"task": "reconcile", "configured": false}));
                };
                use ehrm_sync_core::reconcile::RunOutcome;
                let outcome = reconcile
                    .scheduled(deadline_ms, &|_| {})
                    .await
                    .map_err(|e| TaskError(format!("reconciliation failed: {e}")))?;
                Ok(match outcome {
                    RunOutcome::Finished(s) => {
                        json!({"task": "reconcile", "outcome": "finished", "run": s})
                    }
                    RunOutcome::Paused { summary, reason } => {
                        json!({"task": "reconcile", "outcome": "paused", "reason": reason, "run": summary})
                    }
                    RunOutcome::Busy { run_id } => {
                        json!({"task": "reconcile", "outcome": "busy", "run_id": run_id})
                    }
                    RunOutcome::Idle => json!({"task": "reconcile", "outcome": "idle"}),
                })
            }
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
                "unknown task {other:?}; expected \"sweep\", \"callbacks\" or \"reconcile\""
            ))),
        }
    }
}
