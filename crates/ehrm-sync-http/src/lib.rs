//! The public HTTP interface of ehrm-sync: `POST /v1/events` (eHRM's signed change webhooks),
//! `GET /v1/sync/{nip}` (sync status, bearer API key) and `GET /v1/openapi.json` (the contract,
//! with the outcome callbacks as `webhooks`). One axum [`Router`] serves both the local
//! `ehrm-sync serve` and the ingest Lambda (through `lambda_http`), so both answer alike.
//!
//! * [`wire`] — the request and response bodies, from which the OpenAPI document is generated;
//! * [`events`], [`status`] — the handlers; [`openapi`] — the document.
//!
//! May depend on the core services and the domain; turns their typed results into HTTP. Must not
//! depend on a store or queue adapter: those come in through [`Api`].

pub mod events;
pub mod openapi;
pub mod status;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use ehrm_sync_core::ingest::IngestService;
use ehrm_sync_core::ports::SyncStore;

/// What the handlers need.
pub struct Api {
    pub ingest: Arc<IngestService>,
    pub store: Arc<dyn SyncStore>,
    /// The bearer token of the status endpoint.
    pub status_api_key: String,
}

pub fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route("/v1/events", post(events::receive))
        .route("/v1/sync/{nip}", get(status::employee))
        .route("/v1/openapi.json", get(openapi_json))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::disable())
        .with_state(api)
}

async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::document_json(),
    )
}
