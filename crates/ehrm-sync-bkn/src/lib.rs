//! The BKN SIASN web-service client (`docs/bkn-api.md`).
//!
//! * [`tokens`] — the APIM token (client credentials), cached by `expires_in`, dropped and
//!   fetched again once when BKN answers with a token error.
//! * [`sso`] — the SSO token of each call: pasted access or refresh token, password grant with
//!   or without a one-time code ([`totp`]); waiting, without a request, when none is usable.
//! * [`cookies`] — the gateway's load-balancer cookies, kept per host, dropped with the tokens.
//! * [`classify`] — every answer and failure sorted into success, "empty", transient (timeouts,
//!   connection errors, 429 with `Retry-After`, 5xx, `SUSPENDED`) or permanent (`success:false`
//!   even with HTTP 200, other 4xx), keeping BKN's message.
//! * [`wire`] — request and response bodies with BKN's casing (explicit renames), loose numbers.
//! * [`directory`] — the reads reconciliation needs, mapped into the comparison engine's facts.
//! * [`readiness`] — the reads of the promotion/retirement readiness check.
//! * [`shared`] — per-employee answers kept for the other runs of the day.
//! * [`jabatan`] — riwayat jabatan: its list, save, delete, the SK document's upload and the
//!   data-utama refresh.
//! * [`client`] — the endpoints, implementing the core [`Bkn`](ehrm_sync_core::ports::Bkn) port.
//! * [`stack`] — the one builder of the client, its shared rate gate and the shared breaker.
//!
//! Every request, token requests included, first waits for its turn at the shared
//! [`Pacer`](ehrm_sync_core::ports::Pacer), so the configured rate holds across all workers.
//!
//! Depends on the core ports and the domain; knows nothing of where the shared state is kept
//! (SQLite or DynamoDB) and must not.

pub mod classify;
pub mod client;
pub mod config;
pub mod cookies;
pub mod directory;
pub mod jabatan;
pub mod readiness;
pub mod shared;
pub mod sso;
pub mod stack;
pub mod tokens;
pub mod totp;
pub mod wire;

pub use client::BknClient;
pub use config::{BknConfig, PasswordLogin, SsoSettings};
pub use sso::SsoLogin;
pub use stack::{BknSettings, BknStack};
