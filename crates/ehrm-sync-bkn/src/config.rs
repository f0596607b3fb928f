//! Client configuration from the `BKN_*` variables.

use std::fmt;
use std::time::Duration;

use ehrm_sync_core::config::{ConfigError, EnvSource, optional, optional_string, required, url};

/// How the SSO token is obtained.
#[derive(Clone)]
pub enum SsoCredentials {
    /// Keycloak password grant (`BKN_SSO_CLIENT_ID`, `BKN_SSO_USERNAME`, `BKN_SSO_PASSWORD`).
    Password {
        client_id: String,
        username: String,
        password: String,
    },
    /// A token pasted by an operator (`BKN_SSO_TOKEN`), for accounts where the password grant is
    /// not allowed. It cannot be refreshed automatically.
    Static { token: String },
}

impl fmt::Debug for SsoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SsoCredentials::Password { client_id, .. } => {
                write!(
                    f,
                    "Password {{ client_id: {client_id:?}, username: ***, password: *** }}"
                )
            }
            SsoCredentials::Static { .. } => f.write_str("Static { token: *** }"),
        }
    }
}

#[derive(Clone)]
pub struct BknConfig {
    /// `BKN_API_BASE_URL`, e.g. `https://apimws.bkn.go.id:8243/apisiasn/1.0`.
    pub api_base: String,
    /// `BKN_APIM_TOKEN_URL`, e.g. `https://apimws.bkn.go.id/oauth2/token`.
    pub apim_token_url: String,
    /// `BKN_SSO_TOKEN_URL`, the Keycloak token endpoint of realm `public-siasn`.
    pub sso_token_url: String,
    pub consumer_key: String,
    pub consumer_secret: String,
    pub sso: SsoCredentials,
    /// `BKN_TIMEOUT_SECONDS` (default 30): the whole request.
    pub timeout: Duration,
    /// `BKN_COOKIES`: load-balancer cookies some deployments need (optional).
    pub cookies: Option<String>,
    /// The longest `Retry-After` honoured: `BKN_RETRY_AFTER_MAX_SECONDS` (default 60), never
    /// more than `RETRY_MAX_SECONDS`. One throttled answer holds every call to BKN (the shared
    /// gate), so BKN's "come back tomorrow" must not stop delivery for a day.
    pub retry_after_max: Duration,
    /// `BKN_PROXY_URL`: an outbound proxy (on premises, where only a proxy's address is
    /// registered at BKN).
    pub proxy: Option<String>,
    /// `BKN_EXTRA_HEADERS`: a JSON object of headers sent on every request, for a whitelisted
    /// gateway in front of BKN (e.g. `{"X-Api-Key": "…"}`). Never logged.
    pub extra_headers: Vec<(String, String)>,
}

