//! The SSO token each BKN call is made with (`docs/bkn-sso.md`): a pasted access token until it
//! expires; a pasted refresh token renewed (`grant_type=refresh_token`, one worker at a time)
//! until Keycloak's session ends; else the password grant, with a one-time code for accounts
//! with OTP. When none is usable the shared status says why and every call answers
//! [`BknErrorKind::AwaitingSso`](ehrm_sync_core::ports::BknErrorKind) without a request: no
//! probing, no attempt spent.
//!
//! A refusal no retry fixes (wrong password, OTP needed, account locked, session ended) is
//! recorded once for every worker; the password grant is not tried again with the same
//! credentials (it could lock the account) until they change or an operator asks.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ehrm_sync_core::ports::{BknError, HeldTokens, SecretText, StoreError, VaultError};
use ehrm_sync_core::sso::{PasteError, SsoDesk};
use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::{SsoKind, SsoStatus, WaitReason, read_jwt};

use crate::config::{PasswordLogin, SsoSettings};
pub(crate) use grant::{FormAnswer, FormPost};
use grant::{Grant, Granted, kind_of, read_grant};

/// A pasted access token is not used with less than this left: BKN checks it when the
/// request arrives, so this covers clock skew and transit, not the whole call.
const ACCESS_MARGIN_MS: i64 = 10_000;
/// Tokens ehrm-sync can renew are renewed this long before they expire.
const RENEW_MARGIN_MS: i64 = 60_000;
/// How long a worker waits for another's renewal before looking again.
const WAIT_FOR_RENEWAL_MS: i64 = 15_000;

/// The SSO token a call is made with (its `Debug` shows no token).
#[derive(Clone, Debug)]
pub struct SsoAccess {
    pub token: SecretText,
    pub kind: SsoKind,
    expires_at: Option<Millis>,
    /// It is not used with less than this left.
    margin_ms: i64,
    /// The shared status's revision when it was taken.
    revision: u64,
    generation: u64,
}

impl SsoAccess {
    fn new(token: SecretText, kind: SsoKind, expires_at: Option<Millis>, revision: u64) -> Self {
        let most = if kind == SsoKind::AccessToken {
            ACCESS_MARGIN_MS
        } else {
            RENEW_MARGIN_MS
        };
        // A short-lived token (its JWT tells its whole life) keeps a quarter of it in reserve,
        // not a whole minute.
        let lifetime = read_jwt(token.expose())
            .and_then(|f| f.expires_at.zip(f.issued_at))
            .map(|(exp, iat)| exp - iat);
        let margin_ms = lifetime.map_or(most, |l| most.min(l / 4).max(1_000));
        SsoAccess {
            token,
            kind,
            expires_at,
            margin_ms,
            revision,
            generation: 0,
        }
    }

    fn usable(&self, now: Millis) -> bool {
        self.expires_at.is_none_or(|at| at - self.margin_ms > now)
    }
}

/// What to do after looking at the held tokens.
enum Next {
    Use(SsoAccess),
    /// Look again from the start (another worker renewed or a token was seeded).
    Again,
    PasswordLogin,
}

/// Tokens a refresh grant gave, to be kept.
struct Renewed {
    revision: u64,
    access: SecretText,
    access_expires_at: Option<Millis>,
    refresh: SecretText,
    session_expires_at: Option<Millis>,
    subject_nip: Option<String>,
}

pub struct SsoLogin {
    desk: Arc<SsoDesk>,
    settings: SsoSettings,
    holder: String,
    current: Mutex<Option<SsoAccess>>,
    /// A generation BKN refused once: renewed (or logged in again) before it is used again.
    suspect: Mutex<Option<u64>>,
    generation: AtomicU64,
    /// One slow path (login, renewal, vault read) per process at a time.
    slow: tokio::sync::Mutex<()>,
    /// Without a shared vault: a start-up token and its renewals, for this process only.
    memory: Mutex<Option<HeldTokens>>,
    seeded: AtomicBool,
}

