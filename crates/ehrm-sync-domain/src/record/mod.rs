//! The sync record: what ehrm-sync knows about one eHRM record and its copy at BKN.
//!
//! ```text
//!                 new version (any state) ──────────────────────────┐
//!                                                                   ▼
//!   accepted ──► pending ──lease──► sending ──ok──► synced      (pending again
//!                  ▲                   │ │ │                     if a newer version
//!                  │      transient ◄──┘ │ └──permanent──► failed  arrived meanwhile)
//!                  │         │           └──no delete at BKN──► needs_action
//!                  └── retrying ──(attempts exhausted)──► dead
//! ```
//!
//! Every transition is a method here; adapters only persist the result, guarded by
//! [`SyncRecord::revision`] (compare-and-swap), so concurrent workers cannot lose an update.

mod data;
mod key;
mod status;

pub use data::RecordData;
pub use key::{BadRecordKey, RecordKey, RecordType};
pub use status::SyncStatus;

use serde::{Deserialize, Serialize};

use crate::backoff::RetryPolicy;
use crate::kinerja::month_mask;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// A worker's exclusive, time-limited right to deliver one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub token: String,
    pub until: Millis,
}

/// What an accepted change asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "data", rename_all = "lowercase")]
pub enum ChangeAction {
    Upsert(RecordData),
    Delete,
}

/// One validated change to one record, at one eHRM version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub key: RecordKey,
    pub version: u64,
    pub action: ChangeAction,
    /// The employee's SIASN PNS id when eHRM sent it (`data.pns_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pns_id: Option<String>,
}

impl Change {
    /// Months this change occupies in its year (periodic upserts only).
    pub fn months(&self) -> Option<u16> {
        match &self.action {
            ChangeAction::Upsert(RecordData::Periodik(p)) => {
                Some(month_mask(p.bulan_mulai, p.bulan_selesai))
            }
            _ => None,
        }
    }
}

/// The sync state of one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    pub key: RecordKey,
    /// Highest eHRM version accepted.
    pub received_version: u64,
    /// Highest eHRM version BKN is known to hold (or, for a delete, to have applied).
    pub delivered_version: Option<u64>,
    /// The latest accepted change is a delete.
    pub deleted: bool,
    /// The latest upserted data (kept after a delete, for the audit trail).
    pub data: Option<RecordData>,
    /// BKN's riwayat id once known.
    pub bkn_id: Option<String>,
    /// SIASN PNS id of the employee, once resolved.
    pub siasn_pns_id: Option<String>,
    pub status: SyncStatus,
    /// Transient failures at the current version (a refusal or a success does not count).
    pub attempts: u32,
    pub next_attempt_at: Option<Millis>,
    pub last_error: Option<String>,
    pub lease: Option<Lease>,
    /// A create was sent and its outcome is unknown: BKN may hold the record without us
    /// knowing its id. The next delivery must look it up before creating.
    pub create_unconfirmed: bool,
    /// Months occupied in the year (live periodic records only), for the per-year limits.
    pub months: Option<u16>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// When a delivery message was last queued for this record.
    pub last_enqueued_at: Option<Millis>,
    /// Incremented on every write; adapters persist with compare-and-swap on it.
    pub revision: u64,
    /// The version whose data BKN holds under `bkn_id` while the steps after the save (the SK
    /// document, data-utama) are still to be done: a retry does them without saving again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_version: Option<u64>,
    /// SHA-256 of the SK document BKN holds for `bkn_id` (uploaded once per document version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_sha256: Option<String>,
}

/// What BKN holds of a record after some of its steps, whatever came of the last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub version: u64,
    pub bkn_id: String,
    pub document_sha256: Option<String>,
}

/// Result of offering a change to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeEffect {
    Applied,
    /// The version is at or below what is held: acknowledged, ignored.
    Stale,
}

/// Result of a worker asking to deliver a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseDecision {
    /// The worker holds the lease and must deliver `version`.
    Leased { token: String, version: u64 },
    /// Nothing to do: the record is settled at its latest version.
    Settled,
    /// Another worker holds a live lease until then.
    Busy { until: Millis },
    /// A retry is scheduled for later.
    NotDue { at: Millis },
}

