//! `ehrm-sync audit`: who saw, downloaded or changed what, when — the console's audit trail
//! filtered by time, NIP and user, the first question of a breach notice (UU 27/2022 Art. 46;
//! `docs/privacy.md`). Prints one line per entry (tab-separated, Jakarta time), or JSON.

use std::process::ExitCode;

use ehrm_sync_console::audit::{AuditEntry, recent};
use ehrm_sync_core::clock::{format_ms, parse_time};
use ehrm_sync_domain::record::Millis;

use crate::status::{Backend, BackendArgs};

/// The most entries read back (the audit stream is read newest first).
const READ_LIMIT: usize = 200_000;

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    /// From this time (`2026-12-01` or `2026-12-01T08:00:00+07:00`).
    #[arg(long)]
    pub since: Option<String>,
    /// Until this time (a day means its end).
    #[arg(long)]
    pub until: Option<String>,
    /// Only entries naming this NIP (an employee's page, a search, an action on their records).
    #[arg(long)]
    pub nip: Option<String>,
    /// Only this console user.
    #[arg(long)]
    pub user: Option<String>,
    /// One JSON object per line instead of columns.
    #[arg(long)]
    pub json: bool,
}

/// A bound as milliseconds; a bare date ends at its last millisecond when `end`.
fn bound(value: &Option<String>, end: bool, what: &str) -> Result<Option<Millis>, String> {
    let Some(v) = value else { return Ok(None) };
    let at = parse_time(v)
        .ok_or_else(|| format!("--{what} {v:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let day_end = end && v.trim().len() == 10;
    Ok(Some(if day_end { at + 86_400_000 - 1 } else { at }))
}

fn matches(
    args: &AuditArgs,
    at: Millis,
    e: &AuditEntry,
    since: Option<Millis>,
    until: Option<Millis>,
) -> bool {
    since.is_none_or(|s| at >= s)
        && until.is_none_or(|u| at <= u)
        && args.user.as_deref().is_none_or(|u| e.who == u)
        && args
            .nip
            .as_deref()
            .is_none_or(|n| e.what.contains(n) || e.people.iter().any(|p| p == n))
}

pub async fn run(args: AuditArgs) -> ExitCode {
    match audit(&args).await {
        Ok(n) => {
            eprintln!("{n} entries");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn audit(args: &AuditArgs) -> Result<usize, String> {
    let since = bound(&args.since, false, "since")?;
    let until = bound(&args.until, true, "until")?;
    let backend = Backend::open(&args.backend).await?;
    let entries = recent(backend.control.as_ref(), READ_LIMIT)
        .await
        .map_err(|e| format!("the audit trail cannot be read: {e}"))?;
    let mut shown = 0;
    for (at, e) in entries.iter().rev() {
        if !matches(args, *at, e, since, until) {
            continue;
        }
        shown += 1;
        if args.json {
            let line = serde_json::json!({"at": format_ms(*at), "who": e.who, "address": e.address,
                "action": e.action, "what": e.what, "count": e.count, "people": e.people});
            println!("{line}");
        } else {
            let count = e.count.map(|c| c.to_string()).unwrap_or_default();
            println!(
                "{}\t{}\t{}\t{}\t{}\t{count}",
                format_ms(*at),
                e.who,
                e.address,
                e.action,
                e.what
            );
        }
    }
    Ok(shown)
}
