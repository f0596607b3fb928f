//! Configuration from environment variables, read the same way by `ehrm-sync` and the Lambdas.
//!
//! Missing or malformed configuration is a [`ConfigError`] naming the variable; binaries print
//! it as one line and stop.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_webhook::Secret;

/// Where variables come from: the process environment, or a map in tests.
pub trait EnvSource {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl EnvSource for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &str, problem: impl Into<String>) -> Self {
        ConfigError {
            var: var.into(),
            problem: problem.into(),
        }
    }
}

/// A required, non-empty variable.
pub fn required(env: &dyn EnvSource, var: &str) -> Result<String, ConfigError> {
    match env.get(var) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        Some(_) => Err(ConfigError::new(var, "is empty")),
        None => Err(ConfigError::new(var, "is missing")),
    }
}

/// An optional variable parsed as `T`, `default` when unset or empty.
pub fn optional<T>(env: &dyn EnvSource, var: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match env.get(var) {
        Some(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|e| ConfigError::new(var, format!("is malformed ({e}): {:?}", v.trim()))),
        _ => Ok(default),
    }
}

/// An optional string variable.
pub fn optional_string(env: &dyn EnvSource, var: &str) -> Option<String> {
    env.get(var)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A URL variable: must be http(s).
pub fn url(env: &dyn EnvSource, var: &str) -> Result<String, ConfigError> {
    let v = required(env, var)?;
    if !(v.starts_with("http://") || v.starts_with("https://")) {
        return Err(ConfigError::new(var, "must be an http:// or https:// URL"));
    }
    Ok(v.trim_end_matches('/').to_string())
}

/// `EHRM_WEBHOOK_SECRET`: one or more `whsec_…` secrets separated by spaces.
pub fn webhook_secrets(env: &dyn EnvSource) -> Result<Vec<Secret>, ConfigError> {
    let raw = required(env, "EHRM_WEBHOOK_SECRET")?;
    Secret::parse_list(&raw)
        .map_err(|e| ConfigError::new("EHRM_WEBHOOK_SECRET", format!("is malformed: {e}")))
}

/// `STATUS_API_KEY`: the bearer token the status endpoint requires (at least 16 characters).
pub fn status_api_key(env: &dyn EnvSource) -> Result<String, ConfigError> {
    let key = required(env, "STATUS_API_KEY")?;
    if key.len() < 16 {
        return Err(ConfigError::new(
            "STATUS_API_KEY",
            "is too short (at least 16 characters)",
        ));
    }
    Ok(key)
}

/// `RETRY_BASE_SECONDS`, `RETRY_MAX_SECONDS`, `RETRY_MAX_ATTEMPTS`.
pub fn retry_policy(env: &dyn EnvSource) -> Result<RetryPolicy, ConfigError> {
    let d = RetryPolicy::default();
    let base: f64 = optional(env, "RETRY_BASE_SECONDS", d.base_ms as f64 / 1000.0)?;
    let max: f64 = optional(env, "RETRY_MAX_SECONDS", d.max_ms as f64 / 1000.0)?;
    let attempts: u32 = optional(env, "RETRY_MAX_ATTEMPTS", d.max_attempts)?;
    if !(base > 0.0 && base.is_finite()) {
        return Err(ConfigError::new(
            "RETRY_BASE_SECONDS",
            "must be a positive number of seconds",
        ));
    }
    if !(max >= base && max.is_finite()) {
        return Err(ConfigError::new(
            "RETRY_MAX_SECONDS",
            "must be a number of seconds at least RETRY_BASE_SECONDS",
        ));
    }
    if max > 43_200.0 {
        return Err(ConfigError::new(
            "RETRY_MAX_SECONDS",
            "must be at most 43200 (SQS's 12-hour visibility limit)",
        ));
    }
    if attempts == 0 {
        return Err(ConfigError::new("RETRY_MAX_ATTEMPTS", "must be at least 1"));
    }
    Ok(RetryPolicy {
        base_ms: (base * 1000.0).round() as i64,
        max_ms: (max * 1000.0).round() as i64,
        max_attempts: attempts,
    })
}

/// `BKN_RATE_PER_SEC`: calls per second to BKN, across all workers (default 0.5: public
/// clients space calls 2–4 s apart).
pub fn bkn_rate(env: &dyn EnvSource) -> Result<f64, ConfigError> {
    let rate: f64 = optional(env, "BKN_RATE_PER_SEC", 0.5)?;
    if !(rate > 0.0 && rate <= 1000.0) {
        return Err(ConfigError::new(
            "BKN_RATE_PER_SEC",
            "must be a number above 0 and at most 1000",
        ));
    }
    Ok(rate)
}

/// `BREAKER_FAILURES` (default 5), `BREAKER_COOLDOWN_SECONDS` (10), `BREAKER_MAX_COOLDOWN_SECONDS`
/// (30). A probe's turn is one delivery's worth of BKN calls, derived from the BKN timeout, so a
/// worker that dies while probing holds up the others only briefly.
pub fn breaker_settings(
    env: &dyn EnvSource,
    bkn_timeout: std::time::Duration,
) -> Result<crate::breaker::BreakerSettings, ConfigError> {
    let d = crate::breaker::BreakerSettings::default();
    let failures: u32 = optional(env, "BREAKER_FAILURES", d.failure_threshold)?;
    let cooldown: f64 = optional(
        env,
        "BREAKER_COOLDOWN_SECONDS",
        d.cooldown_ms as f64 / 1000.0,
    )?;
    let max: f64 = optional(
        env,
        "BREAKER_MAX_COOLDOWN_SECONDS",
        d.max_cooldown_ms as f64 / 1000.0,
    )?;
    if failures == 0 {
        return Err(ConfigError::new("BREAKER_FAILURES", "must be at least 1"));
    }
    if !(cooldown > 0.0 && cooldown.is_finite()) {
        return Err(ConfigError::new(
            "BREAKER_COOLDOWN_SECONDS",
            "must be a positive number of seconds",
        ));
    }
    if !(max >= cooldown && max <= 3600.0) {
        return Err(ConfigError::new(
            "BREAKER_MAX_COOLDOWN_SECONDS",
            "must be at least BREAKER_COOLDOWN_SECONDS and at most 3600",
        ));
    }
    Ok(crate::breaker::BreakerSettings {
        failure_threshold: failures,
        cooldown_ms: (cooldown * 1000.0) as i64,
        max_cooldown_ms: (max * 1000.0) as i64,
        probe_ttl_ms: bkn_timeout.as_millis() as i64 * 2 + 5_000,
    })
}

/// `READINESS_HORIZON_MONTHS` (6 monthly promotion periods), `READINESS_PENSION_MONTHS` (15
/// months of retirement dates), the rules' settings (K6 credit points, K8 service examinations,
/// retirement ages of functional positions; `docs/readiness-rules.md`, "Settings") as JSON in the file
/// `READINESS_RULES_FILE` or inline in `READINESS_RULES`; reading, checkpoints and the lease as
/// for reconciliation (`RECONCILE_CONCURRENCY`, `RECONCILE_CHECKPOINT_EVERY`,
/// `RECONCILE_LEASE_SECONDS`).
pub fn readiness_settings(
    env: &dyn EnvSource,
) -> Result<crate::readiness::ReadinessSettings, ConfigError> {
    let d = crate::readiness::ReadinessSettings::default();
    let r = reconcile_settings(env)?;
    let horizon_months: u32 = optional(env, "READINESS_HORIZON_MONTHS", d.horizon_months)?;
    let pension_months: u32 = optional(env, "READINESS_PENSION_MONTHS", d.pension_months)?;
    if !(1..=24).contains(&horizon_months) {
        return Err(ConfigError::new(
            "READINESS_HORIZON_MONTHS",
            "must be 1 to 24",
        ));
    }
    if !(1..=36).contains(&pension_months) {
        return Err(ConfigError::new(
            "READINESS_PENSION_MONTHS",
            "must be 1 to 36",
        ));
    }
    let (var, text) = match (
        optional_string(env, "READINESS_RULES_FILE"),
        optional_string(env, "READINESS_RULES"),
    ) {
        (Some(path), _) => (
            "READINESS_RULES_FILE",
            Some(std::fs::read_to_string(path.trim()).map_err(|e| {
                ConfigError::new("READINESS_RULES_FILE", format!("cannot be read: {e}"))
            })?),
        ),
        (None, inline) => ("READINESS_RULES", inline),
    };
    let rules = match text {
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| ConfigError::new(var, format!("is not a valid rules document: {e}")))?,
        None => d.rules.clone(),
    };
    Ok(crate::readiness::ReadinessSettings {
        run: crate::job::RunSettings {
            read_tries: d.run.read_tries,
            ..r.run
        },
        horizon_months,
        pension_months,
        rules,
    })
}

