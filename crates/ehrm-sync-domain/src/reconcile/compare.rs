//! The comparison engine: both sides normalised, field by field, each difference a
//! [`Discrepancy`] with its authority, suggested action and priority.
//!
//! Rules that keep one real-world difference to one row:
//! * an employee missing on one side gets one `pegawai` row, nothing for their history;
//! * the holder of a structural post has their jenis jabatan and eselon checked against the post
//!   (`pejabat_struktural`), not in `pegawai`;
//! * unit references (an employee's unit, a position's unit, a unit's parent) are compared only
//!   where eHRM has mapped the unit to SIASN; an unmapped unit is its own `unor` row.

use std::collections::{HashMap, HashSet};

use super::normalize as norm;
use super::*;

/// What the comparison needs besides the two sides.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// eHRM unit code → SIASN UNOR id (mapped units only).
    pub unit_map: HashMap<String, String>,
    /// Holder NIP → (eHRM unit code, eselon of the post).
    pub posts_by_holder: HashMap<String, (String, Option<String>)>,
    /// In BKN's promotion list for the coming period.
    pub kenaikan_pangkat: HashSet<String>,
    /// Retiring within 12 months (BKN's retirement list).
    pub pensiun: HashSet<String>,
    /// Whether BKN-authoritative differences can be sent to eHRM (callbacks configured).
    pub callbacks_enabled: bool,
}

impl Context {
    pub fn new(units: &[UnitFacts], posts: &[StructuralPost]) -> Self {
        let unit_map = units
            .iter()
            .filter_map(|u| Some((u.id.clone(), norm::id(u.bkn_id.as_deref())?)))
            .collect();
        let posts_by_holder = posts
            .iter()
            .filter_map(|p| Some((p.nip.clone()?, (p.unor_id.clone(), p.eselon.clone()))))
            .collect();
        Context {
            unit_map,
            posts_by_holder,
            ..Context::default()
        }
    }

    pub fn priority(&self, nip: &str) -> Priority {
        if self.kenaikan_pangkat.contains(nip) {
            Priority::KenaikanPangkat
        } else if self.pensiun.contains(nip) {
            Priority::Pensiun
        } else if self.posts_by_holder.contains_key(nip) {
            Priority::Struktural
        } else {
            Priority::Normal
        }
    }

    fn mapped(&self, ehrm_unit: Option<&str>) -> Option<String> {
        self.unit_map.get(ehrm_unit?.trim()).cloned()
    }

    fn bkn_action(&self) -> Action {
        if self.callbacks_enabled {
            Action::SentToEhrm
        } else {
            Action::NeedsReview
        }
    }
}

/// A performance record to deliver again: eHRM's version of it, and BKN's id when BKN holds a
/// (different) copy, so the delivery updates it instead of creating a second one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KinerjaRepair {
    pub nip: String,
    pub record: KinerjaFacts,
    pub bkn_id: Option<String>,
    /// The report rows this repair answers (indexes into [`EmployeeComparison::rows`]).
    pub rows: Vec<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmployeeComparison {
    pub rows: Vec<Discrepancy>,
    pub repairs: Vec<KinerjaRepair>,
}

struct Rows<'a> {
    ctx: &'a Context,
    nip: &'a str,
    priority: Priority,
    out: Vec<Discrepancy>,
}

impl Rows<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        data_set: DataSet,
        kind: Kind,
        field: Option<String>,
        ehrm_value: Option<String>,
        bkn_value: Option<String>,
        authority: Authority,
        action: Action,
    ) -> usize {
        self.out.push(Discrepancy {
            data_set,
            kind,
            nip: Some(self.nip.to_string()),
            unor_id: None,
            field,
            ehrm_value,
            bkn_value,
            authority,
            action,
            priority: self.priority,
        });
        self.out.len() - 1
    }

    fn field(
        &mut self,
        data_set: DataSet,
        field: String,
        ehrm: Option<String>,
        bkn: Option<String>,
        authority: Authority,
    ) -> Option<usize> {
        if ehrm == bkn {
            return None;
        }
        let action = match (authority, data_set) {
            (Authority::Bkn, _) => self.ctx.bkn_action(),
            (Authority::Ehrm, DataSet::Kinerja) => Action::QueuedForBkn,
            (Authority::Ehrm, _) => Action::NeedsReview,
        };
        Some(self.push(
            data_set,
            Kind::Differs,
            Some(field),
            ehrm,
            bkn,
            authority,
            action,
        ))
    }
}

