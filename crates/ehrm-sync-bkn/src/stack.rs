//! The one place where a BKN client is assembled: the client behind the shared rate gate, and
//! the shared circuit breaker beside it. Every entry point (local runtime, Lambda functions,
//! reconciliation) builds its BKN side here, so the rate, its margin and the breaker are
//! configured by the same variables everywhere.

use std::sync::Arc;

use ehrm_sync_core::breaker::{Breaker, BreakerSettings};
use ehrm_sync_core::config::{
    ConfigError, EnvSource, bkn_rate, breaker_settings, optional, optional_string,
};
use ehrm_sync_core::pacer::GatePacer;
use ehrm_sync_core::ports::{Clock, ControlStore, RateGate, SsoVault};
use ehrm_sync_core::sso::SsoDesk;
use ehrm_sync_domain::rate::RatePolicy;

use crate::{BknClient, BknConfig, SsoLogin};

/// Everything about talking to BKN that comes from the environment.
#[derive(Clone, Debug)]
pub struct BknSettings {
    /// `BKN_*` endpoints, credentials and timeout.
    pub client: BknConfig,
    /// `BKN_RATE_PER_SEC`, across every worker and process: the ceiling of the adaptive rate.
    pub rate_per_sec: f64,
    /// `BKN_RATE_MIN_PER_SEC` (default a tenth of the ceiling): the floor `429`s cut it to.
    pub rate_min_per_sec: f64,
    /// `BKN_RATE_MARGIN_MS` (default 25): jitter allowance spread over each second of calls.
    pub rate_margin_ms: i64,
    /// `BREAKER_*`
    pub breaker: BreakerSettings,
    /// `BKN_LOOKUP`: `when-needed` (default) remembers each employee's riwayat lists so one read
    /// serves all their records; `always` reads the list before every create, as before.
    pub remember_lists: bool,
}

impl BknSettings {
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let client = BknConfig::from_env(env)?;
        let breaker = breaker_settings(env, client.timeout)?;
        let rate_per_sec = bkn_rate(env)?;
        let rate_min_per_sec: f64 = optional(env, "BKN_RATE_MIN_PER_SEC", rate_per_sec / 10.0)?;
        if !(rate_min_per_sec > 0.0 && rate_min_per_sec <= rate_per_sec) {
            return Err(ConfigError::new(
                "BKN_RATE_MIN_PER_SEC",
                format!(
                    "must be above 0 and at most BKN_RATE_PER_SEC ({rate_per_sec}); it is the floor the adaptive rate never goes below"
                ),
            ));
        }
        let remember_lists = match optional_string(env, "BKN_LOOKUP").as_deref() {
            None | Some("when-needed") => true,
            Some("always") => false,
            Some(other) => {
                return Err(ConfigError::new(
                    "BKN_LOOKUP",
                    format!("`{other}` is not `when-needed` or `always`"),
                ));
            }
        };
        Ok(BknSettings {
            client,
            remember_lists,
            rate_per_sec,
            rate_min_per_sec,
            rate_margin_ms: optional(env, "BKN_RATE_MARGIN_MS", 25)?,
            breaker,
        })
    }

    /// The bounds of the adaptive rate.
    pub fn rate_policy(&self) -> RatePolicy {
        RatePolicy {
            ceiling: self.rate_per_sec,
            floor: self.rate_min_per_sec,
            margin_ms: self.rate_margin_ms,
        }
    }

    /// How long before a record's lease ends a write to BKN may still start: one BKN timeout
    /// plus a second, so a write never lands after the lease has passed to another worker.
    pub fn write_guard_ms(&self) -> i64 {
        self.client.timeout.as_millis() as i64 + 1_000
    }
}

/// The BKN client (paced by the shared gate), the shared breaker and the SSO desk.
#[derive(Clone)]
pub struct BknStack {
    pub client: Arc<BknClient>,
    pub breaker: Arc<Breaker>,
    /// The SSO login's shared status (`docs/bkn-sso.md`).
    pub sso: Arc<SsoDesk>,
}

impl BknStack {
    /// `gate` and `controls` are the store every worker and process shares (SQLite or DynamoDB);
    /// `vault` keeps pasted SSO tokens (`None`: pasting is not possible, a start-up token is
    /// held in memory).
    pub fn build(
        settings: &BknSettings,
        gate: Arc<dyn RateGate>,
        controls: Arc<dyn ControlStore>,
        clock: Arc<dyn Clock>,
        vault: Option<Arc<dyn SsoVault>>,
    ) -> Result<Self, ConfigError> {
        let sso = Arc::new(
            SsoDesk::new(controls.clone(), vault, clock.clone())
                .with_password_fallback(settings.client.sso.password.is_some()),
        );
        let login = Arc::new(SsoLogin::new(sso.clone(), settings.client.sso.clone()));
        let pacer = Arc::new(GatePacer::new(gate, clock.clone(), settings.rate_policy()));
        let client = BknClient::new(settings.client.clone(), pacer)
            .map_err(|e| {
                ConfigError::new(
                    "BKN_API_BASE_URL",
                    format!("cannot build the BKN client: {e}"),
                )
            })?
            .with_shared_reads(crate::shared::SharedReads::new(
                controls.clone(),
                clock.clone(),
            ))
            .with_sso(login);
        Ok(BknStack {
            client: Arc::new(client),
            breaker: Arc::new(Breaker::new(controls, clock, settings.breaker)),
            sso,
        })
    }
}
