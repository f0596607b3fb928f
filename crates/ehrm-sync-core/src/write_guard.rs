//! The last check before a write leaves for BKN: the delivery lease must still hold, with room
//! for the request to finish. The BKN client asks it after token renewal and the rate gate's
//! wait — immediately before sending — so no write can reach BKN after the lease has passed to
//! another worker (older over newer, or a second create).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ehrm_sync_domain::record::Millis;

use crate::ports::{BknError, Clock, WriteGuard};

/// A delivery lease held until `until`; a write needs `margin_ms` of it left.
pub struct LeaseGuard {
    clock: Arc<dyn Clock>,
    until: Millis,
    margin_ms: i64,
    refused: AtomicBool,
}

impl LeaseGuard {
    pub fn new(clock: Arc<dyn Clock>, until: Millis, margin_ms: i64) -> Self {
        LeaseGuard {
            clock,
            until,
            margin_ms,
            refused: AtomicBool::new(false),
        }
    }

    /// Whether a write was held back (so no request was sent).
    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }
}

impl WriteGuard for LeaseGuard {
    fn check(&self) -> Result<(), BknError> {
        if self.until - self.clock.now_ms() >= self.margin_ms {
            return Ok(());
        }
        self.refused.store(true, Ordering::Relaxed);
        Err(BknError::transient(
            "the delivery lease ran too short to write safely; retrying later",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    #[test]
    fn a_lease_too_short_refuses_and_remembers() {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let now = clock.now_ms();
        let ok = LeaseGuard::new(clock.clone(), now + 60_000, 35_000);
        assert!(ok.check().is_ok());
        assert!(!ok.refused());
        let short = LeaseGuard::new(clock, now + 10_000, 35_000);
        assert!(short.check().is_err());
        assert!(short.refused());
    }
}
