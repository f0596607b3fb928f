//! eHRM's read API as `docs/ehrm-contract.md` ("The read API") describes it: a DreamFactory-style gateway.
//!
//! * `POST /user/session` `{"email", "password"}` with `X-DreamFactory-Api-Key` →
//!   `{"session_token": …}`; wrong credentials 401.
//! * `GET /v1/ehrm/{resource}?limit=&offset=&include_count=true[&filter=nip=…]` with both
//!   headers → `{"resource": [...], "meta": {"count": N}}`; no or expired session 401
//!   (`{"error": {"code": 401, "message": …}}`), unknown resource 404, injected failures 503.
//!
//! The `kinerja` rows carry the appraiser (`penilai_*`) and `koefisien_id` besides the
//! contract's fields: ehrm-sync needs them to deliver a record again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::RngExt;
use serde_json::{Value, json};

use ehrm_sync_population::{JenisJabatan, Population};

use crate::Sim;

/// The read API's credentials and behaviour.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    pub api_key: String,
    pub email: String,
    pub password: String,
    /// Sessions expire after this long (a 401 then asks the client to log in again).
    pub session_ttl: Duration,
    /// Share of reads answered 503.
    pub failure_rate: f64,
    /// How "no eselon" is written: `None` for JSON null, or a placeholder such as an en dash
    /// (`–`, common in spreadsheet imports) or `"Non Eselon"`.
    pub no_eselon_as: Option<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            api_key: "sim-ehrm-api-key".into(),
            email: "ehrm-sync@pu.go.id".into(),
            password: "sim-password".into(),
            session_ttl: Duration::from_secs(3_600),
            failure_rate: 0.0,
            no_eselon_as: None,
        }
    }
}

/// The rows of every resource, rendered once, with an index by NIP.
#[derive(Default)]
struct Tables {
    resources: HashMap<&'static str, Vec<Value>>,
    by_nip: HashMap<&'static str, HashMap<String, Vec<usize>>>,
}

pub struct Api {
    config: ApiConfig,
    tables: RwLock<Arc<Tables>>,
    sessions: Mutex<HashMap<String, Instant>>,
    failure_rate: Mutex<f64>,
    calls: AtomicU64,
    /// Documents served at `/v1/ehrm/dokumen/{id}` (the SK of a position).
    pub(crate) documents: Mutex<HashMap<String, Vec<u8>>>,
}

/// Long because it maps every field of the five resources, one line each.
fn render(pop: &Population, no_eselon: Option<&str>) -> Tables {
    let eselon = |e: &Option<String>| e.clone().or_else(|| no_eselon.map(str::to_string));
    let mut pegawai = Vec::new();
    let mut riwayat = Vec::new();
    let mut kinerja = Vec::new();
    for e in &pop.employees {
        pegawai.push(json!({
            "nip": e.nip,
            "nama_lengkap": e.nama_lengkap(),
            "gelar_depan": e.gelar_depan,
            "gelar_belakang": e.gelar_belakang,
            "tgl_lahir": e.tgl_lahir,
            "jenis_kelamin": e.jenis_kelamin,
            "golongan": e.golongan,
            "tmt_golongan": e.tmt_golongan,
            "jenis_jabatan": e.jenis_jabatan.as_str(),
            "jabatan_lengkap": e.jabatan_nama,
            "eselon": eselon(&e.eselon),
            "unor_id": e.unor_id,
            "tmt_cpns": e.tmt_cpns,
            "tmt_pensiun": e.tmt_pensiun,
            "status": e.status,
        }));
        for j in &e.riwayat_jabatan {
            let reference = |kind| ehrm_sync_population::jabatan_reference(kind, &j.nama_jabatan);
            riwayat.push(json!({
                "nip": e.nip,
                "riwayat_id": format!("RJ-{}", j.bkn_id.get(..12).unwrap_or(&j.bkn_id)),
                "version": 1,
                "jabatan_fungsional_id": (j.jenis_jabatan == JenisJabatan::Fungsional).then(|| reference("jf")),
                "jabatan_fungsional_umum_id": (j.jenis_jabatan == JenisJabatan::Pelaksana).then(|| reference("jfu")),
                "jenis_jabatan": j.jenis_jabatan.as_str(),
                "nama_jabatan": j.nama_jabatan,
                "unor_id": j.unor_id,
                "eselon": eselon(&j.eselon),
                "nomor_sk": j.nomor_sk,
                "tanggal_sk": j.tanggal_sk,
                "tmt_jabatan": j.tmt_jabatan,
                "tmt_pelantikan": j.tmt_pelantikan,
            }));
        }
        for k in &e.kinerja {
            kinerja.push(json!({
                "nip": e.nip,
                "tahun": k.tahun,
                "jenis": k.jenis,
                "periodik": k.periodik,
                "bulan_mulai": k.bulan_mulai,
                "bulan_selesai": k.bulan_selesai,
                "hasil_kinerja": k.hasil_kinerja,
                "perilaku_kerja": k.perilaku_kerja,
                "predikat": k.predikat,
                "version": k.version,
                "koefisien_id": k.koefisien_id,
                "penilai_nip": k.penilai.nip,
                "penilai_nama": k.penilai.nama,
                "penilai_jabatan": k.penilai.jabatan,
                "penilai_unor_nama": k.penilai.unor_nama,
                "penilai_golongan_id": k.penilai.golongan_id,
                "penilai_status": k.penilai.status,
            }));
        }
    }
    let unor: Vec<Value> = pop
        .units
        .iter()
        .map(|u| {
            json!({
                "unor_id": u.unor_id,
                "unor_id_bkn": u.unor_id_bkn,
                "nama": u.nama,
                "parent_id": u.parent_id,
                "eselon": u.eselon,
                "nama_jabatan": u.nama_jabatan,
            })
        })
        .collect();
    let pejabat: Vec<Value> = pop
        .units
        .iter()
        .filter(|u| u.eselon.is_some())
        .map(|u| {
            json!({
                "unor_id": u.unor_id,
                "nama_jabatan": u.nama_jabatan,
                "eselon": u.eselon,
                "nip": u.head_nip,
                "tmt_jabatan": u.head_tmt,
            })
        })
        .collect();
    let mut t = Tables::default();
    for (name, rows) in [
        ("pegawai", pegawai),
        ("riwayat_jabatan", riwayat),
        ("kinerja", kinerja),
        ("unor", unor),
        ("pejabat_struktural", pejabat),
    ] {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            if let Some(n) = r.get("nip").and_then(Value::as_str) {
                index.entry(n.to_string()).or_default().push(i);
            }
        }
        t.by_nip.insert(name, index);
        t.resources.insert(name, rows);
    }
    t
}

