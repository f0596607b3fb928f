//! `ehrm-sync purge [--dry-run]`: removes what has outlived its retention (`RETAIN_<CLASS>_DAYS`,
//! `docs/privacy.md`) and prints, per class, what went (or, dry, would go). `serve` runs the
//! same purge every 6 hours; on AWS the TTL of each item does most of it and the scheduled
//! function the rest.

use std::process::ExitCode;

use ehrm_sync_core::config::ProcessEnv;
use ehrm_sync_core::ports::Purged;
use ehrm_sync_core::retention::{PurgeReport, Retention, purge_all, variable};

use crate::status::{Backend, BackendArgs};

#[derive(clap::Args, Debug)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Count what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: PurgeArgs) -> ExitCode {
    match purge(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn purge(args: &PurgeArgs) -> Result<(), String> {
    let retention = Retention::from_env(&ProcessEnv).map_err(|e| e.to_string())?;
    let backend = Backend::open(&args.backend).await?;
    let now = backend.clock.now_ms();
    let report = purge_all(
        backend.purge.as_ref(),
        backend.control.as_ref(),
        &retention,
        now,
        args.dry_run,
    )
    .await
    .map_err(|e| format!("the purge stopped: {e}"))?;
    // Report folders beside the store hold findings: they follow the runs' retention (on AWS
    // the reports bucket's lifecycle rule does).
    let folders = if args.backend.aws {
        None
    } else {
        let dir = ehrm_sync_local::reports::folder_beside(&args.backend.db);
        let before = retention.cutoff(ehrm_sync_core::ports::DataClass::Runs, now);
        Some(
            ehrm_sync_local::reports::purge_folder(&dir, before, args.dry_run)
                .map_err(|e| format!("{}: {e}", dir.display()))?,
        )
    };
    if args.json {
        let mut out = json(&report);
        out["report_folders"] = folders.into();
        println!("{out}");
    } else {
        print!("{}", text(&report));
        if let Some(n) = folders {
            let verb = if args.dry_run {
                "would remove"
            } else {
                "removed"
            };
            println!(
                "{:<12} report folders of runs past retention: {verb} {n}",
                "reports"
            );
        }
    }
    Ok(())
}

fn count(p: Purged) -> serde_json::Value {
    match p {
        Purged::Removed(n) => n.into(),
        Purged::ExpiresByItself => "ttl".into(),
    }
}

fn json(report: &PurgeReport) -> serde_json::Value {
    let classes: Vec<_> = report
        .classes
        .iter()
        .map(|(class, days, purged)| {
            serde_json::json!({
                "class": class.as_str(),
                "variable": variable(*class),
                "retention_days": days,
                "removed": count(*purged),
            })
        })
        .collect();
    serde_json::json!({
        "dry_run": report.dry_run,
        "classes": classes,
        "readiness_runs": report.readiness_runs,
        "readiness_pieces": count(report.readiness_pieces),
        "total": report.removed(),
    })
}

fn text(report: &PurgeReport) -> String {
    let verb = if report.dry_run {
        "would remove"
    } else {
        "removed"
    };
    let mut out = String::new();
    let shown = |p: Purged| match p {
        Purged::Removed(n) => format!("{verb} {n}"),
        Purged::ExpiresByItself => "expire by themselves (DynamoDB TTL)".into(),
    };
    for (class, days, purged) in &report.classes {
        out.push_str(&format!(
            "{:<12} kept {days:>5} days ({}): {}\n",
            class.as_str(),
            variable(*class),
            shown(*purged)
        ));
    }
    out.push_str(&format!(
        "{:<12} finished readiness runs past retention: {}; their documents: {}\n",
        "readiness",
        report.readiness_runs.len(),
        shown(report.readiness_pieces)
    ));
    out.push_str(&format!(
        "{} {} items in all{}\n",
        if report.dry_run {
            "Would remove"
        } else {
            "Removed"
        },
        report.removed(),
        if report.dry_run {
            " (dry run: nothing was removed)"
        } else {
            ""
        }
    ));
    out
}
