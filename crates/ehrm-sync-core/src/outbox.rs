//! The outbox of outcome callbacks to eHRM (ehrm-contract.md §3): what a callback is, where
//! it is kept until sent, and what sends it. Re-exported from [`crate::ports`].

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::record::Millis;

use crate::ports::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    Pending,
    Sent,
    /// eHRM refused it (4xx): kept for operators, not retried.
    Failed,
    /// Transient failures exhausted the attempts.
    Dead,
}

impl CallbackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackStatus::Pending => "pending",
            CallbackStatus::Sent => "sent",
            CallbackStatus::Failed => "failed",
            CallbackStatus::Dead => "dead",
        }
    }
}

/// One signed event to POST to eHRM (ehrm-contract.md §3), with its delivery state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    /// Also the `webhook-id`: eHRM deduplicates on it.
    pub id: String,
    pub payload: serde_json::Value,
    pub status: CallbackStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<Millis>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub revision: u64,
}

/// The outbox of callbacks.
#[async_trait]
pub trait CallbackOutbox: Send + Sync {
    /// Adds a callback unless one with its id exists (idempotent).
    async fn add_callback(&self, callback: &Callback) -> Result<(), StoreError>;
    async fn callback(&self, id: &str) -> Result<Option<Callback>, StoreError>;
    /// Pending callbacks due at or before `before`, oldest first.
    async fn due_callbacks(
        &self,
        before: Millis,
        limit: usize,
    ) -> Result<Vec<Callback>, StoreError>;
    /// Compare-and-swap on `revision`, like records.
    async fn put_callback(&self, callback: &Callback) -> Result<(), StoreError>;
}

/// Sends one callback to eHRM.
#[async_trait]
pub trait CallbackSender: Send + Sync {
    async fn send(&self, id: &str, payload: &serde_json::Value) -> Result<(), CallbackError>;
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CallbackError {
    pub transient: bool,
    pub message: String,
}