impl SsoLogin {
    pub fn new(desk: Arc<SsoDesk>, settings: SsoSettings) -> Self {
        let memory = match (&settings.start_token, desk.vault()) {
            (Some(token), None) => Some(HeldTokens {
                revision: 0,
                kind: kind_of(token.expose()),
                access: (kind_of(token.expose()) == SsoKind::AccessToken).then(|| token.clone()),
                refresh: (kind_of(token.expose()) == SsoKind::RefreshToken).then(|| token.clone()),
            }),
            _ => None,
        };
        SsoLogin {
            desk,
            settings,
            holder: format!("worker-{}", ehrm_sync_core::ids::new_token()),
            current: Mutex::new(None),
            suspect: Mutex::new(None),
            generation: AtomicU64::new(0),
            slow: tokio::sync::Mutex::new(()),
            memory: Mutex::new(memory),
            seeded: AtomicBool::new(false),
        }
    }

    pub fn desk(&self) -> &Arc<SsoDesk> {
        &self.desk
    }

    fn now(&self) -> Millis {
        self.desk.clock().now_ms()
    }

    /// Whether `access` may still be sent now (a call may have waited for its turn since).
    pub(crate) fn still_usable(&self, access: &SsoAccess) -> bool {
        access.usable(self.now())
    }

    fn cached(&self, status: &SsoStatus) -> Option<SsoAccess> {
        let now = self.now();
        let suspect = self.suspect.lock().ok().and_then(|s| *s);
        let current = self.current.lock().ok()?.clone()?;
        let renewable_suspect =
            current.kind != SsoKind::AccessToken && suspect == Some(current.generation);
        (status.waiting.is_none()
            && status.revision == current.revision
            && current.usable(now)
            && !status.refresh_due(now)
            && !renewable_suspect)
            .then_some(current)
    }

    fn keep(
        &self,
        token: SecretText,
        kind: SsoKind,
        expires_at: Option<Millis>,
        revision: u64,
    ) -> SsoAccess {
        let mut access = SsoAccess::new(token, kind, expires_at, revision);
        access.generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        if let Ok(mut c) = self.current.lock() {
            *c = Some(access.clone());
        }
        access
    }

    /// The token to call BKN with, or why there is none.
    pub(crate) async fn token(&self, post: &dyn FormPost) -> Result<SsoAccess, BknError> {
        let status = self.desk.recent_status().await.map_err(store)?;
        if let Some(a) = self.cached(&status) {
            return Ok(a);
        }
        let _turn = self.slow.lock().await;
        for _ in 0..4 {
            let status = self.desk.status().await.map_err(store)?;
            if let Some(a) = self.cached(&status) {
                return Ok(a);
            }
            if let Some(w) = &status.waiting
                && !self.may_try_password(&status, w.reason)
            {
                return Err(BknError::awaiting(w.reason));
            }
            if status.waiting.is_none() {
                match self.use_held(&status, post).await? {
                    Some(Next::Use(a)) => return Ok(a),
                    Some(Next::Again) => continue,
                    Some(Next::PasswordLogin) | None => {}
                }
            }
            return match &self.settings.password {
                Some(login) => self.password_login(login, &status, post).await,
                None => {
                    let reason = match status.kind {
                        Some(SsoKind::AccessToken) => WaitReason::Expired,
                        Some(SsoKind::RefreshToken) => WaitReason::SessionEnded,
                        _ => WaitReason::NoToken,
                    };
                    let reason = status.waiting.as_ref().map_or(reason, |w| w.reason);
                    self.desk
                        .mark_waiting(reason, None, status.revision, None)
                        .await
                        .map_err(store)?;
                    Err(BknError::awaiting(reason))
                }
            };
        }
        Err(BknError::transient(
            "the SSO token kept changing; tried again later",
        ))
    }

