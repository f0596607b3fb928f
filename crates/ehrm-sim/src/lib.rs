//! A simulator of the Ministry's eHRM, as ehrm-sync sees it (`docs/ehrm-contract.md`):
//!
//! * `POST /callbacks` receives ehrm-sync's outcome callbacks, verifies their Standard Webhooks
//!   signature, keeps them (deduplicated by `webhook-id`), and can be told to fail a share of
//!   them; `GET /_sim/callbacks` lists what arrived.
//! * The read API (DreamFactory style, [`read`]): `POST /user/session`, then
//!   `GET /v1/ehrm/{pegawai|riwayat_jabatan|pejabat_struktural|unor|kinerja}` with
//!   `limit`/`offset`/`include_count`/`filter=nip=…`, both headers required, sessions that
//!   expire (configurable) and injectable 503s; `GET /v1/ehrm/dokumen/{id}` serves a document
//!   (the SK of a position) put there with [`EhrmSim::put_document`].
//!
//! It serves from a [`Population`], the same generator output the SIASN simulator serves; the
//! two can be given different copies (`ehrm_sync_population::inject`) to plant discrepancies.
//!
//! A test and demo tool, never deployed. Depends on the population and the webhook signatures; must
//! not depend on ehrm-sync's own services, so it cannot agree with them by construction.

pub mod read;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::RngExt;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::watch;

use ehrm_sync_population::Population;
use ehrm_sync_webhook::{Secret, SignedHeaders, Verifier};

pub struct EhrmSimConfig {
    /// What eHRM holds.
    pub population: Population,
    /// The read API's credentials and behaviour.
    pub api: read::ApiConfig,
    /// The secret callbacks must be signed with.
    pub callback_secret: Secret,
    /// Share of callbacks answered 503 (eHRM busy).
    pub callback_failure_rate: f64,
    /// The first this many deliveries of each callback are answered 503 (eHRM busy), whatever
    /// the rate: a failure tests can count on.
    pub callback_busy_per_id: u32,
}

/// One callback as received.
#[derive(Clone, Debug, Serialize)]
pub struct ReceivedCallback {
    pub id: String,
    pub payload: Value,
    pub deliveries: u32,
}

pub(crate) struct Sim {
    api: read::Api,
    verifier: Verifier,
    callback_failure_rate: Mutex<f64>,
    callback_busy_per_id: u32,
    /// Deliveries answered busy so far, per callback id.
    busy_answers: Mutex<std::collections::HashMap<String, u32>>,
    callbacks: Mutex<Vec<ReceivedCallback>>,
}

pub struct EhrmSim {
    sim: Arc<Sim>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn receive_callback(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let signed = SignedHeaders {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
    };
    if sim.verifier.verify(signed, &body, now_secs()).is_err() {
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    let id = signed.id.unwrap_or_default().to_string();
    if sim.answer_busy(&id) {
        return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    if let Ok(mut list) = sim.callbacks.lock() {
        match list.iter_mut().find(|c| c.id == id) {
            Some(existing) => existing.deliveries += 1,
            None => list.push(ReceivedCallback {
                id,
                payload,
                deliveries: 1,
            }),
        }
    }
    (StatusCode::NO_CONTENT, "").into_response()
}

impl Sim {
    /// Whether this delivery of callback `id` is answered 503.
    fn answer_busy(&self, id: &str) -> bool {
        if let Ok(mut answered) = self.busy_answers.lock() {
            let n = answered.entry(id.to_string()).or_default();
            if *n < self.callback_busy_per_id {
                *n += 1;
                return true;
            }
        }
        let rate = self.callback_failure_rate.lock().map(|r| *r).unwrap_or(0.0);
        rate > 0.0 && rand::rng().random_bool(rate.min(1.0))
    }
}

async fn list_callbacks(State(sim): State<Arc<Sim>>) -> Response {
    let list = sim.callbacks.lock().map(|l| l.clone()).unwrap_or_default();
    axum::Json(json!({ "callbacks": list })).into_response()
}

impl EhrmSim {
    pub async fn start(config: EhrmSimConfig, bind: SocketAddr) -> std::io::Result<EhrmSim> {
        let sim = Arc::new(Sim {
            api: read::Api::new(&config.population, config.api),
            verifier: Verifier::new(vec![config.callback_secret]),
            callback_failure_rate: Mutex::new(config.callback_failure_rate),
            callback_busy_per_id: config.callback_busy_per_id,
            busy_answers: Mutex::new(Default::default()),
            callbacks: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/callbacks", post(receive_callback))
            .route("/_sim/callbacks", get(list_callbacks))
            .route("/user/session", post(read::login))
            .route("/v1/ehrm/{resource}", get(read::resource))
            .route("/v1/ehrm/dokumen/{id}", get(read::document))
            .with_state(sim.clone());
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let (stop, mut stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.changed().await;
                })
                .await;
        });
        Ok(EhrmSim { sim, addr, stop })
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `EHRM_CALLBACK_URL` for this simulator.
    pub fn callback_url(&self) -> String {
        format!("{}/callbacks", self.origin())
    }

    pub fn callbacks(&self) -> Vec<ReceivedCallback> {
        self.sim
            .callbacks
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    pub fn set_callback_failure_rate(&self, rate: f64) {
        if let Ok(mut r) = self.sim.callback_failure_rate.lock() {
            *r = rate;
        }
    }

    /// `EHRM_API_BASE_URL` for this simulator.
    pub fn api_base_url(&self) -> String {
        self.origin()
    }

    /// Serves another population from now on (sessions stay valid).
    pub fn set_population(&self, population: &Population) {
        self.sim.api.set_population(population);
    }

    /// Read-API calls answered so far (logins included).
    /// Serves `bytes` as document `id` (an SK Jabatan).
    pub fn put_document(&self, id: &str, bytes: Vec<u8>) {
        if let Ok(mut d) = self.sim.api.documents.lock() {
            d.insert(id.to_string(), bytes);
        }
    }

    pub fn read_calls(&self) -> u64 {
        self.sim.api.calls()
    }

    pub fn set_read_failure_rate(&self, rate: f64) {
        self.sim.api.set_failure_rate(rate);
    }

    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for EhrmSim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
