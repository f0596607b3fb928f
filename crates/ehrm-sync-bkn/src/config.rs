//! Client configuration from the `BKN_*` variables.

use std::fmt;
use std::time::Duration;

use ehrm_sync_core::config::{ConfigError, EnvSource, optional, optional_string, required, url};
use ehrm_sync_core::ports::SecretText;

use crate::totp::TotpSecret;

/// A password login to BKN's SSO (`BKN_SSO_USERNAME`, `BKN_SSO_PASSWORD`, and for accounts
/// with OTP `BKN_SSO_TOTP_SECRET`).
#[derive(Clone)]
pub struct PasswordLogin {
    pub username: String,
    pub password: SecretText,
    pub totp: Option<TotpSecret>,
}

impl PasswordLogin {
    /// A digest naming these credentials (a refusal is remembered for them, not for the next).
    pub fn fingerprint(&self) -> String {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(self.username.as_bytes());
        ctx.update(b"\0");
        ctx.update(self.password.expose().as_bytes());
        ctx.update(b"\0");
        if let Some(t) = &self.totp {
            ctx.update(t.code_at(0).as_bytes());
        }
        ctx.finish()
            .as_ref()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// How ehrm-sync may log in to BKN's SSO (`docs/bkn-sso.md`). Any, all or none may be set:
/// a token pasted at run time (console, `ehrm-sync bkn-token set`) comes first, the password
/// login is the fallback, and with neither BKN work waits for an operator.
#[derive(Clone, Default)]
pub struct SsoSettings {
    /// `BKN_SSO_TOKEN_URL`, the Keycloak token endpoint of realm `public-siasn`.
    pub token_url: Option<String>,
    /// `BKN_SSO_CLIENT_ID`: for the password grant, and to renew a refresh token that does
    /// not name its client (`azp`).
    pub client_id: Option<String>,
    pub password: Option<PasswordLogin>,
    /// `BKN_SSO_TOKEN` or `BKN_SSO_REFRESH_TOKEN`: a token given at start-up, used as if
    /// pasted when no newer one is held.
    pub start_token: Option<SecretText>,
}

impl fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoSettings")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field(
                "password",
                &self.password.as_ref().map(|p| match p.totp {
                    Some(_) => "username: ***, password: ***, totp: ***",
                    None => "username: ***, password: ***",
                }),
            )
            .field("start_token", &self.start_token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl SsoSettings {
    fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let username = optional_string(env, "BKN_SSO_USERNAME");
        let password = optional_string(env, "BKN_SSO_PASSWORD");
        let totp = match optional_string(env, "BKN_SSO_TOTP_SECRET") {
            Some(text) => Some(TotpSecret::from_base32(&text).ok_or_else(|| {
                ConfigError::new(
                    "BKN_SSO_TOTP_SECRET",
                    "is not a TOTP secret (base32, as Keycloak shows it when OTP is set up)",
                )
            })?),
            None => None,
        };
        let password = match (username, password) {
            (Some(username), Some(password)) => Some(PasswordLogin {
                username,
                password: SecretText::new(password),
                totp,
            }),
            (None, None) if totp.is_none() => None,
            (Some(_), None) | (None, None) => {
                return Err(ConfigError::new(
                    "BKN_SSO_PASSWORD",
                    "is needed with BKN_SSO_USERNAME (or BKN_SSO_TOTP_SECRET) for the password login",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "BKN_SSO_USERNAME",
                    "is needed with BKN_SSO_PASSWORD (the operator's NIP)",
                ));
            }
        };
        let client_id = optional_string(env, "BKN_SSO_CLIENT_ID");
        let token_url = match optional_string(env, "BKN_SSO_TOKEN_URL") {
            Some(_) => Some(url(env, "BKN_SSO_TOKEN_URL")?),
            None => None,
        };
        if password.is_some() {
            if client_id.is_none() {
                return Err(ConfigError::new(
                    "BKN_SSO_CLIENT_ID",
                    "is needed for the password login",
                ));
            }
            if token_url.is_none() {
                return Err(ConfigError::new(
                    "BKN_SSO_TOKEN_URL",
                    "is needed for the password login",
                ));
            }
        }
        let start_token = optional_string(env, "BKN_SSO_TOKEN")
            .or_else(|| optional_string(env, "BKN_SSO_REFRESH_TOKEN"))
            .map(SecretText::new);
        Ok(SsoSettings {
            token_url,
            client_id,
            password,
            start_token,
        })
    }
}

#[derive(Clone)]
pub struct BknConfig {
    /// `BKN_API_BASE_URL`, e.g. `https://apimws.bkn.go.id:8243/apisiasn/1.0`.
    pub api_base: String,
    /// `BKN_APIM_TOKEN_URL`, e.g. `https://apimws.bkn.go.id/oauth2/token`.
    pub apim_token_url: String,
    pub consumer_key: String,
    pub consumer_secret: String,
    pub sso: SsoSettings,
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
    /// `BKN_INSTANSI_ID`: the instansi every riwayat jabatan is saved under (one per
    /// deployment, as in every public client); without it positions cannot be sent.
    pub instansi_id: Option<String>,
    /// `BKN_SATUAN_KERJA_ID`: the satuan kerja sent with every riwayat jabatan.
    pub satuan_kerja_id: Option<String>,
}

impl fmt::Debug for BknConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BknConfig")
            .field("api_base", &self.api_base)
            .field("apim_token_url", &self.apim_token_url)
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
        let sso = SsoSettings::from_env(env)?;
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
            consumer_key: required(env, "BKN_CONSUMER_KEY")?,
            consumer_secret: required(env, "BKN_CONSUMER_SECRET")?,
            sso,
            timeout: Duration::from_secs_f64(timeout),
            cookies: optional_string(env, "BKN_COOKIES"),
            instansi_id: optional_string(env, "BKN_INSTANSI_ID"),
            satuan_kerja_id: optional_string(env, "BKN_SATUAN_KERJA_ID"),
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
    fn sso_logins_are_read_and_never_shown() {
        let c = BknConfig::from_env(&env(&[])).expect("a start-up token alone");
        assert!(c.sso.password.is_none() && c.sso.start_token.is_some());
        let c = BknConfig::from_env(&env(&[
            ("BKN_SSO_USERNAME", "199001012015031001"),
            ("BKN_SSO_PASSWORD", "rahasia-sandi"),
            (
                "BKN_SSO_TOTP_SECRET",
                "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
            ),
            ("BKN_SSO_CLIENT_ID", "kementerianpuws"),
            ("BKN_SSO_TOKEN_URL", "https://bkn.example/sso"),
        ]))
        .expect("an OTP login");
        let login = c.sso.password.as_ref().expect("password login");
        assert!(login.totp.is_some());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("rahasia") && !shown.contains("199001012015031001"),
            "{shown}"
        );
        for (var, extra) in [
            ("BKN_SSO_PASSWORD", vec![("BKN_SSO_USERNAME", "1990")]),
            (
                "BKN_SSO_TOTP_SECRET",
                vec![
                    ("BKN_SSO_USERNAME", "1"),
                    ("BKN_SSO_PASSWORD", "p"),
                    ("BKN_SSO_TOTP_SECRET", "0000"),
                ],
            ),
            (
                "BKN_SSO_CLIENT_ID",
                vec![("BKN_SSO_USERNAME", "1"), ("BKN_SSO_PASSWORD", "p")],
            ),
        ] {
            let e = BknConfig::from_env(&env(&extra)).expect_err(var);
            assert!(e.to_string().contains(var), "{e}");
        }
        let mut none = env(&[]);
        none.remove("BKN_SSO_TOKEN");
        let c = BknConfig::from_env(&none).expect("no login at all: work waits for a paste");
        assert!(c.sso.password.is_none() && c.sso.start_token.is_none());
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
