//! `ehrm-sync status`: counts by status and queue depth, or one employee's records with their
//! attempt history.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use ehrm_sync_core::clock::format_ms;
use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_core::status::{attempt_view, record_view};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_sqlite::{QueueOptions, SqliteStore};

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    #[arg(long, default_value = "ehrm-sync.db", env = "EHRM_SYNC_DB")]
    pub db: PathBuf,
    /// Show one employee's records and every delivery attempt.
    #[arg(long)]
    pub nip: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: StatusArgs) -> ExitCode {
    if !args.db.exists() {
        eprintln!(
            "error: no store at {} (set --db or EHRM_SYNC_DB)",
            args.db.display()
        );
        return ExitCode::from(2);
    }
    let store = match SqliteStore::open(&args.db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match &args.nip {
        Some(nip) => employee(&store, nip, args.json).await,
        None => overview(&store, args.json).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn overview(store: &SqliteStore, as_json: bool) -> Result<(), String> {
    let counts = store.count_by_status().await.map_err(|e| e.to_string())?;
    let queue = store
        .queue(QueueOptions::default())
        .stats()
        .await
        .map_err(|e| e.to_string())?;
    let oldest_pending = store
        .records_by_status(SyncStatus::Pending, i64::MIN, i64::MAX, 1)
        .await
        .map_err(|e| e.to_string())?
        .first()
        .map(|r| format_ms(r.updated_at));
    let count_of = |s: SyncStatus| {
        counts
            .iter()
            .find(|(st, _)| *st == s)
            .map_or(0, |(_, n)| *n)
    };
    if as_json {
        let by_status: serde_json::Map<String, serde_json::Value> = SyncStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), json!(count_of(*s))))
            .collect();
        println!(
            "{}",
            json!({"records": by_status, "oldest_pending": oldest_pending,
                   "queue": {"visible": queue.visible, "in_flight": queue.in_flight, "dead_letters": queue.dead}})
        );
        return Ok(());
    }
    println!("Records by status");
    for s in SyncStatus::ALL {
        println!("  {:<13} {:>8}", s.as_str(), count_of(s));
    }
    println!(
        "Oldest pending   {}",
        oldest_pending.as_deref().unwrap_or("-")
    );
    println!(
        "Queue            {} waiting, {} in flight, {} dead letters",
        queue.visible, queue.in_flight, queue.dead
    );
    Ok(())
}

async fn employee(store: &SqliteStore, nip: &str, as_json: bool) -> Result<(), String> {
    let nip = Nip::parse(nip).map_err(|e| format!("not a valid NIP: {e}"))?;
    let records = store
        .records_for_nip(&nip)
        .await
        .map_err(|e| e.to_string())?;
    let mut views = Vec::new();
    for rec in &records {
        let mut v = record_view(rec);
        let attempts = store.attempts(&rec.key).await.map_err(|e| e.to_string())?;
        v["attempt_history"] = attempts.iter().map(attempt_view).collect();
        views.push(v);
    }
    if as_json {
        println!("{}", json!({"nip": nip.as_str(), "records": views}));
        return Ok(());
    }
    if views.is_empty() {
        println!("No records for {nip}.");
    }
    for v in &views {
        println!(
            "{}  status={}  received=v{}  delivered={}  bkn_id={}  attempts={}",
            v["key"].as_str().unwrap_or(""),
            v["status"].as_str().unwrap_or(""),
            v["received_version"],
            v["delivered_version"]
                .as_u64()
                .map_or("-".into(), |d| format!("v{d}")),
            v["bkn_id"].as_str().unwrap_or("-"),
            v["attempts"],
        );
        if let Some(err) = v["last_error"].as_str() {
            println!("    last error: {}", err.replace('\n', " "));
        }
        for a in v["attempt_history"].as_array().into_iter().flatten() {
            println!(
                "    {}  v{}  {:<22} {:<12} {}  {}",
                a["at"].as_str().unwrap_or(""),
                a["version"],
                a["operation"].as_str().unwrap_or(""),
                a["outcome"].as_str().unwrap_or(""),
                a["http_status"]
                    .as_u64()
                    .map_or("-".into(), |s| s.to_string()),
                a["message"].as_str().unwrap_or("").replace('\n', " "),
            );
        }
    }
    Ok(())
}
