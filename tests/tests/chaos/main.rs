//! Chaos: thousands of changes through every fault at once, workers killed at random
//! crashpoints, on the embedded store and on AWS's shapes. Each run loads the whole machine, so
//! they take turns ([`ONE_AT_A_TIME`]) rather than share the cores.

mod chaos_aws;
mod chaos_local;

/// Held for the whole of a chaos run.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
