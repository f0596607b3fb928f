//! Discrepancies of the `unor` data set.

use super::*;

/// `UnorDiffers`.
pub(super) fn unor_differs(t: Target<'_>) -> Option<ExpectedRow> {
    let Target { base, bkn, p, .. } = t;
    let u = p.unit(base, |u| u.unor_id_bkn.is_some() && u.parent_id.is_some())?;
    let unit = base.units[u].unor_id.clone();
    let b = &mut unit_mut(bkn, &unit)?;
    let field = if p.rng.random_bool(0.5) {
        b.nama = format!("{} Wilayah I", b.nama);
        "nama"
    } else {
        b.nama_jabatan = format!("{} Wilayah I", b.nama_jabatan);
        "nama_jabatan"
    };
    Some(row(
        "unor",
        "differs",
        None,
        Some(&unit),
        Some(field.into()),
        "ehrm",
    ))
}

/// `UnorMissingAtBkn`.
pub(super) fn unor_missing_at_bkn(t: Target<'_>) -> Option<ExpectedRow> {
    let Target {
        base, ehrm, bkn, p, ..
    } = t;
    // A leaf unit without people, so nothing else refers to it.
    let occupied: HashSet<&str> = base.employees.iter().map(|e| e.unor_id.as_str()).collect();
    let parents: HashSet<&str> = base
        .units
        .iter()
        .filter_map(|u| u.parent_id.as_deref())
        .collect();
    let u = p.unit(base, |u| {
        u.unor_id_bkn.is_some()
            && u.head_nip.is_none()
            && !occupied.contains(u.unor_id.as_str())
            && !parents.contains(u.unor_id.as_str())
            && !base
                .employees
                .iter()
                .any(|e| e.riwayat_jabatan.iter().any(|j| j.unor_id == u.unor_id))
    });
    let unit = match u {
        Some(u) => base.units[u].unor_id.clone(),
        None => {
            // No such unit: a new, unmapped one in eHRM only.
            let parent = base.units.first()?.unor_id.clone();
            let id = format!("{parent}.99.{}", p.rng.random_range(10..99));
            ehrm.units.push(Unit {
                unor_id: id.clone(),
                unor_id_bkn: None,
                nama: "Satuan Kerja Baru".into(),
                parent_id: Some(parent),
                eselon: None,
                nama_jabatan: "Kepala Satuan Kerja Baru".into(),
                head_nip: None,
                head_tmt: None,
            });
            p.used_units.insert(id.clone());
            return Some(row("unor", "missing_at_bkn", None, Some(&id), None, "ehrm"));
        }
    };
    unit_mut(ehrm, &unit)?.unor_id_bkn = None;
    unit_mut(bkn, &unit)?.unor_id_bkn = None;
    Some(row(
        "unor",
        "missing_at_bkn",
        None,
        Some(&unit),
        None,
        "ehrm",
    ))
}

/// `UnorMissingInEhrm`.
pub(super) fn unor_missing_in_ehrm(t: Target<'_>) -> Option<ExpectedRow> {
    let Target { base, bkn, p, .. } = t;
    let parent = p.unit(base, |u| u.unor_id_bkn.is_some())?;
    let parent_id = base.units[parent].unor_id.clone();
    let bkn_id = hex32(&mut p.rng);
    let id = format!("{parent_id}.BKN{}", p.rng.random_range(100..999));
    bkn.units.push(Unit {
        unor_id: id,
        unor_id_bkn: Some(bkn_id.clone()),
        nama: "Unit Lama (dibubarkan)".into(),
        parent_id: Some(parent_id),
        eselon: None,
        nama_jabatan: "Kepala Unit Lama".into(),
        head_nip: None,
        head_tmt: None,
    });
    Some(row(
        "unor",
        "missing_in_ehrm",
        None,
        Some(&bkn_id),
        None,
        "ehrm",
    ))
}
