//! A run's findings joined with their follow-up marks, and the filters of the Rekonsiliasi page
//! (data set, kind, priority, authority, action, unit with its sub-units, NIP, follow-up state).
//! Pure functions, plus a small cache of finished runs' rows (a finished run never changes).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use ehrm_sync_core::ports::{FindingMark, MarkState};
use ehrm_sync_domain::reconcile::{Action, Authority, DataSet, Discrepancy, Kind, Priority};

use crate::label::{BadParam, Label, parse_param};

/// The filters as the page's query string carries them (empty = any).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FindingQuery {
    pub data_set: String,
    pub kind: String,
    pub priority: String,
    pub authority: String,
    pub action: String,
    pub unit: String,
    pub nip: String,
    pub state: String,
    /// 0-based page.
    pub page: usize,
}

impl FindingQuery {
    /// The filters, checked: an unknown value is named.
    pub fn parse(&self) -> Result<FindingFilter, BadParam> {
        let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        Ok(FindingFilter {
            data_set: parse_param("data_set", &self.data_set)?,
            kind: parse_param("kind", &self.kind)?,
            priority: parse_param("priority", &self.priority)?,
            authority: parse_param("authority", &self.authority)?,
            action: parse_param("action", &self.action)?,
            unit: text(&self.unit),
            nip: text(&self.nip),
            state: parse_param("state", &self.state)?,
            page: self.page,
        })
    }
}

/// The filters of a run's findings (`None` = any).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingFilter {
    pub data_set: Option<DataSet>,
    pub kind: Option<Kind>,
    pub priority: Option<Priority>,
    pub authority: Option<Authority>,
    pub action: Option<Action>,
    /// A unit and the units below it.
    pub unit: Option<String>,
    pub nip: Option<String>,
    pub state: Option<MarkState>,
    /// 0-based page.
    pub page: usize,
}

impl FindingFilter {
    /// The query string of these filters (without the page), for links and downloads.
    pub fn query(&self) -> String {
        let code = |v: Option<&'static str>| v.map(str::to_string).unwrap_or_default();
        let pairs = [
            ("data_set", code(self.data_set.map(Label::code))),
            ("kind", code(self.kind.map(Label::code))),
            ("priority", code(self.priority.map(Label::code))),
            ("authority", code(self.authority.map(Label::code))),
            ("action", code(self.action.map(Label::code))),
            ("unit", self.unit.clone().unwrap_or_default()),
            ("nip", self.nip.clone().unwrap_or_default()),
            ("state", code(self.state.map(Label::code))),
        ];
        let refs: Vec<(&str, &String)> = pairs.iter().map(|(k, v)| (*k, v)).collect();
        query_of(&refs)
    }

    /// In words, for the workbook's summary sheet.
    pub fn describe(&self) -> Option<String> {
        let q = self.query();
        (!q.is_empty()).then(|| q.replace('&', ", "))
    }
}

