//! Promotion and retirement readiness against both simulators serving a world with one blocker
//! of every rule planted: each is found against the right person and rule and nothing is found
//! for clean people; the missing SKPs go to BKN through delivery and pass on the next run; a
//! run stopped after its first chunk resumes to the same findings; the spreadsheet keeps NIPs
//! as text.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use ehrm_sync_core::job::JobError;
use ehrm_sync_core::readiness::{Readiness, ReadinessOutcome, ReadinessRequest, ReadinessRun};
use ehrm_sync_devkit::world::{ReadinessWorld, WorldSpec};
use ehrm_sync_domain::readiness::ReadinessFinding;
use ehrm_sync_local::{LocalSettings, Runtime, Wiring};

const RATE: f64 = 400.0;
/// K6 and K8 on: 50 credit points for every target rank; service examinations checked.
const RULES: &str = r#"{"angka_kredit": {"12":50,"13":50,"14":50,"21":50,"22":50,"23":50,"24":50,
  "31":50,"32":50,"33":50,"34":50,"41":50,"42":50,"43":50,"44":50,"45":50}, "ujian_dinas": true}"#;

fn env(world: &ReadinessWorld, rules: bool) -> HashMap<String, String> {
    let mut env = world.env.clone();
    env.insert("RECONCILE_CHECKPOINT_EVERY".into(), "20".into());
    if rules {
        env.insert("READINESS_RULES".into(), RULES.into());
    }
    env
}

fn readiness(env: &HashMap<String, String>, db: &Path) -> Readiness {
    let settings = LocalSettings::for_jobs(env, db.to_path_buf()).expect("settings");
    Wiring::new(settings)
        .and_then(|w| w.readiness(db.parent().expect("dir").join("reports")))
        .expect("wiring")
}

async fn finished(r: &Readiness, request: &ReadinessRequest) -> ReadinessRun {
    match r.run(request, None, &|_| {}).await.expect("the run works") {
        ReadinessOutcome::Finished(run) => run,
        other => panic!("the run did not finish: {other:?}"),
    }
}

type Key = (String, String, Option<i32>);

fn keys(findings: &[ReadinessFinding]) -> BTreeSet<Key> {
    findings
        .iter()
        .map(|f| (f.nip.clone(), f.rule.as_str().to_string(), f.tahun))
        .collect()
}

fn expected(world: &ReadinessWorld, with_config: bool) -> BTreeSet<Key> {
    world
        .planted
        .expected
        .iter()
        .filter(|e| with_config || e.needs.is_none())
        .map(|e| (e.nip.clone(), e.rule.clone(), e.tahun))
        .collect()
}

