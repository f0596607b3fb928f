//! The `ehrm-sync` command line: one binary that runs every part on one machine.
//!
//! * `serve` — webhook and status endpoints, delivery workers and sweeper on the embedded store;
//! * `demo` — the whole push path against an in-process SIASN simulator with faults on;
//! * `status` — what the store holds, for operators;
//! * `reconcile` — compare eHRM with BKN, repair, report ([`reconcile`]);
//! * `sim` — the SIASN and eHRM simulators, discrepancies injectable ([`simcmd`]);
//! * `bench` — load commands for the figures in the README.
//!
//! [`events`] builds signed eHRM webhooks (used by the demo, the benches and the tests).

pub mod bench;
pub mod bench_drain;
pub mod bench_reconcile;
pub mod cli;
pub mod demo;
pub mod events;
pub mod logging;
pub mod reconcile;
pub mod simcmd;
pub mod status;
