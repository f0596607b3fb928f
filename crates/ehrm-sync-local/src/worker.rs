//! A delivery worker: receive, process, then delete the message or hide it until its record's
//! next attempt — the local counterpart of SQS + the deliver Lambda.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use ehrm_sync_core::crashpoint::crashpoint;
use ehrm_sync_core::deliver::{DeliveryService, Disposition};
use ehrm_sync_core::ports::{DeliveryMessage, QueueConsumer, ReceivedMessage};
use ehrm_sync_core::retry::backoff_ms;
use ehrm_sync_core::settle::{Settle, SettlePolicy};

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

/// Processes one received message and settles it with the queue: waits follow the
/// [`SettlePolicy`], so a long wait never walks a message into the dead letters.
pub async fn process_received(
    delivery: &DeliveryService,
    queue: &dyn QueueConsumer,
    policy: &SettlePolicy,
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
        Ok(Disposition::Done) => delete(queue, msg).await,
        Ok(Disposition::RetryIn { ms }) => match policy.after_wait(ms, msg.receive_count) {
            Settle::Delete => delete(queue, msg).await,
            Settle::Hide { seconds } => {
                if let Err(e) = queue.change_visibility(&msg.receipt, seconds).await {
                    tracing::warn!(error = %e, "visibility not changed; the message returns after its timeout");
                }
                WorkerReport::Hidden { seconds }
            }
        },
        Err(e) => {
            // The same backoff as on Lambda: by how often the message has been received.
            let wait = backoff_ms(&delivery.settings().retry, msg.receive_count);
            tracing::warn!(error = %e, record = %delivery_msg.key.masked(), wait_ms = wait, "delivery interrupted by the store; retried on redelivery");
            match policy.after_wait(wait, msg.receive_count) {
                Settle::Delete => delete(queue, msg).await,
                Settle::Hide { seconds } => {
                    let _ = queue.change_visibility(&msg.receipt, seconds).await;
                    WorkerReport::LeftForRedelivery
                }
            }
        }
    }
}

async fn delete(queue: &dyn QueueConsumer, msg: &ReceivedMessage) -> WorkerReport {
    crashpoint("worker.before_delete");
    if let Err(e) = queue.delete(&msg.receipt).await {
        tracing::warn!(error = %e, "message not deleted; it will be seen again and found settled");
    }
    WorkerReport::Deleted
}

pub(crate) async fn run(
    id: usize,
    delivery: Arc<DeliveryService>,
    queue: Arc<dyn QueueConsumer>,
    policy: SettlePolicy,
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
                    process_received(&delivery, queue.as_ref(), &policy, msg).await;
                }
            }
            Err(e) => {
                tracing::warn!(worker = id, error = %e, "queue unavailable; waiting");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}
