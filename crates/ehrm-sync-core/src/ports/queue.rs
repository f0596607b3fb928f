//! The delivery queue (SQS semantics: visibility timeout, receive count, dead letters): what a
//! message carries, the producing and consuming sides, and the dead letters.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::record::RecordKey;

/// The body of a delivery message: only the record key and the version that triggered it. The
/// store holds the truth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub key: RecordKey,
    pub version: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is unavailable: {0}")]
    Unavailable(String),
    #[error("the receipt handle is no longer valid")]
    StaleReceipt,
}

#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    async fn enqueue(&self, messages: &[DeliveryMessage]) -> Result<(), QueueError>;
}

/// A received message, SQS style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt: String,
    pub body: String,
    pub receive_count: u32,
}

/// The consuming side of the queue, for processes that poll (the local runtime, redrive).
#[async_trait]
pub trait QueueConsumer: Send + Sync {
    async fn receive(&self, max: usize, wait: Duration)
    -> Result<Vec<ReceivedMessage>, QueueError>;
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;
    async fn change_visibility(&self, receipt: &str, seconds: u32) -> Result<(), QueueError>;
}

/// Visibility changes from inside a message handler (SQS: `ChangeMessageVisibility`).
#[async_trait]
pub trait VisibilityControl: Send + Sync {
    async fn change_visibility(&self, receipt: &str, seconds: u32) -> Result<(), QueueError>;
}

/// The dead-letter side: how deep it is, and moving messages back.
#[async_trait]
pub trait DeadLetters: Send + Sync {
    async fn depth(&self) -> Result<u64, QueueError>;
    /// Moves up to `max` messages back to the delivery queue; returns how many moved.
    async fn redrive(&self, max: usize) -> Result<u64, QueueError>;
}
