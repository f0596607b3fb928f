//! `ehrm-sync demo`: the whole push path on one machine, with BKN misbehaving.
//!
//! It starts the SIASN simulator in-process with faults on (5xx, lost responses, 429s, token
//! expiry, an outage, a SUSPENDED window, per-NIP rejections), starts `serve` on a temporary
//! store, sends a realistic stream of signed webhooks over HTTP — several versions of the same
//! record in random order, deletes, repeats, invalid inputs — waits until the queue is drained,
//! then checks the invariants (`docs/architecture.md`, "Invariants") against what the simulator stored. It exits non-zero
//! if any invariant fails.

mod check;
mod plan;
mod positions;
mod print;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{Population, PopulationSpec, generate};
use siasn_sim::{Faults, MapDataStyle, SiasnSim, SimConfig, SimStats, Window};

use crate::events::random_secret;
use crate::net::loopback;
use crate::world::{local_env, wait_drained};
use check::{check, send_all};
use plan::plan;
pub use positions::PositionSummary;
use positions::{check_positions, plan_positions};
use print::print_report;

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Employees in the simulated ministry.
    #[arg(long, default_value_t = 300)]
    pub employees: usize,
    /// Seed of the population and of the change stream.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// BKN calls per second allowed (BKN_RATE_PER_SEC).
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Keep the store here instead of a temporary file.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Give up waiting for the queue to drain after this long.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// Print progress lines.
    #[arg(long, default_value_t = true)]
    pub progress: bool,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            employees: 300,
            seed: 2026,
            rate: 50.0,
            db: None,
            timeout_secs: 300,
            progress: true,
        }
    }
}

/// Everything the demo measured.
#[derive(Debug, Default)]
pub struct DemoReport {
    pub employees: usize,
    pub events_sent: usize,
    pub responses: BTreeMap<u16, usize>,
    pub rejected_fields: BTreeMap<String, usize>,
    pub statuses: BTreeMap<String, u64>,
    pub sim: SimStats,
    pub records: usize,
    pub drain_seconds: f64,
    pub total_seconds: f64,
    pub rate: f64,
    pub violations: Vec<String>,
    pub failed_examples: Vec<String>,
    pub positions: PositionSummary,
}

pub async fn run(args: DemoArgs) -> ExitCode {
    match execute(&args).await {
        Ok(report) => {
            print_report(&report);
            if report.violations.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("demo could not run: {e}");
            ExitCode::FAILURE
        }
    }
}

fn say(args: &DemoArgs, line: impl AsRef<str>) {
    if args.progress {
        eprintln!("· {}", line.as_ref());
    }
}

