//! Who a run looks at (`docs/readiness.md`, "Who is looked at"): everyone on BKN's promotion proposals for
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
    crate::people::unit_and_below(
        units.iter().map(|u| (u.id.as_str(), u.parent.as_deref())),
        root,
    )
}

/// The period at which eHRM's data says the time in rank is reached (4 years; 2 for a
/// functional position), `None` at IV/e or without a rank.
pub fn ehrm_kp_period(p: &PegawaiFacts) -> Option<Date> {
    let r = rank(p.golongan.as_deref()?)?;
    if r >= 16 {
        return None;
    }
    let tmt = ehrm_sync_domain::dates::parse_iso_date(p.tmt_golongan.as_deref()?)?;
    let fungsional = p
        .jenis_jabatan
        .as_deref()
        .is_some_and(|j| j.eq_ignore_ascii_case("fungsional"));
    Some(kp_period_of(add_years(tmt, if fungsional { 2 } else { 4 })))
}

/// The cohort being built: people by NIP with what they face.
struct Builder<'a> {
    people: BTreeMap<String, Candidate>,
    units: BTreeMap<&'a str, Option<String>>,
    /// The first period each person has a promotion proposal for.
    proposed_kp: BTreeMap<String, Date>,
    proposed_pension: HashSet<String>,
}

impl Builder<'_> {
    fn add(&mut self, nip: &str, service: Service, period: Date, proposal: Option<Proposal>) {
        let due_without_proposal = service == Service::Kp && proposal.is_none();
        let c = self
            .people
            .entry(nip.to_string())
            .or_insert_with(|| Candidate {
                nip: nip.to_string(),
                unit: self.units.get(nip).cloned().flatten(),
                subjects: Vec::new(),
            });
        c.subjects.push(Subject {
            service,
            period,
            proposal,
            due_without_proposal,
        });
    }

    fn add_proposals(&mut self, lists: &Lists, allowed: impl Fn(&str) -> bool, window_start: Date) {
        for (period, proposals) in &lists.kp {
            for p in proposals.iter().filter(|p| allowed(&p.nip)) {
                let first = self.proposed_kp.entry(p.nip.clone()).or_insert(*period);
                *first = (*first).min(*period);
                self.add(&p.nip, Service::Kp, *period, Some(p.clone()));
            }
        }
        for p in lists.pensiun.iter().filter(|p| allowed(&p.nip)) {
            if self.proposed_pension.insert(p.nip.clone()) {
                self.add(
                    &p.nip,
                    Service::Pensiun,
                    p.tmt.unwrap_or(window_start),
                    Some(p.clone()),
                );
            }
        }
    }

    /// eHRM's due people without a proposal, and everyone eHRM lists whose retirement date has
    /// passed, however long ago (R7, BKN's quality indicator TIM_5, has no time limit: those
    /// still active at SIASN are the most urgent).
    fn add_due_in_ehrm(
        &mut self,
        employees: &[PegawaiFacts],
        periods: &[Date],
        pension: (Date, Date),
        ctx: Ctx<'_>,
    ) {
        for e in employees {
            if let Some(period) = ehrm_kp_period(e).filter(|p| periods.contains(p))
                && self
                    .proposed_kp
                    .get(&e.nip)
                    .is_none_or(|first| *first > period)
            {
                self.add(&e.nip, Service::Kp, period, None);
            }
            let person = EhrmPerson {
                pegawai: e.clone(),
                ..EhrmPerson::default()
            };
            if let Some(tmt) = ehrm_retirement(&person, ctx).filter(|t| *t <= pension.1)
                && !self.proposed_pension.contains(&e.nip)
            {
                self.add(&e.nip, Service::Pensiun, tmt, None);
            }
        }
    }
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
    let mut b = Builder {
        people: BTreeMap::new(),
        units: employees
            .iter()
            .map(|e| (e.nip.as_str(), e.unor.clone()))
            .collect(),
        proposed_kp: BTreeMap::new(),
        proposed_pension: HashSet::new(),
    };
    b.add_proposals(lists, |nip| only.is_none_or(|o| o.contains(nip)), pension.0);
    b.add_due_in_ehrm(employees, periods, pension, ctx);
    let mut out: Vec<Candidate> = b.people.into_values().collect();
    out.sort_by_key(|c| (c.subjects.iter().map(|s| s.period).min(), c.nip.clone()));
    out
}

/// The months of the retirement window, each as (1st, last day), for one list call each (as
/// BKD Jatim's client reads it; the longest span BKN accepts is not known, `docs/readiness-rules.md` open question 8).
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
