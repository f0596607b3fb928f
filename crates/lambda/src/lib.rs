//! The Lambda side of ehrm-sync: configuration and wiring on AWS ([`wiring`]), the deliver
//! handler ([`deliver`]) and the ingest router ([`ingest`]). The binaries in `functions/` build
//! these once in `main` and hand them to the Lambda runtime; tests call them with the event JSON
//! Lambda sends.

pub mod deliver;
pub mod ingest;
pub mod logging;
pub mod wiring;