impl fmt::Debug for BknConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BknConfig")
            .field("api_base", &self.api_base)
            .field("apim_token_url", &self.apim_token_url)
            .field("sso_token_url", &self.sso_token_url)
            .field("consumer_key", &"***")
            .field("consumer_secret", &"***")
            .field("sso", &self.sso)
            .field("timeout", &self.timeout)
            .field("retry_after_max", &self.retry_after_max)
            .field("proxy", &self.proxy.as_ref().map(|_| "***"))
            .field(
                "extra_headers",
                &self
                    .extra_headers
                    .iter()
                    .map(|(k, _)| format!("{k}: ***"))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl BknConfig {
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let sso = match optional_string(env, "BKN_SSO_TOKEN") {
            Some(token) => SsoCredentials::Static { token },
            None => SsoCredentials::Password {
                client_id: required(env, "BKN_SSO_CLIENT_ID")?,
                username: required(env, "BKN_SSO_USERNAME")?,
                password: required(env, "BKN_SSO_PASSWORD")?,
            },
        };
        let timeout: f64 = optional(env, "BKN_TIMEOUT_SECONDS", 30.0)?;
        if !(1.0..=300.0).contains(&timeout) {
            return Err(ConfigError::new(
                "BKN_TIMEOUT_SECONDS",
                "must be between 1 and 300",
            ));
        }
        let retry_after_max: f64 = optional(env, "BKN_RETRY_AFTER_MAX_SECONDS", 60.0)?;
        let retry_max: f64 = optional(env, "RETRY_MAX_SECONDS", 3600.0)?;
        if !(retry_after_max.is_finite() && retry_after_max >= 1.0) {
            return Err(ConfigError::new(
                "BKN_RETRY_AFTER_MAX_SECONDS",
                "must be at least 1",
            ));
        }
        let retry_after_max = retry_after_max.min(retry_max.max(1.0)).min(86_400.0);
        let proxy = optional_string(env, "BKN_PROXY_URL");
        if let Some(p) = &proxy
            && reqwest::Proxy::all(p.as_str()).is_err()
        {
            return Err(ConfigError::new(
                "BKN_PROXY_URL",
                "is not a proxy URL (e.g. http://proxy.pu.go.id:3128)",
            ));
        }
        Ok(BknConfig {
            retry_after_max: Duration::from_secs_f64(retry_after_max),
            proxy,
            extra_headers: extra_headers(env)?,
            api_base: url(env, "BKN_API_BASE_URL")?,
            apim_token_url: url(env, "BKN_APIM_TOKEN_URL")?,
            sso_token_url: if matches!(sso, SsoCredentials::Static { .. }) {
                optional_string(env, "BKN_SSO_TOKEN_URL").unwrap_or_default()
            } else {
                url(env, "BKN_SSO_TOKEN_URL")?
            },
            consumer_key: required(env, "BKN_CONSUMER_KEY")?,
            consumer_secret: required(env, "BKN_CONSUMER_SECRET")?,
            sso,
            timeout: Duration::from_secs_f64(timeout),
            cookies: optional_string(env, "BKN_COOKIES"),
        })
    }
}

/// `BKN_EXTRA_HEADERS` as a JSON object of string values with valid header names.
fn extra_headers(env: &dyn EnvSource) -> Result<Vec<(String, String)>, ConfigError> {
    const VAR: &str = "BKN_EXTRA_HEADERS";
    let Some(raw) = optional_string(env, VAR) else {
        return Ok(Vec::new());
    };
    let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&raw)
        .map_err(|_| ConfigError::new(VAR, r#"must be a JSON object, e.g. {"X-Api-Key": "…"}"#))?;
    let mut out = Vec::new();
    for (name, value) in parsed {
        let Some(value) = value.as_str() else {
            return Err(ConfigError::new(VAR, "every value must be a string"));
        };
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(value).is_err()
        {
            return Err(ConfigError::new(
                VAR,
                "holds a header name or value HTTP does not allow",
            ));
        }
        out.push((name, value.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut e: HashMap<String, String> = [
            ("BKN_API_BASE_URL", "https://bkn.example/api"),
            ("BKN_APIM_TOKEN_URL", "https://bkn.example/token"),
            ("BKN_CONSUMER_KEY", "k"),
            ("BKN_CONSUMER_SECRET", "s"),
            ("BKN_SSO_TOKEN", "t"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            e.insert(k.to_string(), v.to_string());
        }
        e
    }

    #[test]
    fn retry_after_is_capped_by_both_settings() {
        let c = BknConfig::from_env(&env(&[])).expect("config");
        assert_eq!(c.retry_after_max, Duration::from_secs(60));
        let c = BknConfig::from_env(&env(&[("RETRY_MAX_SECONDS", "4")])).expect("config");
        assert_eq!(c.retry_after_max, Duration::from_secs(4));
        assert!(BknConfig::from_env(&env(&[("BKN_RETRY_AFTER_MAX_SECONDS", "0")])).is_err());
    }

    #[test]
    fn extra_headers_are_checked_and_never_shown() {
        let c = BknConfig::from_env(&env(&[
            ("BKN_EXTRA_HEADERS", r#"{"X-Api-Key": "rahasia-123"}"#),
            ("BKN_PROXY_URL", "http://proxy.local:3128"),
        ]))
        .expect("config");
        assert_eq!(
            c.extra_headers,
            vec![("X-Api-Key".into(), "rahasia-123".into())]
        );
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("rahasia") && !shown.contains("proxy.local"),
            "{shown}"
        );
        assert!(BknConfig::from_env(&env(&[("BKN_EXTRA_HEADERS", "X-Api-Key: a")])).is_err());
        assert!(
            BknConfig::from_env(&env(&[("BKN_EXTRA_HEADERS", r#"{"bad name": "a"}"#)])).is_err()
        );
    }
}
