//! A crash between any two steps loses nothing and duplicates nothing.
//!
//! The real `ehrm-sync serve` runs as a child process and aborts itself (no unwinding, no clean
//! shutdown) at a named crashpoint; it is then started again on the same store, and the change
//! must end synced, exactly once at BKN.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_devkit::events::{SignedEvent, random_secret, upsert_body};
use ehrm_sync_population::{Kinerja, Population, PopulationSpec, generate};
use ehrm_sync_sqlite::SqliteStore;
use ehrm_sync_tests::harness::{STATUS_KEY, fast_env, loopback};
use ehrm_sync_webhook::Secret;
use siasn_sim::{SiasnSim, SimConfig};

struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct World {
    sim: SiasnSim,
    population: Population,
    secret: Secret,
    env: HashMap<String, String>,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl World {
    async fn new() -> World {
        let population = generate(&PopulationSpec {
            seed: 21,
            employees: 10,
            ..Default::default()
        });
        let sim = SiasnSim::start(SimConfig::new(population.clone()), loopback())
            .await
            .expect("simulator");
        let secret = random_secret();
        let mut env = ehrm_sync_devkit::world::local_env(&sim, &secret, 100.0);
        for (k, v) in fast_env() {
            env.insert(k.to_string(), v);
        }
        World {
            sim,
            population,
            secret,
            env,
            dir: tempfile::tempdir().expect("temp dir"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("client"),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("store.db")
    }

    /// Starts `ehrm-sync serve`, optionally told to abort at `crash_at`.
    async fn serve(&self, crash_at: Option<&str>) -> Serve {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ehrm-sync-under-test"));
        cmd.args([
            "--log-format",
            "text",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "2",
            "--db",
        ])
        .arg(self.db())
        .envs(&self.env)
        .env("RUST_LOG", "warn")
        .env_remove("EHRM_SYNC_CRASH_AT")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        if let Some(point) = crash_at {
            cmd.env("EHRM_SYNC_CRASH_AT", point);
        }
        let child = cmd.spawn().expect("ehrm-sync starts");
        let serve = Serve {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + ehrm_sync_tests::patience::secs(20);
        while Instant::now() < deadline {
            if let Ok(r) = self
                .http
                .get(format!("{}/healthz", serve.base))
                .send()
                .await
                && r.status().is_success()
            {
                return serve;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("ehrm-sync did not come up");
    }

    fn new_monthly(&self, i: usize, month: u8) -> (Value, String, String) {
        let e = &self.population.employees[i];
        let k = Kinerja {
            jenis: "periodik".into(),
            periodik: Some("bulanan".into()),
            tahun: 2026,
            bulan_mulai: Some(month),
            bulan_selesai: Some(month),
            koefisien_id: Some("22".into()),
            ..e.kinerja[0].clone()
        };
        let key = format!("kinerja.periodik/{}/2026/bulanan/{month:02}", e.nip);
        (upsert_body(e, &k, 1), e.nip.clone(), key)
    }

    async fn status_of(&self, serve: &Serve, nip: &str, key: &str) -> Option<Value> {
        let status: Value = self
            .http
            .get(format!("{}/v1/sync/{nip}", serve.base))
            .bearer_auth(STATUS_KEY)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        status["records"]
            .as_array()?
            .iter()
            .find(|r| r["key"] == key)
            .cloned()
    }

    async fn wait_synced(&self, serve: &Serve, nip: &str, key: &str) -> Value {
        let deadline = Instant::now() + ehrm_sync_tests::patience::secs(60);
        loop {
            if let Some(rec) = self.status_of(serve, nip, key).await
                && rec["status"] == "synced"
            {
                return rec;
            }
            assert!(Instant::now() < deadline, "{key} never synced");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn wait_exit(serve: &mut Serve) -> std::process::ExitStatus {
    let deadline = Instant::now() + ehrm_sync_tests::patience::secs(30);
    loop {
        if let Some(status) = serve.child.try_wait().expect("waitable") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the crashpoint was never reached"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn aborted(status: std::process::ExitStatus) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal() == Some(6)
    }
    #[cfg(not(unix))]
    {
        !status.success()
    }
}

/// A new record; the process aborts at `point` while delivering it; after a restart it is
/// synced and BKN holds it exactly once.
async fn delivery_survives_a_crash_at(point: &str) {
    let world = World::new().await;
    let (body, nip, key) = world.new_monthly(0, 11);
    let mut first = world.serve(Some(point)).await;
    let ev = SignedEvent::sign(&world.secret, "evt_crash_1", body.to_string().into_bytes());
    let (status, _) = ev
        .send(&world.http, &first.base)
        .await
        .expect("answered before the crash");
    assert_eq!(status, 202);
    assert!(
        aborted(wait_exit(&mut first).await),
        "the process aborted at {point}"
    );
    drop(first);

    let second = world.serve(None).await;
    let rec = world.wait_synced(&second, &nip, &key).await;
    let at_bkn: Vec<_> = world
        .sim
        .periodic_records(&nip)
        .into_iter()
        .filter(|r| r.1 == 2026 && r.3 == 11)
        .collect();
    assert_eq!(
        at_bkn.len(),
        1,
        "exactly one record at BKN after a crash at {point}"
    );
    assert_eq!(rec["bkn_id"].as_str(), Some(at_bkn[0].0.as_str()));
    assert_eq!(world.sim.stats().duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_taking_the_lease() {
    delivery_survives_a_crash_at("deliver.after_lease").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_bkn_stored_but_before_we_recorded_it() {
    delivery_survives_a_crash_at("deliver.after_bkn_before_store").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_recording_before_acknowledging() {
    delivery_survives_a_crash_at("deliver.after_store_before_ack").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_before_deleting_the_message() {
    delivery_survives_a_crash_at("worker.before_delete").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_recording_a_change_and_queueing_it() {
    let world = World::new().await;
    let (body, nip, key) = world.new_monthly(1, 10);
    let mut first = world.serve(Some("ingest.after_store_before_queue")).await;
    let ev = SignedEvent::sign(&world.secret, "evt_crash_2", body.to_string().into_bytes());
    assert!(
        ev.send(&world.http, &first.base).await.is_err(),
        "no answer: the process died mid-request"
    );
    assert!(aborted(wait_exit(&mut first).await));
    drop(first);

    let second = world.serve(None).await;
    // eHRM retries the unanswered event: it was already durable, so this is a repeat.
    let (status, _) = ev.send(&world.http, &second.base).await.expect("answered");
    assert_eq!(status, 200);
    // Nobody queued it; the sweeper finds it due and queues it.
    world.wait_synced(&second, &nip, &key).await;
    let at_bkn = world
        .sim
        .periodic_records(&nip)
        .into_iter()
        .filter(|r| r.1 == 2026 && r.3 == 10)
        .count();
    assert_eq!(at_bkn, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_change_survives_a_kill() {
    let world = World::new().await;
    let mut serve = world.serve(None).await;
    let mut acknowledged = Vec::new();
    for i in 0..world.population.employees.len() {
        let (body, _, key) = world.new_monthly(i, 12);
        let ev = SignedEvent::sign(
            &world.secret,
            &format!("evt_kill_{i}"),
            body.to_string().into_bytes(),
        );
        let (status, _) = ev.send(&world.http, &serve.base).await.expect("answered");
        assert_eq!(status, 202);
        acknowledged.push(key);
    }
    serve.child.kill().expect("killed");
    let _ = serve.child.wait();
    drop(serve);
    let store = SqliteStore::open(world.db()).expect("reopens");
    for key in acknowledged {
        let key = key.parse().expect("a key");
        assert!(
            store.record(&key).await.expect("readable").is_some(),
            "acknowledged {key} survived SIGKILL"
        );
    }
}