fn assert_same(found: &BTreeSet<Key>, want: &BTreeSet<Key>, findings: &[ReadinessFinding]) {
    let missing: Vec<_> = want.difference(found).collect();
    let extra: Vec<_> = found
        .difference(want)
        .map(|k| {
            findings
                .iter()
                .find(|f| (&f.nip, f.rule.as_str(), f.tahun) == (&k.0, k.1.as_str(), k.2))
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
}

async fn deliver_queued(env: &HashMap<String, String>, db: &Path) {
    let mut serve_env = env.clone();
    serve_env.insert("LEASE_SECONDS".into(), "5".into());
    let settings = LocalSettings::from_env(
        &serve_env,
        db.to_path_buf(),
        ehrm_sync_tests::harness::loopback(),
        4,
    )
    .expect("serve settings");
    let runtime = Runtime::start(settings).await.expect("serve");
    let drained = ehrm_sync_devkit::world::wait_drained(
        &runtime.store,
        ehrm_sync_tests::patience::secs(60),
        Duration::from_millis(200),
    )
    .await
    .expect("counts");
    assert!(drained.done, "records still open: {:?}", drained.counts);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_planted_blocker_is_found_exactly_and_missing_skps_pass_after_delivery() {
    let world = ReadinessWorld::start(WorldSpec {
        employees: 1_500,
        seed: 13,
        per_kind: 0,
        rate: RATE,
    })
    .await
    .expect("world");
    let rules: BTreeSet<&str> = world
        .planted
        .expected
        .iter()
        .map(|e| e.rule.as_str())
        .collect();
    assert_eq!(
        rules.len(),
        18,
        "a blocker of every rule is planted: {rules:?}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("store.db");
    let env = env(&world, true);
    let r = readiness(&env, &db);
    let calls_before = world.siasn.stats().calls_total;
    let run = finished(&r, &ReadinessRequest::default()).await;
    let findings = r.findings(&run).await.expect("findings");
    assert_same(&keys(&findings), &expected(&world, true), &findings);

    // Severity, side, deadline and action of a few.
    let of = |rule: &str| {
        findings
            .iter()
            .find(|f| f.rule.as_str() == rule)
            .expect(rule)
    };
    assert_eq!(
        (of("K4").side.as_str(), of("K4").action.map(|a| a.as_str())),
        ("bkn_data", Some("queued_for_bkn"))
    );
    assert_eq!(of("R5").action.map(|a| a.as_str()), Some("queued_for_bkn"));
    assert_eq!(
        of("K4").deadline,
        of("K4").period,
        "a promotion blocker is due by its period"
    );
    assert_eq!(
        (of("K1").severity.as_str(), of("K1").side.as_str()),
        ("block", "usulan")
    );
    assert_eq!(of("R7").severity.as_str(), "block");
    // No proposal: a warning 15 months ahead, blocking once retirement is at hand (here past).
    let r2: Vec<_> = findings
        .iter()
        .filter(|f| f.rule.as_str() == "R2")
        .collect();
    // R7 has no window: the person 18 months past retirement is found too.
    let past_retirement: Vec<&str> = findings
        .iter()
        .filter(|f| f.rule.as_str() == "R7")
        .map(|f| f.nip.as_str())
        .collect();
    assert_eq!(
        past_retirement.len(),
        2,
        "2 and 18 months past: {past_retirement:?}"
    );
    assert_eq!(r2.len(), 3);
    for f in r2 {
        let past = past_retirement.contains(&f.nip.as_str());
        assert_eq!(
            f.severity.as_str(),
            if past { "block" } else { "warn" },
            "{f:?}"
        );
    }
    assert!(
        of("K10").problem_id.contains("Hukuman disiplin")
            && of("K10").problem_en.contains("Disciplinary")
    );
    assert_eq!(run.queued_for_bkn, 2);
    // Every BKN call is accounted for, and each person costs a few reads.
    assert_eq!(
        run.list_calls + run.person_calls(),
        world.siasn.stats().calls_total - calls_before
    );
    assert!(
        run.calls_per_person() <= 6.0,
        "{} calls per person",
        run.calls_per_person()
    );

    // The spreadsheet: one line per finding, NIPs as exact text, a summary and the rule table.
    assert_workbook(&run, &findings);

    // The queued SKPs reach BKN; the next run finds those rules passing and the rest unchanged.
    deliver_queued(&env, &db).await;
    let second = finished(&r, &ReadinessRequest::default()).await;
    assert_ne!(second.run_id(), run.run_id());
    let after = r.findings(&second).await.expect("findings");
    let mut want = expected(&world, true);
    want.retain(|(_, rule, _)| rule != "K4" && rule != "R5");
    assert_same(&keys(&after), &want, &after);
    assert_eq!(second.queued_for_bkn, 0);
    // The same day, answers are shared: only the people whose records were saved are read again.
    assert!(
        second.person_calls() <= 12 && second.person_calls() < run.person_calls() / 20,
        "{} calls in the second run, {} in the first",
        second.person_calls(),
        run.person_calls()
    );

    // Without the rules file, K6 and K8 stay off.
    let plain = readiness(&self::env(&world, false), &db);
    let third = finished(
        &plain,
        &ReadinessRequest {
            restart: true,
            ..Default::default()
        },
    )
    .await;
    let found = keys(&plain.findings(&third).await.expect("findings"));
    assert!(
        found
            .iter()
            .all(|(_, rule, _)| rule != "K6" && rule != "K8"),
        "{found:?}"
    );
}

fn assert_workbook(run: &ReadinessRun, findings: &[ReadinessFinding]) {
    use calamine::{Data, Reader, Xlsx};
    let path = run
        .report
        .iter()
        .find(|p| p.ends_with(".xlsx"))
        .expect("readiness.xlsx");
    let mut book: Xlsx<_> = calamine::open_workbook(path).expect("an xlsx file");
    let sheet = book.worksheet_range("Temuan").expect("the findings sheet");
    assert_eq!(sheet.height(), findings.len() + 1);
    for (i, f) in findings.iter().enumerate() {
        assert_eq!(
            sheet.get((i + 1, 0)),
            Some(&Data::String(f.nip.clone())),
            "row {i}"
        );
        // The rule by its code and title, the deadline a real date.
        assert!(
            matches!(sheet.get((i + 1, 5)), Some(Data::String(r)) if r.starts_with(&format!("{} — ", f.rule.as_str()))),
            "row {i}: {:?}",
            sheet.get((i + 1, 5))
        );
        assert!(
            matches!(sheet.get((i + 1, 8)), Some(Data::DateTime(_))),
            "row {i}: {:?}",
            sheet.get((i + 1, 8))
        );
        assert_eq!(
            sheet.get((i + 1, 14)),
            Some(&Data::String("terbuka".into())),
            "row {i}: the follow-up column"
        );
    }
    assert!(book.worksheet_range("Ringkasan").is_ok() && book.worksheet_range("Aturan").is_ok());
    let json: Value = serde_json::from_slice(
        &std::fs::read(
            run.report
                .iter()
                .find(|p| p.ends_with(".json"))
                .expect("json"),
        )
        .expect("read"),
    )
    .expect("json");
    assert_eq!(
        json["findings"].as_array().map(Vec::len),
        Some(findings.len())
    );
    assert_eq!(json["rules"].as_array().map(Vec::len), Some(18));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_after_its_first_chunk_resumes_to_the_same_findings() {
    let world = ReadinessWorld::start(WorldSpec {
        employees: 600,
        seed: 29,
        per_kind: 0,
        rate: RATE,
    })
    .await
    .expect("world");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("store.db");
    let env = env(&world, false);
    let r = readiness(&env, &db);
    let cancel: Arc<AtomicBool> = r.cancel_flag();
    let stop = cancel.clone();
    let request = ReadinessRequest {
        dry_run: true,
        ..Default::default()
    };
    let outcome = r
        .run(&request, None, &move |p| {
            if p.stage == "people" {
                stop.store(true, Ordering::Relaxed)
            }
        })
        .await
        .expect("the first invocation");
    let paused = match outcome {
        ReadinessOutcome::Paused { run, .. } => run,
        other => panic!("expected a pause after the first chunk: {other:?}"),
    };
    assert_eq!(paused.done, 20, "one chunk done");
    assert!(paused.people > 40, "{} people", paused.people);
    cancel.store(false, Ordering::Relaxed);
    // Another scope while the run is open is refused, not silently mixed in.
    let other = ReadinessRequest {
        nip: Some("198507142010011002".into()),
        ..request.clone()
    };
    let refused = r.run(&other, None, &|_| {}).await;
    assert!(
        matches!(refused, Err(JobError::OtherRunOpen { .. })),
        "{refused:?}"
    );
    let calls_before = world.siasn.stats().calls_total;
    let resumed = finished(&r, &request).await;
    assert_eq!(resumed.run_id(), paused.run_id());
    assert_eq!(resumed.life.invocations, 2);
    // The resumed invocation read neither the lists nor the first chunk's people again.
    let resumed_calls = world.siasn.stats().calls_total - calls_before;
    assert_eq!(
        resumed_calls,
        resumed.person_calls() - paused.person_calls()
    );
    let resumed_keys = keys(&r.findings(&resumed).await.expect("findings"));

    let whole = finished(
        &r,
        &ReadinessRequest {
            restart: true,
            ..request
        },
    )
    .await;
    assert_ne!(whole.run_id(), resumed.run_id());
    assert_eq!(
        resumed_keys,
        keys(&r.findings(&whole).await.expect("findings"))
    );
    assert_eq!(resumed.people, whole.people);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_answers_serve_the_same_day_until_a_save_and_never_hold_the_nik() {
    use ehrm_sync_bkn::shared::SharedReads;
    use ehrm_sync_core::ports::ControlStore;
    use ehrm_sync_tests::console::ShiftedClock;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = ehrm_sync_sqlite::SqliteStore::open(dir.path().join("s.db")).expect("store");
    let controls: Arc<dyn ControlStore> = Arc::new(store);
    let clock = Arc::new(ShiftedClock::default());
    let shared = SharedReads::new(controls.clone(), clock.clone());
    let nip = "198507142010011002";
    let path = format!("/pns/data-utama/{nip}");
    let answer = serde_json::json!({"code": 1, "data": {"id": "A1", "nik": "3273011407850001", "noHp": "0812"}});
    shared.remember(&path, Some(&answer)).await;
    let kept = shared
        .recall(&path, nip)
        .await
        .expect("kept")
        .expect("an answer");
    assert_eq!(kept["data"]["id"], "A1");
    assert!(kept["data"].get("nik").is_none() && kept["data"].get("noHp").is_none());
    shared
        .remember("/pns/list-kp-instansi?periode=2027-01-01", Some(&answer))
        .await;
    assert!(
        shared
            .recall("/pns/list-kp-instansi?periode=2027-01-01", nip)
            .await
            .is_none(),
        "lists are not kept"
    );
    // A save of the employee's record makes the kept answers stale.
    clock.advance_ms(5);
    shared.saved(nip).await;
    assert!(shared.recall(&path, nip).await.is_none());
    clock.advance_ms(5);
    shared.remember(&path, None).await;
    assert_eq!(
        shared.recall(&path, nip).await,
        Some(None),
        "a kept 'not found'"
    );
    // Tomorrow (Jakarta), nothing kept today serves.
    clock.advance_ms(86_400_000);
    assert!(shared.recall(&path, nip).await.is_none());
}
