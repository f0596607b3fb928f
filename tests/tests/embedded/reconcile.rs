//! Reconciliation against both simulators, serving a seeded population of a few thousand
//! employees with discrepancies of every kind injected: a run reports exactly the injected ones
//! (authority, priority and action included), repairs the performance records through the
//! normal delivery path, keeps to the BKN rate, and a run killed half-way resumes to the same
//! report.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use ehrm_sync_core::ports::Scope;
use ehrm_sync_core::reconcile::{RunOutcome, RunRequest};
use ehrm_sync_devkit::world::{ReconcileWorld, WorldSpec};
use ehrm_sync_domain::reconcile::report::CSV_HEADERS;
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_local::{LocalSettings, Runtime, Wiring};
use ehrm_sync_population::inject::{ExpectedRow, InjectKind};

const RATE: f64 = 400.0;

fn env_with(world: &ReconcileWorld, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env = world.env.clone();
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    env
}

fn read_report(summary: &Value) -> (Vec<Value>, String) {
    let paths: Vec<&str> = summary["report"]
        .as_array()
        .expect("report paths")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let json = paths
        .iter()
        .find(|p| p.ends_with(".json"))
        .expect("report.json");
    let csv = paths
        .iter()
        .find(|p| p.ends_with(".csv"))
        .expect("report.csv");
    let rows: Vec<Value> =
        serde_json::from_slice(&std::fs::read(json).expect("read json")).expect("json list");
    (rows, std::fs::read_to_string(csv).expect("read csv"))
}

/// `report.xlsx` holds the report's rows in order, each NIP an exact text cell, with a summary.
fn assert_xlsx_matches(summary: &Value, rows: &[Value]) {
    use calamine::{Data, Reader, Xlsx};
    let path = summary["report"]
        .as_array()
        .and_then(|p| {
            p.iter()
                .filter_map(Value::as_str)
                .find(|p| p.ends_with(".xlsx"))
        })
        .expect("report.xlsx");
    let mut book: Xlsx<_> = calamine::open_workbook(path).expect("an xlsx file");
    let sheet = book.worksheet_range("Temuan").expect("the findings sheet");
    assert_eq!(
        sheet.height(),
        rows.len() + 1,
        "a header and one line per row"
    );
    for (i, r) in rows.iter().enumerate() {
        let cell = sheet.get((i + 1, 2));
        match r["nip"].as_str() {
            Some(nip) => assert_eq!(cell, Some(&Data::String(nip.into())), "row {i}"),
            None => assert!(
                matches!(cell, None | Some(Data::Empty)),
                "row {i}: {cell:?}"
            ),
        }
    }
    assert!(
        book.worksheet_range("Ringkasan").is_ok(),
        "the summary sheet"
    );
}

fn key(r: &Value) -> ExpectedRow {
    ExpectedRow::from_report_row(r)
}

/// The priority the reconciler must give a row, worked out here from BKN's lists and eHRM's
/// structural posts, independently of the engine.
fn expected_priority(world: &ReconcileWorld, r: &ExpectedRow) -> &'static str {
    let holder_of_unit = |u: &str| {
        world
            .injected
            .ehrm
            .units
            .iter()
            .find(|x| x.unor_id == u)
            .and_then(|x| x.head_nip.clone())
    };
    let is_holder = |n: &str| {
        world
            .injected
            .ehrm
            .units
            .iter()
            .any(|u| u.head_nip.as_deref() == Some(n))
    };
    let of_nip = |n: &str| {
        if world.kp.contains(n) {
            "kenaikan_pangkat"
        } else if world.pensiun.contains(n) {
            "pensiun"
        } else if is_holder(n) {
            "struktural"
        } else {
            "normal"
        }
    };
    // A difference in what decides a promotion or a retirement carries that subject.
    match (r.data_set.as_str(), r.field.as_deref()) {
        ("pegawai", Some("golongan" | "tmt_golongan")) => return "kenaikan_pangkat",
        ("pegawai", Some("tgl_lahir" | "tmt_pensiun")) => return "pensiun",
        _ => {}
    }
    match (r.data_set.as_str(), &r.nip, &r.unor_id) {
        ("pejabat_struktural", _, Some(u)) => match holder_of_unit(u) {
            Some(n) if of_nip(&n) != "normal" => of_nip(&n),
            _ => "struktural",
        },
        (_, Some(n), _) => of_nip(n),
        _ => "normal",
    }
}

fn expected_action(r: &ExpectedRow) -> &'static str {
    match (r.data_set.as_str(), r.kind.as_str(), r.authority.as_str()) {
        ("kinerja" | "jabatan", "missing_at_bkn" | "differs", _) => "queued_for_bkn",
        ("pegawai", "differs", "bkn") => "sent_to_ehrm",
        _ => "needs_review",
    }
}

