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

use crate::faults::{Faults, MapDataStyle, OutageMode};
use crate::render;
use crate::server::DropConnection;
use crate::state::{Periodik, Skp22, Token, max_in_window};
use crate::{API_PREFIX, APIM_TOKEN_PATH, SSO_TOKEN_PATH, Sim};

type Shared = Arc<Sim>;

pub fn router(sim: Shared) -> Router {
    let api = Router::new()
        .route("/pns/data-utama/{nip}", get(data_utama))
        .route("/pns/rw-jabatan/{nip}", get(rw_jabatan))
        .route("/pns/rw-skp22/{nip}", get(rw_skp22))
        .route("/pns/rw-kinerjaperiodik/{nip}", get(rw_kinerjaperiodik))
        .route("/skp22/save", post(save_skp22))
        .route("/kinerjaperiodik/save", post(save_periodik))
        .route("/kinerjaperiodik/delete/{id}", delete(delete_periodik))
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
        .route("/_sim/health", get(|| async { "ok" }))
        .with_state(sim)
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

impl Sim {
    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn faults(&self) -> Faults {
        self.faults.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// Everything that happens before a call is served: counting, latency, outages, throttling,
    /// token checks, injected errors.
    async fn before(&self, endpoint: &str, headers: &HeaderMap, api: bool) -> Pre {
        self.before_path(endpoint, "", headers, api).await
    }

    async fn before_path(&self, endpoint: &str, path: &str, headers: &HeaderMap, api: bool) -> Pre {
        let now = self.elapsed_ms();
        let f = self.faults();
        {
            let Ok(mut db) = self.db.lock() else {
                return Pre::Drop;
            };
            db.stats.call_times_ms.push(now);
            *db.stats
                .by_endpoint
                .entry(endpoint.to_string())
                .or_default() += 1;
            if api {
                db.stats.api_calls += 1;
                if bearer(headers, "authorization").is_none() || bearer(headers, "auth").is_none() {
                    db.stats.calls_without_tokens += 1;
                }
            } else {
                db.stats.token_calls += 1;
            }
        }
        let (lo, hi) = f.latency_ms;
        if hi > 0 {
            let ms = if hi > lo {
                rand::rng().random_range(lo..=hi)
            } else {
                hi
            };
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let mut db = match self.db.lock() {
            Ok(db) => db,
            Err(_) => return Pre::Drop,
        };
        if f.down || f.outages.iter().any(|w| w.contains(now)) {
            db.stats.outage_answers += 1;
            return match f.outage_mode {
                OutageMode::Drop => Pre::Drop,
                OutageMode::Http503 => Pre::Answer(
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "<html><body>503 Service Unavailable</body></html>",
                    )
                        .into_response(),
                ),
            };
        }
        if f.suspended.iter().any(|w| w.contains(now)) {
            db.stats.suspended_answers += 1;
            return Pre::Answer(json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"message": "Runtime Error",
                       "description": "The endpoint apisiasn--v1.0_APIproductionEndpoint is in SUSPENDED state"}),
            ));
        }
        let mut rng = rand::rng();
        let throttled = f.throttle_per_sec.is_some_and(|limit| {
            let recent = db
                .stats
                .call_times_ms
                .iter()
                .rev()
                .take_while(|t| now - **t < 1000)
                .count();
            recent as f64 > limit
        });
        if throttled || (f.rate_429 > 0.0 && rng.random_bool(f.rate_429.min(1.0))) {
            db.stats.throttled += 1;
            let mut r = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"code": "900800", "message": "Message throttled out",
                       "description": "You have exceeded your quota. Try again later"}),
            );
            if let Ok(v) = HeaderValue::from_str(&f.retry_after_secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Pre::Answer(r);
        }
        if api {
            let expire_after = f.token_expire_after_calls.unwrap_or(u64::MAX);
            let apim_ok = bearer(headers, "authorization")
                .is_some_and(|t| use_token(&mut db.apim_tokens, &t, expire_after));
            if !apim_ok {
                db.stats.token_errors += 1;
                return Pre::Answer(json_response(
                    StatusCode::UNAUTHORIZED,
                    json!({"code": "900901", "message": "Invalid Credentials",
                           "description": "Invalid Credentials. Make sure you have provided the correct security credentials"}),
                ));
            }
            let sso_ok = bearer(headers, "auth")
                .is_some_and(|t| use_token(&mut db.sso_tokens, &t, expire_after));
            if !sso_ok {
                db.stats.token_errors += 1;
                return Pre::Answer(json_response(
                    StatusCode::UNAUTHORIZED,
                    json!({"message": "invalid or expired jwt"}),
                ));
            }
        }
        if !path.is_empty()
            && f.unavailable_nips
                .iter()
                .any(|nip| path.contains(nip.as_str()))
        {
            db.stats.errors_injected += 1;
            return Pre::Answer(
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "<html><body>503 Service Unavailable</body></html>",
                )
                    .into_response(),
            );
        }
        if f.error_rate > 0.0 && rng.random_bool(f.error_rate.min(1.0)) {
            db.stats.errors_injected += 1;
            let status = [
                StatusCode::INTERNAL_SERVER_ERROR,
                StatusCode::BAD_GATEWAY,
                StatusCode::GATEWAY_TIMEOUT,
            ][rng.random_range(0..3)];
            return Pre::Answer(
                (status, "<html><body>upstream error</body></html>").into_response(),
            );
        }
        Pre::Go
    }

    /// Whether a write should be stored and then answered by dropping the connection.
    fn lose_this_response(&self) -> bool {
        let f = self.faults();
        let lose =
            f.lost_response_rate > 0.0 && rand::rng().random_bool(f.lost_response_rate.min(1.0));
        if lose && let Ok(mut db) = self.db.lock() {
            db.stats.lost_responses += 1;
        }
        lose
    }
}

