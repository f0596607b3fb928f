//! Discrepancies of the `pegawai` data set.

use super::*;

/// `PegawaiBknField`.
pub(super) fn pegawai_bkn_field(t: Target<'_>) -> Option<ExpectedRow> {
    let Target {
        base,
        bkn,
        p,
        heads,
        ..
    } = t;
    let staff = |e: &Employee| !heads.contains(&e.nip);
    let i = p.employee(base, staff)?;
    let nip = base.employees[i].nip.clone();
    let b = employee_mut(bkn, &nip)?;
    let field = match p.rng.random_range(0..6) {
        0 => {
            b.nama = format!("{} {}", b.nama, "PRATAMA");
            "nama"
        }
        1 => {
            let next = golongan_to_bkn(&b.golongan)
                .and_then(|id| id.parse::<u32>().ok())
                .map(|n| if n % 10 < 4 { n + 1 } else { n - 1 })
                .and_then(|n| golongan_from_bkn(&n.to_string()))?;
            b.golongan = next;
            "golongan"
        }
        2 => {
            b.tmt_pensiun = shift_date(&b.tmt_pensiun, 366);
            "tmt_pensiun"
        }
        3 => {
            b.tgl_lahir = shift_date(&b.tgl_lahir, 1);
            "tgl_lahir"
        }
        4 => {
            b.jenis_kelamin = if b.jenis_kelamin == "L" { "P" } else { "L" }.into();
            "jenis_kelamin"
        }
        _ => {
            b.gelar_belakang = Some(match &b.gelar_belakang {
                Some(g) if g.contains("M.") => "S.T.".into(),
                _ => "S.T., M.T.".into(),
            });
            "gelar_belakang"
        }
    };
    Some(row(
        "pegawai",
        "differs",
        Some(&nip),
        None,
        Some(field.into()),
        "bkn",
    ))
}

/// `PegawaiEhrmField`.
pub(super) fn pegawai_ehrm_field(t: Target<'_>) -> Option<ExpectedRow> {
    let Target {
        base,
        bkn,
        p,
        heads,
        ..
    } = t;
    let staff = |e: &Employee| !heads.contains(&e.nip);
    let i = p.employee(base, staff)?;
    let nip = base.employees[i].nip.clone();
    let b = employee_mut(bkn, &nip)?;
    let field = match p.rng.random_range(0..3) {
        0 => {
            b.jabatan_nama = format!("{} (Plt)", b.jabatan_nama);
            "jabatan"
        }
        1 => {
            let other = base
                .units
                .iter()
                .find(|u| u.unor_id != b.unor_id && u.unor_id_bkn.is_some())?;
            b.unor_id = other.unor_id.clone();
            "unor"
        }
        _ => {
            b.jenis_jabatan = match b.jenis_jabatan {
                JenisJabatan::Pelaksana => JenisJabatan::Fungsional,
                _ => JenisJabatan::Pelaksana,
            };
            "jenis_jabatan"
        }
    };
    Some(row(
        "pegawai",
        "differs",
        Some(&nip),
        None,
        Some(field.into()),
        "ehrm",
    ))
}

/// `PegawaiMissingAtBkn`.
pub(super) fn pegawai_missing_at_bkn(t: Target<'_>) -> Option<ExpectedRow> {
    let Target {
        base,
        bkn,
        p,
        heads,
        ..
    } = t;
    let staff = |e: &Employee| !heads.contains(&e.nip);
    let i = p.employee(base, staff)?;
    let nip = base.employees[i].nip.clone();
    bkn.employees.retain(|e| e.nip != nip);
    Some(row(
        "pegawai",
        "missing_at_bkn",
        Some(&nip),
        None,
        None,
        "bkn",
    ))
}

/// `PegawaiMissingInEhrm`.
pub(super) fn pegawai_missing_in_ehrm(t: Target<'_>) -> Option<ExpectedRow> {
    let Target {
        base,
        ehrm,
        p,
        spec,
        heads,
        ..
    } = t;
    let staff = |e: &Employee| !heads.contains(&e.nip);
    let i = p.employee(base, |e| staff(e) && spec.listed.contains(&e.nip))?;
    let nip = base.employees[i].nip.clone();
    ehrm.employees.retain(|e| e.nip != nip);
    Some(row(
        "pegawai",
        "missing_in_ehrm",
        Some(&nip),
        None,
        None,
        "bkn",
    ))
}
