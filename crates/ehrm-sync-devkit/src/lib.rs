//! The development kit of ehrm-sync: what the demo, the load commands and the tests share.
//!
//! * [`world`] — the simulated worlds: the SIASN and eHRM simulators on one population (with
//!   discrepancies injected) and the environment that points a runtime at them;
//! * [`events`] — signed eHRM webhooks, as eHRM sends them;
//! * [`positions`] — riwayat jabatan events and SK documents;
//! * [`demo`] — `ehrm-sync demo`: plan a stream of changes, run it against a faulty BKN, check
//!   the invariants, print the report;
//! * [`bench`](mod@bench) — the load commands behind the figures of `docs/performance.md`;
//! * [`sim`] — `ehrm-sync sim`: both simulators as long-running servers;
//! * [`net`] — loopback helpers.
//!
//! May depend on every library crate of the workspace and on the simulators; must not depend on
//! the AWS adapters (the demo builds without the AWS SDK) and is never part of a Lambda.

pub mod bench;
pub mod demo;
pub mod events;
pub mod net;
pub mod positions;
pub mod sim;
pub mod world;
