//! The console's cases, run on every store (SQLite in `tests/console.rs`, DynamoDB and SQS
//! through the Lambda event shapes in `tests/console_aws.rs`): login, sessions, CSRF,
//! throttling, roles, every page and action, follow-up marks across runs, and the downloads
//! opened again.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::json;

use ehrm_sync_core::ports::LaunchRequest;
use ehrm_sync_core::ports::{AttemptEntry, AttemptOutcome, Clock, DeliveryMessage, Operation};
use ehrm_sync_core::ports::{RunSummary, Scope};
use ehrm_sync_core::reconcile::UNIT_TREE_CONTROL;
use ehrm_sync_domain::reconcile::{Action, Authority, DataSet, Discrepancy, Kind, Priority};
use ehrm_sync_domain::record::{SyncRecord, SyncStatus};

pub use super::people_case::failed_records_filter_by_unit_and_name_their_people;
pub use super::personal_case::{
    an_indonesian_page_shows_our_messages_in_indonesian,
    the_personal_data_report_and_erasure_are_for_operators_and_audited,
};
pub use super::readiness_case::readiness_findings_filter_carry_their_marks_and_download;
use super::{ConsoleFixture, OPERATOR, VIEWER};
use crate::contract::store::{annual_change, random_nip};

const PAGES: [&str; 7] = [
    "/console/",
    "/console/kesiapan",
    "/console/pegawai",
    "/console/gagal",
    "/console/rekon",
    "/console/audit",
    "/console/pegawai?nip=198501012010011001",
];

pub async fn pages_need_a_session_and_carry_the_security_headers(c: &ConsoleFixture) {
    let anon = c.client("10.0.0.1");
    for page in PAGES {
        let a = anon.get(page).await;
        assert_eq!(a.status, 303, "{page} without a session");
        assert_eq!(a.location().as_deref(), Some("/console/login"));
    }
    let login = anon.get("/console/login").await;
    assert_eq!(login.status, 200);
    for (name, value) in [
        ("content-security-policy", "default-src 'self'"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        let got = login.header(name).unwrap_or_default();
        assert!(got.starts_with(value), "{name}: {got}");
    }
    assert!(login.text().contains("<html lang=\"id\""));
    assert!(!login.text().contains("<script"), "no script at all");
    // A page the console does not have: a page in words, with the way back, not an empty 404.
    let missing = anon.get("/console/tidak-ada").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.text().contains("Halaman tidak ditemukan")
            && missing.text().contains("/console/\">"),
        "{}",
        missing.text()
    );
    assert!(
        missing
            .header("content-security-policy")
            .is_some_and(|v| v.starts_with("default-src 'self'")),
        "the same headers as every page"
    );
}

pub async fn login_sets_a_strict_http_only_cookie_and_every_page_renders(c: &ConsoleFixture) {
    let b = c.client("10.0.0.2");
    let a = b.login(VIEWER.0, VIEWER.1).await;
    assert_eq!(a.status, 303);
    let cookie = a
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ehrm_console="))
        .expect("session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert_eq!(
        cookie.contains("; Secure"),
        c.secure_cookies,
        "Secure unless plain HTTP on loopback: {cookie}"
    );
    for page in PAGES {
        let a = b.get(page).await;
        assert_eq!(a.status, 200, "{page}: {}", a.text());
        assert!(a.header("content-security-policy").is_some());
    }
}

pub async fn the_language_switch_is_remembered(c: &ConsoleFixture) {
    let b = c.client("10.0.0.3");
    b.login(VIEWER.0, VIEWER.1).await;
    let id = b.get("/console/").await.text();
    assert!(id.contains("<html lang=\"id\"") && id.contains("Ringkasan"));
    let switch = b.get("/console/lang/en?back=/console/gagal").await;
    assert_eq!(switch.location().as_deref(), Some("/console/gagal"));
    let en = b.get("/console/").await.text();
    assert!(en.contains("<html lang=\"en\"") && en.contains("Overview"));
    let away = b.get("/console/lang/id?back=https://evil.example/").await;
    assert_eq!(
        away.location().as_deref(),
        Some("/console/"),
        "no open redirect"
    );
}

