//! Secrets from AWS Secrets Manager, overlaid on the plain environment.
//!
//! | variable naming the secret | secret value | becomes |
//! |---|---|---|
//! | `EHRM_WEBHOOK_SECRET_ID` | `whsec_…` (space-separated during rotation) | `EHRM_WEBHOOK_SECRET` |
//! | `STATUS_API_KEY_SECRET_ID` | the key | `STATUS_API_KEY` |
//! | `BKN_CREDENTIALS_SECRET_ID` | JSON with `BKN_CONSUMER_KEY`, `BKN_CONSUMER_SECRET`, `BKN_SSO_CLIENT_ID`, `BKN_SSO_USERNAME`, `BKN_SSO_PASSWORD`, `BKN_SSO_TOTP_SECRET` (or none of them: tokens pasted on the console), optionally `BKN_EXTRA_HEADERS` and `BKN_PROXY_URL` | those variables |
//! | `EHRM_CALLBACK_SECRET_ID` | `whsec_…` | `EHRM_CALLBACK_SECRET` |
//! | `CONSOLE_USERS_SECRET_ID` | the console's users, one `name:role:argon2id-hash` per line | `CONSOLE_USERS` |
//! | `EHRM_API_CREDENTIALS_SECRET_ID` | JSON with `EHRM_API_KEY`, `EHRM_USERNAME`, `EHRM_PASSWORD` | those variables |
//!
//! Without the `_SECRET_ID` variable, the plain variable is read (local runs, tests).

use std::collections::HashMap;

use aws_sdk_secretsmanager::Client;

use ehrm_sync_core::config::{ConfigError, EnvSource};

/// The plain environment with secret values laid over it.
pub struct WithSecrets<'a> {
    secrets: HashMap<String, String>,
    base: &'a dyn EnvSource,
}

impl EnvSource for WithSecrets<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.secrets
            .get(name)
            .cloned()
            .or_else(|| self.base.get(name))
    }
}

const PLAIN: [(&str, &str); 4] = [
    ("EHRM_WEBHOOK_SECRET_ID", "EHRM_WEBHOOK_SECRET"),
    ("STATUS_API_KEY_SECRET_ID", "STATUS_API_KEY"),
    ("EHRM_CALLBACK_SECRET_ID", "EHRM_CALLBACK_SECRET"),
    ("CONSOLE_USERS_SECRET_ID", "CONSOLE_USERS"),
];

const BKN_KEYS: [&str; 10] = [
    "BKN_CONSUMER_KEY",
    "BKN_CONSUMER_SECRET",
    "BKN_SSO_CLIENT_ID",
    "BKN_SSO_USERNAME",
    "BKN_SSO_PASSWORD",
    // An account with OTP: its TOTP secret, held like the password (`docs/bkn-sso.md`).
    "BKN_SSO_TOTP_SECRET",
    "BKN_SSO_TOKEN",
    "BKN_SSO_REFRESH_TOKEN",
    // A whitelisted gateway in front of BKN: its key and, if it is reached through one, a proxy.
    "BKN_EXTRA_HEADERS",
    "BKN_PROXY_URL",
];

const EHRM_API_KEYS: [&str; 3] = ["EHRM_API_KEY", "EHRM_USERNAME", "EHRM_PASSWORD"];

async fn fetch(client: &Client, id_var: &str, id: &str) -> Result<String, ConfigError> {
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            ConfigError::new(
                id_var,
                format!(
                    "names a secret that cannot be read ({})",
                    e.into_service_error()
                ),
            )
        })?;
    out.secret_string
        .ok_or_else(|| ConfigError::new(id_var, "names a secret without a string value"))
}

/// Reads every configured secret once (at cold start).
pub async fn overlay<'a>(
    client: &Client,
    base: &'a dyn EnvSource,
) -> Result<WithSecrets<'a>, ConfigError> {
    let mut secrets = HashMap::new();
    for (id_var, target) in PLAIN {
        if let Some(id) = base.get(id_var).filter(|v| !v.trim().is_empty()) {
            secrets.insert(
                target.to_string(),
                fetch(client, id_var, id.trim()).await?.trim().to_string(),
            );
        }
    }
    for (id_var, keys) in [
        ("BKN_CREDENTIALS_SECRET_ID", &BKN_KEYS[..]),
        ("EHRM_API_CREDENTIALS_SECRET_ID", &EHRM_API_KEYS[..]),
    ] {
        let Some(id) = base.get(id_var).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let raw = fetch(client, id_var, id.trim()).await?;
        let json: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&raw)
            .map_err(|_| ConfigError::new(id_var, "names a secret that is not a JSON object"))?;
        for key in keys {
            if let Some(v) = json.get(*key).and_then(|v| v.as_str()) {
                secrets.insert((*key).to_string(), v.to_string());
            }
        }
    }
    Ok(WithSecrets { secrets, base })
}
