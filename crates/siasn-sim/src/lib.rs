//!
//! A test and demo tool, never deployed. Depends on the population and the domain's code tables;
//! must not depend on ehrm-sync's BKN client or services, so it cannot agree with them by
//! construction.
#![recursion_limit = "256"]
//! A simulator of BKN SIASN, faithful to `docs/bkn-api.md`: the two token
//! endpoints, the SIASN paths ehrm-sync uses with their envelopes and quirks (`Data tidak
//! ditemukan` as 404, `{"code":1,"data":null}` for empty lists, `success:false` with HTTP 200,
//! capitalised `PerilakuKerjaNilai`, the `koefisenId` typo, `mapData` as string or object,
//! `dd-mm-yyyy` dates, Go's case-insensitive JSON), seeded with a [`Population`].
//!
//! Faults ([`Faults`]) are set at start or through `PUT /_sim/faults`: error rate, latency,
//! outage windows, `SUSPENDED`, 429 with `Retry-After`, throttling, token expiry after N calls,
//! lost responses (stored, then the connection dropped), per-NIP rejections, and the SSO's
//! behaviour ([`SsoPolicy`]: token lifetimes, sessions, OTP, refused password grants, the
//! load balancer's cookie). `POST /_sim/sso/login` is an operator's browser login: the tokens
//! to paste. `GET /_sim/state`
//! shows what it stored; `GET /_sim/stats` counts calls, the busiest second, calls without both
//! tokens, and duplicates.

mod faults;
mod history;
mod keycloak;
mod render;
mod routes;
mod server;
mod state;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::watch;

use ehrm_sync_domain::dates::parse_iso_date;
use ehrm_sync_population::{Employee, Population};

pub use faults::{Faults, MapDataStyle, OutageMode, RejectStyle, SaveReply, SsoPolicy, Window};
pub use state::max_in_window;

pub const API_PREFIX: &str = "/apisiasn/1.0";
pub const APIM_TOKEN_PATH: &str = "/oauth2/token";
pub const SSO_TOKEN_PATH: &str = "/auth/realms/public-siasn/protocol/openid-connect/token";

/// The credentials the simulator accepts.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub sso_client_id: String,
    pub sso_username: String,
    pub sso_password: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            consumer_key: "sim-consumer-key".into(),
            consumer_secret: "sim-consumer-secret".into(),
            sso_client_id: "kementerianpuws".into(),
            sso_username: "199001012015031001".into(),
            sso_password: "sim-operator-password".into(),
        }
    }
}

pub struct SimConfig {
    /// What BKN holds.
    pub population: Population,
    pub faults: Faults,
    pub credentials: Credentials,
    pub apim_ttl_secs: u64,
}

impl SimConfig {
    pub fn new(population: Population) -> Self {
        SimConfig {
            population,
            faults: Faults::default(),
            credentials: Credentials::default(),
            apim_ttl_secs: 3600,
        }
    }
}

pub(crate) struct Sim {
    pub(crate) db: Mutex<state::Db>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) credentials: Credentials,
    pub(crate) apim_ttl_secs: u64,
    pub(crate) started: Instant,
    pub(crate) keycloak: Mutex<keycloak::Keycloak>,
    /// Signs the JWTs the SSO issues.
    pub(crate) jwt_key: [u8; 32],
}

/// Counters for assertions and reports.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SimStats {
    pub calls_total: u64,
    pub api_calls: u64,
    pub token_calls: u64,
    pub calls_without_tokens: u64,
    /// The most calls (tokens included) that fell within any one second.
    pub max_calls_per_second: u64,
    pub creates: u64,
    pub updates: u64,
    pub deletes: u64,
    pub rejections: u64,
    pub lost_responses: u64,
    pub errors_injected: u64,
    pub throttled: u64,
    pub suspended_answers: u64,
    pub outage_answers: u64,
    pub token_errors: u64,
    /// API calls refused for their SSO token (unknown, expired or spent).
    pub sso_refused: u64,
    /// Token requests by grant: `password`, `refresh_token`.
    pub password_grants: u64,
    pub refresh_grants: u64,
    /// API calls that came without the load-balancer cookie (when one is set).
    pub calls_without_lb_cookie: u64,
    /// Calls that drew for a random 5xx, for a random 429, had their tokens checked, and
    /// writes that drew for a lost response: the denominators of the fault shares.
    pub error_draws: u64,
    pub throttle_draws: u64,
    pub token_checks: u64,
    pub write_draws: u64,
    /// Records held more than once for one year (annual), period (periodic) or position (kind,
    /// TMT and SK number).
    pub duplicates: u64,
    /// Documents attached through `upload-dok-rw`.
    pub uploads: u64,
    /// `data-utama-jabatansync` calls answered.
    pub data_utama_syncs: u64,
    /// Employees whose data-utama lags a riwayat jabatan write (no refresh asked since).
    pub data_utama_stale: u64,
    pub by_endpoint: std::collections::BTreeMap<String, u64>,
}

