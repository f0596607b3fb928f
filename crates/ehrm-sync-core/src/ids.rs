//! Random tokens: a delivery lease, a breaker probe, a run's lease, a run id's suffix.

/// 32 hex characters of randomness.
pub fn new_token() -> String {
    format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}
