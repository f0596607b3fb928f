//! The HTTP surface: token endpoints, SIASN paths, and `/_sim/*` for tests and operators.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use base64::Engine;
use rand::RngExt;
use serde_json::{Map, Value, json};

use ehrm_sync_domain::dates::{parse_bkn_date, parse_iso_date};

use crate::faults::{Faults, MapDataStyle, OutageMode, RejectStyle, SaveReply};
use crate::render;
use crate::server::DropConnection;
use crate::state::{Periodik, Skp22, Token, max_in_window};
use crate::{API_PREFIX, APIM_TOKEN_PATH, SSO_TOKEN_PATH, Sim};

type Shared = Arc<Sim>;

/// The common start of every handler: count the call, apply the faults, check the tokens.
macro_rules! pre {
    ($sim:expr, $drop:expr, $endpoint:expr, $headers:expr, $api:expr) => {
        match $sim.before($endpoint, &$headers, $api).await {
            Pre::Go => {}
            Pre::Answer(r) => return r,
            Pre::Drop => return drop_now($drop).await,
        }
    };
    ($sim:expr, $drop:expr, $endpoint:expr, $path:expr, $headers:expr, $api:expr) => {
        match $sim.before_path($endpoint, $path, &$headers, $api).await {
            Pre::Go => {}
            Pre::Answer(r) => return r,
            Pre::Drop => return drop_now($drop).await,
        }
    };
}

mod admission;
mod inspect;
mod jabatan;
mod reads;
mod saves;
mod tokens;

pub(crate) use inspect::window_max;
use inspect::{get_faults, get_state, get_stats, put_faults};
use jabatan::{data_utama_jabatansync, delete_jabatan, save_jabatan, upload_dok_rw};
use reads::{
    data_utama, list_kp, list_pensiun, ref_unor, rw_angkakredit, rw_golongan, rw_hukdis,
    rw_jabatan, rw_kinerjaperiodik, rw_pendidikan, rw_skp22,
};
use saves::{delete_periodik, save_periodik, save_skp22};
use tokens::{apim_token, browser_login, sso_token};

pub fn router(sim: Shared) -> Router {
    let api = Router::new()
        .route("/pns/data-utama/{nip}", get(data_utama))
        .route("/pns/rw-jabatan/{nip}", get(rw_jabatan))
        .route("/pns/rw-skp22/{nip}", get(rw_skp22))
        .route("/pns/rw-kinerjaperiodik/{nip}", get(rw_kinerjaperiodik))
        .route("/pns/rw-golongan/{nip}", get(rw_golongan))
        .route("/pns/rw-hukdis/{nip}", get(rw_hukdis))
        .route("/pns/rw-angkakredit/{nip}", get(rw_angkakredit))
        .route("/pns/rw-pendidikan/{nip}", get(rw_pendidikan))
        .route("/skp22/save", post(save_skp22))
        .route("/kinerjaperiodik/save", post(save_periodik))
        .route("/kinerjaperiodik/delete/{id}", delete(delete_periodik))
        .route("/jabatan/save", post(save_jabatan))
        .route("/jabatan/delete/{id}", delete(delete_jabatan))
        .route("/upload-dok-rw", post(upload_dok_rw))
        .route("/pns/data-utama-jabatansync", get(data_utama_jabatansync))
        .route("/referensi/ref-unor", get(ref_unor))
        .route("/pns/list-kp-instansi", get(list_kp))
        .route("/pns/list-pensiun-instansi", get(list_pensiun));
    Router::new()
        .nest(API_PREFIX, api)
        .route(APIM_TOKEN_PATH, post(apim_token))
        .route(SSO_TOKEN_PATH, post(sso_token))
        .route("/_sim/faults", get(get_faults))
        .route("/_sim/faults", put(put_faults))
        .route("/_sim/state", get(get_state))
        .route("/_sim/stats", get(get_stats))
        .route("/_sim/sso/login", post(browser_login))
        .route("/_sim/health", get(|| async { "ok" }))
        .layer(axum::middleware::from_fn_with_state(sim.clone(), lb_cookie))
        .with_state(sim)
}

/// The gateway's load-balancer cookie (`SsoPolicy::lb_cookie`): set on every answer to a
/// request without it; API calls without it are counted and, if required, find no node.
async fn lb_cookie(
    State(sim): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let policy = sim.faults().sso;
    let Some(name) = policy.lb_cookie else {
        return next.run(request).await;
    };
    let prefix = format!("{name}=");
    let has = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(|p| p.trim().starts_with(&prefix)));
    let api = request.uri().path().starts_with(API_PREFIX);
    let mut response = if api && !has {
        if let Ok(mut db) = sim.db.lock() {
            db.stats.calls_without_lb_cookie += 1;
        }
        if policy.lb_cookie_required {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "<html><body>503 no server is available to handle this request</body></html>",
            )
                .into_response()
        } else {
            next.run(request).await
        }
    } else {
        next.run(request).await
    };
    if !has && let Ok(v) = HeaderValue::from_str(&format!("{name}=node-1; Path=/; HttpOnly")) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

enum Pre {
    Go,
    Answer(Response),
    Drop,
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn drop_now(d: DropConnection) -> Response {
    d.now();
    std::future::pending::<Response>().await
}

fn bearer(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        json!({"code": 0, "data": "Data tidak ditemukan"}),
    )
}

fn list(items: Vec<Value>) -> Response {
    if items.is_empty() {
        json_response(StatusCode::OK, json!({"code": 1, "data": null}))
    } else {
        json_response(
            StatusCode::OK,
            json!({"code": 1, "count": items.len(), "data": items}),
        )
    }
}
