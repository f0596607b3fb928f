//! A readiness run's files: `readiness.json` (the run, the rule table and every finding),
//! `readiness.csv` (one row per person, period and rule) and `readiness.xlsx` for HR officers
//! (NIPs as text, names and units, words instead of codes, dates as date cells, the follow-up;
//! a summary sheet per unit and period; the rule table).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::state::{ReadinessRun, RuleCount};
use crate::people::Directory;
use crate::ports::{Cell, MarkState, Table};
use ehrm_sync_domain::dates::format_iso_date;
use ehrm_sync_domain::readiness::rules::rule;
use ehrm_sync_domain::readiness::{RULES, ReadinessFinding, Severity};
use ehrm_sync_domain::reconcile::report::{BOM, csv_cell};

/// Column headers of the CSV and the findings sheet (Indonesian first, as HR officers read).
pub const CSV_HEADERS: [&str; 16] = [
    "NIP",
    "Unit",
    "Layanan",
    "Periode/TMT",
    "Aturan",
    "Tingkat",
    "Pihak",
    "Batas Waktu",
    "Masalah",
    "Problem",
    "Nilai BKN",
    "Nilai eHRM",
    "Tahun SKP",
    "Tindakan",
    "Dasar",
    "Kunci",
];

fn cells(f: &ReadinessFinding) -> [String; 16] {
    [
        f.nip.clone(),
        f.unit.clone().unwrap_or_default(),
        f.service.as_str().into(),
        format_iso_date(f.period),
        f.rule.as_str().into(),
        f.severity.as_str().into(),
        f.side.as_str().into(),
        format_iso_date(f.deadline),
        f.problem_id.clone(),
        f.problem_en.clone(),
        f.bkn_value.clone().unwrap_or_default(),
        f.ehrm_value.clone().unwrap_or_default(),
        f.tahun.map(|t| t.to_string()).unwrap_or_default(),
        f.action.map(|a| a.as_str().to_string()).unwrap_or_default(),
        rule(f.rule).basis.into(),
        f.key(),
    ]
}

/// Findings by rule and severity, in rule order.
pub fn counts(findings: &[ReadinessFinding]) -> Vec<RuleCount> {
    let mut by: BTreeMap<_, usize> = BTreeMap::new();
    for f in findings {
        *by.entry((f.rule, f.severity)).or_default() += 1;
    }
    by.into_iter()
        .map(|((rule, severity), count)| RuleCount {
            rule,
            severity,
            count,
        })
        .collect()
}

pub fn csv(findings: &[ReadinessFinding]) -> String {
    let mut out = String::from(BOM);
    out.push_str(&CSV_HEADERS.join(","));
    out.push_str("\r\n");
    for f in findings {
        let line: Vec<String> = cells(f).iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn json(run: &ReadinessRun, findings: &[ReadinessFinding]) -> String {
    let rules: Vec<_> = RULES
        .iter()
        .map(|r| {
            json!({"id": r.code, "service": r.service, "reads": r.reads, "basis": r.basis,
                        "severity": r.severity.as_str(), "confidence": r.confidence,
                        "title_id": r.title_id, "title_en": r.title_en})
        })
        .collect();
    let rows: Vec<_> = findings
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["key"] = json!(f.key());
            v
        })
        .collect();
    serde_json::to_string_pretty(&json!({"run": run, "rules": rules, "findings": rows}))
        .unwrap_or_default()
}

/// A finding with its follow-up (none: still open), for the workbook.
#[derive(Clone, Copy, Debug)]
pub struct ReadinessLine<'a> {
    pub finding: &'a ReadinessFinding,
    pub follow_up: Option<(MarkState, &'a str)>,
}

/// The findings sheet's columns (the CSV keeps the codes machines read).
pub const SHEET_HEADERS: [&str; 17] = [
    "NIP",
    "Nama",
    "Unit",
    "Layanan",
    "Periode/TMT",
    "Aturan",
    "Tingkat",
    "Yang harus bertindak",
    "Batas Waktu",
    "Masalah",
    "Nilai BKN",
    "Nilai eHRM",
    "Tahun SKP",
    "Tindakan",
    "Tindak Lanjut",
    "Catatan Tindak Lanjut",
    "Dasar",
];

