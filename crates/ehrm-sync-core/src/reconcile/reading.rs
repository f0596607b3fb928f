//! Reading both sides: the directories' data that stays fixed for an invocation, and single
//! reads of eHRM and BKN tried again through the shared retry helper (and, for BKN, the shared
//! breaker), within the invocation's deadline.

use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_domain::reconcile::compare::Context;
use ehrm_sync_domain::record::Millis;

use super::planning::apply_lists;
use super::{
    Phase, ReconcileError, Reconciler, RunState, Scope, Snapshot, Stop, UNIT_TREE_CONTROL,
};
use crate::breaker::NotCalled;
use crate::ports::{BknError, SourceError};
use crate::retry::run_with_retries;

/// eHRM is read again after 0.5 s, 1 s, … (with jitter); BKN after 1 s, 2 s, … .
const EHRM_FIRST_PAUSE_MS: i64 = 500;
const BKN_FIRST_PAUSE_MS: i64 = 1_000;
const LONGEST_PAUSE_MS: i64 = 30_000;

impl Reconciler {
    pub(super) async fn snapshot(&self, state: &RunState) -> Result<Snapshot, ReconcileError> {
        // eHRM's whole employee list is needed to plan, and to walk "everyone else" in NIP order;
        // a rolling slice, the priority cohort or one NIP is already in the run's state.
        let walks_everyone = matches!(state.scope, Scope::All | Scope::Unit(_));
        let needs_employees = match state.phase {
            Phase::Planning => !matches!(state.scope, Scope::Nip(_)),
            Phase::Employees => walks_everyone,
            Phase::Units | Phase::Report => false,
        };
        let employees = if needs_employees {
            self.ehrm_read(|| self.deps.ehrm.employees()).await?
        } else {
            Vec::new()
        };
        let units = self.ehrm_read(|| self.deps.ehrm.units()).await?;
        self.keep_unit_tree(&units).await;
        let posts = self.ehrm_read(|| self.deps.ehrm.structural_posts()).await?;
        let mut ctx = Context::new(&units, &posts);
        ctx.callbacks_enabled = self.deps.outbox.is_some();
        apply_lists(&mut ctx, state);
        Ok(Snapshot {
            employees,
            units,
            posts,
            ctx,
        })
    }

    /// The unit tree as eHRM last gave it (code → parent), so that findings can be filtered by
    /// a unit with its sub-units. Best effort: a failed write costs only the filter's accuracy.
    async fn keep_unit_tree(&self, units: &[ehrm_sync_domain::reconcile::UnitFacts]) {
        let tree: serde_json::Map<String, serde_json::Value> = units
            .iter()
            .map(|u| (u.id.clone(), serde_json::json!(u.parent)))
            .collect();
        let value = serde_json::Value::Object(tree);
        let result = match self.deps.controls.control(UNIT_TREE_CONTROL).await {
            Ok(Some(c)) if c.value == value => Ok(()),
            Ok(current) => {
                let rev = current.map_or(0, |c| c.revision);
                self.deps
                    .controls
                    .put_control(UNIT_TREE_CONTROL, &value, rev)
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "unit tree not kept");
        }
    }

    fn read_policy(&self, first_pause_ms: i64) -> RetryPolicy {
        RetryPolicy {
            base_ms: first_pause_ms,
            max_ms: LONGEST_PAUSE_MS,
            max_attempts: self.settings.read_tries.max(1),
        }
    }

    /// An eHRM read, tried again on transient failures.
    pub(super) async fn ehrm_read<T, F, Fut>(&self, read: F) -> Result<T, ReconcileError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SourceError>>,
    {
        run_with_retries(
            self.deps.clock.as_ref(),
            &self.read_policy(EHRM_FIRST_PAUSE_MS),
            |e: &SourceError| e.transient,
            |_| true,
            read,
        )
        .await
        .map_err(ReconcileError::Ehrm)
    }

    /// A BKN read through the breaker, tried again on transient failures while the deadline
    /// allows. `Ok(Err(_))` is BKN's refusal of the read; `Err(Stop)` means BKN is unavailable.
    pub(super) async fn bkn_read<T, F, Fut>(
        &self,
        deadline: Option<Millis>,
        read: F,
    ) -> Result<Result<T, BknError>, Stop>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, BknError>>,
    {
        guarded_bkn_read(
            self.deps.clock.as_ref(),
            self.deps.breaker.as_deref(),
            &self.read_policy(BKN_FIRST_PAUSE_MS),
            |ms: i64| !self.out_of_time(deadline, ms),
            read,
        )
        .await
        .map_err(Stop::Unavailable)
    }
}

/// A BKN read through the breaker (when there is one), tried again on transient failures while
/// `may_wait` allows. `Ok(Err(_))` is BKN's refusal of the read; `Err(why)` means BKN is
/// unavailable. Shared by reconciliation and the readiness check.
pub(crate) async fn guarded_bkn_read<T, F, Fut>(
    clock: &dyn crate::ports::Clock,
    breaker: Option<&crate::breaker::Breaker>,
    policy: &RetryPolicy,
    may_wait: impl Fn(i64) -> bool,
    read: F,
) -> Result<Result<T, BknError>, String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, BknError>>,
{
    let outcome = run_with_retries(
        clock,
        policy,
        |f: &ReadFailure| matches!(f, ReadFailure::Transient(_)),
        &may_wait,
        || async {
            let answer = match breaker {
                Some(b) => b.call(&may_wait, &read).await,
                None => Ok(read().await),
            };
            match answer {
                Ok(Err(e)) if e.is_transient() => Err(ReadFailure::Transient(e)),
                Ok(answer) => Ok(answer),
                Err(not_called) => Err(ReadFailure::NotCalled(not_called)),
            }
        },
    )
    .await;
    match outcome {
        Ok(answer) => Ok(answer),
        Err(ReadFailure::Transient(e)) => Err(format!("BKN: {}", e.message)),
        Err(ReadFailure::NotCalled(n)) => Err(n.to_string()),
    }
}

/// A BKN read that did not get an answer worth keeping.
enum ReadFailure {
    /// Timeouts, 5xx, SUSPENDED, 429: worth another try.
    Transient(BknError),
    /// The breaker stayed open past the deadline, or its state could not be read.
    NotCalled(NotCalled),
}

pub(super) fn stop_error(stop: Stop) -> ReconcileError {
    match stop {
        Stop::Unavailable(why) => ReconcileError::Bkn(why),
        Stop::Deadline => ReconcileError::Bkn("out of time".into()),
        Stop::LeaseLost => ReconcileError::Invalid("the run was taken over".into()),
    }
}
