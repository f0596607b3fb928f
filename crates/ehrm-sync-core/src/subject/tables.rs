//! A person's report as workbook sheets, in Bahasa Indonesia: a summary, then one sheet per
//! kind of data held or processing done. BKN's messages stay verbatim.

use ehrm_sync_domain::reconcile::DataSet;
use ehrm_sync_domain::record::SyncStatus;

use crate::clock::format_ms;
use crate::ports::{AttemptOutcome, CallbackStatus, Cell, MarkState, Table};

use super::SubjectReport;

fn status_word(s: SyncStatus) -> &'static str {
    match s {
        SyncStatus::Pending => "menunggu dikirim",
        SyncStatus::Sending => "sedang dikirim",
        SyncStatus::Retrying => "akan dicoba lagi",
        SyncStatus::Synced => "sudah di BKN",
        SyncStatus::Failed => "ditolak BKN",
        SyncStatus::Dead => "berhenti dicoba",
        SyncStatus::NeedsAction => "perlu tindakan",
    }
}

fn outcome_word(o: AttemptOutcome) -> &'static str {
    match o {
        AttemptOutcome::Delivered => "berhasil",
        AttemptOutcome::Transient => "gagal sementara (dicoba lagi)",
        AttemptOutcome::Permanent => "ditolak",
        AttemptOutcome::NeedsAction => "perlu tindakan",
    }
}

fn callback_word(s: CallbackStatus) -> &'static str {
    match s {
        CallbackStatus::Pending => "menunggu dikirim",
        CallbackStatus::Sent => "diterima eHRM",
        CallbackStatus::Failed => "ditolak eHRM",
        CallbackStatus::Dead => "berhenti dicoba",
    }
}

fn mark_word(s: MarkState) -> &'static str {
    match s {
        MarkState::Open => "terbuka",
        MarkState::Handled => "sudah ditangani",
        MarkState::Ignored => "diabaikan",
    }
}

fn data_set_word(d: DataSet) -> &'static str {
    match d {
        DataSet::Pegawai => "data pegawai",
        DataSet::Jabatan => "riwayat jabatan",
        DataSet::PejabatStruktural => "pejabat struktural",
        DataSet::Unor => "unit organisasi",
        DataSet::Kinerja => "riwayat kinerja",
    }
}

fn table(name: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        name: name.into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}

fn json_text(v: &impl serde::Serialize) -> Cell {
    Cell::text(serde_json::to_string(v).unwrap_or_default())
}

fn summary(r: &SubjectReport) -> Table {
    let counts = [
        ("Rekaman yang disimpan", r.records.len()),
        ("Perubahan diterima dari eHRM", r.changes.len()),
        ("Pengiriman ke BKN", r.attempts.len()),
        ("Pemberitahuan ke eHRM", r.callbacks.len()),
        ("Temuan rekonsiliasi", r.findings.len()),
        ("Temuan pemeriksaan kesiapan", r.readiness.len()),
        ("Tindak lanjut temuan", r.marks.len()),
        ("Akses di konsol", r.accesses.len()),
    ];
    let mut rows = vec![
        vec![Cell::text("NIP"), Cell::text(&r.nip)],
        vec![Cell::text("Dibuat pada"), Cell::text(&r.generated_at)],
        vec![Cell::text("ID PNS SIASN"), Cell::opt(r.pns_id.as_deref())],
        vec![
            Cell::text("Nama (daftar pegawai eHRM)"),
            Cell::opt(r.listed.as_ref().map(|p| p.name.as_str())),
        ],
        vec![
            Cell::text("Unit (daftar pegawai eHRM)"),
            Cell::opt(r.listed.as_ref().and_then(|p| p.unit.as_deref())),
        ],
    ];
    rows.extend(
        counts
            .iter()
            .map(|(what, n)| vec![Cell::text(*what), Cell::Number(*n as f64)]),
    );
    table("Ringkasan", &["Hal", "Isi"], rows)
}

fn held(r: &SubjectReport) -> Vec<Table> {
    let records = r
        .records
        .iter()
        .map(|rec| {
            vec![
                Cell::text(rec.key.to_string()),
                Cell::text(status_word(rec.status)),
                Cell::Number(rec.received_version as f64),
                rec.delivered_version
                    .map_or(Cell::Empty, |v| Cell::Number(v as f64)),
                Cell::opt(rec.bkn_id.as_deref()),
                rec.data
                    .as_ref()
                    .map_or(Cell::text("(sudah dihapus)"), json_text),
                Cell::opt(rec.last_error.as_deref()),
                Cell::text(format_ms(rec.updated_at)),
            ]
        })
        .collect();
    let changes = r
        .changes
        .iter()
        .map(|c| {
            vec![
                Cell::text(format_ms(c.received_at)),
                Cell::text(&c.record_key),
                Cell::Number(c.version as f64),
                Cell::text(&c.event_type),
                Cell::text(if c.outcome == "stale" {
                    "diabaikan (versi lama)"
                } else {
                    "diterima"
                }),
                json_text(&c.change),
            ]
        })
        .collect();
    vec![
        table(
            "Data disimpan",
            &[
                "Rekaman",
                "Status",
                "Versi eHRM",
                "Versi di BKN",
                "ID BKN",
                "Data",
                "Pesan BKN terakhir",
                "Diperbarui",
            ],
            records,
        ),
        table(
            "Perubahan diterima",
            &["Diterima", "Rekaman", "Versi", "Jenis", "Hasil", "Data"],
            changes,
        ),
    ]
}

