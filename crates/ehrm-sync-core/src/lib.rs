//! The application layer of ehrm-sync: what happens to a change from webhook to BKN, written
//! once against narrow ports ([`ports`]) so the embedded store and queue and the AWS adapters
//! run exactly the same logic.
//!
//! * [`ingest`] — verify, validate, record durably and idempotently, queue.
//! * [`deliver`] — lease a record, push its latest version to BKN, classify the outcome.
//! * [`sweep`] — re-queue records that are due but have no message in flight.
//! * [`callbacks`] — outcome callbacks to eHRM, through an outbox ([`outbox`]).
//! * [`reconcile`] — reconciliation runs: cohort, reads within the rate budget, repairs, report.
//! * [`replay`] — dead or failed records given another go, by status and time window.
//! * [`pacer`] — the global BKN call rate, shared by every worker through the store.
//! * [`breaker`] — the circuit breaker on BKN, shared by every worker through the store.
//! * [`config`] — environment variables, read the same way by the binary and the Lambdas.
//! * [`followup`], [`series`], [`search`] — what the console reads: follow-up marks of
//!   findings, chart series written as things happen, records found by BKN's message.
//!
//! Depends on the domain and the webhook signatures only; must not know HTTP, SQLite or AWS.
//! Adapters implement the ports; entry points (local runtime, Lambda handlers) wire them.

pub mod breaker;
pub mod callbacks;
pub mod clock;
pub mod config;
pub mod crashpoint;
pub mod deliver;
pub mod followup;
pub mod ingest;
pub mod metrics;
pub mod outbox;
pub mod pacer;
pub mod ports;
pub mod readiness;
pub mod reconcile;
pub mod replay;
pub mod retry;
pub mod riwayat;
pub mod search;
pub mod series;
pub mod settle;
pub mod status;
pub mod sweep;
pub mod write_guard;

pub use ehrm_sync_domain as domain;
