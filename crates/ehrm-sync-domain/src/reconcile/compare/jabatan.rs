//! The `jabatan` data set: position histories matched by TMT. eHRM is authoritative: a
//! position BKN lacks or holds differently is queued for delivery (a [`JabatanRepair`]); one
//! BKN holds that eHRM does not is left for a person.

use std::collections::{HashMap, HashSet};

use super::*;

/// Entries keyed by their normalised TMT (with `#2`, `#3` for several on one day).
pub(super) fn by_tmt(list: &[JabatanFacts]) -> Vec<(String, &JabatanFacts)> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::with_capacity(list.len());
    for j in list {
        let tmt = norm::date(j.tmt_jabatan.as_deref()).unwrap_or_else(|| "?".into());
        let n = seen.entry(tmt.clone()).or_insert(0);
        *n += 1;
        let key = if *n == 1 { tmt } else { format!("{tmt}#{n}") };
        out.push((key, j));
    }
    out
}

pub(super) fn jabatan_label(key: &str, j: &JabatanFacts) -> String {
    format!(
        "{key} {}",
        norm::text(j.nama_jabatan.as_deref()).unwrap_or_default()
    )
    .trim()
    .to_string()
}

pub(super) fn compare_jabatan(
    rows: &mut Rows<'_>,
    ehrm: &[JabatanFacts],
    bkn: &[JabatanFacts],
) -> Vec<JabatanRepair> {
    let mut repairs = Vec::new();
    let e = by_tmt(ehrm);
    let b: HashMap<String, &JabatanFacts> = by_tmt(bkn).into_iter().collect();
    let mut matched = HashSet::new();
    for (key, ej) in &e {
        let Some(bj) = b.get(key) else {
            let row = rows.push(
                DataSet::Jabatan,
                Kind::MissingAtBkn,
                None,
                Some(jabatan_label(key, ej)),
                None,
                Authority::Ehrm,
                Action::QueuedForBkn,
            );
            repairs.push(JabatanRepair {
                nip: rows.nip.to_string(),
                row: (*ej).clone(),
                bkn_id: None,
                rows: vec![row],
            });
            continue;
        };
        matched.insert(key.clone());
        let found = differing_fields(rows, key, ej, bj);
        if !found.is_empty() {
            repairs.push(JabatanRepair {
                nip: rows.nip.to_string(),
                row: (*ej).clone(),
                bkn_id: bj.bkn_id.clone(),
                rows: found,
            });
        }
    }
    let mut extra: Vec<_> = by_tmt(bkn)
        .into_iter()
        .filter(|(k, _)| !matched.contains(k))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, bj) in extra {
        rows.push(
            DataSet::Jabatan,
            Kind::MissingInEhrm,
            None,
            None,
            Some(jabatan_label(&key, bj)),
            Authority::Ehrm,
            Action::NeedsReview,
        );
    }
    repairs
}

/// The rows of one position's fields that differ (their indexes).
fn differing_fields(
    rows: &mut Rows<'_>,
    key: &str,
    ej: &JabatanFacts,
    bj: &JabatanFacts,
) -> Vec<usize> {
    type Norm = fn(Option<&str>) -> Option<String>;
    let fields: [(&str, Norm, &Option<String>, &Option<String>); 6] = [
        (
            "jenis_jabatan",
            norm::jenis_jabatan,
            &ej.jenis_jabatan,
            &bj.jenis_jabatan,
        ),
        (
            "nama_jabatan",
            norm::text,
            &ej.nama_jabatan,
            &bj.nama_jabatan,
        ),
        ("eselon", norm::eselon, &ej.eselon, &bj.eselon),
        ("nomor_sk", norm::text, &ej.nomor_sk, &bj.nomor_sk),
        ("tanggal_sk", norm::date, &ej.tanggal_sk, &bj.tanggal_sk),
        (
            "tmt_pelantikan",
            norm::date,
            &ej.tmt_pelantikan,
            &bj.tmt_pelantikan,
        ),
    ];
    let mut found: Vec<usize> = fields
        .into_iter()
        .filter_map(|(name, f, ev, bv)| {
            rows.field(
                DataSet::Jabatan,
                format!("{key}.{name}"),
                f(ev.as_deref()),
                f(bv.as_deref()),
                Authority::Ehrm,
            )
        })
        .collect();
    if let Some(mapped) = rows.ctx.mapped(ej.unor.as_deref()) {
        found.extend(rows.field(
            DataSet::Jabatan,
            format!("{key}.unor"),
            Some(mapped),
            norm::id(bj.unor.as_deref()),
            Authority::Ehrm,
        ));
    }
    found
}
