//! `ehrm-sync status`, `redrive` and `replay`: what operators need, on the embedded store or on
//! AWS (`--aws`: `SYNC_TABLE_NAME`, `DELIVERY_QUEUE_URL`, `DEAD_LETTER_QUEUE_URL` and the usual
//! AWS credentials).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use ehrm_sync_core::breaker::{BreakerEvent, BreakerMode};
use ehrm_sync_core::clock::{SystemClock, format_ms};
use ehrm_sync_core::config::ProcessEnv;
use ehrm_sync_core::ports::{
    Clock, ControlStore, DeadLetters, DeliveryQueue, RateGate, ReconcileStore, SyncStore,
};
use ehrm_sync_core::ports::{FindingMarks, PersonalHistory, PnsIdCache, Purge, RunSummary};
use ehrm_sync_core::replay::{ReplayReport, ReplayRequest, replay};
use ehrm_sync_core::sso::SsoDesk;
use ehrm_sync_core::status::{Overview, overview};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::rate::GateState;
use ehrm_sync_domain::sso::{SsoKind, SsoStatus, Standing, duration_words_id};
use ehrm_sync_http::wire::{AttemptView, RecordView, SyncStatusView, overview_json};
use ehrm_sync_local::vault::TokenKey;
use ehrm_sync_sqlite::{QueueOptions, SqliteStore};

/// Where the store and queues are.
#[derive(clap::Args, Debug, Clone)]
pub struct BackendArgs {
    #[arg(long, default_value = "ehrm-sync.db", env = "EHRM_SYNC_DB")]
    pub db: PathBuf,
    /// Work on DynamoDB and SQS instead of the embedded store.
    #[arg(long)]
    pub aws: bool,
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Show one employee's records and every delivery attempt.
    #[arg(long)]
    pub nip: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct RedriveArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    /// At most this many messages.
    #[arg(long, default_value_t = 100_000)]
    pub max: usize,
}

#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    /// `dead` or `failed`.
    #[arg(long)]
    pub status: String,
    /// Records last updated at or after this (RFC 3339 or YYYY-MM-DD, Jakarta); default: 14 days before --until.
    #[arg(long)]
    pub since: Option<String>,
    /// Records last updated at or before this; default: now.
    #[arg(long)]
    pub until: Option<String>,
    /// List what would be replayed, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

pub struct Backend {
    pub store: Arc<dyn SyncStore>,
    pub control: Arc<dyn ControlStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub dead: Arc<dyn DeadLetters>,
    pub reconcile: Arc<dyn ReconcileStore>,
    pub gate: Arc<dyn RateGate>,
    /// The BKN SSO login's status; pasting needs its vault.
    pub sso: Arc<SsoDesk>,
    pub clock: Arc<dyn Clock>,
    /// What has outlived its retention (`ehrm-sync purge`).
    pub purge: Arc<dyn Purge>,
    /// One person's history and its erasure (`ehrm-sync subject-report`, `forget`).
    pub history: Arc<dyn PersonalHistory>,
    pub pns: Arc<dyn PnsIdCache>,
    pub marks: Arc<dyn FindingMarks>,
}

impl Backend {
    /// What a person's report and erasure work on.
    pub fn subject(&self) -> ehrm_sync_core::subject::SubjectDeps {
        ehrm_sync_core::subject::SubjectDeps {
            store: self.store.clone(),
            history: self.history.clone(),
            pns: self.pns.clone(),
            reconcile: self.reconcile.clone(),
            controls: self.control.clone(),
            marks: self.marks.clone(),
            clock: self.clock.clone(),
        }
    }

    #[cfg(feature = "aws")]
    async fn open_aws() -> Result<Backend, String> {
        let sdk = ehrm_sync_aws::sdk::load().await;
        let resources =
            ehrm_sync_aws::wiring::AwsResources::from_env(&ehrm_sync_core::config::ProcessEnv)
                .map_err(|e| e.to_string())?;
        let a = ehrm_sync_aws::wiring::Adapters::new(&sdk, &resources);
        Ok(Backend {
            store: Arc::new(a.store.clone()),
            control: Arc::new(a.store.clone()),
            queue: Arc::new(a.queue.clone()),
            dead: Arc::new(a.queue.clone()),
            reconcile: Arc::new(a.store.clone()),
            gate: Arc::new(a.store.clone()),
            sso: Arc::new(SsoDesk::new(
                Arc::new(a.store.clone()),
                a.sso_vault.clone(),
                a.clock.clone(),
            )),
            clock: a.clock.clone(),
            purge: Arc::new(a.store.clone()),
            history: Arc::new(a.store.clone()),
            pns: Arc::new(a.store.clone()),
            marks: Arc::new(a.store.clone()),
        })
    }

