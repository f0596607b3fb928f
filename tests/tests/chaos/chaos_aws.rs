//! Chaos on AWS shapes (DynamoDB + SQS from the template on the endpoint in `AWS_ENDPOINT_URL`):
//! webhooks through the ingest function's router, deliveries by two processes that each play a
//! deliver Lambda fed by the queue (killed or aborted at random crashpoints, and started again),
//! the sweep run on schedule, BKN failing as in the embedded run. Same end-state assertions.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use ehrm_sync_core::ports::{DeadLetters, SyncStore};
use ehrm_sync_core::sweep::{SweepSettings, Sweeper};
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_population::{PopulationSpec, generate};
use ehrm_sync_tests::aws::world::{AwsWorld, Shape};
use ehrm_sync_tests::chaos::{self, ChaosConfig, ChaosSize, Figures};

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(env: &HashMap<String, String>, crash: Option<(&str, u32)>) -> Worker {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lambda-worker"));
    cmd.envs(env)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some((point, after)) = crash {
        cmd.env("EHRM_SYNC_CRASH_AT", point)
            .env("EHRM_SYNC_CRASH_AFTER", after.to_string());
    }
    Worker(cmd.spawn().expect("worker starts"))
}

fn random_crash(rng: &mut StdRng) -> Option<(&'static str, u32)> {
    // The ingest crashpoint is not in a worker's path; the others are.
    let points: Vec<&str> = ehrm_sync_core::crashpoint::ALL
        .iter()
        .copied()
        .filter(|p| p.starts_with("deliver"))
        .collect();
    rng.random_bool(0.5).then(|| {
        (
            points[rng.random_range(0..points.len())],
            rng.random_range(5..=40),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_on_dynamodb_and_sqs() {
    let _turn = super::ONE_AT_A_TIME.lock().await;
    // Smaller than the embedded run: moto serves about 20 requests a second here (DynamoDB one
    // at a time) and its memory grows with every query, and the faults stay on while the backlog
    // drains, so the same volume would take many minutes and gigabytes.
    let config = ChaosConfig::from_env(ChaosSize {
        employees: 30,
        changes: 160,
        rate: 50.0,
    });
    println!("chaos[aws] seed {} (set CHAOS_SEED to repeat)", config.seed);
    let population = generate(&PopulationSpec {
        seed: config.seed,
        employees: config.employees,
        ..Default::default()
    });
    let outages = [(6_000, 11_000), (18_000, 23_000)];
    let w =
        AwsWorld::start_with(population.clone(), chaos::faults(outages), &[], config.rate).await;
    let mut env = w.env.clone();
    for (k, v) in [
        (
            "AWS_ENDPOINT_URL",
            std::env::var("AWS_ENDPOINT_URL").unwrap_or_default(),
        ),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "ap-southeast-3".into()),
        ("LEASE_SECONDS", "8".into()),
        ("LAMBDA_WORKER_VISIBILITY", "10".into()),
        ("RETRY_BASE_SECONDS", "0.2".into()),
        ("RETRY_MAX_SECONDS", "2".into()),
        ("RETRY_MAX_ATTEMPTS", "12".into()),
        ("BKN_TIMEOUT_SECONDS", "2".into()),
        ("BREAKER_FAILURES", "8".into()),
        ("BREAKER_COOLDOWN_SECONDS", "1".into()),
        ("BREAKER_MAX_COOLDOWN_SECONDS", "3".into()),
    ] {
        env.insert(k.into(), v);
    }
    let plan = chaos::plan(&population, &config, &w.secret);
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x00a_5005);
    let mut workers = [
        spawn(&env, random_crash(&mut rng)),
        spawn(&env, random_crash(&mut rng)),
    ];

    let sweeper = Arc::new(Sweeper::new(
        Arc::new(w.adapters.store.clone()),
        Arc::new(w.adapters.queue.clone()),
        w.adapters.clock.clone(),
        SweepSettings {
            grace_ms: 2_000,
            requeue_after_ms: 5_000,
            ..SweepSettings::default()
        },
    ));
    let sweeping = {
        let sweeper = sweeper.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let _ = sweeper.sweep().await;
            }
        })
    };

    let w = Arc::new(w);
    let sender = {
        let w = w.clone();
        let events = plan.events.clone();
        tokio::spawn(async move {
            futures::stream::iter(events)
                .for_each_concurrent(4, |ev| {
                    let w = w.clone();
                    async move {
                        let headers = [
                            ("content-type", "application/json".to_string()),
                            ("webhook-id", ev.id.clone()),
                            ("webhook-timestamp", ev.timestamp.to_string()),
                            ("webhook-signature", ev.signature.clone()),
                        ];
                        let event = AwsWorld::http_event(
                            Shape::HttpApi,
                            "POST",
                            "/v1/events",
                            &headers,
                            &ev.body,
                        );
                        // eHRM retries a 5xx with backoff; under a loaded emulator a store call
                        // can time out now and then, so give each event a minute like eHRM would.
                        let until = Instant::now() + ehrm_sync_tests::patience::secs(60);
                        let mut pause = Duration::from_millis(200);
                        let mut last = 0;
                        while Instant::now() < until {
                            last = w.invoke_http(&event).await.0;
                            if last < 500 {
                                return;
                            }
                            tokio::time::sleep(pause).await;
                            pause = (pause * 2).min(Duration::from_secs(5));
                        }
                        panic!(
                            "event {} still answered {last} after a minute of retries",
                            ev.id
                        );
                    }
                })
                .await;
        })
    };

    let mut kills = 0;
    let chaos_until = outages[1].1 + 3_000;
    while !sender.is_finished() || w.sim.elapsed_ms() < chaos_until {
        // Less often than on the embedded store: a new process here pays an SDK cold start.
        tokio::time::sleep(Duration::from_millis(rng.random_range(3_000..7_000))).await;
        let victim = rng.random_range(0..workers.len());
        let _ = workers[victim].0.kill();
        kills += 1;
        for (i, worker) in workers.iter_mut().enumerate() {
            let exited = i == victim || worker.0.try_wait().ok().flatten().is_some();
            if exited {
                if i != victim {
                    kills += 1; // it aborted at its crashpoint
                }
                *worker = spawn(&env, random_crash(&mut rng));
            }
        }
    }
    sender.await.expect("every event accepted");
    for worker in workers.iter_mut() {
        *worker = spawn(&env, None);
    }
    // The outages are over (their windows have passed); every other fault stays on while the
    // backlog drains: errors, lost responses, 429s and expiring tokens.
    let store = w.adapters.store.clone();
    let open = || {
        let store = store.clone();
        async move {
            store
                .count_by_status()
                .await
                .unwrap_or_default()
                .iter()
                .filter(|(s, _)| {
                    matches!(
                        s,
                        SyncStatus::Pending | SyncStatus::Sending | SyncStatus::Retrying
                    )
                })
                .map(|(_, n)| *n)
                .sum::<u64>()
        }
    };
    let deadline = Instant::now() + ehrm_sync_tests::patience::secs(300);
    let mut last_report = Instant::now();
    loop {
        let n = open().await;
        if n == 0 {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            println!(
                "chaos[aws] draining: {n} records open, {} BKN calls so far",
                w.sim.stats().calls_total
            );
            last_report = Instant::now();
        }
        assert!(Instant::now() < deadline, "the backlog did not drain");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let drained_at = w.sim.elapsed_ms();
    assert_eq!(
        w.adapters.queue.depth().await.expect("depth"),
        0,
        "no message reached the dead letters (waits never spend a message's receives)"
    );
    sweeping.abort();

    // A message still in flight when the counts reached zero (a worker between receiving it and
    // settling it) may hold a record for a moment: a record caught "still …" is looked at again
    // until it settles; any other violation stands at once.
    let settle_deadline = Instant::now() + ehrm_sync_tests::patience::secs(60);
    let (figures, violations) = loop {
        let mut figures = Figures {
            seed: config.seed,
            changes_sent: plan.events.len(),
            kills,
            drain_after_last_outage: Duration::from_millis(drained_at.saturating_sub(outages[1].1)),
            ..Figures::default()
        };
        let violations = chaos::check(&store, &w.sim, &plan, config.rate, &mut figures).await;
        let only_unsettled =
            !violations.is_empty() && violations.iter().all(|v| v.contains(": still "));
        if !only_unsettled || Instant::now() > settle_deadline {
            break (figures, violations);
        }
        println!("chaos[aws] waiting for {violations:?}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    figures.print("aws");
    for v in &violations {
        println!("VIOLATION: {v}");
    }
    assert!(
        violations.is_empty(),
        "seed {}: {:#?}",
        config.seed,
        violations
    );
}
