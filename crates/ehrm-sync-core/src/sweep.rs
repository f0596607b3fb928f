//! The sweeper: queues again what is due but has no message in flight — a change recorded while
//! the queue was unreachable, a lease left behind by a crashed or timed-out worker, a retry
//! whose message was lost.
//!
//! It reads only the "due" index, page by page. A record is claimed before it is queued (its
//! `last_enqueued_at` is moved forward with compare-and-swap), so two sweepers running at once
//! queue each record once, and a record queued recently is left alone.

use std::sync::Arc;

use crate::ports::{BACKLOG, Series};
use ehrm_sync_domain::record::Millis;

use crate::ports::{
    Clock, ControlStore, DeliveryMessage, DeliveryQueue, QueueError, StoreError, SyncStore,
};

/// The control document holding the last sweep's time and counts.
pub const LAST_SWEEP: &str = "sweep/last";

#[derive(Clone, Copy, Debug)]
pub struct SweepSettings {
    /// A record must be overdue by this much before the sweeper takes an interest: its own
    /// message normally arrives on time.
    pub grace_ms: i64,
    /// A record queued less than this long ago is assumed to have its message in flight.
    pub requeue_after_ms: i64,
    pub page_size: usize,
    /// Upper bound of records queued in one sweep.
    pub max_per_sweep: usize,
}

impl Default for SweepSettings {
    fn default() -> Self {
        SweepSettings {
            grace_ms: 60_000,
            requeue_after_ms: 15 * 60_000,
            page_size: 200,
            max_per_sweep: 10_000,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub examined: usize,
    pub queued: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// When the last sweep ran, and what it found (the `last_sweep` control document).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LastSweep {
    pub at: Millis,
    /// Records found due.
    pub examined: u64,
    /// Of those, queued again.
    pub queued: u64,
}

pub struct Sweeper {
    store: Arc<dyn SyncStore>,
    queue: Arc<dyn DeliveryQueue>,
    clock: Arc<dyn Clock>,
    settings: SweepSettings,
    control: Option<Arc<dyn ControlStore>>,
    series: Option<Arc<dyn Series>>,
}

impl Sweeper {
    pub fn new(
        store: Arc<dyn SyncStore>,
        queue: Arc<dyn DeliveryQueue>,
        clock: Arc<dyn Clock>,
        settings: SweepSettings,
    ) -> Self {
        Sweeper {
            store,
            queue,
            clock,
            settings,
            control: None,
            series: None,
        }
    }

    /// Records the backlog found by each sweep (the console's chart).
    pub fn with_series(mut self, series: Arc<dyn Series>) -> Self {
        self.series = Some(series);
        self
    }

    /// Records each sweep's time and counts (for `ehrm-sync status`).
    pub fn with_control(mut self, control: Arc<dyn ControlStore>) -> Self {
        self.control = Some(control);
        self
    }

    async fn mark(&self, at: Millis, report: &SweepReport) {
        if let Some(series) = &self.series {
            let minute = crate::ports::bucket(at, crate::ports::MINUTE_MS);
            let backlog = report.examined as i64;
            if let Err(e) = series.set_in_series(BACKLOG, minute, backlog).await {
                tracing::warn!(error = %e, "backlog not recorded");
            }
        }
        let Some(control) = &self.control else { return };
        let mark = LastSweep {
            at,
            examined: report.examined as u64,
            queued: report.queued as u64,
        };
        let Ok(value) = serde_json::to_value(mark) else {
            return;
        };
        for _ in 0..3 {
            let revision = match control.control(LAST_SWEEP).await {
                Ok(c) => c.map_or(0, |c| c.revision),
                Err(_) => return,
            };
            match control.put_control(LAST_SWEEP, &value, revision).await {
                Err(StoreError::Conflict) => continue,
                _ => return,
            }
        }
    }

    /// One pass over the due index.
    pub async fn sweep(&self) -> Result<SweepReport, SweepError> {
        let now = self.clock.now_ms();
        let mut report = SweepReport::default();
        let mut cursor = None;
        loop {
            let (page, next) = self
                .store
                .due_records(
                    now - self.settings.grace_ms,
                    cursor,
                    self.settings.page_size,
                )
                .await?;
            report.examined += page.len();
            let mut batch = Vec::new();
            for rec in page {
                if report.queued + batch.len() >= self.settings.max_per_sweep {
                    break;
                }
                if rec
                    .last_enqueued_at
                    .is_some_and(|t| t > now - self.settings.requeue_after_ms)
                {
                    continue;
                }
                if self.claim(rec.clone(), now).await? {
                    batch.push(DeliveryMessage {
                        key: rec.key.clone(),
                        version: rec.received_version,
                    });
                }
            }
            for chunk in batch.chunks(10) {
                self.queue.enqueue(chunk).await?;
            }
            report.queued += batch.len();
            match next {
                Some(c) if report.queued < self.settings.max_per_sweep => cursor = Some(c),
                _ => break,
            }
        }
        if report.queued > 0 {
            tracing::info!(
                queued = report.queued,
                examined = report.examined,
                "sweeper queued due records"
            );
        }
        self.mark(now, &report).await;
        Ok(report)
    }

    async fn claim(
        &self,
        mut rec: ehrm_sync_domain::record::SyncRecord,
        now: Millis,
    ) -> Result<bool, StoreError> {
        rec.last_enqueued_at = Some(now);
        match self.store.put_record(&rec).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