    #[cfg(not(feature = "aws"))]
    async fn open_aws() -> Result<Backend, String> {
        Err("this ehrm-sync was built without AWS support (cargo build --features aws)".into())
    }

    pub async fn open(args: &BackendArgs) -> Result<Backend, String> {
        Self::open_with(args, false).await
    }

    /// As [`Backend::open`]; `create` makes the store when there is none yet (a token may be
    /// set before the first `serve`).
    pub async fn open_with(args: &BackendArgs, create: bool) -> Result<Backend, String> {
        if args.aws {
            return Self::open_aws().await;
        }
        if !create && !args.db.exists() {
            return Err(format!(
                "no store at {} (set --db or EHRM_SYNC_DB, or use --aws)",
                args.db.display()
            ));
        }
        let store = SqliteStore::open(&args.db).map_err(|e| e.to_string())?;
        let queue = store.queue(QueueOptions::default());
        let key = TokenKey::from_env(&ProcessEnv).map_err(|e| e.to_string())?;
        let sso = ehrm_sync_local::sso_desk(&store, key.as_ref(), Arc::new(SystemClock))
            .map_err(|e| e.to_string())?;
        Ok(Backend {
            sso,
            store: Arc::new(store.clone()),
            control: Arc::new(store.clone()),
            purge: Arc::new(store.clone()),
            history: Arc::new(store.clone()),
            pns: Arc::new(store.clone()),
            marks: Arc::new(store.clone()),
            gate: Arc::new(store.clone()),
            reconcile: Arc::new(store),
            queue: Arc::new(queue.clone()),
            dead: Arc::new(queue),
            clock: Arc::new(SystemClock),
        })
    }
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn run(args: StatusArgs) -> ExitCode {
    let backend = match Backend::open(&args.backend).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    finish(match &args.nip {
        Some(nip) => employee(&backend, nip, args.json).await,
        None => show_overview(&backend, args.json).await,
    })
}

async fn show_overview(b: &Backend, as_json: bool) -> Result<(), String> {
    let o = overview(
        b.store.as_ref(),
        b.control.as_ref(),
        b.dead.as_ref(),
        b.reconcile.as_ref(),
        b.gate.as_ref(),
    )
    .await
    .map_err(|e| e.to_string())?;
    if as_json {
        let mut v = overview_json(&o);
        let (status, standing) = b.sso.standing().await.map_err(|e| e.to_string())?;
        v["sso"] = sso_json(&status, standing, b.clock.now_ms());
        println!("{v}");
        return Ok(());
    }
    print_records_and_breaker(&o);
    print_sso(b).await?;
    print_rate(o.bkn_rate.as_ref());
    match &o.last_sweep {
        Some(s) => println!(
            "Last sweep       {} ({} due, {} queued again)",
            format_ms(s.at),
            s.examined,
            s.queued
        ),
        None => println!("Last sweep       never"),
    }
    print_runs(&o.reconciliation_runs);
    Ok(())
}

fn print_records_and_breaker(o: &Overview) {
    println!("Records by status");
    for (s, n) in &o.records {
        println!("  {:<13} {:>8}", s.as_str(), n);
    }
    let or_dash = |t: Option<i64>| t.map_or("-".to_string(), format_ms);
    println!("Oldest pending   {}", or_dash(o.oldest_pending));
    println!("Dead letters     {}", o.dead_letters);
    match &o.breaker {
        Some(b) if b.mode != BreakerMode::Closed => println!(
            "BKN breaker      {} since {}; next probe {}; reason: {}",
            serde_json::to_value(b.mode)
                .unwrap_or_default()
                .as_str()
                .unwrap_or("open"),
            format_ms(b.changed_at),
            or_dash(b.retry_at),
            b.reason.as_deref().unwrap_or("-").replace('\n', " ")
        ),
        _ => println!("BKN breaker      closed (deliveries flow)"),
    }
    for (at, e) in &o.breaker_events {
        let (event, reason) = match e {
            BreakerEvent::Opened { reason, .. } => ("opened", reason.clone().unwrap_or_default()),
            BreakerEvent::Closed { reason, .. } => ("closed", reason.clone()),
        };
        println!(
            "                   {}  {event}  {}",
            format_ms(*at),
            reason.replace('\n', " ")
        );
    }
}

/// The SSO login, in the words of the console (`docs/bkn-sso.md`).
async fn print_sso(b: &Backend) -> Result<(), String> {
    let (status, standing) = b.sso.standing().await.map_err(|e| e.to_string())?;
    let now = b.clock.now_ms();
    let kind = status.kind.map_or("belum masuk", SsoKind::words_id);
    let account = status
        .subject_nip
        .as_deref()
        .map_or(String::new(), |n| format!(", akun {n}"));
    println!("BKN SSO login    {kind}{account}");
    let until = |at: i64| {
        format!(
            "berlaku sampai {}, {} lagi",
            format_ms(at),
            duration_words_id(at - now)
        )
    };
    match standing {
        Standing::Waiting { reason } => {
            println!("                 MENUNGGU TOKEN SSO: {}", reason.words_id());
            if let Some(detail) = status.waiting.as_ref().and_then(|w| w.detail.as_ref()) {
                println!("                 SSO BKN: {}", detail.replace('\n', " "));
            }
        }
        Standing::Ending { ends_at } => {
            println!("                 SEGERA BERAKHIR: {}", until(ends_at))
        }
        Standing::Usable { ends_at: Some(at) } => println!("                 {}", until(at)),
        Standing::Usable { ends_at: None } => {
            println!("                 berlaku, diperbarui otomatis")
        }
        Standing::Unknown => println!("                 belum ada panggilan ke BKN"),
    }
    if let Some(at) = status.apim_expires_at.filter(|at| *at > now) {
        println!("BKN APIM token   {} (diperbarui otomatis)", until(at));
    }
    Ok(())
}

fn sso_json(status: &SsoStatus, standing: Standing, now: i64) -> serde_json::Value {
    let (state, reason) = match standing {
        Standing::Waiting { reason } => ("waiting", Some(reason)),
        Standing::Ending { .. } => ("expiring", None),
        Standing::Usable { .. } => ("usable", None),
        Standing::Unknown => ("unknown", None),
    };
    json!({
        "state": state,
        "reason": reason,
        "kind": status.kind,
        "subject_nip": status.subject_nip,
        "ends_at": status.ends_at().map(format_ms),
        "seconds_left": status.seconds_left(now),
        "access_expires_at": status.access_expires_at.map(format_ms),
        "session_expires_at": status.session_expires_at.map(format_ms),
        "apim_expires_at": status.apim_expires_at.map(format_ms),
    })
}

fn print_rate(gate: Option<&GateState>) {
    let Some(g) = gate else {
        println!("BKN rate         no call made yet");
        return;
    };
    println!(
        "BKN rate         {:.2} calls/s now (ceiling {:.2}, floor {:.2}){}",
        g.rate,
        g.ceiling,
        g.floor,
        g.limit_seen
            .map_or(String::new(), |l| format!("; BKN last throttled at {l:.2}"))
    );
    for c in g.changes.iter().rev().take(5) {
        println!(
            "                   {}  {:.2} -> {:.2}  {}",
            format_ms(c.at),
            c.from,
            c.to,
            if c.why == "429" {
                "BKN answered 429: cut"
            } else {
                "recovered to the ceiling"
            }
        );
    }
}

fn print_runs(runs: &[RunSummary]) {
    if runs.is_empty() {
        println!("Reconciliation   no runs yet");
    }
    let or_dash = |n: Option<usize>| n.map_or("-".to_string(), |n| n.to_string());
    for (i, r) in runs.iter().enumerate() {
        println!(
            "{}{}  {:<14} {:<9} {}/{} employees  {} BKN calls  {} discrepancies ({} for people){}",
            if i == 0 {
                "Reconciliation   "
            } else {
                "                 "
            },
            r.started_at_text,
            r.scope,
            r.status,
            r.employees_done,
            r.employees_total,
            r.bkn_calls,
            or_dash(r.rows),
            or_dash(r.left_for_people),
            r.pause_reason
                .as_deref()
                .map(|p| format!("; paused: {p}"))
                .unwrap_or_default(),
        );
    }
}

async fn employee(b: &Backend, nip: &str, as_json: bool) -> Result<(), String> {
    let nip = Nip::parse(nip).map_err(|e| format!("not a valid NIP: {e}"))?;
    let records = b
        .store
        .records_for_nip(&nip)
        .await
        .map_err(|e| e.to_string())?;
    let mut views = Vec::new();
    for rec in &records {
        let mut v = RecordView::of(rec);
        let attempts = b
            .store
            .attempts(&rec.key)
            .await
            .map_err(|e| e.to_string())?;
        v.attempt_history = Some(attempts.iter().map(AttemptView::of).collect());
        views.push(v);
    }
    if as_json {
        let view = SyncStatusView {
            nip: nip.as_str().to_string(),
            records: views,
        };
        println!(
            "{}",
            serde_json::to_string(&view).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    if views.is_empty() {
        println!("No records for {nip}.");
    }
    for v in &views {
        print_record(v);
    }
    Ok(())
}

pub async fn redrive(args: RedriveArgs) -> ExitCode {
    let backend = match Backend::open(&args.backend).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    finish(
        async {
            let before = backend.dead.depth().await.map_err(|e| e.to_string())?;
            let moved = backend
                .dead
                .redrive(args.max)
                .await
                .map_err(|e| e.to_string())?;
            println!("{moved} of {before} dead-letter message(s) moved back to the delivery queue");
            Ok(())
        }
        .await,
    )
}

pub async fn replay_cmd(args: ReplayArgs) -> ExitCode {
    let backend = match Backend::open(&args.backend).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let request = match ReplayRequest::parse(
        &args.status,
        args.since.as_deref(),
        args.until.as_deref(),
        args.dry_run,
        backend.clock.now_ms(),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let bar = indicatif::ProgressBar::hidden();
    let progress = |done: usize, total: usize| {
        if bar.is_hidden() && total > 50 && !args.json {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let result = replay(
        &backend.store,
        &backend.queue,
        &backend.clock,
        &request,
        &progress,
    )
    .await;
    bar.finish_and_clear();
    finish(match result {
        Err(e) => Err(e.to_string()),
        Ok(report) => {
            print_replay(&args, &request, &report);
            Ok(())
        }
    })
}

fn print_replay(args: &ReplayArgs, request: &ReplayRequest, report: &ReplayReport) {
    if args.json {
        let listed: Vec<RecordView> = report.matched.iter().map(RecordView::of).collect();
        println!(
            "{}",
            json!({"dry_run": args.dry_run, "matched": listed, "replayed": report.replayed, "skipped": report.skipped})
        );
        return;
    }
    let verb = if args.dry_run {
        "would replay"
    } else {
        "matched"
    };
    println!(
        "{} {} record(s) {verb} (last updated {} – {}):",
        report.matched.len(),
        request.status.as_str(),
        format_ms(request.since),
        format_ms(request.until)
    );
    for r in &report.matched {
        println!(
            "  {}  v{}  {}  {}",
            r.key,
            r.received_version,
            format_ms(r.updated_at),
            r.last_error.as_deref().unwrap_or("").replace('\n', " ")
        );
    }
    if !args.dry_run {
        println!(
            "{} replayed and queued, {} changed meanwhile and left alone",
            report.replayed, report.skipped
        );
    }
}

fn print_record(v: &RecordView) {
    println!(
        "{}  status={}  received=v{}  delivered={}  bkn_id={}  attempts={}",
        v.key,
        v.record.status,
        v.record.received_version,
        v.record
            .delivered_version
            .map_or("-".into(), |d| format!("v{d}")),
        v.record.bkn_id.as_deref().unwrap_or("-"),
        v.attempts,
    );
    if let Some(err) = &v.record.last_error {
        println!("    last error: {}", err.replace('\n', " "));
    }
    for a in v.attempt_history.iter().flatten() {
        println!(
            "    {}  v{}  {:<22} {:<12} {}  {}",
            a.at,
            a.version,
            a.operation,
            a.outcome.as_str(),
            a.http_status.map_or("-".into(), |s| s.to_string()),
            a.message.as_deref().unwrap_or("").replace('\n', " "),
        );
    }
}
