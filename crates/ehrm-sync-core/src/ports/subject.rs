//! One person's data across the store: what a data subject's report reads (UU 27/2022 Art. 32)
//! and what their erasure removes (Art. 43–44), where it cannot be read through the other
//! ports (the audit copy of each change, the callbacks about them) or removed by them.

use async_trait::async_trait;
use ehrm_sync_domain::nip::Nip;

use super::{Callback, ChangeLogEntry, StoreError};

/// What an erasure removes besides the person's own items: their findings in reconciliation
/// runs (`(run id, row key)`) and the follow-up marks of their findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErasurePlan {
    pub rows: Vec<(String, String)>,
    pub marks: Vec<String>,
}

/// What an erasure removed, per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Records whose data and last message went (key, versions, status, BKN id stay).
    pub records: u64,
    pub attempts: u64,
    pub changes: u64,
    pub callbacks: u64,
    /// Remembered riwayat lists and the PNS id.
    pub read_from_bkn: u64,
    pub findings: u64,
    pub marks: u64,
}

/// A person's history, and its erasure.
#[async_trait]
pub trait PersonalHistory: Send + Sync {
    /// The audit copy of every change received for the person's records, oldest first.
    async fn changes_of(&self, nip: &Nip) -> Result<Vec<ChangeLogEntry>, StoreError>;
    /// Every callback about the person (outcomes of their records, findings about them).
    async fn callbacks_of(&self, nip: &Nip) -> Result<Vec<Callback>, StoreError>;
    /// Removes the person's payloads and history: their records' data and last messages (the
    /// records stay: key, versions, status, BKN id — what prevents a resend or a duplicate), their
    /// attempts, changes, callbacks, remembered lists and PNS id, and what `plan` names.
    async fn erase(&self, nip: &Nip, plan: &ErasurePlan) -> Result<Erased, StoreError>;
}
