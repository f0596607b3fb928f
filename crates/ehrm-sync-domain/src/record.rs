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

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::backoff::RetryPolicy;
use crate::kinerja::{KinerjaData, Periodik, month_mask};
use crate::nip::Nip;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Identity of one performance record, as eHRM keys it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKey {
    /// `kinerja.tahunan`: nip + tahun.
    Tahunan { nip: Nip, tahun: i32 },
    /// `kinerja.periodik`: nip + tahun + periodik + bulan_mulai.
    Periodik {
        nip: Nip,
        tahun: i32,
        periodik: Periodik,
        bulan_mulai: u8,
    },
}

/// The record types ehrm-sync delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecordType {
    #[serde(rename = "kinerja.tahunan")]
    KinerjaTahunan,
    #[serde(rename = "kinerja.periodik")]
    KinerjaPeriodik,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::KinerjaTahunan => "kinerja.tahunan",
            RecordType::KinerjaPeriodik => "kinerja.periodik",
        }
    }
}

impl RecordKey {
    pub fn nip(&self) -> &Nip {
        match self {
            RecordKey::Tahunan { nip, .. } | RecordKey::Periodik { nip, .. } => nip,
        }
    }

    pub fn tahun(&self) -> i32 {
        match self {
            RecordKey::Tahunan { tahun, .. } | RecordKey::Periodik { tahun, .. } => *tahun,
        }
    }

    pub fn record_type(&self) -> RecordType {
        match self {
            RecordKey::Tahunan { .. } => RecordType::KinerjaTahunan,
            RecordKey::Periodik { .. } => RecordType::KinerjaPeriodik,
        }
    }

    /// The key with the NIP masked, for logs.
    pub fn masked(&self) -> String {
        self.to_string()
            .replace(self.nip().as_str(), &self.nip().masked())
    }

    /// The key of the record this data belongs to.
    pub fn of(data: &KinerjaData) -> RecordKey {
        match data {
            KinerjaData::Tahunan(a) => RecordKey::Tahunan {
                nip: a.nip.clone(),
                tahun: a.tahun,
            },
            KinerjaData::Periodik(p) => RecordKey::Periodik {
                nip: p.nip.clone(),
                tahun: p.tahun,
                periodik: p.periodik,
                bulan_mulai: p.bulan_mulai,
            },
        }
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordKey::Tahunan { nip, tahun } => write!(f, "kinerja.tahunan/{nip}/{tahun}"),
            RecordKey::Periodik {
                nip,
                tahun,
                periodik,
                bulan_mulai,
            } => write!(
                f,
                "kinerja.periodik/{nip}/{tahun}/{}/{bulan_mulai:02}",
                periodik.as_str()
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a record key: {0}")]
pub struct BadRecordKey(pub String);

impl FromStr for RecordKey {
    type Err = BadRecordKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadRecordKey(s.chars().take(80).collect());
        let parts: Vec<&str> = s.split('/').collect();
        let nip = |raw: &str| Nip::parse(raw).map_err(|_| bad());
        match parts.as_slice() {
            ["kinerja.tahunan", n, t] => Ok(RecordKey::Tahunan {
                nip: nip(n)?,
                tahun: t.parse().map_err(|_| bad())?,
            }),
            ["kinerja.periodik", n, t, p, m] => Ok(RecordKey::Periodik {
                nip: nip(n)?,
                tahun: t.parse().map_err(|_| bad())?,
                periodik: Periodik::parse(p).ok_or_else(bad)?,
                bulan_mulai: m.parse().map_err(|_| bad())?,
            }),
            _ => Err(bad()),
        }
    }
}

impl Serialize for RecordKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RecordKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a record stands on its way to BKN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Accepted, waiting for a delivery worker.
    Pending,
    /// A worker holds the lease and is talking to BKN.
    Sending,
    /// BKN holds the latest version.
    Synced,
    /// The last attempt failed transiently; another follows at `next_attempt_at`.
    Retrying,
    /// BKN rejected the record (validation); it stays until eHRM sends a corrected version or an
    /// operator replays it.
    Failed,
    /// Transient failures exhausted the attempts; an operator may replay it.
    Dead,
    /// BKN offers no way to apply this change (an annual SKP deleted in eHRM): an operator must
    /// act in SIASN by hand.
    NeedsAction,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 7] = [
        SyncStatus::Pending,
        SyncStatus::Sending,
        SyncStatus::Synced,
        SyncStatus::Retrying,
        SyncStatus::Failed,
        SyncStatus::Dead,
        SyncStatus::NeedsAction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Pending => "pending",
            SyncStatus::Sending => "sending",
            SyncStatus::Synced => "synced",
            SyncStatus::Retrying => "retrying",
            SyncStatus::Failed => "failed",
            SyncStatus::Dead => "dead",
            SyncStatus::NeedsAction => "needs_action",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        SyncStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Settled states need no worker until something changes.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            SyncStatus::Synced | SyncStatus::Failed | SyncStatus::Dead | SyncStatus::NeedsAction
        )
    }
}

