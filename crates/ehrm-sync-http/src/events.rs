//! `POST /v1/events`: eHRM's signed change webhooks (`docs/ehrm-contract.md`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use http_body_util::{BodyExt, Limited};

use ehrm_sync_core::ingest::MAX_BODY_BYTES;
use ehrm_sync_webhook::SignedHeaders;

use crate::refusals::RefusalLog;
use crate::wire::{ChangeEnvelope, ErrorBody, ErrorCode, EventAnswer, IngestAnswer, too_large};
use crate::{Api, Source};

/// Seconds eHRM is asked to wait before retrying a `503`.
const RETRY_AFTER_SECONDS: &str = "30";

/// Receive one change.
///
/// The signature is checked on the raw bytes before anything else is read. A `2xx` is sent only
/// once the change is durable; eHRM retries anything else but `4xx`.
#[utoipa::path(
    post,
    path = "/v1/events",
    tag = "webhook",
    request_body(content = ChangeEnvelope, content_type = "application/json"),
    params(
        ("webhook-id" = String, Header, description = "Unique per event; repeats are answered `200`."),
        ("webhook-timestamp" = String, Header, description = "Unix seconds; at most 5 minutes off."),
        ("webhook-signature" = String, Header, description = "`v1,<base64 HMAC-SHA256>` (Standard Webhooks), one or more separated by spaces."),
    ),
    responses(
        (status = 202, description = "Recorded durably and queued (`accepted`), or a newer version is already held (`ignored_stale`).", body = EventAnswer),
        (status = 200, description = "This webhook id was already accepted with the same body.", body = EventAnswer),
        (status = 400, description = "Not JSON, or not the envelope (`malformed`).", body = ErrorBody),
        (status = 401, description = "The signature does not verify (`invalid_signature`).", body = ErrorBody),
        (status = 409, description = "The webhook id was already used for a different body (`id_conflict`).", body = ErrorBody),
        (status = 413, description = "The body is over 256 KiB (`too_large`).", body = ErrorBody),
        (status = 422, description = "The change breaks the rules in `errors[]` (`invalid`).", body = ErrorBody),
        (status = 503, description = "Not recorded; retry after `Retry-After` seconds (`unavailable`).", body = ErrorBody,
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
pub async fn receive(
    State(api): State<Arc<Api>>,
    Extension(refusals): Extension<Arc<RefusalLog>>,
    source: Option<Extension<Source>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let source = source
        .map(|Extension(Source(s))| s)
        .or_else(|| peer.map(|Extension(ConnectInfo(a))| a.ip().to_string()))
        .unwrap_or_else(|| "unknown".to_string());
    let refused = |status: u16, body: &ErrorBody| {
        // Only our own words for signature failures; nothing of the body.
        let detail = (body.error == ErrorCode::InvalidSignature)
            .then_some(body.message.as_deref())
            .flatten();
        refusals.refused(&source, body.error.as_str(), status, detail);
    };
    let bytes: Bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            refused(413, &too_large());
            return reply(413, &too_large());
        }
        Err(_) => {
            let body = ErrorBody::new(ErrorCode::Malformed, "the body could not be read");
            refused(400, &body);
            return reply(400, &body);
        }
    };
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = SignedHeaders {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
    };
    match IngestAnswer::from(api.ingest.handle(signed, &bytes).await) {
        IngestAnswer::Recorded(status, answer) => reply(status, &answer),
        IngestAnswer::Refused(status, body) if status != 503 => {
            refused(status, &body);
            reply(status, &body)
        }
        IngestAnswer::Refused(_, body) => {
            let mut response = reply(503, &body);
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            response
        }
    }
}

pub(crate) fn reply<T: serde::Serialize>(status: u16, body: &T) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}
