//! Promotion (kenaikan pangkat, KP) and retirement (pensiun) readiness: for each person facing
//! a KP period or a retirement date, which facts at BKN (SIASN) would block or delay the decree,
//! which side must act, and by when. Rules are data ([`rules::RULES`]); the checks are pure
//! functions of what was read ([`facts`]); `docs/readiness-rules.md` is their source.

pub mod bup;
pub mod codes;
pub mod facts;
pub mod kp;
pub mod pensiun;
pub mod rules;
mod skp;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::dates::format_iso_date;
use crate::reconcile::{Action, KinerjaFacts};
pub use facts::{BknPerson, BknProfile, EhrmPerson, Proposal};
pub use kp::{KpCase, evaluate_kp, kp_extra_reads};
pub use pensiun::{KppFacts, evaluate_pensiun, expected_retirement};
pub use rules::{RULES, Rule, RuleId, Severity};

/// Settings of the rules that rest on tables not public (`docs/readiness-rules.md`, open question 6) or documents not
/// always in SIASN: K6 and K8 stay off until set. Read from a JSON file
/// (`READINESS_RULES_FILE`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadinessConfig {
    /// K6: credit points needed for a target golongan id (`{"34": 200}`); empty = K6 off.
    pub angka_kredit: BTreeMap<String, f64>,
    /// K8: service examinations checked.
    pub ujian_dinas: bool,
    /// Retirement ages of functional positions by name prefix (SIASN `bup_usia`).
    pub jf_bup: BTreeMap<String, u8>,
    /// A retirement proposal is expected this many months before TMT pensiun (Kanreg X: 15).
    pub pension_lead_months: u32,
    /// Without a proposal this close to TMT, R2 blocks (Perban BKN 3/2020 Ps 8 i: 3).
    pub pension_escalate_months: u32,
}

impl Default for ReadinessConfig {
    fn default() -> Self {
        ReadinessConfig {
            angka_kredit: BTreeMap::new(),
            ujian_dinas: false,
            jf_bup: BTreeMap::new(),
            pension_lead_months: 15,
            pension_escalate_months: 3,
        }
    }
}

/// eHRM's annual record to deliver, and BKN's id of its differing copy.
pub type SkpRepair = (KinerjaFacts, Option<String>);

/// Who must act.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Data at BKN (SIASN) is missing or wrong.
    BknData,
    /// Data in eHRM is missing or wrong (fix it there; the sync carries it on).
    EhrmData,
    /// The proposal (usulan) at BKN: file it, fix it, or wait.
    Usulan,
}

impl Side {
    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Side::BknData => ("data BKN", "BKN's data"),
            Side::EhrmData => ("data eHRM", "eHRM's data"),
            Side::Usulan => ("usulan", "the proposal (usulan)"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::BknData => "bkn_data",
            Side::EhrmData => "ehrm_data",
            Side::Usulan => "usulan",
        }
    }
}

/// `kp` or `pensiun`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Kp,
    Pensiun,
}

impl Service {
    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Service::Kp => ("KP", "promotion (KP)"),
            Service::Pensiun => ("pensiun", "retirement (pensiun)"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Kp => "kp",
            Service::Pensiun => "pensiun",
        }
    }
}

/// One blocker or risk for one person, rule and period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadinessFinding {
    pub nip: String,
    /// eHRM's unit of the person.
    #[serde(default)]
    pub unit: Option<String>,
    pub service: Service,
    /// The KP period, or TMT pensiun.
    pub period: Date,
    pub rule: RuleId,
    pub severity: Severity,
    pub side: Side,
    /// Fix by this date.
    pub deadline: Date,
    pub problem_id: String,
    pub problem_en: String,
    #[serde(default)]
    pub bkn_value: Option<String>,
    #[serde(default)]
    pub ehrm_value: Option<String>,
    /// The SKP year a K4/R5 finding is about.
    #[serde(default)]
    pub tahun: Option<i32>,
    /// `queued_for_bkn` when the run sent eHRM's record to BKN.
    #[serde(default)]
    pub action: Option<Action>,
    /// eHRM's annual record to deliver (and BKN's id of the differing copy), when the fix is
    /// data the sync owns. Consumed by the run; not reported.
    #[serde(skip)]
    pub repair: Option<SkpRepair>,
}