fn use_token(tokens: &mut HashMap<String, Token>, token: &str, expire_after: u64) -> bool {
    match tokens.get_mut(token) {
        Some(t) if t.expires_at > Instant::now() && t.uses < expire_after => {
            t.uses += 1;
            true
        }
        _ => false,
    }
}

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

fn form_or_json(body: &[u8]) -> HashMap<String, String> {
    if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
        return m
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
    }
    form_urlencoded::parse(body).into_owned().collect()
}

fn new_token() -> String {
    let mut rng = rand::rng();
    format!(
        "sim.{:016x}{:016x}",
        rng.random::<u64>(),
        rng.random::<u64>()
    )
}

async fn apim_token(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "token:apim", headers, false);
    let form = form_or_json(&body);
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!(
        "{}:{}",
        sim.credentials.consumer_key, sim.credentials.consumer_secret
    );
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type", "error_description": "Unsupported grant_type value"}),
        );
    }
    if basic.as_deref() != Some(expected.as_str()) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": "Client Authentication failed."}),
        );
    }
    let token = new_token();
    if let Ok(mut db) = sim.db.lock() {
        db.apim_tokens.insert(
            token.clone(),
            Token {
                expires_at: Instant::now() + Duration::from_secs(sim.apim_ttl_secs),
                uses: 0,
            },
        );
    }
    json_response(
        StatusCode::OK,
        json!({"access_token": token, "scope": "default", "token_type": "Bearer", "expires_in": sim.apim_ttl_secs}),
    )
}

