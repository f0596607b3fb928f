//! K4: the annual SKP of the two years before a promotion period, at BKN with a predikat of at
//! least Baik. A missing or differing record eHRM holds with a passing predikat is the sync's to
//! deliver (the finding carries it as its repair).

use time::Date;

use super::facts::{BknPerson, EhrmPerson, SkpRow};
use super::kp::KpCase;
use super::{Draft, ReadinessFinding, RuleId, Service, Severity, Side, SkpRepair};
use crate::reconcile::KinerjaFacts;

/// `predikat BAIK` (the code when it is none of BKN's five).
fn predikat(p: Option<u8>) -> String {
    let words = p.map_or_else(
        || "-".to_string(),
        |code| {
            crate::kinerja::Predikat::from_code(code)
                .map_or_else(|| code.to_string(), |p| p.label().to_string())
        },
    );
    format!("predikat {words}")
}

/// The finding for one year, `None` when BKN holds a passing record.
fn year_draft(
    tahun: i32,
    at_bkn: Option<&SkpRow>,
    ehrm_ok: Option<&KinerjaFacts>,
) -> Option<(Draft, Option<SkpRepair>)> {
    let d = |side, id: String, en: String| Draft::new(RuleId::K4, side, id, en);
    Some(match at_bkn {
        None => match ehrm_ok {
            Some(k) => (
                d(
                    Side::BknData,
                    format!(
                        "SKP {tahun} belum ada di SIASN; eHRM memilikinya dan ehrm-sync mengirimnya ke BKN"
                    ),
                    format!(
                        "SKP {tahun} is not at SIASN; eHRM holds it and ehrm-sync sends it to BKN"
                    ),
                ),
                Some((k.clone(), None)),
            ),
            None => (
                d(
                    Side::EhrmData,
                    format!(
                        "SKP {tahun} belum ada di SIASN dan tidak ada (atau predikatnya di bawah Baik) di eHRM"
                    ),
                    format!("SKP {tahun} is not at SIASN, and eHRM has none (or one below Baik)"),
                ),
                None,
            ),
        },
        Some(row) if !matches!(row.kuadran, Some(1 | 2)) => {
            match ehrm_ok.filter(|k| k.predikat != row.kuadran) {
                Some(k) => (
                    d(
                        Side::BknData,
                        format!(
                            "Predikat SKP {tahun} di SIASN di bawah Baik, berbeda dengan eHRM; ehrm-sync mengirim data eHRM ke BKN"
                        ),
                        format!(
                            "SKP {tahun} predikat at SIASN is below Baik and differs from eHRM; ehrm-sync sends eHRM's record to BKN"
                        ),
                    ),
                    Some((k.clone(), row.id.clone())),
                ),
                None => (
                    d(
                        Side::EhrmData,
                        format!(
                            "Predikat SKP {tahun} di bawah Baik: KP tidak dapat diproses pada periode ini kecuali penilaian diperbaiki"
                        ),
                        format!(
                            "SKP {tahun} predikat is below Baik: no promotion this period unless the appraisal is corrected"
                        ),
                    ),
                    None,
                ),
            }
        }
        Some(_) => return None,
    })
}

pub(super) fn k4_skp(
    case: &KpCase<'_>,
    bkn: &BknPerson,
    ehrm: Option<&EhrmPerson>,
    today: Date,
) -> Vec<ReadinessFinding> {
    let y = case.periode.year();
    let mut out = Vec::new();
    // A year not over yet cannot have its SKP; a later run checks it.
    for tahun in [y - 1, y - 2].into_iter().filter(|t| *t < today.year()) {
        let at_bkn = bkn.skp.iter().find(|s| s.tahun == tahun);
        let in_ehrm = ehrm.and_then(|e| e.annual(tahun));
        let ehrm_ok = in_ehrm.filter(|k| matches!(k.predikat, Some(1 | 2)));
        let Some((draft, repair)) = year_draft(tahun, at_bkn, ehrm_ok) else {
            continue;
        };
        let mut f = draft
            .values(
                at_bkn.map(|r| predikat(r.kuadran)),
                in_ehrm.map(|k| predikat(k.predikat)),
            )
            .finish(case.nip, Service::Kp, case.periode, case.periode);
        f.tahun = Some(tahun);
        f.repair = repair;
        // The last year's SKP is often final only in the first quarter (`docs/readiness-rules.md`, open question 2).
        if tahun == y - 1 && at_bkn.is_none() && u8::from(case.periode.month()) <= 3 {
            f.severity = Severity::Warn;
        }
        out.push(f);
    }
    out
}
