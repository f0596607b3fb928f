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
    Demo(ehrm_sync_devkit::demo::DemoArgs),
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
    /// Promotion (KP) and retirement (pensiun) readiness: what at BKN would block each person's
    /// promotion in the coming monthly periods or their pension, who must act and by when;
    /// missing annual SKPs eHRM holds are sent to BKN.
    Readiness(crate::readiness::ReadinessArgs),
    /// Run the BKN SIASN and eHRM simulators (same population; discrepancies injectable).
    Sim(ehrm_sync_devkit::sim::SimArgs),
    /// Make a console user's line (`name:role:argon2id-hash`) for CONSOLE_USERS_FILE: reads the
    /// password from standard input (at least 12 characters), prints the line.
    ConsoleUser {
        name: String,
        #[arg(long, value_parser = ["viewer", "operator"], default_value = "viewer")]
        role: String,
    },
    /// The BKN SSO token: keep one read from standard input, ask for the password login
    /// again, or make a BKN_TOKEN_KEY.
    #[command(subcommand)]
    BknToken(crate::bkn_token::BknTokenCommand),
    /// Who saw, downloaded or changed what, when: the console's audit trail by time, NIP and
    /// user (the first question of a breach notice, docs/privacy.md).
    Audit(crate::audit::AuditArgs),
    /// Remove what has outlived its retention (RETAIN_*_DAYS, docs/privacy.md), printing
    /// what went per class; --dry-run only counts.
    Purge(crate::purge::PurgeArgs),
    /// What ehrm-sync holds about one person and what it did with it (UU 27/2022 Art. 32), as
    /// data-pribadi-NIP.xlsx and .json.
    SubjectReport(crate::subject::SubjectArgs),
    /// Erase one person's data, keeping only what prevents a resend (record keys, versions, BKN
    /// ids); refused while their records are on their way or an open run covers them.
    Forget(crate::subject::SubjectArgs),
    /// Print the OpenAPI 3.1 document of the public HTTP contract (as `GET /v1/openapi.json`).
    Openapi,
    /// Load commands behind the figures in the README.
    #[command(subcommand)]
    Bench(ehrm_sync_devkit::bench::BenchCommand),
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
            | Some(Command::Readiness(_))
            | Some(Command::Openapi)
            | Some(Command::ConsoleUser { .. })
            | Some(Command::BknToken(_))
            | Some(Command::Audit(_))
            | Some(Command::Purge(_))
            | Some(Command::SubjectReport(_))
            | Some(Command::Forget(_))
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
            None => ehrm_sync_devkit::demo::run(ehrm_sync_devkit::demo::DemoArgs::default()).await,
            Some(Command::Demo(args)) => ehrm_sync_devkit::demo::run(args).await,
            Some(Command::Serve {
                listen,
                db,
                workers,
            }) => serve(listen, db, workers).await,
            Some(Command::Status(args)) => crate::status::run(args).await,
            Some(Command::Redrive(args)) => crate::status::redrive(args).await,
            Some(Command::Replay(args)) => crate::status::replay_cmd(args).await,
            Some(Command::Reconcile(args)) => crate::reconcile::run(args).await,
            Some(Command::BknToken(command)) => crate::bkn_token::run(command).await,
            Some(Command::Audit(args)) => crate::audit::run(args).await,
            Some(Command::Purge(args)) => crate::purge::run(args).await,
            Some(Command::SubjectReport(args)) => crate::subject::run_report(args).await,
            Some(Command::Forget(args)) => crate::subject::run_forget(args).await,
            Some(Command::Readiness(args)) => crate::readiness::run(args).await,
            Some(Command::Sim(args)) => ehrm_sync_devkit::sim::run(args).await,
            Some(Command::Openapi) => {
                print!("{}", ehrm_sync_http::openapi::document_json());
                ExitCode::SUCCESS
            }
            Some(Command::Bench(cmd)) => ehrm_sync_devkit::bench::run(cmd).await,
            Some(Command::ConsoleUser { name, role }) => console_user(&name, &role),
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
    ehrm_sync_local::wait_for_signal().await;
    tracing::info!("shutting down");
    runtime.shutdown().await;
    ExitCode::SUCCESS
}

fn console_user(name: &str, role: &str) -> ExitCode {
    let role = match ehrm_sync_console::Role::parse(role) {
        Some(r) => r,
        None => {
            eprintln!("error: the role must be viewer or operator");
            return ExitCode::from(2);
        }
    };
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        eprintln!("error: cannot read the password from standard input: {e}");
        return ExitCode::from(2);
    }
    let password = password.trim_end_matches(['\r', '\n']);
    match ehrm_sync_console::user_line(name, role, password) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