async fn sso_token(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "token:sso", headers, false);
    let form = form_or_json(&body);
    let c = &sim.credentials;
    let get = |k: &str| form.get(k).map(String::as_str);
    if get("grant_type") != Some("password") {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"}),
        );
    }
    if get("client_id") != Some(c.sso_client_id.as_str()) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "unauthorized_client", "error_description": "Invalid client credentials"}),
        );
    }
    if get("username") != Some(c.sso_username.as_str())
        || get("password") != Some(c.sso_password.as_str())
    {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_grant", "error_description": "Invalid user credentials"}),
        );
    }
    let token = new_token();
    if let Ok(mut db) = sim.db.lock() {
        db.sso_tokens.insert(
            token.clone(),
            Token {
                expires_at: Instant::now() + Duration::from_secs(sim.sso_ttl_secs),
                uses: 0,
            },
        );
    }
    json_response(
        StatusCode::OK,
        json!({"access_token": token, "expires_in": sim.sso_ttl_secs, "refresh_expires_in": 1800,
               "refresh_token": new_token(), "token_type": "Bearer", "scope": "profile email"}),
    )
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

async fn data_utama(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(nip): Path<String>,
) -> Response {
    pre!(sim, drop, "data-utama", &nip, headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    match db.employees.get(&nip) {
        Some(e) => json_response(
            StatusCode::OK,
            json!({"code": 1, "data": render::data_utama(e, &db.units)}),
        ),
        None => not_found(),
    }
}

async fn rw_jabatan(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(nip): Path<String>,
) -> Response {
    pre!(sim, drop, "rw-jabatan", &nip, headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    match db.employees.get(&nip) {
        Some(e) => list(render::rw_jabatan(e, &db.units)),
        None => not_found(),
    }
}

async fn rw_skp22(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(nip): Path<String>,
) -> Response {
    pre!(sim, drop, "rw-skp22", &nip, headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    if !db.employees.contains_key(&nip) {
        return not_found();
    }
    list(
        db.skp22
            .iter()
            .filter(|r| r.nip == nip)
            .map(render::skp22)
            .collect(),
    )
}

async fn rw_kinerjaperiodik(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(nip): Path<String>,
) -> Response {
    pre!(sim, drop, "rw-kinerjaperiodik", &nip, headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    if !db.employees.contains_key(&nip) {
        return not_found();
    }
    list(
        db.periodik
            .iter()
            .filter(|r| r.nip == nip)
            .map(render::periodik)
            .collect(),
    )
}

/// A JSON body read the way Go reads it: keys case-insensitively, numbers or strings.
struct GoBody(Map<String, Value>);

impl GoBody {
    fn parse(body: &[u8]) -> Option<Self> {
        match serde_json::from_slice::<Value>(body).ok()? {
            Value::Object(m) => Some(GoBody(
                m.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect(),
            )),
            _ => None,
        }
    }

    fn str(&self, key: &str) -> Option<String> {
        match self.0.get(&key.to_lowercase())? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn int(&self, key: &str) -> Option<i64> {
        self.str(key).and_then(|s| s.parse().ok())
    }
}

fn multierror(errors: &[String]) -> String {
    let list: String = errors.iter().map(|e| format!("\n\t* {e}")).collect();
    format!(
        "{} error{} occurred:{list}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    )
}

fn refused(status: u16, message: String) -> Response {
    json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        json!({"success": false, "message": message}),
    )
}

fn saved(style: MapDataStyle, key: &str, id: &str) -> Response {
    let map_data = match style {
        MapDataStyle::String => json!(id),
        MapDataStyle::Object => json!({ key: id }),
    };
    json_response(
        StatusCode::OK,
        json!({"success": true, "message": "success", "mapData": map_data}),
    )
}

fn range_check(errors: &mut Vec<String>, b: &GoBody, key: &str, label: &str, max: i64) -> i64 {
    match b.int(key) {
        Some(v) if (1..=max).contains(&v) => v,
        Some(_) => {
            errors.push(format!("{label} must be between 1 and {max}"));
            0
        }
        None => {
            errors.push(format!("{label} is required"));
            0
        }
    }
}

async fn save_skp22(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "skp22/save", headers, true);
    let f = sim.faults();
    let Some(b) = GoBody::parse(&body) else {
        return refused(400, "invalid request body".into());
    };
    let mut errors = Vec::new();
    let pns_id = b.str("pnsDinilaiOrang");
    if pns_id.is_none() {
        errors.push("PnsDinilaiOrang is required".into());
    }
    let tahun = b.int("tahun");
    if tahun.is_none() {
        errors.push("Tahun is required".into());
    }
    let hasil = range_check(&mut errors, &b, "hasilKinerjaNilai", "HasilKinerjaNilai", 3);
    let perilaku = range_check(
        &mut errors,
        &b,
        "perilakuKerjaNilai",
        "PerilakuKerjaNilai",
        3,
    );
    let kuadran = range_check(
        &mut errors,
        &b,
        "kuadranKinerjaNilai",
        "KuadranKinerjaNilai",
        5,
    );
    if !errors.is_empty() {
        return refused(f.reject_status, multierror(&errors));
    }
    let (Some(pns_id), Some(tahun)) = (pns_id, tahun) else {
        return refused(f.reject_status, "invalid request".into());
    };
    let response = {
        let Ok(mut db) = sim.db.lock() else {
            return not_found();
        };
        let Some(nip) = db.pns_to_nip.get(&pns_id).cloned() else {
            db.stats.rejections += 1;
            return refused(f.reject_status, "PnsDinilaiOrang tidak ditemukan".into());
        };
        if let Some(message) = f.reject_nips.get(&nip) {
            db.stats.rejections += 1;
            return refused(f.reject_status, message.clone());
        }
        let mut id = b.str("id");
        if id.is_none() && f.dedupe_creates {
            id = db
                .skp22
                .iter()
                .find(|r| r.pns_id == pns_id && r.tahun == tahun)
                .map(|r| r.id.clone());
        }
        let rec = Skp22 {
            id: String::new(),
            nip,
            pns_id: pns_id.clone(),
            tahun,
            hasil,
            perilaku,
            kuadran,
            penilai_nip: b.str("penilaiNipNrp").unwrap_or_default(),
            penilai_nama: b.str("penilaiNama").unwrap_or_default(),
            penilai_jabatan: b.str("penilaiJabatan").unwrap_or_default(),
            penilai_unor_nama: b.str("penilaiUnorNama").unwrap_or_default(),
            penilai_golongan: b.str("penilaiGolongan").unwrap_or_default(),
            status_penilai: b.str("statusPenilai").unwrap_or_default(),
            writes: 1,
        };
        match id {
            Some(id) => match db
                .skp22
                .iter_mut()
                .find(|r| r.id == id && r.pns_id == pns_id)
            {
                Some(existing) => {
                    let writes = existing.writes + 1;
                    *existing = Skp22 {
                        id: id.clone(),
                        writes,
                        ..rec
                    };
                    db.stats.updates += 1;
                    saved(f.map_data, "rwSkpId", &id)
                }
                None => {
                    db.stats.rejections += 1;
                    return refused(f.reject_status, "Data riwayat SKP tidak ditemukan".into());
                }
            },
            None => {
                let id = db.new_id();
                db.skp22.push(Skp22 {
                    id: id.clone(),
                    ..rec
                });
                db.stats.creates += 1;
                saved(f.map_data, "rwSkpId", &id)
            }
        }
    };
    if sim.lose_this_response() {
        return drop_now(drop).await;
    }
    response
}

async fn save_periodik(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "kinerjaperiodik/save", headers, true);
    let f = sim.faults();
    let Some(b) = GoBody::parse(&body) else {
        return refused(400, "invalid request body".into());
    };
    let mut errors = Vec::new();
    let pns_id = b.str("pnsDinilaiId");
    if pns_id.is_none() {
        errors.push("PnsDinilaiId is required".into());
    }
    let tahun = b.int("tahun");
    if tahun.is_none() {
        errors.push("Tahun is required".into());
    }
    let periodik_id = b.str("periodikId").filter(|p| p == "1" || p == "2");
    if periodik_id.is_none() {
        errors.push("PeriodikId is required".into());
    }
    let mulai = range_check(
        &mut errors,
        &b,
        "bulanMulaiPenilaian",
        "BulanMulaiPenilaian",
        12,
    );
    let selesai = range_check(
        &mut errors,
        &b,
        "bulanSelesaiPenilaian",
        "BulanSelesaiPenilaian",
        12,
    );
    let hasil = range_check(&mut errors, &b, "hasilKinerjaNilai", "HasilKinerjaNilai", 3);
    let perilaku = range_check(
        &mut errors,
        &b,
        "perilakuKerjaNilai",
        "PerilakuKerjaNilai",
        3,
    );
    let kuadran = range_check(
        &mut errors,
        &b,
        "kuadranKinerjaNilai",
        "KuadranKinerjaNilai",
        5,
    );
    let koefisien = b.str("koefisienId");
    if koefisien.is_none() {
        errors.push("KoefisienId is required".into());
    }
    if !errors.is_empty() {
        return refused(f.reject_status, multierror(&errors));
    }
    let (Some(pns_id), Some(tahun), Some(periodik_id), Some(koefisien)) =
        (pns_id, tahun, periodik_id, koefisien)
    else {
        return refused(f.reject_status, "invalid request".into());
    };
    let response = {
        let Ok(mut db) = sim.db.lock() else {
            return not_found();
        };
        let Some(nip) = db.pns_to_nip.get(&pns_id).cloned() else {
            db.stats.rejections += 1;
            return refused(f.reject_status, "PnsDinilaiId tidak ditemukan".into());
        };
        if let Some(message) = f.reject_nips.get(&nip) {
            db.stats.rejections += 1;
            return refused(f.reject_status, message.clone());
        }
        let mut id = b.str("id");
        if id.is_none() && f.dedupe_creates {
            id = db
                .periodik
                .iter()
                .find(|r| {
                    r.pns_id == pns_id
                        && r.tahun == tahun
                        && r.periodik_id == periodik_id
                        && r.bulan_mulai == mulai
                })
                .map(|r| r.id.clone());
        }
        let rec = Periodik {
            id: String::new(),
            nip,
            pns_id: pns_id.clone(),
            tahun,
            periodik_id,
            bulan_mulai: mulai,
            bulan_selesai: selesai,
            hasil,
            perilaku,
            kuadran,
            koefisien_id: koefisien,
            penilai_nip: b.str("penilaiNipNrp").unwrap_or_default(),
            penilai_nama: b.str("penilaiNama").unwrap_or_default(),
            writes: 1,
        };
        match id {
            Some(id) => match db
                .periodik
                .iter_mut()
                .find(|r| r.id == id && r.pns_id == pns_id)
            {
                Some(existing) => {
                    let writes = existing.writes + 1;
                    *existing = Periodik {
                        id: id.clone(),
                        writes,
                        ..rec
                    };
                    db.stats.updates += 1;
                    saved(f.map_data, "rwKinerjaPeriodikId", &id)
                }
                None => {
                    db.stats.rejections += 1;
                    return refused(
                        f.reject_status,
                        "Data riwayat kinerja periodik tidak ditemukan".into(),
                    );
                }
            },
            None => {
                let id = db.new_id();
                db.periodik.push(Periodik {
                    id: id.clone(),
                    ..rec
                });
                db.stats.creates += 1;
                saved(f.map_data, "rwKinerjaPeriodikId", &id)
            }
        }
    };
    if sim.lose_this_response() {
        return drop_now(drop).await;
    }
    response
}

async fn delete_periodik(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    pre!(sim, drop, "kinerjaperiodik/delete", headers, true);
    let response = {
        let Ok(mut db) = sim.db.lock() else {
            return not_found();
        };
        let before = db.periodik.len();
        db.periodik.retain(|r| r.id != id);
        if db.periodik.len() == before {
            return json_response(
                StatusCode::OK,
                json!({"success": false, "message": "Data tidak ditemukan"}),
            );
        }
        db.stats.deletes += 1;
        json_response(
            StatusCode::OK,
            json!({"success": true, "message": "success"}),
        )
    };
    if sim.lose_this_response() {
        return drop_now(drop).await;
    }
    response
}

fn paging(q: &HashMap<String, String>) -> (usize, usize) {
    let limit = q
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .clamp(1, 1000);
    let offset = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    (limit, offset)
}

fn paged(items: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let (limit, offset) = paging(q);
    let count = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    json_response(
        StatusCode::OK,
        json!({"code": 1, "count": count, "data": page}),
    )
}

async fn ref_unor(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "ref-unor", headers, true);
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    let pns_of = |nip: &str| db.employees.get(nip).map(|e| e.pns_id.clone());
    let items = db
        .units
        .iter()
        .filter(|u| u.unor_id_bkn.is_some())
        .map(|u| render::ref_unor(u, &db.units, &pns_of))
        .collect();
    paged(items, &q)
}

fn query_date(q: &HashMap<String, String>, key: &str) -> Option<time::Date> {
    let v = q.get(key)?;
    parse_iso_date(v).or_else(|| parse_bkn_date(v))
}

async fn list_kp(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "list-kp-instansi", headers, true);
    let Some(periode) = query_date(&q, "periode") else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"code": 0, "data": "periode is required (yyyy-mm-dd)"}),
        );
    };
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    let mut items: Vec<Value> = db
        .employees
        .values()
        .filter(|e| crate::promotion_due(e) == Some(periode))
        .map(|e| {
            json!({"nipBaru": e.nip, "pnsId": e.pns_id, "nama": e.nama.to_uppercase(),
                   "golonganLamaId": ehrm_sync_population::golongan_to_bkn(&e.golongan),
                   "tmtGolonganLama": render::bkn_date(&e.tmt_golongan),
                   "periode": render::bkn_date(&ehrm_sync_domain::dates::format_iso_date(periode))})
        })
        .collect();
    items.sort_by(|a, b| a["nipBaru"].as_str().cmp(&b["nipBaru"].as_str()));
    paged(items, &q)
}

