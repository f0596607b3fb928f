//! Discrepancies injected on purpose: from one population, an eHRM copy and a SIASN copy that
//! differ in chosen ways, with the report rows each difference must produce (exactly one each).
//!
//! Every kind the reconciliation reports can be injected. Targets are chosen so that injections
//! do not overlap (one employee or unit per injection) and so that each yields one row under the
//! comparison rules (see `ehrm_sync_domain::reconcile::compare`).

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::{Employee, JenisJabatan, Population, Unit, golongan_from_bkn, golongan_to_bkn};

/// Each kind of discrepancy that can be injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InjectKind {
    /// BKN records a different value of a BKN-decided field (rank, retirement, identity).
    PegawaiBknField,
    /// BKN records a different value of an eHRM-decided field (position name, unit, jenis).
    PegawaiEhrmField,
    PegawaiMissingAtBkn,
    /// Someone in BKN's promotion or retirement list whom eHRM does not have.
    PegawaiMissingInEhrm,
    JabatanMissingAtBkn,
    JabatanMissingInEhrm,
    JabatanDiffers,
    /// BKN names another head for a structural unit.
    StrukturalOtherHead,
    /// The head's eselon at BKN differs from the post's.
    StrukturalHolderEselon,
    /// eHRM has the post vacant; BKN has a head.
    StrukturalVacantInEhrm,
    UnorDiffers,
    /// A unit eHRM has not mapped to SIASN (and SIASN does not have).
    UnorMissingAtBkn,
    UnorMissingInEhrm,
    KinerjaMissingAtBkn,
    KinerjaDiffers,
    KinerjaMissingInEhrm,
}

impl std::str::FromStr for InjectKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.trim().to_string())).map_err(|_| {
            let names: Vec<String> = InjectKind::ALL
                .iter()
                .filter_map(|k| serde_json::to_value(k).ok()?.as_str().map(str::to_string))
                .collect();
            format!("unknown kind {s:?}; one of {}", names.join(", "))
        })
    }
}

impl InjectKind {
    pub const ALL: [InjectKind; 16] = [
        InjectKind::PegawaiBknField,
        InjectKind::PegawaiEhrmField,
        InjectKind::PegawaiMissingAtBkn,
        InjectKind::PegawaiMissingInEhrm,
        InjectKind::JabatanMissingAtBkn,
        InjectKind::JabatanMissingInEhrm,
        InjectKind::JabatanDiffers,
        InjectKind::StrukturalOtherHead,
        InjectKind::StrukturalHolderEselon,
        InjectKind::StrukturalVacantInEhrm,
        InjectKind::UnorDiffers,
        InjectKind::UnorMissingAtBkn,
        InjectKind::UnorMissingInEhrm,
        InjectKind::KinerjaMissingAtBkn,
        InjectKind::KinerjaDiffers,
        InjectKind::KinerjaMissingInEhrm,
    ];
}

/// The report row an injection must produce (priority is the reconciler's to work out from
/// BKN's lists; the test computes it independently).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExpectedRow {
    pub data_set: String,
    pub kind: String,
    pub nip: Option<String>,
    pub unor_id: Option<String>,
    pub field: Option<String>,
    pub authority: String,
}

impl ExpectedRow {
    /// The same identity read from a row of `report.json`.
    pub fn from_report_row(r: &serde_json::Value) -> Self {
        let s = |k: &str| r[k].as_str().map(str::to_string);
        ExpectedRow {
            data_set: s("data_set").unwrap_or_default(),
            kind: s("kind").unwrap_or_default(),
            nip: s("nip"),
            unor_id: s("unor_id"),
            field: s("field"),
            authority: s("authority").unwrap_or_default(),
        }
    }
}

/// The two copies and what must be found.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Injected {
    pub ehrm: Population,
    pub bkn: Population,
    pub expected: Vec<ExpectedRow>,
}

#[derive(Clone, Debug)]
pub struct InjectSpec {
    pub seed: u64,
    /// Injections of each kind.
    pub per_kind: usize,
    /// Employees in BKN's lists (promotion, retirement): candidates for "missing in eHRM".
    pub listed: HashSet<String>,
    /// Only these kinds (empty: every kind).
    pub kinds: Vec<InjectKind>,
}

fn row(
    data_set: &str,
    kind: &str,
    nip: Option<&str>,
    unor: Option<&str>,
    field: Option<String>,
    authority: &str,
) -> ExpectedRow {
    ExpectedRow {
        data_set: data_set.into(),
        kind: kind.into(),
        nip: nip.map(str::to_string),
        unor_id: unor.map(str::to_string),
        field,
        authority: authority.into(),
    }
}

struct Picker {
    rng: StdRng,
    used_nips: HashSet<String>,
    used_units: HashSet<String>,
}

impl Picker {
    fn employee(&mut self, pop: &Population, ok: impl Fn(&Employee) -> bool) -> Option<usize> {
        let candidates: Vec<usize> = (0..pop.employees.len())
            .filter(|&i| !self.used_nips.contains(&pop.employees[i].nip) && ok(&pop.employees[i]))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let i = candidates[self.rng.random_range(0..candidates.len())];
        self.used_nips.insert(pop.employees[i].nip.clone());
        Some(i)
    }

