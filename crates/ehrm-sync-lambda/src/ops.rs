//! The operations function, invoked by operators (`aws lambda invoke`):
//!
//! * `{"op": "status"}` — counts by status, oldest pending, dead letters, breaker, last sweep,
//!   the last reconciliation runs;
//! * `{"op": "redrive", "max": 10000}` — dead-letter queue back to the delivery queue;
//! * `{"op": "replay", "status": "dead"|"failed", "since": "2026-11-20", "until": "…",
//!   "dry_run": true}` — as `ehrm-sync replay`.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use ehrm_sync_aws::DynamoStore;
use ehrm_sync_core::ports::{Clock, DeadLetters, DeliveryQueue, SyncStore};
use ehrm_sync_core::replay::{ReplayRequest, replay};

use crate::scheduled::TaskError;

pub struct OpsHandler {
    pub store: Arc<DynamoStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub dead: Arc<dyn DeadLetters>,
    pub clock: Arc<dyn Clock>,
}

/// What an operator asks for.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OpsRequest {
    Status,
    Redrive {
        #[serde(default = "default_redrive_max")]
        max: usize,
    },
    Replay {
        /// `dead` or `failed`.
        status: String,
        /// A date (`YYYY-MM-DD`, Jakarta) or an RFC 3339 time; default 14 days before `until`.
        since: Option<String>,
        /// Default: now.
        until: Option<String>,
        #[serde(default)]
        dry_run: bool,
    },
}

fn default_redrive_max() -> usize {
    10_000
}

impl OpsHandler {
    pub async fn handle(&self, event: &Value) -> Result<Value, TaskError> {
        let request: OpsRequest = serde_json::from_value(event.clone()).map_err(|e| {
            TaskError(format!(
                "not an operation ({e}); expected {{\"op\": \"status\"}}, \"redrive\" or \"replay\""
            ))
        })?;
        match request {
            OpsRequest::Status => {
                let o = ehrm_sync_core::status::overview(
                    self.store.as_ref(),
                    self.store.as_ref(),
                    self.dead.as_ref(),
                    self.store.as_ref(),
                    self.store.as_ref(),
                )
                .await
                .map_err(|e| TaskError(e.to_string()))?;
                Ok(ehrm_sync_http::wire::overview_json(&o))
            }
            OpsRequest::Redrive { max } => {
                let moved = self
                    .dead
                    .redrive(max)
                    .await
                    .map_err(|e| TaskError(e.to_string()))?;
                Ok(json!({"op": "redrive", "moved": moved}))
            }
            OpsRequest::Replay {
                status,
                since,
                until,
                dry_run,
            } => self.replay(&status, since, until, dry_run).await,
        }
    }

    async fn replay(
        &self,
        status: &str,
        since: Option<String>,
        until: Option<String>,
        dry_run: bool,
    ) -> Result<Value, TaskError> {
        let request = ReplayRequest::parse(
            status,
            since.as_deref(),
            until.as_deref(),
            dry_run,
            self.clock.now_ms(),
        )
        .map_err(|e| TaskError(e.to_string()))?;
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
