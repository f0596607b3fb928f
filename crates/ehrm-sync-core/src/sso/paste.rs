//! An operator pastes a token (console or `ehrm-sync bkn-token set`): it is read (kind,
//! expiry, account) without being verified, kept in the vault, and the status says what it
//! is — never the token again.

use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::{SsoKind, read_jwt};

use super::{SsoDesk, SsoEvent};
use crate::ports::{HeldTokens, SecretText, StoreError, VaultError};

/// The longest token accepted (Keycloak's are a few KiB).
const MAX_TOKEN_CHARS: usize = 16 * 1024;
/// How long a paste waits for a renewal under way to finish: a whole turn, so a turn left
/// behind by a worker that died expires meanwhile.
const WAIT_FOR_RENEWAL_MS: i64 = super::RENEW_TURN_MS + 1_000;

/// What was pasted, as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pasted {
    pub kind: SsoKind,
    /// When it ends (access token: its expiry; refresh token: its session's end); `None`
    /// when the token does not say (not a JWT).
    pub expires_at: Option<Millis>,
    pub subject_nip: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PasteError {
    #[error("nothing was pasted")]
    Empty,
    #[error("this is not a token (a token is one line of letters, digits and - _ . ~ + / =)")]
    NotAToken,
    #[error("this token expired at {0}")]
    Expired(Millis),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a token renewal is under way; paste again in a minute")]
    Busy,
}

impl PasteError {
    /// The same in Bahasa Indonesia (the console's first language).
    pub fn words_id(&self) -> String {
        match self {
            PasteError::Empty => "Belum ada yang ditempel.".into(),
            PasteError::NotAToken => {
                "Ini bukan token (token adalah satu baris huruf, angka dan - _ . ~ + / =).".into()
            }
            PasteError::Expired(at) => format!(
                "Token ini sudah kedaluwarsa pada {}.",
                ehrm_sync_domain::dates::format_ms(*at)
            ),
            PasteError::Vault(VaultError::NotConfigured(why)) => {
                format!("Tempat penyimpanan token belum disiapkan: {why}")
            }
            PasteError::Vault(e) => format!("Token tidak dapat disimpan: {e}"),
            PasteError::Store(e) => format!("Status token tidak dapat ditulis: {e}"),
            PasteError::Busy => "Token sedang diperbarui; tempel lagi sebentar lagi.".into(),
        }
    }
}

/// The token in what was pasted: trimmed, a `Bearer ` prefix dropped.
fn token_text(pasted: &str) -> Result<&str, PasteError> {
    let t = pasted.trim();
    let t = match t.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => t[7..].trim(),
        _ => t,
    };
    if t.is_empty() {
        return Err(PasteError::Empty);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.~+/=".contains(c);
    if t.len() > MAX_TOKEN_CHARS || !t.chars().all(allowed) {
        return Err(PasteError::NotAToken);
    }
    Ok(t)
}

impl SsoDesk {
    /// Keeps a pasted access or refresh token, recorded as set by `who`.
    pub async fn paste(&self, pasted: &str, who: &str) -> Result<Pasted, PasteError> {
        let token = token_text(pasted)?;
        let facts = read_jwt(token).unwrap_or_default();
        let kind = if facts.is_refresh() {
            SsoKind::RefreshToken
        } else {
            SsoKind::AccessToken
        };
        let now = self.clock.now_ms();
        if let Some(at) = facts.expires_at.filter(|at| *at <= now) {
            return Err(PasteError::Expired(at));
        }
        let vault = self
            .vault
            .clone()
            .ok_or_else(|| VaultError::NotConfigured(no_vault_words().into()))?;
        let holder = format!("paste-{}", crate::ids::new_token());
        let status = self.wait_for_turn(&holder).await?;
        let revision = status.revision + 1;
        let secret = Some(SecretText::new(token));
        let held = HeldTokens {
            revision,
            kind,
            access: if kind == SsoKind::AccessToken {
                secret.clone()
            } else {
                None
            },
            refresh: if kind == SsoKind::RefreshToken {
                secret
            } else {
                None
            },
        };
        if let Err(e) = vault.keep(&held).await {
            self.end_renewal(&holder, |_| {}).await?;
            return Err(e.into());
        }
        let pasted = Pasted {
            kind,
            expires_at: facts.expires_at,
            subject_nip: facts.subject_nip(),
        };
        self.end_renewal(&holder, |s| {
            s.kind = Some(kind);
            s.revision = revision;
            s.subject_nip.clone_from(&pasted.subject_nip);
            s.access_expires_at = (kind == SsoKind::AccessToken)
                .then_some(pasted.expires_at)
                .flatten();
            s.session_expires_at = (kind == SsoKind::RefreshToken)
                .then_some(pasted.expires_at)
                .flatten();
            s.refresh_life_ms = (kind == SsoKind::RefreshToken)
                .then(|| facts.expires_at.zip(facts.issued_at).map(|(e, i)| e - i))
                .flatten();
            s.session_capped = false;
            s.waiting = None;
            s.refused_credentials = None;
            s.set_by = Some(who.to_string());
            s.set_at = Some(now);
        })
        .await?;
        tracing::info!(kind = kind.as_str(), by = who, "BKN SSO token pasted");
        self.append(SsoEvent {
            action: "pasted".into(),
            who: who.to_string(),
            kind: Some(kind),
            expires_at: pasted.expires_at,
            subject_nip: pasted.subject_nip.clone(),
            reason: None,
        })
        .await;
        Ok(pasted)
    }

    async fn wait_for_turn(
        &self,
        holder: &str,
    ) -> Result<ehrm_sync_domain::sso::SsoStatus, PasteError> {
        let until = self.clock.now_ms() + WAIT_FOR_RENEWAL_MS;
        loop {
            if let Some(status) = self.take_renewal(holder).await? {
                return Ok(status);
            }
            if self.clock.now_ms() >= until {
                return Err(PasteError::Busy);
            }
            self.clock.sleep_ms(250).await;
        }
    }
}

/// Why nothing can be pasted here, for the operator who tried.
pub(crate) fn no_vault_words() -> &'static str {
    "no vault for SSO tokens is configured (one machine: set BKN_TOKEN_KEY; AWS: BKN_SSO_SECRET_ID)"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_token_is_trimmed_and_checked() {
        assert_eq!(
            token_text("  Bearer abc.def.ghi \n").ok(),
            Some("abc.def.ghi")
        );
        assert_eq!(token_text("bearer  x").ok(), Some("x"));
        assert!(matches!(token_text(" \n"), Err(PasteError::Empty)));
        assert!(matches!(
            token_text("two words"),
            Err(PasteError::NotAToken)
        ));
        assert!(matches!(token_text("<script>"), Err(PasteError::NotAToken)));
    }
}
