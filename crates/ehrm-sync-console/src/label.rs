//! Codes people see as words. Every enum a page shows implements [`Label`]: each value has an
//! Indonesian and an English label, written as an exhaustive `match`, so a new value without a
//! label does not compile (no raw code on a page). The code stays the value of filters, links
//! and `data-code` attributes; the workbooks and CSV keep codes where formulas and machines read
//! them.

use maud::{Markup, html};

use ehrm_sync_core::ports::{AttemptOutcome, MarkState, Operation, Operations, RunStatus};
use ehrm_sync_domain::readiness::rules::{RULES, RuleId, rule};
use ehrm_sync_domain::readiness::{Service, Severity, Side};
use ehrm_sync_domain::reconcile::{Action, Authority, DataSet, Kind, Priority};
use ehrm_sync_domain::record::{RecordType, SyncStatus};
use ehrm_sync_domain::sso::{SsoKind, WaitReason};

use crate::i18n::Lang;

/// A value people choose or read, with its code and its words in both languages.
pub trait Label: Copy + PartialEq + Sized + 'static {
    /// Every value, in the order lists show them.
    const ALL: &'static [Self];
    /// The code (query strings, `data-code`, stored data).
    fn code(self) -> &'static str;
    /// The words in `lang`.
    fn label(self, lang: Lang) -> &'static str;

    fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// `Label` for an enum whose codes come from its `as_str`: the values, then each value's
/// Indonesian and English words.
macro_rules! labels {
    ($t:ty, [$($v:expr),+ $(,)?], |$x:ident| $words:expr) => {
        labels!($t, &[$($v),+], |$x| $words);
    };
    ($t:ty, $all:expr, |$x:ident| $words:expr) => {
        impl Label for $t {
            const ALL: &'static [Self] = $all;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn label(self, lang: Lang) -> &'static str {
                let $x = self;
                let (id, en): (&'static str, &'static str) = $words;
                lang.t(id, en)
            }
        }
    };
}

labels!(SsoKind, &SsoKind::ALL, |k| (k.words_id(), k.words_en()));

labels!(WaitReason, &WaitReason::ALL, |r| (
    r.words_id(),
    r.words_en()
));

labels!(DataSet, &DataSet::ALL, |d| d.words());

labels!(Kind, &Kind::ALL, |k| k.words());

labels!(Priority, &Priority::ALL, |p| p.words());

labels!(Authority, [Authority::Ehrm, Authority::Bkn], |a| a.words());

labels!(
    Action,
    [
        Action::QueuedForBkn,
        Action::SentToEhrm,
        Action::NeedsReview
    ],
    |a| a.words()
);

labels!(SyncStatus, &SyncStatus::ALL, |s| match s {
    SyncStatus::Pending => ("menunggu", "pending"),
    SyncStatus::Sending => ("sedang dikirim", "sending"),
    SyncStatus::Synced => ("tersinkron", "synced"),
    SyncStatus::Retrying => ("dicoba lagi", "retrying"),
    SyncStatus::Failed => ("ditolak BKN", "refused by BKN"),
    SyncStatus::Dead => ("gagal permanen", "dead"),
    SyncStatus::NeedsAction => ("perlu tindakan", "needs action"),
});

labels!(
    RecordType,
    [
        RecordType::KinerjaTahunan,
        RecordType::KinerjaPeriodik,
        RecordType::Jabatan
    ],
    |t| match t {
        RecordType::KinerjaTahunan => ("SKP tahunan", "annual SKP"),
        RecordType::KinerjaPeriodik => ("kinerja periodik", "periodic evaluation"),
        RecordType::Jabatan => ("riwayat jabatan", "position history"),
    }
);

labels!(
    AttemptOutcome,
    [
        AttemptOutcome::Delivered,
        AttemptOutcome::Transient,
        AttemptOutcome::Permanent,
        AttemptOutcome::NeedsAction,
    ],
    |o| match o {
        AttemptOutcome::Delivered => ("diterima BKN", "delivered"),
        AttemptOutcome::Transient => ("gangguan sementara", "transient failure"),
        AttemptOutcome::Permanent => ("ditolak BKN", "refused by BKN"),
        AttemptOutcome::NeedsAction => ("perlu tindakan", "needs action"),
    }
);

labels!(Operation, &Operation::ALL, |o| match o {
    Operation::Check => ("pemeriksaan data", "data check"),
    Operation::Upload => ("unggah dokumen SK", "SK document upload"),
    Operation::Refresh => ("pembaruan data utama", "data-utama refresh"),
    Operation::Document => ("baca dokumen eHRM", "eHRM document read"),
    Operation::DataUtama => ("baca data utama", "data-utama read"),
    Operation::Lookup => ("cari di riwayat BKN", "look-up in BKN's history"),
    Operation::Create => ("buat baru", "create"),
    Operation::Update => ("perbarui", "update"),
    Operation::Delete => ("hapus", "delete"),
});

