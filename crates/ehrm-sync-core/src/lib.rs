//! The application layer of ehrm-sync: what happens to a change from webhook to BKN, and the
//! long runs that compare both sides, written once against narrow ports ([`ports`]) so that the
//! embedded store and queue and the AWS adapters run exactly the same logic.
//!
//! * [`ports`] — the traits and the data crossing them; the floor: it imports nothing else of
//!   this crate.
//! * [`ingest`] — verify, validate, record durably and idempotently, queue.
//! * [`deliver`] — lease a record, push its latest version to BKN, classify the outcome.
//! * [`settle`] — what becomes of a delivery message after an attempt (delete, hide, hand over).
//! * [`sweep`] — re-queue records that are due but have no message in flight.
//! * [`replay`] — dead or failed records given another go, by status and time window.
//! * [`callbacks`] — outcome callbacks to eHRM, written to an outbox and sent by their own loop.
//! * [`job`] — the engine of long runs: one open run, its lease, checkpoints, halts, resuming,
//!   guarded reads.
//! * [`reconcile`] — reconciliation runs (a job): cohort, reads within the rate budget,
//!   repairs, report.
//! * [`readiness`] — promotion and retirement readiness runs (a job).
//! * [`repair`] — what long runs repair themselves: records queued through delivery, callbacks.
//! * [`tables`] — what workbooks show, as tables of cells.
//! * [`unor_map`] — eHRM's units and their SIASN UNOR ids, refreshed on a schedule, read by
//!   ingest and delivery of riwayat jabatan.
//! * [`people`] — eHRM's employees and units by name, read with the unit map, for the console
//!   and the workbooks.
//! * [`told`] — how eHRM is told about a record (the status answer and the callbacks share it).
//! * [`pacer`] — waiting for each BKN call's slot in the shared schedule.
//! * [`breaker`] — the circuit breaker on BKN, shared by every worker through the store.
//! * [`sso`] — the SSO login's shared status: pastes, waits, renewal turns, and the watch that
//!   warns before it ends.
//! * [`write_guard`] — the lease check immediately before a write leaves for BKN.
//! * [`retention`] — how long each class of personal data is kept, and the purge.
//! * [`retry`] — one way to try again (schedules from the domain's backoff).
//! * [`subject`] — one person's report (what is held, what was done with it) and erasure.
//! * [`status`] — the overview operators read (`ehrm-sync status`, the console).
//! * [`config`] — environment variables, read the same way by the binary and the Lambdas.
//! * [`clock`], [`ids`], [`metrics`], [`crashpoint`] — the machine's clock, random tokens,
//!   metric sinks without AWS, named points where tests abort the process.
//! * [`memory`] — a control store in one process's memory (tools and tests).
//!
//! Depends on the domain and the webhook signatures only; must not know HTTP, SQLite, Excel or
//! AWS. Adapters implement the ports; entry points (local runtime, Lambda handlers) wire them.

pub mod breaker;
pub mod callbacks;
pub mod clock;
pub mod config;
pub mod crashpoint;
pub mod deliver;
pub mod ids;
pub mod ingest;
pub mod job;
pub mod memory;
pub mod metrics;
pub mod pacer;
pub mod people;
pub mod ports;
pub mod readiness;
pub mod reconcile;
pub mod repair;
pub mod replay;
pub mod retention;
pub mod retry;
pub mod settle;
pub mod sso;
pub mod status;
pub mod subject;
pub mod sweep;
pub mod tables;
#[cfg(test)]
mod test_support;
pub mod told;
pub mod unor_map;
pub mod write_guard;

pub use ehrm_sync_domain as domain;
