//! Chaos on the embedded store: two `ehrm-sync serve` processes share one SQLite file while
//! thousands of changes arrive out of order, BKN fails 30 % of calls, loses 5 % of responses,
//! throttles, expires tokens and goes down twice, and the processes are killed (SIGKILL) or abort
//! themselves at random crashpoints and are started again. At the end: nothing lost, the latest
//! version everywhere, no duplicate at BKN, the rate never exceeded, dead letters redriven to zero.
//!
//! `CHAOS_SEED`, `CHAOS_EMPLOYEES`, `CHAOS_CHANGES` change the run; the seed is printed.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use ehrm_sync_core::ports::{DeadLetters, SyncStore};
use ehrm_sync_devkit::events::random_secret;
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_population::{PopulationSpec, generate};
use ehrm_sync_sqlite::{QueueOptions, SqliteStore};
use ehrm_sync_tests::chaos::{self, ChaosConfig, ChaosSize, Figures};
use ehrm_sync_tests::harness::loopback;
use siasn_sim::{SiasnSim, SimConfig};

struct Worker {
    child: Child,
    base: String,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a port")
}

fn spawn(db: &PathBuf, env: &HashMap<String, String>, crash: Option<(&str, u32)>) -> Worker {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ehrm-sync-under-test"));
    cmd.args([
        "--log-format",
        "text",
        "serve",
        "--workers",
        "3",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--db",
    ])
    .arg(db)
    .envs(env)
    .env("RUST_LOG", "error")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if let Some((point, after)) = crash {
        cmd.env("EHRM_SYNC_CRASH_AT", point)
            .env("EHRM_SYNC_CRASH_AFTER", after.to_string());
    }
    Worker {
        child: cmd.spawn().expect("serve starts"),
        base: format!("http://127.0.0.1:{port}"),
    }
}

