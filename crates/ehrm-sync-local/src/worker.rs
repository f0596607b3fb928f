//! A delivery worker: receive, process, then delete the message or hide it until its record's
//! next attempt — the local counterpart of SQS + the deliver Lambda.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use ehrm_sync_core::crashpoint::crashpoint;
use ehrm_sync_core::deliver::{DeliveryService, Disposition};
use ehrm_sync_core::ports::{DeliveryMessage, QueueConsumer, ReceivedMessage};
use ehrm_sync_core::retry::backoff_ms;
use ehrm_sync_domain::backoff::MAX_DELAY_MS;

/// What happened to one received message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerReport {
    Deleted,
    Hidden {
        seconds: u32,
    },
    /// The store failed: the message comes back after its visibility timeout.
    LeftForRedelivery,
}

/// Seconds to hide a message for a wait in milliseconds (rounded up, within SQS's limit).
pub fn visibility_seconds(ms: i64) -> u32 {
    (ms.clamp(0, MAX_DELAY_MS) as u64).div_ceil(1000) as u32
}

/// Processes one received message and settles it with the queue.
pub async fn process_received(
    delivery: &DeliveryService,
    queue: &dyn QueueConsumer,
    msg: &ReceivedMessage,
) -> WorkerReport {
    let parsed: Result<DeliveryMessage, _> = serde_json::from_str(&msg.body);
    let Ok(delivery_msg) = parsed else {
        // As on SQS: left to come back until its receives are used up, then it sits in the
        // dead-letter table for an operator to look at.
        tracing::error!(message_id = %msg.message_id, receives = msg.receive_count,
            "unreadable delivery message; it will move to the dead letters");
        let _ = queue.change_visibility(&msg.receipt, 1).await;
        return WorkerReport::Hidden { seconds: 1 };
    };
    match delivery.process(&delivery_msg, None).await {
        Ok(Disposition::Done) => {
            crashpoint("worker.before_delete");
            if let Err(e) = queue.delete(&msg.receipt).await {
                tracing::warn!(error = %e, "message not deleted; it will be seen again and found settled");
            }
            WorkerReport::Deleted
        }
        Ok(Disposition::RetryIn { ms }) => {
            let seconds = visibility_seconds(ms);
            if let Err(e) = queue.change_visibility(&msg.receipt, seconds).await {
                tracing::warn!(error = %e, "visibility not changed; the message returns after its timeout");
            }
            WorkerReport::Hidden { seconds }
        }
        Err(e) => {
            // The same backoff as on Lambda: by how often the message has been received.
            let wait = backoff_ms(&delivery.settings().retry, msg.receive_count);
            tracing::warn!(error = %e, record = %delivery_msg.key.masked(), wait_ms = wait, "delivery interrupted by the store; retried on redelivery");
            let _ = queue
                .change_visibility(&msg.receipt, visibility_seconds(wait))
                .await;
            WorkerReport::LeftForRedelivery
        }
    }
}

pub(crate) async fn run(
    id: usize,
    delivery: Arc<DeliveryService>,
    queue: Arc<dyn QueueConsumer>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let received = tokio::select! {
            r = queue.receive(1, Duration::from_secs(1)) => r,
            _ = stop.changed() => return,
        };
        match received {
            Ok(messages) => {
                for msg in &messages {
                    process_received(&delivery, queue.as_ref(), msg).await;
                }
            }
            Err(e) => {
                tracing::warn!(worker = id, error = %e, "queue unavailable; waiting");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_rounds_up_and_is_capped() {
        assert_eq!(visibility_seconds(0), 0);
        assert_eq!(visibility_seconds(1), 1);
        assert_eq!(visibility_seconds(1_000), 1);
        assert_eq!(visibility_seconds(1_001), 2);
        assert_eq!(visibility_seconds(-5), 0);
        assert_eq!(visibility_seconds(i64::MAX), 43_200);
    }
}
