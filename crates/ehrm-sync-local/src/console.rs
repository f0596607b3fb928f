//! The console on the local server: its dependencies on the SQLite adapters, the client's
//! address from the socket, and reconciliation started as a task of this process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;

use ehrm_sync_console::{ClientAddr, Console, ConsoleDeps, ConsoleSettings};
use ehrm_sync_core::job::{JobError, Progress};
use ehrm_sync_core::ports::{
    Clock, LaunchError, LaunchRequest, Launched, Launcher, SsoVault, VaultError, Workbooks,
};
use ehrm_sync_core::readiness::{Readiness, ReadinessOutcome, ReadinessRequest};
use ehrm_sync_core::reconcile::{Reconciler, RunOutcome, RunRequest};
use ehrm_sync_core::sso::SsoDesk;
use ehrm_sync_sqlite::{SqliteQueue, SqliteStore};

use crate::Wiring;

/// How long the console waits for a started run to fail fast (another run open, eHRM
/// unreachable) before answering "running in the background".
const FIRST_ANSWER: Duration = Duration::from_secs(2);

/// The console's router, or `None` when no user is configured (the console is off).
pub fn router(wiring: &Wiring) -> Option<Router> {
    if wiring.settings.console_users.is_empty() {
        return None;
    }
    let reports = crate::reports::folder_beside(&wiring.settings.db_path);
    let readiness = wiring
        .readiness(reports.clone())
        .map(Arc::new)
        .map_err(|e| format!("the readiness check cannot run here: {e}"));
    let launcher: Option<Arc<dyn Launcher>> = match wiring.reconcile(reports) {
        Ok(r) => Some(Arc::new(LocalLauncher {
            reconciler: Arc::new(r),
            readiness,
        })),
        Err(e) => {
            tracing::info!(reason = %e, "the console cannot start reconciliation here");
            None
        }
    };
    let deps = console_deps(
        &wiring.store,
        &wiring.queue,
        launcher,
        Arc::new(ehrm_sync_sheets::Xlsx),
        wiring.bkn.sso.clone(),
        wiring.clock.clone(),
    );
    let settings = ConsoleSettings {
        secure_cookies: !wiring.settings.listen.ip().is_loopback(),
        bkn_rate_per_sec: wiring.settings.bkn.rate_per_sec,
    };
    let console = Console::new(deps, wiring.settings.console_users.clone(), settings);
    Some(
        ehrm_sync_console::router(Arc::new(console)).layer(axum::middleware::from_fn(peer_address)),
    )
}

/// The console's ports on one SQLite store and its queue.
pub fn console_deps(
    store: &SqliteStore,
    queue: &SqliteQueue,
    launcher: Option<Arc<dyn Launcher>>,
    workbooks: Arc<dyn Workbooks>,
    sso: Arc<SsoDesk>,
    clock: Arc<dyn Clock>,
) -> ConsoleDeps {
    let shared = Arc::new(store.clone());
    ConsoleDeps {
        store: shared.clone(),
        controls: shared.clone(),
        dead_letters: Arc::new(queue.clone()),
        reconcile: shared.clone(),
        marks: shared.clone(),
        history: shared.clone(),
        pns: shared.clone(),
        gate: shared.clone(),
        series: shared,
        queue: Arc::new(queue.clone()),
        launcher,
        workbooks,
        sso,
        clock,
    }
}