/// Compares one employee: `pegawai`, `jabatan`, `kinerja`, and the holder side of
/// `pejabat_struktural`.
pub fn compare_employee(
    ctx: &Context,
    nip: &str,
    ehrm: Option<&EmployeeFacts>,
    bkn: Option<&EmployeeFacts>,
) -> EmployeeComparison {
    let mut rows = Rows {
        ctx,
        nip,
        priority: ctx.priority(nip),
        out: Vec::new(),
    };
    let (e, b) = match (ehrm, bkn) {
        (None, None) => return EmployeeComparison::default(),
        (Some(e), None) => {
            rows.push(
                DataSet::Pegawai,
                Kind::MissingAtBkn,
                None,
                norm::text(e.pegawai.nama.as_deref()),
                None,
                Authority::Bkn,
                Action::NeedsReview,
            );
            return EmployeeComparison {
                rows: rows.out,
                repairs: Vec::new(),
            };
        }
        (None, Some(b)) => {
            rows.push(
                DataSet::Pegawai,
                Kind::MissingInEhrm,
                None,
                None,
                norm::text(b.pegawai.nama.as_deref()),
                Authority::Bkn,
                Action::NeedsReview,
            );
            return EmployeeComparison {
                rows: rows.out,
                repairs: Vec::new(),
            };
        }
        (Some(e), Some(b)) => (e, b),
    };
    compare_pegawai(&mut rows, &e.pegawai, &b.pegawai);
    compare_jabatan(&mut rows, &e.jabatan, &b.jabatan);
    let repairs = compare_kinerja(&mut rows, &e.kinerja, &b.kinerja);
    EmployeeComparison {
        rows: rows.out,
        repairs,
    }
}

fn compare_pegawai(rows: &mut Rows<'_>, e: &PegawaiFacts, b: &PegawaiFacts) {
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
        rows.field(
            DataSet::Pegawai,
            name.into(),
            f(ev.as_deref()),
            f(bv.as_deref()),
            Authority::Bkn,
        );
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

/// The holder of a structural post must be a structural official of the post's eselon at BKN
/// (`jenisJabatanId` 1, `eselonId`).
fn holder_checks(rows: &mut Rows<'_>, unit: &str, post_eselon: Option<&str>, b: &PegawaiFacts) {
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
            });
        }
    }
}

