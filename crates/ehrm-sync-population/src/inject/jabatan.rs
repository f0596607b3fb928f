//! Discrepancies of the `jabatan` data set.

use super::*;

/// `JabatanMissingAtBkn`, `JabatanMissingInEhrm`, `JabatanDiffers`.
pub(super) fn jabatan(t: Target<'_>, kind: InjectKind) -> Option<ExpectedRow> {
    let Target {
        base,
        ehrm,
        bkn,
        p,
        heads,
        ..
    } = t;
    let staff = |e: &Employee| !heads.contains(&e.nip);
    let unique_tmt = |e: &Employee| {
        let tmts: HashSet<&str> = e
            .riwayat_jabatan
            .iter()
            .map(|j| j.tmt_jabatan.as_str())
            .collect();
        tmts.len() == e.riwayat_jabatan.len() && e.riwayat_jabatan.len() >= 2
    };
    let i = p.employee(base, |e| staff(e) && unique_tmt(e))?;
    let nip = base.employees[i].nip.clone();
    let j = p
        .rng
        .random_range(0..base.employees[i].riwayat_jabatan.len());
    let tmt = base.employees[i].riwayat_jabatan[j].tmt_jabatan.clone();
    let (target, kind_name, field) = match kind {
        InjectKind::JabatanMissingAtBkn => (&mut *bkn, "missing_at_bkn", None),
        InjectKind::JabatanMissingInEhrm => (&mut *ehrm, "missing_in_ehrm", None),
        _ => (&mut *bkn, "differs", Some(format!("{tmt}.nomor_sk"))),
    };
    let e = employee_mut(target, &nip)?;
    if field.is_some() {
        e.riwayat_jabatan[j].nomor_sk = format!("{}/REV", e.riwayat_jabatan[j].nomor_sk);
    } else {
        e.riwayat_jabatan.remove(j);
    }
    Some(row("jabatan", kind_name, Some(&nip), None, field, "ehrm"))
}
