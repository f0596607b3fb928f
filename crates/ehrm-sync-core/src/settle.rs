//! What becomes of a delivery message that must come back later (its record waits for its next
//! attempt, BKN's breaker is open, the store failed): hidden for the wait, or deleted.
//!
//! Every receive counts toward the queue's `maxReceiveCount`, after which the queue moves the
//! message to the dead-letter queue. Waits are not failures, so they must never spend that
//! budget down to the end: the store is the truth, and a record that is due again is found by
//! the sweeper whether or not a message exists. A short wait is held on the message (quick
//! retries stay quick) while the message has receives to spare; a long wait, or a message near
//! its limit, is deleted and the sweeper queues the record again when it is due. Only a
//! message that cannot be processed at all (an unreadable body) ever reaches the dead letters.
//! The full argument, for SQS, is in `ehrm-sync-aws/src/sqs.rs`.

use ehrm_sync_domain::backoff::MAX_DELAY_MS;

/// What to do with the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settle {
    /// Delete it: done, or the sweeper takes over the wait.
    Delete,
    /// Hide it this long; it comes back then.
    Hide { seconds: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlePolicy {
    /// The queue's receive limit (`maxReceiveCount`, `QUEUE_MAX_RECEIVES`).
    pub max_receives: u32,
    /// The longest wait held on a message (`QUEUE_HOLD_MAX_SECONDS`, default 900); longer waits
    /// are handed to the sweeper.
    pub hold_max_ms: i64,
}

impl Default for SettlePolicy {
    fn default() -> Self {
        SettlePolicy {
            max_receives: 30,
            hold_max_ms: 900_000,
        }
    }
}

impl SettlePolicy {
    /// A message received `receives` times must come back in `wait_ms`.
    pub fn after_wait(&self, wait_ms: i64, receives: u32) -> Settle {
        // One receive is always kept in reserve: the next one must still reach a worker.
        let spare = receives.saturating_add(2) <= self.max_receives;
        if spare && wait_ms <= self.hold_max_ms {
            Settle::Hide {
                seconds: visibility_seconds(wait_ms),
            }
        } else {
            Settle::Delete
        }
    }

    /// A message left unprocessed (the worker ran out of time): it returns after the queue's
    /// visibility timeout, unless that would use up its receives.
    pub fn unprocessed(&self, receives: u32) -> Settle {
        if receives.saturating_add(2) <= self.max_receives {
            Settle::Hide { seconds: 0 }
        } else {
            Settle::Delete
        }
    }
}

/// Seconds to hide a message for a wait in milliseconds (rounded up, within SQS's limit).
pub fn visibility_seconds(ms: i64) -> u32 {
    (ms.clamp(0, MAX_DELAY_MS) as u64).div_ceil(1000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_waits_are_held_long_ones_go_to_the_sweeper() {
        let p = SettlePolicy {
            max_receives: 5,
            hold_max_ms: 60_000,
        };
        assert_eq!(p.after_wait(1_500, 1), Settle::Hide { seconds: 2 });
        assert_eq!(p.after_wait(60_001, 1), Settle::Delete);
        assert_eq!(p.after_wait(1_000, 3), Settle::Hide { seconds: 1 });
        assert_eq!(
            p.after_wait(1_000, 4),
            Settle::Delete,
            "the last receive is kept"
        );
        assert_eq!(p.unprocessed(3), Settle::Hide { seconds: 0 });
        assert_eq!(p.unprocessed(4), Settle::Delete);
    }

    #[test]
    fn no_message_is_ever_hidden_into_the_dead_letters() {
        let p = SettlePolicy::default();
        // Whatever the waits, a message is deleted before its receive count could pass the limit.
        let mut receives = 0;
        for wait in [0, 1_000, 30_000, 899_000, 5_000, 1, 0, 0, 0, 0].repeat(10) {
            receives += 1;
            match p.after_wait(wait, receives) {
                Settle::Hide { .. } => assert!(receives < p.max_receives),
                Settle::Delete => break,
            }
        }
        assert!(receives < p.max_receives);
    }

    #[test]
    fn visibility_rounds_up_and_is_capped() {
        assert_eq!(visibility_seconds(0), 0);
        assert_eq!(visibility_seconds(1), 1);
        assert_eq!(visibility_seconds(1_001), 2);
        assert_eq!(visibility_seconds(-5), 0);
        assert_eq!(visibility_seconds(i64::MAX), 43_200);
    }
}
