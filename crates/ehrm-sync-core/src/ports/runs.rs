//! Reconciliation runs as operators and pages see them (the scope, status, phase and summary of
//! a run), where runs and their rows are kept, and where report files go: a folder or S3 for
//! the files, tables of cells for the workbooks HR officers open (the sheets crate writes them).

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::nip::mask_nip;
use ehrm_sync_domain::reconcile::{DataSet, Discrepancy, Kind, Priority};
use ehrm_sync_domain::record::Millis;

use super::store::StoreError;

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
            Scope::Nip(n) => format!("nip {}", mask_nip(n)),
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

/// An employee that could not be compared, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub nip: String,
    pub reason: String,
}

/// Findings of one data set, kind and priority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingCount {
    pub data_set: DataSet,
    pub kind: Kind,
    pub priority: Priority,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_id: String,
    /// `all`, `priority-only`, `nip …`, `unit …`, `rolling slice`.
    pub scope: String,
    pub dry_run: bool,
    pub status: RunStatus,
    pub phase: Phase,
    pub started_at: Millis,
    pub started_at_text: String,
    pub finished_at: Option<Millis>,
    /// Start to finish once finished; else the time spent working so far.
    pub duration_ms: i64,
    pub active_ms: i64,
    pub invocations: u32,
    pub employees_total: usize,
    pub employees_done: usize,
    pub priority_employees: usize,
    pub bkn_calls: u64,
    pub repairs_queued: u64,
    pub callbacks_sent: u64,
    pub unreadable: u64,
    /// The first 20 at most.
    pub unreadable_examples: Vec<Unreadable>,
    pub missing_at_bkn: usize,
    /// Why the last invocation stopped before the end (deadline, BKN unavailable, interrupted).
    pub pause_reason: Option<String>,
    /// Where the report files went.
    pub report: Vec<String>,
    /// Once finished: findings by data set, kind and priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Vec<FindingCount>>,
    /// Once finished: the number of findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// Once finished: findings no repair or callback takes care of (`needs_review`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_for_people: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_text: Option<String>,
}

/// Reconciliation runs and their rows. Rows are keyed by [`Discrepancy::row_key`] within a
/// run, so writing a row again (after a resume) replaces it.
#[async_trait]
pub trait ReconcileStore: Send + Sync {
    async fn put_rows(&self, run_id: &str, rows: &[Discrepancy]) -> Result<(), StoreError>;
    async fn rows(&self, run_id: &str) -> Result<Vec<Discrepancy>, StoreError>;
    async fn put_run(&self, run_id: &str, summary: &RunSummary) -> Result<(), StoreError>;
    /// The newest runs first.
    async fn runs(&self, limit: usize) -> Result<Vec<RunSummary>, StoreError>;
}

/// Where report files go (a folder locally, S3 on AWS).
#[async_trait]
pub trait ReportSink: Send + Sync {
    /// Writes one file of a run's report; returns where it went.
    async fn write(
        &self,
        run_id: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, StoreError>;
}

/// The media type of an `.xlsx` file.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// 1970-01-01 as a Julian day number.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// One cell of a [`Table`].
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Written as a string with the text format: never turned into a number or a formula.
    Text(String),
    Number(f64),
    /// A calendar day, written as a real date cell (`dd-mm-yyyy`): days since 1970-01-01.
    Day(i64),
    /// A moment, written as a real date-and-time cell in WIB (`dd-mm-yyyy hh:mm`).
    Moment(Millis),
    Empty,
}

impl Cell {
    pub fn text(v: impl Into<String>) -> Cell {
        Cell::Text(v.into())
    }

    pub fn opt(v: Option<&str>) -> Cell {
        v.map_or(Cell::Empty, Cell::text)
    }

    /// A date as eHRM and BKN write it (`yyyy-mm-dd`, or `dd-mm-yyyy`) as a date cell; any
    /// other text stays text, an empty one stays empty.
    pub fn date(v: Option<&str>) -> Cell {
        let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
            return Cell::Empty;
        };
        use ehrm_sync_domain::dates::{parse_bkn_date, parse_iso_date};
        // BKN's "no date" (01-01-0001) and anything before Excel's calendar stay text.
        match parse_iso_date(v)
            .or_else(|| parse_bkn_date(v))
            .filter(|d| d.year() >= 1900)
        {
            Some(d) => Cell::Day(i64::from(d.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY),
            None => Cell::text(v),
        }
    }

    /// The Excel serial number of a date cell (days since 1899-12-30, WIB for moments).
    pub fn serial(&self) -> Option<f64> {
        const EPOCH_SERIAL: f64 = 25_569.0;
        const WIB_MS: i64 = 7 * 3600 * 1000;
        match self {
            Cell::Day(d) => Some(*d as f64 + EPOCH_SERIAL),
            Cell::Moment(ms) => Some((ms + WIB_MS) as f64 / 86_400_000.0 + EPOCH_SERIAL),
            _ => None,
        }
    }

    /// Characters the cell shows (for column widths).
    pub fn width(&self) -> usize {
        match self {
            Cell::Text(t) => t.chars().count(),
            Cell::Number(n) => n.to_string().len(),
            Cell::Day(_) => 10,
            Cell::Moment(_) => 16,
            Cell::Empty => 0,
        }
    }
}

/// A sheet: its name (at most 31 characters), header and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The workbook could not be written (a limit of the format, e.g. over 1,048,576 rows).
#[derive(Debug, thiserror::Error)]
#[error("the Excel file could not be written: {0}")]
pub struct WorkbookError(pub String);

/// Writes tables as the bytes of an `.xlsx` file (NIPs and ids as text cells).
pub trait Workbooks: Send + Sync {
    fn workbook(&self, tables: &[Table]) -> Result<Vec<u8>, WorkbookError>;
}
