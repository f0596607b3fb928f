//! Load commands behind the README's figures. Both print one JSON line of results.
//!
//! * `bench ingest` starts `ehrm-sync serve` as a separate process (so the load generator does
//!   not share its runtime) and drives it with signed webhooks over loopback.
//! * `bench deliver` ingests a batch of changes, then measures how fast delivery drains them
//!   against the simulator under a BKN rate limit.

pub mod adaptive;
pub mod console;
pub mod drain;
pub mod positions;
mod readiness_seed;
pub mod reconcile;
pub mod season;

use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{Kinerja, PopulationSpec, generate};
use siasn_sim::{SiasnSim, SimConfig};

use crate::events::{SignedEvent, random_secret, upsert_body};
use crate::net::loopback;

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Signed webhooks per second and latency percentiles of a `serve` process.
    Ingest {
        #[arg(long, default_value_t = 20_000)]
        events: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Delivery workers in the served process (0: measure ingest alone).
        #[arg(long, default_value_t = 0)]
        workers: usize,
    },
    /// A backlog that piled up during a BKN outage: time to drain it once BKN returns, against
    /// the ideal (calls needed ÷ rate).
    Drain {
        #[arg(long, default_value_t = 10_000)]
        backlog: usize,
        #[arg(long, default_value_t = 600)]
        outage_secs: u64,
        #[arg(long, default_value_t = 25.0)]
        rate: f64,
        #[arg(long, default_value_t = 8)]
        workers: usize,
    },
    /// The reconciliation comparison engine alone: time and peak memory.
    Compare {
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
    },
    /// A full reconciliation run against both simulators at a BKN rate: BKN calls per employee
    /// and the share of the rate budget used.
    Reconcile {
        #[arg(long, default_value_t = 25_000)]
        employees: usize,
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
    },
    /// Every console page against a ministry-sized store: p50/p99 per page (target: p99 under
    /// 100 ms).
    Console {
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        #[arg(long, default_value_t = 1_000_000)]
        attempts: usize,
        #[arg(long, default_value_t = 50_000)]
        rows: usize,
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// The appraisal season (annual SKP, twelve monthly evaluations, edits, hand-entered records
    /// at BKN): BKN calls per record, with and without eHRM's pns_id; `--baseline` adds the
    /// behaviour before remembered lists (look-up before every create, fixed rate).
    Season {
        #[arg(long, default_value_t = 2_000)]
        employees: usize,
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        #[arg(long, default_value_t = 8)]
        workers: usize,
        #[arg(long)]
        baseline: bool,
    },
    /// The adaptive rate against a simulator that throttles above a hidden limit below
    /// `BKN_RATE_PER_SEC`: rate sustained, share of 429s, time to converge; `--baseline` adds
    /// the fixed rate.
    Adaptive {
        #[arg(long, default_value_t = 7.0)]
        limit: f64,
        #[arg(long, default_value_t = 20.0)]
        ceiling: f64,
        #[arg(long, default_value_t = 300)]
        secs: u64,
        #[arg(long, default_value_t = 8)]
        workers: usize,
        #[arg(long)]
        baseline: bool,
    },
    /// Riwayat jabatan: BKN calls per new position, with and without its SK document, one per
    /// employee and five at once.
    Positions {
        #[arg(long, default_value_t = 300)]
        employees: usize,
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        #[arg(long, default_value_t = 8)]
        workers: usize,
    },
    /// Delivery of a backlog against the simulator at a BKN rate: calls per change, utilisation.
    Deliver {
        #[arg(long, default_value_t = 400)]
        changes: usize,
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        #[arg(long, default_value_t = 8)]
        workers: usize,
    },
}

