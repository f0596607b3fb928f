//! The operations function, invoked by operators (`aws lambda invoke`):
//!
//! * `{"op": "status"}` — counts by status, oldest pending, dead letters, breaker, last sweep,
//!   the last reconciliation runs;
//! * `{"op": "redrive", "max": 10000}` — dead-letter queue back to the delivery queue;
//! * `{"op": "replay", "status": "dead"|"failed", "since": "2026-11-20", "until": "…",
//!   "dry_run": true}` — as `ehrm-sync replay`.

use std::sync::Arc;

use serde_json::{Value, json};

use ehrm_sync_aws::DynamoStore;
use ehrm_sync_core::clock::parse_time;
use ehrm_sync_core::ports::{Clock, DeadLetters, DeliveryQueue, SyncStore};
use ehrm_sync_core::replay::{MAX_WINDOW_MS, ReplayRequest, replay};
use ehrm_sync_domain::record::SyncStatus;

use crate::scheduled::TaskError;

pub struct OpsHandler {
    pub store: Arc<DynamoStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub dead: Arc<dyn DeadLetters>,
    pub clock: Arc<dyn Clock>,
}

impl OpsHandler {
    pub async fn handle(&self, event: &Value) -> Result<Value, TaskError> {
        match event.get("op").and_then(Value::as_str) {
            Some("status") => {
                let mut o = ehrm_sync_core::status::overview(
                    self.store.as_ref(),
                    self.store.as_ref(),
                    self.dead.as_ref(),
                )
                .await
                .map_err(TaskError)?;
                let runs = ehrm_sync_core::ports::ReconcileStore::runs(self.store.as_ref(), 5)
                    .await
                    .map_err(|e| TaskError(e.to_string()))?;
                o["reconciliation_runs"] = serde_json::json!(runs);
                Ok(o)
            }
            Some("redrive") => {
                let max = event.get("max").and_then(Value::as_u64).unwrap_or(10_000) as usize;
                let moved = self
                    .dead
                    .redrive(max)
                    .await
                    .map_err(|e| TaskError(e.to_string()))?;
                Ok(json!({"op": "redrive", "moved": moved}))
            }
            Some("replay") => self.replay(event).await,
            other => Err(TaskError(format!(
                "unknown op {other:?}; expected status, redrive or replay"
            ))),
        }
    }

    async fn replay(&self, event: &Value) -> Result<Value, TaskError> {
        let status = event
            .get("status")
            .and_then(Value::as_str)
            .and_then(SyncStatus::parse)
            .ok_or_else(|| TaskError("replay needs \"status\": \"dead\" or \"failed\"".into()))?;
        let now = self.clock.now_ms();
        let time = |name: &str, default: i64| match event.get(name).and_then(Value::as_str) {
            Some(s) => parse_time(s)
                .ok_or_else(|| TaskError(format!("{name} is not a date or an RFC 3339 time"))),
            None => Ok(default),
        };
        let until = time("until", now)?;
        let since = time("since", until - MAX_WINDOW_MS)?;
        let request = ReplayRequest {
            status,
            since,
            until,
            dry_run: event
                .get("dry_run")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        let store: Arc<dyn SyncStore> = self.store.clone();
        let report = replay(&store, &self.queue, &self.clock, &request, &|_, _| {})
            .await
            .map_err(|e| TaskError(e.to_string()))?;
        let keys: Vec<String> = report.matched.iter().map(|r| r.key.to_string()).collect();
        Ok(
            json!({"op": "replay", "dry_run": request.dry_run, "matched": keys, "replayed": report.replayed, "skipped": report.skipped}),
        )
    }
}
