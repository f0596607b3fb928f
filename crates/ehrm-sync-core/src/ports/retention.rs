//! Removing personal data whose retention has ended (UU 27/2022 Art. 16(2)(g), 42–44;
//! `docs/privacy.md` argues each class's default). The rule of what may go is the store's to
//! apply where the data is (one SQL statement, one index query), but every store keeps what
//! correctness needs: record keys, versions and BKN ids, idempotency entries until they expire,
//! everything of a record that is not synced and of a run still open.

use async_trait::async_trait;
use ehrm_sync_domain::record::Millis;

use super::StoreError;

/// The event stream of the console's audit trail (kept longest, `DataClass::Audit`).
pub const AUDIT_STREAM: &str = "console-audit";

/// A class of kept data with one retention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataClass {
    /// The data of a record BKN holds at its latest version (`synced`): the ratings and the
    /// appraiser, or the position. The record's key, versions and BKN id stay.
    RecordData,
    /// Delivery attempts of synced records.
    Attempts,
    /// Changes received (the audit copy of each webhook's data) of synced records.
    Changes,
    /// Callbacks eHRM has received.
    Callbacks,
    /// Finished reconciliation and readiness runs with their findings, and follow-up marks.
    Runs,
    /// Console sessions that ended (signed out or idle).
    Sessions,
    /// Event streams other than the audit trail (breaker, BKN SSO).
    Events,
    /// The console's audit trail.
    Audit,
    /// Remembered riwayat lists read from BKN.
    Lists,
    /// Chart series (counts only).
    Series,
}

impl DataClass {
    pub const ALL: [DataClass; 10] = [
        DataClass::RecordData,
        DataClass::Attempts,
        DataClass::Changes,
        DataClass::Callbacks,
        DataClass::Runs,
        DataClass::Sessions,
        DataClass::Events,
        DataClass::Audit,
        DataClass::Lists,
        DataClass::Series,
    ];

    /// The name in `RETAIN_<NAME>_DAYS` (upper case) and in the purge's output.
    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::RecordData => "record_data",
            DataClass::Attempts => "attempts",
            DataClass::Changes => "changes",
            DataClass::Callbacks => "callbacks",
            DataClass::Runs => "runs",
            DataClass::Sessions => "sessions",
            DataClass::Events => "events",
            DataClass::Audit => "audit",
            DataClass::Lists => "lists",
            DataClass::Series => "series",
        }
    }

    /// Default retention in days (`docs/privacy.md` argues each).
    pub fn default_days(self) -> u32 {
        match self {
            DataClass::RecordData | DataClass::Attempts | DataClass::Changes => 365,
            DataClass::Events => 365,
            DataClass::Callbacks | DataClass::Series => 90,
            DataClass::Runs => 730,
            DataClass::Sessions => 1,
            DataClass::Audit => 1_825,
            DataClass::Lists => 30,
        }
    }
}

/// What a purge of one class did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purged {
    /// Items removed (or, on a dry run, that would be).
    Removed(u64),
    /// The store expires this class by itself (DynamoDB's TTL on each item).
    ExpiresByItself,
}

/// Removing what has outlived its retention.
#[async_trait]
pub trait Purge: Send + Sync {
    /// Removes what of `class` is older than `before` and no longer needed (on a dry run, only
    /// counts it). For `DataClass::Runs`: finished reconciliation runs, their rows, and
    /// follow-up marks last set before `before`; a readiness run's pieces go with
    /// [`Purge::purge_run_pieces`].
    async fn purge(
        &self,
        class: DataClass,
        before: Millis,
        dry_run: bool,
    ) -> Result<Purged, StoreError>;

    /// Removes the control documents `<family>.<run id>.<piece>` (a readiness run's cohort
    /// pages and findings) of every run not in `keep`.
    async fn purge_run_pieces(
        &self,
        family: &str,
        keep: &[String],
        dry_run: bool,
    ) -> Result<Purged, StoreError>;
}
