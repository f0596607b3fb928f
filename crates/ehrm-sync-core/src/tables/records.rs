//! Sync records that need a person, as a workbook: a `Ringkasan` sheet (how many, by status,
//! kind and unit) and a `Perlu Tindakan` sheet (one row per record, the employee's name and
//! unit beside the NIP, dates as date cells).

use std::collections::BTreeMap;

use ehrm_sync_domain::record::Millis;

use crate::ports::{Cell, Table};

/// One record as the console lists it, already in the reader's words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordLine {
    pub nip: String,
    /// From eHRM's employee list; `None` when eHRM has not named them.
    pub name: Option<String>,
    /// `Direktorat … (PU.03.02)`.
    pub unit: Option<String>,
    pub record_key: String,
    /// The record's type in words (`SKP tahunan`), for the summary.
    pub record_type: String,
    /// The record in words (`SKP tahunan 2025`).
    pub kind: String,
    pub tahun: String,
    pub status: String,
    pub received_version: u64,
    pub delivered_version: Option<u64>,
    pub bkn_id: Option<String>,
    pub attempts: u32,
    pub updated: Millis,
    pub next_attempt: Option<Millis>,
    /// BKN's message verbatim, or ours in the reader's language.
    pub last_error: Option<String>,
}

pub const RECORD_HEADERS: [&str; 14] = [
    "NIP",
    "Nama",
    "Unit",
    "Rekaman",
    "Tahun",
    "Status",
    "Pesan",
    "Dicoba Ulang",
    "Diperbarui",
    "Percobaan Berikutnya",
    "Versi eHRM",
    "Versi di BKN",
    "ID BKN",
    "Kunci Rekaman",
];

pub fn records_tables(lines: &[RecordLine]) -> Vec<Table> {
    let rows = lines
        .iter()
        .map(|l| {
            vec![
                Cell::text(&l.nip),
                Cell::opt(l.name.as_deref()),
                Cell::opt(l.unit.as_deref()),
                Cell::text(&l.kind),
                Cell::text(&l.tahun),
                Cell::text(&l.status),
                Cell::opt(l.last_error.as_deref()),
                Cell::Number(f64::from(l.attempts)),
                Cell::Moment(l.updated),
                l.next_attempt.map_or(Cell::Empty, Cell::Moment),
                Cell::Number(l.received_version as f64),
                l.delivered_version
                    .map_or(Cell::Empty, |v| Cell::Number(v as f64)),
                Cell::opt(l.bkn_id.as_deref()),
                Cell::text(&l.record_key),
            ]
        })
        .collect();
    vec![
        summary(lines),
        Table {
            name: "Perlu Tindakan".into(),
            headers: RECORD_HEADERS.iter().map(|h| h.to_string()).collect(),
            rows,
        },
    ]
}

/// How many records, by status and kind, then by unit.
fn summary(lines: &[RecordLine]) -> Table {
    let mut by_status: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut by_unit: BTreeMap<&str, usize> = BTreeMap::new();
    for l in lines {
        *by_status.entry((&l.status, &l.record_type)).or_default() += 1;
        *by_unit
            .entry(l.unit.as_deref().unwrap_or("(unit tidak diketahui)"))
            .or_default() += 1;
    }
    let count = |n: usize| Cell::Number(n as f64);
    let mut rows = vec![vec![
        Cell::text("Semua rekaman"),
        Cell::Empty,
        count(lines.len()),
    ]];
    rows.extend(
        by_status
            .into_iter()
            .map(|((status, kind), n)| vec![Cell::text(status), Cell::text(kind), count(n)]),
    );
    rows.extend(
        by_unit
            .into_iter()
            .map(|(unit, n)| vec![Cell::text("Per unit"), Cell::text(unit), count(n)]),
    );
    Table {
        name: "Ringkasan".into(),
        headers: vec!["Status".into(), "Jenis / Unit".into(), "Jumlah".into()],
        rows,
    }
}
