//! The eHRM side of ehrm-sync.
//!
//! * [`callback`] — outcome callbacks POSTed to eHRM (`EHRM_CALLBACK_URL`), signed with
//!   `EHRM_CALLBACK_SECRET` the Standard Webhooks way (ehrm-contract.md §3).

pub mod callback;

pub use callback::{CallbackConfig, HttpCallbackSender};
