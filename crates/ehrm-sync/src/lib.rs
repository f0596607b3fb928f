//! The `ehrm-sync` command line: one binary that runs every part on one machine.
//!
//! * `serve` — webhook and status endpoints, delivery workers and sweeper on the embedded store;
//! * `status`, `redrive`, `replay` — what the store holds and operators' actions ([`status`]);
//! * `reconcile` — compare eHRM with BKN, repair, report ([`reconcile`]);
//! * `readiness` — the promotion and retirement readiness check ([`readiness`]);
//! * `bkn-token` — the BKN SSO token from a shell ([`bkn_token`]);
//! * `audit` — who saw, downloaded or changed what, when ([`audit`]);
//! * `purge` — what has outlived its retention removed ([`purge`]);
//! * `subject-report`, `forget` — one person's data and its history; its erasure ([`subject`]);
//! * what both long-run commands share: Ctrl-C and the exit codes ([`jobs`]);
//! * `demo`, `sim`, `bench` — the development kit's commands (`ehrm-sync-devkit`).
//!
//! May depend on every library crate; the AWS adapters only behind the `aws` feature (off by
//! default: `cargo run` builds the local product without any AWS SDK crate; `--features aws` adds
//! `status`, `redrive` and `replay --aws`).

pub mod audit;
pub mod bkn_token;
pub mod cli;
pub mod jobs;
pub mod logging;
pub mod purge;
pub mod readiness;
pub mod reconcile;
pub mod status;
pub mod subject;
