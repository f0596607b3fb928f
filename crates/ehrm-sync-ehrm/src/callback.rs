//! Sends outcome callbacks to eHRM.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde_json::Value;

use ehrm_sync_core::config::{ConfigError, EnvSource, optional, optional_string, url};
use ehrm_sync_core::ports::{CallbackError, CallbackSender};
use ehrm_sync_webhook::Secret;

#[derive(Clone, Debug)]
pub struct CallbackConfig {
    pub url: String,
    pub secret: Secret,
    /// `EHRM_CALLBACK_TIMEOUT_SECONDS` (default 15): one callback request, whole.
    pub timeout: Duration,
}

impl CallbackConfig {
    /// `EHRM_CALLBACK_URL` and `EHRM_CALLBACK_SECRET`; `None` when callbacks are not configured.
    pub fn from_env(env: &dyn EnvSource) -> Result<Option<Self>, ConfigError> {
        if optional_string(env, "EHRM_CALLBACK_URL").is_none() {
            return Ok(None);
        }
        let url = url(env, "EHRM_CALLBACK_URL")?;
        let raw = optional_string(env, "EHRM_CALLBACK_SECRET").ok_or_else(|| {
            ConfigError::new(
                "EHRM_CALLBACK_SECRET",
                "is missing (required with EHRM_CALLBACK_URL)",
            )
        })?;
        let secret = Secret::parse(&raw)
            .map_err(|e| ConfigError::new("EHRM_CALLBACK_SECRET", format!("is malformed: {e}")))?;
        let timeout: f64 = optional(env, "EHRM_CALLBACK_TIMEOUT_SECONDS", 15.0)?;
        if !(0.1..=60.0).contains(&timeout) {
            return Err(ConfigError::new(
                "EHRM_CALLBACK_TIMEOUT_SECONDS",
                "must be between 0.1 and 60",
            ));
        }
        Ok(Some(CallbackConfig {
            url,
            secret,
            timeout: Duration::from_secs_f64(timeout),
        }))
    }
}

pub struct HttpCallbackSender {
    http: reqwest::Client,
    config: CallbackConfig,
}

impl HttpCallbackSender {
    pub fn new(config: CallbackConfig) -> Result<Self, ConfigError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| {
                ConfigError::new(
                    "EHRM_CALLBACK_URL",
                    format!("cannot build an HTTP client: {e}"),
                )
            })?;
        Ok(HttpCallbackSender { http, config })
    }
}

#[async_trait]
impl CallbackSender for HttpCallbackSender {
    async fn send(&self, id: &str, payload: &Value) -> Result<(), CallbackError> {
        let body = payload.to_string().into_bytes();
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let resp = self
            .http
            .post(&self.config.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", self.config.secret.sign(id, ts, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| CallbackError {
                transient: true,
                message: if e.is_timeout() {
                    "eHRM did not answer in time".into()
                } else {
                    "eHRM could not be reached".into()
                },
            })?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 => Err(CallbackError {
                transient: true,
                message: format!("eHRM answered {status}"),
            }),
            _ => Err(CallbackError {
                transient: false,
                message: format!("eHRM refused the callback ({status})"),
            }),
        }
    }
}
