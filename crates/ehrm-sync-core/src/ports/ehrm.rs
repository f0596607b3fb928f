//! eHRM: its read API (what reconciliation and the readiness check read), and the second
//! direction of the duplex — outcome callbacks, kept in an outbox until sent — with the
//! observer delivery tells of every settled record.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::reconcile::{EmployeeFacts, PegawaiFacts, StructuralPost, UnitFacts};
use ehrm_sync_domain::record::{Millis, SyncRecord};

use super::store::StoreError;

/// A failed read of eHRM.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    pub message: String,
    /// Worth trying again later (network, 5xx); otherwise a configuration or contract problem.
    pub transient: bool,
}

/// Why a refresh of what is kept from eHRM's read API (the unit map, the people the console
/// names) did not happen; the last copy stays.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("eHRM's read API could not be read: {0}")]
    Source(#[from] SourceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// eHRM's read API (`docs/ehrm-contract.md`, "The read API").
#[async_trait]
pub trait EhrmDirectory: Send + Sync {
    /// Every employee (all pages of `pegawai`).
    async fn employees(&self) -> Result<Vec<PegawaiFacts>, SourceError>;
    /// One employee with their position history and performance records.
    async fn employee(&self, nip: &str) -> Result<Option<EmployeeFacts>, SourceError>;
    /// The unit tree (all pages of `unor`).
    async fn units(&self) -> Result<Vec<UnitFacts>, SourceError>;
    /// Who holds each structural post (`pejabat_struktural`).
    async fn structural_posts(&self) -> Result<Vec<StructuralPost>, SourceError>;
}

/// eHRM's documents (`GET {base}/v1/ehrm/dokumen/{id}`): the SK of a position, as bytes.
#[async_trait]
pub trait EhrmDocuments: Send + Sync {
    async fn document(&self, id: &str) -> Result<Vec<u8>, SourceError>;
}

// ---------------------------------------------------------------------------------------------
// Outcome callbacks

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

/// One signed event to POST to eHRM (`docs/ehrm-contract.md`, "Outcome callbacks"), with its
/// delivery state.
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

/// Told of every record that settles (synced, failed, dead, needs action): the outcome
/// callbacks to eHRM.
#[async_trait]
pub trait OutcomeObserver: Send + Sync {
    async fn settled(&self, record: &SyncRecord);
}