fn sheet_cells(line: &ReadinessLine<'_>, people: &Directory) -> Vec<Cell> {
    let f = line.finding;
    let r = rule(f.rule);
    let (state, note) = line.follow_up.unwrap_or((MarkState::Open, ""));
    vec![
        Cell::text(&f.nip),
        Cell::opt(people.name(&f.nip)),
        Cell::opt(f.unit.as_deref().map(|u| people.unit_label(u)).as_deref()),
        Cell::text(f.service.words().0),
        Cell::date(Some(&format_iso_date(f.period))),
        Cell::text(format!("{} — {}", r.code, r.title_id)),
        Cell::text(f.severity.words().0),
        Cell::text(f.side.words().0),
        Cell::date(Some(&format_iso_date(f.deadline))),
        Cell::text(&f.problem_id),
        Cell::opt(f.bkn_value.as_deref()),
        Cell::opt(f.ehrm_value.as_deref()),
        f.tahun.map_or(Cell::Empty, |t| Cell::Number(f64::from(t))),
        Cell::opt(f.action.map(|a| a.words().0)),
        Cell::text(state.words().0),
        Cell::opt(Some(note).filter(|n| !n.is_empty())),
        Cell::text(r.basis),
    ]
}

/// The workbook's sheets: `Temuan` (findings in words, with names, units and follow-up),
/// `Ringkasan` (per unit and period: people with a blocker, blockers, warnings), `Aturan` (the
/// rule table).
pub fn tables(run: &ReadinessRun, lines: &[ReadinessLine<'_>], people: &Directory) -> Vec<Table> {
    let temuan = Table {
        name: "Temuan".into(),
        headers: SHEET_HEADERS.iter().map(|h| h.to_string()).collect(),
        rows: lines.iter().map(|l| sheet_cells(l, people)).collect(),
    };
    let findings: Vec<&ReadinessFinding> = lines.iter().map(|l| l.finding).collect();
    vec![temuan, summary_table(run, &findings, people), rules_table()]
}

/// Per unit, service and period.
#[derive(Default)]
struct Tally {
    blocked_people: BTreeSet<String>,
    blocks: usize,
    warnings: usize,
}

fn summary_table(run: &ReadinessRun, findings: &[&ReadinessFinding], people: &Directory) -> Table {
    let mut per: BTreeMap<(String, &str, String), Tally> = BTreeMap::new();
    for f in findings {
        let key = (
            f.unit
                .as_deref()
                .map(|u| people.unit_label(u))
                .unwrap_or_default(),
            f.service.words().0,
            format_iso_date(f.period),
        );
        let t = per.entry(key).or_default();
        match f.severity {
            Severity::Block => {
                t.blocked_people.insert(f.nip.clone());
                t.blocks += 1;
            }
            Severity::Warn => t.warnings += 1,
        }
    }
    let per_person = (run.calls_per_person() * 100.0).round() / 100.0;
    let mut rows: Vec<Vec<Cell>> = vec![
        vec![
            Cell::text("Pemeriksaan"),
            Cell::text(run.life.run_id.clone()),
        ],
        vec![Cell::text("Cakupan"), Cell::text(run.scope.clone())],
        vec![
            Cell::text("Tanggal"),
            Cell::date(Some(&format_iso_date(run.today))),
        ],
        vec![Cell::text("Orang"), Cell::Number(run.people as f64)],
        vec![
            Cell::text("Panggilan BKN per orang"),
            Cell::Number(per_person),
        ],
        vec![Cell::Empty],
        [
            "Unit",
            "Layanan",
            "Periode/TMT",
            "Orang terblokir",
            "Blokir",
            "Peringatan",
        ]
        .iter()
        .map(|h| Cell::text(*h))
        .collect(),
    ];
    for ((unit, service, period), t) in per {
        rows.push(vec![
            Cell::text(unit),
            Cell::text(service),
            Cell::date(Some(&period)),
            Cell::Number(t.blocked_people.len() as f64),
            Cell::Number(t.blocks as f64),
            Cell::Number(t.warnings as f64),
        ]);
    }
    Table {
        name: "Ringkasan".into(),
        headers: vec!["Kesiapan KP & Pensiun".into(), String::new()],
        rows,
    }
}

fn rules_table() -> Table {
    let headers = [
        "Aturan",
        "Layanan",
        "Tingkat",
        "Keyakinan",
        "Dibaca di BKN",
        "Dasar",
        "Judul",
    ];
    Table {
        name: "Aturan".into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: RULES
            .iter()
            .map(|r| {
                vec![
                    Cell::text(r.code),
                    Cell::text(r.service),
                    Cell::text(r.severity.words().0),
                    Cell::text(r.confidence),
                    Cell::text(r.reads.join(", ")),
                    Cell::text(r.basis),
                    Cell::text(r.title_id),
                ]
            })
            .collect(),
    }
}
