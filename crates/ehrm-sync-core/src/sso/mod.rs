//! The SSO desk (`docs/bkn-sso.md`): the shared status of the BKN SSO login and every change to
//! it. Operators paste a token here (console, `ehrm-sync bkn-token set`); the BKN client marks
//! the login waiting when no usable token is left, and takes turns renewing a refresh token;
//! delivery and the long runs ask it whether BKN work must wait.
//!
//! The status (no token in it) is a control document written with compare-and-swap; the
//! tokens are in the [`SsoVault`]; every operator change and every start and end of a wait is
//! appended to the `bkn-sso` event stream.

mod paste;
mod watch;

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::{Renewing, SsoKind, SsoStatus, Standing, WaitReason, Waiting};

use crate::ports::{Clock, ControlStore, SsoVault, StoreError, load_document, save_document};

pub use paste::{PasteError, Pasted};
pub use watch::SsoWatch;

pub const CONTROL_NAME: &str = "bkn/sso";
pub const EVENT_STREAM: &str = "bkn-sso";
/// A renewal's turn: one token request and its bookkeeping.
const RENEW_TURN_MS: i64 = 45_000;
/// The status is read again after this long (a paste is seen within it).
const CACHE_MS: i64 = 2_000;
const MAX_CAS_ROUNDS: usize = 16;

/// One entry of the `bkn-sso` stream: who changed what, or when work started and stopped
/// waiting. Never holds a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoEvent {
    /// `pasted`, `retry_login`, `waiting`, `resumed`.
    pub action: String,
    pub who: String,
    pub kind: Option<SsoKind>,
    pub expires_at: Option<Millis>,
    pub subject_nip: Option<String>,
    pub reason: Option<WaitReason>,
}

pub struct SsoDesk {
    pub(crate) controls: Arc<dyn ControlStore>,
    vault: Option<Arc<dyn SsoVault>>,
    clock: Arc<dyn Clock>,
    /// A password login is configured: an expired pasted token is not a reason to wait.
    password_fallback: bool,
    cached: Mutex<Option<(Millis, SsoStatus)>>,
}

impl SsoDesk {
    pub fn new(
        controls: Arc<dyn ControlStore>,
        vault: Option<Arc<dyn SsoVault>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        SsoDesk {
            controls,
            vault,
            clock,
            password_fallback: false,
            cached: Mutex::new(None),
        }
    }

    /// A password login is configured beside any pasted token.
    pub fn with_password_fallback(mut self, configured: bool) -> Self {
        self.password_fallback = configured;
        self
    }

