//! The business rules of ehrm-sync, free of I/O and of AWS.
//!
//! * [`nip`] — the 18-digit civil-servant number (PNS and PPPK layouts).
//! * [`kinerja`] — performance records (annual SKP 2022 and periodic evaluations), their codes
//!   and the PermenPANRB 6/2022 predikat matrix.
//! * [`jabatan`] — riwayat jabatan (position history) and its SK document.
//! * [`envelope`] — the eHRM change webhook body, validated with every broken rule reported.
//! * [`record`] — the sync record of one eHRM record and its state machine.
//! * [`reconcile`] — reconciliation: both sides normalised, compared, discrepancies and the report.
//! * [`codes`] — golongan and eselon codes in both notations.
//! * [`backoff`] — the retry schedule (exponential, jittered, capped).
//! * [`rate`] — the shared BKN call schedule and its adaptive rate (AIMD), as pure functions.
//! * [`sso`] — the SSO login to BKN: its four kinds, when it ends, why BKN work waits.
//!
//! Everything here is deterministic: time and randomness come in as arguments.
//!
//! Depends on nothing of the workspace and must not: no I/O, no async, no AWS.

pub mod backoff;
pub mod codes;
pub mod dates;
pub mod envelope;
pub mod jabatan;
pub mod kinerja;
pub mod nip;
pub mod rate;
pub mod readiness;
pub mod reconcile;
pub mod record;
pub mod sso;
pub mod violation;

pub use violation::Violation;
