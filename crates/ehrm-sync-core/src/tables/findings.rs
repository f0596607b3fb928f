//! A reconciliation run's findings as a workbook: `Temuan` (one row per finding, the report's
//! columns) and `Ringkasan` (the run and its counts).

use std::collections::BTreeMap;

use ehrm_sync_domain::reconcile::report::CSV_HEADERS;
use ehrm_sync_domain::reconcile::{DataSet, Discrepancy, Kind, Priority};

use crate::ports::{Cell, Table};

/// What the summary sheet says about the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFacts {
    pub run_id: String,
    pub scope: String,
    pub started: String,
    pub finished: Option<String>,
    /// What the rows are (e.g. the console's filters), when not the whole run.
    pub selection: Option<String>,
}

/// A finding, with its follow-up when the workbook carries them.
#[derive(Clone, Copy, Debug)]
pub struct FindingLine<'a> {
    pub row: &'a Discrepancy,
    /// State (`open`, `handled`, `ignored`) and note.
    pub follow_up: Option<(&'a str, &'a str)>,
}

/// The findings workbook's sheets. With `with_follow_up`, two more columns: the state and its
/// note.
pub fn findings_tables(
    run: &RunFacts,
    lines: &[FindingLine<'_>],
    with_follow_up: bool,
) -> Vec<Table> {
    let mut headers: Vec<String> = CSV_HEADERS.iter().map(|h| h.to_string()).collect();
    if with_follow_up {
        headers.push("Tindak Lanjut".into());
        headers.push("Catatan Tindak Lanjut".into());
    }
    let rows = lines
        .iter()
        .map(|l| finding_cells(l, with_follow_up))
        .collect();
    let findings = Table {
        name: "Temuan".into(),
        headers,
        rows,
    };
    vec![findings, summary(run, lines)]
}

fn finding_cells(line: &FindingLine<'_>, with_follow_up: bool) -> Vec<Cell> {
    let r = line.row;
    let mut cells = vec![
        Cell::text(r.data_set.as_str()),
        Cell::text(r.kind.as_str()),
        Cell::opt(r.nip.as_deref()),
        Cell::opt(r.unor_id.as_deref()),
        // The field in words (`2014-07-29.nomor_sk` → "Jabatan TMT 29-07-2014: nomor SK"); the
        // code stays in the JSON and CSV reports.
        Cell::opt(
            r.field
                .as_deref()
                .map(|f| ehrm_sync_domain::reconcile::words::field_words(f).0)
                .as_deref(),
        ),
        Cell::opt(r.ehrm_value.as_deref()),
        Cell::opt(r.bkn_value.as_deref()),
        Cell::text(r.authority.as_str()),
        Cell::text(r.action.as_str()),
        Cell::text(r.priority.as_str()),
        Cell::opt(r.note.as_deref()),
    ];
    if with_follow_up {
        let (state, note) = line.follow_up.unwrap_or(("open", ""));
        cells.push(Cell::text(state));
        cells.push(Cell::opt(Some(note).filter(|n| !n.is_empty())));
    }
    cells
}

fn summary(run: &RunFacts, lines: &[FindingLine<'_>]) -> Table {
    let mut rows = vec![
        pair("ID Rekon", &run.run_id),
        pair("Cakupan", &run.scope),
        pair("Mulai", &run.started),
        pair(
            "Selesai",
            run.finished.as_deref().unwrap_or("belum selesai"),
        ),
        pair(
            "Pilihan",
            run.selection.as_deref().unwrap_or("semua temuan"),
        ),
        vec![
            Cell::text("Jumlah temuan"),
            Cell::Number(lines.len() as f64),
        ],
        vec![Cell::Empty],
        vec![
            Cell::text("Set Data"),
            Cell::text("Jenis Selisih"),
            Cell::text("Prioritas"),
            Cell::text("Jumlah"),
        ],
    ];
    let mut counts: BTreeMap<(DataSet, Kind, Priority), u64> = BTreeMap::new();
    for l in lines {
        *counts
            .entry((l.row.data_set, l.row.kind, l.row.priority))
            .or_default() += 1;
    }
    rows.extend(counts.iter().map(|((d, k, p), n)| {
        vec![
            Cell::text(d.as_str()),
            Cell::text(k.as_str()),
            Cell::text(p.as_str()),
            Cell::Number(*n as f64),
        ]
    }));
    Table {
        name: "Ringkasan".into(),
        headers: vec!["Keterangan".into(), "Nilai".into()],
        rows,
    }
}

fn pair(label: &str, value: &str) -> Vec<Cell> {
    vec![Cell::text(label), Cell::text(value)]
}