fn processing(r: &SubjectReport) -> Vec<Table> {
    let attempts = r
        .attempts
        .iter()
        .map(|a| {
            vec![
                Cell::text(format_ms(a.at)),
                Cell::text(&a.record_key),
                Cell::Number(a.version as f64),
                Cell::text(a.operation.to_string()),
                Cell::text(outcome_word(a.outcome)),
                a.http_status
                    .map_or(Cell::Empty, |s| Cell::Number(f64::from(s))),
                Cell::opt(a.message.as_deref()),
            ]
        })
        .collect();
    let callbacks = r
        .callbacks
        .iter()
        .map(|c| {
            vec![
                Cell::text(format_ms(c.created_at)),
                Cell::text(c.payload["type"].as_str().unwrap_or_default()),
                Cell::text(callback_word(c.status)),
                json_text(&c.payload["data"]),
            ]
        })
        .collect();
    vec![
        table(
            "Pengiriman ke BKN",
            &[
                "Waktu",
                "Rekaman",
                "Versi",
                "Langkah",
                "Hasil",
                "Kode HTTP",
                "Pesan BKN",
            ],
            attempts,
        ),
        table(
            "Pemberitahuan ke eHRM",
            &["Dibuat", "Jenis", "Status", "Isi"],
            callbacks,
        ),
    ]
}

fn findings(r: &SubjectReport) -> Vec<Table> {
    let rows = r
        .findings
        .iter()
        .map(|f| {
            vec![
                Cell::text(&f.run_id),
                Cell::text(data_set_word(f.row.data_set)),
                f.row.field.as_deref().map_or(Cell::Empty, |field| {
                    Cell::text(ehrm_sync_domain::reconcile::words::field_words(field).0)
                }),
                Cell::opt(f.row.ehrm_value.as_deref()),
                Cell::opt(f.row.bkn_value.as_deref()),
                Cell::opt(f.row.note.as_deref()),
            ]
        })
        .collect();
    let readiness = r
        .readiness
        .iter()
        .map(|f| {
            vec![
                Cell::text(&f.run_id),
                Cell::text(f.finding.rule.as_str()),
                Cell::text(&f.finding.problem_id),
                Cell::opt(f.finding.ehrm_value.as_deref()),
                Cell::opt(f.finding.bkn_value.as_deref()),
            ]
        })
        .collect();
    vec![
        table(
            "Temuan rekonsiliasi",
            &[
                "Rekonsiliasi",
                "Data",
                "Kolom",
                "Nilai eHRM",
                "Nilai BKN",
                "Catatan",
            ],
            rows,
        ),
        table(
            "Temuan kesiapan",
            &[
                "Pemeriksaan",
                "Aturan",
                "Masalah",
                "Nilai eHRM",
                "Nilai BKN",
            ],
            readiness,
        ),
    ]
}

/// The follow-up marks of the person's findings, and the console entries that named them.
fn follow_ups(r: &SubjectReport) -> Vec<Table> {
    let marks = r
        .marks
        .iter()
        .map(|m| {
            vec![
                Cell::text(format_ms(m.at)),
                Cell::text(&m.finding_id),
                Cell::text(mark_word(m.state)),
                Cell::text(&m.note),
                Cell::text(&m.by),
            ]
        })
        .collect();
    let accesses = r
        .accesses
        .iter()
        .map(|a| {
            vec![
                Cell::text(&a.at),
                Cell::text(a.entry["who"].as_str().unwrap_or_default()),
                Cell::text(a.entry["action"].as_str().unwrap_or_default()),
                Cell::text(a.entry["what"].as_str().unwrap_or_default()),
            ]
        })
        .collect();
    vec![
        table(
            "Tindak lanjut",
            &["Waktu", "Temuan", "Status", "Catatan", "Oleh"],
            marks,
        ),
        table(
            "Akses konsol",
            &["Waktu", "Pengguna", "Tindakan", "Halaman atau isi"],
            accesses,
        ),
    ]
}

/// The report's sheets, summary first.
pub fn subject_tables(report: &SubjectReport) -> Vec<Table> {
    let mut tables = vec![summary(report)];
    tables.extend(held(report));
    tables.extend(processing(report));
    tables.extend(findings(report));
    tables.extend(follow_ups(report));
    tables
}