/// `RECONCILE_COVER_DAYS` (default 7: every employee is compared at least once a week by the
/// scheduled runs), `RECONCILE_INTERVAL_HOURS` (24: how often a scheduled run starts),
/// `RECONCILE_CONCURRENCY` (4 employees read at once; BKN's rate still bounds the calls),
/// `RECONCILE_CHECKPOINT_EVERY` (25 employees), `RECONCILE_LEASE_SECONDS` (120: how long a killed run
/// blocks the next one), `RECONCILE_KP_HORIZON_MONTHS` (6 monthly promotion periods read ahead).
pub fn reconcile_settings(
    env: &dyn EnvSource,
) -> Result<crate::reconcile::ReconcileSettings, ConfigError> {
    let d = crate::reconcile::ReconcileSettings::default();
    let cover_days: u32 = optional(env, "RECONCILE_COVER_DAYS", d.cover_days)?;
    let interval_h: f64 = optional(
        env,
        "RECONCILE_INTERVAL_HOURS",
        d.interval_ms as f64 / 3.6e6,
    )?;
    let concurrency: usize = optional(env, "RECONCILE_CONCURRENCY", d.run.concurrency)?;
    let chunk: usize = optional(env, "RECONCILE_CHECKPOINT_EVERY", d.run.chunk)?;
    let lease_s: i64 = optional(env, "RECONCILE_LEASE_SECONDS", d.run.lease_ms / 1000)?;
    let kp_horizon_months: u32 = optional(env, "RECONCILE_KP_HORIZON_MONTHS", d.kp_horizon_months)?;
    if !(1..=24).contains(&kp_horizon_months) {
        return Err(ConfigError::new(
            "RECONCILE_KP_HORIZON_MONTHS",
            "must be 1 to 24",
        ));
    }
    if !(1..=3600).contains(&lease_s) {
        return Err(ConfigError::new(
            "RECONCILE_LEASE_SECONDS",
            "must be 1 to 3600",
        ));
    }
    if !(1..=366).contains(&cover_days) {
        return Err(ConfigError::new("RECONCILE_COVER_DAYS", "must be 1 to 366"));
    }
    if !(interval_h > 0.0 && interval_h <= 24.0 * 31.0) {
        return Err(ConfigError::new(
            "RECONCILE_INTERVAL_HOURS",
            "must be above 0 and at most 744",
        ));
    }
    if !(1..=64).contains(&concurrency) {
        return Err(ConfigError::new("RECONCILE_CONCURRENCY", "must be 1 to 64"));
    }
    if !(1..=1000).contains(&chunk) {
        return Err(ConfigError::new(
            "RECONCILE_CHECKPOINT_EVERY",
            "must be 1 to 1000",
        ));
    }
    Ok(crate::reconcile::ReconcileSettings {
        run: crate::job::RunSettings {
            concurrency,
            chunk,
            lease_ms: lease_s * 1000,
            ..d.run
        },
        cover_days,
        interval_ms: (interval_h * 3.6e6) as i64,
        kp_horizon_months,
    })
}

