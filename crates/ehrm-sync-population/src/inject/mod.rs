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

/// Where one injection works: the base population, the two copies being made to differ, and
/// the picker that keeps each employee and unit to one injection.
mod jabatan;
mod kinerja;
mod pegawai;
mod struktural;
mod unor;

use jabatan::jabatan;
use kinerja::kinerja;
use pegawai::{
    pegawai_bkn_field, pegawai_ehrm_field, pegawai_missing_at_bkn, pegawai_missing_in_ehrm,
};
use struktural::{struktural_holder_eselon, struktural_other_head, struktural_vacant_in_ehrm};
use unor::{unor_differs, unor_missing_at_bkn, unor_missing_in_ehrm};

struct Target<'a> {
    base: &'a Population,
    ehrm: &'a mut Population,
    bkn: &'a mut Population,
    p: &'a mut Picker,
    heads: &'a HashSet<String>,
    spec: &'a InjectSpec,
}

fn inject_one(
    kind: InjectKind,
    base: &Population,
    ehrm: &mut Population,
    bkn: &mut Population,
    p: &mut Picker,
    heads: &HashSet<String>,
    spec: &InjectSpec,
) -> Option<ExpectedRow> {
    let t = Target {
        base,
        ehrm,
        bkn,
        p,
        heads,
        spec,
    };
    match kind {
        InjectKind::PegawaiBknField => pegawai_bkn_field(t),
        InjectKind::PegawaiEhrmField => pegawai_ehrm_field(t),
        InjectKind::PegawaiMissingAtBkn => pegawai_missing_at_bkn(t),
        InjectKind::PegawaiMissingInEhrm => pegawai_missing_in_ehrm(t),
        InjectKind::JabatanMissingAtBkn
        | InjectKind::JabatanMissingInEhrm
        | InjectKind::JabatanDiffers => jabatan(t, kind),
        InjectKind::StrukturalOtherHead => struktural_other_head(t),
        InjectKind::StrukturalHolderEselon => struktural_holder_eselon(t),
        InjectKind::StrukturalVacantInEhrm => struktural_vacant_in_ehrm(t),
        InjectKind::UnorDiffers => unor_differs(t),
        InjectKind::UnorMissingAtBkn => unor_missing_at_bkn(t),
        InjectKind::UnorMissingInEhrm => unor_missing_in_ehrm(t),
        InjectKind::KinerjaMissingAtBkn
        | InjectKind::KinerjaDiffers
        | InjectKind::KinerjaMissingInEhrm => kinerja(t, kind),
    }
}

#[cfg(test)]
mod tests;
