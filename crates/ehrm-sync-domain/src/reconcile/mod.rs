//! Reconciliation (reconciliation): eHRM's and BKN's view of the four data sets (employees, position
//! history, structural officials, the work-unit tree) and of performance records, normalised and
//! compared field by field.
//!
//! Adapters fill the `*Facts` types with the values as each side writes them (eHRM: ISO dates,
//! `III/d`, `II.a`; BKN: `dd-mm-yyyy`, `34`, `21`); [`normalize`] brings both to one notation,
//! [`compare`] produces [`Discrepancy`] rows, and [`report`] writes them as `docs/ehrm-contract.md` ("The reconciliation report")
//! asks (JSON list, CSV with a BOM and Indonesian headers); [`words`] names a field for people.

pub mod compare;
pub mod normalize;
pub mod report;
pub mod words;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// The data sets compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DataSet {
    Pegawai,
    Jabatan,
    PejabatStruktural,
    Unor,
    Kinerja,
}

impl DataSet {
    pub const ALL: [DataSet; 5] = [
        DataSet::Pegawai,
        DataSet::Jabatan,
        DataSet::PejabatStruktural,
        DataSet::Unor,
        DataSet::Kinerja,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DataSet::Pegawai => "pegawai",
            DataSet::Jabatan => "jabatan",
            DataSet::PejabatStruktural => "pejabat_struktural",
            DataSet::Unor => "unor",
            DataSet::Kinerja => "kinerja",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Kind {
    MissingAtBkn,
    MissingInEhrm,
    Differs,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::MissingAtBkn, Kind::MissingInEhrm, Kind::Differs];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MissingAtBkn => "missing_at_bkn",
            Kind::MissingInEhrm => "missing_in_ehrm",
            Kind::Differs => "differs",
        }
    }
}

/// Which side decides the value (`docs/reconciliation.md`, "Who decides").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Authority {
    Ehrm,
    Bkn,
}

impl Authority {
    pub fn as_str(self) -> &'static str {
        match self {
            Authority::Ehrm => "ehrm",
            Authority::Bkn => "bkn",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Action {
    /// Re-queued for delivery to BKN through the normal path (performance records).
    QueuedForBkn,
    /// Sent to eHRM as a signed callback (BKN-authoritative values).
    SentToEhrm,
    /// Left for a person.
    NeedsReview,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::QueuedForBkn => "queued_for_bkn",
            Action::SentToEhrm => "sent_to_ehrm",
            Action::NeedsReview => "needs_review",
        }
    }
}

/// Most urgent first: the order of the variants is the order of the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Priority {
    /// In BKN's promotion list for the coming period.
    KenaikanPangkat,
    /// Retiring within 12 months.
    Pensiun,
    /// Holds (or is) a structural post.
    Struktural,
    Normal,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::KenaikanPangkat,
        Priority::Pensiun,
        Priority::Struktural,
        Priority::Normal,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::KenaikanPangkat => "kenaikan_pangkat",
            Priority::Pensiun => "pensiun",
            Priority::Struktural => "struktural",
            Priority::Normal => "normal",
        }
    }
}