/// An attempt's operations in words, in order.
pub fn operations(lang: Lang, ops: &Operations) -> String {
    let words: Vec<&str> = ops.0.iter().map(|o| o.label(lang)).collect();
    words.join(", ")
}

labels!(MarkState, &MarkState::ALL, |m| m.words());

labels!(
    RunStatus,
    [
        RunStatus::Running,
        RunStatus::Paused,
        RunStatus::Finished,
        RunStatus::Abandoned
    ],
    |s| match s {
        RunStatus::Running => ("berjalan", "running"),
        RunStatus::Paused => ("jeda", "paused"),
        RunStatus::Finished => ("selesai", "finished"),
        RunStatus::Abandoned => ("ditinggalkan", "abandoned"),
    }
);

labels!(Service, [Service::Kp, Service::Pensiun], |s| s.words());

labels!(Severity, [Severity::Block, Severity::Warn], |s| s.words());

labels!(Side, [Side::BknData, Side::EhrmData, Side::Usulan], |s| s
    .words());

/// Rules read as their titles (their codes, `K4`, are shown beside them where they are listed).
impl Label for RuleId {
    const ALL: &'static [Self] = &[
        RuleId::K1,
        RuleId::K2,
        RuleId::K3,
        RuleId::K4,
        RuleId::K5,
        RuleId::K6,
        RuleId::K7,
        RuleId::K8,
        RuleId::K9,
        RuleId::K10,
        RuleId::K11,
        RuleId::R1,
        RuleId::R2,
        RuleId::R3,
        RuleId::R4,
        RuleId::R5,
        RuleId::R6,
        RuleId::R7,
    ];

    fn code(self) -> &'static str {
        self.as_str()
    }

    fn label(self, lang: Lang) -> &'static str {
        let r = rule(self);
        lang.t(r.title_id, r.title_en)
    }
}

/// Every rule of the table has a place in [`RuleId::ALL`] (checked where both are known).
const _: () = assert!(RULES.len() == <RuleId as Label>::ALL.len());

/// A filter's choices: `all`, then every value of `T` (code as the value, words as the text).
pub fn select<T: Label>(lang: Lang, name: &str, chosen: Option<T>) -> Markup {
    options(lang, name, chosen, T::ALL)
}

/// As [`select`], for some values only.
pub fn options<T: Label>(lang: Lang, name: &str, chosen: Option<T>, values: &[T]) -> Markup {
    html! {
        select name=(name) id={ "f-" (name) } {
            option value="" selected[chosen.is_none()] { (lang.t("semua", "all")) }
            @for v in values { option value=(v.code()) selected[chosen == Some(*v)] { (v.label(lang)) } }
        }
    }
}

/// A table cell showing `value` in words, its code in `data-code`.
pub fn cell<T: Label>(lang: Lang, value: T) -> Markup {
    html! { td data-code=(value.code()) { (value.label(lang)) } }
}

/// As [`cell`], with its column's name for the stacked cards of a narrow screen.
pub fn cell_in<T: Label>(lang: Lang, value: T, column: &str) -> Markup {
    html! { td data-code=(value.code()) data-label=(column) { (value.label(lang)) } }
}

/// A value of `T` from a query parameter: `None` when empty, the field and value when unknown.
pub fn parse_param<T: Label>(field: &'static str, value: &str) -> Result<Option<T>, BadParam> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    T::parse(value).map(Some).ok_or_else(|| BadParam {
        field,
        value: value.to_string(),
    })
}

/// A filter parameter the page does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadParam {
    pub field: &'static str,
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_code_shows<T: Label + std::fmt::Debug>() {
        for v in T::ALL {
            for lang in [Lang::Id, Lang::En] {
                let words = v.label(lang);
                assert!(!words.contains('_'), "{v:?} in {lang:?}: {words}");
                assert!(!words.is_empty());
            }
            assert_eq!(T::parse(v.code()), Some(*v), "codes round-trip");
        }
    }

    #[test]
    fn every_value_a_page_shows_reads_as_words_in_both_languages() {
        no_code_shows::<DataSet>();
        no_code_shows::<Kind>();
        no_code_shows::<Priority>();
        no_code_shows::<Authority>();
        no_code_shows::<Action>();
        no_code_shows::<SyncStatus>();
        no_code_shows::<RecordType>();
        no_code_shows::<AttemptOutcome>();
        no_code_shows::<Operation>();
        no_code_shows::<MarkState>();
        no_code_shows::<RunStatus>();
        no_code_shows::<Service>();
        no_code_shows::<Severity>();
        no_code_shows::<Side>();
        assert_eq!(Kind::MissingAtBkn.label(Lang::Id), "tidak ada di BKN");
    }

    #[test]
    fn an_unknown_code_is_named() {
        assert_eq!(parse_param::<Kind>("kind", ""), Ok(None));
        assert_eq!(
            parse_param::<Kind>("kind", "differs"),
            Ok(Some(Kind::Differs))
        );
        assert_eq!(
            parse_param::<Kind>("kind", "xyz"),
            Err(BadParam {
                field: "kind",
                value: "xyz".into()
            })
        );
    }
}
