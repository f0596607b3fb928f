//! The SSO token vault on one machine (`docs/bkn-sso.md`, "Where tokens are kept"): the tokens
//! sealed with ChaCha20-Poly1305 under `BKN_TOKEN_KEY` (32 bytes, 64 hex digits) and kept as a
//! control document of the embedded store, so every process of the machine shares them. The
//! store itself never sees a token; without the key nothing can be pasted.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use serde::{Deserialize, Serialize};

use ehrm_sync_core::config::{ConfigError, EnvSource, optional_string};
use ehrm_sync_core::ports::{
    ControlStore, HeldTokens, SsoVault, StoreError, VaultError, load_document, overwrite_document,
};

pub const KEY_VAR: &str = "BKN_TOKEN_KEY";
const DOCUMENT: &str = "bkn/sso-vault";
/// Binds the sealed bytes to their use: a value sealed for something else does not open.
const AAD: &[u8] = b"ehrm-sync bkn-sso v1";

#[derive(Serialize, Deserialize)]
struct Sealed {
    revision: u64,
    nonce: String,
    sealed: String,
}

pub struct SealedVault {
    controls: Arc<dyn ControlStore>,
    key: LessSafeKey,
}

/// A new random key for `BKN_TOKEN_KEY`, as 64 hex digits.
pub fn new_key() -> Result<String, VaultError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| VaultError::Unavailable("no randomness".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn key_bytes(text: &str) -> Option<[u8; 32]> {
    let t = text.trim();
    if t.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in t.as_bytes().chunks(2).enumerate() {
        let hex = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(hex, 16).ok()?;
    }
    Some(out)
}

/// `BKN_TOKEN_KEY`, read once. Never shown.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(***)")
    }
}

impl TokenKey {
    /// The key when `BKN_TOKEN_KEY` is set; `None` without it.
    pub fn from_env(env: &dyn EnvSource) -> Result<Option<TokenKey>, ConfigError> {
        let Some(text) = optional_string(env, KEY_VAR) else {
            return Ok(None);
        };
        key_bytes(&text).map(|k| Some(TokenKey(k))).ok_or_else(|| {
            ConfigError::new(
                KEY_VAR,
                "must be 64 hex digits (32 bytes); make one with `ehrm-sync bkn-token new-key`",
            )
        })
    }
}

impl SealedVault {
    pub fn new(controls: Arc<dyn ControlStore>, key: &TokenKey) -> Result<SealedVault, VaultError> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, &key.0)
            .map_err(|_| VaultError::NotConfigured(format!("{KEY_VAR} is not a usable key")))?;
        Ok(SealedVault {
            controls,
            key: LessSafeKey::new(key),
        })
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn store(e: StoreError) -> VaultError {
    VaultError::Unavailable(e.to_string())
}

#[async_trait]
impl SsoVault for SealedVault {
    async fn held(&self, _at_least: u64) -> Result<Option<HeldTokens>, VaultError> {
        let (doc, _) = load_document::<Sealed>(self.controls.as_ref(), DOCUMENT)
            .await
            .map_err(store)?;
        let Some(doc) = doc else {
            return Ok(None);
        };
        let unreadable = || {
            VaultError::Unreadable(format!(
                "the tokens were sealed with another {KEY_VAR}; paste the token again"
            ))
        };
        let nonce_bytes: [u8; NONCE_LEN] = b64()
            .decode(&doc.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(unreadable)?;
        let mut sealed = b64().decode(&doc.sealed).map_err(|_| unreadable())?;
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(AAD),
                &mut sealed,
            )
            .map_err(|_| unreadable())?;
        let held: HeldTokens = serde_json::from_slice(plain).map_err(|_| unreadable())?;
        Ok(Some(held))
    }

    async fn keep(&self, tokens: &HeldTokens) -> Result<(), VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| VaultError::Unavailable("no randomness".into()))?;
        let mut bytes =
            serde_json::to_vec(tokens).map_err(|e| VaultError::Unavailable(e.to_string()))?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut bytes,
            )
            .map_err(|_| VaultError::Unavailable("the tokens could not be sealed".into()))?;
        let doc = Sealed {
            revision: tokens.revision,
            nonce: b64().encode(nonce),
            sealed: b64().encode(&bytes),
        };
        overwrite_document(self.controls.as_ref(), DOCUMENT, &doc)
            .await
            .map_err(store)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use ehrm_sync_core::memory::MemoryControls;
    use ehrm_sync_core::ports::SecretText;
    use ehrm_sync_domain::sso::SsoKind;

    use super::*;

    fn vault(key: &str, controls: Arc<MemoryControls>) -> SealedVault {
        let env: HashMap<String, String> = [(KEY_VAR.to_string(), key.to_string())].into();
        let key = TokenKey::from_env(&env)
            .expect("a key")
            .expect("configured");
        SealedVault::new(controls, &key).expect("vault")
    }

    #[tokio::test]
    async fn tokens_are_sealed_in_the_store_and_open_only_with_their_key() {
        let controls = Arc::new(MemoryControls::default());
        let key = new_key().expect("key");
        let v = vault(&key, controls.clone());
        let held = HeldTokens {
            revision: 3,
            kind: SsoKind::RefreshToken,
            access: Some(SecretText::new("eyJ-access-rahasia")),
            refresh: Some(SecretText::new("eyJ-refresh-rahasia")),
        };
        v.keep(&held).await.expect("kept");
        let stored = format!("{:?}", controls.docs.lock().expect("docs"));
        assert!(!stored.contains("rahasia"), "sealed: {stored}");
        assert_eq!(v.held(0).await.expect("opens"), Some(held));
        let other = vault(&new_key().expect("key"), controls);
        assert!(matches!(
            other.held(0).await,
            Err(VaultError::Unreadable(_))
        ));
    }

    #[test]
    fn the_key_is_checked_and_optional() {
        let none: HashMap<String, String> = HashMap::new();
        assert!(TokenKey::from_env(&none).expect("ok").is_none());
        let bad: HashMap<String, String> = [(KEY_VAR.to_string(), "abc".to_string())].into();
        let Err(e) = TokenKey::from_env(&bad) else {
            panic!("a short key is refused");
        };
        assert!(e.to_string().contains(KEY_VAR));
        let key: HashMap<String, String> = [(KEY_VAR.to_string(), "ab".repeat(32))].into();
        let shown = format!("{:?}", TokenKey::from_env(&key).expect("ok"));
        assert!(!shown.contains("abab"), "{shown}");
    }
}
