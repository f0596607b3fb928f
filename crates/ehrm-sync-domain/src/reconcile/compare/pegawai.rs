//! The `pegawai` data set, and a structural post holder's checks against the post.

use super::*;

pub(super) fn compare_pegawai(rows: &mut Rows<'_>, e: &PegawaiFacts, b: &PegawaiFacts) {
    type Norm = fn(Option<&str>) -> Option<String>;
    let bkn_fields: [(&str, Norm, &Option<String>, &Option<String>); 9] = [
        ("nama", norm::text, &e.nama, &b.nama),
        ("gelar_depan", norm::gelar, &e.gelar_depan, &b.gelar_depan),
        (
            "gelar_belakang",
            norm::gelar,
            &e.gelar_belakang,
            &b.gelar_belakang,
        ),
        ("tgl_lahir", norm::date, &e.tgl_lahir, &b.tgl_lahir),
        (
            "jenis_kelamin",
            norm::jenis_kelamin,
            &e.jenis_kelamin,
            &b.jenis_kelamin,
        ),
        ("golongan", norm::golongan, &e.golongan, &b.golongan),
        ("tmt_golongan", norm::date, &e.tmt_golongan, &b.tmt_golongan),
        ("tmt_cpns", norm::date, &e.tmt_cpns, &b.tmt_cpns),
        ("tmt_pensiun", norm::date, &e.tmt_pensiun, &b.tmt_pensiun),
    ];
    for (name, f, ev, bv) in bkn_fields {
        let row = rows.field(
            DataSet::Pegawai,
            name.into(),
            f(ev.as_deref()),
            f(bv.as_deref()),
            Authority::Bkn,
        );
        // A difference in what decides a promotion or a retirement is filed under that
        // subject, whoever the person is, so filtering on it finds every such row.
        if let (Some(i), Some(subject)) = (row, subject_of(name)) {
            rows.out[i].priority = subject;
        }
    }
    rows.field(
        DataSet::Pegawai,
        "jabatan".into(),
        norm::text(e.jabatan.as_deref()),
        norm::text(b.jabatan.as_deref()),
        Authority::Ehrm,
    );
    if let Some(mapped) = rows.ctx.mapped(e.unor.as_deref()) {
        rows.field(
            DataSet::Pegawai,
            "unor".into(),
            Some(mapped),
            norm::id(b.unor.as_deref()),
            Authority::Ehrm,
        );
    }
    match rows.ctx.posts_by_holder.get(rows.nip).cloned() {
        Some((unit, post_eselon)) => holder_checks(rows, &unit, post_eselon.as_deref(), b),
        None => {
            rows.field(
                DataSet::Pegawai,
                "jenis_jabatan".into(),
                norm::jenis_jabatan(e.jenis_jabatan.as_deref()),
                norm::jenis_jabatan(b.jenis_jabatan.as_deref()),
                Authority::Ehrm,
            );
            rows.field(
                DataSet::Pegawai,
                "eselon".into(),
                norm::eselon(e.eselon.as_deref()),
                norm::eselon(b.eselon.as_deref()),
                Authority::Ehrm,
            );
        }
    }
}

/// The priority a field's difference carries whatever the person's: rank and its TMT decide a
/// promotion; the date of birth and the retirement date decide a retirement.
fn subject_of(field: &str) -> Option<Priority> {
    match field {
        "golongan" | "tmt_golongan" => Some(Priority::KenaikanPangkat),
        "tgl_lahir" | "tmt_pensiun" => Some(Priority::Pensiun),
        _ => None,
    }
}

/// The holder of a structural post must be a structural official of the post's eselon at BKN
/// (`jenisJabatanId` 1, `eselonId`).
pub(super) fn holder_checks(
    rows: &mut Rows<'_>,
    unit: &str,
    post_eselon: Option<&str>,
    b: &PegawaiFacts,
) {
    let checks = [
        (
            "jenis_jabatan_pemimpin",
            Some("struktural".to_string()),
            norm::jenis_jabatan(b.jenis_jabatan.as_deref()),
        ),
        (
            "eselon_pemimpin",
            norm::eselon(post_eselon),
            norm::eselon(b.eselon.as_deref()),
        ),
    ];
    let priority = rows.priority.min(Priority::Struktural);
    for (field, ehrm, bkn) in checks {
        if ehrm != bkn {
            rows.out.push(Discrepancy {
                data_set: DataSet::PejabatStruktural,
                kind: Kind::Differs,
                nip: None,
                unor_id: Some(unit.to_string()),
                field: Some(field.into()),
                ehrm_value: ehrm,
                bkn_value: bkn,
                authority: Authority::Ehrm,
                action: Action::NeedsReview,
                priority,
                note: None,
                unit: None,
            });
        }
    }
}
