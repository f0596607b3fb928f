//! Discrepancies of the `struktural` data set.

use super::*;

/// `StrukturalOtherHead`.
pub(super) fn struktural_other_head(t: Target<'_>) -> Option<ExpectedRow> {
    let Target {
        base,
        bkn,
        p,
        heads,
        ..
    } = t;
    let staff = |e: &Employee| !heads.contains(&e.nip);
    let u = p.unit(base, |u| u.head_nip.is_some() && u.unor_id_bkn.is_some())?;
    let unit = base.units[u].unor_id.clone();
    let holder = base.units[u].head_nip.clone()?;
    p.used_nips.insert(holder);
    let other = p.employee(base, staff)?;
    let other_nip = base.employees[other].nip.clone();
    unit_mut(bkn, &unit)?.head_nip = Some(other_nip);
    Some(row(
        "pejabat_struktural",
        "differs",
        None,
        Some(&unit),
        Some("pemimpin".into()),
        "ehrm",
    ))
}

/// `StrukturalHolderEselon`.
pub(super) fn struktural_holder_eselon(t: Target<'_>) -> Option<ExpectedRow> {
    let Target { base, bkn, p, .. } = t;
    let u = p.unit(base, |u| {
        u.head_nip.is_some() && u.unor_id_bkn.is_some() && u.eselon.is_some()
    })?;
    let unit = base.units[u].unor_id.clone();
    let holder = base.units[u].head_nip.clone()?;
    p.used_nips.insert(holder.clone());
    let b = employee_mut(bkn, &holder)?;
    let current = b.eselon.clone().unwrap_or_default();
    b.eselon = Some(if current.ends_with('a') {
        current.replace(".a", ".b")
    } else {
        current.replace(".b", ".a")
    });
    Some(row(
        "pejabat_struktural",
        "differs",
        None,
        Some(&unit),
        Some("eselon_pemimpin".into()),
        "ehrm",
    ))
}

/// `StrukturalVacantInEhrm`.
pub(super) fn struktural_vacant_in_ehrm(t: Target<'_>) -> Option<ExpectedRow> {
    let Target { base, ehrm, p, .. } = t;
    let u = p.unit(base, |u| u.head_nip.is_some() && u.unor_id_bkn.is_some())?;
    let unit = base.units[u].unor_id.clone();
    let holder = base.units[u].head_nip.clone()?;
    p.used_nips.insert(holder);
    let e = &mut unit_mut(ehrm, &unit)?;
    e.head_nip = None;
    e.head_tmt = None;
    Some(row(
        "pejabat_struktural",
        "differs",
        None,
        Some(&unit),
        Some("pemimpin".into()),
        "ehrm",
    ))
}
