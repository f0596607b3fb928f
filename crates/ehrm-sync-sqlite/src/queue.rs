//! The embedded queue, with SQS's semantics: a received message is hidden for the visibility
//! timeout and comes back unless deleted; each receive counts; a message received more than
//! `max_receives` times moves to the dead-letter table instead of being delivered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rusqlite::params;
use tokio::sync::Notify;

use ehrm_sync_core::ports::{
    DeadLetters, DeliveryMessage, DeliveryQueue, QueueConsumer, QueueError, ReceivedMessage,
    StoreError, VisibilityControl,
};

use crate::store::{SqliteStore, db_err};

#[derive(Clone, Debug)]
pub struct QueueOptions {
    pub name: String,
    /// How long a received message stays hidden.
    pub visibility_secs: u32,
    /// Receives before a message moves to the dead-letter table (SQS `maxReceiveCount`).
    pub max_receives: u32,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            name: "delivery".into(),
            visibility_secs: 120,
            max_receives: 25,
        }
    }
}

/// Counts for operators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub visible: u64,
    pub in_flight: u64,
    pub dead: u64,
    pub oldest_sent_at: Option<i64>,
}

#[derive(Clone)]
pub struct SqliteQueue {
    store: SqliteStore,
    options: QueueOptions,
    notify: Arc<Notify>,
}

fn unavailable(e: StoreError) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

fn random_id() -> String {
    format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

impl SqliteQueue {
    pub(crate) fn new(store: SqliteStore, options: QueueOptions) -> Self {
        SqliteQueue {
            store,
            options,
            notify: Arc::new(Notify::new()),
        }
    }

    pub fn options(&self) -> &QueueOptions {
        &self.options
    }

    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        let queue = self.options.name.clone();
        let now = self.store.clock.now_ms();
        self.store
            .actor
            .call(move |c| {
                let (visible, in_flight, oldest): (i64, i64, Option<i64>) = c
                    .query_row(
                        "SELECT COALESCE(SUM(visible_at <= ?2), 0), COALESCE(SUM(visible_at > ?2), 0), MIN(sent_at)
                         FROM queue_messages WHERE queue = ?1",
                        params![queue, now],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .map_err(db_err)?;
                let dead: i64 = c
                    .query_row("SELECT COUNT(*) FROM dead_letters WHERE queue = ?1", params![queue], |r| r.get(0))
                    .map_err(db_err)?;
                Ok(QueueStats {
                    visible: visible as u64,
                    in_flight: in_flight as u64,
                    dead: dead as u64,
                    oldest_sent_at: oldest,
                })
            })
            .await
            .map_err(unavailable)
    }

    async fn claim(&self, max: usize) -> Result<Vec<ReceivedMessage>, QueueError> {
        let queue = self.options.name.clone();
        let now = self.store.clock.now_ms();
        let visibility_ms = i64::from(self.options.visibility_secs) * 1000;
        let max_receives = i64::from(self.options.max_receives);
        self.store
            .actor
            .call(move |c| {
                let candidates: Vec<(i64, String, String, i64, i64)> = {
                    let mut stmt = c
                        .prepare_cached(
                            "SELECT id, message_id, body, receive_count, sent_at FROM queue_messages
                             WHERE queue = ?1 AND visible_at <= ?2 ORDER BY visible_at, id LIMIT ?3",
                        )
                        .map_err(db_err)?;
                    let rows = stmt
                        .query_map(params![queue, now, max as i64], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                        })
                        .map_err(db_err)?;
                    rows.collect::<Result<_, _>>().map_err(db_err)?
                };
                let mut out = Vec::new();
                for (id, message_id, body, count, sent_at) in candidates {
                    if count >= max_receives {
                        c.execute(
                            "INSERT INTO dead_letters (queue, message_id, body, sent_at, moved_at, receive_count)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![queue, message_id, body, sent_at, now, count],
                        )
                        .map_err(db_err)?;
                        c.execute("DELETE FROM queue_messages WHERE id = ?1", params![id])
                            .map_err(db_err)?;
                        tracing::warn!(message_id = %message_id, receives = count, "message moved to the dead-letter table");
                        continue;
                    }
                    let receipt = random_id();
                    c.execute(
                        "UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = ?2, receipt = ?3
                         WHERE id = ?1",
                        params![id, now + visibility_ms, receipt],
                    )
                    .map_err(db_err)?;
                    out.push(ReceivedMessage {
                        message_id,
                        receipt,
                        body,
                        receive_count: (count + 1) as u32,
                    });
                }
                Ok(out)
            })
            .await
            .map_err(unavailable)
    }
}

