//! The Lambda side of ehrm-sync: configuration and wiring on AWS ([`wiring`]), the deliver
//! handler ([`deliver`]), the ingest router ([`ingest`]), the console's router ([`console`]) and the
//! scheduled tasks ([`scheduled`]). The binaries in `functions/` build
//! these once in `main` and hand them to the Lambda runtime; tests call them with the event JSON
//! Lambda sends.
//!
//! Depends on the AWS wiring (`ehrm-sync-aws`), the core services and the HTTP router; holds no
//! business logic of its own: a handler translates an event, calls a service, translates back.

pub mod console;
pub mod deadline;
pub mod deliver;
pub mod ingest;
pub mod logging;
pub mod ops;
pub mod scheduled;
pub mod stage_paths;
pub mod wiring;