    fn unit(&mut self, pop: &Population, ok: impl Fn(&Unit) -> bool) -> Option<usize> {
        let candidates: Vec<usize> = (0..pop.units.len())
            .filter(|&i| !self.used_units.contains(&pop.units[i].unor_id) && ok(&pop.units[i]))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let i = candidates[self.rng.random_range(0..candidates.len())];
        self.used_units.insert(pop.units[i].unor_id.clone());
        Some(i)
    }
}

/// Makes the two copies. Kinds that find no suitable target in this population are skipped
/// (the expected rows list only what was injected).
pub fn inject(base: &Population, spec: &InjectSpec) -> Injected {
    let mut ehrm = base.clone();
    let mut bkn = base.clone();
    let mut expected = Vec::new();
    let heads: HashSet<String> = base
        .units
        .iter()
        .filter_map(|u| u.head_nip.clone())
        .collect();
    let mut p = Picker {
        rng: StdRng::seed_from_u64(spec.seed),
        used_nips: HashSet::new(),
        used_units: HashSet::new(),
    };
    // Units whose structure other injections rely on are kept out of unit injections.
    for _ in 0..spec.per_kind {
        for kind in InjectKind::ALL {
            if !spec.kinds.is_empty() && !spec.kinds.contains(&kind) {
                continue;
            }
            if let Some(r) = inject_one(kind, base, &mut ehrm, &mut bkn, &mut p, &heads, spec) {
                expected.push(r);
            }
        }
    }
    expected.sort();
    Injected {
        ehrm,
        bkn,
        expected,
    }
}

fn employee_mut<'a>(pop: &'a mut Population, nip: &str) -> Option<&'a mut Employee> {
    pop.employees.iter_mut().find(|e| e.nip == nip)
}

fn unit_mut<'a>(pop: &'a mut Population, id: &str) -> Option<&'a mut Unit> {
    pop.units.iter_mut().find(|u| u.unor_id == id)
}

fn hex32(rng: &mut StdRng) -> String {
    format!("{:016X}{:016X}", rng.random::<u64>(), rng.random::<u64>())
}

fn shift_date(iso: &str, days: i64) -> String {
    ehrm_sync_domain::dates::parse_iso_date(iso)
        .and_then(|d| d.checked_add(time::Duration::days(days)))
        .map_or_else(|| iso.to_string(), ehrm_sync_domain::dates::format_iso_date)
}

#[allow(clippy::too_many_lines)]
fn inject_one(
    kind: InjectKind,
    base: &Population,
    ehrm: &mut Population,
    bkn: &mut Population,
    p: &mut Picker,
    heads: &HashSet<String>,
    spec: &InjectSpec,
) -> Option<ExpectedRow> {
    let staff = |e: &Employee| !heads.contains(&e.nip);
    match kind {
        InjectKind::PegawaiBknField => {
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
        InjectKind::PegawaiEhrmField => {
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
        InjectKind::PegawaiMissingAtBkn => {
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
        InjectKind::PegawaiMissingInEhrm => {
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
        InjectKind::JabatanMissingAtBkn
        | InjectKind::JabatanMissingInEhrm
        | InjectKind::JabatanDiffers => {
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
        InjectKind::StrukturalOtherHead => {
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
        InjectKind::StrukturalHolderEselon => {
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
        InjectKind::StrukturalVacantInEhrm => {
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
        InjectKind::UnorDiffers => {
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
        InjectKind::UnorMissingAtBkn => {
            // A leaf unit without people, so nothing else refers to it.
            let occupied: HashSet<&str> =
                base.employees.iter().map(|e| e.unor_id.as_str()).collect();
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
        InjectKind::UnorMissingInEhrm => {
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
        InjectKind::KinerjaMissingAtBkn
        | InjectKind::KinerjaDiffers
        | InjectKind::KinerjaMissingInEhrm => {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PopulationSpec, generate};

    #[test]
    fn every_kind_is_injected_once_per_round_on_distinct_targets() {
        let base = generate(&PopulationSpec {
            seed: 3,
            employees: 1_500,
            ..PopulationSpec::default()
        });
        let listed = base.employees.iter().map(|e| e.nip.clone()).collect();
        let spec = InjectSpec {
            seed: 9,
            per_kind: 2,
            listed,
            kinds: Vec::new(),
        };
        let a = inject(&base, &spec);
        assert_eq!(a.expected.len(), InjectKind::ALL.len() * 2);
        let subjects: HashSet<_> = a
            .expected
            .iter()
            .map(|r| (r.nip.clone(), r.unor_id.clone()))
            .collect();
        assert_eq!(subjects.len(), a.expected.len(), "one injection per target");
        assert_ne!(a.ehrm, a.bkn);
        let b = inject(&base, &spec);
        assert_eq!(a.expected, b.expected, "same seed, same injections");
        let only = inject(
            &base,
            &InjectSpec {
                kinds: vec!["kinerja_differs".parse().expect("a kind")],
                per_kind: 3,
                ..spec
            },
        );
        assert_eq!(only.expected.len(), 3);
        assert!(
            only.expected
                .iter()
                .all(|r| r.data_set == "kinerja" && r.kind == "differs")
        );
        assert!("no_such_kind".parse::<InjectKind>().is_err());
    }
}