/// The outcome of one delivery, as the deliver service reports it to the record.
#[derive(Clone, Debug, PartialEq)]
pub enum DeliveryOutcome {
    /// BKN holds `version` (or applied its delete).
    Delivered {
        bkn_id: Option<String>,
        deleted_at_bkn: bool,
    },
    /// Nothing BKN offers can apply this change.
    NeedsAction { reason: String },
    /// Try again later; `ambiguous_create` when a create may have been stored.
    Transient {
        error: String,
        retry_after_ms: Option<i64>,
        ambiguous_create: bool,
    },
    /// BKN refused the data itself.
    Permanent { error: String },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the delivery lease was lost (expired and taken over, or the record changed hands)")]
pub struct LeaseLost;

impl SyncRecord {
    /// A new record from its first accepted change.
    pub fn from_change(change: &Change, now: Millis) -> Self {
        let mut rec = SyncRecord {
            key: change.key.clone(),
            received_version: 0,
            delivered_version: None,
            deleted: false,
            data: None,
            bkn_id: None,
            siasn_pns_id: None,
            status: SyncStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            last_error: None,
            lease: None,
            create_unconfirmed: false,
            months: None,
            created_at: now,
            updated_at: now,
            last_enqueued_at: None,
            revision: 0,
            saved_version: None,
            document_sha256: None,
        };
        rec.take_change(change, now);
        rec
    }

    /// Offers a newer change; older or equal versions are ignored (latest wins).
    pub fn apply_change(&mut self, change: &Change, now: Millis) -> ChangeEffect {
        if change.version <= self.received_version {
            return ChangeEffect::Stale;
        }
        self.take_change(change, now);
        ChangeEffect::Applied
    }

    fn take_change(&mut self, change: &Change, now: Millis) {
        self.received_version = change.version;
        // An id eHRM sends fills a gap only: one BKN has accepted (or data-utama gave) is not
        // replaced by a possibly wrong one from a later event.
        if self.siasn_pns_id.is_none() {
            self.siasn_pns_id.clone_from(&change.pns_id);
        }
        match &change.action {
            ChangeAction::Upsert(data) => {
                self.deleted = false;
                self.data = Some(data.clone());
            }
            ChangeAction::Delete => self.deleted = true,
        }
        self.months = change.months();
        self.attempts = 0;
        self.last_error = None;
        self.next_attempt_at = Some(now);
        self.updated_at = now;
        if !self.has_live_lease(now) {
            self.status = SyncStatus::Pending;
            self.lease = None;
        }
    }

    fn has_live_lease(&self, now: Millis) -> bool {
        self.status == SyncStatus::Sending && self.lease.as_ref().is_some_and(|l| l.until > now)
    }

    /// Whether BKN already holds everything this record asks for.
    pub fn is_up_to_date(&self) -> bool {
        self.delivered_version
            .is_some_and(|d| d >= self.received_version)
    }

    /// When a worker should next look at this record (`None` when settled). Backs the "due"
    /// index the sweeper reads.
    pub fn due_at(&self) -> Option<Millis> {
        match self.status {
            SyncStatus::Pending | SyncStatus::Retrying => self.next_attempt_at,
            SyncStatus::Sending => self.lease.as_ref().map(|l| l.until),
            _ => None,
        }
    }

    /// Asks for the delivery lease. On `Leased` the record is `sending` until `now + ttl`.
    pub fn lease(&mut self, now: Millis, ttl_ms: i64, token: &str) -> LeaseDecision {
        match self.status {
            status if status.is_settled() => return LeaseDecision::Settled,
            SyncStatus::Sending => {
                if let Some(lease) = &self.lease
                    && lease.until > now
                {
                    return LeaseDecision::Busy { until: lease.until };
                }
                // The previous worker died or timed out mid-delivery: its attempt counts, and it
                // may have sent a create whose answer nobody read.
                self.attempts += 1;
                self.create_unconfirmed = true;
                self.last_error = Some("a previous delivery attempt was interrupted".into());
            }
            _ => {
                if let Some(at) = self.next_attempt_at
                    && at > now
                {
                    return LeaseDecision::NotDue { at };
                }
            }
        }
        self.status = SyncStatus::Sending;
        self.lease = Some(Lease {
            token: token.to_string(),
            until: now + ttl_ms,
        });
        self.updated_at = now;
        LeaseDecision::Leased {
            token: token.to_string(),
            version: self.received_version,
        }
    }

    fn check_lease(&self, token: &str) -> Result<(), LeaseLost> {
        match &self.lease {
            Some(l) if l.token == token && self.status == SyncStatus::Sending => Ok(()),
            _ => Err(LeaseLost),
        }
    }

    /// Keeps what the steps done so far left at BKN (before the outcome is recorded, under the
    /// same lease): BKN's id, the version saved and the document held.
    pub fn note_progress(&mut self, progress: &Progress) {
        if self.bkn_id.as_deref() != Some(progress.bkn_id.as_str()) {
            self.document_sha256 = None;
        }
        self.bkn_id = Some(progress.bkn_id.clone());
        self.saved_version = Some(progress.version);
        self.document_sha256.clone_from(&progress.document_sha256);
    }