pub async fn the_login_form_needs_its_csrf_token_and_failures_are_throttled_and_audited(
    c: &ConsoleFixture,
) {
    let b = c.client("10.0.0.4");
    b.get("/console/login").await;
    let forged = b
        .post(
            "/console/login",
            &[
                ("user", OPERATOR.0),
                ("password", OPERATOR.1),
                ("csrf", "guess"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    for _ in 0..5 {
        assert_eq!(b.login(OPERATOR.0, "salah-kata-sandi").await.status, 401);
    }
    let right_but_throttled = b.login(OPERATOR.0, OPERATOR.1).await;
    assert_eq!(right_but_throttled.status, 429);
    assert!(
        right_but_throttled
            .text()
            .contains("Terlalu banyak percobaan")
    );
    // Another user from another address is not affected, nor this user from an address that
    // has not failed; fifteen minutes later, neither is this one.
    assert_eq!(
        c.client("10.0.0.5").login(VIEWER.0, VIEWER.1).await.status,
        303
    );
    assert_eq!(
        c.client("10.0.0.15")
            .login(OPERATOR.0, OPERATOR.1)
            .await
            .status,
        303,
        "guesses elsewhere do not lock the real user out"
    );
    c.clock.advance_ms(16 * 60_000);
    assert_eq!(b.login(OPERATOR.0, OPERATOR.1).await.status, 303);
    let audit = b.get("/console/audit").await.text();
    assert_eq!(
        audit
            .matches("<td data-code=\"login_failed\">gagal masuk (kata sandi salah)</td>")
            .count(),
        5
    );
    assert_eq!(
        audit
            .matches(
                "<td data-code=\"login_throttled\">masuk ditahan (terlalu banyak percobaan)</td>"
            )
            .count(),
        1,
        "a refusal is audited when the limit is crossed, not for every attempt"
    );
    assert!(audit.contains("<td>10.0.0.4</td>"));
}

pub async fn one_address_is_throttled_across_user_names(c: &ConsoleFixture) {
    // The operator has signed in from this address before (the ministry's proxy).
    let b = c.client("10.0.0.6");
    assert_eq!(b.login(OPERATOR.0, OPERATOR.1).await.status, 303);
    for i in 0..20 {
        b.login(&format!("tamu{i}"), "salah-kata-sandi").await;
    }
    assert_eq!(b.login(VIEWER.0, VIEWER.1).await.status, 429);
    assert_eq!(
        c.client("10.0.0.6")
            .login(OPERATOR.0, OPERATOR.1)
            .await
            .status,
        303,
        "a name known at the address still gets in"
    );
    assert_eq!(
        c.client("10.0.0.7").login(VIEWER.0, VIEWER.1).await.status,
        303
    );
}

/// Guesses sent at once are counted before their passwords are checked: no more than the
/// limit are checked, however many arrive together.
pub async fn concurrent_guesses_stay_within_the_limit(c: &ConsoleFixture) {
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let b = c.client("10.0.0.16");
        tasks.push(tokio::spawn(async move {
            b.login(VIEWER.0, "tebakan").await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("joined"));
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    // Never more than the limit checked; on a busy machine a guess whose counters stayed
    // contended is refused unchecked too (fail closed), so fewer may be checked.
    assert!(
        (1..=5).contains(&checked) && checked + refused == 24,
        "{statuses:?}"
    );
    let audit = {
        let o = c.client("10.0.0.17");
        o.login(OPERATOR.0, OPERATOR.1).await;
        o.get("/console/audit").await.text()
    };
    let entries = audit
        .matches("<td data-code=\"login_throttled\">masuk ditahan (terlalu banyak percobaan)</td>")
        .count();
    assert!(
        (1..=3).contains(&entries),
        "nineteen refusals, an entry per limit crossed (pair, name, address): {entries}"
    );
}

pub async fn sessions_expire_after_thirty_idle_minutes_and_on_logout(c: &ConsoleFixture) {
    let b = c.client("10.0.0.8");
    b.login(VIEWER.0, VIEWER.1).await;
    c.clock.advance_ms(20 * 60_000);
    assert_eq!(b.get("/console/").await.status, 200, "active at 20 minutes");
    c.clock.advance_ms(20 * 60_000);
    assert_eq!(
        b.get("/console/").await.status,
        200,
        "20 idle minutes since the last page"
    );
    c.clock.advance_ms(31 * 60_000);
    assert_eq!(b.get("/console/").await.status, 303, "31 idle minutes");

    b.login(VIEWER.0, VIEWER.1).await;
    let token = b.cookie("ehrm_console").expect("session");
    let page = b.get("/console/").await;
    let forged = b.post("/console/logout", &[("csrf", "guess")]).await;
    assert_eq!(forged.status, 403, "logout needs the CSRF token too");
    let out = b.post("/console/logout", &[("csrf", &page.csrf())]).await;
    assert_eq!(out.location().as_deref(), Some("/console/login"));
    b.set_cookie("ehrm_console", &token);
    assert_eq!(
        b.get("/console/").await.status,
        303,
        "a logged-out token is dead"
    );
}

async fn dead_record(c: &ConsoleFixture, message: &str) -> SyncRecord {
    let nip = random_nip();
    let now = ehrm_sync_core::ports::Clock::now_ms(c.clock.as_ref());
    let mut rec = SyncRecord::from_change(&annual_change(&nip, 2025, 1), now);
    rec.status = SyncStatus::Dead;
    rec.attempts = 12;
    rec.last_error = Some(message.into());
    c.store.put_record(&rec).await.expect("record");
    rec.revision += 1;
    rec
}

pub async fn a_viewer_is_refused_every_action(c: &ConsoleFixture) {
    dead_record(c, "timeout").await;
    let b = c.client("10.0.0.9");
    b.login(VIEWER.0, VIEWER.1).await;
    let csrf = b.get("/console/").await.csrf();
    assert_eq!(b.get("/console/tindakan").await.status, 403);
    for (path, form) in [
        (
            "/console/tindakan/replay",
            vec![("status", "dead"), ("confirm", "yes")],
        ),
        ("/console/tindakan/redrive", vec![]),
        (
            "/console/tindakan/rekon",
            vec![("mode", "start"), ("scope", "all")],
        ),
        ("/console/tindakan/kesiapan", vec![("mode", "restart")]),
    ] {
        let mut form = form;
        form.push(("csrf", &csrf));
        assert_eq!(b.post(path, &form).await.status, 403, "{path}");
    }
    assert!(
        !b.get("/console/")
            .await
            .text()
            .contains("/console/tindakan\"")
    );
    let still_dead = c
        .store
        .records_by_status(SyncStatus::Dead, 0, i64::MAX / 2, 10)
        .await;
    assert_eq!(still_dead.expect("records").len(), 1);
    assert!(c.launcher.reconciles.lock().expect("launches").is_empty());
    assert!(c.launcher.readiness.lock().expect("launches").is_empty());
}

pub async fn replay_counts_first_then_replays_on_confirmation_and_is_audited(c: &ConsoleFixture) {
    for i in 0..3 {
        dead_record(c, &format!("BKN timeout {i}")).await;
    }
    let b = c.client("10.0.0.10");
    b.login(OPERATOR.0, OPERATOR.1).await;
    let page = b.get("/console/tindakan").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let no_csrf = b
        .post(
            "/console/tindakan/replay",
            &[("status", "dead"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(no_csrf.status, 403);
    let dry = b
        .post(
            "/console/tindakan/replay",
            &[("csrf", &csrf), ("status", "dead")],
        )
        .await;
    assert_eq!(dry.status, 200);
    assert!(
        dry.text()
            .contains("<strong>3</strong> rekaman akan diulang"),
        "{}",
        dry.text()
    );
    let dead = c
        .store
        .records_by_status(SyncStatus::Dead, 0, i64::MAX / 2, 10)
        .await
        .expect("dead");
    assert_eq!(dead.len(), 3, "a dry run changes nothing");
    let done = b
        .post(
            "/console/tindakan/replay",
            &[("csrf", &csrf), ("status", "dead"), ("confirm", "yes")],
        )
        .await;
    assert!(
        done.text()
            .contains("<strong>3</strong> rekaman diantrekan lagi"),
        "{}",
        done.text()
    );
    let pending = c
        .store
        .records_by_status(SyncStatus::Pending, 0, i64::MAX / 2, 10)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 3);
    let audit = b.get("/console/audit").await.text();
    assert!(
        audit.contains("<td data-code=\"replay\">mengirim ulang rekaman gagal</td>")
            && audit.contains("<td class=\"num\">3</td>"),
        "{audit}"
    );
}

pub async fn redrive_and_reconciliation_are_operator_actions_and_audited(c: &ConsoleFixture) {
    let rec = dead_record(c, "x").await;
    c.producer
        .enqueue(&[DeliveryMessage {
            key: rec.key.clone(),
            version: 1,
        }])
        .await
        .expect("enqueue");
    // Received more often than the queue allows: the message moves to the dead letters.
    for _ in 0..=c.max_receives {
        for m in c
            .consumer
            .receive(10, std::time::Duration::ZERO)
            .await
            .expect("receive")
        {
            c.consumer
                .change_visibility(&m.receipt, 0)
                .await
                .expect("visible again");
        }
    }
    let b = c.client("10.0.0.11");
    b.login(OPERATOR.0, OPERATOR.1).await;
    let page = b.get("/console/tindakan").await;
    assert!(
        page.text().contains("id=\"dlq-depth\">1<"),
        "{}",
        page.text()
    );
    let redrive = b
        .post("/console/tindakan/redrive", &[("csrf", &page.csrf())])
        .await;
    assert!(
        redrive
            .text()
            .contains("<strong>1</strong> pesan dikembalikan"),
        "{}",
        redrive.text()
    );
    // eHRM's unit map knows PU.01: an unknown unit is refused before anything runs.
    let mut units = std::collections::BTreeMap::new();
    units.insert("PU.01".to_string(), Some("8AE4".to_string()));
    let map = ehrm_sync_core::unor_map::UnorMap {
        fetched_at: 1,
        units,
    };
    ehrm_sync_core::ports::overwrite_document(
        c.controls.as_ref(),
        ehrm_sync_core::unor_map::UNOR_MAP_DOCUMENT,
        &map,
    )
    .await
    .expect("unit map");
    let unknown = b
        .post(
            "/console/tindakan/rekon",
            &[
                ("csrf", &page.csrf()),
                ("mode", "start"),
                ("scope", "unit"),
                ("target", "XYZ"),
            ],
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text());
    assert!(
        unknown
            .text()
            .contains("unit XYZ tidak ada di daftar unit eHRM"),
        "{}",
        unknown.text()
    );
    let run = b
        .post(
            "/console/tindakan/rekon",
            &[
                ("csrf", &page.csrf()),
                ("mode", "restart"),
                ("scope", "unit"),
                ("target", "PU.01"),
            ],
        )
        .await;
    assert!(run.text().contains("reconcile-started"));
    assert!(run.text().contains("berjalan di latar belakang"));
    for english in ["running in the background", "invoked", "finished", "paused"] {
        assert!(
            !run.text().contains(english),
            "the Indonesian page says how the run went in Indonesian: {}",
            run.text()
        );
    }
    let bad = b
        .post(
            "/console/tindakan/rekon",
            &[
                ("csrf", &page.csrf()),
                ("mode", "start"),
                ("scope", "nip"),
                ("target", "123"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "a NIP scope needs a valid NIP");
    assert!(
        bad.text().contains("NIP tidak valid: harus 18 angka"),
        "in the page's language: {}",
        bad.text()
    );
    assert_eq!(
        *c.launcher.reconciles.lock().expect("launches"),
        vec![LaunchRequest::Restart(Scope::Unit("PU.01".into()))]
    );
    let audit = b.get("/console/audit").await.text();
    assert!(
        audit.contains("<td data-code=\"redrive\">mengembalikan pesan yang disisihkan</td>")
            && audit.contains("<td data-code=\"reconcile\">menjalankan rekonsiliasi</td>")
    );
    assert!(
        audit.contains("mulai ulang unit PU.01"),
        "in the page's language"
    );
}

pub async fn the_readiness_check_is_an_operator_action_and_audited(c: &ConsoleFixture) {
    let b = c.client("10.0.0.7");
    b.login(OPERATOR.0, OPERATOR.1).await;
    let page = b.get("/console/tindakan").await;
    assert!(page.text().contains("/console/tindakan/kesiapan"));
    for mode in ["continue", "restart"] {
        let run = b
            .post(
                "/console/tindakan/kesiapan",
                &[("csrf", &page.csrf()), ("mode", mode)],
            )
            .await;
        assert!(run.text().contains("readiness-started"), "{}", run.text());
        assert!(
            run.text().contains("yang terakhir masih baru"),
            "the launcher's answer, in Indonesian: {}",
            run.text()
        );
    }
    let odd = b
        .post(
            "/console/tindakan/kesiapan",
            &[("csrf", &page.csrf()), ("mode", "everything")],
        )
        .await;
    assert_eq!(odd.status, 400);
    let forged = b
        .post("/console/tindakan/kesiapan", &[("mode", "restart")])
        .await;
    assert_eq!(forged.status, 403, "no CSRF token, no launch");
    assert_eq!(
        *c.launcher.readiness.lock().expect("launches"),
        vec![false, true]
    );
    let audit = b.get("/console/audit").await.text();
    assert!(
        audit.contains("<td data-code=\"readiness\">menjalankan pemeriksaan kesiapan</td>")
            && audit.contains("<td>mulai ulang</td>")
    );
}

fn finding(nip: &str, unit: &str, priority: Priority, bkn: &str) -> Discrepancy {
    Discrepancy {
        data_set: DataSet::Pegawai,
        kind: Kind::Differs,
        nip: Some(nip.into()),
        unor_id: None,
        field: Some("golongan".into()),
        ehrm_value: Some("III/c".into()),
        bkn_value: Some(bkn.into()),
        authority: Authority::Bkn,
        action: Action::NeedsReview,
        priority,
        note: None,
        unit: Some(unit.into()),
    }
}

fn finished_run(run_id: &str, started_at: i64, rows: usize) -> RunSummary {
    serde_json::from_value(json!({
        "run_id": run_id, "scope": "all", "dry_run": false, "status": "finished", "phase": "report",
        "started_at": started_at, "started_at_text": "", "finished_at": started_at + 1000,
        "duration_ms": 1000, "active_ms": 1000, "invocations": 1, "employees_total": 3,
        "employees_done": 3, "priority_employees": 1, "bkn_calls": 12, "repairs_queued": 0,
        "callbacks_sent": 0, "unreadable": 0, "unreadable_examples": [], "missing_at_bkn": 0,
        "pause_reason": null, "report": [], "counts": [], "rows": rows
    }))
    .expect("a run summary")
}

async fn store_run(c: &ConsoleFixture, run_id: &str, at: i64, rows: &[Discrepancy]) {
    c.reconcile.put_rows(run_id, rows).await.expect("rows");
    c.reconcile
        .put_run(run_id, &finished_run(run_id, at, rows.len()))
        .await
        .expect("run");
}

const NIP_A: &str = "198501012010011001";
const NIP_B: &str = "198602022011012002";
const NIP_C: &str = "198703032012011003";

pub async fn a_follow_up_mark_carries_over_while_the_finding_persists(c: &ConsoleFixture) {
    let tree = json!({"PU": null, "PU.01": "PU", "PU.01.02": "PU.01", "PU.02": "PU"});
    c.controls
        .put_control(UNIT_TREE_CONTROL, &tree, 0)
        .await
        .expect("tree");
    let a = finding(NIP_A, "PU.01.02", Priority::Pensiun, "III/b");
    let b_row = finding(NIP_B, "PU.02", Priority::Pensiun, "III/b");
    let c_row = finding(NIP_C, "PU.01", Priority::Normal, "III/a");
    store_run(
        c,
        "run-1",
        1_000,
        &[a.clone(), b_row.clone(), c_row.clone()],
    )
    .await;

    let b = c.client("10.0.0.12");
    b.login(VIEWER.0, VIEWER.1).await;
    let page = b
        .get("/console/rekon/run-1?unit=PU.01&priority=pensiun")
        .await;
    assert!(
        page.text().contains("1 temuan cocok"),
        "unit with sub-units and priority"
    );
    assert!(page.text().contains(NIP_A));
    let marked = b
        .post(
            "/console/rekon/run-1/tandai",
            &[
                ("csrf", &page.csrf()),
                ("finding_id", &a.finding_id()),
                ("state", "handled"),
                ("note", "SK diunggah ke SIASN"),
                ("back", "/console/rekon/run-1?unit=PU.01"),
            ],
        )
        .await;
    assert_eq!(
        marked.location().as_deref(),
        Some("/console/rekon/run-1?unit=PU.01")
    );

    // The next run finds A again (same values), B with another BKN value, and C fixed.
    let b_changed = finding(NIP_B, "PU.02", Priority::Pensiun, "III/a");
    store_run(c, "run-2", 2_000, &[a.clone(), b_changed]).await;
    let handled = b.get("/console/rekon/run-2?state=handled").await.text();
    assert!(
        handled.contains("1 temuan cocok") && handled.contains(NIP_A),
        "{handled}"
    );
    assert!(handled.contains("SK diunggah ke SIASN"));
    let open = b.get("/console/rekon/run-2?state=open").await.text();
    assert!(open.contains("1 temuan cocok") && open.contains(NIP_B));
    let overview = b.get("/console/").await.text();
    assert!(overview.contains("id=\"open-findings\""));
    assert!(
        overview.contains("<td>PU.02</td>"),
        "open findings per unit"
    );
    assert!(
        !overview.contains("<td>PU.01.02</td>"),
        "A is handled, not open"
    );
    let audit = b.get("/console/audit").await.text();
    assert!(audit.contains("<td data-code=\"mark\">menandai tindak lanjut temuan</td>"));
}

fn cell_text(sheet: &calamine::Range<Data>, row: usize, col: usize) -> Option<String> {
    match sheet.get((row, col)) {
        Some(Data::String(s)) => Some(s.clone()),
        _ => None,
    }
}

pub async fn downloads_keep_nips_as_exact_text(c: &ConsoleFixture) {
    let rows = [
        finding(NIP_A, "PU.01", Priority::Pensiun, "III/b"),
        finding(NIP_B, "PU.02", Priority::Normal, "=HYPERLINK(\"x\")"),
    ];
    store_run(c, "run-x", 1_000, &rows).await;
    let rec = dead_record(c, "Data penilai tidak ditemukan").await;
    let b = c.client("10.0.0.13");
    b.login(VIEWER.0, VIEWER.1).await;

    let x = b.get("/console/rekon/run-x/temuan.xlsx").await;
    assert_eq!(x.status, 200);
    assert!(
        x.header("content-disposition")
            .is_some_and(|d| d.contains(".xlsx"))
    );
    let mut book = Xlsx::new(Cursor::new(x.bytes)).expect("an xlsx file");
    let sheet = book.worksheet_range("Temuan").expect("findings sheet");
    assert_eq!(cell_text(&sheet, 0, 2).as_deref(), Some("NIP"));
    let nips: Vec<_> = (1..=2).filter_map(|r| cell_text(&sheet, r, 2)).collect();
    assert_eq!(
        nips,
        vec![NIP_A.to_string(), NIP_B.to_string()],
        "text cells, all 18 digits"
    );
    assert_eq!(
        cell_text(&sheet, 2, 7).as_deref(),
        Some("=HYPERLINK(\"x\")"),
        "a string, never a formula"
    );
    assert_eq!(
        cell_text(&sheet, 1, 4).as_deref(),
        Some("PU.01"),
        "the employee's unit is filled"
    );
    assert_eq!(cell_text(&sheet, 1, 1).as_deref(), Some("berbeda"), "words");
    assert_eq!(cell_text(&sheet, 1, 12).as_deref(), Some("terbuka"));
    let summary = book.worksheet_range("Ringkasan").expect("a summary sheet");
    assert_eq!(cell_text(&summary, 3, 0).as_deref(), Some("Mulai"));
    assert!(
        matches!(summary.get((3, 1)), Some(Data::DateTime(_))),
        "the start is a date cell: {:?}",
        summary.get((3, 1))
    );

    let filtered = b
        .get("/console/rekon/run-x/temuan.csv?priority=pensiun")
        .await
        .text();
    assert_eq!(
        filtered.lines().count(),
        2,
        "header and the one pensiun row"
    );

    let failed = b.get("/console/gagal.xlsx?q=penilai").await;
    let mut book = Xlsx::new(Cursor::new(failed.bytes)).expect("an xlsx file");
    let sheet = book
        .worksheet_range("Perlu Tindakan")
        .expect("records sheet");
    assert_eq!(
        cell_text(&sheet, 1, 0).as_deref(),
        Some(rec.key.nip().as_str())
    );
    assert_eq!(
        cell_text(&sheet, 1, 6).as_deref(),
        Some("Data penilai tidak ditemukan")
    );
    // Every download of personal data is on record: who, which page and filter, how many rows.
    let o = c.client("10.0.0.18");
    o.login(OPERATOR.0, OPERATOR.1).await;
    let audit = o.get("/console/audit").await.text();
    for page in [
        "/console/rekon/run-x/temuan.xlsx",
        "/console/rekon/run-x/temuan.csv?priority=pensiun",
        "/console/gagal.xlsx?q=penilai",
    ] {
        assert!(
            audit.contains(&format!(
                "<td data-code=\"download\">mengunduh</td><td>{}</td>",
                page.replace('&', "&amp;")
            )),
            "{page} audited: {audit}"
        );
    }
}

pub async fn failed_records_filter_by_message_and_page_by_key(c: &ConsoleFixture) {
    for i in 0..60 {
        dead_record(c, &format!("BKN menolak: NIP penilai tidak valid ({i})")).await;
        c.clock.advance_ms(1);
    }
    let odd = dead_record(c, "Service Unavailable").await;
    let b = c.client("10.0.0.14");
    b.login(VIEWER.0, VIEWER.1).await;
    let first = b.get("/console/gagal?q=penilai").await.text();
    assert_eq!(
        first.matches("<td class=\"message\" data-label=").count(),
        50
    );
    assert!(!first.contains("Service Unavailable"));
    let next = first
        .split("id=\"next-page\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a next page")
        .replace("&amp;", "&");
    let second = b.get(&next).await.text();
    assert_eq!(
        second.matches("<td class=\"message\" data-label=").count(),
        10
    );
    assert!(!second.contains("id=\"next-page\""));
    let only = b.get("/console/gagal?q=unavailable").await.text();
    assert!(only.contains(odd.key.nip().as_str()));
    assert_eq!(b.get("/console/gagal?tahun=abc").await.status, 400);
}

pub async fn the_employee_page_shows_bkns_message_and_the_attempts(c: &ConsoleFixture) {
    let rec = dead_record(c, "Data Riwayat Kinerja tidak valid: predikat").await;
    for (i, outcome) in [AttemptOutcome::Transient, AttemptOutcome::Permanent]
        .into_iter()
        .enumerate()
    {
        let attempt = AttemptEntry {
            record_key: rec.key.to_string(),
            at: rec.updated_at + i as i64,
            version: 1,
            operation: vec![Operation::Lookup, Operation::Create].into(),
            outcome,
            http_status: Some(400),
            message: Some(format!("pesan BKN {i}")),
            duration_ms: 30,
        };
        c.store.append_attempt(&attempt).await.expect("attempt");
    }
    let b = c.client("10.0.0.15");
    b.login(VIEWER.0, VIEWER.1).await;
    let page = b
        .get(&format!("/console/pegawai?nip={}", rec.key.nip()))
        .await
        .text();
    assert!(page.contains("Data Riwayat Kinerja tidak valid: predikat"));
    assert!(page.contains("pesan BKN 0") && page.contains("pesan BKN 1"));
    let bad = b.get("/console/pegawai?nip=123").await.text();
    assert!(bad.contains("NIP tidak valid"));
    // Who saw whose data, and when, is on record.
    let o = c.client("10.0.0.19");
    o.login(OPERATOR.0, OPERATOR.1).await;
    let audit = o.get("/console/audit").await.text();
    assert!(
        audit.contains(&format!(
            "<td>{}</td><td>10.0.0.15</td><td data-code=\"view_employee\">melihat halaman pegawai</td><td>/console/pegawai?nip={}</td>",
            VIEWER.0,
            rec.key.nip()
        )),
        "{audit}"
    );
    let overview = b.get("/console/").await.text();
    assert!(overview.contains("id=\"count-dead\""));
    assert!(
        overview.contains("class=\"s-permanent\""),
        "the outcome chart counts the attempts"
    );
}

pub async fn the_overview_shows_the_bkn_rate_and_its_cuts(c: &ConsoleFixture) {
    let b = c.client("10.0.0.9");
    b.login(VIEWER.0, VIEWER.1).await;
    let page = b.get("/console/").await.text();
    assert!(page.contains("belum ada panggilan"), "{page}");
    let policy = ehrm_sync_domain::rate::RatePolicy {
        ceiling: 20.0,
        floor: 1.0,
        margin_ms: 50,
    };
    let now = c.clock.now_ms();
    let slot = c.gate.reserve(now, &policy).await.expect("reserved");
    c.gate
        .throttled(now + 10, Some(slot), now + 10, &policy)
        .await
        .expect("cut");
    let page = b.get("/console/").await.text();
    assert!(
        page.contains("Laju BKN sekarang: <strong>10.00</strong>"),
        "{page}"
    );
    assert!(page.contains("batas atas 20.00"), "{page}");
    assert!(page.contains("BKN menjawab 429: laju diturunkan"), "{page}");
}