async fn list_pensiun(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    pre!(sim, drop, "list-pensiun-instansi", headers, true);
    let (Some(from), Some(to)) = (query_date(&q, "tglAwal"), query_date(&q, "tglAkhir")) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"code": 0, "data": "tglAwal and tglAkhir are required"}),
        );
    };
    let Ok(db) = sim.db.lock() else {
        return not_found();
    };
    let mut items: Vec<Value> = db
        .employees
        .values()
        .filter(|e| parse_iso_date(&e.tmt_pensiun).is_some_and(|d| d >= from && d <= to))
        .map(|e| {
            json!({"nipBaru": e.nip, "pnsId": e.pns_id, "nama": e.nama.to_uppercase(),
                        "tmtPensiun": render::bkn_date(&e.tmt_pensiun)})
        })
        .collect();
    items.sort_by(|a, b| a["nipBaru"].as_str().cmp(&b["nipBaru"].as_str()));
    paged(items, &q)
}

async fn get_faults(State(sim): State<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_value(sim.faults()).unwrap_or(Value::Null),
    )
}

async fn put_faults(State(sim): State<Shared>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(f) => {
            if let Ok(mut slot) = sim.faults.lock() {
                *slot = f.clone();
            }
            json_response(
                StatusCode::OK,
                serde_json::to_value(f).unwrap_or(Value::Null),
            )
        }
        Err(e) => json_response(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
    }
}

async fn get_state(State(sim): State<Shared>) -> Response {
    json_response(StatusCode::OK, sim.snapshot())
}

async fn get_stats(State(sim): State<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_value(sim.stats()).unwrap_or(Value::Null),
    )
}

pub(crate) fn window_max(times: &[u64]) -> u64 {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    max_in_window(&sorted, 1000)
}
