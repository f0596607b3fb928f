//! Who a run looks at (readiness.md §7 "Scope"): everyone on BKN's promotion proposals for
//! each monthly period and on its retirement proposals in the window, plus everyone eHRM's own
//! data says is due in them without a proposal. The earliest deadline first.

use std::collections::{BTreeMap, HashSet};

use time::Date;

use ehrm_sync_domain::readiness::codes::rank;
use ehrm_sync_domain::readiness::pensiun::ehrm_retirement;
use ehrm_sync_domain::readiness::{Ctx, EhrmPerson, Proposal, Service, add_months, add_years};
use ehrm_sync_domain::reconcile::{PegawaiFacts, UnitFacts, kp_period_of};

use super::state::{Candidate, Subject};

/// What planning read.
pub struct Lists {
    /// Per period, its proposals.
    pub kp: Vec<(Date, Vec<Proposal>)>,
    pub pensiun: Vec<Proposal>,
}

/// The units at and below `root` in eHRM's tree.
pub fn unit_and_below(units: &[UnitFacts], root: &str) -> HashSet<String> {
    let mut out: HashSet<String> = HashSet::from([root.to_string()]);
    loop {
        let before = out.len();
        for u in units {
            if u.parent.as_ref().is_some_and(|p| out.contains(p)) {
                out.insert(u.id.clone());
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// The period at which eHRM's data says the time in rank is reached (4 years; 2 for a
/// functional position), `None` at IV/e or without a rank.
pub fn ehrm_kp_period(p: &PegawaiFacts) -> Option<Date> {
    let r = rank(p.golongan.as_deref()?)?;
    if r >= 16 {
        return None;
    }
    let tmt = ehrm_sync_domain::dates::parse_iso_date(p.tmt_golongan.as_deref()?)?;
    let fungsional = p.jenis_jabatan.as_deref().is_some_and(|j| j.eq_ignore_ascii_case("fungsional"));
    Some(kp_period_of(add_years(tmt, if fungsional { 2 } else { 4 })))
}

/// The cohort: `employees` are eHRM's (already narrowed to the unit or NIP asked), `only`
/// narrows the people BKN's lists bring in (`None`: everyone they list).
pub fn plan(
    lists: &Lists,
    employees: &[PegawaiFacts],
    only: Option<&HashSet<String>>,
    periods: &[Date],
    pension: (Date, Date),
    ctx: Ctx<'_>,
) -> Vec<Candidate> {
    let mut people: BTreeMap<String, Candidate> = BTreeMap::new();
    let units: BTreeMap<&str, Option<String>> =
        employees.iter().map(|e| (e.nip.as_str(), e.unor.clone())).collect();
    let mut add = |nip: &str, subject: Subject| {
        let c = people.entry(nip.to_string()).or_insert_with(|| Candidate {
            nip: nip.to_string(),
            unit: units.get(nip).cloned().flatten(),
            subjects: Vec::new(),
        });
        c.subjects.push(subject);
    };
    let allowed = |nip: &str| only.is_none_or(|o| o.contains(nip));
    let mut proposed_kp: BTreeMap<String, Date> = BTreeMap::new();
    for (period, proposals) in &lists.kp {
        for p in proposals.iter().filter(|p| allowed(&p.nip)) {
            let first = proposed_kp.entry(p.nip.clone()).or_insert(*period);
            *first = (*first).min(*period);
            add(&p.nip, Subject { service: Service::Kp, period: *period, proposal: Some(p.clone()), due_without_proposal: false });
        }
    }
    let mut proposed_pension: HashSet<String> = HashSet::new();
    for p in lists.pensiun.iter().filter(|p| allowed(&p.nip)) {
        let Some(tmt) = p.tmt.or(Some(pension.0)) else { continue };
        if proposed_pension.insert(p.nip.clone()) {
            add(&p.nip, Subject { service: Service::Pensiun, period: tmt, proposal: Some(p.clone()), due_without_proposal: false });
        }
    }
    // People already past retirement are looked at for a year (R7: still active at BKN).
    let past = add_months(pension.0, -12);
    for e in employees {
        if let Some(period) = ehrm_kp_period(e).filter(|p| periods.contains(p))
            && proposed_kp.get(&e.nip).is_none_or(|first| *first > period)
        {
            add(&e.nip, Subject { service: Service::Kp, period, proposal: None, due_without_proposal: true });
        }
        let person = EhrmPerson { pegawai: e.clone(), ..EhrmPerson::default() };
        if let Some(tmt) = ehrm_retirement(&person, ctx).filter(|t| *t >= past && *t <= pension.1)
            && !proposed_pension.contains(&e.nip)
        {
            add(&e.nip, Subject { service: Service::Pensiun, period: tmt, proposal: None, due_without_proposal: false });
        }
    }
    let mut out: Vec<Candidate> = people.into_values().collect();
    out.sort_by_key(|c| (c.subjects.iter().map(|s| s.period).min(), c.nip.clone()));
    out
}

/// The months of the retirement window, each as (1st, last day), for one list call each (as
/// BKD Jatim's client reads it; the longest span BKN accepts is not known, readiness.md Q8).
pub fn pension_months(from: Date, to: Date) -> Vec<(Date, Date)> {
    let mut out = Vec::new();
    let mut first = from.replace_day(1).unwrap_or(from);
    while first <= to {
        let next = add_months(first, 1);
        out.push((first, next.previous_day().unwrap_or(next)));
        first = next;
    }
    out
}

