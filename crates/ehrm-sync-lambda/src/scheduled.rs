//! The scheduled function: EventBridge Scheduler invokes it with `{"task": "sweep"}` (every few
//! minutes), `{"task": "callbacks"}` (every minute, when callbacks to eHRM are configured) and
//! `{"task": "reconcile"}` (continues the open reconciliation run until a minute before the
//! invocation's deadline, or starts a rolling one when the last is old enough). The console
//! invokes it with `{"task": "reconcile", "launch": {"mode": "start", "scope": "all"}}` (or
//! `restart`, or `{"mode": "resume"}`) to run one by hand. `{"task": "readiness"}` (hourly)
//! continues the open promotion/retirement readiness run, or starts the month's run when this
//! month has none yet, so each month's periods are checked before they begin. `{"task": "purge"}`
//! (daily) removes what a DynamoDB TTL cannot: the data of synced records past their retention
//! (`ehrm_sync_core::retention`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::sync::Arc;

use ehrm_sync_core::callbacks::CallbackDispatcher;
use ehrm_sync_core::job::Outcome;
use ehrm_sync_core::ports::{Clock, ControlStore, LaunchRequest, Purge, RunSummary};
use ehrm_sync_core::readiness::{Readiness, ReadinessRequest, ReadinessRun};
use ehrm_sync_core::reconcile::{Reconciler, RunRequest};
use ehrm_sync_core::retention::{Retention, purge_all};
use ehrm_sync_core::sso::SsoWatch;
use ehrm_sync_core::sweep::Sweeper;

use ehrm_sync_aws::emf::EmfMetrics;

/// Callbacks sent per invocation at most.
const CALLBACKS_PER_INVOCATION: usize = 500;
/// The callbacks task runs every minute and shares the function (and its reserved concurrency)
/// with the sweep and reconciliation: it stops starting sends after this long, whatever the
/// invocation's own deadline, so a hanging eHRM endpoint holds at most one slot for a minute.
pub const CALLBACKS_TASK_BUDGET_MS: i64 = 50_000;
/// Kept free before the invocation's deadline.
const DEADLINE_MARGIN_MS: i64 = 5_000;

/// What the schedule asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Task {
    Sweep,
    Callbacks,
    Purge,
    Readiness {
        /// Start a new run now, abandoning an unfinished one (the console, by hand).
        #[serde(default)]
        restart: bool,
    },
    Reconcile {
        /// From the console: start, restart or resume a run (absent: the schedule's
        /// continue-or-roll).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        launch: Option<LaunchRequest>,
    },
}

/// What the function answers (the invocation's result, for the logs and `aws lambda invoke`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum TaskReport {
    Sweep {
        examined: usize,
        queued: usize,
    },
    Callbacks {
        configured: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        sent: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        retrying: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        failed: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        dead: Option<u64>,
        /// Left for the next invocation (no time to send them within the budget).
        #[serde(skip_serializing_if = "Option::is_none")]
        deferred: Option<u64>,
    },
    Reconcile(ReconcileReport),
    Readiness(ReadinessReport),
    Purge {
        configured: bool,
        /// Items removed (records whose data went; the rest expire by their TTL).
        removed: u64,
        /// Finished readiness runs dropped from the list.
        readiness_runs: usize,
    },
}

/// How a readiness invocation ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReadinessReport {
    /// `EHRM_API_BASE_URL` is not set.
    NotConfigured {
        configured: bool,
    },
    Finished {
        run: Box<ReadinessRun>,
    },
    Paused {
        reason: String,
        run: Box<ReadinessRun>,
    },
    Busy {
        run_id: String,
    },
    /// This month's run is done.
    Idle,
}

