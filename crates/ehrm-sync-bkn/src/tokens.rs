//! The APIM (WSO2) token, client credentials, cached until shortly before `expires_in` runs
//! out. The SSO token is [`crate::sso`]'s.
//!
//! A generation number identifies each token: when a request fails with a token error it drops
//! the token it used, and only that one, so a burst of concurrent failures refreshes once.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use ehrm_sync_core::ports::{BknError, BknErrorKind};

use crate::classify::{DEFAULT_RETRY_AFTER_MS, loose_i64, message_of, parse_retry_after};
use crate::config::BknConfig;

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn text_has_suspended(body: &[u8]) -> bool {
    String::from_utf8_lossy(body).contains("SUSPENDED")
}

/// Tokens are renewed this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Used when a token answer has no usable `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// The longest lifetime believed: an absurd `expires_in` must not overflow `Instant` or keep a
/// token forever.
const MAX_LIFETIME_SECS: i64 = 24 * 3600;

#[derive(Clone)]
struct Cached {
    value: String,
    valid_until: Instant,
    lifetime: Duration,
}

impl Cached {
    fn fresh(&self) -> bool {
        Instant::now() + EXPIRY_MARGIN < self.valid_until
    }
}

#[derive(Default)]
struct State {
    apim: Option<Cached>,
    generation: u64,
}

/// The APIM token to send, its generation, and its lifetime if it was fetched just now.
#[derive(Clone)]
pub struct ApimToken {
    pub value: String,
    pub generation: u64,
    pub renewed_for: Option<Duration>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<Value>,
}

#[derive(Default)]
pub struct ApimTokens {
    state: Mutex<State>,
}

impl ApimTokens {
    /// The current token, fetched when missing or about to expire. `fetch` is called with
    /// `(url, form, basic_auth)` and returns `(status, retry_after, body)`.
    pub async fn token<F, Fut>(&self, config: &BknConfig, fetch: F) -> Result<ApimToken, BknError>
    where
        F: Fn(String, Vec<(&'static str, String)>, Option<(String, String)>) -> Fut,
        Fut: std::future::Future<Output = Result<(u16, Option<String>, Vec<u8>), BknError>>,
    {
        let mut state = self.state.lock().await;
        let mut renewed_for = None;
        if !state.apim.as_ref().is_some_and(Cached::fresh) {
            let (status, retry_after, body) = fetch(
                config.apim_token_url.clone(),
                vec![("grant_type", "client_credentials".into())],
                Some((config.consumer_key.clone(), config.consumer_secret.clone())),
            )
            .await?;
            let cached = parse_token("APIM", status, retry_after.as_deref(), &body)?;
            renewed_for = Some(cached.lifetime);
            state.apim = Some(cached);
            state.generation += 1;
            tracing::info!(generation = state.generation, "BKN APIM token renewed");
        }
        match &state.apim {
            Some(a) => Ok(ApimToken {
                value: a.value.clone(),
                generation: state.generation,
                renewed_for,
            }),
            None => Err(BknError::transient("BKN APIM token unavailable")),
        }
    }

    /// Drops the token if it is still the generation that was refused.
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state.generation == generation {
            state.apim = None;
            tracing::info!(
                generation,
                "BKN refused our tokens; the APIM token is dropped"
            );
        }
    }
}

fn parse_token(
    which: &str,
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<Cached, BknError> {
    let parsed: Option<TokenAnswer> = serde_json::from_slice(body).ok();
    match parsed {
        Some(TokenAnswer {
            access_token: Some(token),
            expires_in,
        }) if (200..300).contains(&status) && !token.is_empty() => {
            let lifetime = expires_in
                .as_ref()
                .and_then(loose_i64)
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(s.min(MAX_LIFETIME_SECS) as u64))
                .unwrap_or(DEFAULT_LIFETIME);
            Ok(Cached {
                value: token,
                valid_until: Instant::now() + lifetime,
                lifetime,
            })
        }
        _ => Err(token_failure(which, status, retry_after, body)),
    }
}

/// A token request that brought no token and no refusal a person must act on.
pub(crate) fn token_failure(
    which: &str,
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> BknError {
    let detail = serde_json::from_slice::<Value>(body)
        .map(|v| message_of(&v))
        .unwrap_or_else(|_| format!("HTTP {status}"));
    // Credentials trouble is systemic, not the fault of any one record: transient, so records
    // wait (and the breaker opens) instead of failing for good.
    let kind = if status == 429 {
        BknErrorKind::Throttled {
            retry_after_ms: Some(
                retry_after
                    .and_then(|v| parse_retry_after(v, now_unix()))
                    .unwrap_or(DEFAULT_RETRY_AFTER_MS),
            ),
        }
    } else {
        BknErrorKind::Transient {
            retry_after_ms: None,
            maybe_applied: false,
            suspended: text_has_suspended(body),
        }
    };
    BknError {
        kind,
        message: format!("BKN {which} token request refused ({status}): {detail}"),
        http_status: Some(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_lifetimes_are_clamped_not_overflowed() {
        for expires in ["1e19", "18446744073709551615", "\"99999999999999999999\""] {
            let body = format!(r#"{{"access_token":"T","expires_in":{expires}}}"#);
            let cached = parse_token("APIM", 200, None, body.as_bytes()).expect("token");
            assert!(
                cached.valid_until <= Instant::now() + Duration::from_secs(24 * 3600 + 1),
                "{expires}"
            );
        }
    }
}
