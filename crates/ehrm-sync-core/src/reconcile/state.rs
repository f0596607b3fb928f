//! The checkpointed state of a run (the `reconcile.run` control document).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::reconcile::{PegawaiFacts, UnitFacts};
use ehrm_sync_domain::record::Millis;

use super::RunRequest;
use crate::clock::format_ms;
use crate::job::RunLife;
use crate::ports::{FindingCount, Phase, Scope};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// What the run engine keeps: id, status, lease, invocations, BKN calls, time spent.
    #[serde(flatten)]
    pub life: RunLife,
    pub scope: Scope,
    pub dry_run: bool,
    pub phase: Phase,
    /// The promotion periods asked of BKN (`yyyy-mm-dd`, or `first..last`).
    pub periode: Option<String>,
    pub listed_kp: Vec<String>,
    pub listed_pensiun: Vec<String>,
    /// The priority cohort, in order, and how many of it are done.
    pub priority: Vec<String>,
    pub priority_done: usize,
    /// Scheduled runs: the rolling slice, and how many of it are done.
    pub slice: Option<Vec<String>>,
    /// Other runs: the last employee done (everyone else is walked in NIP order).
    pub cursor: Option<String>,
    pub rest_done: usize,
    pub rest_total: usize,
    pub missing_at_bkn: Vec<String>,
    pub unreadable: u64,
    pub unreadable_examples: Vec<(String, String)>,
    pub repairs_queued: u64,
    pub callbacks_sent: u64,
    pub report: Vec<String>,
    /// Once finished: the findings' totals.
    #[serde(default)]
    pub findings: Option<FindingTotals>,
}

/// A finished run's findings, counted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingTotals {
    pub counts: Vec<FindingCount>,
    pub rows: usize,
    pub left_for_people: usize,
}

impl RunState {
    pub fn new(request: &RunRequest, now: Millis) -> Self {
        let stamp = format_ms(now)
            .chars()
            .filter(|c| c.is_ascii_digit())
            .take(14)
            .collect::<String>();
        let run_id = format!("{stamp}-{}", &crate::ids::new_token()[..6]);
        RunState {
            life: RunLife::new(run_id, now),
            scope: request.scope.clone(),
            dry_run: request.dry_run,
            phase: Phase::Planning,
            periode: None,
            listed_kp: Vec::new(),
            listed_pensiun: Vec::new(),
            priority: Vec::new(),
            priority_done: 0,
            slice: None,
            cursor: None,
            rest_done: 0,
            rest_total: 0,
            missing_at_bkn: Vec::new(),
            unreadable: 0,
            unreadable_examples: Vec::new(),
            repairs_queued: 0,
            callbacks_sent: 0,
            report: Vec::new(),
            findings: None,
        }
    }

    pub fn total(&self) -> usize {
        self.priority.len() + self.rest_total
    }

    pub fn done(&self) -> usize {
        self.priority_done + self.rest_done
    }

    /// Marks these employees (the next ones of the cohort, in order) as done.
    pub fn advance(&mut self, nips: &[String]) {
        for nip in nips {
            if self.priority_done < self.priority.len() {
                self.priority_done += 1;
            } else {
                self.rest_done += 1;
                if self.slice.is_none() {
                    self.cursor = Some(nip.clone());
                }
            }
        }
    }

    /// The units a unit-scoped run covers (the unit and everything below it); all otherwise.
    pub fn unit_filter<'a>(&self, units: &'a [UnitFacts]) -> HashSet<&'a str> {
        let Scope::Unit(root) = &self.scope else {
            return units.iter().map(|u| u.id.as_str()).collect();
        };
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for u in units {
            if let Some(p) = &u.parent {
                children.entry(p.as_str()).or_default().push(u.id.as_str());
            }
        }
        let mut out = HashSet::new();
        let mut stack: Vec<&str> = units
            .iter()
            .filter(|u| &u.id == root)
            .map(|u| u.id.as_str())
            .collect();
        while let Some(u) = stack.pop() {
            if out.insert(u) {
                stack.extend(children.get(u).into_iter().flatten());
            }
        }
        out
    }

    /// The NIPs of the employees this run covers.
    pub fn scope_filter(&self, employees: &[PegawaiFacts], units: &[UnitFacts]) -> Vec<String> {
        match &self.scope {
            Scope::Nip(n) => vec![n.clone()],
            Scope::Unit(_) => {
                let units = self.unit_filter(units);
                employees
                    .iter()
                    .filter(|e| e.unor.as_deref().is_some_and(|u| units.contains(u)))
                    .map(|e| e.nip.clone())
                    .collect()
            }
            _ => employees.iter().map(|e| e.nip.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_walks_priority_then_the_rest() {
        let req = RunRequest {
            scope: Scope::All,
            dry_run: false,
            restart: false,
        };
        let mut s = RunState::new(&req, 0);
        s.priority = vec!["a".into(), "b".into()];
        s.rest_total = 3;
        s.advance(&["a".into(), "b".into(), "c".into()]);
        assert_eq!(
            (s.priority_done, s.rest_done, s.cursor.as_deref()),
            (2, 1, Some("c"))
        );
        assert_eq!((s.done(), s.total()), (3, 5));
    }
}
