//! BKN SIASN: how a call fails, the push path's calls ([`Bkn`]) and the check before every
//! write ([`WriteGuard`]); the shared call schedule ([`RateGate`], [`Pacer`]); the reads of
//! reconciliation ([`BknDirectory`]) and of the readiness check ([`BknReadiness`]).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::Date;

use ehrm_sync_domain::jabatan::RiwayatJabatan;
use ehrm_sync_domain::kinerja::{AnnualKinerja, PeriodicKinerja, Periodik};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::rate::{GateState, RatePolicy};
use ehrm_sync_domain::readiness::facts::{
    AngkaKreditRow, BknProfile, GolonganRow, HukdisRow, JabatanRow, PendidikanRow, Proposal, SkpRow,
};
use ehrm_sync_domain::reconcile::{EmployeeFacts, UnitFacts};
use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::WaitReason;

use super::store::StoreError;

/// How a BKN call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BknErrorKind {
    /// Worth retrying: timeouts, connection errors, 5xx, SUSPENDED, token trouble.
    Transient {
        retry_after_ms: Option<i64>,
        /// The request may have reached BKN and been applied (no answer was read).
        maybe_applied: bool,
        /// BKN's gateway reported its backend SUSPENDED.
        suspended: bool,
    },
    /// BKN's gateway throttled the call (`429`): BKN is up and the call was not applied; the
    /// shared rate slows down and the call is tried again after `retry_after_ms`.
    Throttled { retry_after_ms: Option<i64> },
    /// BKN refused the request itself (validation, 4xx): retrying the same data cannot help.
    Permanent,
    /// No usable SSO token is held (`docs/bkn-sso.md`): no request was made. Not BKN's fault
    /// nor the record's: work waits, spending no attempt, until an operator sets a token.
    AwaitingSso { reason: WaitReason },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BknError {
    pub kind: BknErrorKind,
    /// BKN's own message where it gave one, else what went wrong.
    pub message: String,
    pub http_status: Option<u16>,
}

impl BknError {
    pub fn transient(message: impl Into<String>) -> Self {
        BknError {
            kind: BknErrorKind::Transient {
                retry_after_ms: None,
                maybe_applied: false,
                suspended: false,
            },
            message: message.into(),
            http_status: None,
        }
    }

    pub fn permanent(message: impl Into<String>, http_status: Option<u16>) -> Self {
        BknError {
            kind: BknErrorKind::Permanent,
            message: message.into(),
            http_status,
        }
    }

    /// Worth trying again (a throttled call too).
    pub fn is_transient(&self) -> bool {
        !matches!(self.kind, BknErrorKind::Permanent)
    }

    pub fn is_throttled(&self) -> bool {
        matches!(self.kind, BknErrorKind::Throttled { .. })
    }

    /// How long BKN asked us to wait, if it did.
    pub fn retry_after_ms(&self) -> Option<i64> {
        match self.kind {
            BknErrorKind::Transient { retry_after_ms, .. }
            | BknErrorKind::Throttled { retry_after_ms } => retry_after_ms,
            BknErrorKind::Permanent | BknErrorKind::AwaitingSso { .. } => None,
        }
    }

    /// No request was made: BKN work waits for an SSO token.
    pub fn awaiting_sso(&self) -> Option<WaitReason> {
        match self.kind {
            BknErrorKind::AwaitingSso { reason } => Some(reason),
            _ => None,
        }
    }

    /// Work waits for an SSO token for `reason` (the message in both languages).
    pub fn awaiting(reason: WaitReason) -> Self {
        BknError {
            kind: BknErrorKind::AwaitingSso { reason },
            message: format!(
                "menunggu token SSO BKN / waiting for a BKN SSO token: {}",
                reason.words_en()
            ),
            http_status: None,
        }
    }

    /// The request may have reached BKN and been applied.
    pub fn maybe_applied(&self) -> bool {
        matches!(
            self.kind,
            BknErrorKind::Transient {
                maybe_applied: true,
                ..
            }
        )
    }
}

/// An annual SKP 2022 record as BKN lists it (rw-skp22).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BknAnnualRecord {
    pub id: String,
    pub tahun: Option<i32>,
    pub hasil_kinerja: Option<u8>,
    pub perilaku_kerja: Option<u8>,
    pub kuadran: Option<u8>,
    pub penilai_nip: Option<String>,
}