    /// While work waits: whether the password grant may be tried (configured, and not refused
    /// for these very credentials).
    fn may_try_password(&self, status: &SsoStatus, reason: WaitReason) -> bool {
        let Some(login) = &self.settings.password else {
            return false;
        };
        !reason.refuses_password()
            || status.refused_credentials.as_deref() != Some(login.fingerprint().as_str())
    }

    /// Tokens pasted (or given at start-up) and their renewals; `None` when there are none.
    async fn use_held(
        &self,
        status: &SsoStatus,
        post: &dyn FormPost,
    ) -> Result<Option<Next>, BknError> {
        if self.seed_start_token(status).await {
            return Ok(Some(Next::Again));
        }
        let Some(held) = self.held(status.revision).await? else {
            return Ok(None);
        };
        let now = self.now();
        match held.kind {
            SsoKind::AccessToken => {
                let Some(token) = held.access else {
                    return Ok(None);
                };
                let expires_at = read_jwt(token.expose())
                    .and_then(|f| f.expires_at)
                    .or(status.access_expires_at);
                let access = self.keep(token, SsoKind::AccessToken, expires_at, status.revision);
                if access.usable(now) {
                    return Ok(Some(Next::Use(access)));
                }
                self.forget();
                self.gone(WaitReason::Expired, None, status).await
            }
            SsoKind::RefreshToken => {
                let suspect = self.suspect.lock().ok().and_then(|s| *s);
                if let Some(token) = held.access.clone() {
                    let expires_at = read_jwt(token.expose())
                        .and_then(|f| f.expires_at)
                        .or(status.access_expires_at);
                    let candidate =
                        SsoAccess::new(token, SsoKind::RefreshToken, expires_at, status.revision);
                    let was_refused = self
                        .current
                        .lock()
                        .ok()
                        .and_then(|c| c.clone())
                        .is_some_and(|c| {
                            suspect == Some(c.generation) && c.token == candidate.token
                        });
                    if candidate.usable(now) && !was_refused && !status.refresh_due(now) {
                        let a = self.keep(
                            candidate.token,
                            SsoKind::RefreshToken,
                            expires_at,
                            status.revision,
                        );
                        return Ok(Some(Next::Use(a)));
                    }
                }
                self.renew(held, status, post).await
            }
            SsoKind::Password | SsoKind::PasswordOtp => Ok(None),
        }
    }

    /// A pasted token is gone (expired, session ended): the password login if there is one,
    /// else work waits.
    async fn gone(
        &self,
        reason: WaitReason,
        detail: Option<String>,
        status: &SsoStatus,
    ) -> Result<Option<Next>, BknError> {
        if self.settings.password.is_some() {
            return Ok(Some(Next::PasswordLogin));
        }
        self.desk
            .mark_waiting(reason, detail, status.revision, None)
            .await
            .map_err(store)?;
        Err(BknError::awaiting(reason))
    }