impl ReadinessFinding {
    /// Stable across runs while the same blocker persists: the key of follow-up marks.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.nip,
            self.service.as_str(),
            format_iso_date(self.period),
            self.rule.as_str(),
            self.tahun.map(|t| t.to_string()).unwrap_or_default()
        )
    }
}

/// What a check knows beyond the person: today and the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub today: Date,
    pub config: &'a ReadinessConfig,
}

/// Builds a finding with the rule's default severity.
pub(crate) struct Draft {
    pub rule: RuleId,
    pub side: Side,
    pub id: String,
    pub en: String,
    pub bkn: Option<String>,
    pub ehrm: Option<String>,
}

impl Draft {
    pub fn new(rule: RuleId, side: Side, id: impl Into<String>, en: impl Into<String>) -> Self {
        Draft {
            rule,
            side,
            id: id.into(),
            en: en.into(),
            bkn: None,
            ehrm: None,
        }
    }

    pub fn values(mut self, bkn: Option<String>, ehrm: Option<String>) -> Self {
        self.bkn = bkn;
        self.ehrm = ehrm;
        self
    }

    pub fn finish(
        self,
        nip: &str,
        service: Service,
        period: Date,
        deadline: Date,
    ) -> ReadinessFinding {
        ReadinessFinding {
            nip: nip.to_string(),
            unit: None,
            service,
            period,
            rule: self.rule,
            severity: rules::rule(self.rule).severity,
            side: self.side,
            deadline,
            problem_id: self.id,
            problem_en: self.en,
            bkn_value: self.bkn,
            ehrm_value: self.ehrm,
            tahun: None,
            action: None,
            repair: None,
        }
    }
}

/// A proposal stuck or refused (K1, R3): its status and reason, in the service's words
/// (`what`: Indonesian and English names of the proposal).
pub(crate) fn proposal_problem(rule: RuleId, p: &Proposal, what: (&str, &str)) -> Option<Draft> {
    if !p.status.as_deref().is_some_and(codes::problem_status) && p.alasan_tolak.is_none() {
        return None;
    }
    let status = format!(
        "{} {}",
        p.status.as_deref().unwrap_or("-"),
        p.status_nama.as_deref().unwrap_or("")
    );
    let status = status.trim();
    let why = p.alasan_tolak.as_deref().unwrap_or("-");
    Some(
        Draft::new(
            rule,
            Side::Usulan,
            format!(
                "{} berstatus {status} (alasan: {why}); perbaiki usulan segera",
                what.0
            ),
            format!(
                "{} in status {status} (reason: {why}); fix the proposal now",
                what.1
            ),
        )
        .values(Some(status.to_string()), None),
    )
}

/// One finding naming every problem found (`None` when there is none): `head` in Indonesian
/// and English, then the problems.
pub(crate) fn listing(
    rule: RuleId,
    side: Side,
    head: (&str, &str),
    problems: &[(&str, &str)],
) -> Option<Draft> {
    if problems.is_empty() {
        return None;
    }
    let id: Vec<&str> = problems.iter().map(|p| p.0).collect();
    let en: Vec<&str> = problems.iter().map(|p| p.1).collect();
    Some(Draft::new(
        rule,
        side,
        format!("{}: {}", head.0, id.join("; ")),
        format!("{}: {}", head.1, en.join("; ")),
    ))
}

/// `date` plus whole years (29 February → 28 February).
pub fn add_years(date: Date, years: i32) -> Date {
    let y = date.year() + years;
    date.replace_year(y)
        .or_else(|_| date.replace_day(28).and_then(|d| d.replace_year(y)))
        .unwrap_or(date)
}

/// `date` plus (or minus) whole months, the day clamped to the month's length.
pub fn add_months(date: Date, months: i32) -> Date {
    let total = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months;
    let (y, m) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    (1..=date.day())
        .rev()
        .find_map(|d| crate::dates::calendar_date(y, m, d))
        .unwrap_or(date)
}

pub(crate) fn iso(d: Option<Date>) -> String {
    d.map(format_iso_date).unwrap_or_else(|| "-".into())
}
