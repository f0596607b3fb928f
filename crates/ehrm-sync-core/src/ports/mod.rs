//! The narrow traits the services are written against, and the data that crosses them. This
//! is the floor of the application layer: nothing here imports from the rest of the crate (only
//! from the domain), so every service and every adapter can depend on it without a circle.
//! Adapters implement the ports: the embedded SQLite store and queue, DynamoDB, SQS and S3, the
//! BKN SIASN and eHRM HTTP clients, the Excel writer; entry points wire them.
//!
//! One file per family:
//! * [`clock`] — time and waiting;
//! * [`store`] — sync records, idempotency, attempts, PNS ids, remembered riwayat lists;
//! * [`queue`] — the delivery queue and its dead letters;
//! * [`bkn`] — BKN SIASN: the push path's calls, the write guard, the rate gate and pacer,
//!   reconciliation's and the readiness check's reads;
//! * [`ehrm`] — eHRM: its read API, outcome callbacks and their outbox;
//! * [`control`] — small shared documents (checkpoints, breaker, sessions), event streams;
//! * [`runs`] — reconciliation runs, their rows and summaries, report files and workbooks;
//! * [`launch`] — starting long runs from the console;
//! * [`observe`] — metrics, chart series, follow-up marks of findings;
//! * [`sso`] — the vault of BKN SSO tokens;
//! * [`retention`] — removing what has outlived its retention;
//! * [`subject`] — one person's history, and its erasure.

pub mod bkn;
pub mod clock;
pub mod control;
pub mod ehrm;
pub mod launch;
pub mod observe;
pub mod queue;
pub mod retention;
pub mod runs;
pub mod sso;
pub mod store;
pub mod subject;

pub use bkn::*;
pub use clock::*;
pub use control::*;
pub use ehrm::*;
pub use launch::*;
pub use observe::*;
pub use queue::*;
pub use retention::*;
pub use runs::*;
pub use sso::*;
pub use store::*;
pub use subject::*;