/// One row of the report (`docs/ehrm-contract.md`, "The reconciliation report").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Discrepancy {
    pub data_set: DataSet,
    pub kind: Kind,
    pub nip: Option<String>,
    pub unor_id: Option<String>,
    pub field: Option<String>,
    pub ehrm_value: Option<String>,
    pub bkn_value: Option<String>,
    pub authority: Authority,
    pub action: Action,
    pub priority: Priority,
    /// Why the row was left for a person (a rule eHRM's row breaks, a period BKN lists without
    /// months, …); absent when the action says it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The eHRM unit of the employee a row is about, for filtering by unit; not part of the
    /// contract's report (unit rows carry their unit in `unor_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Discrepancy {
    /// A stable identity within a run, so that re-processing an employee after a resume
    /// overwrites its rows instead of adding them twice.
    pub fn row_key(&self) -> String {
        let subject = self
            .nip
            .as_deref()
            .or(self.unor_id.as_deref())
            .unwrap_or("");
        let what = self
            .field
            .clone()
            .or_else(|| self.ehrm_value.clone())
            .or_else(|| self.bkn_value.clone())
            .unwrap_or_default();
        format!(
            "{}|{}|{}|{}",
            self.data_set.as_str(),
            subject,
            self.kind.as_str(),
            what
        )
    }

    /// The unit a row belongs to: the unit itself, or the employee's eHRM unit.
    pub fn unit_code(&self) -> Option<&str> {
        self.unor_id.as_deref().or(self.unit.as_deref())
    }

    /// The identity of a finding across runs: data set, subject, field and both values. The
    /// same difference found again has the same id (so its follow-up carries over); once either
    /// value changes, it is another finding.
    pub fn finding_id(&self) -> String {
        use sha2::{Digest, Sha256};
        let parts = [
            self.data_set.as_str(),
            self.kind.as_str(),
            self.nip.as_deref().unwrap_or(""),
            self.unor_id.as_deref().unwrap_or(""),
            self.field.as_deref().unwrap_or(""),
            self.ehrm_value.as_deref().unwrap_or("\u{0}"),
            self.bkn_value.as_deref().unwrap_or("\u{0}"),
        ];
        let mut hash = Sha256::new();
        for p in parts {
            hash.update((p.len() as u64).to_be_bytes());
            hash.update(p.as_bytes());
        }
        hash.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The report's order: priority, data set, subject, field.
    pub fn sort_key(&self) -> (Priority, DataSet, String, String) {
        let subject = self
            .nip
            .as_deref()
            .or(self.unor_id.as_deref())
            .unwrap_or("");
        (
            self.priority,
            self.data_set,
            subject.to_string(),
            self.row_key(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// What each side says, as read (not yet normalised).

/// An employee's master data (eHRM `pegawai`, BKN `data-utama`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PegawaiFacts {
    pub nip: String,
    pub nama: Option<String>,
    pub gelar_depan: Option<String>,
    pub gelar_belakang: Option<String>,
    pub tgl_lahir: Option<String>,
    pub jenis_kelamin: Option<String>,
    pub golongan: Option<String>,
    pub tmt_golongan: Option<String>,
    pub jenis_jabatan: Option<String>,
    pub jabatan: Option<String>,
    pub eselon: Option<String>,
    /// eHRM: its own unit code; BKN: the SIASN UNOR id.
    pub unor: Option<String>,
    pub tmt_cpns: Option<String>,
    pub tmt_pensiun: Option<String>,
    /// BKN only: the SIASN PNS id.
    pub pns_id: Option<String>,
}

/// One entry of the position history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JabatanFacts {
    /// BKN: its id of the row (to update a differing copy instead of adding one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bkn_id: Option<String>,
    /// eHRM: its `riwayat_id` and `version`, when its read API serves them (then a position
    /// BKN lacks can be queued from the row itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub riwayat_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// eHRM: BKN's JF or JFU reference of a functional or executive post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referensi: Option<String>,
    pub jenis_jabatan: Option<String>,
    pub nama_jabatan: Option<String>,
    /// eHRM: its own unit code; BKN: the SIASN UNOR id.
    pub unor: Option<String>,
    pub eselon: Option<String>,
    pub nomor_sk: Option<String>,
    pub tanggal_sk: Option<String>,
    pub tmt_jabatan: Option<String>,
    pub tmt_pelantikan: Option<String>,
}

/// The appraiser, as eHRM holds it (needed to re-deliver a record).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenilaiFacts {
    pub nip: String,
    pub nama: String,
    pub jabatan: String,
    pub unor_nama: String,
    pub golongan_id: String,
    pub status: String,
}

/// One performance record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KinerjaFacts {
    pub tahun: i32,
    /// `tahunan` or `periodik`.
    pub jenis: String,
    /// `bulanan` / `triwulan` for periodic records.
    pub periodik: Option<String>,
    pub bulan_mulai: Option<u8>,
    pub bulan_selesai: Option<u8>,
    pub hasil_kinerja: Option<u8>,
    pub perilaku_kerja: Option<u8>,
    pub predikat: Option<u8>,
    pub koefisien_id: Option<String>,
    /// eHRM: the row version.
    pub version: Option<u64>,
    /// BKN: the riwayat id.
    pub bkn_id: Option<String>,
    /// eHRM: the appraiser, when the resource carries it.
    pub penilai: Option<PenilaiFacts>,
}

