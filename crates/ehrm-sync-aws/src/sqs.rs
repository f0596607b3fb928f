//! The delivery queue on SQS.
//!
//! **Standard, not FIFO.** Order and exclusivity per record are kept by the store (versions,
//! leases, compare-and-swap), so the queue only has to deliver at least once, which a standard
//! queue does. A FIFO queue grouped by NIP would add nothing to correctness and would hurt: a
//! record hidden for hours of backoff (`ChangeMessageVisibility`) would block every other record
//! of the same employee behind it, and FIFO throughput and its five-minute deduplication window
//! are limits we do not need. Redelivered, duplicated and reordered messages are all safe: a
//! message names a record, and the worker always delivers the record's latest version under a
//! lease (invariants 2 and 3 of `docs/architecture.md` are enforced in the store, not by the queue).
//!
//! Messages carry only `{key, version}`. The queue's redrive policy moves a message received
//! `maxReceiveCount` times to the dead-letter queue, and that queue's alarm pages an operator:
//! it must mean "this message cannot be processed", never "BKN was down for a while".
//!
//! **Waiting messages are deleted, not circled, once the wait is long or the receives run low**
//! ([`ehrm_sync_core::settle::SettlePolicy`]). Two designs were weighed:
//! * *Hold every wait on the message* (visibility = the wait) with `maxReceiveCount` derived from
//!   the wait schedule. The retry backoff alone is bounded (`RETRY_MAX_ATTEMPTS` receives), but
//!   the breaker is not: during an outage every message is received once per breaker window
//!   (30 s, growing) for as long as BKN is down, so no finite limit derived from a schedule holds
//!   for a six-hour or two-day outage — the DLQ fills, the alarm fires, and records return only
//!   through the sweeper anyway. It also pays one Lambda invocation per message per window.
//! * *Delete and let the sweeper requeue* (chosen for long waits). The table is the truth: a
//!   record that is `pending`/`retrying` sits in the due index whether or not a message exists,
//!   and the sweeper (every `SweepSchedule`) queues every due record without a message in flight
//!   (`last_enqueued_at` older than its requeue interval), claiming it with compare-and-swap so
//!   two sweeps queue it once. Deleting a message therefore loses nothing; the record is picked
//!   up within one requeue interval plus one sweep after it is due.
//!
//! Short waits (≤ `QUEUE_HOLD_MAX_SECONDS`, default 15 minutes) are still held on the message
//! while it has receives to spare — the first retries of a record stay seconds apart instead of a
//! sweep apart — and one receive is always kept in reserve, so a held message can never be moved
//! to the dead letters by the wait itself. What still reaches the DLQ is what no worker could
//! read: an unreadable body. Tested on the test endpoint: BKN down for a simulated six hours with
//! a backlog, DLQ depth 0 throughout (`tests/tests/aws/outage_aws.rs`).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};

use ehrm_sync_core::ports::{
    DeadLetters, DeliveryMessage, DeliveryQueue, QueueConsumer, QueueError, ReceivedMessage,
    VisibilityControl,
};

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    dead_letter_url: Option<String>,
    /// Visibility set on receive (tests and redrive tools); `None` keeps the queue's default.
    receive_visibility: Option<u32>,
}

fn unavailable<E: std::fmt::Debug>(e: E) -> QueueError {
    QueueError::Unavailable(format!("{e:?}").chars().take(500).collect())
}

impl SqsQueue {
    pub fn new(
        client: Client,
        queue_url: impl Into<String>,
        dead_letter_url: Option<String>,
    ) -> Self {
        SqsQueue {
            client,
            queue_url: queue_url.into(),
            dead_letter_url,
            receive_visibility: None,
        }
    }