    pub fn vault(&self) -> Option<&Arc<dyn SsoVault>> {
        self.vault.as_ref()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The status as stored now.
    pub async fn status(&self) -> Result<SsoStatus, StoreError> {
        let (status, _) = self.load().await?;
        Ok(status)
    }

    async fn load(&self) -> Result<(SsoStatus, u64), StoreError> {
        let (status, revision) =
            load_document::<SsoStatus>(self.controls.as_ref(), CONTROL_NAME).await?;
        let status = status.unwrap_or_default();
        if let Ok(mut c) = self.cached.lock() {
            *c = Some((self.clock.now_ms(), status.clone()));
        }
        Ok((status, revision))
    }

    /// The status, read at most every couple of seconds (delivery asks before every message).
    pub async fn recent_status(&self) -> Result<SsoStatus, StoreError> {
        let now = self.clock.now_ms();
        if let Ok(c) = self.cached.lock()
            && let Some((at, status)) = c.as_ref()
            && now - at < CACHE_MS
            && now >= *at
        {
            return Ok(status.clone());
        }
        self.status().await
    }

    /// The status and how it stands now (the watch's reading, for pages and `status`).
    pub async fn standing(&self) -> Result<(SsoStatus, Standing), StoreError> {
        let status = self.recent_status().await?;
        let now = self.clock.now_ms();
        let standing = match self.reason_in(&status, now) {
            Some(reason) => Standing::Waiting { reason },
            None => status.standing(now),
        };
        Ok((status, standing))
    }

    /// Why BKN work must wait now, if it must: a wait the client recorded, or a pasted token
    /// known to have ended with no password login to fall back on.
    pub async fn wait_reason(&self) -> Result<Option<WaitReason>, StoreError> {
        Ok(self.waited().await?.map(|(reason, _)| reason))
    }

    /// Why BKN work must wait, and how long it has waited.
    pub async fn waited(&self) -> Result<Option<(WaitReason, i64)>, StoreError> {
        let status = self.recent_status().await?;
        let now = self.clock.now_ms();
        let since = status
            .waiting
            .as_ref()
            .map(|w| w.since)
            .or_else(|| status.ends_at())
            .unwrap_or(now);
        Ok(self
            .reason_in(&status, now)
            .map(|reason| (reason, (now - since).max(0))))
    }

    pub(crate) fn reason_in(&self, status: &SsoStatus, now: Millis) -> Option<WaitReason> {
        if let Some(w) = &status.waiting {
            return Some(w.reason);
        }
        if self.password_fallback {
            return None;
        }
        match status.kind {
            Some(SsoKind::AccessToken) => status
                .access_expires_at
                .filter(|at| *at <= now)
                .map(|_| WaitReason::Expired),
            Some(SsoKind::RefreshToken) => status
                .session_expires_at
                .filter(|at| *at <= now)
                .map(|_| WaitReason::SessionEnded),
            _ => None,
        }
    }

    /// Applies `change` under compare-and-swap; `change` returns `false` to leave the status
    /// as it is. Returns the status as it stands afterwards, and whether it was changed.
    pub async fn update(
        &self,
        mut change: impl FnMut(&mut SsoStatus) -> bool,
    ) -> Result<(SsoStatus, bool), StoreError> {
        for _ in 0..MAX_CAS_ROUNDS {
            let (mut status, revision) = self.load().await?;
            if !change(&mut status) {
                return Ok((status, false));
            }
            status.changed_at = self.clock.now_ms();
            match save_document(self.controls.as_ref(), CONTROL_NAME, &status, revision).await {
                Ok(_) => {
                    if let Ok(mut c) = self.cached.lock() {
                        *c = Some((self.clock.now_ms(), status.clone()));
                    }
                    return Ok((status, true));
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(
            "the SSO status kept changing while it was written".into(),
        ))
    }

    /// Records that BKN work waits for `reason`, unless the tokens changed since `revision`
    /// was read (a newer paste wins). `refused_credentials` names the password credentials a
    /// refusal was for.
    pub async fn mark_waiting(
        &self,
        reason: WaitReason,
        detail: Option<String>,
        revision: u64,
        refused_credentials: Option<String>,
    ) -> Result<SsoStatus, StoreError> {
        let now = self.clock.now_ms();
        let (status, changed) = self
            .update(|s| {
                if s.revision != revision || s.waiting.as_ref().is_some_and(|w| w.reason == reason)
                {
                    return false;
                }
                s.waiting = Some(Waiting {
                    reason,
                    since: now,
                    detail: detail.clone(),
                });
                if refused_credentials.is_some() {
                    s.refused_credentials.clone_from(&refused_credentials);
                }
                true
            })
            .await?;
        if changed {
            tracing::warn!(
                reason = reason.as_str(),
                "BKN work waits for an SSO token: {}",
                reason.words_en()
            );
            self.append(SsoEvent {
                action: "waiting".into(),
                who: "ehrm-sync".into(),
                kind: status.kind,
                expires_at: status.ends_at(),
                subject_nip: status.subject_nip.clone(),
                reason: Some(reason),
            })
            .await;
        }
        Ok(status)
    }

    /// Takes the turn to renew the shared token; `None` when another worker holds it.
    pub async fn take_renewal(&self, holder: &str) -> Result<Option<SsoStatus>, StoreError> {
        let now = self.clock.now_ms();
        let (status, taken) = self
            .update(|s| {
                if s.renewing
                    .as_ref()
                    .is_some_and(|r| r.until > now && r.holder != holder)
                {
                    return false;
                }
                s.renewing = Some(Renewing {
                    holder: holder.to_string(),
                    until: now + RENEW_TURN_MS,
                });
                true
            })
            .await?;
        Ok(taken.then_some(status))
    }

    /// Ends `holder`'s turn, applying `change` (the renewal's result) in the same write.
    pub async fn end_renewal(
        &self,
        holder: &str,
        mut change: impl FnMut(&mut SsoStatus),
    ) -> Result<SsoStatus, StoreError> {
        let (status, _) = self
            .update(|s| {
                if s.renewing.as_ref().is_some_and(|r| r.holder == holder) {
                    s.renewing = None;
                }
                change(s);
                true
            })
            .await?;
        Ok(status)
    }

    /// A login that worked: the way in, its expiry and account, and the end of any wait.
    pub async fn logged_in(
        &self,
        kind: SsoKind,
        access_expires_at: Option<Millis>,
        subject_nip: Option<String>,
    ) -> Result<(), StoreError> {
        let (status, changed) = self
            .update(|s| {
                let moved = |a: Option<Millis>, b: Option<Millis>| match (a, b) {
                    (Some(a), Some(b)) => (a - b).abs() > 60_000,
                    (a, b) => a != b,
                };
                if s.kind == Some(kind)
                    && s.waiting.is_none()
                    && !moved(s.access_expires_at, access_expires_at)
                    && (subject_nip.is_none() || s.subject_nip == subject_nip)
                {
                    return false;
                }
                s.kind = Some(kind);
                s.access_expires_at = access_expires_at;
                if subject_nip.is_some() {
                    s.subject_nip.clone_from(&subject_nip);
                }
                if !kind.pasted() {
                    s.session_expires_at = None;
                    s.refresh_life_ms = None;
                    s.session_capped = false;
                }
                s.refused_credentials = None;
                s.waiting = None;
                true
            })
            .await?;
        if changed {
            self.resumed_if_was_waiting(&status).await;
        }
        Ok(())
    }

    async fn resumed_if_was_waiting(&self, status: &SsoStatus) {
        let last = self
            .history(1)
            .await
            .ok()
            .and_then(|h| h.into_iter().next());
        if last.is_some_and(|(_, e)| e.action == "waiting") {
            tracing::info!("BKN work resumes: a usable SSO token is held");
            self.append(SsoEvent {
                action: "resumed".into(),
                who: "ehrm-sync".into(),
                kind: status.kind,
                expires_at: status.ends_at(),
                subject_nip: status.subject_nip.clone(),
                reason: None,
            })
            .await;
        }
    }

    /// The APIM token's expiry, kept for the overview (written only when it moved).
    pub async fn apim_renewed(&self, expires_at: Millis) -> Result<(), StoreError> {
        self.update(|s| {
            if s.apim_expires_at
                .is_some_and(|a| (a - expires_at).abs() < 60_000)
            {
                return false;
            }
            s.apim_expires_at = Some(expires_at);
            true
        })
        .await
        .map(|_| ())
    }

    /// An operator asks for the password login to be tried again (after fixing the account).
    pub async fn retry_login(&self, who: &str) -> Result<SsoStatus, StoreError> {
        let (status, changed) = self
            .update(|s| {
                if s.waiting.is_none() && s.refused_credentials.is_none() {
                    return false;
                }
                s.waiting = None;
                s.refused_credentials = None;
                true
            })
            .await?;
        if changed {
            self.append(SsoEvent {
                action: "retry_login".into(),
                who: who.to_string(),
                kind: status.kind,
                expires_at: status.ends_at(),
                subject_nip: status.subject_nip.clone(),
                reason: None,
            })
            .await;
        }
        Ok(status)
    }

    /// The newest entries of the `bkn-sso` stream first.
    pub async fn history(&self, limit: usize) -> Result<Vec<(Millis, SsoEvent)>, StoreError> {
        Ok(self
            .controls
            .events(EVENT_STREAM, limit)
            .await?
            .into_iter()
            .filter_map(|(at, v)| serde_json::from_value(v).ok().map(|e| (at, e)))
            .collect())
    }

    async fn append(&self, event: SsoEvent) {
        let Ok(value) = serde_json::to_value(&event) else {
            return;
        };
        if let Err(e) = self
            .controls
            .append_event(EVENT_STREAM, self.clock.now_ms(), &value)
            .await
        {
            tracing::error!(error = %e, action = %event.action, "SSO event not written");
        }
    }
}

#[cfg(test)]
mod tests;