/// A periodic evaluation as BKN lists it (rw-kinerjaperiodik).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BknPeriodicRecord {
    pub id: String,
    pub tahun: Option<i32>,
    pub periodik: Option<Periodik>,
    pub bulan_mulai: Option<u8>,
    pub bulan_selesai: Option<u8>,
    pub hasil_kinerja: Option<u8>,
    pub perilaku_kerja: Option<u8>,
    pub kuadran: Option<u8>,
    pub koefisien_id: Option<String>,
    pub penilai_nip: Option<String>,
}

/// A position history row as BKN lists it (rw-jabatan), its "no value" forms (null, `""`,
/// `01-01-0001`) read as absent and its dates as `YYYY-MM-DD` (`docs/bkn-api.md`, "Riwayat
/// jabatan").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BknJabatanRecord {
    pub id: String,
    /// BKN's `jenisJabatan` code (`1`, `2`, `4`).
    pub jenis_jabatan: Option<String>,
    pub unor_id: Option<String>,
    pub eselon_id: Option<String>,
    pub jabatan_fungsional_id: Option<String>,
    pub jabatan_fungsional_umum_id: Option<String>,
    pub nama_jabatan: Option<String>,
    pub nomor_sk: Option<String>,
    pub tanggal_sk: Option<String>,
    pub tmt_jabatan: Option<String>,
    pub tmt_pelantikan: Option<String>,
    /// The keys of `path`: the documents BKN holds for the row (e.g. `872`, the SK Jabatan).
    pub documents: Vec<String>,
}

/// A file sent to BKN's `upload-dok-rw`.
pub struct Upload<'a> {
    /// BKN's id of the history row the file belongs to.
    pub riwayat_id: &'a str,
    /// BKN's `id_ref_dokumen` (872: SK Jabatan).
    pub id_ref_dokumen: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// The BKN SIASN operations the push path needs.
