//! The tests that need nothing but this machine: the embedded store and queue, the simulators,
//! the real `ehrm-sync` binary. One test binary (one link) for all of them; each module is one
//! subject.

mod audit_cli;
mod bkn_budget;
mod bkn_client;
mod bkn_wire;
mod config_errors;
mod console;
mod contract_sqlite;
mod crash;
mod hostile;
mod hostile_bkn;
mod ingest_http;
mod jabatan;
mod log_privacy;
mod openapi;
mod push_e2e;
mod readiness;
mod reconcile;
mod resilience;
mod retention;
mod scheduled_budget;
mod sso;
mod sso_secrecy;
mod subject;