fn random_crash(rng: &mut StdRng) -> Option<(&'static str, u32)> {
    if rng.random_bool(0.5) {
        return None;
    }
    let points = ehrm_sync_core::crashpoint::ALL;
    Some((
        points[rng.random_range(0..points.len())],
        rng.random_range(1..=30),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_on_the_embedded_store() {
    let _turn = super::ONE_AT_A_TIME.lock().await;
    let config = ChaosConfig::from_env(ChaosSize {
        employees: 200,
        changes: 2000,
        rate: 100.0,
    });
    println!(
        "chaos[embedded] seed {} (set CHAOS_SEED to repeat)",
        config.seed
    );
    let population = generate(&PopulationSpec {
        seed: config.seed,
        employees: config.employees,
        ..Default::default()
    });
    let outages = [(8_000, 14_000), (24_000, 30_000)];
    let sim = SiasnSim::start(
        SimConfig {
            faults: chaos::faults(outages),
            ..SimConfig::new(population.clone())
        },
        loopback(),
    )
    .await
    .expect("simulator");
    let secret = random_secret();
    let mut env = ehrm_sync_devkit::world::local_env(&sim, &secret, config.rate);
    for (k, v) in [
        ("RETRY_BASE_SECONDS", "0.2"),
        ("RETRY_MAX_SECONDS", "2"),
        ("RETRY_MAX_ATTEMPTS", "12"),
        ("BKN_TIMEOUT_SECONDS", "2"),
        // Room for a write after the gate's wait: the lease is checked just before sending.
        ("LEASE_SECONDS", "8"),
        ("QUEUE_VISIBILITY_SECONDS", "10"),
        ("QUEUE_MAX_RECEIVES", "40"),
        ("SWEEP_INTERVAL_SECONDS", "1"),
        ("SWEEP_GRACE_SECONDS", "2"),
        ("SWEEP_REQUEUE_SECONDS", "5"),
        ("BREAKER_FAILURES", "8"),
        ("BREAKER_COOLDOWN_SECONDS", "1"),
        ("BREAKER_MAX_COOLDOWN_SECONDS", "3"),
    ] {
        env.insert(k.into(), v.into());
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("store.db");
    let plan = chaos::plan(&population, &config, &secret);
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x000c_4a05);

    let workers: Arc<Mutex<Vec<Worker>>> = Arc::new(Mutex::new(vec![
        spawn(&db, &env, random_crash(&mut rng)),
        spawn(&db, &env, random_crash(&mut rng)),
    ]));
    tokio::time::sleep(Duration::from_millis(500)).await;

    // eHRM: sends every event until it is answered (a worker dying mid-request means "try again").
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let sender = {
        let workers = workers.clone();
        let events = plan.events.clone();
        tokio::spawn(async move {
            futures::stream::iter(events)
                .for_each_concurrent(8, |ev| {
                    let workers = workers.clone();
                    let http = http.clone();
                    async move {
                        for attempt in 0..200u32 {
                            let bases: Vec<String> = workers
                                .lock()
                                .map(|w| w.iter().map(|x| x.base.clone()).collect())
                                .unwrap_or_default();
                            let base = &bases[(attempt as usize) % bases.len().max(1)];
                            match ev.send(&http, base).await {
                                Ok((s, _)) if s < 500 => return,
                                _ => tokio::time::sleep(Duration::from_millis(100)).await,
                            }
                        }
                        panic!("an event was never answered");
                    }
                })
                .await;
        })
    };

    // The killer: until the events are in and the last outage is over, workers die and return.
    let mut kills = 0;
    let chaos_until = outages[1].1 + 3_000;
    while !sender.is_finished() || sim.elapsed_ms() < chaos_until {
        tokio::time::sleep(Duration::from_millis(rng.random_range(1_500..4_000))).await;
        let mut w = workers.lock().expect("workers");
        let victim = rng.random_range(0..w.len());
        let _ = w[victim].child.kill();
        kills += 1;
        for (i, worker) in w.iter_mut().enumerate() {
            let exited = i == victim || worker.child.try_wait().ok().flatten().is_some();
            if exited {
                if i != victim {
                    kills += 1; // it aborted at its crashpoint
                }
                *worker = spawn(&db, &env, random_crash(&mut rng));
            }
        }
    }
    sender.await.expect("every event answered");
    {
        let mut w = workers.lock().expect("workers");
        for worker in w.iter_mut() {
            *worker = spawn(&db, &env, None);
        }
    }
    // The outages are over (their windows have passed); every other fault stays on while the
    // backlog drains: errors, lost responses, 429s and expiring tokens.
    let store = SqliteStore::open(&db).expect("opens");
    let queue = store.queue(QueueOptions::default());
    let drained = |store: SqliteStore| async move {
        let counts = store.count_by_status().await.unwrap_or_default();
        counts
            .iter()
            .filter(|(s, _)| {
                matches!(
                    s,
                    SyncStatus::Pending | SyncStatus::Sending | SyncStatus::Retrying
                )
            })
            .map(|(_, n)| n)
            .sum::<u64>()
            == 0
    };
    let deadline = Instant::now() + ehrm_sync_tests::patience::secs(420);
    while !drained(store.clone()).await {
        assert!(Instant::now() < deadline, "the backlog did not drain");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drained_at = sim.elapsed_ms();
    assert_eq!(
        queue.depth().await.expect("depth"),
        0,
        "no message reached the dead letters (waits never spend a message's receives)"
    );

    let mut figures = Figures {
        seed: config.seed,
        changes_sent: plan.events.len(),
        kills,
        drain_after_last_outage: Duration::from_millis(drained_at.saturating_sub(outages[1].1)),
        ..Figures::default()
    };
    let violations = chaos::check(&store, &sim, &plan, config.rate, &mut figures).await;
    figures.print("embedded");
    for v in &violations {
        println!("VIOLATION: {v}");
    }
    assert!(
        violations.is_empty(),
        "seed {}: {:#?}",
        config.seed,
        violations
    );
    assert!(kills >= 3, "workers were killed during the run");
}
