//! Time as the services see it: the machine's clock ([`SystemClock`]); Jakarta's dates and
//! times are the domain's ([`ehrm_sync_domain::dates`]), re-exported here.

use std::time::{SystemTime, UNIX_EPOCH};

pub use ehrm_sync_domain::dates::{WIB, format_ms, jakarta_date, parse_time};

use crate::ports::Clock;

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}
