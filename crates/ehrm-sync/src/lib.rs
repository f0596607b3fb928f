//! The `ehrm-sync` command line: one binary that runs every part on one machine.
//!
//! * `serve` — webhook and status endpoints, delivery workers and sweeper on the embedded store;
//! * `status`, `redrive`, `replay` — what the store holds and operators' actions ([`status`]);
//! * `reconcile` — compare eHRM with BKN, repair, report ([`reconcile`]);
//! * `demo`, `sim`, `bench` — the development kit's commands (`ehrm-sync-devkit`).
//!
//! May depend on every library crate; the AWS adapters only behind the `aws` feature (on by
//! default), so that `--no-default-features` builds the local product without the AWS SDK.

pub mod cli;
pub mod logging;
pub mod reconcile;
pub mod status;
