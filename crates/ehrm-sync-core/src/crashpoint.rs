//! Named points where a test can make the process abort, to prove that a crash between any two
//! steps loses nothing.
//!
//! `EHRM_SYNC_CRASH_AT=<name>` aborts the process (no unwinding, no clean shutdown) the
//! `EHRM_SYNC_CRASH_AFTER`-th time (default 1st) the named point is reached. Unset, a
//! crashpoint costs one atomic load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

struct Plan {
    name: String,
    after: u64,
    hits: AtomicU64,
}

fn plan() -> Option<&'static Plan> {
    static PLAN: OnceLock<Option<Plan>> = OnceLock::new();
    PLAN.get_or_init(|| {
        let name = std::env::var("EHRM_SYNC_CRASH_AT").ok()?;
        let after = std::env::var("EHRM_SYNC_CRASH_AFTER")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        Some(Plan {
            name,
            after,
            hits: AtomicU64::new(0),
        })
    })
    .as_ref()
}

/// Aborts the process here if a test asked for it.
pub fn crashpoint(name: &str) {
    if let Some(p) = plan()
        && p.name == name
        && p.hits.fetch_add(1, Ordering::SeqCst) + 1 >= p.after
    {
        eprintln!("crashpoint {name}: aborting as requested by EHRM_SYNC_CRASH_AT");
        std::process::abort();
    }
}

/// Every crashpoint in the code, for tests that iterate over them.
pub const ALL: &[&str] = &[
    "ingest.after_store_before_queue",
    "deliver.after_lease",
    "deliver.after_bkn_before_store",
    "deliver.after_store_before_ack",
    "worker.before_delete",
];
