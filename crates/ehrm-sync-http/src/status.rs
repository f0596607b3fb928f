//! `GET /v1/sync/{nip}`: every record of one employee (`docs/ehrm-contract.md`, "Sync status").

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use subtle::ConstantTimeEq;

use ehrm_sync_domain::nip::Nip;

use crate::Api;
use crate::events::reply;
use crate::wire::{AttemptView, ErrorBody, ErrorCode, RecordView, SyncStatusView};

/// Every record of an employee with its status.
#[utoipa::path(
    get,
    path = "/v1/sync/{nip}",
    tag = "status",
    params(
        ("nip" = String, Path, description = "The employee's 18-digit NIP."),
        ("history" = Option<bool>, Query, description = "`true` adds every delivery attempt of each record."),
    ),
    responses(
        (status = 200, description = "The employee's records (none if eHRM never sent any).", body = SyncStatusView),
        (status = 400, description = "Not a valid NIP (`invalid_nip`).", body = ErrorBody),
        (status = 401, description = "No or a wrong API key (`unauthorised`).", body = ErrorBody),
        (status = 503, description = "The store cannot be read now (`unavailable`).", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn employee(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    Path(nip): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorised(&api, &headers) {
        let body = ErrorBody::new(
            ErrorCode::Unauthorised,
            "a valid bearer API key is required",
        );
        return reply(401, &body);
    }
    let Ok(nip) = Nip::parse(&nip) else {
        return reply(
            400,
            &ErrorBody::new(ErrorCode::InvalidNip, "not a valid NIP"),
        );
    };
    let records = match api.store.records_for_nip(&nip).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "status read failed");
            let body = ErrorBody::new(
                ErrorCode::Unavailable,
                "status could not be read; retry later",
            );
            return reply(503, &body);
        }
    };
    let with_history = q.get("history").is_some_and(|v| v == "true" || v == "1");
    let mut views = Vec::with_capacity(records.len());
    for rec in &records {
        let mut view = RecordView::of(rec);
        if with_history {
            let attempts = api.store.attempts(&rec.key).await.unwrap_or_default();
            view.attempt_history = Some(attempts.iter().map(AttemptView::of).collect());
        }
        views.push(view);
    }
    let body = SyncStatusView {
        nip: nip.as_str().to_string(),
        records: views,
    };
    reply(200, &body)
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
    // An empty configured key opens nothing (start refuses it; this is the second lock).
    !expected.is_empty()
        && presented.len() == expected.len()
        && bool::from(presented.as_bytes().ct_eq(expected))
}