    /// Records the outcome of delivering `version` under the lease `token`.
    pub fn finish_delivery(
        &mut self,
        token: &str,
        version: u64,
        outcome: &DeliveryOutcome,
        policy: &RetryPolicy,
        jitter_unit: f64,
        now: Millis,
    ) -> Result<(), LeaseLost> {
        self.check_lease(token)?;
        self.lease = None;
        self.updated_at = now;
        let newer_waiting = self.received_version > version;
        match outcome {
            DeliveryOutcome::Delivered {
                bkn_id,
                deleted_at_bkn,
            } => {
                self.delivered_version = Some(self.delivered_version.unwrap_or(0).max(version));
                self.bkn_id = if *deleted_at_bkn {
                    self.document_sha256 = None;
                    self.saved_version = None;
                    None
                } else {
                    bkn_id.clone().or_else(|| self.bkn_id.take())
                };
                self.create_unconfirmed = false;
                self.last_error = None;
                self.settle_or_continue(newer_waiting, SyncStatus::Synced, now);
            }
            DeliveryOutcome::NeedsAction { reason } => {
                self.last_error = Some(reason.clone());
                self.settle_or_continue(newer_waiting, SyncStatus::NeedsAction, now);
            }
            DeliveryOutcome::Permanent { error } => {
                self.last_error = Some(error.clone());
                self.settle_or_continue(newer_waiting, SyncStatus::Failed, now);
            }
            DeliveryOutcome::Transient {
                error,
                retry_after_ms,
                ambiguous_create,
            } => {
                self.create_unconfirmed |= *ambiguous_create;
                self.last_error = Some(error.clone());
                if newer_waiting {
                    self.settle_or_continue(true, SyncStatus::Retrying, now);
                } else {
                    self.attempts += 1;
                    if self.attempts >= policy.max_attempts {
                        self.status = SyncStatus::Dead;
                        self.next_attempt_at = None;
                    } else {
                        let backoff = policy.delay_ms(self.attempts, jitter_unit);
                        let wait = backoff.max(retry_after_ms.unwrap_or(0));
                        self.status = SyncStatus::Retrying;
                        self.next_attempt_at = Some(now + wait);
                    }
                }
            }
        }
        Ok(())
    }

    fn settle_or_continue(&mut self, newer_waiting: bool, settled: SyncStatus, now: Millis) {
        if newer_waiting {
            // A newer version arrived while this one was in flight: deliver it next, at once.
            self.status = SyncStatus::Pending;
            self.attempts = 0;
            self.next_attempt_at = Some(now);
        } else {
            self.status = settled;
            self.next_attempt_at = None;
        }
    }

    /// Gives the lease back without an attempt (BKN is known to be down): try again at `at`.
    pub fn release(&mut self, token: &str, at: Millis, now: Millis) -> Result<(), LeaseLost> {
        self.check_lease(token)?;
        self.lease = None;
        self.status = if self.attempts > 0 {
            SyncStatus::Retrying
        } else {
            SyncStatus::Pending
        };
        self.next_attempt_at = Some(at);
        self.updated_at = now;
        Ok(())
    }

    /// Reconciliation found BKN's copy missing or different: deliver eHRM's record again.
    /// `data`/`version` are eHRM's current row (taken only if newer than what is held);
    /// `bkn_id` is the id of BKN's differing copy (`None` when BKN has none: the delivery then
    /// looks the record up before creating, as after an ambiguous create). Returns `false` when
    /// nothing is to be done here: a delivery is already under way, or the record was deleted
    /// in a version eHRM's read has not caught up with.
    pub fn repair(
        &mut self,
        data: &RecordData,
        version: u64,
        bkn_id: Option<String>,
        now: Millis,
    ) -> bool {
        if !self.status.is_settled() {
            return false;
        }
        if version > self.received_version {
            self.received_version = version;
            self.data = Some(data.clone());
            self.deleted = false;
        } else if self.deleted {
            return false;
        }
        self.delivered_version = None;
        self.saved_version = None;
        if self.bkn_id != bkn_id {
            self.document_sha256 = None;
        }
        self.bkn_id = bkn_id;
        self.status = SyncStatus::Pending;
        self.attempts = 0;
        self.last_error = None;
        self.next_attempt_at = Some(now);
        self.updated_at = now;
        self.lease = None;
        true
    }

    /// An operator asks for another go at a failed or dead record.
    pub fn replay(&mut self, now: Millis) -> bool {
        if !matches!(self.status, SyncStatus::Failed | SyncStatus::Dead) {
            return false;
        }
        self.status = SyncStatus::Pending;
        self.attempts = 0;
        self.next_attempt_at = Some(now);
        self.updated_at = now;
        true
    }
}

#[cfg(test)]
mod tests;