/// How a reconciliation invocation ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReconcileReport {
    /// `EHRM_API_BASE_URL` is not set: nothing to compare with.
    NotConfigured {
        configured: bool,
    },
    Finished {
        run: Box<RunSummary>,
    },
    Paused {
        reason: String,
        run: Box<RunSummary>,
    },
    /// Another invocation holds the run.
    Busy {
        run_id: String,
    },
    /// The last run is recent enough.
    Idle,
}

pub struct ScheduledHandler {
    /// `None` when eHRM's read API is not configured.
    pub reconcile: Option<Reconciler>,
    /// `None` when eHRM's read API is not configured.
    pub readiness: Option<Readiness>,
    pub sweeper: Sweeper,
    /// `None` when callbacks to eHRM are not configured.
    pub callbacks: Option<CallbackDispatcher>,
    /// The SSO watch, run with every callbacks task (each minute): the seconds-left metric
    /// and the warnings to eHRM.
    pub sso: Option<SsoWatchTask>,
    /// eHRM's unit map, refreshed with the sweep (`None` without eHRM's read API).
    pub units: Option<ehrm_sync_core::unor_map::UnitMapRefresher>,
    /// The retention purge (`None`: not wired, as in tests of other tasks).
    pub purge: Option<PurgeTask>,
    pub clock: Arc<dyn Clock>,
}

/// What the daily purge works on.
pub struct PurgeTask {
    pub purge: Arc<dyn Purge>,
    pub controls: Arc<dyn ControlStore>,
    pub retention: Retention,
}

/// The SSO watch and the metrics it writes, flushed once per look.
pub struct SsoWatchTask {
    pub watch: SsoWatch,
    pub metrics: Arc<EmfMetrics>,
}

impl SsoWatchTask {
    async fn run(&self) {
        match self.watch.tick().await {
            Ok(Some(news)) => tracing::info!(news = ?news, "SSO news queued for eHRM"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "the SSO watch could not look"),
        }
        self.metrics.flush();
    }
}

#[derive(Debug)]
pub struct TaskError(pub String);

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TaskError {}

impl ScheduledHandler {
    async fn purge(&self) -> Result<TaskReport, TaskError> {
        let Some(task) = &self.purge else {
            return Ok(TaskReport::Purge {
                configured: false,
                removed: 0,
                readiness_runs: 0,
            });
        };
        let now = self.clock.now_ms();
        let report = purge_all(
            task.purge.as_ref(),
            task.controls.as_ref(),
            &task.retention,
            now,
            false,
        )
        .await
        .map_err(|e| TaskError(format!("purge failed: {e}")))?;
        Ok(TaskReport::Purge {
            configured: true,
            removed: report.removed(),
            readiness_runs: report.readiness_runs.len(),
        })
    }

    /// `deadline_ms`: the invocation's deadline (Unix ms), from the Lambda context.
    pub async fn handle(
        &self,
        event: &Value,
        deadline_ms: Option<i64>,
    ) -> Result<Value, TaskError> {
        let task: Task = serde_json::from_value(event.clone()).map_err(|_| {
            TaskError(format!(
                "unknown task {:?}; expected \"sweep\", \"callbacks\", \"reconcile\", \"readiness\" or \"purge\"",
                event.get("task")
            ))
        })?;
        let report = self.run(task, deadline_ms).await?;
        serde_json::to_value(report).map_err(|e| TaskError(e.to_string()))
    }