/// Entries keyed by their normalised TMT (with `#2`, `#3` for several on one day).
fn by_tmt(list: &[JabatanFacts]) -> Vec<(String, &JabatanFacts)> {
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

fn jabatan_label(key: &str, j: &JabatanFacts) -> String {
    format!(
        "{key} {}",
        norm::text(j.nama_jabatan.as_deref()).unwrap_or_default()
    )
    .trim()
    .to_string()
}

fn compare_jabatan(rows: &mut Rows<'_>, ehrm: &[JabatanFacts], bkn: &[JabatanFacts]) {
    let e = by_tmt(ehrm);
    let b: HashMap<String, &JabatanFacts> = by_tmt(bkn).into_iter().collect();
    let mut matched = HashSet::new();
    for (key, ej) in &e {
        let Some(bj) = b.get(key) else {
            rows.push(
                DataSet::Jabatan,
                Kind::MissingAtBkn,
                None,
                Some(jabatan_label(key, ej)),
                None,
                Authority::Ehrm,
                Action::NeedsReview,
            );
            continue;
        };
        matched.insert(key.clone());
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
        for (name, f, ev, bv) in fields {
            rows.field(
                DataSet::Jabatan,
                format!("{key}.{name}"),
                f(ev.as_deref()),
                f(bv.as_deref()),
                Authority::Ehrm,
            );
        }
        if let Some(mapped) = rows.ctx.mapped(ej.unor.as_deref()) {
            rows.field(
                DataSet::Jabatan,
                format!("{key}.unor"),
                Some(mapped),
                norm::id(bj.unor.as_deref()),
                Authority::Ehrm,
            );
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
}

fn kinerja_summary(k: &KinerjaFacts) -> String {
    let v = |x: Option<u8>| x.map_or("-".to_string(), |n| n.to_string());
    format!(
        "{} hasil={} perilaku={} predikat={}",
        k.label(),
        v(k.hasil_kinerja),
        v(k.perilaku_kerja),
        v(k.predikat)
    )
}

fn compare_kinerja(
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
        let found: Vec<usize> = fields
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
            .collect();
        if !found.is_empty() {
            repairs.push(KinerjaRepair {
                nip: rows.nip.to_string(),
                record: ek.clone(),
                bkn_id: bk.bkn_id.clone(),
                rows: found,
            });
        }
    }
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
    repairs
}

/// The unit tree and who heads each structural unit.
///
/// `holder_pns` maps eHRM holders' NIPs to their SIASN PNS ids and `nip_of_pns` maps PNS ids
/// back to NIPs (both from the employees read); a head BKN names that cannot be mapped is
/// shown as `pns:<id>`. Holders missing at BKN are left to their `pegawai` row.
pub fn compare_units(
    ctx: &Context,
    ehrm_units: &[UnitFacts],
    bkn_units: &[UnitFacts],
    posts: &[StructuralPost],
    holder_pns: &HashMap<String, String>,
    nip_of_pns: &HashMap<String, String>,
    missing_at_bkn: &HashSet<String>,
) -> Vec<Discrepancy> {
    let bkn: HashMap<String, &UnitFacts> = bkn_units
        .iter()
        .filter_map(|u| Some((norm::id(Some(&u.id))?, u)))
        .collect();
    let mut out = Vec::new();
    let row = |kind, unit: &str, field: Option<&str>, ev, bv| Discrepancy {
        data_set: DataSet::Unor,
        kind,
        nip: None,
        unor_id: Some(unit.to_string()),
        field: field.map(str::to_string),
        ehrm_value: ev,
        bkn_value: bv,
        authority: Authority::Ehrm,
        action: Action::NeedsReview,
        priority: Priority::Normal,
    };
    let mut referenced = HashSet::new();
    let mut found_units: HashMap<&str, &UnitFacts> = HashMap::new();
    for u in ehrm_units {
        let mapped = norm::id(u.bkn_id.as_deref());
        let Some(b) = mapped.as_ref().and_then(|id| bkn.get(id)) else {
            out.push(row(Kind::MissingAtBkn, &u.id, None, mapped, None));
            continue;
        };
        referenced.insert(norm::id(Some(&b.id)).unwrap_or_default());
        found_units.insert(u.id.as_str(), b);
        let mut fields = vec![
            (
                "nama",
                norm::text(u.nama.as_deref()),
                norm::text(b.nama.as_deref()),
            ),
            (
                "eselon",
                norm::eselon(u.eselon.as_deref()),
                norm::eselon(b.eselon.as_deref()),
            ),
            (
                "nama_jabatan",
                norm::text(u.nama_jabatan.as_deref()),
                norm::text(b.nama_jabatan.as_deref()),
            ),
        ];
        let parent_mapped = u.parent.as_deref().map(|p| ctx.mapped(Some(p)));
        match parent_mapped {
            None => fields.push(("parent", None, norm::id(b.parent.as_deref()))),
            Some(Some(p)) => fields.push(("parent", Some(p), norm::id(b.parent.as_deref()))),
            Some(None) => {} // the parent is unmapped: its own row says so
        }
        for (field, ev, bv) in fields {
            if ev != bv {
                out.push(row(Kind::Differs, &u.id, Some(field), ev, bv));
            }
        }
    }
    let mut extra: Vec<&&UnitFacts> = bkn
        .iter()
        .filter(|(id, _)| !referenced.contains(*id))
        .map(|(_, u)| u)
        .collect();
    extra.sort_by(|a, b| a.id.cmp(&b.id));
    for b in extra {
        out.push(row(
            Kind::MissingInEhrm,
            &b.id,
            None,
            None,
            norm::text(b.nama.as_deref()),
        ));
    }
    for p in posts {
        let Some(b) = found_units.get(p.unor_id.as_str()) else {
            continue;
        };
        if p.nip.as_ref().is_some_and(|n| missing_at_bkn.contains(n)) {
            continue;
        }
        let bkn_head = norm::id(b.head_pns_id.as_deref()).map(|pns| {
            nip_of_pns
                .get(&pns)
                .cloned()
                .or_else(|| {
                    holder_pns
                        .iter()
                        .find(|(_, v)| norm::id(Some(v)).as_deref() == Some(pns.as_str()))
                        .map(|(k, _)| k.clone())
                })
                .unwrap_or(format!("pns:{pns}"))
        });
        let ehrm_head = p.nip.clone();
        if ehrm_head != bkn_head {
            let priority = p
                .nip
                .as_deref()
                .map_or(Priority::Struktural, |n| ctx.priority(n))
                .min(Priority::Struktural);
            out.push(Discrepancy {
                data_set: DataSet::PejabatStruktural,
                kind: Kind::Differs,
                nip: None,
                unor_id: Some(p.unor_id.clone()),
                field: Some("pemimpin".into()),
                ehrm_value: ehrm_head,
                bkn_value: bkn_head,
                authority: Authority::Ehrm,
                action: Action::NeedsReview,
                priority,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pegawai(nip: &str) -> PegawaiFacts {
        PegawaiFacts {
            nip: nip.into(),
            nama: Some("Budi Santoso".into()),
            gelar_belakang: Some("S.T.".into()),
            tgl_lahir: Some("1985-07-14".into()),
            jenis_kelamin: Some("L".into()),
            golongan: Some("III/d".into()),
            tmt_golongan: Some("2021-04-01".into()),
            jenis_jabatan: Some("fungsional".into()),
            jabatan: Some("Teknik Jalan Ahli Muda".into()),
            unor: Some("PU.01".into()),
            tmt_cpns: Some("2010-01-01".into()),
            tmt_pensiun: Some("2043-08-01".into()),
            ..PegawaiFacts::default()
        }
    }

    fn bkn_view(p: &PegawaiFacts) -> PegawaiFacts {
        PegawaiFacts {
            nama: p.nama.as_ref().map(|n| n.to_uppercase()),
            gelar_belakang: Some("S. T.".into()),
            tgl_lahir: Some("14-07-1985".into()),
            jenis_kelamin: Some("M".into()),
            golongan: Some("34".into()),
            tmt_golongan: Some("01-04-2021".into()),
            jenis_jabatan: Some("2".into()),
            jabatan: Some("TEKNIK  JALAN AHLI MUDA".into()),
            unor: Some("aa11".into()),
            tmt_cpns: Some("01-01-2010".into()),
            tmt_pensiun: Some("01-08-2043".into()),
            pns_id: Some("P1".into()),
            ..p.clone()
        }
    }

    fn ctx() -> Context {
        let units = [UnitFacts {
            id: "PU.01".into(),
            bkn_id: Some("AA11".into()),
            ..UnitFacts::default()
        }];
        Context::new(&units, &[])
    }

    fn side(p: PegawaiFacts) -> EmployeeFacts {
        EmployeeFacts {
            pegawai: p,
            ..EmployeeFacts::default()
        }
    }

    const NIP: &str = "198507142010011002";

    #[test]
    fn the_same_facts_in_two_notations_agree() {
        let e = side(pegawai(NIP));
        let b = side(bkn_view(&e.pegawai));
        let out = compare_employee(&ctx(), NIP, Some(&e), Some(&b));
        assert!(out.rows.is_empty(), "{:#?}", out.rows);
    }

    #[test]
    fn a_rank_difference_is_bkn_authoritative_and_prioritised() {
        let e = side(pegawai(NIP));
        let mut b = side(bkn_view(&e.pegawai));
        b.pegawai.golongan = Some("41".into());
        let mut c = ctx();
        c.kenaikan_pangkat.insert(NIP.into());
        c.callbacks_enabled = true;
        let out = compare_employee(&c, NIP, Some(&e), Some(&b));
        assert_eq!(out.rows.len(), 1);
        let r = &out.rows[0];
        assert_eq!(r.field.as_deref(), Some("golongan"));
        assert_eq!(
            (r.ehrm_value.as_deref(), r.bkn_value.as_deref()),
            (Some("III/d"), Some("IV/a"))
        );
        assert_eq!(r.authority, Authority::Bkn);
        assert_eq!(r.action, Action::SentToEhrm);
        assert_eq!(r.priority, Priority::KenaikanPangkat);
    }

    #[test]
    fn performance_records_missing_or_different_at_bkn_are_repaired() {
        let k = |tahun, predikat| KinerjaFacts {
            tahun,
            jenis: "tahunan".into(),
            hasil_kinerja: Some(2),
            perilaku_kerja: Some(2),
            predikat: Some(predikat),
            ..KinerjaFacts::default()
        };
        let mut e = side(pegawai(NIP));
        e.kinerja = vec![k(2023, 2), k(2024, 2)];
        let mut b = side(bkn_view(&e.pegawai));
        b.kinerja = vec![
            KinerjaFacts {
                bkn_id: Some("X".into()),
                ..k(2024, 3)
            },
            k(2022, 2),
        ];
        let out = compare_employee(&ctx(), NIP, Some(&e), Some(&b));
        let kinds: Vec<_> = out
            .rows
            .iter()
            .map(|r| (r.kind, r.field.clone(), r.action))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::MissingAtBkn, None, Action::QueuedForBkn),
                (
                    Kind::Differs,
                    Some("tahunan/2024.predikat".into()),
                    Action::QueuedForBkn
                ),
                (Kind::MissingInEhrm, None, Action::NeedsReview),
            ]
        );
        assert_eq!(out.repairs.len(), 2);
        assert_eq!(out.repairs[1].bkn_id.as_deref(), Some("X"));
    }

    #[test]
    fn a_structural_holder_is_checked_against_the_post() {
        let units = [UnitFacts {
            id: "PU.01".into(),
            bkn_id: Some("AA11".into()),
            eselon: Some("II.a".into()),
            ..UnitFacts::default()
        }];
        let posts = [StructuralPost {
            unor_id: "PU.01".into(),
            eselon: Some("II.a".into()),
            nip: Some(NIP.into()),
            ..StructuralPost::default()
        }];
        let c = Context::new(&units, &posts);
        let mut e = side(pegawai(NIP));
        e.pegawai.jenis_jabatan = Some("struktural".into());
        e.pegawai.eselon = Some("II.a".into());
        let mut b = side(bkn_view(&e.pegawai));
        b.pegawai.jenis_jabatan = Some("1".into());
        b.pegawai.eselon = Some("22".into());
        let out = compare_employee(&c, NIP, Some(&e), Some(&b));
        assert_eq!(out.rows.len(), 1, "{:#?}", out.rows);
        assert_eq!(out.rows[0].data_set, DataSet::PejabatStruktural);
        assert_eq!(out.rows[0].unor_id.as_deref(), Some("PU.01"));
        assert_eq!(out.rows[0].field.as_deref(), Some("eselon_pemimpin"));
        assert_eq!(out.rows[0].priority, Priority::Struktural);
    }

    #[test]
    fn units_unmapped_missing_renamed_and_heads() {
        let e = [
            UnitFacts {
                id: "PU".into(),
                bkn_id: Some("A0".into()),
                nama: Some("Kementerian".into()),
                ..UnitFacts::default()
            },
            UnitFacts {
                id: "PU.01".into(),
                bkn_id: Some("A1".into()),
                nama: Some("Direktorat Jalan".into()),
                parent: Some("PU".into()),
                eselon: Some("II.a".into()),
                ..UnitFacts::default()
            },
            UnitFacts {
                id: "PU.02".into(),
                bkn_id: None,
                nama: Some("Baru".into()),
                parent: Some("PU".into()),
                ..UnitFacts::default()
            },
        ];
        let b = [
            UnitFacts {
                id: "A0".into(),
                nama: Some("KEMENTERIAN".into()),
                ..UnitFacts::default()
            },
            UnitFacts {
                id: "A1".into(),
                nama: Some("Direktorat Jembatan".into()),
                parent: Some("A0".into()),
                eselon: Some("21".into()),
                head_pns_id: Some("P9".into()),
                ..UnitFacts::default()
            },
            UnitFacts {
                id: "A7".into(),
                nama: Some("Lama".into()),
                parent: Some("A0".into()),
                ..UnitFacts::default()
            },
        ];
        let posts = [StructuralPost {
            unor_id: "PU.01".into(),
            nip: Some(NIP.into()),
            eselon: Some("II.a".into()),
            ..StructuralPost::default()
        }];
        let c = Context::new(&e, &posts);
        let holder = HashMap::from([(NIP.to_string(), "P1".to_string())]);
        let out = compare_units(
            &c,
            &e,
            &b,
            &posts,
            &holder,
            &HashMap::new(),
            &HashSet::new(),
        );
        let got: Vec<_> = out
            .iter()
            .map(|d| {
                (
                    d.data_set,
                    d.kind,
                    d.unor_id.clone().unwrap_or_default(),
                    d.field.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    DataSet::Unor,
                    Kind::Differs,
                    "PU.01".into(),
                    Some("nama".into())
                ),
                (DataSet::Unor, Kind::MissingAtBkn, "PU.02".into(), None),
                (DataSet::Unor, Kind::MissingInEhrm, "A7".into(), None),
                (
                    DataSet::PejabatStruktural,
                    Kind::Differs,
                    "PU.01".into(),
                    Some("pemimpin".into())
                ),
            ]
        );
        assert_eq!(out[3].bkn_value.as_deref(), Some("pns:P9"));
    }
}
