//! The console's Kesiapan KP & Pensiun page, run on every store like the other cases: findings
//! of the newest readiness run filtered by unit (with sub-units), severity and rule, a follow-up
//! mark carried into the next run while the blocker persists, and the download opened again.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::json;

use ehrm_sync_core::job::RunLife;
use ehrm_sync_core::ports::{RunStatus, overwrite_document as overwrite};
use ehrm_sync_core::readiness::ReadinessRun;
use ehrm_sync_core::readiness::state::{RUN_CONTROL, findings_control, remember_finished};
use ehrm_sync_core::reconcile::UNIT_TREE_CONTROL;
use ehrm_sync_domain::dates::parse_iso_date;
use ehrm_sync_domain::readiness::{ReadinessFinding, RuleId, Service, Severity, Side};

use super::{ConsoleFixture, VIEWER};

const NIP_A: &str = "198507142010011002";
const NIP_B: &str = "196901312010012001";
const NIP_C: &str = "197203152000031003";

fn finding(nip: &str, unit: &str, rule: RuleId, severity: Severity) -> ReadinessFinding {
    let period = parse_iso_date("2027-03-01").expect("date");
    ReadinessFinding {
        nip: nip.into(),
        unit: Some(unit.into()),
        service: if rule.as_str().starts_with('K') {
            Service::Kp
        } else {
            Service::Pensiun
        },
        period,
        rule,
        severity,
        side: Side::BknData,
        deadline: period,
        problem_id: format!("Masalah {}", rule.as_str()),
        problem_en: format!("Problem {}", rule.as_str()),
        bkn_value: None,
        ehrm_value: None,
        tahun: None,
        action: None,
        repair: None,
    }
}

async fn store_run(c: &ConsoleFixture, run_id: &str, findings: &[ReadinessFinding]) {
    let today = parse_iso_date("2026-12-02").expect("date");
    let run = ReadinessRun {
        life: RunLife {
            status: RunStatus::Finished,
            finished_at: Some(2_000),
            invocations: 1,
            bkn_calls: 30,
            ..RunLife::new(run_id.into(), 1_000)
        },
        today,
        scope: "kp 2026-12..2027-05, pensiun 2026-12..2028-02".into(),
        periods: vec![],
        pension_from: today,
        pension_to: today,
        unit: None,
        nip: None,
        dry_run: false,
        planned: true,
        chunk: 25,
        people: 2,
        done: 2,
        list_calls: 21,
        queued_for_bkn: 0,
        findings: findings.len(),
        counts: vec![],
        report: vec![],
    };
    let controls = c.controls.as_ref();
    overwrite(controls, &findings_control(run_id, 0), &findings.to_vec())
        .await
        .expect("findings");
    overwrite(controls, RUN_CONTROL, &run).await.expect("run");
    remember_finished(controls, &run).await.expect("runs");
}

fn cell(sheet: &calamine::Range<Data>, row: usize, col: usize) -> Option<String> {
    match sheet.get((row, col)) {
        Some(Data::String(s)) => Some(s.clone()),
        _ => None,
    }
}

