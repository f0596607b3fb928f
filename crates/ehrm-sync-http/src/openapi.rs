//! The OpenAPI 3.1 document of the public contract, generated from the types and handlers that
//! serve it: the two paths, and the outcome callbacks ehrm-sync sends to eHRM as `webhooks`.
//! Committed as `docs/openapi.json`; a test keeps the two equal.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, PathsBuilder};
use utoipa::{Modify, OpenApi};

use ehrm_sync_core::callbacks::{BknFinding, CallbackEvent, RecordOutcome};
use ehrm_sync_core::told::RecordFacts;
use ehrm_sync_domain::kinerja::Periodik;
use ehrm_sync_domain::record::RecordType;

use crate::wire::{
    AttemptView, ChangeData, ChangeEnvelope, ChangeType, DokumenSk, ErrorBody, ErrorCode,
    EventAnswer, EventData, EventResult, JabatanData, Penilai, RecordView, SyncStatusView,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ehrm-sync",
        description = "Keeps eHRM (Kementerian PUPR) and BKN SIASN in step. eHRM sends signed \
                       change webhooks and reads each employee's sync status; ehrm-sync sends \
                       signed outcome callbacks back (see `webhooks`). Signatures follow \
                       Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`: \
                       HMAC-SHA256 over `id.timestamp.body` with the shared `whsec_` secret).",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(crate::events::receive, crate::status::employee),
    components(schemas(
        ChangeEnvelope, ChangeType, EventData, ChangeData, JabatanData, DokumenSk, Penilai,
        EventAnswer, EventResult, ErrorBody,
        ErrorCode, SyncStatusView, RecordView, RecordFacts, RecordType, Periodik, AttemptView,
        CallbackEvent, RecordOutcome, BknFinding
    )),
    modifiers(&ApiKey),
    tags(
        (name = "webhook", description = "eHRM → ehrm-sync: record changes"),
        (name = "status", description = "eHRM → ehrm-sync: where each record stands"),
        (name = "callbacks", description = "ehrm-sync → eHRM: outcomes and reconciliation findings"),
    )
)]
struct ApiDoc;

struct ApiKey;

impl Modify for ApiKey {
    fn modify(&self, openapi: &mut Document) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "api_key",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some("`STATUS_API_KEY`, shared with eHRM"))
                        .build(),
                ),
            );
        }
    }
}

/// An outcome callback, POSTed to `EHRM_CALLBACK_URL` and signed like eHRM's own webhooks.
///
/// `type` is `sync.outcome` when a record settled at BKN (synced, failed, dead, needs action)
/// and `rekon.bkn_authoritative` when reconciliation found BKN-authoritative data that differs
/// from eHRM's. The `webhook-id` is derived from what the callback reports: a repeat carries
/// the same id, so eHRM can drop it. Any `2xx` acknowledges; `5xx`, `429` and timeouts are
/// retried with backoff; other `4xx` end the callback as failed.
#[utoipa::path(
    post,
    path = "outcomeCallback",
    tag = "callbacks",
    request_body(content = CallbackEvent, content_type = "application/json"),
    params(
        ("webhook-id" = String, Header, description = "`cb_` and 24 hex digits, stable per news."),
        ("webhook-timestamp" = String, Header, description = "Unix seconds."),
        ("webhook-signature" = String, Header, description = "`v1,<base64 HMAC-SHA256>` with `EHRM_CALLBACK_SECRET`."),
    ),
    responses(
        (status = 200, description = "Received (any 2xx)."),
        (status = 503, description = "eHRM is busy: sent again later (also 5xx, 429, timeouts)."),
    )
)]
#[allow(dead_code)]
fn outcome_callback() {}

/// The whole document.
pub fn document() -> Document {
    let mut doc = ApiDoc::openapi();
    doc.webhooks = Some(
        PathsBuilder::new()
            .path_from::<__path_outcome_callback>()
            .build(),
    );
    doc
}

/// The document as served and committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    match serde_json::to_string_pretty(&document()) {
        Ok(text) => text + "\n",
        Err(e) => format!("{{\"error\": \"the OpenAPI document cannot be written: {e}\"}}\n"),
    }
}
