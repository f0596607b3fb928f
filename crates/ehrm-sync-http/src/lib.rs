//! The HTTP interface: `POST /v1/events` (eHRM's signed change webhooks) and
//! `GET /v1/sync/{nip}` (sync status, bearer API key). One axum [`Router`] serves both the local
//! `ehrm-sync serve` and the ingest Lambda (through `lambda_http`), so both answer alike.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, Limited};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use ehrm_sync_core::ingest::{IngestService, MAX_BODY_BYTES};
use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_core::status::{attempt_view, record_view};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_webhook::SignedHeaders;

/// What the handlers need.
pub struct Api {
    pub ingest: Arc<IngestService>,
    pub store: Arc<dyn SyncStore>,
    /// The bearer token of the status endpoint.
    pub status_api_key: String,
}

pub fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route("/v1/events", post(events))
        .route("/v1/sync/{nip}", get(sync_status))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::disable())
        .with_state(api)
}

fn json_response(status: u16, body: &Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn events(State(api): State<Arc<Api>>, headers: HeaderMap, body: Body) -> Response {
    let bytes: Bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return json_response(
                413,
                &json!({"error": "too_large", "message": format!("the body exceeds {MAX_BODY_BYTES} bytes")}),
            );
        }
        Err(_) => {
            return json_response(
                400,
                &json!({"error": "malformed", "message": "the body could not be read"}),
            );
        }
    };
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = SignedHeaders {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
    };
    let answer = api.ingest.handle(signed, &bytes).await;
    let mut response = json_response(answer.status, &answer.body);
    if answer.status == 503
        && let Ok(v) = "30".parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

fn authorised(api: &Api, headers: &HeaderMap) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or("");
    let expected = api.status_api_key.as_bytes();
    presented.len() == expected.len() && bool::from(presented.as_bytes().ct_eq(expected))
}

async fn sync_status(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    Path(nip): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if !authorised(&api, &headers) {
        return json_response(
            401,
            &json!({"error": "unauthorised", "message": "a valid bearer API key is required"}),
        );
    }
    let Ok(nip) = Nip::parse(&nip) else {
        return json_response(
            400,
            &json!({"error": "invalid_nip", "message": "not a valid NIP"}),
        );
    };
    let records = match api.store.records_for_nip(&nip).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "status read failed");
            return json_response(
                503,
                &json!({"error": "unavailable", "message": "status could not be read; retry later"}),
            );
        }
    };
    let with_history = q.get("history").is_some_and(|v| v == "true" || v == "1");
    let mut views = Vec::with_capacity(records.len());
    for rec in &records {
        let mut view = record_view(rec);
        if with_history {
            let attempts = api.store.attempts(&rec.key).await.unwrap_or_default();
            view["attempt_history"] = attempts.iter().map(attempt_view).collect();
        }
        views.push(view);
    }
    json_response(200, &json!({"nip": nip.as_str(), "records": views}))
}