#[async_trait]
impl DeliveryQueue for SqliteQueue {
    async fn enqueue(&self, messages: &[DeliveryMessage]) -> Result<(), QueueError> {
        let bodies: Vec<String> = messages
            .iter()
            .map(|m| serde_json::to_string(m).map_err(|e| QueueError::Unavailable(e.to_string())))
            .collect::<Result<_, _>>()?;
        let queue = self.options.name.clone();
        let now = self.store.clock.now_ms();
        self.store
            .actor
            .call(move |c| {
                for body in bodies {
                    c.execute(
                        "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at)
                         VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![queue, random_id(), body, now],
                    )
                    .map_err(db_err)?;
                }
                Ok(())
            })
            .await
            .map_err(unavailable)?;
        self.notify.notify_waiters();
        Ok(())
    }
}

#[async_trait]
impl QueueConsumer for SqliteQueue {
    async fn receive(
        &self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.notify.notified();
            let got = self.claim(max).await?;
            let left = deadline.saturating_duration_since(Instant::now());
            if !got.is_empty() || left.is_zero() {
                return Ok(got);
            }
            // Another process may enqueue into the same file: poll as well as listen.
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(left.min(Duration::from_millis(100))) => {}
            }
        }
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        let receipt = receipt.to_string();
        self.store
            .actor
            .call(move |c| {
                c.execute(
                    "DELETE FROM queue_messages WHERE receipt = ?1",
                    params![receipt],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
            .map_err(unavailable)
    }

    async fn change_visibility(&self, receipt: &str, seconds: u32) -> Result<(), QueueError> {
        let receipt = receipt.to_string();
        let now = self.store.clock.now_ms();
        let changed = self
            .store
            .actor
            .call(move |c| {
                c.execute(
                    "UPDATE queue_messages SET visible_at = ?2 WHERE receipt = ?1",
                    params![receipt, now + i64::from(seconds) * 1000],
                )
                .map_err(db_err)
            })
            .await
            .map_err(unavailable)?;
        if changed == 0 {
            return Err(QueueError::StaleReceipt);
        }
        self.notify.notify_waiters();
        Ok(())
    }
}

#[async_trait]
impl VisibilityControl for SqliteQueue {
    async fn change_visibility(&self, receipt: &str, seconds: u32) -> Result<(), QueueError> {
        QueueConsumer::change_visibility(self, receipt, seconds).await
    }
}

#[async_trait]
impl DeadLetters for SqliteQueue {
    async fn depth(&self) -> Result<u64, QueueError> {
        Ok(self.stats().await?.dead)
    }

    async fn redrive(&self, max: usize) -> Result<u64, QueueError> {
        let queue = self.options.name.clone();
        let now = self.store.clock.now_ms();
        let moved = self
            .store
            .actor
            .call(move |c| {
                let ids: Vec<i64> = {
                    let mut stmt = c
                        .prepare_cached(
                            "SELECT id FROM dead_letters WHERE queue = ?1 ORDER BY id LIMIT ?2",
                        )
                        .map_err(db_err)?;
                    let rows = stmt
                        .query_map(params![queue, max as i64], |r| r.get(0))
                        .map_err(db_err)?;
                    rows.collect::<Result<_, _>>().map_err(db_err)?
                };
                for id in &ids {
                    c.execute(
                        "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at)
                         SELECT queue, message_id, body, ?2, ?2 FROM dead_letters WHERE id = ?1",
                        params![id, now],
                    )
                    .map_err(db_err)?;
                    c.execute("DELETE FROM dead_letters WHERE id = ?1", params![id])
                        .map_err(db_err)?;
                }
                Ok(ids.len() as u64)
            })
            .await
            .map_err(unavailable)?;
        if moved > 0 {
            self.notify.notify_waiters();
        }
        Ok(moved)
    }
}