    /// `BKN_SSO_TOKEN` given at start-up goes into the shared vault once, if the vault holds
    /// nothing newer. Returns whether it was put there.
    async fn seed_start_token(&self, status: &SsoStatus) -> bool {
        let Some(token) = &self.settings.start_token else {
            return false;
        };
        if self.desk.vault().is_none()
            || status.revision != 0
            || self.seeded.swap(true, Ordering::Relaxed)
        {
            return false;
        }
        match self.desk.paste(token.expose(), "BKN_SSO_TOKEN").await {
            Ok(_) => true,
            Err(PasteError::Expired(_)) => {
                tracing::warn!("BKN_SSO_TOKEN has expired; it is not used");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "BKN_SSO_TOKEN could not be kept in the vault");
                false
            }
        }
    }

    async fn held(&self, at_least: u64) -> Result<Option<HeldTokens>, BknError> {
        let Some(vault) = self.desk.vault() else {
            return Ok(self.memory.lock().ok().and_then(|m| m.clone()));
        };
        match vault.held(at_least).await {
            Ok(held) => Ok(held),
            Err(VaultError::Unavailable(why)) => Err(BknError::transient(format!(
                "the SSO token vault cannot be read: {why}"
            ))),
            Err(e) => {
                tracing::error!(error = %e, "SSO tokens in the vault cannot be used");
                Ok(None)
            }
        }
    }

    async fn keep_held(&self, held: HeldTokens) -> Result<(), BknError> {
        match self.desk.vault() {
            Some(vault) => vault
                .keep(&held)
                .await
                .map_err(|e| BknError::transient(e.to_string())),
            None => {
                if let Ok(mut m) = self.memory.lock() {
                    *m = Some(held);
                }
                Ok(())
            }
        }
    }

    /// Renews a refresh token, one worker at a time.
    async fn renew(
        &self,
        held: HeldTokens,
        status: &SsoStatus,
        post: &dyn FormPost,
    ) -> Result<Option<Next>, BknError> {
        let Some(refresh) = held.refresh.clone() else {
            return self.gone(WaitReason::SessionEnded, None, status).await;
        };
        let Some(url) = self.settings.token_url.clone() else {
            let why = "BKN_SSO_TOKEN_URL is not set: the refresh token cannot be renewed";
            return self
                .gone(WaitReason::SessionEnded, Some(why.into()), status)
                .await;
        };
        let Some(turn) = self.desk.take_renewal(&self.holder).await.map_err(store)? else {
            self.wait_for_other_renewal(status.revision).await;
            return Ok(Some(Next::Again));
        };
        if turn.revision != status.revision {
            self.desk
                .end_renewal(&self.holder, |_| {})
                .await
                .map_err(store)?;
            return Ok(Some(Next::Again));
        }
        let facts = read_jwt(refresh.expose()).unwrap_or_default();
        let client_id = facts
            .client_id
            .clone()
            .or_else(|| self.settings.client_id.clone())
            .unwrap_or_default();
        let form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("client_id", client_id),
            ("refresh_token", refresh.expose().to_string()),
        ];
        let answer = post.post_form(&url, form).await;
        let granted = match answer.and_then(|a| read_grant(a, self.now(), Grant::Refresh)) {
            Ok(g) => g,
            Err(e) => {
                self.desk
                    .end_renewal(&self.holder, |_| {})
                    .await
                    .map_err(store)?;
                return Err(e);
            }
        };
        match granted {
            Granted::Tokens {
                access,
                access_expires_at,
                refresh: renewed_refresh,
                session_expires_at,
                subject_nip,
            } => {
                let renewed = Renewed {
                    revision: turn.revision + 1,
                    access,
                    access_expires_at,
                    refresh: renewed_refresh.unwrap_or(refresh),
                    session_expires_at: session_expires_at.or(status.session_expires_at),
                    subject_nip,
                };
                self.keep_renewed(renewed).await.map(Some)
            }
            Granted::Refused(_, detail) => {
                self.desk
                    .end_renewal(&self.holder, |_| {})
                    .await
                    .map_err(store)?;
                self.forget();
                self.gone(WaitReason::SessionEnded, Some(detail), status)
                    .await
            }
        }
    }

    /// Keeps renewed tokens in the vault, then ends the renewal turn with the new revision.
    async fn keep_renewed(&self, r: Renewed) -> Result<Next, BknError> {
        let life = read_jwt(r.refresh.expose())
            .and_then(|f| f.expires_at.zip(f.issued_at))
            .map(|(e, i)| e - i);
        let kept = self
            .keep_held(HeldTokens {
                revision: r.revision,
                kind: SsoKind::RefreshToken,
                access: Some(r.access.clone()),
                refresh: Some(r.refresh),
            })
            .await;
        if let Err(e) = kept {
            self.desk
                .end_renewal(&self.holder, |_| {})
                .await
                .map_err(store)?;
            return Err(e);
        }
        self.desk
            .end_renewal(&self.holder, |s| {
                s.revision = r.revision;
                s.session_expires_at = r.session_expires_at;
                // A shorter life than before: the session's end cut it, and no renewal moves it.
                let shorter = s.refresh_life_ms.zip(life);
                s.session_capped |= shorter.is_some_and(|(before, now)| now < before - 5_000);
                s.refresh_life_ms = s.refresh_life_ms.max(life);
            })
            .await
            .map_err(store)?;
        self.desk
            .logged_in(SsoKind::RefreshToken, r.access_expires_at, r.subject_nip)
            .await
            .map_err(store)?;
        tracing::info!("BKN SSO token renewed with the refresh token");
        let a = self.keep(
            r.access,
            SsoKind::RefreshToken,
            r.access_expires_at,
            r.revision,
        );
        Ok(Next::Use(a))
    }

    async fn wait_for_other_renewal(&self, revision: u64) {
        let until = self.now() + WAIT_FOR_RENEWAL_MS;
        while self.now() < until {
            self.desk.clock().sleep_ms(500).await;
            match self.desk.status().await {
                Ok(s) if s.renewing.is_none() || s.revision != revision => return,
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }

    async fn password_login(
        &self,
        login: &PasswordLogin,
        status: &SsoStatus,
        post: &dyn FormPost,
    ) -> Result<SsoAccess, BknError> {
        let (Some(url), Some(client_id)) = (&self.settings.token_url, &self.settings.client_id)
        else {
            return Err(BknError::awaiting(WaitReason::NoToken));
        };
        let mut form = vec![
            ("client_id", client_id.clone()),
            ("grant_type", "password".to_string()),
            ("username", login.username.clone()),
            ("password", login.password.expose().to_string()),
        ];
        let kind = match &login.totp {
            Some(secret) => {
                form.push(("totp", secret.code_at(self.now() / 1000)));
                SsoKind::PasswordOtp
            }
            None => SsoKind::Password,
        };
        let grant = Grant::Password {
            otp_sent: login.totp.is_some(),
        };
        match read_grant(post.post_form(url, form).await?, self.now(), grant)? {
            Granted::Tokens {
                access,
                access_expires_at,
                subject_nip,
                ..
            } => {
                let subject = subject_nip.or_else(|| {
                    Some(login.username.clone())
                        .filter(|u| u.len() == 18 && u.bytes().all(|b| b.is_ascii_digit()))
                });
                self.desk
                    .logged_in(kind, access_expires_at, subject)
                    .await
                    .map_err(store)?;
                Ok(self.keep(access, kind, access_expires_at, status.revision))
            }
            Granted::Refused(reason, detail) => {
                self.desk
                    .mark_waiting(
                        reason,
                        Some(detail),
                        status.revision,
                        Some(login.fingerprint()),
                    )
                    .await
                    .map_err(store)?;
                Err(BknError::awaiting(reason))
            }
        }
    }

    fn forget(&self) {
        if let Ok(mut c) = self.current.lock() {
            *c = None;
        }
    }

    /// BKN answered a call made with `access` with a token error. The first time the token is
    /// only suspected (the APIM token may be the one refused): a renewable one is renewed
    /// before its next use. A second refusal of a pasted token, with a fresh APIM token, means
    /// the token itself is refused: work waits.
    pub(crate) async fn refused(&self, access: &SsoAccess, again: bool) {
        if !again {
            if let Ok(mut s) = self.suspect.lock() {
                *s = Some(access.generation);
            }
            if access.kind.pasted() {
                return;
            }
            self.forget();
            return;
        }
        self.forget();
        if access.kind.pasted()
            && let Err(e) = self
                .desk
                .mark_waiting(WaitReason::TokenRefused, None, access.revision, None)
                .await
        {
            tracing::warn!(error = %e, "the SSO wait could not be recorded");
        }
    }
}

fn store(e: StoreError) -> BknError {
    BknError::transient(format!("the SSO status cannot be read: {e}"))
}

mod grant;
#[cfg(test)]
mod tests;
