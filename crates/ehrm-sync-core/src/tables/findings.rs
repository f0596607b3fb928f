//! A reconciliation run's findings as a workbook for HR officers: `Temuan` (one row per finding,
//! in words, with the employee's name and unit and the follow-up) and `Ringkasan` (the run and
//! its counts).

use std::collections::BTreeMap;

use ehrm_sync_domain::reconcile::{DataSet, Discrepancy, Kind, Priority, words};

use ehrm_sync_domain::record::Millis;

use crate::people::Directory;
use crate::ports::{Cell, MarkState, Table};

/// What the summary sheet says about the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFacts {
    pub run_id: String,
    pub scope: String,
    pub started: Millis,
    pub finished: Option<Millis>,
    /// What the rows are (e.g. the console's filters), when not the whole run.
    pub selection: Option<String>,
}

/// A finding, with its follow-up (none: still open).
#[derive(Clone, Copy, Debug)]
pub struct FindingLine<'a> {
    pub row: &'a Discrepancy,
    pub follow_up: Option<(MarkState, &'a str)>,
}

/// The findings sheet's columns, in Indonesian; the CSV and JSON reports keep the contract's
/// codes.
pub const FINDING_HEADERS: [&str; 14] = [
    "Set Data",
    "Jenis Selisih",
    "NIP",
    "Nama",
    "Unit",
    "Kolom",
    "Nilai eHRM",
    "Nilai BKN",
    "Berwenang",
    "Tindakan",
    "Prioritas",
    "Catatan",
    "Tindak Lanjut",
    "Catatan Tindak Lanjut",
];

/// The findings workbook's sheets: everything in words, names and units from eHRM's list.
pub fn findings_tables(
    run: &RunFacts,
    lines: &[FindingLine<'_>],
    people: &Directory,
) -> Vec<Table> {
    let rows = lines.iter().map(|l| finding_cells(l, people)).collect();
    let findings = Table {
        name: "Temuan".into(),
        headers: FINDING_HEADERS.iter().map(|h| h.to_string()).collect(),
        rows,
    };
    vec![findings, summary(run, lines)]
}

fn finding_cells(line: &FindingLine<'_>, people: &Directory) -> Vec<Cell> {
    let r = line.row;
    let value = |v: Option<&str>| {
        v.map_or(Cell::Empty, |v| {
            Cell::text(words::value_words(r.field.as_deref(), v).0)
        })
    };
    let (state, note) = line.follow_up.unwrap_or((MarkState::Open, ""));
    vec![
        Cell::text(r.data_set.words().0),
        Cell::text(r.kind.words().0),
        Cell::opt(r.nip.as_deref()),
        Cell::opt(r.nip.as_deref().and_then(|n| people.name(n))),
        Cell::opt(r.unit_code().map(|u| people.unit_label(u)).as_deref()),
        // `2014-07-29.nomor_sk` → "Jabatan TMT 29-07-2014: nomor SK".
        Cell::opt(
            r.field
                .as_deref()
                .map(|f| words::field_words(f).0)
                .as_deref(),
        ),
        value(r.ehrm_value.as_deref()),
        value(r.bkn_value.as_deref()),
        Cell::text(r.authority.words().0),
        Cell::text(r.action.words().0),
        Cell::text(r.priority.words().0),
        Cell::opt(r.note.as_deref()),
        Cell::text(state.words().0),
        Cell::opt(Some(note).filter(|n| !n.is_empty())),
    ]
}

fn summary(run: &RunFacts, lines: &[FindingLine<'_>]) -> Table {
    let mut rows = vec![
        pair("ID Rekon", &run.run_id),
        pair("Cakupan", &run.scope),
        vec![Cell::text("Mulai"), Cell::Moment(run.started)],
        vec![
            Cell::text("Selesai"),
            run.finished
                .map_or_else(|| Cell::text("belum selesai"), Cell::Moment),
        ],
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
            Cell::text(d.words().0),
            Cell::text(k.words().0),
            Cell::text(p.words().0),
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
