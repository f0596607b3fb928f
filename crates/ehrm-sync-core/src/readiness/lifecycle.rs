//! A readiness run's life: a new run from a request, taken under a lease (or refused while
//! another invocation holds it, or while a run of another scope is open), saved after every
//! chunk, paused with its reason, and the schedule's "continue or start the month's run".

use time::Date;

use ehrm_sync_domain::readiness::add_months;
use ehrm_sync_domain::reconcile::kp_periods;
use ehrm_sync_domain::record::Millis;

use super::state::{RUN_CONTROL, load};
use super::{
    Readiness, ReadinessError, ReadinessOutcome, ReadinessRequest, ReadinessRun, ReadinessStatus,
    Stop,
};
use crate::clock::{format_ms, jakarta_date};
use crate::ports::StoreError;

/// `20261202T090615529`: the start in Jakarta time, safe in file names, S3 keys and URLs.
fn run_stamp(now: Millis) -> String {
    let text = format_ms(now);
    let local = text.split('+').next().unwrap_or(&text);
    local
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect()
}

impl Readiness {
    /// The run the request asks for: the open one, or a new one.
    pub(super) fn new_run(&self, request: &ReadinessRequest, now: Millis) -> ReadinessRun {
        let today = jakarta_date(now);
        let (periods, pension_from, pension_to) = match request.period {
            Some(p) => (vec![p], p, add_months(p, 1).previous_day().unwrap_or(p)),
            None => {
                let months = request
                    .horizon_months
                    .unwrap_or(self.settings.horizon_months)
                    .max(1);
                let from = today.replace_day(1).unwrap_or(today);
                let to = add_months(from, self.settings.pension_months as i32);
                (
                    kp_periods(today, months),
                    from,
                    to.previous_day().unwrap_or(to),
                )
            }
        };
        let ym = |d: &Date| format!("{:04}-{:02}", d.year(), u8::from(d.month()));
        let mut scope = format!(
            "kp {}..{}, pensiun {}..{}",
            periods.first().map(ym).unwrap_or_default(),
            periods.last().map(ym).unwrap_or_default(),
            ym(&pension_from),
            ym(&pension_to)
        );
        if let Some(u) = &request.unit {
            scope.push_str(&format!(", unit {u}"));
        }
        if let Some(n) = &request.nip {
            scope.push_str(&format!(", nip {n}"));
        }
        ReadinessRun {
            run_id: format!("kesiapan-{}", run_stamp(now)),
            today,
            scope,
            periods,
            pension_from,
            pension_to,
            unit: request.unit.clone(),
            nip: request.nip.clone(),
            status: ReadinessStatus::Running,
            planned: false,
            chunk: self.settings.chunk.max(1),
            people: 0,
            done: 0,
            list_calls: 0,
            person_calls: 0,
            queued_for_bkn: 0,
            findings: 0,
            counts: Vec::new(),
            started_at: now,
            finished_at: None,
            invocations: 0,
            lease_until: 0,
            pause_reason: None,
            report: Vec::new(),
        }
    }

    /// Takes (or starts) the run under a lease; `Err(run_id)` when another invocation holds it.
    pub(super) async fn take(
        &self,
        request: &ReadinessRequest,
    ) -> Result<Result<(ReadinessRun, u64), String>, ReadinessError> {
        let controls = self.deps.controls.as_ref();
        loop {
            let now = self.deps.clock.now_ms();
            let (open, revision) = load::<ReadinessRun>(controls, RUN_CONTROL).await?;
            let mut run = match open {
                Some(r)
                    if r.status == ReadinessStatus::Running
                        && r.lease_until > now
                        && !request.restart =>
                {
                    return Ok(Err(r.run_id));
                }
                Some(r) if r.status == ReadinessStatus::Running && !request.restart => {
                    let asks_a_scope = request.period.is_some()
                        || request.horizon_months.is_some()
                        || request.unit.is_some()
                        || request.nip.is_some();
                    if asks_a_scope && self.new_run(request, now).scope != r.scope {
                        return Err(ReadinessError::OtherRunOpen {
                            run_id: r.run_id,
                            scope: r.scope,
                        });
                    }
                    r
                }
                _ => self.new_run(request, now),
            };
            run.invocations += 1;
            run.lease_until = now + self.settings.lease_ms;
            run.pause_reason = None;
            let value =
                serde_json::to_value(&run).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            match controls.put_control(RUN_CONTROL, &value, revision).await {
                Ok(()) => return Ok(Ok((run, revision + 1))),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Saves the run's progress; `Conflict` means the lease was lost to another invocation.
    pub(super) async fn save(
        &self,
        run: &mut ReadinessRun,
        revision: &mut u64,
    ) -> Result<(), ReadinessError> {
        run.lease_until = self.deps.clock.now_ms() + self.settings.lease_ms;
        let value = serde_json::to_value(&*run).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.deps
            .controls
            .put_control(RUN_CONTROL, &value, *revision)
            .await?;
        *revision += 1;
        Ok(())
    }

    pub(super) async fn pause(
        &self,
        mut run: ReadinessRun,
        mut revision: u64,
        stop: Stop,
    ) -> Result<ReadinessOutcome, ReadinessError> {
        let reason = match stop {
            Stop::Unavailable(why) => why,
            Stop::Ehrm(e) if !e.transient => return Err(ReadinessError::Ehrm(e)),
            Stop::Ehrm(e) => format!("eHRM: {e}"),
        };
        run.pause_reason = Some(reason.clone());
        // Free the run for the next invocation at once.
        self.save(&mut run, &mut revision).await?;
        run.lease_until = 0;
        let value = serde_json::to_value(&run).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.deps
            .controls
            .put_control(RUN_CONTROL, &value, revision)
            .await?;
        Ok(ReadinessOutcome::Paused { run, reason })
    }

    /// What the schedule asks for: continue the open run, or start this month's run when the
    /// last one started in an earlier month; `None` when this month's run is done.
    pub async fn scheduled(
        &self,
        deadline: Option<Millis>,
    ) -> Result<Option<ReadinessOutcome>, ReadinessError> {
        let (last, _) = load::<ReadinessRun>(self.deps.controls.as_ref(), RUN_CONTROL).await?;
        let this_month = jakarta_date(self.deps.clock.now_ms()).replace_day(1).ok();
        let done_this_month = last.as_ref().is_some_and(|r| {
            r.status == ReadinessStatus::Finished && r.today.replace_day(1).ok() == this_month
        });
        if done_this_month {
            return Ok(None);
        }
        let request = ReadinessRequest::default();
        self.run(&request, deadline, &|_, _, _| {}).await.map(Some)
    }
}
