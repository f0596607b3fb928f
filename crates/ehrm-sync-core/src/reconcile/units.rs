//! The unit phase: the work-unit tree and the structural officials, compared once per run.

use std::collections::{HashMap, HashSet};

use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::compare::compare_units;
use ehrm_sync_domain::reconcile::{StructuralPost, UnitFacts};

use super::{ReconcileJob, RunState, Snapshot};
use crate::job::{Halt, JobError, ReadFailure, Turn};
use crate::ports::Scope;

impl ReconcileJob {
    /// Compares the unit sets and their heads; `Some` when BKN is unavailable.
    pub(super) async fn compare_unit_sets(
        &self,
        state: &mut RunState,
        snap: &Snapshot,
        turn: &Turn<'_>,
    ) -> Result<Option<Halt>, JobError> {
        let bkn_units = match turn.bkn(|| self.deps.bkn.units()).await {
            Ok(u) => u,
            Err(ReadFailure::Refused(e)) => return Err(JobError::Bkn(e)),
            Err(ReadFailure::Halted(halt)) => return Ok(Some(halt)),
        };
        let scope_units = state.unit_filter(&snap.units);
        let units: Vec<UnitFacts> = snap
            .units
            .iter()
            .filter(|u| scope_units.contains(u.id.as_str()))
            .cloned()
            .collect();
        let posts: Vec<StructuralPost> = snap
            .posts
            .iter()
            .filter(|p| scope_units.contains(p.unor_id.as_str()))
            .cloned()
            .collect();
        let bkn_in_scope: Vec<UnitFacts> = if matches!(state.scope, Scope::Unit(_)) {
            let mapped: HashSet<String> = units
                .iter()
                .filter_map(|u| u.bkn_id.as_ref().map(|b| b.to_uppercase()))
                .collect();
            bkn_units
                .into_iter()
                .filter(|b| mapped.contains(&b.id.to_uppercase()))
                .collect()
        } else {
            bkn_units
        };
        let mut holder_pns = HashMap::new();
        for nip in posts.iter().filter_map(|p| p.nip.as_deref()) {
            if let Ok(n) = Nip::parse(nip)
                && let Some(pns) = self.deps.pns_ids.pns_id(&n).await?
            {
                holder_pns.insert(nip.to_string(), pns);
            }
        }
        let mut nip_of_pns = HashMap::new();
        for pns in bkn_in_scope.iter().filter_map(|u| u.head_pns_id.as_deref()) {
            if let Some(nip) = self.deps.pns_ids.nip_for_pns_id(pns).await? {
                nip_of_pns.insert(pns.to_uppercase(), nip);
            }
        }
        let missing: HashSet<String> = state.missing_at_bkn.iter().cloned().collect();
        let rows = compare_units(
            &snap.ctx,
            &units,
            &bkn_in_scope,
            &posts,
            &holder_pns,
            &nip_of_pns,
            &missing,
        );
        self.deps
            .reconcile
            .put_rows(&state.life.run_id, &rows)
            .await?;
        Ok(None)
    }
}
