//! Starting a long run from the console: reconciliation and the readiness check, in the
//! background (a task of `serve` on one machine; an asynchronous invocation of the scheduled
//! function on AWS). The console asks; an entry point's adapter starts.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::runs::Scope;

/// How a reconciliation is started from the console (also the scheduled function's event field
/// on AWS: `{"mode": "start", "scope": "all"}`, `{"mode": "resume"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "scope", rename_all = "snake_case")]
pub enum LaunchRequest {
    /// Resume the open run of this scope, or start one.
    Start(Scope),
    /// Abandon the open run and start this one.
    Restart(Scope),
    /// Continue the open run, whatever its scope.
    Resume,
}

/// What a launch came to (the console says it in the page's language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Launched {
    /// Still running after the first moments; the page of runs shows its progress.
    InBackground,
    /// Handed to another function, which runs it asynchronously.
    Invoked {
        function: String,
    },
    Finished {
        run_id: String,
        findings: usize,
    },
    Paused {
        run_id: String,
        reason: String,
    },
    /// Another process holds the run's lease.
    Busy {
        run_id: String,
    },
    /// Nothing to resume, and the last run is recent.
    Idle,
}

/// Why a run could not be started.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// A run of another scope is open: resume it, or restart.
    #[error("an unfinished {scope} run ({run_id}) is open")]
    OtherRunOpen { run_id: String, scope: String },
    /// The run could not be handed to whatever runs it (its own words).
    #[error("{0}")]
    Unavailable(String),
}

/// Starts reconciliation and the readiness check in the background.
#[async_trait]
pub trait Launcher: Send + Sync {
    async fn reconcile(&self, request: LaunchRequest) -> Result<Launched, LaunchError>;
    /// The readiness check as its schedule runs it — continue the open run, or start this
    /// month's when there is none — or, with `restart`, a new run now, abandoning an open one.
    async fn readiness(&self, restart: bool) -> Result<Launched, LaunchError>;
}
