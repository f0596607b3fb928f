//! Time and waiting, injected so that tests can control both.

use std::time::Duration;

use ehrm_sync_domain::record::Millis;

/// Current time, and waiting.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> Millis;

    /// Waits `ms` (nothing for zero or less). A test clock may advance itself instead.
    fn sleep_ms(
        &self,
        ms: i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            }
        })
    }
}