#[async_trait]
pub trait Bkn: Send + Sync {
    /// SIASN PNS id of an employee (data-utama `id`); `None` when BKN does not know the NIP.
    async fn pns_id(&self, nip: &Nip) -> Result<Option<String>, BknError>;
    async fn annual_records(&self, nip: &Nip) -> Result<Vec<BknAnnualRecord>, BknError>;
    /// Creates (`id: None`) or updates an annual record; returns BKN's id when it gave one.
    /// Writes are sent only if `guard` allows it at the moment of sending.
    async fn save_annual(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &AnnualKinerja,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError>;
    async fn periodic_records(&self, nip: &Nip) -> Result<Vec<BknPeriodicRecord>, BknError>;
    async fn save_periodic(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &PeriodicKinerja,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError>;
    /// Deletes a periodic record; a record BKN no longer has counts as deleted.
    async fn delete_periodic(&self, id: &str, guard: &dyn WriteGuard) -> Result<(), BknError>;
    async fn jabatan_records(&self, nip: &Nip) -> Result<Vec<BknJabatanRecord>, BknError>;
    /// `jabatan/save`; `data.unor_id_bkn` is the unit sent.
    async fn save_jabatan(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &RiwayatJabatan,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError>;
    /// `jabatan/delete/{id}` of `nip`'s row; a row BKN no longer has counts as deleted.
    async fn delete_jabatan(
        &self,
        nip: &Nip,
        id: &str,
        guard: &dyn WriteGuard,
    ) -> Result<(), BknError>;
    /// `upload-dok-rw`: attaches a document to a history row.
    async fn upload_document(
        &self,
        upload: &Upload<'_>,
        guard: &dyn WriteGuard,
    ) -> Result<(), BknError>;
    /// `pns/data-utama-jabatansync`: BKN brings data-utama's position up to date.
    async fn refresh_data_utama_jabatan(&self, nip: &Nip, pns_id: &str) -> Result<(), BknError>;
}

/// Spaces calls to BKN; the HTTP client calls it before every request, token requests included.
#[async_trait]
pub trait Pacer: Send + Sync {
    /// Waits for this call's turn; returns the slot it was given.
    async fn wait_turn(&self) -> Result<Millis, PacerError>;
    /// BKN answered `429` to the call given `slot` (`None` if not known), with its
    /// `Retry-After` if it sent one.
    async fn throttled(&self, slot: Option<Millis>, retry_after_ms: Option<i64>);
    /// BKN asked everyone to wait this long (`Retry-After` on another answer).
    async fn hold_for(&self, ms: i64);
}

/// Why a call could not be given its turn (transient: the call is tried again later).
#[derive(Debug, thiserror::Error)]
pub enum PacerError {
    #[error("rate gate unavailable: {0}")]
    GateUnavailable(#[from] StoreError),
}

/// The shared BKN call schedule and its adaptive rate ([`ehrm_sync_domain::rate`]): each call takes the
/// next free slot. Adapters keep one [`GateState`] and change it atomically with the policy's
/// pure functions ([`RatePolicy::reserve`], [`RatePolicy::throttled`]).
#[async_trait]
pub trait RateGate: Send + Sync {
    /// Reserves the earliest slot at or after `now` at the current rate; returns its time.
    async fn reserve(&self, now: Millis, policy: &RatePolicy) -> Result<Millis, StoreError>;
    /// BKN answered `429` to the call in `slot`: cut the rate, hold every call to `hold_until`.
    async fn throttled(
        &self,
        now: Millis,
        slot: Option<Millis>,
        hold_until: Millis,
        policy: &RatePolicy,
    ) -> Result<(), StoreError>;
    /// Pushes every future slot to `until` or later (BKN asked us to wait: Retry-After).
    async fn hold_until(&self, until: Millis, policy: &RatePolicy) -> Result<(), StoreError>;
    /// The state as stored (`None` before the first call).
    async fn gate_state(&self) -> Result<Option<GateState>, StoreError>;
}

/// Asked by the BKN client just before it sends a request that changes data.
pub trait WriteGuard: Send + Sync {
    /// `Err` when the write must not be sent.
    fn check(&self) -> Result<(), BknError>;
}

/// Allows every write (reconciliation reads, tools without leases).
pub struct Unguarded;

impl WriteGuard for Unguarded {
    fn check(&self) -> Result<(), BknError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Reconciliation's reads

/// An entry of BKN's promotion or retirement list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedPns {
    pub nip: String,
    pub pns_id: Option<String>,
    pub nama: Option<String>,
}

/// BKN SIASN's reads for reconciliation. Every call counts against the shared rate.
#[async_trait]
pub trait BknDirectory: Send + Sync {
    /// data-utama, and when the employee exists: rw-jabatan, rw-skp22, rw-kinerjaperiodik.
    async fn employee(&self, nip: &Nip) -> Result<Option<EmployeeFacts>, BknError>;
    /// All pages of ref-unor.
    async fn units(&self) -> Result<Vec<UnitFacts>, BknError>;
    /// `list-kp-instansi` for one period (`yyyy-mm-dd`).
    async fn promotion_list(&self, periode: time::Date) -> Result<Vec<ListedPns>, BknError>;
    /// `list-pensiun-instansi` between two dates.
    async fn retirement_list(
        &self,
        from: time::Date,
        to: time::Date,
    ) -> Result<Vec<ListedPns>, BknError>;
    /// BKN API calls made so far by this client (for the run's budget figures).
    fn calls_made(&self) -> u64;
}

// ---------------------------------------------------------------------------------------------
// The readiness check's reads

/// A per-person history at BKN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum History {
    Golongan,
    Skp22,
    Jabatan,
    Hukdis,
    AngkaKredit,
    Pendidikan,
}

impl History {
    pub fn path(self) -> &'static str {
        match self {
            History::Golongan => "rw-golongan",
            History::Skp22 => "rw-skp22",
            History::Jabatan => "rw-jabatan",
            History::Hukdis => "rw-hukdis",
            History::AngkaKredit => "rw-angkakredit",
            History::Pendidikan => "rw-pendidikan",
        }
    }
}

/// The histories, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum HistoryRows {
    Golongan(Vec<GolonganRow>),
    Skp22(Vec<SkpRow>),
    Jabatan(Vec<JabatanRow>),
    Hukdis(Vec<HukdisRow>),
    AngkaKredit(Vec<AngkaKreditRow>),
    Pendidikan(Vec<PendidikanRow>),
}

/// BKN SIASN's reads for the readiness check. Every call counts against the shared rate.
#[async_trait]
pub trait BknReadiness: Send + Sync {
    /// `list-kp-instansi` of one monthly period, all pages.
    async fn kp_proposals(&self, periode: Date) -> Result<Vec<Proposal>, BknError>;
    /// `list-pensiun-instansi` between two dates (inclusive).
    async fn pension_proposals(&self, from: Date, to: Date) -> Result<Vec<Proposal>, BknError>;
    /// data-utama; `None` when BKN does not know the NIP.
    async fn profile(&self, nip: &Nip) -> Result<Option<BknProfile>, BknError>;
    async fn history(&self, nip: &Nip, which: History) -> Result<HistoryRows, BknError>;
    /// BKN API calls made so far by this client.
    fn calls_made(&self) -> u64;
}
