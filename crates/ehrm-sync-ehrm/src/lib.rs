//! The eHRM side of ehrm-sync.
//!
//! * [`callback`] — outcome callbacks POSTed to eHRM (`EHRM_CALLBACK_URL`), signed with
//!   `EHRM_CALLBACK_SECRET` the Standard Webhooks way (`docs/ehrm-contract.md`, "Outcome callbacks").
//! * [`read`] — eHRM's read API for reconciliation (`docs/ehrm-contract.md`, "The read API"): DreamFactory session,
//!   paged resources, field names mapped in one place.
//! * [`documents`] — documents on eHRM's read API (the SK of a position).
//!
//! Implements core ports ([`CallbackSender`](ehrm_sync_core::ports::CallbackSender),
//! [`EhrmDirectory`](ehrm_sync_core::ports::EhrmDirectory),
//! [`EhrmDocuments`](ehrm_sync_core::ports::EhrmDocuments)) over HTTP; must not depend on a store.

pub mod callback;
pub mod documents;
pub mod read;

pub use callback::{CallbackConfig, HttpCallbackSender};
pub use read::{EhrmApiClient, EhrmApiConfig};