pub async fn readiness_findings_filter_carry_their_marks_and_download(c: &ConsoleFixture) {
    let tree = json!({"PU": null, "PU.01": "PU", "PU.01.02": "PU.01", "PU.02": "PU"});
    c.controls
        .put_control(UNIT_TREE_CONTROL, &tree, 0)
        .await
        .expect("tree");
    let a = finding(NIP_A, "PU.01.02", RuleId::K4, Severity::Block);
    let b = finding(NIP_B, "PU.02", RuleId::R2, Severity::Warn);
    store_run(c, "kesiapan-1", &[a.clone(), b.clone()]).await;

    let client = c.client("10.0.0.21");
    client.login(VIEWER.0, VIEWER.1).await;
    let page = client
        .get("/console/kesiapan?unit=PU.01&severity=block&rule=K4")
        .await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(
        text.contains("1 temuan cocok") && text.contains(NIP_A) && !text.contains(NIP_B),
        "{text}"
    );
    let id = format!("kesiapan|{}", a.key());
    let marked = client
        .post(
            "/console/kesiapan/tandai",
            &[
                ("csrf", &page.csrf()),
                ("finding_id", &id),
                ("state", "handled"),
                ("note", "SKP 2025 diunggah"),
                ("back", "/console/kesiapan?unit=PU.01"),
            ],
        )
        .await;
    assert_eq!(
        marked.location().as_deref(),
        Some("/console/kesiapan?unit=PU.01")
    );

    // The next run finds A again: its mark carries over; B is still open.
    store_run(c, "kesiapan-2", &[a.clone(), b.clone()]).await;
    let handled = client.get("/console/kesiapan?state=handled").await.text();
    assert!(
        handled.contains("kesiapan-2") && handled.contains("1 temuan cocok"),
        "{handled}"
    );
    assert!(handled.contains(NIP_A) && handled.contains("SKP 2025 diunggah"));
    let en = client.get("/console/lang/en").await;
    assert!(en.status < 400);
    assert!(
        client
            .get("/console/kesiapan?rule=R2")
            .await
            .text()
            .contains("Problem R2")
    );

    let x = client.get("/console/kesiapan.xlsx?service=pensiun").await;
    assert_eq!(x.status, 200);
    let mut book = Xlsx::new(Cursor::new(x.bytes)).expect("an xlsx file");
    let sheet = book.worksheet_range("Temuan").expect("findings sheet");
    assert_eq!(cell(&sheet, 0, 0).as_deref(), Some("NIP"));
    assert_eq!(
        cell(&sheet, 1, 0).as_deref(),
        Some(NIP_B),
        "a text cell, all 18 digits"
    );
    assert_eq!(sheet.height(), 2, "the filtered view only");
    assert!(book.worksheet_range("Aturan").is_ok());

    // Who searched or downloaded whose data is on record: the search by NIP, the download with
    // the NIP it held, whatever its filter.
    let by_nip = client.get(&format!("/console/kesiapan?nip={NIP_A}")).await;
    assert_eq!(by_nip.status, 200);
    let audit = client
        .get(&format!("/console/audit?nip={NIP_B}"))
        .await
        .text();
    assert!(
        audit.contains("/console/kesiapan.xlsx?service=pensiun"),
        "the download held B: {audit}"
    );
    let audit_a = client
        .get(&format!("/console/audit?nip={NIP_A}"))
        .await
        .text();
    assert!(audit_a.contains("data-code=\"search_nip\""), "{audit_a}");

    // Deadlines warn: past ones first and marked, then this month's; "bulan ini" keeps both.
    let today = ehrm_sync_domain::dates::jakarta_date(ehrm_sync_core::ports::Clock::now_ms(
        c.clock.as_ref(),
    ));
    let shifted = |days: i32| {
        let mut d = today;
        for _ in 0..days.unsigned_abs() {
            d = if days < 0 {
                d.previous_day()
            } else {
                d.next_day()
            }
            .expect("a date");
        }
        d
    };
    let due = |nip: &str, rule, severity, days: i32| ReadinessFinding {
        deadline: shifted(days),
        ..finding(nip, "PU.02", rule, severity)
    };
    let later = due(NIP_C, RuleId::R2, Severity::Block, 40);
    // (K4 of A was marked handled above: a handled finding is not urgent any more.)
    let overdue = due(NIP_A, RuleId::K3, Severity::Block, -10);
    let this_month = due(NIP_B, RuleId::K6, Severity::Warn, 0);
    store_run(c, "kesiapan-3", &[later, this_month, overdue]).await;
    client.get("/console/lang/id").await;
    let text = client.get("/console/kesiapan?run=kesiapan-3").await.text();
    let at = |nip: &str| {
        text.find(&format!("<span class=\"nip\">{nip}</span>"))
            .expect("listed")
    };
    assert!(
        at(NIP_A) < at(NIP_B) && at(NIP_B) < at(NIP_C),
        "most urgent first: {text}"
    );
    assert!(text.contains("class=\"overdue\"") && text.contains("lewat batas waktu"));
    assert!(text.contains("class=\"due-soon\""));
    let month = client
        .get("/console/kesiapan?run=kesiapan-3&due=month")
        .await
        .text();
    assert!(month.contains("2 temuan cocok"), "{month}");
    assert_eq!(
        client.get("/console/kesiapan?due=kemarin").await.status,
        400
    );
    assert!(
        text.contains("<option value=\"2027-03\">Maret 2027</option>"),
        "periods from a list"
    );
    let overview = client.get("/console/").await.text();
    assert!(overview.contains("id=\"blocked-per-unit\""), "{overview}");
}