async fn run_by_hand(env: &HashMap<String, String>, db: &Path, dry_run: bool) -> Value {
    let settings = LocalSettings::for_jobs(env, db.to_path_buf()).expect("settings");
    let reconcile = Wiring::new(settings)
        .and_then(|w| w.reconcile(db.parent().expect("dir").join("reports")))
        .expect("wiring");
    let outcome = reconcile
        .run(
            &RunRequest {
                scope: Scope::All,
                dry_run,
                restart: false,
            },
            None,
            &|_| {},
        )
        .await
        .expect("the run works");
    match outcome {
        RunOutcome::Finished(s) => serde_json::to_value(s).expect("summary as JSON"),
        other => panic!("the run did not finish: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_reports_exactly_the_injected_discrepancies_and_repairs_performance_and_positions() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 2_500,
        seed: 41,
        per_kind: 2,
        rate: RATE,
    })
    .await
    .expect("world");
    let kinds: BTreeSet<_> = world
        .injected
        .expected
        .iter()
        .map(|r| (r.data_set.clone(), r.kind.clone()))
        .collect();
    assert_eq!(
        kinds.len(),
        13,
        "every data set × kind is injected: {kinds:?}"
    );
    assert!(world.injected.expected.len() >= InjectKind::ALL.len() * 2 - 2);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("store.db");
    let env = env_with(&world, &[]);

    let summary = run_by_hand(&env, &db, false).await;
    let (rows, csv) = read_report(&summary);
    let found: BTreeSet<ExpectedRow> = rows.iter().map(key).collect();
    let expected: BTreeSet<ExpectedRow> = world.injected.expected.iter().cloned().collect();
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
    assert_eq!(rows.len(), expected.len(), "one row per discrepancy");
    for r in &rows {
        let k = key(r);
        assert_eq!(
            r["priority"].as_str(),
            Some(expected_priority(&world, &k)),
            "priority of {k:?}"
        );
        assert_eq!(
            r["action"].as_str(),
            Some(expected_action(&k)),
            "action of {k:?}"
        );
    }
    // The CSV opens in a spreadsheet: BOM, Indonesian headers, one line per row.
    assert!(csv.starts_with('\u{feff}'), "UTF-8 byte-order mark");
    let lines: Vec<&str> = csv
        .trim_start_matches('\u{feff}')
        .trim_end()
        .split("\r\n")
        .collect();
    assert_eq!(lines[0], CSV_HEADERS.join(","));
    assert_eq!(lines.len(), rows.len() + 1);
    assert_xlsx_matches(&summary, &rows);
    // The BKN rate held, and the summary says what the run cost.
    let stats = world.siasn.stats();
    assert!(
        stats.max_calls_per_second as f64 <= RATE,
        "busiest second {} > {RATE}",
        stats.max_calls_per_second
    );
    assert_eq!(summary["bkn_calls"].as_u64(), Some(stats.calls_total));
    assert_eq!(summary["employees_done"], summary["employees_total"]);
    let queued = rows
        .iter()
        .filter(|r| r["action"] == "queued_for_bkn")
        .count();
    assert_eq!(summary["repairs_queued"].as_u64(), Some(queued as u64));
    let sent = rows
        .iter()
        .filter(|r| r["action"] == "sent_to_ehrm")
        .count();
    assert_eq!(summary["callbacks_sent"].as_u64(), Some(sent as u64));
    let left = rows
        .iter()
        .filter(|r| r["action"] == "needs_review")
        .count();
    assert_eq!(summary["left_for_people"].as_u64(), Some(left as u64));

    // Deliver the repairs (and the callbacks) the normal way, then reconcile again.
    let serve_env = env_with(&world, &[("LEASE_SECONDS", "5")]);
    let settings = LocalSettings::from_env(
        &serve_env,
        db.clone(),
        ehrm_sync_tests::harness::loopback(),
        4,
    )
    .expect("serve settings");
    let runtime = Runtime::start(settings).await.expect("serve");
    let store = runtime.store.clone();
    let deadline = std::time::Instant::now() + ehrm_sync_tests::patience::secs(60);
    loop {
        let open: u64 = ehrm_sync_core::ports::SyncStore::count_by_status(&store)
            .await
            .expect("counts")
            .iter()
            .filter(|(s, _)| !s.is_settled())
            .map(|(_, n)| *n)
            .sum();
        let delivered = ehrm_sync_core::ports::SyncStore::count_by_status(&store)
            .await
            .expect("counts")
            .iter()
            .find(|(s, _)| *s == SyncStatus::Synced)
            .map_or(0, |(_, n)| *n);
        if open == 0 && delivered as usize == queued && world.ehrm.callbacks().len() >= sent {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "repairs not delivered: {open} open, {delivered} synced of {queued}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    runtime.shutdown().await;
    assert_eq!(world.siasn.stats().duplicates, 0, "no duplicate at BKN");
    let callbacks = world.ehrm.callbacks();
    let of_type = |t: &str| callbacks.iter().filter(|c| c.payload["type"] == t).count();
    assert_eq!(of_type("rekon.bkn_authoritative"), sent, "{callbacks:?}");
    assert_eq!(
        of_type("sync.outcome"),
        queued,
        "each repaired record reported synced to eHRM"
    );

    let again = run_by_hand(&env, &db, true).await;
    let (rows2, _) = read_report(&again);
    let found2: BTreeSet<ExpectedRow> = rows2.iter().map(key).collect();
    let still: BTreeSet<ExpectedRow> = expected
        .iter()
        .filter(|r| {
            !(matches!(r.data_set.as_str(), "kinerja" | "jabatan") && r.kind != "missing_in_ehrm")
        })
        .cloned()
        .collect();
    assert_eq!(
        found2, still,
        "after delivery, the performance and position discrepancies are gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_half_way_resumes_and_produces_the_same_report() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 1_500,
        seed: 43,
        per_kind: 1,
        rate: RATE,
    })
    .await
    .expect("world");
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env_with(&world, &[("RECONCILE_LEASE_SECONDS", "1")]);

    // The reference: one uninterrupted run.
    let reference = run_by_hand(&env, &dir.path().join("a.db"), true).await;
    let calls_reference = world.siasn.stats().calls_total;
    let (reference_rows, _) = read_report(&reference);

    // The same run, aborted after a random checkpoint, then run again by the same command.
    let db = dir.path().join("b.db");
    let after: u32 = 5 + rand::random::<u32>() % 40;
    let bin = env!("CARGO_BIN_EXE_ehrm-sync-under-test");
    let status = Command::new(bin)
        .args(["reconcile", "--dry-run", "--quiet", "--db"])
        .arg(&db)
        .envs(&env)
        .env("EHRM_SYNC_CRASH_AT", "job.after_checkpoint")
        .env("EHRM_SYNC_CRASH_AFTER", after.to_string())
        .env("RUST_LOG", "error")
        .output()
        .expect("runs");
    assert!(
        !status.status.success(),
        "aborted at checkpoint {after}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let calls_killed = world.siasn.stats().calls_total - calls_reference;
    // The dead run's lease (RECONCILE_LEASE_SECONDS, or three chunks' time) must run out first:
    // until then the command says the run is held (exit 3).
    let mut resumed = None;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        let out = Command::new(bin)
            .args(["reconcile", "--dry-run", "--quiet", "--json", "--db"])
            .arg(&db)
            .envs(&env)
            .env("RUST_LOG", "error")
            .output()
            .expect("runs");
        let held = out.status.code() == Some(3)
            && String::from_utf8_lossy(&out.stderr).contains("being worked on");
        if !held {
            resumed = Some(out);
            break;
        }
    }
    let resumed = resumed.expect("the dead run's lease ran out");
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let summary: Value = serde_json::from_slice(&resumed.stdout).expect("summary JSON");
    assert_eq!(summary["status"], "finished");
    assert_eq!(summary["invocations"], 2, "resumed, not started again");
    assert_eq!(summary["employees_done"], reference["employees_done"]);
    let calls_both = world.siasn.stats().calls_total - calls_reference;
    assert!(
        calls_killed > 0 && calls_both <= calls_reference + 150,
        "the resumed run redid at most one chunk: {calls_both} calls vs {calls_reference} uninterrupted"
    );
    let (rows, _) = read_report(&summary);
    let sorted = |mut v: Vec<Value>| {
        v.sort_by_key(|r| r.to_string());
        v
    };
    assert_eq!(
        sorted(rows),
        sorted(reference_rows),
        "the same report as the uninterrupted run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_runs_stop_before_the_deadline_and_cover_everyone_in_rolling_slices() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 600,
        seed: 47,
        per_kind: 0,
        rate: RATE,
    })
    .await
    .expect("world");
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env_with(
        &world,
        &[
            ("RECONCILE_COVER_DAYS", "3"),
            ("RECONCILE_INTERVAL_HOURS", "0.0001"),
            ("RECONCILE_CHECKPOINT_EVERY", "10"),
        ],
    );
    let call_timeout_ms = env
        .get("BKN_TIMEOUT_SECONDS")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(30)
        * 1_000;
    let mut settings = LocalSettings::for_jobs(&env, dir.path().join("s.db")).expect("settings");
    settings.reconcile.run.deadline_margin_ms = 200;
    let wiring = Wiring::new(settings).expect("wiring");
    let reconcile = wiring
        .reconcile(dir.path().join("reports"))
        .expect("reconcile");
    let clock = ehrm_sync_core::clock::SystemClock;
    let now = || ehrm_sync_core::ports::Clock::now_ms(&clock);

    let mut finished = Vec::new();
    let mut paused = 0;
    for _ in 0..200 {
        if finished.len() == 3 {
            break;
        }
        // An invocation with 1.5 s to live, as a Lambda near its timeout.
        let deadline = now() + 1_500;
        let outcome = reconcile
            .scheduled(Some(deadline), &|_| {})
            .await
            .expect("works");
        // No new work starts inside the margin; what is under way may finish: at most one BKN
        // call, bounded by the client's timeout.
        assert!(
            now() <= deadline + call_timeout_ms,
            "stopped before the deadline"
        );
        match outcome {
            RunOutcome::Finished(s) => {
                finished.push(serde_json::to_value(s).expect("summary as JSON"))
            }
            RunOutcome::Paused { .. } => paused += 1,
            RunOutcome::Idle => tokio::time::sleep(Duration::from_millis(400)).await,
            RunOutcome::Busy { run_id } => panic!("nobody else holds {run_id}"),
        }
    }
    assert_eq!(finished.len(), 3, "three rolling runs finished");
    assert!(paused > 0, "runs were cut by the deadline and resumed");
    let priority = finished[0]["priority_employees"].as_u64().unwrap_or(0);
    let rest: u64 = finished
        .iter()
        .map(|s| {
            s["employees_total"].as_u64().unwrap_or(0)
                - s["priority_employees"].as_u64().unwrap_or(0)
        })
        .sum();
    let others = world.injected.ehrm.employees.len() as u64 - priority;
    assert!(
        rest >= others && rest <= others + 2,
        "three slices of ⌈{others}/3⌉ cover everyone outside the priority cohort: {rest}"
    );
    for s in &finished {
        assert_eq!(s["rows"], 0, "no discrepancies in an uninjected population");
        assert_eq!(s["scope"], "rolling slice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_runs_cover_one_employee_or_one_unit_subtree() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 400,
        seed: 59,
        per_kind: 1,
        rate: RATE,
    })
    .await
    .expect("world");
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env_with(&world, &[]);
    let run = |scope: Scope, db: &str| {
        let env = env.clone();
        let db = dir.path().join(db);
        async move {
            let settings = LocalSettings::for_jobs(&env, db.clone()).expect("settings");
            let reconcile = Wiring::new(settings)
                .and_then(|w| w.reconcile(db.with_extension("reports")))
                .expect("wiring");
            let request = RunRequest {
                scope,
                dry_run: true,
                restart: false,
            };
            match reconcile.run(&request, None, &|_| {}).await.expect("works") {
                RunOutcome::Finished(s) => serde_json::to_value(s).expect("summary as JSON"),
                other => panic!("{other:?}"),
            }
        }
    };
    // One employee with an injected difference: exactly that employee's rows, 4 BKN calls.
    let target = world
        .injected
        .expected
        .iter()
        .find(|r| r.data_set == "kinerja" && r.kind == "differs")
        .expect("a kinerja injection");
    let nip = target.nip.clone().expect("nip");
    let before = world.siasn.stats().calls_total;
    let summary = run(Scope::Nip(nip.clone()), "nip.db").await;
    let (rows, _) = read_report(&summary);
    assert_eq!(summary["employees_total"], 1);
    assert_eq!(
        rows.iter().map(key).collect::<Vec<_>>(),
        vec![target.clone()],
        "only that employee's discrepancy"
    );
    // Planning reads the promotion proposals of six monthly periods and the retirement list
    // (a page each) and the tokens; the employee costs 4 calls.
    assert!(world.siasn.stats().calls_total - before <= 6 + 1 + 2 + 4);

    // A unit subtree: its employees only, and unit rows only for units inside it.
    let root = world
        .injected
        .ehrm
        .units
        .iter()
        .find(|u| u.parent_id.is_some() && u.eselon.as_deref() == Some("II.a"))
        .expect("an eselon II unit")
        .unor_id
        .clone();
    let summary = run(Scope::Unit(root.clone()), "unit.db").await;
    let (rows, _) = read_report(&summary);
    let inside = |u: &str| u == root || u.starts_with(&format!("{root}."));
    let in_unit: Vec<&str> = world
        .injected
        .ehrm
        .employees
        .iter()
        .filter(|e| inside(&e.unor_id))
        .map(|e| e.nip.as_str())
        .collect();
    assert_eq!(
        summary["employees_total"].as_u64(),
        Some(in_unit.len() as u64)
    );
    for r in &rows {
        match (r["nip"].as_str(), r["unor_id"].as_str()) {
            (Some(n), _) => assert!(in_unit.contains(&n), "{r}"),
            (None, Some(u)) => assert!(inside(u) || r["kind"] == "missing_in_ehrm", "{r}"),
            _ => panic!("a row about nothing: {r}"),
        }
    }
}
