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
        Ok(BknConfig {
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