impl fmt::Display for SyncStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    Upsert(KinerjaData),
    Delete,
}

/// One validated change to one record, at one eHRM version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub key: RecordKey,
    pub version: u64,
    pub action: ChangeAction,
}

impl Change {
    /// Months this change occupies in its year (periodic upserts only).
    pub fn months(&self) -> Option<u16> {
        match &self.action {
            ChangeAction::Upsert(KinerjaData::Periodik(p)) => {
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
    pub data: Option<KinerjaData>,
    /// BKN's riwayat id once known.
    pub bkn_id: Option<String>,
    /// SIASN PNS id of the employee, once resolved.
    pub siasn_pns_id: Option<String>,
    pub status: SyncStatus,
    /// Failed attempts at the current version.
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
        data: &KinerjaData,
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
mod tests {
    use super::*;
    use crate::kinerja::{AnnualKinerja, Penilai, PenilaiStatus, Predikat, Rating};

    const NOW: Millis = 1_700_000_000_000;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base_ms: 1_000,
            max_ms: 60_000,
            max_attempts: 3,
        }
    }

    fn nip() -> Nip {
        Nip::parse("198507142010011002").expect("valid")
    }

    fn upsert(version: u64) -> Change {
        let data = KinerjaData::Tahunan(AnnualKinerja {
            nip: nip(),
            tahun: 2025,
            hasil_kinerja: Rating::AsExpected,
            perilaku_kerja: Rating::AsExpected,
            predikat: Predikat::Baik,
            penilai: Penilai {
                nip: "197001011995031001".into(),
                nama: "X".into(),
                jabatan: "Y".into(),
                unor_nama: "Z".into(),
                golongan_id: "41".into(),
                status: PenilaiStatus::Asn,
            },
        });
        Change {
            key: RecordKey::of(&data),
            version,
            action: ChangeAction::Upsert(data),
        }
    }

    fn leased(rec: &mut SyncRecord, now: Millis) -> (String, u64) {
        match rec.lease(now, 30_000, "t1") {
            LeaseDecision::Leased { token, version } => (token, version),
            other => panic!("expected a lease, got {other:?}"),
        }
    }

    #[test]
    fn record_keys_round_trip_through_strings() {
        let keys = [
            "kinerja.tahunan/198507142010011002/2025",
            "kinerja.periodik/198507142010011002/2025/triwulan/04",
            "kinerja.periodik/198507142010011002/2025/bulanan/12",
        ];
        for k in keys {
            let key: RecordKey = k.parse().expect("parses");
            assert_eq!(key.to_string(), k);
        }
        for bad in [
            "",
            "kinerja.tahunan/123/2025",
            "kinerja.periodik/198507142010011002/2025/x/1",
        ] {
            assert!(bad.parse::<RecordKey>().is_err(), "{bad}");
        }
        let key: RecordKey = keys[0].parse().expect("parses");
        assert_eq!(key.masked(), "kinerja.tahunan/1985**********1002/2025");
    }

    #[test]
    fn older_or_equal_versions_never_overwrite() {
        let mut rec = SyncRecord::from_change(&upsert(5), NOW);
        assert_eq!(rec.apply_change(&upsert(5), NOW), ChangeEffect::Stale);
        assert_eq!(rec.apply_change(&upsert(3), NOW), ChangeEffect::Stale);
        assert_eq!(rec.received_version, 5);
        assert_eq!(rec.apply_change(&upsert(6), NOW), ChangeEffect::Applied);
        assert_eq!(rec.received_version, 6);
    }

    #[test]
    fn happy_path_pending_sending_synced() {
        let mut rec = SyncRecord::from_change(&upsert(1), NOW);
        assert_eq!(rec.status, SyncStatus::Pending);
        assert_eq!(rec.due_at(), Some(NOW));
        let (token, version) = leased(&mut rec, NOW);
        assert_eq!(rec.status, SyncStatus::Sending);
        assert_eq!(
            rec.lease(NOW + 1, 30_000, "t2"),
            LeaseDecision::Busy {
                until: NOW + 30_000
            }
        );
        let ok = DeliveryOutcome::Delivered {
            bkn_id: Some("ABC".into()),
            deleted_at_bkn: false,
        };
        rec.finish_delivery(&token, version, &ok, &policy(), 0.5, NOW + 10)
            .expect("lease held");
        assert_eq!(rec.status, SyncStatus::Synced);
        assert_eq!(rec.delivered_version, Some(1));
        assert_eq!(rec.bkn_id.as_deref(), Some("ABC"));
        assert_eq!(rec.due_at(), None);
        assert_eq!(rec.lease(NOW + 20, 30_000, "t3"), LeaseDecision::Settled);
    }

    #[test]
    fn a_newer_version_arriving_in_flight_is_delivered_next() {
        let mut rec = SyncRecord::from_change(&upsert(1), NOW);
        let (token, version) = leased(&mut rec, NOW);
        assert_eq!(rec.apply_change(&upsert(2), NOW + 1), ChangeEffect::Applied);
        assert_eq!(rec.status, SyncStatus::Sending, "the live lease is kept");
        let ok = DeliveryOutcome::Delivered {
            bkn_id: Some("ABC".into()),
            deleted_at_bkn: false,
        };
        rec.finish_delivery(&token, version, &ok, &policy(), 0.5, NOW + 2)
            .expect("lease held");
        assert_eq!(rec.status, SyncStatus::Pending);
        assert_eq!(rec.delivered_version, Some(1));
        assert_eq!(
            rec.bkn_id.as_deref(),
            Some("ABC"),
            "the id is kept for the update"
        );
    }

    #[test]
    fn transient_failures_back_off_then_die() {
        let mut rec = SyncRecord::from_change(&upsert(1), NOW);
        let mut now = NOW;
        for attempt in 1..=3u32 {
            let (token, version) = leased(&mut rec, now);
            let err = DeliveryOutcome::Transient {
                error: "timeout".into(),
                retry_after_ms: None,
                ambiguous_create: attempt == 1,
            };
            rec.finish_delivery(&token, version, &err, &policy(), 0.5, now)
                .expect("lease held");
            assert_eq!(rec.attempts, attempt);
            if attempt < 3 {
                assert_eq!(rec.status, SyncStatus::Retrying);
                let at = rec.next_attempt_at.expect("scheduled");
                assert_eq!(at - now, policy().delay_ms(attempt, 0.5));
                assert!(matches!(
                    rec.lease(now, 1, "x"),
                    LeaseDecision::NotDue { .. }
                ));
                now = at;
            }
        }
        assert_eq!(rec.status, SyncStatus::Dead);
        assert!(rec.create_unconfirmed, "an ambiguous create is remembered");
        assert!(rec.replay(now));
        assert_eq!(rec.status, SyncStatus::Pending);
        assert_eq!(rec.attempts, 0);
    }

    #[test]
    fn retry_after_is_honoured_when_longer_than_the_backoff() {
        let mut rec = SyncRecord::from_change(&upsert(1), NOW);
        let (token, version) = leased(&mut rec, NOW);
        let err = DeliveryOutcome::Transient {
            error: "429".into(),
            retry_after_ms: Some(45_000),
            ambiguous_create: false,
        };
        rec.finish_delivery(&token, version, &err, &policy(), 0.5, NOW)
            .expect("lease held");
        assert_eq!(rec.next_attempt_at, Some(NOW + 45_000));
    }

    #[test]
    fn permanent_failure_stops_and_a_corrected_version_revives() {
        let mut rec = SyncRecord::from_change(&upsert(1), NOW);
        let (token, version) = leased(&mut rec, NOW);
        let err = DeliveryOutcome::Permanent {
            error: "PnsDinilaiId is required".into(),
        };
        rec.finish_delivery(&token, version, &err, &policy(), 0.5, NOW)
            .expect("lease held");
        assert_eq!(rec.status, SyncStatus::Failed);
        assert_eq!(rec.last_error.as_deref(), Some("PnsDinilaiId is required"));
        assert_eq!(rec.due_at(), None);
        rec.apply_change(&upsert(2), NOW + 5);
        assert_eq!(rec.status, SyncStatus::Pending);
        assert_eq!(rec.last_error, None);
    }

    #[test]
    fn an_expired_lease_is_taken_over_and_counted() {
        let mut rec = SyncRecord::from_change(&upsert(1), NOW);
        let (old_token, version) = leased(&mut rec, NOW);
        let decision = rec.lease(NOW + 31_000, 30_000, "t2");
        assert!(matches!(decision, LeaseDecision::Leased { .. }));
        assert_eq!(rec.attempts, 1);
        assert!(rec.create_unconfirmed);
        let ok = DeliveryOutcome::Delivered {
            bkn_id: None,
            deleted_at_bkn: false,
        };
        assert_eq!(
            rec.finish_delivery(&old_token, version, &ok, &policy(), 0.5, NOW + 32_000),
            Err(LeaseLost),
            "the worker that lost its lease cannot write"
        );
    }

    #[test]
    fn a_delete_clears_the_bkn_id_once_applied() {
        let mut rec = SyncRecord::from_change(&upsert(1), NOW);
        rec.bkn_id = Some("ID".into());
        rec.delivered_version = Some(1);
        rec.status = SyncStatus::Synced;
        let delete = Change {
            key: rec.key.clone(),
            version: 2,
            action: ChangeAction::Delete,
        };
        rec.apply_change(&delete, NOW);
        assert!(rec.deleted);
        assert_eq!(rec.months, None);
        let (token, version) = leased(&mut rec, NOW);
        let ok = DeliveryOutcome::Delivered {
            bkn_id: None,
            deleted_at_bkn: true,
        };
        rec.finish_delivery(&token, version, &ok, &policy(), 0.5, NOW)
            .expect("lease held");
        assert_eq!(rec.bkn_id, None);
        assert_eq!(rec.status, SyncStatus::Synced);
    }

    #[test]
    fn release_returns_the_record_without_counting_an_attempt() {
        let mut rec = SyncRecord::from_change(&upsert(1), NOW);
        let (token, _) = leased(&mut rec, NOW);
        rec.release(&token, NOW + 5_000, NOW).expect("lease held");
        assert_eq!(rec.status, SyncStatus::Pending);
        assert_eq!(rec.attempts, 0);
        assert_eq!(rec.due_at(), Some(NOW + 5_000));
    }
}