impl Api {
    pub fn new(pop: &Population, config: ApiConfig) -> Self {
        let tables = render(pop, config.no_eselon_as.as_deref());
        Api {
            failure_rate: Mutex::new(config.failure_rate),
            config,
            tables: RwLock::new(Arc::new(tables)),
            sessions: Mutex::new(HashMap::new()),
            calls: AtomicU64::new(0),
            documents: Mutex::new(HashMap::new()),
        }
    }

    pub fn set_population(&self, pop: &Population) {
        let t = Arc::new(render(pop, self.config.no_eselon_as.as_deref()));
        if let Ok(mut held) = self.tables.write() {
            *held = t;
        }
    }

    pub fn set_failure_rate(&self, rate: f64) {
        if let Ok(mut r) = self.failure_rate.lock() {
            *r = rate;
        }
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn tables(&self) -> Option<Arc<Tables>> {
        self.tables.read().ok().map(|t| t.clone())
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": status.as_u16(), "message": message}})),
    )
        .into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) async fn login(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let api = &sim.api;
    api.calls.fetch_add(1, Ordering::Relaxed);
    if header(&headers, "x-dreamfactory-api-key") != Some(api.config.api_key.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key.");
    }
    let creds: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if creds.get("email").and_then(Value::as_str) != Some(api.config.email.as_str())
        || creds.get("password").and_then(Value::as_str) != Some(api.config.password.as_str())
    {
        return error(StatusCode::UNAUTHORIZED, "Invalid credentials supplied.");
    }
    let token = format!("{:032x}", rand::random::<u128>());
    if let Ok(mut s) = api.sessions.lock() {
        s.insert(token.clone(), Instant::now() + api.config.session_ttl);
    }
    Json(json!({"session_token": token, "session_id": token, "email": api.config.email}))
        .into_response()
}

/// Counts the call; the refusal when the key, the session or an injected failure says no.
fn admit(api: &Api, headers: &HeaderMap) -> Option<Response> {
    api.calls.fetch_add(1, Ordering::Relaxed);
    if header(headers, "x-dreamfactory-api-key") != Some(api.config.api_key.as_str()) {
        return Some(error(StatusCode::UNAUTHORIZED, "Invalid API key."));
    }
    let session_ok = header(headers, "x-dreamfactory-session-token").is_some_and(|t| {
        api.sessions
            .lock()
            .ok()
            .and_then(|s| s.get(t).copied())
            .is_some_and(|until| until > Instant::now())
    });
    if !session_ok {
        return Some(error(StatusCode::UNAUTHORIZED, "Token has expired"));
    }
    let rate = api.failure_rate.lock().map(|r| *r).unwrap_or(0.0);
    if rate > 0.0 && rand::rng().random_bool(rate.min(1.0)) {
        return Some(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
        ));
    }
    None
}

/// `GET /v1/ehrm/dokumen/{id}`: a document's bytes (`application/pdf`).
pub(crate) async fn document(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let api = &sim.api;
    if let Some(refused) = admit(api, &headers) {
        return refused;
    }
    let bytes = api.documents.lock().ok().and_then(|d| d.get(&id).cloned());
    match bytes {
        Some(b) => ([(axum::http::header::CONTENT_TYPE, "application/pdf")], b).into_response(),
        None => error(StatusCode::NOT_FOUND, "Document not found."),
    }
}

pub(crate) async fn resource(
    State(sim): State<Arc<Sim>>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let api = &sim.api;
    if let Some(refused) = admit(api, &headers) {
        return refused;
    }
    let Some(tables) = api.tables() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "unavailable");
    };
    let Some((key, rows)) = tables.resources.get_key_value(name.as_str()) else {
        return error(StatusCode::NOT_FOUND, "Resource not found.");
    };
    let selected: Vec<&Value> = match q.get("filter") {
        Some(f) => {
            let Some(nip) = f
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .strip_prefix("nip=")
                .map(|n| n.trim().trim_matches('\'').to_string())
            else {
                return error(StatusCode::BAD_REQUEST, "Only filter=nip=… is supported.");
            };
            tables
                .by_nip
                .get(key)
                .and_then(|idx| idx.get(&nip))
                .map(|is| is.iter().filter_map(|&i| rows.get(i)).collect())
                .unwrap_or_default()
        }
        None => rows.iter().collect(),
    };
    let limit = q
        .get("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1_000)
        .min(1_000);
    let offset = q
        .get("offset")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let page: Vec<&Value> = selected.iter().skip(offset).take(limit).copied().collect();
    let mut body = json!({"resource": page});
    if q.get("include_count").is_some_and(|v| v == "true") {
        body["meta"] = json!({"count": selected.len()});
    }
    Json(body).into_response()
}
