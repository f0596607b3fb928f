//! The readiness rules as data (`docs/readiness-rules.md`, "The rules"): what each reads at BKN, the regulation or
//! source it rests on, its severity and how sure the underlying fact is.

use serde::{Deserialize, Serialize};

/// A rule's identity, as `docs/readiness-rules.md` numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RuleId {
    K1,
    K2,
    K3,
    K4,
    K5,
    K6,
    K7,
    K8,
    K9,
    K10,
    K11,
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
}

impl RuleId {
    pub fn as_str(self) -> &'static str {
        rule(self).code
    }

    pub fn parse(s: &str) -> Option<RuleId> {
        RULES
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(s.trim()))
            .map(|r| r.id)
    }
}

/// `block`: the decree or pension will not go through until fixed; `warn`: it may be delayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Block,
    Warn,
}

impl Severity {
    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Severity::Block => ("menghalangi", "blocks"),
            Severity::Warn => ("peringatan", "warning"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Block => "block",
            Severity::Warn => "warn",
        }
    }
}

/// The marks of `docs/readiness-rules.md`: V seen in a source, S secondary, U unverified, I inference;
/// `V/S` where the presence is verified and the threshold secondary.
pub type Confidence = &'static str;

/// One row of the rule table.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub id: RuleId,
    pub code: &'static str,
    /// `kp` or `pensiun`.
    pub service: &'static str,
    /// BKN reads (data-utama is always read).
    pub reads: &'static [&'static str],
    pub basis: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    pub title_id: &'static str,
    pub title_en: &'static str,
}

macro_rules! rule {
    ($id:ident, $svc:literal, [$($r:literal),*], $basis:literal, $sev:ident, $conf:literal, $tid:literal, $ten:literal) => {
        Rule {
            id: RuleId::$id,
            code: stringify!($id),
            service: $svc,
            reads: &[$($r),*],
            basis: $basis,
            severity: Severity::$sev,
            confidence: $conf,
            title_id: $tid,
            title_en: $ten,
        }
    };
}

/// Every rule, in `docs/readiness-rules.md`'s order. K6 and K8 run only when configured
/// ([`super::ReadinessConfig`]).
pub const RULES: [Rule; 18] = [
    rule!(
        K1,
        "kp",
        ["list-kp-instansi"],
        "SIASN status_usul reference",
        Block,
        "V",
        "Usulan KP bermasalah di BKN",
        "Promotion proposal has a problem status at BKN"
    ),
    rule!(
        K2,
        "kp",
        ["list-kp-instansi"],
        "BKN's lists hold proposals, not candidates",
        Warn,
        "I",
        "Memenuhi syarat menurut eHRM tetapi belum ada usulan KP di BKN",
        "Due by eHRM's data but no promotion proposal at BKN"
    ),
    rule!(
        K3,
        "kp",
        ["data-utama", "rw-golongan"],
        "PP 99/2000 Ps 7, 9, 10, 13; Perban BKN 11/2022 Ps 39",
        Block,
        "V/S",
        "Masa dalam pangkat / riwayat golongan",
        "Time in rank / rank history"
    ),
    rule!(
        K4,
        "kp",
        ["rw-skp22"],
        "PP 99/2000 Ps 7, 13; Perban BKN 11/2022 Ps 39; SE BKN 19/2022; COM_1",
        Block,
        "V/S",
        "SKP 2 tahun terakhir di SIASN",
        "Annual SKP of the last two years at SIASN"
    ),
    rule!(
        K5,
        "kp",
        ["data-utama", "rw-jabatan"],
        "PP 99/2000 Ps 9-13",
        Block,
        "S",
        "Jabatan sesuai jenis KP",
        "Position fits the kind of promotion"
    ),
    rule!(
        K6,
        "kp",
        ["rw-angkakredit"],
        "PermenPANRB 1/2023; Perban BKN 11/2022 Ps 39",
        Block,
        "S (table U)",
        "Angka kredit jabatan fungsional",
        "Functional position credit points"
    ),
    rule!(
        K7,
        "kp",
        ["data-utama", "rw-pendidikan"],
        "PP 99/2000 Ps 8",
        Block,
        "V/S",
        "Batas pangkat menurut pendidikan",
        "Rank ceiling by education"
    ),
    rule!(
        K8,
        "kp",
        ["rw-pendidikan"],
        "Kep BKN 12/2002 practice",
        Warn,
        "S",
        "Ujian dinas (STLUD)",
        "Service examination (STLUD)"
    ),
    rule!(
        K9,
        "kp",
        ["data-utama"],
        "practice; the pension data list (DPCP)",
        Block,
        "S",
        "Kedudukan hukum tidak aktif",
        "Legal status not active"
    ),
    rule!(
        K10,
        "kp",
        ["rw-hukdis"],
        "Kanreg I BKN 2023; PP 94/2021",
        Block,
        "S",
        "Hukuman disiplin masih berlaku",
        "Disciplinary penalty in force"
    ),
    rule!(
        K11,
        "kp",
        ["data-utama"],
        "BKN kualitas data CON_1-3, TIM_1, COM_3",
        Warn,
        "V",
        "Konsistensi identitas di SIASN",
        "Identity consistency at SIASN"
    ),
    rule!(
        R1,
        "pensiun",
        ["data-utama", "rw-jabatan"],
        "PP 11/2017 Ps 239; UU 20/2023 Ps 55",
        Block,
        "V/S",
        "BUP / TMT pensiun",
        "Retirement age / retirement date"
    ),
    rule!(
        R2,
        "pensiun",
        ["list-pensiun-instansi"],
        "Kanreg X BKN (15 months); Perban BKN 3/2020 Ps 8 i",
        Warn,
        "S",
        "Belum ada usulan pensiun di BKN",
        "No retirement proposal at BKN"
    ),
    rule!(
        R3,
        "pensiun",
        ["list-pensiun-instansi"],
        "SIASN status_usul reference",
        Block,
        "V",
        "Usulan pensiun bermasalah di BKN",
        "Retirement proposal has a problem status at BKN"
    ),
    rule!(
        R4,
        "pensiun",
        ["data-utama", "rw-golongan"],
        "the pension file list (DPCP)",
        Warn,
        "S",
        "Kelengkapan data pensiun",
        "Retirement data completeness"
    ),
    rule!(
        R5,
        "pensiun",
        ["rw-skp22"],
        "pension file: SKP 1 tahun terakhir; KP pengabdian",
        Warn,
        "S",
        "SKP tahun terakhir di SIASN",
        "Last year's SKP at SIASN"
    ),
    rule!(
        R6,
        "pensiun",
        ["list-pensiun-instansi", "data-utama"],
        "KP pengabdian; BUP KPP in SIASN's pension list",
        Warn,
        "S",
        "KP pengabdian diharapkan tetapi tidak ada di usulan",
        "Service promotion expected but not in the proposal"
    ),
    rule!(
        R7,
        "pensiun",
        ["data-utama"],
        "BKN kualitas data TIM_5",
        Block,
        "V",
        "Telah masuk BUP tetapi masih aktif",
        "Past retirement age but still active"
    ),
];

pub fn rule(id: RuleId) -> &'static Rule {
    // The table holds every id in declaration order.
    &RULES[id as usize]
}
