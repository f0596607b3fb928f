//! The `kinerja` data set: annual and periodic performance records matched by period; what
//! BKN lacks or holds differently becomes a repair.

use std::collections::{HashMap, HashSet};

use super::*;

pub(super) fn kinerja_summary(k: &KinerjaFacts) -> String {
    let v = |x: Option<u8>| x.map_or("-".to_string(), |n| n.to_string());
    format!(
        "{} hasil={} perilaku={} predikat={}",
        k.label(),
        v(k.hasil_kinerja),
        v(k.perilaku_kerja),
        v(k.predikat)
    )
}

pub(super) fn compare_kinerja(
    rows: &mut Rows<'_>,
    ehrm: &[KinerjaFacts],
    bkn: &[KinerjaFacts],
) -> Vec<KinerjaRepair> {
    let mut b: HashMap<String, &KinerjaFacts> = HashMap::new();
    for k in bkn {
        // A second BKN record for one period is not compared twice; the first is kept.
        b.entry(k.label()).or_insert(k);
    }
    let mut repairs = Vec::new();
    let mut matched = HashSet::new();
    for ek in ehrm {
        let label = ek.label();
        let Some(bk) = b.get(&label) else {
            let row = rows.push(
                DataSet::Kinerja,
                Kind::MissingAtBkn,
                None,
                Some(kinerja_summary(ek)),
                None,
                Authority::Ehrm,
                Action::QueuedForBkn,
            );
            repairs.push(KinerjaRepair {
                nip: rows.nip.to_string(),
                record: ek.clone(),
                bkn_id: None,
                rows: vec![row],
            });
            continue;
        };
        matched.insert(label.clone());
        let found = differing_fields(rows, &label, ek, bk);
        if !found.is_empty() {
            repairs.push(KinerjaRepair {
                nip: rows.nip.to_string(),
                record: ek.clone(),
                bkn_id: bk.bkn_id.clone(),
                rows: found,
            });
        }
    }
    report_unknown_to_ehrm(rows, bkn, &matched);
    repairs
}

/// The rows of one period's fields that differ (their indexes).
fn differing_fields(
    rows: &mut Rows<'_>,
    label: &str,
    ek: &KinerjaFacts,
    bk: &KinerjaFacts,
) -> Vec<usize> {
    let num = |x: Option<u8>| x.map(|n| n.to_string());
    let mut fields = vec![
        (
            "hasil_kinerja",
            num(ek.hasil_kinerja),
            num(bk.hasil_kinerja),
        ),
        (
            "perilaku_kerja",
            num(ek.perilaku_kerja),
            num(bk.perilaku_kerja),
        ),
        ("predikat", num(ek.predikat), num(bk.predikat)),
    ];
    if ek.jenis == "periodik" {
        fields.push((
            "bulan_selesai",
            num(ek.bulan_selesai),
            num(bk.bulan_selesai),
        ));
    }
    fields
        .into_iter()
        .filter_map(|(name, ev, bv)| {
            rows.field(
                DataSet::Kinerja,
                format!("{label}.{name}"),
                ev,
                bv,
                Authority::Ehrm,
            )
        })
        .collect()
}

/// Periods BKN holds that eHRM does not: one row each, for people to look at.
fn report_unknown_to_ehrm(rows: &mut Rows<'_>, bkn: &[KinerjaFacts], matched: &HashSet<String>) {
    let mut extra: Vec<&KinerjaFacts> = bkn
        .iter()
        .filter(|k| !matched.contains(&k.label()))
        .collect();
    extra.sort_by_key(|k| k.label());
    extra.dedup_by_key(|k| k.label());
    for bk in extra {
        rows.push(
            DataSet::Kinerja,
            Kind::MissingInEhrm,
            None,
            None,
            Some(kinerja_summary(bk)),
            Authority::Ehrm,
            Action::NeedsReview,
        );
    }
}
