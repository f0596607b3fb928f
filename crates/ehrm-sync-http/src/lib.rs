//! The public HTTP interface of ehrm-sync: `POST /v1/events` (eHRM's signed change webhooks),
//! `GET /v1/sync/{nip}` (sync status, bearer API key) and `GET /v1/openapi.json` (the contract,
//! with the outcome callbacks as `webhooks`). One axum [`Router`] serves both the local
//! `ehrm-sync serve` and the ingest Lambda (through `lambda_http`), so both answer alike.
//!
//! * [`wire`] — the request and response bodies, from which the OpenAPI document is generated;
//! * [`events`], [`status`] — the handlers; [`openapi`] — the document; [`refusals`] — refused
//!   webhooks logged without a flood writing a line each.
//!
//! May depend on the core services and the domain; turns their typed results into HTTP. Must not
//! depend on a store or queue adapter: those come in through [`Api`].

pub mod events;
pub mod openapi;
pub mod refusals;
pub mod status;
pub mod wire;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use ehrm_sync_core::ingest::IngestService;
use ehrm_sync_core::ports::SyncStore;

/// The address a request came from, put in the request's extensions by the server in front
/// (API Gateway's `sourceIp` on AWS); `serve` gives the socket's peer.
#[derive(Clone, Debug)]
pub struct Source(pub String);

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
        .layer(Extension(Arc::new(refusals::RefusalLog::default())))
        .layer(axum::middleware::map_response(protective_headers))
        .with_state(api)
}

/// Answers hold NIPs, statuses and BKN's messages: never cached by a browser or a proxy, never
/// sniffed into another type.
async fn protective_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::document_json(),
    )
}
