//! Resilience on the embedded runtime: the circuit breaker through an outage, replay and redrive
//! (also through the real `ehrm-sync` command), and outcome callbacks to eHRM.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use ehrm_sync_core::ports::{ControlStore, DeadLetters};
use ehrm_sync_devkit::events::upsert_body;
use ehrm_sync_population::Kinerja;
use ehrm_sync_tests::harness::{Harness, HarnessOptions, records_with};
use ehrm_sync_tests::patience;
use siasn_sim::Faults;

const WAIT: Duration = Duration::from_secs(40);

fn changed_annual(h: &Harness, i: usize) -> (Value, String) {
    let e = h.employee(i);
    let k = e
        .kinerja
        .iter()
        .filter(|k| k.jenis == "tahunan")
        .max_by_key(|k| k.tahun)
        .cloned()
        .expect("annual");
    let k = Kinerja {
        hasil_kinerja: if k.hasil_kinerja == 1 { 2 } else { 1 },
        perilaku_kerja: 2,
        predikat: 2,
        ..k
    };
    (
        upsert_body(e, &k, k.version + 1),
        format!("kinerja.tahunan/{}/{}", e.nip, k.tahun),
    )
}

fn cli(h: &Harness, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ehrm-sync-under-test"))
        .args(["--log-format", "text"])
        .args(args)
        .arg("--db")
        .arg(h.dir.path().join("store.db"))
        .env("RUST_LOG", "error")
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn status_of(h: &Harness, i: usize, key: &str) -> Value {
    let status = h.status(&h.employee(i).nip).await;
    records_with(status["records"].as_array().expect("records"), key)
        .first()
        .map(|r| (*r).clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_opens_during_an_outage_and_the_backlog_drains_by_itself() {
    let h = Harness::start(HarnessOptions {
        employees: 30,
        env: vec![
            ("BREAKER_FAILURES", "3".into()),
            ("BREAKER_COOLDOWN_SECONDS", "1".into()),
            ("BREAKER_MAX_COOLDOWN_SECONDS", "2".into()),
            ("RETRY_MAX_ATTEMPTS", "4".into()),
        ],
        ..HarnessOptions::default()
    })
    .await;
    h.sim.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    let mut keys = Vec::new();
    for i in 0..10 {
        let (body, key) = changed_annual(&h, i);
        assert_eq!(h.send(&body).await.0, 202);
        keys.push(key);
    }
    let control = h.runtime.as_ref().expect("running").store.clone();
    let opens = || async {
        let events = control.events("breaker", 100).await.expect("readable");
        events
            .iter()
            .filter(|(_, e)| e["event"] == "opened")
            .count()
    };
    assert!(
        patience::until(patience::secs(10), || async { opens().await >= 1 }).await,
        "the breaker opened"
    );
    // Three failed probes later (cool-downs of 1 to 2 s), BKN has seen only those probes and
    // the calls the four workers had under way when it opened — without a breaker every record
    // would have died many times over by now.
    let (opened, during) = (opens().await, h.sim.stats().outage_answers);
    assert!(
        patience::until(patience::secs(15), || async { opens().await >= opened + 3 }).await,
        "each failed probe opens it again"
    );
    let probes = h.sim.stats().outage_answers - during;
    assert!(
        probes <= 3 + 4 + 1,
        "while open, BKN is only probed ({probes} calls over three cool-downs)"
    );
    for (i, key) in keys.iter().enumerate() {
        let r = status_of(&h, i, key).await;
        assert_ne!(
            r["status"], "dead",
            "no attempts are spent while the breaker is open"
        );
    }
    h.sim.set_faults(Faults::default());
    assert!(
        h.wait_drained(WAIT).await,
        "drained with nobody doing anything"
    );
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(status_of(&h, i, key).await["status"], "synced");
    }
    let events = control.events("breaker", 10).await.expect("readable");
    assert_eq!(
        events[0].1["event"], "closed",
        "the close is recorded: {events:?}"
    );
    let (ok, out) = cli(&h, &["status"]);
    assert!(ok);
    assert!(out.contains("BKN breaker      closed"), "{out}");
    assert!(
        out.contains("closed") && out.contains("opened"),
        "history shown: {out}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_dry_run_lists_exactly_the_dead_and_the_real_run_syncs_them() {
    let h = Harness::start(HarnessOptions {
        env: vec![
            ("RETRY_MAX_ATTEMPTS", "2".into()),
            ("RETRY_BASE_SECONDS", "0.1".into()),
            // A breaker that never opens, so transient failures exhaust the attempts.
            ("BREAKER_FAILURES", "100000".into()),
        ],
        ..HarnessOptions::default()
    })
    .await;
    let dead_ones = [0usize, 1, 2];
    h.sim.set_faults(Faults {
        unavailable_nips: dead_ones
            .iter()
            .map(|&i| h.employee(i).nip.clone())
            .collect(),
        ..Faults::default()
    });
    let mut keys = Vec::new();
    for i in 0..5 {
        let (body, key) = changed_annual(&h, i);
        h.send(&body).await;
        keys.push(key);
    }
    assert!(h.wait_drained(WAIT).await);
    for (i, key) in keys.iter().enumerate() {
        let expected = if dead_ones.contains(&i) {
            "dead"
        } else {
            "synced"
        };
        assert_eq!(status_of(&h, i, key).await["status"], expected);
    }
    let (ok, out) = cli(&h, &["replay", "--status", "dead", "--dry-run", "--json"]);
    assert!(ok, "{out}");
    let listed: Value = serde_json::from_str(&out).expect("JSON");
    let mut listed: Vec<String> = listed["matched"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["key"].as_str().map(String::from))
        .collect();
    listed.sort();
    let mut expected: Vec<String> = dead_ones.iter().map(|&i| keys[i].clone()).collect();
    expected.sort();
    assert_eq!(listed, expected, "exactly the dead records");
    assert_eq!(
        status_of(&h, 0, &keys[0]).await["status"],
        "dead",
        "a dry run changes nothing"
    );

    h.sim.set_faults(Faults::default());
    let (ok, out) = cli(&h, &["replay", "--status", "dead"]);
    assert!(ok, "{out}");
    assert!(out.contains("3 replayed"), "{out}");
    assert!(h.wait_drained(WAIT).await);
    for &i in &dead_ones {
        assert_eq!(status_of(&h, i, &keys[i]).await["status"], "synced");
    }
    let (ok, _) = cli(
        &h,
        &[
            "replay",
            "--status",
            "dead",
            "--since",
            "2026-01-01",
            "--until",
            "2026-03-01",
        ],
    );
    assert!(!ok, "a window over 14 days is refused");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_record_replayed_after_bkn_was_fixed_goes_through() {
    let h = Harness::start(HarnessOptions::default()).await;
    let (body, key) = changed_annual(&h, 3);
    h.sim.set_faults(Faults {
        reject_nips: [(
            h.employee(3).nip.clone(),
            "1 error occurred:\n\t* PenilaiNipNrp tidak terdaftar".to_string(),
        )]
        .into(),
        ..Faults::default()
    });
    h.send(&body).await;
    h.wait_for(&h.employee(3).nip, WAIT, |r| {
        records_with(r, &key)
            .first()
            .is_some_and(|x| x["status"] == "failed")
    })
    .await;
    // The appraiser is registered at BKN; the same data now passes.
    h.sim.set_faults(Faults::default());
    let (ok, out) = cli(&h, &["replay", "--status", "failed"]);
    assert!(ok, "{out}");
    let r = h
        .wait_for(&h.employee(3).nip, WAIT, |r| {
            records_with(r, &key)
                .first()
                .is_some_and(|x| x["status"] == "synced")
        })
        .await;
    assert_eq!(
        records_with(r["records"].as_array().expect("records"), &key)[0]["status"],
        "synced"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_message_ends_in_the_dead_letters_and_is_redriven_by_the_command() {
    let h = Harness::start(HarnessOptions {
        env: vec![("QUEUE_MAX_RECEIVES", "7".into())],
        ..HarnessOptions::default()
    })
    .await;
    let runtime = h.runtime.as_ref().expect("running");
    let (queue, store) = (runtime.queue.clone(), runtime.store.clone());
    // A message no worker can read, as a bug elsewhere might produce.
    store
        .read(|c| {
            c.execute(
                "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at) VALUES ('delivery', 'poison', 'not json', 0, 0)",
                [],
            )
            .map(|_| ())
            .map_err(|e| ehrm_sync_core::ports::StoreError::Unavailable(e.to_string()))
        })
        .await
        .expect("inserted");
    assert!(
        patience::until(patience::within(WAIT), || async {
            queue.depth().await.expect("depth") > 0
        })
        .await,
        "never dead-lettered"
    );
    let (ok, out) = cli(&h, &["status"]);
    assert!(ok && out.contains("Dead letters     1"), "{out}");
    let (ok, out) = cli(&h, &["redrive"]);
    assert!(ok);
    assert!(out.starts_with("1 of 1"), "{out}");
    let stats = queue.stats().await.expect("stats");
    assert_eq!(stats.dead, 0);
    assert_eq!(
        stats.visible + stats.in_flight,
        1,
        "back in the delivery queue"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_reach_ehrm_as_signed_callbacks_despite_its_failures() {
    let secret = ehrm_sync_devkit::events::random_secret();
    let population = ehrm_sync_population::generate(&ehrm_sync_population::PopulationSpec {
        seed: 11,
        employees: 40,
        ..Default::default()
    });
    let ehrm = ehrm_sim::EhrmSim::start(
        ehrm_sim::EhrmSimConfig {
            population,
            callback_secret: secret.clone(),
            callback_failure_rate: 0.0,
            // Every callback meets a busy eHRM twice before it is taken.
            callback_busy_per_id: 2,
            api: ehrm_sim::read::ApiConfig::default(),
        },
        ehrm_sync_tests::harness::loopback(),
    )
    .await
    .expect("eHRM simulator");
    let h = Harness::start(HarnessOptions {
        env: vec![
            ("EHRM_CALLBACK_URL", ehrm.callback_url()),
            ("EHRM_CALLBACK_SECRET", secret.to_whsec()),
        ],
        ..HarnessOptions::default()
    })
    .await;
    h.sim.set_faults(Faults {
        reject_nips: [(
            h.employee(1).nip.clone(),
            "1 error occurred:\n\t* KoefisienId is required".to_string(),
        )]
        .into(),
        ..Faults::default()
    });
    let mut keys = Vec::new();
    for i in 0..4 {
        let (body, key) = changed_annual(&h, i);
        h.send(&body).await;
        keys.push(key);
    }
    assert!(h.wait_drained(WAIT).await);
    // Three rounds of the callback loop (every 2 s) with the retry backoff between them.
    let want = keys.len();
    let received = patience::poll_until(patience::secs(20), Duration::from_millis(200), || {
        let got = ehrm.callbacks();
        async move { (got.len() >= want).then_some(got) }
    })
    .await
    .unwrap_or_else(|| ehrm.callbacks());
    assert_eq!(
        received.len(),
        keys.len(),
        "one callback per outcome, retried through eHRM's failures"
    );
    for key in &keys {
        let cb = received
            .iter()
            .find(|c| c.payload["data"]["record_key"] == key.as_str())
            .expect("a callback for each record");
        let expected = if key.contains(&h.employee(1).nip) {
            "failed"
        } else {
            "synced"
        };
        assert_eq!(cb.payload["type"], "sync.outcome");
        assert_eq!(cb.payload["data"]["status"], expected);
    }
    let failed = received
        .iter()
        .find(|c| c.payload["data"]["status"] == "failed")
        .expect("the refusal");
    assert_eq!(
        failed.payload["data"]["last_error"],
        "1 error occurred:\n\t* KoefisienId is required"
    );
    h.shutdown().await;
}
