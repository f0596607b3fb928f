//! eHRM's directories as one invocation sees them: its employees (when the run needs the whole
//! list), units and structural posts, and the comparison's context built from them.

use ehrm_sync_domain::reconcile::compare::Context;
use ehrm_sync_domain::reconcile::{PegawaiFacts, StructuralPost, UnitFacts};

use super::planning::apply_lists;
use super::{ReconcileJob, RunState};
use crate::job::{JobError, Turn};
use crate::ports::{Phase, Scope};

/// The unit tree as eHRM last gave it: `{code: parent code or null}`.
pub const UNIT_TREE_CONTROL: &str = "reconcile.unit_tree";

/// The directories' data that stays fixed during one invocation.
pub(super) struct Snapshot {
    pub(super) employees: Vec<PegawaiFacts>,
    pub(super) units: Vec<UnitFacts>,
    pub(super) posts: Vec<StructuralPost>,
    pub(super) ctx: Context,
}

impl ReconcileJob {
    pub(super) async fn snapshot(
        &self,
        state: &RunState,
        turn: &Turn<'_>,
    ) -> Result<Snapshot, JobError> {
        // eHRM's whole employee list is needed to plan, and to walk "everyone else" in NIP order;
        // a rolling slice, the priority cohort or one NIP is already in the run's state.
        let walks_everyone = matches!(state.scope, Scope::All | Scope::Unit(_));
        let needs_employees = match state.phase {
            Phase::Planning => !matches!(state.scope, Scope::Nip(_)),
            Phase::Employees => walks_everyone,
            Phase::Units | Phase::Report => false,
        };
        let ehrm = &self.deps.run.ehrm;
        let employees = if needs_employees {
            turn.ehrm(|| ehrm.employees())
                .await
                .map_err(JobError::Ehrm)?
        } else {
            Vec::new()
        };
        let units = turn.ehrm(|| ehrm.units()).await.map_err(JobError::Ehrm)?;
        self.keep_unit_tree(&units).await;
        let posts = turn
            .ehrm(|| ehrm.structural_posts())
            .await
            .map_err(JobError::Ehrm)?;
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
    async fn keep_unit_tree(&self, units: &[UnitFacts]) {
        let tree: serde_json::Map<String, serde_json::Value> = units
            .iter()
            .map(|u| (u.id.clone(), serde_json::json!(u.parent)))
            .collect();
        let value = serde_json::Value::Object(tree);
        let result = match self.deps.run.controls.control(UNIT_TREE_CONTROL).await {
            Ok(Some(c)) if c.value == value => Ok(()),
            Ok(current) => {
                let rev = current.map_or(0, |c| c.revision);
                self.deps
                    .run
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
}
