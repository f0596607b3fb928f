//! The SSO token vault on AWS (`docs/bkn-sso.md`, "Where tokens are kept"): the BKN SSO
//! secret in Secrets Manager (`BKN_SSO_SECRET_ID`), encrypted with the deployment's KMS key.
//! The console writes it (`PutSecretValue` only: it can never read a token back); the functions
//! that call BKN read it, and write it when a renewal brings new tokens. A copy is kept for at
//! most a minute, and never past a newer revision named by the shared status.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;

use ehrm_sync_core::ports::{HeldTokens, SsoVault, VaultError};

/// A copy read from Secrets Manager serves this long at most.
const KEEP_FOR: Duration = Duration::from_secs(60);

pub struct SecretsVault {
    client: Client,
    secret_id: String,
    copy: Mutex<Option<(Instant, Option<HeldTokens>)>>,
}

impl SecretsVault {
    pub fn new(client: Client, secret_id: impl Into<String>) -> Self {
        SecretsVault {
            client,
            secret_id: secret_id.into(),
            copy: Mutex::new(None),
        }
    }

    fn remember(&self, held: Option<HeldTokens>) {
        if let Ok(mut c) = self.copy.lock() {
            *c = Some((Instant::now(), held));
        }
    }
}

#[async_trait]
impl SsoVault for SecretsVault {
    async fn held(&self, at_least: u64) -> Result<Option<HeldTokens>, VaultError> {
        if let Ok(c) = self.copy.lock()
            && let Some((at, held)) = c.as_ref()
            && at.elapsed() < KEEP_FOR
            && held.as_ref().map_or(0, |h| h.revision) >= at_least
        {
            return Ok(held.clone());
        }
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| VaultError::Unavailable(e.into_service_error().to_string()))?;
        // The secret starts as `{}` (the template's placeholder): nothing held yet.
        let held = out
            .secret_string()
            .and_then(|s| serde_json::from_str::<HeldTokens>(s).ok());
        self.remember(held.clone());
        Ok(held)
    }

    async fn keep(&self, tokens: &HeldTokens) -> Result<(), VaultError> {
        let value =
            serde_json::to_string(tokens).map_err(|e| VaultError::Unavailable(e.to_string()))?;
        self.client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .secret_string(value)
            .send()
            .await
            .map_err(|e| VaultError::Unavailable(e.into_service_error().to_string()))?;
        self.remember(Some(tokens.clone()));
        Ok(())
    }
}
