//! The deliver handler: an SQS batch in, partial batch failures out (`ReportBatchItemFailures`).
//!
//! Messages are processed one after another (the BKN rate is the bottleneck, and the lease plus
//! the deadline bound each one). A message whose record must wait (its next attempt, BKN's
//! breaker, a store failure) is settled by the [`SettlePolicy`]: a short wait with receives to
//! spare is reported as failed after its visibility is set to the wait (it comes back then);
//! otherwise it counts as done and Lambda deletes it — the record stays due in the table and the
//! sweeper queues it again, so a long outage never walks messages into the dead-letter queue
//! (`ehrm-sync-aws/src/sqs.rs` argues it). A message the invocation had no time for comes back,
//! under the same receive budget. Only an unreadable body is left to reach the dead letters.
//! Nothing here panics, and no failure is reported without its message id.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

use ehrm_sync_aws::emf::EmfMetrics;
use ehrm_sync_core::deliver::{DeliveryService, Disposition};
use ehrm_sync_core::ports::{Clock, DeliveryMessage, VisibilityControl};
use ehrm_sync_core::settle::{Settle, SettlePolicy};
use ehrm_sync_domain::backoff::RetryPolicy;

/// No new message is started with less time than this left.
const MIN_TIME_LEFT_MS: i64 = 10_000;

pub struct DeliverHandler {
    pub delivery: DeliveryService,
    pub visibility: Arc<dyn VisibilityControl>,
    pub clock: Arc<dyn Clock>,
    pub retry: RetryPolicy,
    pub settle: SettlePolicy,
    pub metrics: Arc<EmfMetrics>,
}

fn receives(message: &SqsMessage) -> u32 {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

impl DeliverHandler {
    /// Handles one batch; `deadline` is the invocation's deadline (ms since the epoch). A value
    /// nowhere near now (Lambda allows at most 15 minutes) means the runtime gave none: local
    /// emulators send 0 or a bare timeout.
    pub async fn handle(&self, event: SqsEvent, deadline: Option<i64>) -> SqsBatchResponse {
        let now = self.clock.now_ms();
        let deadline = crate::deadline::plausible(deadline, now);
        let mut failures = Vec::new();
        for message in &event.records {
            let Some(id) = message.message_id.clone().filter(|id| !id.is_empty()) else {
                tracing::error!(
                    "an SQS record without a message id cannot be reported; it is skipped"
                );
                continue;
            };
            if let Some(d) = deadline
                && d - self.clock.now_ms() < MIN_TIME_LEFT_MS
            {
                match self.settle.unprocessed(receives(message)) {
                    Settle::Hide { .. } => {
                        tracing::info!(message_id = %id, time_left_ms = d - self.clock.now_ms(),
                            "too little time left in this invocation; message left for the next one");
                        failures.push(id);
                    }
                    Settle::Delete => tracing::info!(message_id = %id,
                        "too little time left, and the message's receives are nearly used up; the sweeper queues its record again"),
                }
                continue;
            }
            if !self.process(message, deadline).await {
                failures.push(id);
            }
        }
        self.metrics.flush();
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures
            .into_iter()
            .map(|id| {
                let mut f = BatchItemFailure::default();
                f.item_identifier = id;
                f
            })
            .collect();
        response
    }

    /// `true` when the message is done with (Lambda may delete it).
    async fn process(&self, message: &SqsMessage, deadline: Option<i64>) -> bool {
        let body = message.body.as_deref().unwrap_or("");
        let Ok(msg) = serde_json::from_str::<DeliveryMessage>(body) else {
            tracing::error!(message_id = ?message.message_id, "unreadable delivery message; left for the dead-letter queue");
            return false;
        };
        let receives = receives(message);
        let wait = match self.delivery.process(&msg, deadline).await {
            Ok(Disposition::Done) => return true,
            Ok(Disposition::RetryIn { ms }) => ms,
            Err(e) => {
                tracing::warn!(record = %msg.key.masked(), error = %e, "store unavailable; message retried later");
                ehrm_sync_core::retry::backoff_ms(&self.retry, receives)
            }
        };
        match self.settle.after_wait(wait, receives) {
            Settle::Hide { seconds } => {
                self.hide(message, seconds).await;
                false
            }
            Settle::Delete => {
                tracing::info!(record = %msg.key.masked(), wait_ms = wait, receives,
                    "long wait: message deleted, the sweeper queues the record when it is due");
                true
            }
        }
    }

    async fn hide(&self, message: &SqsMessage, seconds: u32) {
        let Some(receipt) = &message.receipt_handle else {
            return;
        };
        if let Err(e) = self.visibility.change_visibility(receipt, seconds).await {
            tracing::warn!(error = %e, "visibility not changed; the queue's default applies");
        }
    }
}