/// `SWEEP_GRACE_SECONDS` (default 60: how overdue a record must be), `SWEEP_REQUEUE_SECONDS`
/// (900: how long a queued record is left alone).
pub fn sweep_settings(env: &dyn EnvSource) -> Result<crate::sweep::SweepSettings, ConfigError> {
    let d = crate::sweep::SweepSettings::default();
    Ok(crate::sweep::SweepSettings {
        grace_ms: optional::<i64>(env, "SWEEP_GRACE_SECONDS", d.grace_ms / 1000)? * 1000,
        requeue_after_ms: optional::<i64>(env, "SWEEP_REQUEUE_SECONDS", d.requeue_after_ms / 1000)?
            * 1000,
        ..d
    })
}

/// `LEASE_SECONDS` (default 600): the longest a worker holds a record. It must leave room for
/// one BKN call (`write_guard_ms`: the BKN timeout and a margin), or no write could ever start.
pub fn delivery_settings(
    env: &dyn EnvSource,
    write_guard_ms: i64,
) -> Result<crate::deliver::DeliverySettings, ConfigError> {
    let lease_secs: i64 = optional(env, "LEASE_SECONDS", 600)?;
    if lease_secs < 2 {
        return Err(ConfigError::new("LEASE_SECONDS", "must be at least 2"));
    }
    if write_guard_ms >= lease_secs * 1000 {
        return Err(ConfigError::new(
            "LEASE_SECONDS",
            "must be longer than BKN_TIMEOUT_SECONDS + 1, or no write to BKN could ever start",
        ));
    }
    Ok(crate::deliver::DeliverySettings {
        retry: retry_policy(env)?,
        lease_ms: lease_secs * 1000,
        write_guard_ms,
    })
}