/// The SSO desk over one SQLite store, its tokens sealed with `key` (none: nothing can be
/// pasted).
pub fn sso_desk(
    store: &SqliteStore,
    key: Option<&crate::vault::TokenKey>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<SsoDesk>, VaultError> {
    let shared = Arc::new(store.clone());
    let vault: Option<Arc<dyn SsoVault>> = match key {
        Some(k) => Some(Arc::new(crate::vault::SealedVault::new(shared.clone(), k)?)),
        None => None,
    };
    Ok(Arc::new(SsoDesk::new(shared, vault, clock)))
}

/// The socket's peer as the console's client address (throttling counts per address).
async fn peer_address(mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    if let Some(ip) = peer {
        request.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(request).await
}

struct LocalLauncher {
    reconciler: Arc<Reconciler>,
    /// Why the readiness check cannot run here, when it cannot (the page shows it).
    readiness: Result<Arc<Readiness>, String>,
}

#[async_trait]
impl Launcher for LocalLauncher {
    async fn reconcile(&self, request: LaunchRequest) -> Result<Launched, LaunchError> {
        let reconciler = self.reconciler.clone();
        in_background("reconciliation", move || async move {
            run_reconciliation(reconciler, request)
                .await
                .map(launched_run)
                .map_err(launch_error)
        })
        .await
    }

    async fn readiness(&self, restart: bool) -> Result<Launched, LaunchError> {
        let readiness = self.readiness.clone().map_err(LaunchError::Unavailable)?;
        in_background("readiness check", move || async move {
            let outcome = if restart {
                let request = ReadinessRequest {
                    restart: true,
                    ..ReadinessRequest::default()
                };
                readiness.run(&request, None, &quiet).await
            } else {
                readiness.scheduled(None).await
            };
            outcome.map(launched_readiness).map_err(launch_error)
        })
        .await
    }
}

/// Runs `work` on a thread of its own with its own runtime — the reconciler's and the readiness
/// check's futures borrow in a way the compiler cannot prove `Send` for `tokio::spawn`, and a
/// long run should not take a worker thread of the server anyway — and answers with its
/// outcome if it ends within the first moments, else "in the background" (the end is logged).
async fn in_background<F, Fut>(what: &'static str, work: F) -> Result<Launched, LaunchError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Launched, LaunchError>>,
{
    let (tx, mut task) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("console-{}", what.replace(' ', "-")))
        .spawn(move || {
            let outcome = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| LaunchError::Unavailable(e.to_string()))
                .and_then(|rt| rt.block_on(work()));
            let _ = tx.send(outcome);
        })
        .map_err(|e| LaunchError::Unavailable(format!("no thread for the {what}: {e}")))?;
    match tokio::time::timeout(FIRST_ANSWER, &mut task).await {
        Err(_) => {
            tokio::spawn(async move {
                match task.await {
                    Ok(Err(e)) => tracing::warn!(error = %e, what, "console launch stopped"),
                    Ok(Ok(outcome)) => tracing::info!(?outcome, what, "console launch ended"),
                    Err(e) => tracing::error!(error = %e, what, "console launch failed"),
                }
            });
            Ok(Launched::InBackground)
        }
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Err(LaunchError::Unavailable(format!(
            "the {what} ended without an answer"
        ))),
    }
}

async fn run_reconciliation(
    reconciler: Arc<Reconciler>,
    request: LaunchRequest,
) -> Result<RunOutcome, JobError> {
    let (scope, restart) = match request {
        LaunchRequest::Resume => return reconciler.scheduled(None, &quiet).await,
        LaunchRequest::Start(scope) => (scope, false),
        LaunchRequest::Restart(scope) => (scope, true),
    };
    let run = RunRequest {
        scope,
        dry_run: false,
        restart,
    };
    reconciler.run(&run, None, &quiet).await
}

fn quiet(_: &Progress) {}

fn launch_error(e: JobError) -> LaunchError {
    match e {
        JobError::OtherRunOpen { run_id, scope } => LaunchError::OtherRunOpen { run_id, scope },
        other => LaunchError::Unavailable(other.to_string()),
    }
}

fn launched_run(outcome: RunOutcome) -> Launched {
    match outcome {
        RunOutcome::Finished(s) => Launched::Finished {
            run_id: s.run_id,
            findings: s.rows.unwrap_or(0),
        },
        RunOutcome::Paused { run, halt } => Launched::Paused {
            run_id: run.run_id,
            reason: halt.to_string(),
        },
        RunOutcome::Busy { run_id } => Launched::Busy { run_id },
        RunOutcome::Idle => Launched::Idle,
    }
}

fn launched_readiness(outcome: ReadinessOutcome) -> Launched {
    match outcome {
        ReadinessOutcome::Idle => Launched::Idle,
        ReadinessOutcome::Finished(run) => Launched::Finished {
            run_id: run.life.run_id,
            findings: run.findings,
        },
        ReadinessOutcome::Paused { run, halt } => Launched::Paused {
            run_id: run.life.run_id,
            reason: halt.to_string(),
        },
        ReadinessOutcome::Busy { run_id } => Launched::Busy { run_id },
    }
}