/// A query string of the non-empty pairs, values percent-encoded (the pages' filters).
pub fn query_of(pairs: &[(&str, &String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a query value.
pub fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The unit and every unit below it, from the tree `{code: parent}`.
pub fn unit_with_descendants(
    tree: &HashMap<String, Option<String>>,
    unit: &str,
) -> HashSet<String> {
    ehrm_sync_core::people::unit_and_below(
        tree.iter()
            .map(|(code, parent)| (code.as_str(), parent.as_deref())),
        unit,
    )
}

/// The state of a finding: its mark's, or open.
pub fn state_of(mark: Option<&FindingMark>) -> MarkState {
    mark.map_or(MarkState::Open, |m| m.state)
}

/// A run's rows in the report's order, with their finding ids (worked out once: hashing
/// 50,000 rows on every page view would cost more than the rest of the page).
#[derive(Clone, Debug, Default)]
pub struct RunRows {
    pub rows: Vec<Discrepancy>,
    pub ids: Vec<String>,
}

impl RunRows {
    pub fn new(mut rows: Vec<Discrepancy>) -> Self {
        rows.sort_by_key(Discrepancy::sort_key);
        let ids = rows.iter().map(Discrepancy::finding_id).collect();
        RunRows { rows, ids }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each row with its id.
    pub fn iter(&self) -> impl Iterator<Item = (&Discrepancy, &str)> {
        self.rows.iter().zip(self.ids.iter().map(String::as_str))
    }
}

/// The rows matching the filter, in the report's order, each with its id and mark.
pub fn select<'a>(
    rows: &'a RunRows,
    marks: &'a HashMap<String, FindingMark>,
    filter: &FindingFilter,
    units: Option<&HashSet<String>>,
) -> Vec<(&'a Discrepancy, &'a str, Option<&'a FindingMark>)> {
    fn wanted<T: PartialEq>(want: Option<T>, have: T) -> bool {
        want.is_none_or(|w| w == have)
    }
    rows.iter()
        .filter(|(r, _)| {
            wanted(filter.data_set, r.data_set)
                && wanted(filter.kind, r.kind)
                && wanted(filter.priority, r.priority)
                && wanted(filter.authority, r.authority)
                && wanted(filter.action, r.action)
                && filter
                    .nip
                    .as_deref()
                    .is_none_or(|n| r.nip.as_deref() == Some(n))
                && units.is_none_or(|set| r.unit_code().is_some_and(|u| set.contains(u)))
        })
        .filter_map(|(r, id)| {
            let mark = marks.get(id);
            wanted(filter.state, state_of(mark)).then_some((r, id, mark))
        })
        .collect()
}

/// Finished runs' rows, the last few (a 50,000-row run is read once, not per page view).
pub struct RowsCache<T = RunRows> {
    runs: Mutex<Vec<(String, Arc<T>)>>,
}

impl<T> Default for RowsCache<T> {
    fn default() -> Self {
        RowsCache {
            runs: Mutex::new(Vec::new()),
        }
    }
}

const CACHED_RUNS: usize = 3;

impl<T> RowsCache<T> {
    pub fn get(&self, run_id: &str) -> Option<Arc<T>> {
        let runs = self.runs.lock().ok()?;
        runs.iter()
            .find(|(id, _)| id == run_id)
            .map(|(_, r)| r.clone())
    }

    pub fn put(&self, run_id: &str, rows: Arc<T>) {
        if let Ok(mut runs) = self.runs.lock() {
            runs.retain(|(id, _)| id != run_id);
            runs.insert(0, (run_id.to_string(), rows));
            runs.truncate(CACHED_RUNS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(nip: &str, unit: &str, priority: Priority) -> Discrepancy {
        Discrepancy {
            data_set: DataSet::Pegawai,
            kind: Kind::Differs,
            nip: Some(nip.into()),
            unor_id: None,
            field: Some("golongan".into()),
            ehrm_value: Some("III/c".into()),
            bkn_value: Some("III/b".into()),
            authority: Authority::Bkn,
            action: Action::NeedsReview,
            priority,
            note: None,
            unit: Some(unit.into()),
        }
    }

    #[test]
    fn a_unit_filter_takes_its_sub_units_and_a_mark_filters_by_state() {
        let tree: HashMap<String, Option<String>> = [
            ("PU", None),
            ("PU.01", Some("PU")),
            ("PU.01.02", Some("PU.01")),
            ("PU.02", Some("PU")),
        ]
        .into_iter()
        .map(|(c, p)| (c.to_string(), p.map(str::to_string)))
        .collect();
        let rows = RunRows::new(vec![
            row("198501012010011001", "PU.01.02", Priority::Pensiun),
            row("198501012010011002", "PU.02", Priority::Pensiun),
            row("198501012010011003", "PU.01", Priority::Normal),
        ]);
        let units = unit_with_descendants(&tree, "PU.01");
        let mut marks = HashMap::new();
        let first_id = rows.rows[0].finding_id();
        marks.insert(
            first_id.clone(),
            FindingMark {
                finding_id: first_id,
                state: MarkState::Handled,
                note: "diperbaiki".into(),
                by: "sari".into(),
                at: 1,
            },
        );
        let filter = FindingFilter {
            priority: Some(Priority::Pensiun),
            ..FindingFilter::default()
        };
        let picked = select(&rows, &marks, &filter, Some(&units));
        assert_eq!(picked.len(), 1);
        assert_eq!(picked[0].0.nip.as_deref(), Some("198501012010011001"));
        let open = FindingFilter {
            state: Some(MarkState::Open),
            ..FindingFilter::default()
        };
        assert_eq!(select(&rows, &marks, &open, Some(&units)).len(), 1);
        assert_eq!(select(&rows, &marks, &open, None).len(), 2);
    }

    #[test]
    fn the_query_string_round_trips_what_was_chosen() {
        let f = FindingFilter {
            unit: Some("PU 01&x".into()),
            priority: Some(Priority::Pensiun),
            ..FindingFilter::default()
        };
        assert_eq!(f.query(), "priority=pensiun&unit=PU%2001%26x");
        let q = FindingQuery {
            unit: "PU 01&x".into(),
            priority: "pensiun".into(),
            ..FindingQuery::default()
        };
        assert_eq!(q.parse(), Ok(f));
        let bad = FindingQuery {
            kind: "sideways".into(),
            ..FindingQuery::default()
        };
        assert_eq!(bad.parse().map_err(|e| e.field), Err("kind"));
    }
}
