//! The employee phase: a chunk of employees read from both sides at once (bounded by the
//! settings' concurrency and BKN's rate), compared, and repaired.

use futures::StreamExt;

use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::compare::{Context, compare_employee};
use ehrm_sync_domain::reconcile::{Action, Discrepancy};

use super::{MAX_UNREADABLE_KEPT, ReconcileJob, ReconcilerDeps, RunState};
use crate::job::{Halt, JobError, ReadFailure, Turn};
use crate::repair::{JabatanRepairPorts, Repaired, queue_jabatan, queue_kinerja, send_to_ehrm};

impl ReconcileJob {
    /// Reads, compares and repairs a chunk; returns how many from the start are done, and the
    /// halt that stopped the rest.
    pub(super) async fn process_chunk(
        &self,
        state: &mut RunState,
        ctx: &Context,
        chunk: &[String],
        turn: &Turn<'_>,
    ) -> Result<(usize, Option<Halt>), JobError> {
        // The futures are built first: a closure inside the stream would make the step's
        // future not `Send` for every lifetime (the async trait needs that).
        let reads: Vec<_> = chunk
            .iter()
            .map(|nip| self.process_employee(ctx, nip, turn))
            .collect();
        let results: Vec<Result<EmployeeDone, Halt>> = futures::stream::iter(reads)
            .buffered(self.settings.run.concurrency.max(1))
            .collect()
            .await;
        let mut rows = Vec::new();
        let mut done = 0;
        let mut stop = None;
        for r in results {
            let mut e = match r {
                Ok(e) if stop.is_none() => e,
                Ok(_) => continue,
                Err(s) => {
                    stop.get_or_insert(s);
                    continue;
                }
            };
            done += 1;
            if !state.dry_run {
                let (queued, sent) = apply_repairs(&self.deps, &state.life.run_id, &mut e).await?;
                state.repairs_queued += queued;
                state.callbacks_sent += sent;
            }
            rows.extend(e.rows);
            if e.missing_at_bkn {
                state.missing_at_bkn.push(e.nip.clone());
            }
            if let Some(why) = e.unreadable {
                state.unreadable += 1;
                if state.unreadable_examples.len() < MAX_UNREADABLE_KEPT {
                    state
                        .unreadable_examples
                        .push((ehrm_sync_domain::nip::mask_nip(&e.nip), why));
                }
            }
        }
        self.deps
            .reconcile
            .put_rows(&state.life.run_id, &rows)
            .await?;
        Ok((done, stop))
    }

    pub(super) async fn process_employee(
        &self,
        ctx: &Context,
        nip: &str,
        turn: &Turn<'_>,
    ) -> Result<EmployeeDone, Halt> {
        let mut done = EmployeeDone {
            nip: nip.to_string(),
            ..EmployeeDone::default()
        };
        let Ok(parsed) = Nip::parse(nip) else {
            done.unreadable = Some("eHRM holds an invalid NIP".into());
            return Ok(done);
        };
        let bkn = match turn.bkn(|| self.deps.bkn.employee(&parsed)).await {
            Ok(b) => b,
            Err(ReadFailure::Refused(e)) => {
                done.unreadable = Some(format!("BKN refused the read: {}", e.message));
                return Ok(done);
            }
            Err(ReadFailure::Halted(halt)) => return Err(halt),
        };
        let ehrm = match turn.ehrm(|| self.deps.run.ehrm.employee(nip)).await {
            Ok(e) => e,
            Err(e) if !e.transient => {
                done.unreadable = Some(format!("eHRM refused the read: {e}"));
                return Ok(done);
            }
            Err(e) => return Err(Halt::EhrmUnavailable(e.message)),
        };
        if let Some(pns) = bkn.as_ref().and_then(|b| b.pegawai.pns_id.as_deref())
            && let Err(e) = self
                .deps
                .pns_ids
                .put_pns_id(&parsed, pns, self.deps.run.clock.now_ms())
                .await
        {
            tracing::warn!(error = %e, "PNS id not cached");
        }
        done.missing_at_bkn = bkn.is_none() && ehrm.is_some();
        let cmp = compare_employee(ctx, nip, ehrm.as_ref(), bkn.as_ref());
        done.rows = cmp.rows;
        let unit = ehrm.as_ref().and_then(|e| e.pegawai.unor.clone());
        for row in done.rows.iter_mut().filter(|r| r.unor_id.is_none()) {
            row.unit = unit.clone();
        }
        done.repairs = cmp.repairs;
        done.jabatan_repairs = cmp.jabatan_repairs;
        Ok(done)
    }
}

#[derive(Default)]
pub(super) struct EmployeeDone {
    nip: String,
    rows: Vec<Discrepancy>,
    repairs: Vec<ehrm_sync_domain::reconcile::compare::KinerjaRepair>,
    jabatan_repairs: Vec<ehrm_sync_domain::reconcile::compare::JabatanRepair>,
    missing_at_bkn: bool,
    unreadable: Option<String>,
}

/// Queues the performance and position repairs and sends the BKN-authoritative rows to eHRM; a repair that
/// cannot be made turns its rows into `needs_review`.
pub(super) async fn apply_repairs(
    deps: &ReconcilerDeps,
    run_id: &str,
    done: &mut EmployeeDone,
) -> Result<(u64, u64), JobError> {
    let mut queued = 0;
    let mut sent = 0;
    for r in std::mem::take(&mut done.repairs) {
        let repaired = queue_kinerja(&deps.run.store, &deps.run.queue, &deps.run.clock, &r)
            .await
            .map_err(|e| JobError::Repair(e.to_string()))?;
        queued += settle_repair(&mut done.rows, &r.rows, repaired, "performance record");
    }
    let ports = JabatanRepairPorts {
        store: &deps.run.store,
        queue: &deps.run.queue,
        clock: &deps.run.clock,
        units: &deps.run.controls,
    };
    for r in std::mem::take(&mut done.jabatan_repairs) {
        let repaired = queue_jabatan(&ports, &r)
            .await
            .map_err(|e| JobError::Repair(e.to_string()))?;
        queued += settle_repair(&mut done.rows, &r.rows, repaired, "position");
    }
    if let Some(outbox) = &deps.outbox {
        for row in done.rows.iter().filter(|r| r.action == Action::SentToEhrm) {
            send_to_ehrm(outbox, &deps.run.clock, run_id, row)
                .await
                .map_err(|e| JobError::Repair(e.to_string()))?;
            sent += 1;
        }
    }
    Ok((queued, sent))
}

/// 1 for a queued repair; otherwise its report rows become `needs_review` with the reason.
fn settle_repair(
    rows: &mut [Discrepancy],
    answered: &[usize],
    repaired: Repaired,
    what: &str,
) -> u64 {
    match repaired {
        Repaired::Queued => 1,
        Repaired::NotPossible(why) => {
            for i in answered {
                if let Some(row) = rows.get_mut(*i) {
                    row.action = Action::NeedsReview;
                    row.note = Some(why.clone());
                }
            }
            tracing::info!(reason = %why, what, "repair left for review");
            0
        }
    }
}
