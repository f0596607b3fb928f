//! The web console at `/console/`: server-rendered pages for Pusdatin's operators and HR
//! officers, in Bahasa Indonesia first (English by a switch kept in a cookie). It reads the sync
//! store through the core ports and acts through the core services, so the same router serves
//! `ehrm-sync serve` and a Lambda behind API Gateway.
//!
//! * [`users`] — accounts and roles; [`session`] — sessions, CSRF; [`throttle`] — sign-in
//!   throttling counted before the password is checked;
//! * [`pages`] — one module per page; [`layout`] — the page shell, security headers, the
//!   embedded stylesheet; [`charts`] — SVG charts rendered on the server; [`i18n`] — language;
//!   [`label`] — every code a page shows, as words in both languages (a missing label does not
//!   compile); [`describe`] — a record named in words (kind, year or period, position and TMT);
//! * [`findings`] — a run's findings with their follow-up marks, filtered (pure);
//!   [`deadlines`] — how urgent a readiness deadline is (pure);
//! * [`audit`] — who did what, when; [`ours`] — ehrm-sync's own messages in the page's
//!   language (BKN's words stay verbatim).
//!
//! Depends on the core and the domain; never on a store adapter or AWS.

pub mod audit;
pub mod charts;
pub mod deadlines;
pub mod describe;
pub mod findings;
pub mod i18n;
pub mod label;
pub mod layout;
pub mod ours;
pub mod pages;
pub mod session;
pub mod throttle;
pub mod users;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use ehrm_sync_core::ports::{
    Clock, ControlStore, DeadLetters, DeliveryQueue, FindingMarks, PersonalHistory, PnsIdCache,
    RateGate, ReconcileStore, Series, SyncStore, Workbooks,
};

pub use ehrm_sync_core::ports::{LaunchError, LaunchRequest, Launched, Launcher};
use ehrm_sync_core::sso::SsoDesk;
pub use users::{Role, User, Users, UsersError, user_line};

/// What the console reads and acts through.
pub struct ConsoleDeps {
    pub store: Arc<dyn SyncStore>,
    pub controls: Arc<dyn ControlStore>,
    pub dead_letters: Arc<dyn DeadLetters>,
    pub reconcile: Arc<dyn ReconcileStore>,
    pub marks: Arc<dyn FindingMarks>,
    /// One person's history and its erasure (Pegawai → Data pribadi).
    pub history: Arc<dyn PersonalHistory>,
    pub pns: Arc<dyn PnsIdCache>,
    pub series: Arc<dyn Series>,
    /// The BKN rate gate: the adaptive rate now and its last changes.
    pub gate: Arc<dyn RateGate>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub launcher: Option<Arc<dyn Launcher>>,
    /// Writes the Excel downloads.
    pub workbooks: Arc<dyn Workbooks>,
    /// The BKN SSO login: its state for the banner and overview, pasting a token.
    pub sso: Arc<SsoDesk>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Clone, Debug)]
pub struct ConsoleSettings {
    /// `Secure` cookies: always, except a server on loopback HTTP.
    pub secure_cookies: bool,
    /// The configured BKN rate (calls per second), drawn on the calls chart.
    pub bkn_rate_per_sec: f64,
}

/// The console: its users, dependencies and settings, and the finished runs' rows it caches.
pub struct Console {
    pub deps: ConsoleDeps,
    pub users: Users,
    pub settings: ConsoleSettings,
    rows_cache: findings::RowsCache,
    readiness_cache: findings::RowsCache<Vec<ehrm_sync_domain::readiness::ReadinessFinding>>,
    /// eHRM's employees and units as last read (`ehrm_sync_core::people`), until a newer read.
    people_cache: std::sync::Mutex<Arc<ehrm_sync_core::people::Directory>>,
}

impl Console {
    pub fn new(deps: ConsoleDeps, users: Users, settings: ConsoleSettings) -> Self {
        Console {
            deps,
            users,
            settings,
            rows_cache: findings::RowsCache::default(),
            readiness_cache: findings::RowsCache::default(),
            people_cache: std::sync::Mutex::default(),
        }
    }

    /// The names and units of people: one small read to learn whether eHRM was read again,
    /// the whole directory only then.
    pub async fn people(
        &self,
    ) -> Result<Arc<ehrm_sync_core::people::Directory>, ehrm_sync_core::ports::StoreError> {
        use ehrm_sync_core::people;
        let controls = self.deps.controls.as_ref();
        let at = people::fetched_at(controls).await?;
        let held = self.people_cache.lock().map(|c| c.clone()).ok();
        if let Some(held) = held.filter(|d| d.fetched_at == at) {
            return Ok(held);
        }
        let fresh = Arc::new(people::load(controls).await?);
        if let Ok(mut cache) = self.people_cache.lock() {
            *cache = fresh.clone();
        }
        Ok(fresh)
    }
}

/// The console's routes, all under `/console`. Mount it only when users are configured.
pub fn router(console: Arc<Console>) -> Router {
    use pages::*;
    Router::new()
        .route("/console", get(layout::to_index))
        .route("/console/", get(overview::page))
        .route("/console/static/console.css", get(layout::stylesheet))
        .route("/console/login", get(login::form).post(login::submit))
        .route("/console/logout", post(login::logout))
        .route("/console/lang/{lang}", get(login::switch_language))
        .route("/console/pegawai", get(pegawai::page))
        .route(
            "/console/pegawai/{nip}/data-pribadi.xlsx",
            get(data_pribadi::xlsx),
        )
        .route(
            "/console/pegawai/{nip}/data-pribadi.json",
            get(data_pribadi::json),
        )
        .route("/console/pegawai/{nip}/hapus", post(data_pribadi::erase))
        .route("/console/gagal", get(failed::page))
        .route("/console/gagal.xlsx", get(failed::download))
        .route("/console/rekon", get(rekon::runs))
        .route("/console/rekon/{run}", get(rekon::findings_page))
        .route(
            "/console/rekon/{run}/temuan.xlsx",
            get(rekon::download_xlsx),
        )
        .route("/console/rekon/{run}/temuan.csv", get(rekon::download_csv))
        .route("/console/rekon/{run}/tandai", post(rekon::mark))
        .route("/console/kesiapan", get(kesiapan::page))
        .route("/console/kesiapan.xlsx", get(kesiapan::download))
        .route("/console/kesiapan/tandai", post(kesiapan::mark))
        .route("/console/tindakan", get(actions::page))
        .route("/console/tindakan/replay", post(actions::replay))
        .route("/console/tindakan/redrive", post(actions::redrive))
        .route("/console/tindakan/rekon", post(actions::reconcile))
        .route("/console/tindakan/kesiapan", post(actions::readiness))
        .route(
            "/console/tindakan/token-sso",
            get(sso::page).post(sso::paste),
        )
        .route(
            "/console/tindakan/token-sso/coba-lagi",
            post(sso::retry_login),
        )
        .route("/console/audit", get(audit_page::page))
        .route("/console/{*rest}", get(layout::not_found))
        .layer(axum::middleware::map_response(layout::security_headers))
        .with_state(console)
}

/// The client's address, inserted as a request extension by the host (the socket's peer
/// locally, API Gateway's `sourceIp` on AWS): login throttling counts per address.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);
