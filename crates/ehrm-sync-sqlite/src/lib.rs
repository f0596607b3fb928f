//! The embedded store and queue: everything ehrm-sync keeps, in one SQLite file.
//!
//! * WAL journal, `synchronous=FULL`: a commit is on disk before any caller hears "done", so a
//!   `2xx` to eHRM means the change survives a crash or power cut.
//! * One writer thread owns the connection and runs every operation. Operations that arrive
//!   together share one transaction and one fsync (group commit); each runs in its own
//!   savepoint, so one failing operation does not undo its neighbours.
//! * The queue has SQS's semantics (visibility timeout, receive count, a dead-letter table after
//!   the maximum receives, delete by receipt), so the deliver logic runs unchanged on SQS.
//!
//! Tables: `idempotency`, `records` (with partial indexes for "due" and by status),
//! `change_log`, `attempts`, `guards`, `pns_ids`, `queue_messages`, `dead_letters`,
//! `riwayat_lists`, `rate_state`, `controls`, `events`, `callbacks`, `reconcile_rows`, `reconcile_runs`,
//! `finding_marks`, `series`.
//!
//! Retention (`retention`): one statement per table removes what has outlived its class's
//! retention, never what correctness needs.
//!
//! Implements the core ports; depends on the core and the domain, never on AWS or HTTP.

mod actor;
mod callbacks;
mod console;
mod control;
mod gate;
mod queue;
mod reconcile;
mod retention;
mod schema;
mod store;
mod subject;

pub use queue::{QueueOptions, SqliteQueue};
pub use store::SqliteStore;
