//! Command-line parsing and dispatch.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use ehrm_sync_core::config::ProcessEnv;
use ehrm_sync_local::{LocalSettings, Runtime};

use crate::logging::{self, LogFormat};

#[derive(Parser, Debug)]
#[command(
    name = "ehrm-sync",
    version,
    about = "Keeps eHRM and BKN SIASN in step (performance records first)."
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "json")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the eHRM webhook and the status API, and deliver to BKN (configured by environment).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "EHRM_SYNC_LISTEN")]
        listen: SocketAddr,
        #[arg(long, default_value = "ehrm-sync.db", env = "EHRM_SYNC_DB")]
        db: PathBuf,
        /// Delivery workers (the BKN rate limit holds across all of them; 0 for an ingest-only node).
        #[arg(long, default_value_t = 4, env = "DELIVERY_WORKERS")]
        workers: usize,
    },
    /// Run the whole push path against a simulated BKN with faults on, then check the invariants.
    Demo(crate::demo::DemoArgs),
    /// Show what the store holds: counts by status, dead letters, breaker, last sweep, or one
    /// employee's records with every attempt.
    Status(crate::status::StatusArgs),
    /// Move dead-letter messages back to the delivery queue.
    Redrive(crate::status::RedriveArgs),
    /// Give dead or failed records another go, by status and time window (at most 14 days).
    Replay(crate::status::ReplayArgs),
    /// Compare eHRM with BKN (employees, positions, structural officials, units, performance
    /// records), repair what can be repaired, and write the report.
    Reconcile(crate::reconcile::ReconcileArgs),
    /// Run the BKN SIASN and eHRM simulators (same population; discrepancies injectable).
    Sim(SimArgs),
    /// Load commands behind the figures in the README.
    #[command(subcommand)]
    Bench(crate::bench::BenchCommand),
}

#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// The SIASN simulator's address.
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub listen: SocketAddr,
    /// The eHRM simulator's address.
    #[arg(long, default_value = "127.0.0.1:9091")]
    pub ehrm_listen: SocketAddr,
    /// Inject this many discrepancies of every kind (eHRM and SIASN then differ); the expected
    /// rows are written to --expected.
    #[arg(long, default_value_t = 0)]
    pub inject: usize,
    /// Only these kinds (repeat the flag), e.g. `pegawai_bkn_field`, `kinerja_differs`,
    /// `unor_missing_in_ehrm`; default: every kind.
    #[arg(long)]
    pub inject_kind: Vec<ehrm_sync_population::inject::InjectKind>,
    /// Where to write the injected discrepancies (JSON).
    #[arg(long, default_value = "expected-discrepancies.json")]
    pub expected: PathBuf,
    #[arg(long, default_value_t = 300)]
    pub employees: usize,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Load the population from a JSON file instead of generating it.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// Start with these faults (JSON, as `PUT /_sim/faults` takes).
    #[arg(long)]
    pub faults: Option<PathBuf>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = matches!(
        cli.command,
        None | Some(Command::Demo(_))
            | Some(Command::Bench(_))
            | Some(Command::Status(_))
            | Some(Command::Replay(_))
            | Some(Command::Redrive(_))
            | Some(Command::Reconcile(_))
    );
    logging::init(cli.log_format, if quiet { "warn" } else { "info" });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            None => crate::demo::run(crate::demo::DemoArgs::default()).await,
            Some(Command::Demo(args)) => crate::demo::run(args).await,
            Some(Command::Serve {
                listen,
                db,
                workers,
            }) => serve(listen, db, workers).await,
            Some(Command::Status(args)) => crate::status::run(args).await,
            Some(Command::Redrive(args)) => crate::status::redrive(args).await,
            Some(Command::Replay(args)) => crate::status::replay_cmd(args).await,
            Some(Command::Reconcile(args)) => crate::reconcile::run(args).await,
            Some(Command::Sim(args)) => crate::simcmd::run(args).await,
            Some(Command::Bench(cmd)) => crate::bench::run(cmd).await,
        }
    })
}

async fn serve(listen: SocketAddr, db: PathBuf, workers: usize) -> ExitCode {
    let settings = match LocalSettings::from_env(&ProcessEnv, db, listen, workers) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match Runtime::start(settings).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "ehrm-sync listening on http://{} (Ctrl-C stops)",
        runtime.addr
    );
    wait_for_signal().await;
    tracing::info!("shutting down");
    runtime.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
