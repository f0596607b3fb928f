//! Helpers shared by the integration tests: a [`harness::Harness`] (SIASN simulator + `serve`
//! on a temporary store + a signed sender) and the store/queue [`contract`] suite that every
//! backend must pass.

pub mod aws;
pub mod chaos;
pub mod console;
pub mod contract;
pub mod harness;
pub mod patience;
