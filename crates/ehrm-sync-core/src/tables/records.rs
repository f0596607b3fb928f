//! Sync records that need a person, as a workbook (`Perlu Tindakan`).

use crate::ports::{Cell, Table};

/// One record as the console lists it (times already written in Jakarta time).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordLine {
    pub nip: String,
    pub record_key: String,
    pub kind: String,
    pub tahun: String,
    pub status: String,
    pub received_version: u64,
    pub delivered_version: Option<u64>,
    pub bkn_id: Option<String>,
    pub attempts: u32,
    pub updated: String,
    pub next_attempt: Option<String>,
    /// BKN's message, verbatim.
    pub last_error: Option<String>,
}

pub const RECORD_HEADERS: [&str; 12] = [
    "NIP",
    "Kunci Rekaman",
    "Jenis",
    "Tahun",
    "Status",
    "Versi eHRM",
    "Versi di BKN",
    "ID BKN",
    "Dicoba Ulang",
    "Diperbarui",
    "Percobaan Berikutnya",
    "Pesan BKN",
];

pub fn records_tables(lines: &[RecordLine]) -> Vec<Table> {
    let rows = lines
        .iter()
        .map(|l| {
            vec![
                Cell::text(&l.nip),
                Cell::text(&l.record_key),
                Cell::text(&l.kind),
                Cell::text(&l.tahun),
                Cell::text(&l.status),
                Cell::Number(l.received_version as f64),
                l.delivered_version
                    .map_or(Cell::Empty, |v| Cell::Number(v as f64)),
                Cell::opt(l.bkn_id.as_deref()),
                Cell::Number(f64::from(l.attempts)),
                Cell::text(&l.updated),
                Cell::opt(l.next_attempt.as_deref()),
                Cell::opt(l.last_error.as_deref()),
            ]
        })
        .collect();
    vec![Table {
        name: "Perlu Tindakan".into(),
        headers: RECORD_HEADERS.iter().map(|h| h.to_string()).collect(),
        rows,
    }]
}