    pub async fn run(&self, task: Task, deadline_ms: Option<i64>) -> Result<TaskReport, TaskError> {
        match task {
            Task::Reconcile { launch } => Ok(TaskReport::Reconcile(
                self.reconcile(launch, deadline_ms).await?,
            )),
            Task::Readiness { restart } => Ok(TaskReport::Readiness(
                self.readiness(restart, deadline_ms).await?,
            )),
            Task::Purge => self.purge().await,
            Task::Sweep => {
                if let Some(units) = &self.units {
                    units.tick().await;
                }
                let report = self
                    .sweeper
                    .sweep()
                    .await
                    .map_err(|e| TaskError(format!("sweep failed: {e}")))?;
                tracing::info!(
                    examined = report.examined,
                    queued = report.queued,
                    "sweep finished"
                );
                Ok(TaskReport::Sweep {
                    examined: report.examined,
                    queued: report.queued,
                })
            }
            Task::Callbacks => {
                if let Some(sso) = &self.sso {
                    sso.run().await;
                }
                let Some(dispatcher) = &self.callbacks else {
                    return Ok(TaskReport::Callbacks {
                        configured: false,
                        sent: None,
                        retrying: None,
                        failed: None,
                        dead: None,
                        deferred: None,
                    });
                };
                let budget_end = self.clock.now_ms() + CALLBACKS_TASK_BUDGET_MS;
                let until =
                    deadline_ms.map_or(budget_end, |d| (d - DEADLINE_MARGIN_MS).min(budget_end));
                let r = dispatcher
                    .dispatch(CALLBACKS_PER_INVOCATION, Some(until))
                    .await
                    .map_err(|e| TaskError(format!("callbacks failed: {e}")))?;
                Ok(TaskReport::Callbacks {
                    configured: true,
                    sent: Some(r.sent as u64),
                    retrying: Some(r.retrying as u64),
                    failed: Some(r.failed as u64),
                    dead: Some(r.dead as u64),
                    deferred: Some(r.deferred as u64),
                })
            }
        }
    }

    async fn readiness(
        &self,
        restart: bool,
        deadline_ms: Option<i64>,
    ) -> Result<ReadinessReport, TaskError> {
        let Some(readiness) = &self.readiness else {
            return Ok(ReadinessReport::NotConfigured { configured: false });
        };
        // The run keeps its own margin before the deadline, as reconciliation does.
        let outcome = if restart {
            let request = ReadinessRequest {
                restart: true,
                ..ReadinessRequest::default()
            };
            readiness.run(&request, deadline_ms, &|_| {}).await
        } else {
            readiness.scheduled(deadline_ms).await
        }
        .map_err(|e| TaskError(format!("readiness failed: {e}")))?;
        Ok(match outcome {
            Outcome::Idle => ReadinessReport::Idle,
            Outcome::Finished(run) => ReadinessReport::Finished { run: Box::new(run) },
            Outcome::Paused { run, halt } => ReadinessReport::Paused {
                reason: halt.to_string(),
                run: Box::new(run),
            },
            Outcome::Busy { run_id } => ReadinessReport::Busy { run_id },
        })
    }

    async fn reconcile(
        &self,
        launch: Option<LaunchRequest>,
        deadline_ms: Option<i64>,
    ) -> Result<ReconcileReport, TaskError> {
        let Some(reconcile) = &self.reconcile else {
            return Ok(ReconcileReport::NotConfigured { configured: false });
        };
        let deadline = deadline_ms.map(|d| d - DEADLINE_MARGIN_MS);
        let restart_asked = matches!(launch, Some(LaunchRequest::Restart(_)));
        let outcome = match launch {
            None | Some(LaunchRequest::Resume) => reconcile.scheduled(deadline_ms, &|_| {}).await,
            Some(LaunchRequest::Start(scope)) | Some(LaunchRequest::Restart(scope)) => {
                let request = RunRequest {
                    restart: restart_asked,
                    scope,
                    dry_run: false,
                };
                reconcile.run(&request, deadline, &|_| {}).await
            }
        }
        .map_err(|e| TaskError(format!("reconciliation failed: {e}")))?;
        Ok(match outcome {
            Outcome::Finished(run) => ReconcileReport::Finished { run: Box::new(run) },
            Outcome::Paused { run, halt } => ReconcileReport::Paused {
                reason: halt.to_string(),
                run: Box::new(run),
            },
            Outcome::Busy { run_id } => ReconcileReport::Busy { run_id },
            Outcome::Idle => ReconcileReport::Idle,
        })
    }
}