/// `QUEUE_MAX_RECEIVES` (default 30, the queue's receive limit) and `QUEUE_HOLD_MAX_SECONDS`
/// (default 900: longer waits are left to the sweeper). Waits never use up the receives, so the
/// limit need not exceed the retry attempts; it must leave room for one held wait.
pub fn settle_policy(env: &dyn EnvSource) -> Result<crate::settle::SettlePolicy, ConfigError> {
    let d = crate::settle::SettlePolicy::default();
    let max_receives: u32 = optional(env, "QUEUE_MAX_RECEIVES", d.max_receives)?;
    let hold_s: i64 = optional(env, "QUEUE_HOLD_MAX_SECONDS", d.hold_max_ms / 1000)?;
    if max_receives < 2 {
        return Err(ConfigError::new(
            "QUEUE_MAX_RECEIVES",
            "must be at least 2 (the queue's maxReceiveCount)",
        ));
    }
    if !(0..=43_200).contains(&hold_s) {
        return Err(ConfigError::new(
            "QUEUE_HOLD_MAX_SECONDS",
            "must be 0 to 43200",
        ));
    }
    Ok(crate::settle::SettlePolicy {
        max_receives,
        hold_max_ms: hold_s * 1000,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn errors_name_the_variable() {
        let e = env(&[("RETRY_BASE_SECONDS", "soon")]);
        let err = retry_policy(&e).expect_err("malformed");
        assert_eq!(err.var, "RETRY_BASE_SECONDS");
        assert!(
            err.to_string()
                .starts_with("configuration error: RETRY_BASE_SECONDS is malformed")
        );
        assert_eq!(
            webhook_secrets(&env(&[])).expect_err("missing").var,
            "EHRM_WEBHOOK_SECRET"
        );
        assert_eq!(
            webhook_secrets(&env(&[("EHRM_WEBHOOK_SECRET", "secret")]))
                .expect_err("bad")
                .var,
            "EHRM_WEBHOOK_SECRET"
        );
        assert_eq!(
            bkn_rate(&env(&[("BKN_RATE_PER_SEC", "0")]))
                .expect_err("zero")
                .var,
            "BKN_RATE_PER_SEC"
        );
        assert_eq!(
            url(&env(&[("X", "ftp://a")]), "X").expect_err("scheme").var,
            "X"
        );
    }

    #[test]
    fn a_probe_turn_lasts_two_bkn_timeouts_and_a_margin() {
        let b = breaker_settings(
            &env(&[("BREAKER_FAILURES", "3")]),
            std::time::Duration::from_secs(2),
        )
        .expect("valid");
        assert_eq!((b.failure_threshold, b.probe_ttl_ms), (3, 9_000));
        let bad = breaker_settings(
            &env(&[("BREAKER_MAX_COOLDOWN_SECONDS", "1")]),
            std::time::Duration::from_secs(2),
        );
        assert_eq!(
            bad.expect_err("max below cooldown").var,
            "BREAKER_MAX_COOLDOWN_SECONDS"
        );
    }

    #[test]
    fn defaults_and_values() {
        let p = retry_policy(&env(&[
            ("RETRY_BASE_SECONDS", "0.5"),
            ("RETRY_MAX_ATTEMPTS", "3"),
        ]))
        .expect("valid");
        assert_eq!(p.base_ms, 500);
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.max_ms, RetryPolicy::default().max_ms);
        assert_eq!(bkn_rate(&env(&[])).ok(), Some(0.5));
        assert_eq!(
            url(&env(&[("X", "http://h/a/")]), "X").ok().as_deref(),
            Some("http://h/a")
        );
    }
}
