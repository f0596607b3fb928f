//! `ehrm-sync readiness`: the promotion (KP) and retirement (pensiun) readiness check by hand
//! on the embedded store. An interrupted run is resumed by running the command again.

use std::path::PathBuf;
use std::process::ExitCode;

use ehrm_sync_core::config::ProcessEnv;
use ehrm_sync_core::job::Progress;
use ehrm_sync_core::readiness::{ReadinessRequest, ReadinessRun};
use ehrm_sync_domain::dates::calendar_date;
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::readiness::rules::rule;
use ehrm_sync_local::{LocalSettings, Wiring};

use crate::jobs;

#[derive(clap::Args, Debug)]
pub struct ReadinessArgs {
    #[arg(long, default_value = "ehrm-sync.db", env = "EHRM_SYNC_DB")]
    pub db: PathBuf,
    /// One promotion period (`YYYY-MM`, the 1st of that month) and the retirements in it.
    #[arg(long, conflicts_with = "horizon_months")]
    pub period: Option<String>,
    /// Monthly promotion periods from the coming one (default READINESS_HORIZON_MONTHS, 6).
    #[arg(long)]
    pub horizon_months: Option<u32>,
    /// Only this unit (eHRM `unor_id`) and the units below it.
    #[arg(long, conflicts_with = "nip")]
    pub unit: Option<String>,
    /// Only this employee.
    #[arg(long)]
    pub nip: Option<String>,
    /// Where `readiness.json`, `.csv` and `.xlsx` go (default: a `reports/` folder beside the
    /// store).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Abandon an unfinished run and start this one.
    #[arg(long)]
    pub restart: bool,
    /// Report only: send no SKP to BKN.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress lines.
    #[arg(long)]
    pub quiet: bool,
    /// Print the run as JSON.
    #[arg(long)]
    pub json: bool,
}

fn request(args: &ReadinessArgs) -> Result<ReadinessRequest, String> {
    let period = match &args.period {
        Some(p) => {
            let (y, m) = p
                .trim()
                .split_once('-')
                .ok_or("--period: expected YYYY-MM")?;
            let date = y
                .parse()
                .ok()
                .zip(m.parse().ok())
                .and_then(|(y, m)| calendar_date(y, m, 1));
            Some(date.ok_or_else(|| format!("--period: {p:?} is not a month (YYYY-MM)"))?)
        }
        None => None,
    };
    if let Some(h) = args.horizon_months
        && !(1..=24).contains(&h)
    {
        return Err("--horizon-months: 1 to 24".into());
    }
    if let Some(nip) = &args.nip {
        Nip::parse(nip).map_err(|e| format!("--nip: not a valid NIP: {e}"))?;
    }
    Ok(ReadinessRequest {
        period,
        horizon_months: args.horizon_months,
        unit: args.unit.clone(),
        nip: args.nip.clone(),
        restart: args.restart,
        dry_run: args.dry_run,
    })
}

pub async fn run(args: ReadinessArgs) -> ExitCode {
    let request = match request(&args) {
        Ok(r) => r,
        Err(e) => return jobs::bad_input(e),
    };
    let out = args.out.clone().unwrap_or_else(|| {
        args.db
            .parent()
            .map_or_else(|| PathBuf::from("reports"), |p| p.join("reports"))
    });
    let readiness = match LocalSettings::for_jobs(&ProcessEnv, args.db.clone())
        .map_err(|e| e.to_string())
        .and_then(|s| Wiring::new(s).map_err(|e| e.to_string()))
        .and_then(|w| w.readiness(out).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => return jobs::bad_input(e),
    };
    jobs::stop_on_signal(readiness.cancel_flag());
    let quiet = args.quiet;
    let progress = move |p: &Progress| {
        if !quiet && p.stage == "people" {
            eprintln!(
                "readiness {}/{} people · {} BKN calls",
                p.done, p.total, p.bkn_calls
            );
        }
    };
    let outcome = readiness.run(&request, None, &progress).await;
    jobs::finish(outcome, |run| print_run(run, args.json))
}

fn print_run(r: &ReadinessRun, as_json: bool) {
    if as_json {
        match serde_json::to_string(r) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("error: the run cannot be written as JSON: {e}"),
        }
        return;
    }
    println!(
        "Readiness run {} ({}): {}",
        r.run_id(),
        r.scope,
        r.life.status
    );
    println!("  people          {} of {}", r.done, r.people);
    println!(
        "  BKN calls       {} ({} for the proposal lists, {:.2} per person)",
        r.life.bkn_calls,
        r.list_calls,
        r.calls_per_person()
    );
    println!("  SKP sent to BKN {}", r.queued_for_bkn);
    println!("  findings        {}", r.findings);
    for c in &r.counts {
        println!(
            "    {:<4} {:<5} {:>5}  {}",
            c.rule.as_str(),
            c.severity.as_str(),
            c.count,
            rule(c.rule).title_id
        );
    }
    for f in &r.report {
        println!("  report          {f}");
    }
}