pub async fn run(cmd: BenchCommand) -> ExitCode {
    let result = match cmd {
        BenchCommand::Compare { employees } => {
            crate::bench::reconcile::compare(employees).map(serde_json::Value::String)
        }
        BenchCommand::Reconcile { employees, rate } => {
            let dir = std::env::temp_dir()
                .join(format!("ehrm-sync-bench-reconcile-{}", std::process::id()));
            let r = crate::bench::reconcile::full_run(employees, rate, &dir).await;
            let _ = std::fs::remove_dir_all(&dir);
            r.map(serde_json::Value::String)
        }
        BenchCommand::Console {
            records,
            attempts,
            rows,
            samples,
        } => {
            let dir = std::env::temp_dir()
                .join(format!("ehrm-sync-bench-console-{}", std::process::id()));
            let sizes = crate::bench::console::Sizes {
                records,
                attempts,
                rows,
                samples,
            };
            let r = crate::bench::console::console(sizes, &dir).await;
            let _ = std::fs::remove_dir_all(&dir);
            r
        }
        BenchCommand::Ingest {
            events,
            concurrency,
            workers,
        } => ingest(events, concurrency, workers).await,
        BenchCommand::Deliver {
            changes,
            rate,
            workers,
        } => deliver(changes, rate, workers).await,
        BenchCommand::Season {
            employees,
            rate,
            workers,
            baseline,
        } => crate::bench::season::season(employees, rate, workers, baseline).await,
        BenchCommand::Adaptive {
            limit,
            ceiling,
            secs,
            workers,
            baseline,
        } => crate::bench::adaptive::adaptive(limit, ceiling, secs, workers, baseline).await,
        BenchCommand::Positions {
            employees,
            rate,
            workers,
        } => crate::bench::positions::positions(employees, rate, workers).await,
        BenchCommand::Drain {
            backlog,
            outage_secs,
            rate,
            workers,
        } => crate::bench::drain::drain(backlog, outage_secs, rate, workers).await,
    };
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

/// Annual-record changes for `n` events over a population, each a new version.
fn changes(n: usize, employees: usize) -> Vec<serde_json::Value> {
    let population = generate(&PopulationSpec {
        seed: 42,
        employees,
        ..Default::default()
    });
    (0..n)
        .map(|i| {
            let e = &population.employees[i % employees];
            let k = e
                .kinerja
                .iter()
                .find(|k| k.jenis == "tahunan")
                .cloned()
                .unwrap_or_else(|| e.kinerja[0].clone());
            let round = (i / employees) as u64;
            let rated = Kinerja {
                hasil_kinerja: if round.is_multiple_of(2) { 1 } else { 2 },
                perilaku_kerja: 2,
                predikat: 2,
                ..k.clone()
            };
            upsert_body(e, &rated, k.version + 1 + round)
        })
        .collect()
}

/// Long because it is one scripted measurement: start `serve`, send, collect, stop.
async fn ingest(
    events: usize,
    concurrency: usize,
    workers: usize,
) -> Result<serde_json::Value, String> {
    let population = generate(&PopulationSpec {
        seed: 42,
        employees: 200,
        ..Default::default()
    });
    let sim = SiasnSim::start(SimConfig::new(population), loopback())
        .await
        .map_err(|e| e.to_string())?;
    let secret = random_secret();
    let dir = std::env::temp_dir().join(format!("ehrm-sync-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe)
        .args([
            "--log-format",
            "text",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--workers",
            &workers.to_string(),
            "--db",
        ])
        .arg(dir.join("bench.db"))
        .envs(crate::world::local_env(&sim, &secret, 10.0))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    let up = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        if up.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            return Err("serve did not come up".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bodies = changes(events, 2000);
    let signed: Vec<SignedEvent> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            SignedEvent::sign(
                &secret,
                &format!("evt_bench_{i}"),
                b.to_string().into_bytes(),
            )
        })
        .collect();
    let started = Instant::now();
    let results: Vec<(u16, Duration)> = futures::stream::iter(&signed)
        .map(|ev| {
            let http = http.clone();
            let base = base.clone();
            async move {
                let t = Instant::now();
                let status = ev.send(&http, &base).await.map(|(s, _)| s).unwrap_or(0);
                (status, t.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let accepted = results.iter().filter(|(s, _)| *s == 202).count();
    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort_unstable();
    Ok(json!({
        "bench": "ingest",
        "events": events,
        "concurrency": concurrency,
        "delivery_workers": workers,
        "accepted_202": accepted,
        "seconds": (elapsed.as_secs_f64() * 100.0).round() / 100.0,
        "events_per_second": (events as f64 / elapsed.as_secs_f64()).round(),
        "p50_ms": (percentile(&latencies, 0.50) * 100.0).round() / 100.0,
        "p99_ms": (percentile(&latencies, 0.99) * 100.0).round() / 100.0,
        "max_ms": (percentile(&latencies, 1.0) * 100.0).round() / 100.0,
    }))
}

/// Long because it is one scripted measurement: ingest a batch, start the workers, wait for the
/// drain, read what the simulator counted.
async fn deliver(n: usize, rate: f64, workers: usize) -> Result<serde_json::Value, String> {
    let employees = n.max(1);
    let population = generate(&PopulationSpec {
        seed: 42,
        employees,
        ..Default::default()
    });
    let sim = SiasnSim::start(SimConfig::new(population), loopback())
        .await
        .map_err(|e| e.to_string())?;
    let secret = random_secret();
    let dir = std::env::temp_dir().join(format!("ehrm-sync-bench-deliver-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let env = crate::world::local_env(&sim, &secret, rate);
    let mut ingest_only = LocalSettings::from_env(&env, dir.join("bench.db"), loopback(), 0)
        .map_err(|e| e.to_string())?;
    // Fill the backlog first with no workers, then measure delivery alone.
    let runtime = Runtime::start(ingest_only.clone())
        .await
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", runtime.addr);
    let http = reqwest::Client::new();
    for (i, body) in changes(n, employees).iter().enumerate() {
        let ev = SignedEvent::sign(
            &secret,
            &format!("evt_deliver_{i}"),
            body.to_string().into_bytes(),
        );
        let (status, _) = ev.send(&http, &base).await.map_err(|e| e.to_string())?;
        if status != 202 {
            return Err(format!("ingest answered {status}"));
        }
    }
    runtime.shutdown().await;
    ingest_only.workers = workers;
    let before = sim.stats().calls_total;
    let started = Instant::now();
    let runtime = Runtime::start(ingest_only)
        .await
        .map_err(|e| e.to_string())?;
    let store: Arc<dyn SyncStore> = Arc::new(runtime.store.clone());
    let drained = crate::world::wait_drained(
        store.as_ref(),
        Duration::from_secs(3600),
        Duration::from_millis(100),
    )
    .await
    .map_err(|e| e.to_string())?;
    if !drained.done {
        return Err("delivery did not drain within an hour".into());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = sim.stats();
    let counts = store.count_by_status().await.map_err(|e| e.to_string())?;
    runtime.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    let calls = stats.calls_total - before;
    let synced = counts
        .iter()
        .find(|(s, _)| *s == SyncStatus::Synced)
        .map_or(0, |(_, n)| *n);
    Ok(json!({
        "bench": "deliver",
        "changes": n,
        "synced": synced,
        "rate_limit_per_second": rate,
        "workers": workers,
        "seconds": (elapsed * 100.0).round() / 100.0,
        "bkn_calls": calls,
        "bkn_calls_per_change": ((calls as f64 / n as f64) * 100.0).round() / 100.0,
        "achieved_calls_per_second": ((calls as f64 / elapsed) * 100.0).round() / 100.0,
        "rate_utilisation": ((calls as f64 / elapsed / rate) * 1000.0).round() / 1000.0,
        "busiest_second": stats.max_calls_per_second,
        "duplicates": stats.duplicates,
    }))
}
