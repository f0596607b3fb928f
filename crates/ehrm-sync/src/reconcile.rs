//! `ehrm-sync reconcile`: a reconciliation run by hand on the embedded store, with a progress
//! line and an ETA; an interrupted run (Ctrl-C, a crash, BKN down) is resumed by running the
//! same command again.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use ehrm_sync_core::config::ProcessEnv;
use ehrm_sync_core::job::Progress;
use ehrm_sync_core::ports::{RunSummary, Scope};
use ehrm_sync_core::reconcile::RunRequest;
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_local::{LocalSettings, Wiring};

use crate::jobs;

#[derive(clap::Args, Debug)]
pub struct ReconcileArgs {
    #[arg(long, default_value = "ehrm-sync.db", env = "EHRM_SYNC_DB")]
    pub db: PathBuf,
    /// Only this employee.
    #[arg(long, conflicts_with_all = ["unit", "priority_only"])]
    pub nip: Option<String>,
    /// Only this unit (eHRM `unor_id`) and the units below it.
    #[arg(long, conflicts_with = "priority_only")]
    pub unit: Option<String>,
    /// Only the promotion list, the retirement list and structural officials.
    #[arg(long)]
    pub priority_only: bool,
    /// Compare and report only: queue no repairs, send no callbacks.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the report goes (default: a `reports/` folder beside the store).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Abandon an unfinished run of another kind and start this one.
    #[arg(long)]
    pub restart: bool,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn scope(args: &ReconcileArgs) -> Result<Scope, String> {
    if let Some(nip) = &args.nip {
        Nip::parse(nip).map_err(|e| format!("--nip: not a valid NIP: {e}"))?;
        return Ok(Scope::Nip(nip.clone()));
    }
    if let Some(unit) = &args.unit {
        return Ok(Scope::Unit(unit.clone()));
    }
    Ok(if args.priority_only {
        Scope::PriorityOnly
    } else {
        Scope::All
    })
}

fn eta(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// Progress on stderr: a line rewritten in place at a terminal, one line per tenth in a log.
fn progress_printer(quiet: bool) -> impl Fn(&Progress) + Send + Sync {
    let first: Mutex<Option<(usize, Instant)>> = Mutex::new(None);
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let last_tenth = std::sync::atomic::AtomicUsize::new(usize::MAX);
    move |p: &Progress| {
        if quiet || p.stage != "employees" {
            return;
        }
        let Ok(mut first) = first.lock() else { return };
        let (done0, t0) = *first.get_or_insert((p.done, Instant::now()));
        let rate = (p.done - done0) as f64 / t0.elapsed().as_secs_f64().max(0.001);
        let left = p.total.saturating_sub(p.done);
        let eta = if rate > 0.0 {
            eta(left as f64 / rate)
        } else {
            "…".into()
        };
        let pct = if p.total == 0 {
            100.0
        } else {
            p.done as f64 * 100.0 / p.total as f64
        };
        let line = format!(
            "reconcile {}/{} employees ({pct:.1}%) · {} BKN calls · ETA {eta}",
            p.done, p.total, p.bkn_calls
        );
        if tty {
            eprint!("\r{line}   ");
        } else {
            let tenth = (pct / 10.0) as usize;
            if last_tenth.swap(tenth, std::sync::atomic::Ordering::Relaxed) != tenth {
                eprintln!("{line}");
            }
        }
    }
}

pub async fn run(args: ReconcileArgs) -> ExitCode {
    let scope = match scope(&args) {
        Ok(s) => s,
        Err(e) => return jobs::bad_input(e),
    };
    let settings = match LocalSettings::for_jobs(&ProcessEnv, args.db.clone()) {
        Ok(s) => s,
        Err(e) => return jobs::bad_input(e),
    };
    let out = args.out.clone().unwrap_or_else(|| {
        args.db
            .parent()
            .map_or_else(|| PathBuf::from("reports"), |p| p.join("reports"))
    });
    let reconcile = match Wiring::new(settings).and_then(|w| w.reconcile(out)) {
        Ok(r) => r,
        Err(e) => return jobs::bad_input(e),
    };
    jobs::stop_on_signal(reconcile.cancel_flag());
    let started = Instant::now();
    let progress = progress_printer(args.quiet);
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let request = RunRequest {
        scope,
        dry_run: args.dry_run,
        restart: args.restart,
    };
    let outcome = reconcile.run(&request, None, &progress).await;
    if !args.quiet && tty {
        eprintln!();
    }
    let secs = started.elapsed().as_secs_f64();
    jobs::finish(outcome, |summary| print_summary(summary, args.json, secs))
}

fn print_summary(s: &RunSummary, as_json: bool, secs: f64) {
    if as_json {
        match serde_json::to_string(s) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("error: the summary cannot be written as JSON: {e}"),
        }
        return;
    }
    println!(
        "Run {} ({}{}): {}",
        s.run_id,
        s.scope,
        if s.dry_run { ", dry run" } else { "" },
        s.status
    );
    let done = s.employees_done;
    println!(
        "  employees       {done} of {} ({} priority)",
        s.employees_total, s.priority_employees
    );
    println!(
        "  BKN calls       {} ({:.2} per employee; this invocation {secs:.0}s)",
        s.bkn_calls,
        s.bkn_calls as f64 / done.max(1) as f64
    );
    if let Some(counts) = &s.counts {
        println!("  discrepancies   {}", s.rows.unwrap_or(0));
        for c in counts {
            println!(
                "    {:<19} {:<16} {:<17} {:>6}",
                c.data_set.as_str(),
                c.kind.as_str(),
                c.priority.as_str(),
                c.count
            );
        }
        println!("  left for people {}", s.left_for_people.unwrap_or(0));
    }
    println!(
        "  repairs queued  {} (delivered by `ehrm-sync serve`)",
        s.repairs_queued
    );
    println!("  sent to eHRM    {}", s.callbacks_sent);
    if s.unreadable > 0 {
        println!("  not readable    {} (see the run summary)", s.unreadable);
    }
    for r in &s.report {
        println!("  report          {r}");
    }
}
