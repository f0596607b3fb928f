//! Settings of the local runtime, from the environment plus command-line choices.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ehrm_sync_bkn::BknConfig;
use ehrm_sync_core::breaker::BreakerSettings;
use ehrm_sync_core::config::{
    ConfigError, EnvSource, bkn_rate, breaker_settings, optional, reconcile_settings, retry_policy,
    status_api_key, webhook_secrets,
};
use ehrm_sync_core::deliver::DeliverySettings;
use ehrm_sync_core::reconcile::ReconcileSettings;
use ehrm_sync_core::sweep::SweepSettings;
use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_ehrm::CallbackConfig;
use ehrm_sync_ehrm::EhrmApiConfig;
use ehrm_sync_sqlite::QueueOptions;
use ehrm_sync_webhook::Secret;

#[derive(Clone, Debug)]
pub struct LocalSettings {
    pub db_path: PathBuf,
    pub listen: SocketAddr,
    pub workers: usize,
    pub bkn: BknConfig,
    pub webhook_secrets: Vec<Secret>,
    pub status_api_key: String,
    pub retry: RetryPolicy,
    /// `BKN_RATE_PER_SEC`
    pub rate_per_sec: f64,
    /// `BKN_RATE_MARGIN_MS` (default 50): jitter allowance spread over each second of calls.
    pub rate_margin_ms: i64,
    /// `LEASE_SECONDS` (default 600)
    pub lease: Duration,
    /// `QUEUE_VISIBILITY_SECONDS` (default 900), `QUEUE_MAX_RECEIVES` (default 30)
    pub queue: QueueOptions,
    /// `SWEEP_INTERVAL_SECONDS` (default 30)
    pub sweep_interval: Duration,
    /// `SWEEP_GRACE_SECONDS` (default 60), `SWEEP_REQUEUE_SECONDS` (default 900)
    pub sweep: SweepSettings,
    /// `BREAKER_*`
    pub breaker: BreakerSettings,
    /// `EHRM_CALLBACK_URL`, `EHRM_CALLBACK_SECRET` (optional)
    pub callbacks: Option<CallbackConfig>,
    /// eHRM's read API (reconciliation); `None` when `EHRM_API_BASE_URL` is not set.
    pub ehrm_api: Option<EhrmApiConfig>,
    pub reconcile: ReconcileSettings,
}

impl LocalSettings {
    pub fn from_env(
        env: &dyn EnvSource,
        db_path: PathBuf,
        listen: SocketAddr,
        workers: usize,
    ) -> Result<Self, ConfigError> {
        let mut s = Self::for_jobs(env, db_path)?;
        s.listen = listen;
        s.workers = workers;
        s.webhook_secrets = webhook_secrets(env)?;
        s.status_api_key = status_api_key(env)?;
        Ok(s)
    }

    /// For commands that serve nothing (`reconcile`): no webhook secret or status API key
    /// is asked for.
    pub fn for_jobs(env: &dyn EnvSource, db_path: PathBuf) -> Result<Self, ConfigError> {
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let workers = 0;
        let bkn = BknConfig::from_env(env)?;
        let retry = retry_policy(env)?;
        let lease_secs: u64 = optional(env, "LEASE_SECONDS", 600)?;
        let visibility: u32 = optional(env, "QUEUE_VISIBILITY_SECONDS", 900)?;
        let max_receives: u32 = optional(env, "QUEUE_MAX_RECEIVES", 30)?;
        if lease_secs < 2 {
            return Err(ConfigError::new("LEASE_SECONDS", "must be at least 2"));
        }
        if u64::from(visibility) <= lease_secs {
            return Err(ConfigError::new(
                "QUEUE_VISIBILITY_SECONDS",
                "must be longer than LEASE_SECONDS, so a crashed worker's message returns after its lease expired",
            ));
        }
        if max_receives <= retry.max_attempts {
            return Err(ConfigError::new(
                "QUEUE_MAX_RECEIVES",
                "must be larger than RETRY_MAX_ATTEMPTS, so only undeliverable messages reach the dead-letter table",
            ));
        }
        let write_guard = bkn.timeout + Duration::from_secs(1);
        if write_guard.as_secs() >= lease_secs {
            return Err(ConfigError::new(
                "LEASE_SECONDS",
                "must be longer than BKN_TIMEOUT_SECONDS + 1, or no write to BKN could ever start",
            ));
        }
        let d = SweepSettings::default();
        Ok(LocalSettings {
            db_path,
            listen,
            workers,
            webhook_secrets: Vec::new(),
            status_api_key: String::new(),
            retry,
            rate_per_sec: bkn_rate(env)?,
            rate_margin_ms: optional(env, "BKN_RATE_MARGIN_MS", 50)?,
            lease: Duration::from_secs(lease_secs),
            queue: QueueOptions {
                name: "delivery".into(),
                visibility_secs: visibility,
                max_receives,
            },
            sweep_interval: Duration::from_secs(optional(env, "SWEEP_INTERVAL_SECONDS", 30)?),
            sweep: SweepSettings {
                grace_ms: optional::<i64>(env, "SWEEP_GRACE_SECONDS", d.grace_ms / 1000)? * 1000,
                requeue_after_ms: optional::<i64>(
                    env,
                    "SWEEP_REQUEUE_SECONDS",
                    d.requeue_after_ms / 1000,
                )? * 1000,
                ..d
            },
            breaker: breaker_settings(env, bkn.timeout)?,
            callbacks: CallbackConfig::from_env(env)?,
            ehrm_api: EhrmApiConfig::from_env(env)?,
            reconcile: reconcile_settings(env)?,
            bkn,
        })
    }

    pub fn delivery(&self) -> DeliverySettings {
        DeliverySettings {
            retry: self.retry,
            lease_ms: self.lease.as_millis() as i64,
            write_guard_ms: (self.bkn.timeout + Duration::from_secs(1)).as_millis() as i64,
        }
    }
}
