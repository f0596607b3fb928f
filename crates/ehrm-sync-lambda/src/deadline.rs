//! The invocation's deadline, read the same way by every handler.

use ehrm_sync_domain::record::Millis;

/// Lambda runs an invocation for at most 15 minutes; a minute more allows for clock skew.
pub const MAX_INVOCATION_MS: i64 = 16 * 60 * 1000;

/// The deadline if it is one a real Lambda could give (after now, at most [`MAX_INVOCATION_MS`]
/// ahead). Local emulators send 0 or a bare timeout: that means "unknown", not "expired", and
/// the handler then works without a deadline.
pub fn plausible(deadline: Option<i64>, now: Millis) -> Option<Millis> {
    deadline.filter(|d| *d > now && *d <= now + MAX_INVOCATION_MS)
}

/// The runtime's deadline (ms since the epoch, as `lambda_runtime::Context::deadline` gives it),
/// checked against the system clock.
pub fn from_context(deadline_ms: u64) -> Option<Millis> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    plausible(i64::try_from(deadline_ms).ok(), now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deadlines_a_lambda_could_give_are_kept() {
        let now = 1_000_000_000;
        assert_eq!(plausible(Some(now + 60_000), now), Some(now + 60_000));
        assert_eq!(
            plausible(Some(now + MAX_INVOCATION_MS), now),
            Some(now + MAX_INVOCATION_MS)
        );
        assert_eq!(plausible(Some(0), now), None);
        assert_eq!(plausible(Some(now - 1), now), None);
        assert_eq!(plausible(Some(now + 3_600_000), now), None);
        assert_eq!(plausible(None, now), None);
    }
}
