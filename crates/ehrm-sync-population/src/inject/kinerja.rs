//! Discrepancies of the `kinerja` data set.

use super::*;

/// `KinerjaMissingAtBkn`, `KinerjaDiffers`, `KinerjaMissingInEhrm`.
pub(super) fn kinerja(t: Target<'_>, kind: InjectKind) -> Option<ExpectedRow> {
    let Target {
        base,
        ehrm,
        bkn,
        p,
        heads,
        ..
    } = t;
    let staff = |e: &Employee| !heads.contains(&e.nip);
    let i = p.employee(base, |e| staff(e) && !e.kinerja.is_empty())?;
    let nip = base.employees[i].nip.clone();
    let k = p.rng.random_range(0..base.employees[i].kinerja.len());
    let rec = &base.employees[i].kinerja[k];
    let label = match rec.periodik.as_deref() {
        Some(per) if rec.jenis == "periodik" => {
            format!("{per}/{}/{:02}", rec.tahun, rec.bulan_mulai.unwrap_or(0))
        }
        _ => format!("tahunan/{}", rec.tahun),
    };
    match kind {
        InjectKind::KinerjaMissingAtBkn => {
            employee_mut(bkn, &nip)?.kinerja.remove(k);
            Some(row(
                "kinerja",
                "missing_at_bkn",
                Some(&nip),
                None,
                None,
                "ehrm",
            ))
        }
        InjectKind::KinerjaMissingInEhrm => {
            employee_mut(ehrm, &nip)?.kinerja.remove(k);
            Some(row(
                "kinerja",
                "missing_in_ehrm",
                Some(&nip),
                None,
                None,
                "ehrm",
            ))
        }
        _ => {
            let b = &mut employee_mut(bkn, &nip)?.kinerja[k];
            b.predikat = if b.predikat == 5 { 4 } else { b.predikat + 1 };
            Some(row(
                "kinerja",
                "differs",
                Some(&nip),
                None,
                Some(format!("{label}.predikat")),
                "ehrm",
            ))
        }
    }
}