/// Runs the demo and returns its report (the command prints it).
pub async fn execute(args: &DemoArgs) -> Result<DemoReport, String> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x00de_0000);
    let (population, strangers) = populations(args);
    let reject = refused_nips(&population, &mut rng);
    let sim = SiasnSim::start(
        SimConfig {
            faults: demo_faults(reject.clone()),
            ..SimConfig::new(population.clone())
        },
        loopback(),
    )
    .await
    .map_err(|e| format!("simulator: {e}"))?;
    say(
        args,
        format!("SIASN simulator on {} with faults on", sim.origin()),
    );

    let (db, temporary) = match &args.db {
        Some(p) => (p.clone(), false),
        None => (temporary_db(), true),
    };
    let secret = random_secret();
    let mut env = local_env(&sim, &secret, args.rate);
    let ehrm = crate::world::start_ehrm(&population, &secret, &mut env).await?;
    // 8 delivery workers: enough to show the rate limit holding across them.
    let settings =
        LocalSettings::from_env(&env, db.clone(), loopback(), 8).map_err(|e| e.to_string())?;
    let runtime = Runtime::start(settings).await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", runtime.addr);
    say(
        args,
        format!("ehrm-sync serving on {base}, store {}", db.display()),
    );

    let (mut phase1, phase2, expects) = plan(&population, &strangers, &reject, &secret, &mut rng);
    let positions = plan_positions(&population, &reject, &secret, &mut rng);
    for (id, bytes) in &positions.documents {
        ehrm.put_document(id, bytes.clone());
    }
    phase1.extend(positions.events);
    let mut report = DemoReport {
        employees: population.employees.len() + strangers.employees.len(),
        rate: args.rate,
        ..DemoReport::default()
    };
    send_phases(args, &base, [&phase1, &phase2], &mut report).await?;
    say(
        args,
        "waiting for the queue to drain (BKN has an outage and a SUSPENDED window meanwhile)…",
    );
    let drain_start = Instant::now();
    let store: Arc<dyn SyncStore> = Arc::new(runtime.store.clone());
    let timeout = Duration::from_secs(args.timeout_secs);
    let drained = wait_drained(store.as_ref(), timeout, Duration::from_millis(500));
    let counts = drained.await.map_err(|e| e.to_string())?.counts;
    report.statuses = counts.iter().map(|(s, n)| (s.to_string(), *n)).collect();
    report.drain_seconds = drain_start.elapsed().as_secs_f64();
    report.sim = sim.stats();
    report.records = expects.len() + positions.expects.len();
    check(&expects, store.as_ref(), &sim, &mut report).await;
    check_positions(&positions.expects, store.as_ref(), &sim, &mut report).await;
    report.total_seconds = started.elapsed().as_secs_f64();

    runtime.shutdown().await;
    sim.shutdown();
    ehrm.shutdown();
    if temporary {
        remove_db(&db);
    }
    Ok(report)
}

/// The ministry, and a few employees eHRM knows but BKN does not.
fn populations(args: &DemoArgs) -> (Population, Population) {
    let population = generate(&PopulationSpec {
        seed: args.seed,
        employees: args.employees,
        ..Default::default()
    });
    let strangers = generate(&PopulationSpec {
        seed: args.seed.wrapping_add(1),
        employees: 3,
        ..Default::default()
    });
    (population, strangers)
}

/// A SQLite file and its write-ahead log.
fn remove_db(db: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// Phase 1 (valid changes, 16 at a time), then phase 2 (repeats and invalid events).
async fn send_phases(
    args: &DemoArgs,
    base: &str,
    [phase1, phase2]: [&[plan::Planned]; 2],
    report: &mut DemoReport,
) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    say(
        args,
        format!(
            "sending {} change events (out of order, 16 at a time)…",
            phase1.len()
        ),
    );
    send_all(&http, base, phase1, report).await;
    say(
        args,
        format!("sending {} repeats and invalid events…", phase2.len()),
    );
    send_all(&http, base, phase2, report).await;
    Ok(())
}

/// About 2 % of the employees, whose saves BKN refuses (as it does for an unknown appraiser).
fn refused_nips(population: &Population, rng: &mut StdRng) -> HashMap<String, String> {
    population
        .employees
        .iter()
        .filter(|_| rng.random_bool(0.02))
        .map(|e| {
            let message =
                "1 error occurred:\n\t* PenilaiNipNrp tidak terdaftar sebagai pejabat penilai";
            (e.nip.clone(), message.to_string())
        })
        .collect()
}

/// BKN misbehaving in every way the demo survives: 5xx, latency, an outage, a SUSPENDED
/// window, 429s, expiring tokens, lost responses, refused employees.
fn demo_faults(reject: HashMap<String, String>) -> Faults {
    Faults {
        error_rate: 0.15,
        latency_ms: (2, 20),
        outages: vec![Window {
            from_ms: 4_000,
            to_ms: 10_000,
        }],
        suspended: vec![Window {
            from_ms: 14_000,
            to_ms: 17_000,
        }],
        rate_429: 0.02,
        retry_after_secs: 1,
        token_expire_after_calls: Some(150),
        lost_response_rate: 0.05,
        reject_nips: reject,
        reject_status: 200,
        map_data: MapDataStyle::Object,
        ..Faults::default()
    }
}

fn temporary_db() -> PathBuf {
    std::env::temp_dir().join(format!(
        "ehrm-sync-demo-{}-{}.db",
        std::process::id(),
        rand::random::<u32>()
    ))
}
