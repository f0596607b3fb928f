//! The vault of BKN SSO tokens (`docs/bkn-sso.md`): where a pasted token and the tokens its
//! renewals bring are kept, out of logs, reports and pages. On one machine an encrypted
//! document in the store; on AWS the BKN SSO secret in Secrets Manager.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::sso::SsoKind;

/// A token's text. Never shown: `Debug` prints stars and there is no `Display`; only the code
/// that sends it to BKN or writes it to the vault calls [`SecretText::expose`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(text: impl Into<String>) -> Self {
        SecretText(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What the vault holds: the tokens of one login and the revision the shared status names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldTokens {
    pub revision: u64,
    pub kind: SsoKind,
    pub access: Option<SecretText>,
    pub refresh: Option<SecretText>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The vault cannot be reached now (transient).
    #[error("the SSO token vault cannot be reached: {0}")]
    Unavailable(String),
    /// The vault is not set up (no key, no secret): a person must configure it.
    #[error("the SSO token vault is not set up: {0}")]
    NotConfigured(String),
    /// What is stored cannot be opened (a different key, damaged).
    #[error("the SSO token vault holds something that cannot be opened: {0}")]
    Unreadable(String),
}

/// Where SSO tokens are kept, shared by every worker and process.
#[async_trait]
pub trait SsoVault: Send + Sync {
    /// The tokens held. A copy kept by the adapter may serve only if its revision is at least
    /// `at_least` (the revision the shared status names): a paste is seen at once.
    async fn held(&self, at_least: u64) -> Result<Option<HeldTokens>, VaultError>;
    async fn keep(&self, tokens: &HeldTokens) -> Result<(), VaultError>;
}

/// Keeps a pasted refresh token's session alive while no BKN call needs a token: Keycloak
/// ends a session left idle, so the SSO watch asks for a renewal when one is due.
#[async_trait]
pub trait SsoKeeper: Send + Sync {
    /// Renews the refresh token held if its end is near; otherwise nothing. Never an API call.
    async fn keep_alive(&self);
}
