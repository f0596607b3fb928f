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

mod jabatan;
mod kinerja;
mod pegawai;
mod units;

use super::normalize as norm;
use super::*;
use jabatan::compare_jabatan;
use kinerja::compare_kinerja;
use pegawai::compare_pegawai;
pub use units::compare_units;

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

/// A position to deliver again: eHRM's row, and BKN's id when BKN holds a (different) copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JabatanRepair {
    pub nip: String,
    pub row: JabatanFacts,
    pub bkn_id: Option<String>,
    /// The report rows this repair answers (indexes into [`EmployeeComparison::rows`]).
    pub rows: Vec<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmployeeComparison {
    pub rows: Vec<Discrepancy>,
    pub repairs: Vec<KinerjaRepair>,
    pub jabatan_repairs: Vec<JabatanRepair>,
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
            note: None,
            unit: None,
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
            (Authority::Ehrm, DataSet::Kinerja | DataSet::Jabatan) => Action::QueuedForBkn,
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
                ..EmployeeComparison::default()
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
                ..EmployeeComparison::default()
            };
        }
        (Some(e), Some(b)) => (e, b),
    };
    compare_pegawai(&mut rows, &e.pegawai, &b.pegawai);
    let jabatan_repairs = compare_jabatan(&mut rows, &e.jabatan, &b.jabatan);
    let repairs = compare_kinerja(&mut rows, &e.kinerja, &b.kinerja);
    EmployeeComparison {
        rows: rows.out,
        repairs,
        jabatan_repairs,
    }
}

#[cfg(test)]
mod tests;