impl KinerjaFacts {
    /// `tahunan/2024`, `triwulan/2024/01`, `bulanan/2024/03`.
    pub fn label(&self) -> String {
        match (self.jenis.as_str(), self.periodik.as_deref()) {
            ("periodik", Some(p)) => format!(
                "{}/{}/{:02}",
                p.trim().to_lowercase(),
                self.tahun,
                self.bulan_mulai.unwrap_or(0)
            ),
            _ => format!("tahunan/{}", self.tahun),
        }
    }
}

/// Everything one side holds about one employee.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeFacts {
    pub pegawai: PegawaiFacts,
    pub jabatan: Vec<JabatanFacts>,
    pub kinerja: Vec<KinerjaFacts>,
}

/// A work unit (eHRM `unor`, BKN `ref-unor`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFacts {
    /// eHRM: its own code; BKN: the SIASN UNOR id.
    pub id: String,
    /// eHRM only: the SIASN UNOR id it is mapped to.
    pub bkn_id: Option<String>,
    pub nama: Option<String>,
    /// eHRM: the parent's eHRM code; BKN: `DiatasanId`.
    pub parent: Option<String>,
    pub eselon: Option<String>,
    pub nama_jabatan: Option<String>,
    /// BKN only: `PemimpinPnsId`.
    pub head_pns_id: Option<String>,
}

/// eHRM `pejabat_struktural`: who holds a structural post.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructuralPost {
    pub unor_id: String,
    pub nama_jabatan: Option<String>,
    pub eselon: Option<String>,
    /// `None` when the post is vacant.
    pub nip: Option<String>,
    pub tmt_jabatan: Option<String>,
}

/// Months of promotion periods read ahead by default.
pub const DEFAULT_KP_HORIZON_MONTHS: u32 = 6;

/// The promotion periods to read, in order: since 1 October 2025 (Perban BKN 4/2025) a
/// kenaikan pangkat takes effect on the 1st of any month, so these are the `months` coming
/// 1sts of the month — today's when today is a 1st. At least one period is always returned.
pub fn kp_periods(today: Date, months: u32) -> Vec<Date> {
    let mut first = today.replace_day(1).unwrap_or(today);
    if first < today {
        first = next_month(first);
    }
    let mut out = vec![first];
    for _ in 1..months.clamp(1, 24) {
        let next = next_month(*out.last().unwrap_or(&first));
        out.push(next);
    }
    out
}

/// The 1st of the month after `first` (a 1st of the month).
fn next_month(first: Date) -> Date {
    let (year, month) = match first.month() {
        Month::December => (first.year() + 1, Month::January),
        m => (first.year(), m.next()),
    };
    Date::from_calendar_date(year, month, 1).unwrap_or(first)
}

/// The promotion period a regular promotion due on `due` falls in: the first 1st of the month
/// on or after it.
pub fn kp_period_of(due: Date) -> Date {
    if due.day() == 1 {
        due
    } else {
        next_month(due.replace_day(1).unwrap_or(due))
    }
}

/// The retirement window: people whose retirement date falls within 12 months of `today`.
pub fn retirement_window(today: Date) -> (Date, Date) {
    let until = today
        .replace_year(today.year() + 1)
        .unwrap_or(today.saturating_add(time::Duration::days(365)));
    (today, until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_periods_are_the_coming_firsts_of_the_month() {
        let d = |y, m, day| Date::from_calendar_date(y, m, day).expect("date");
        assert_eq!(
            kp_periods(d(2026, Month::December, 15), 4),
            vec![
                d(2027, Month::January, 1),
                d(2027, Month::February, 1),
                d(2027, Month::March, 1),
                d(2027, Month::April, 1)
            ]
        );
        assert_eq!(
            kp_periods(d(2026, Month::April, 1), 2),
            vec![d(2026, Month::April, 1), d(2026, Month::May, 1)]
        );
        assert_eq!(kp_periods(d(2026, Month::May, 2), 0).len(), 1);
        assert_eq!(kp_periods(d(2026, Month::May, 2), 1000).len(), 24);
        assert_eq!(
            kp_period_of(d(2026, Month::December, 2)),
            d(2027, Month::January, 1)
        );
        assert_eq!(
            kp_period_of(d(2026, Month::June, 1)),
            d(2026, Month::June, 1)
        );
        assert_eq!(
            retirement_window(d(2024, Month::February, 29)).1,
            d(2025, Month::March, 1).previous_day().expect("date")
        );
    }
}
