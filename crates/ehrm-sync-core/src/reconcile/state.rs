//! The checkpointed state of a run (the `reconcile.run` control document).

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::reconcile::{PegawaiFacts, UnitFacts};
use ehrm_sync_domain::record::Millis;

use super::RunRequest;
use crate::clock::format_ms;

/// Which employees a run covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Everyone, priority first.
    All,
    /// Only the priority cohort (promotion list, retirement list, structural officials).
    PriorityOnly,
    /// One employee.
    Nip(String),
    /// The employees of one unit and the units below it.
    Unit(String),
    /// Scheduled: the priority cohort and the next rolling slice of everyone else.
    Slice,
}

impl Scope {
    /// Whether the unit tree and structural posts are compared too (not for one employee).
    pub fn compares_units(&self) -> bool {
        !matches!(self, Scope::Nip(_))
    }
}

impl Scope {
    /// As displayed, with an employee's NIP masked (for logs).
    pub fn masked(&self) -> String {
        match self {
            Scope::Nip(n) => format!("nip {}", ehrm_sync_domain::nip::mask_nip(n)),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::PriorityOnly => f.write_str("priority-only"),
            Scope::Nip(n) => write!(f, "nip {n}"),
            Scope::Unit(u) => write!(f, "unit {u}"),
            Scope::Slice => f.write_str("rolling slice"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Stopped at a checkpoint (deadline, BKN unavailable, interrupted); the next invocation
    /// continues.
    Paused,
    Finished,
    /// Given up for a run of another scope (`reconcile --restart`).
    Abandoned,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Paused => "paused",
            RunStatus::Finished => "finished",
            RunStatus::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Planning,
    Employees,
    Units,
    Report,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub run_id: String,
    pub scope: Scope,
    pub dry_run: bool,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
    pub finished: bool,
    pub status: RunStatus,
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
    pub bkn_calls: u64,
    pub active_ms: i64,
    pub invocations: u32,
    /// (token, until): the invocation working on the run.
    pub lease: Option<(String, Millis)>,
    pub report: Vec<String>,
}

impl RunState {
    pub fn new(request: &RunRequest, now: Millis) -> Self {
        let stamp = format_ms(now)
            .chars()
            .filter(|c| c.is_ascii_digit())
            .take(14)
            .collect::<String>();
        let run_id = format!("{stamp}-{}", &crate::deliver::new_token()[..6]);
        RunState {
            run_id,
            scope: request.scope.clone(),
            dry_run: request.dry_run,
            started_at: now,
            finished_at: None,
            finished: false,
            status: RunStatus::Running,
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
            bkn_calls: 0,
            active_ms: 0,
            invocations: 0,
            lease: None,
            report: Vec::new(),
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
