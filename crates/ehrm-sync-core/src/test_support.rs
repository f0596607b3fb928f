//! Stand-ins for the unit tests of this crate: a clock set by hand, and the in-memory control
//! store.

use std::sync::Mutex;

use crate::ports::Clock;

pub struct FakeClock(pub Mutex<i64>);

impl FakeClock {
    pub fn at(ms: i64) -> Self {
        FakeClock(Mutex::new(ms))
    }

    pub fn advance(&self, ms: i64) {
        if let Ok(mut t) = self.0.lock() {
            *t += ms;
        }
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> i64 {
        self.0.lock().map(|t| *t).unwrap_or(0)
    }

    fn sleep_ms(
        &self,
        ms: i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.advance(ms.max(0));
        Box::pin(async {})
    }
}

pub use crate::memory::MemoryControls as MemControls;