    pub fn with_receive_visibility(mut self, seconds: u32) -> Self {
        self.receive_visibility = Some(seconds);
        self
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    async fn send_bodies(&self, url: &str, bodies: &[String]) -> Result<(), QueueError> {
        for chunk in bodies.chunks(10) {
            let mut pending: Vec<(String, String)> = chunk
                .iter()
                .enumerate()
                .map(|(i, b)| (i.to_string(), b.clone()))
                .collect();
            for _ in 0..3 {
                if pending.is_empty() {
                    break;
                }
                let entries = pending
                    .iter()
                    .map(|(id, body)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(id)
                            .message_body(body)
                            .build()
                            .map_err(unavailable)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(unavailable)?;
                let failed: Vec<String> = out.failed.iter().map(|f| f.id.clone()).collect();
                pending.retain(|(id, _)| failed.contains(id));
            }
            if !pending.is_empty() {
                return Err(QueueError::Unavailable(format!(
                    "{} message(s) not accepted by SQS",
                    pending.len()
                )));
            }
        }
        Ok(())
    }

    async fn receive_from(
        &self,
        url: &str,
        max: usize,
        wait: Duration,
        visibility: Option<u32>,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .set_visibility_timeout(visibility.map(|v| v as i32))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let receive_count = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                Some(ReceivedMessage {
                    message_id: m.message_id?,
                    receipt: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                    receive_count,
                })
            })
            .collect())
    }

    async fn arn(&self, url: &str) -> Result<String, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(unavailable)?;
        out.attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .ok_or_else(|| QueueError::Unavailable("queue has no ARN".into()))
    }

    /// Moves messages back by receiving them from the dead-letter queue and sending them again;
    /// each is deleted from the dead-letter queue only after its copy was accepted.
    async fn redrive_by_hand(&self, dlq: &str, max: usize) -> Result<u64, QueueError> {
        let mut moved = 0u64;
        while (moved as usize) < max {
            let batch = self
                .receive_from(
                    dlq,
                    (max - moved as usize).min(10),
                    Duration::from_secs(1),
                    Some(60),
                )
                .await?;
            if batch.is_empty() {
                break;
            }
            let bodies: Vec<String> = batch.iter().map(|m| m.body.clone()).collect();
            self.send_bodies(&self.queue_url, &bodies).await?;
            for m in &batch {
                self.client
                    .delete_message()
                    .queue_url(dlq)
                    .receipt_handle(&m.receipt)
                    .send()
                    .await
                    .map_err(unavailable)?;
                moved += 1;
            }
        }
        Ok(moved)
    }
}

#[async_trait]
impl DeliveryQueue for SqsQueue {
    async fn enqueue(&self, messages: &[DeliveryMessage]) -> Result<(), QueueError> {
        let bodies = messages
            .iter()
            .map(|m| serde_json::to_string(m).map_err(unavailable))
            .collect::<Result<Vec<_>, _>>()?;
        self.send_bodies(&self.queue_url, &bodies).await
    }
}

#[async_trait]
impl QueueConsumer for SqsQueue {
    async fn receive(
        &self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        self.receive_from(&self.queue_url, max, wait, self.receive_visibility)
            .await
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn change_visibility(&self, receipt: &str, seconds: u32) -> Result<(), QueueError> {
        VisibilityControl::change_visibility(self, receipt, seconds).await
    }
}

#[async_trait]
impl VisibilityControl for SqsQueue {
    async fn change_visibility(&self, receipt: &str, seconds: u32) -> Result<(), QueueError> {
        match self
            .client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds.min(43_200) as i32)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let code = e.as_service_error().and_then(|s| {
                    aws_sdk_sqs::error::ProvideErrorMetadata::code(s).map(str::to_string)
                });
                match code.as_deref() {
                    Some(c)
                        if c.contains("ReceiptHandleIsInvalid")
                            || c.contains("MessageNotInflight") =>
                    {
                        Err(QueueError::StaleReceipt)
                    }
                    _ => Err(unavailable(e)),
                }
            }
        }
    }
}

#[async_trait]
impl DeadLetters for SqsQueue {
    async fn depth(&self) -> Result<u64, QueueError> {
        let Some(dlq) = &self.dead_letter_url else {
            return Ok(0);
        };
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(dlq)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(unavailable)?;
        let attrs = out.attributes();
        let get = |name: QueueAttributeName| {
            attrs
                .and_then(|a| a.get(&name))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(get(QueueAttributeName::ApproximateNumberOfMessages)
            + get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
    }

    /// `StartMessageMoveTask` where the endpoint has it (AWS, LocalStack); receive-and-resend
    /// otherwise (moto answers the move task with an error).
    async fn redrive(&self, max: usize) -> Result<u64, QueueError> {
        let Some(dlq) = self.dead_letter_url.clone() else {
            return Ok(0);
        };
        let waiting = self.depth().await?;
        if waiting == 0 {
            return Ok(0);
        }
        let (source, destination) = (self.arn(&dlq).await?, self.arn(&self.queue_url).await?);
        let task = self
            .client
            .start_message_move_task()
            .source_arn(source)
            .destination_arn(destination)
            .send()
            .await;
        match task {
            Ok(_) => {
                tracing::info!(
                    waiting,
                    "dead-letter redrive started as a message move task"
                );
                Ok(waiting.min(max as u64))
            }
            Err(e) => {
                tracing::info!(error = ?e.as_service_error().map(|s| aws_sdk_sqs::error::ProvideErrorMetadata::code(s).map(str::to_string)),
                    "message move task unavailable; redriving by receive-and-resend");
                self.redrive_by_hand(&dlq, max).await
            }
        }
    }
}
