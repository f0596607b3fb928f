//! The deliver handler: an SQS batch in, partial batch failures out (`ReportBatchItemFailures`).
//!
//! Messages are processed one after another (the BKN rate is the bottleneck, and the lease plus
//! the deadline bound each one). A message is reported as failed — and so stays in the queue —
//! when its record must be tried again later (its visibility is first set to the record's next
//! attempt), when the store failed (visibility from `ApproximateReceiveCount` with the retry
//! backoff), when its body is unreadable (it goes on to the dead-letter queue), or when the
//! invocation ran out of time before reaching it. Everything else succeeded and is deleted by
//! Lambda. Nothing here panics, and no failure is reported without its message id.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

use ehrm_sync_aws::emf::EmfMetrics;
use ehrm_sync_core::deliver::{DeliveryService, Disposition};
use ehrm_sync_core::ports::{Clock, DeliveryMessage, VisibilityControl};
use ehrm_sync_domain::backoff::{MAX_DELAY_MS, RetryPolicy};

/// No new message is started with less time than this left.
const MIN_TIME_LEFT_MS: i64 = 10_000;

pub struct DeliverHandler {
    pub delivery: DeliveryService,
    pub visibility: Arc<dyn VisibilityControl>,
    pub clock: Arc<dyn Clock>,
    pub retry: RetryPolicy,
    pub metrics: Arc<EmfMetrics>,
}

fn seconds(ms: i64) -> u32 {
    (ms.clamp(0, MAX_DELAY_MS) as u64).div_ceil(1000) as u32
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
                tracing::info!(message_id = %id, time_left_ms = d - self.clock.now_ms(),
                    "too little time left in this invocation; message left for the next one");
                failures.push(id);
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
        match self.delivery.process(&msg, deadline).await {
            Ok(Disposition::Done) => true,
            Ok(Disposition::RetryIn { ms }) => {
                self.hide(message, seconds(ms)).await;
                false
            }
            Err(e) => {
                let receives: u32 = message
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                let wait = ehrm_sync_core::retry::backoff_ms(&self.retry, receives);
                tracing::warn!(record = %msg.key.masked(), error = %e, "store unavailable; message retried later");
                self.hide(message, seconds(wait)).await;
                false
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
