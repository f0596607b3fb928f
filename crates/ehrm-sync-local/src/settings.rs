//! Settings of the local runtime, from the environment plus command-line choices.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ehrm_sync_bkn::BknSettings;
use ehrm_sync_console::Users;
use ehrm_sync_core::config::{
    ConfigError, EnvSource, delivery_settings, optional, reconcile_settings, settle_policy,
    status_api_key, sweep_settings, webhook_secrets,
};
use ehrm_sync_core::deliver::DeliverySettings;
use ehrm_sync_core::reconcile::ReconcileSettings;
use ehrm_sync_core::settle::SettlePolicy;
use ehrm_sync_core::sweep::SweepSettings;
use ehrm_sync_ehrm::CallbackConfig;
use ehrm_sync_ehrm::EhrmApiConfig;
use ehrm_sync_sqlite::QueueOptions;
use ehrm_sync_webhook::Secret;

#[derive(Clone, Debug)]
pub struct LocalSettings {
    pub db_path: PathBuf,
    pub listen: SocketAddr,
    pub workers: usize,
    /// `BKN_*` and `BREAKER_*`: the client, the shared rate and the breaker.
    pub bkn: BknSettings,
    pub webhook_secrets: Vec<Secret>,
    pub status_api_key: String,
    /// `LEASE_SECONDS` (default 600) and `RETRY_*`
    pub delivery: DeliverySettings,
    /// `QUEUE_VISIBILITY_SECONDS` (default 900), `QUEUE_MAX_RECEIVES` (default 30)
    pub queue: QueueOptions,
    /// `QUEUE_MAX_RECEIVES`, `QUEUE_HOLD_MAX_SECONDS`: waits never spend a message's receives.
    pub settle: SettlePolicy,
    /// `SWEEP_INTERVAL_SECONDS` (default 30)
    pub sweep_interval: Duration,
    /// `SWEEP_GRACE_SECONDS` (default 60), `SWEEP_REQUEUE_SECONDS` (default 900)
    pub sweep: SweepSettings,
    /// `EHRM_CALLBACK_URL`, `EHRM_CALLBACK_SECRET` (optional)
    pub callbacks: Option<CallbackConfig>,
    /// eHRM's read API (reconciliation); `None` when `EHRM_API_BASE_URL` is not set.
    pub ehrm_api: Option<EhrmApiConfig>,
    pub reconcile: ReconcileSettings,
    pub readiness: ehrm_sync_core::readiness::ReadinessSettings,
    /// `CONSOLE_USERS_FILE`: the console's users (`name:role:argon2id-hash` lines); none, the
    /// console is off.
    pub console_users: Users,
    /// `BKN_TOKEN_KEY`: seals pasted SSO tokens in the store; without it none can be pasted.
    pub token_key: Option<crate::vault::TokenKey>,
    /// `RETAIN_<CLASS>_DAYS`: how long each class of personal data is kept.
    pub retention: ehrm_sync_core::retention::Retention,
    /// `PURGE_INTERVAL_SECONDS` (default 21600, 6 hours): how often `serve` purges.
    pub purge_interval: Duration,
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
        s.console_users = console_users(env)?;
        Ok(s)
    }

    /// For commands that serve nothing (`reconcile`): no webhook secret or status API key
    /// is asked for.
    pub fn for_jobs(env: &dyn EnvSource, db_path: PathBuf) -> Result<Self, ConfigError> {
        let bkn = BknSettings::from_env(env)?;
        let delivery = delivery_settings(env, bkn.write_guard_ms())?;
        let visibility: u32 = optional(env, "QUEUE_VISIBILITY_SECONDS", 900)?;
        let settle = settle_policy(env)?;
        let max_receives = settle.max_receives;
        if i64::from(visibility) * 1000 <= delivery.lease_ms {
            return Err(ConfigError::new(
                "QUEUE_VISIBILITY_SECONDS",
                "must be longer than LEASE_SECONDS, so a crashed worker's message returns after its lease expired",
            ));
        }
        Ok(LocalSettings {
            db_path,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 0,
            webhook_secrets: Vec::new(),
            status_api_key: String::new(),
            delivery,
            settle,
            queue: QueueOptions {
                name: "delivery".into(),
                visibility_secs: visibility,
                max_receives,
            },
            sweep_interval: Duration::from_secs(optional(env, "SWEEP_INTERVAL_SECONDS", 30)?),
            retention: ehrm_sync_core::retention::Retention::from_env(env)?,
            purge_interval: Duration::from_secs(optional(
                env,
                "PURGE_INTERVAL_SECONDS",
                ehrm_sync_core::retention::PURGE_INTERVAL_MS as u64 / 1_000,
            )?),
            sweep: sweep_settings(env)?,
            callbacks: CallbackConfig::from_env(env)?,
            ehrm_api: EhrmApiConfig::from_env(env)?,
            reconcile: reconcile_settings(env)?,
            readiness: ehrm_sync_core::config::readiness_settings(env)?,
            console_users: Users::default(),
            token_key: crate::vault::TokenKey::from_env(env)?,
            bkn,
        })
    }
}

fn console_users(env: &dyn EnvSource) -> Result<Users, ConfigError> {
    const VAR: &str = "CONSOLE_USERS_FILE";
    let Some(path) = env.get(VAR).filter(|p| !p.trim().is_empty()) else {
        return Ok(Users::default());
    };
    let text = std::fs::read_to_string(path.trim())
        .map_err(|e| ConfigError::new(VAR, format!("cannot be read: {e}")))?;
    let users = Users::parse(&text).map_err(|e| ConfigError::new(VAR, e.to_string()))?;
    if users.is_empty() {
        return Err(ConfigError::new(
            VAR,
            "lists no user; unset it to turn the console off",
        ));
    }
    Ok(users)
}