impl Sim {
    pub(crate) fn stats(&self) -> SimStats {
        let Ok(db) = self.db.lock() else {
            return SimStats::default();
        };
        let s = &db.stats;
        SimStats {
            calls_total: s.call_times_ms.len() as u64,
            api_calls: s.api_calls,
            token_calls: s.token_calls,
            calls_without_tokens: s.calls_without_tokens,
            max_calls_per_second: routes::window_max(&s.call_times_ms),
            creates: s.creates,
            updates: s.updates,
            deletes: s.deletes,
            rejections: s.rejections,
            lost_responses: s.lost_responses,
            errors_injected: s.errors_injected,
            throttled: s.throttled,
            suspended_answers: s.suspended_answers,
            outage_answers: s.outage_answers,
            token_errors: s.token_errors,
            sso_refused: s.sso_refused,
            password_grants: s.password_grants,
            refresh_grants: s.refresh_grants,
            calls_without_lb_cookie: s.calls_without_lb_cookie,
            error_draws: s.error_draws,
            throttle_draws: s.throttle_draws,
            token_checks: s.token_checks,
            write_draws: s.write_draws,
            duplicates: db.duplicates(),
            uploads: s.uploads,
            data_utama_syncs: s.data_utama_syncs,
            data_utama_stale: db.data_utama_stale.len() as u64,
            by_endpoint: s.by_endpoint.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }

    pub(crate) fn browser_login(&self) -> Value {
        let policy = self
            .faults
            .lock()
            .map(|f| f.sso.clone())
            .unwrap_or_default();
        let Ok(mut k) = self.keycloak.lock() else {
            return Value::Null;
        };
        let ((_, body), access, expires_at) = k.login(
            &policy,
            &self.credentials.sso_client_id,
            &self.credentials.sso_username,
            &self.jwt_key,
        );
        if let Ok(mut db) = self.db.lock() {
            db.sso_tokens.insert(
                access,
                state::Token {
                    expires_at,
                    uses: 0,
                },
            );
        }
        body
    }

    pub(crate) fn snapshot(&self) -> Value {
        let Ok(db) = self.db.lock() else {
            return Value::Null;
        };
        json!({"skp22": db.skp22, "kinerjaperiodik": db.periodik})
    }
}

/// The period of an employee's next regular promotion proposal (kenaikan pangkat reguler,
/// four years after the last; since Perban BKN 4/2025 the 1st of any month), if below the
/// ceiling of their track.
pub fn promotion_due(e: &Employee) -> Option<time::Date> {
    ehrm_sync_population::promotion_period(e)
}

/// BKN's `golonganBaruId` after one regular promotion.
pub(crate) fn next_golongan_bkn(golongan: &str) -> String {
    const ORDER: [&str; 17] = [
        "I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c",
        "III/d", "IV/a", "IV/b", "IV/c", "IV/d", "IV/e",
    ];
    let next = ORDER
        .iter()
        .position(|g| *g == golongan)
        .and_then(|i| ORDER.get(i + 1))
        .unwrap_or(&"IV/e");
    ehrm_sync_population::golongan_to_bkn(next).unwrap_or_default()
}

/// The NIPs BKN's promotion proposals (the monthly periods of the coming `kp_months`) and
/// retirement list (next 12 months) name on `today`: the same rules the list endpoints apply.
pub fn listed_nips(
    pop: &Population,
    today: time::Date,
    kp_months: u32,
) -> (HashSet<String>, HashSet<String>) {
    let periods = ehrm_sync_domain::reconcile::kp_periods(today, kp_months);
    let (from, to) = ehrm_sync_domain::reconcile::retirement_window(today);
    let kp = pop
        .employees
        .iter()
        .filter(|e| promotion_due(e).is_some_and(|p| periods.contains(&p)))
        .map(|e| e.nip.clone())
        .collect();
    let pensiun = pop
        .employees
        .iter()
        .filter(|e| parse_iso_date(&e.tmt_pensiun).is_some_and(|d| d >= from && d <= to))
        .map(|e| e.nip.clone())
        .collect();
    (kp, pensiun)
}

/// A running simulator.
pub struct SiasnSim {
    sim: Arc<Sim>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl SiasnSim {
    /// Starts on `bind` (port 0 for any free port).
    pub async fn start(config: SimConfig, bind: SocketAddr) -> std::io::Result<SiasnSim> {
        let sim = Arc::new(Sim {
            db: Mutex::new(state::Db::new(&config.population)),
            faults: Mutex::new(config.faults),
            credentials: config.credentials,
            apim_ttl_secs: config.apim_ttl_secs,
            started: Instant::now(),
            keycloak: Mutex::new(keycloak::Keycloak::default()),
            jwt_key: rand::random(),
        });
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(server::serve(
            listener,
            routes::router(sim.clone()),
            stop_rx,
        ));
        tracing::info!(%addr, "SIASN simulator listening");
        Ok(SiasnSim { sim, addr, stop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `BKN_API_BASE_URL` for this simulator.
    pub fn api_base_url(&self) -> String {
        format!("{}{API_PREFIX}", self.origin())
    }

    pub fn apim_token_url(&self) -> String {
        format!("{}{APIM_TOKEN_PATH}", self.origin())
    }

    pub fn sso_token_url(&self) -> String {
        format!("{}{SSO_TOKEN_PATH}", self.origin())
    }

    pub fn credentials(&self) -> &Credentials {
        &self.sim.credentials
    }

    pub fn faults(&self) -> Faults {
        self.sim
            .faults
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.sim.faults.lock() {
            *f = faults;
        }
    }

    /// Milliseconds since start (the clock of outage windows).
    pub fn elapsed_ms(&self) -> u64 {
        self.sim.started.elapsed().as_millis() as u64
    }

    pub fn stats(&self) -> SimStats {
        self.sim.stats()
    }

    /// Stored annual records of one employee: (id, tahun, hasil, perilaku, kuadran).
    pub fn annual_records(&self, nip: &str) -> Vec<(String, i64, i64, i64, i64)> {
        self.sim
            .db
            .lock()
            .map(|db| {
                db.skp22
                    .iter()
                    .filter(|r| r.nip == nip)
                    .map(|r| (r.id.clone(), r.tahun, r.hasil, r.perilaku, r.kuadran))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stored periodic records of one employee: (id, tahun, periodikId, bulan_mulai, hasil, perilaku, kuadran).
    pub fn periodic_records(&self, nip: &str) -> Vec<(String, i64, String, i64, i64, i64, i64)> {
        self.sim
            .db
            .lock()
            .map(|db| {
                db.periodik
                    .iter()
                    .filter(|r| r.nip == nip)
                    .map(|r| {
                        (
                            r.id.clone(),
                            r.tahun,
                            r.periodik_id.clone(),
                            r.bulan_mulai,
                            r.hasil,
                            r.perilaku,
                            r.kuadran,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stored riwayat jabatan of one employee, as `rw-jabatan` holds them (before its quirks).
    pub fn jabatan_records(&self, nip: &str) -> Vec<Value> {
        self.sim
            .db
            .lock()
            .map(|db| {
                db.jabatan
                    .iter()
                    .filter(|r| r.nip == nip)
                    .map(|r| r.item.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How often each of an employee's riwayat jabatan was written: (BKN id, writes).
    pub fn jabatan_writes(&self, nip: &str) -> Vec<(String, u32)> {
        self.sim
            .db
            .lock()
            .map(|db| {
                db.jabatan
                    .iter()
                    .filter(|r| r.nip == nip)
                    .map(|r| (r.id().to_string(), r.writes))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An operator's login in the browser (SSO with OTP if the account has it): the tokens
    /// `{access_token, refresh_token, expires_in, refresh_expires_in}` an operator would copy
    /// and paste into ehrm-sync.
    pub fn browser_login(&self) -> Value {
        self.sim.browser_login()
    }

    /// Everything stored, as `GET /_sim/state` shows it.
    pub fn snapshot(&self) -> Value {
        self.sim.snapshot()
    }

    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for SiasnSim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
