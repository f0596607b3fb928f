use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;

use ehrm_sync_core::memory::MemoryControls;
use ehrm_sync_core::ports::{BknError, Clock, HeldTokens, SsoVault, VaultError};
use ehrm_sync_core::sso::SsoDesk;
use ehrm_sync_domain::sso::{SsoKind, WaitReason};

use super::grant::refusal;
use super::*;
use crate::config::{PasswordLogin, SsoSettings};
use crate::totp::TotpSecret;

const NOW: i64 = 1_800_000_000_000;

struct Clock0(Mutex<i64>);
impl Clock for Clock0 {
    fn now_ms(&self) -> i64 {
        self.0.lock().map(|t| *t).unwrap_or(0)
    }
    fn sleep_ms(
        &self,
        ms: i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        if let Ok(mut t) = self.0.lock() {
            *t += ms.max(0);
        }
        Box::pin(async {})
    }
}

#[derive(Default)]
struct Vault(Mutex<Option<HeldTokens>>);
#[async_trait]
impl SsoVault for Vault {
    async fn held(&self, _: u64) -> Result<Option<HeldTokens>, VaultError> {
        Ok(self.0.lock().ok().and_then(|h| h.clone()))
    }
    async fn keep(&self, t: &HeldTokens) -> Result<(), VaultError> {
        if let Ok(mut h) = self.0.lock() {
            *h = Some(t.clone());
        }
        Ok(())
    }
}

/// A token endpoint answering from a script, recording every form.
#[derive(Default)]
struct Endpoint {
    answers: Mutex<VecDeque<FormAnswer>>,
    forms: Mutex<Vec<Vec<(&'static str, String)>>>,
}
impl Endpoint {
    fn answer(&self, status: u16, body: serde_json::Value) {
        if let Ok(mut a) = self.answers.lock() {
            a.push_back((status, None, body.to_string().into_bytes()));
        }
    }
    fn calls(&self) -> usize {
        self.forms.lock().map(|f| f.len()).unwrap_or(0)
    }
    fn field(&self, i: usize, name: &str) -> Option<String> {
        let forms = self.forms.lock().ok()?;
        forms
            .get(i)?
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}
#[async_trait]
impl FormPost for Endpoint {
    async fn post_form(
        &self,
        _url: &str,
        form: Vec<(&'static str, String)>,
    ) -> Result<FormAnswer, BknError> {
        if let Ok(mut f) = self.forms.lock() {
            f.push(form);
        }
        self.answers
            .lock()
            .ok()
            .and_then(|mut a| a.pop_front())
            .ok_or_else(|| BknError::transient("no scripted answer"))
    }
}

fn jwt(typ: &str, exp_ms: i64) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let claims = serde_json::json!({"exp": exp_ms / 1000, "typ": typ, "azp": "kementerianpuws",
        "preferred_username": "199001012015031001", "n": rand_part()});
    format!("{}.{}.sig", b64(b"{}"), b64(claims.to_string().as_bytes()))
}

/// A token with its issue time, as Keycloak writes it.
fn jwt_issued(typ: &str, iat_ms: i64, exp_ms: i64) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let claims = serde_json::json!({"exp": exp_ms / 1000, "iat": iat_ms / 1000, "typ": typ,
        "azp": "kementerianpuws", "n": rand_part()});
    format!("{}.{}.sig", b64(b"{}"), b64(claims.to_string().as_bytes()))
}

fn rand_part() -> String {
    ehrm_sync_core::ids::new_token()
}

struct Rig {
    login: SsoLogin,
    desk: Arc<SsoDesk>,
    clock: Arc<Clock0>,
    vault: Arc<Vault>,
    endpoint: Endpoint,
}

fn rig(password: Option<PasswordLogin>) -> Rig {
    let clock = Arc::new(Clock0(Mutex::new(NOW)));
    let vault = Arc::new(Vault::default());
    let desk = Arc::new(
        SsoDesk::new(
            Arc::new(MemoryControls::default()),
            Some(vault.clone() as Arc<dyn SsoVault>),
            clock.clone(),
        )
        .with_password_fallback(password.is_some()),
    );
    let settings = SsoSettings {
        token_url: Some("https://sso.example/token".into()),
        client_id: Some("kementerianpuws".into()),
        password,
        start_token: None,
    };
    Rig {
        login: SsoLogin::new(desk.clone(), settings),
        desk,
        clock,
        vault,
        endpoint: Endpoint::default(),
    }
}

fn password(totp: bool) -> PasswordLogin {
    PasswordLogin {
        username: "199001012015031001".into(),
        password: SecretText::new("sandi"),
        totp: totp.then(|| TotpSecret::from_bytes(b"12345678901234567890")),
    }
}

fn waiting(e: Result<SsoAccess, BknError>) -> Option<WaitReason> {
    e.err().and_then(|e| e.awaiting_sso())
}

#[tokio::test]
async fn a_pasted_access_token_is_used_until_it_expires_then_work_waits_without_a_request() {
    let r = rig(None);
    let token = jwt("Bearer", NOW + 300_000);
    r.desk.paste(&token, "op").await.expect("pasted");
    let a = r.login.token(&r.endpoint).await.expect("a token");
    assert_eq!(a.token.expose(), token);
    r.clock.sleep_ms(300_000 - 9_000).await;
    assert_eq!(
        waiting(r.login.token(&r.endpoint).await),
        Some(WaitReason::Expired)
    );
    assert_eq!(
        waiting(r.login.token(&r.endpoint).await),
        Some(WaitReason::Expired)
    );
    assert_eq!(
        r.endpoint.calls(),
        0,
        "no token request is made for a pasted token"
    );
    let status = r.desk.status().await.expect("status");
    assert_eq!(status.waiting.map(|w| w.reason), Some(WaitReason::Expired));
    // A new token pasted: work goes on with it.
    let fresh = jwt("Bearer", NOW + 3_600_000);
    r.desk.paste(&fresh, "op").await.expect("pasted");
    let a = r.login.token(&r.endpoint).await.expect("a token");
    assert_eq!(a.token.expose(), fresh);
}

#[tokio::test]
async fn a_refresh_token_renews_itself_until_the_session_ends() {
    let r = rig(None);
    r.desk
        .paste(&jwt("Refresh", NOW + 1_800_000), "op")
        .await
        .expect("pasted");
    let access1 = jwt("Bearer", NOW + 300_000);
    let refresh2 = jwt("Refresh", NOW + 1_800_000);
    r.endpoint.answer(
        200,
        serde_json::json!({"access_token": access1, "expires_in": 300,
        "refresh_token": refresh2, "refresh_expires_in": 1800}),
    );
    let a = r.login.token(&r.endpoint).await.expect("renewed");
    assert_eq!(a.token.expose(), access1);
    assert_eq!(
        r.endpoint.field(0, "grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        r.endpoint.field(0, "client_id").as_deref(),
        Some("kementerianpuws")
    );
    let held = r.vault.held(0).await.expect("vault").expect("held");
    assert_eq!(
        held.refresh.as_ref().map(|t| t.expose()),
        Some(refresh2.as_str())
    );
    assert_eq!(held.revision, 2);
    // Used until a minute before it expires, then renewed again.
    r.login.token(&r.endpoint).await.expect("same");
    assert_eq!(r.endpoint.calls(), 1);
    r.clock.sleep_ms(241_000).await;
    r.endpoint.answer(
        400,
        serde_json::json!({"error": "invalid_grant",
        "error_description": "Session not active"}),
    );
    assert_eq!(
        waiting(r.login.token(&r.endpoint).await),
        Some(WaitReason::SessionEnded)
    );
    assert_eq!(
        waiting(r.login.token(&r.endpoint).await),
        Some(WaitReason::SessionEnded)
    );
    assert_eq!(r.endpoint.calls(), 2, "an ended session is not tried again");
    let status = r.desk.status().await.expect("status");
    let w = status.waiting.expect("waiting");
    assert_eq!(w.detail.as_deref(), Some("Session not active"));
}

#[tokio::test]
async fn a_refresh_token_is_renewed_before_its_idle_limit_and_a_session_end_is_known_once_met() {
    let r = rig(None);
    let min = 60_000;
    r.desk
        .paste(&jwt_issued("Refresh", NOW, NOW + 30 * min), "op")
        .await
        .expect("pasted");
    // Keycloak: access tokens of an hour, refresh tokens idle out after 30 minutes, the
    // session ends at NOW + 50 minutes.
    let renewal = |at: i64, refresh_end: i64| {
        serde_json::json!({"access_token": jwt_issued("Bearer", at, (at + 60 * min).min(NOW + 50 * min)),
            "refresh_token": jwt_issued("Refresh", at, refresh_end)})
    };
    r.endpoint.answer(200, renewal(NOW, NOW + 30 * min));
    r.login.token(&r.endpoint).await.expect("renewed");
    r.clock.sleep_ms(15 * min).await;
    r.login
        .token(&r.endpoint)
        .await
        .expect("the same access token");
    assert_eq!(r.endpoint.calls(), 1, "half the refresh token's life left");
    // Less than a third of the refresh token's life left: renewed, though the access token
    // has most of its hour.
    r.clock.sleep_ms(6 * min).await;
    r.endpoint
        .answer(200, renewal(NOW + 21 * min, NOW + 50 * min));
    r.login.token(&r.endpoint).await.expect("renewed");
    assert_eq!(r.endpoint.calls(), 2);
    let status = r.desk.status().await.expect("status");
    assert!(status.session_capped, "a shorter life: the session's end");
    assert_eq!(status.ends_at(), Some(NOW + 50 * min));
    r.clock.sleep_ms(20 * min).await;
    r.login.token(&r.endpoint).await.expect("still usable");
    assert_eq!(
        r.endpoint.calls(),
        2,
        "no renewal can move the session's end"
    );
}

#[tokio::test]
async fn a_refused_password_is_not_tried_again_until_the_credentials_change() {
    let r = rig(Some(password(false)));
    r.endpoint.answer(
        401,
        serde_json::json!({"error": "invalid_grant",
        "error_description": "Invalid user credentials"}),
    );
    assert_eq!(
        waiting(r.login.token(&r.endpoint).await),
        Some(WaitReason::WrongPassword)
    );
    assert_eq!(
        waiting(r.login.token(&r.endpoint).await),
        Some(WaitReason::WrongPassword)
    );
    assert_eq!(
        r.endpoint.calls(),
        1,
        "the account is not locked by retries"
    );
    // Another process with new credentials tries once more.
    let mut other = password(false);
    other.password = SecretText::new("sandi-baru");
    let settings = SsoSettings {
        token_url: Some("https://sso.example/token".into()),
        client_id: Some("kementerianpuws".into()),
        password: Some(other),
        start_token: None,
    };
    let again = SsoLogin::new(r.desk.clone(), settings);
    r.endpoint.answer(
        200,
        serde_json::json!({"access_token": jwt("Bearer", NOW + 300_000),
        "expires_in": 300}),
    );
    let a = again.token(&r.endpoint).await.expect("logged in");
    assert_eq!(a.kind, SsoKind::Password);
    assert!(r.desk.status().await.expect("status").waiting.is_none());
}

#[tokio::test]
async fn an_otp_account_sends_the_code_of_the_moment() {
    let r = rig(Some(password(true)));
    r.endpoint.answer(
        200,
        serde_json::json!({"access_token": jwt("Bearer", NOW + 300_000),
        "expires_in": 300}),
    );
    let a = r.login.token(&r.endpoint).await.expect("logged in");
    assert_eq!(a.kind, SsoKind::PasswordOtp);
    let expected = TotpSecret::from_bytes(b"12345678901234567890").code_at(NOW / 1000);
    assert_eq!(r.endpoint.field(0, "totp"), Some(expected));
    assert_eq!(
        r.endpoint.field(0, "grant_type").as_deref(),
        Some("password")
    );
}

#[tokio::test]
async fn a_pasted_token_refused_twice_leaves_work_waiting() {
    let r = rig(None);
    r.desk
        .paste(&jwt("Bearer", NOW + 3_600_000), "op")
        .await
        .expect("pasted");
    let a = r.login.token(&r.endpoint).await.expect("token");
    r.login.refused(&a, false).await;
    let b = r.login.token(&r.endpoint).await.expect("tried once more");
    r.login.refused(&b, true).await;
    assert_eq!(
        waiting(r.login.token(&r.endpoint).await),
        Some(WaitReason::TokenRefused)
    );
}

#[test]
fn keycloak_refusals_are_told_apart() {
    let password = Grant::Password { otp_sent: false };
    let with_otp = Grant::Password { otp_sent: true };
    let cases = [
        (
            401,
            "invalid_grant",
            "Invalid user credentials",
            password,
            Some(WaitReason::WrongPassword),
        ),
        (
            401,
            "invalid_grant",
            "Invalid user credentials",
            with_otp,
            Some(WaitReason::OtpRefused),
        ),
        (
            400,
            "invalid_grant",
            "Account is not fully set up",
            password,
            Some(WaitReason::NeedsOtp),
        ),
        (
            400,
            "invalid_grant",
            "Account disabled",
            password,
            Some(WaitReason::AccountLocked),
        ),
        (
            400,
            "invalid_grant",
            "Account temporarily disabled",
            password,
            Some(WaitReason::AccountLocked),
        ),
        (
            400,
            "unauthorized_client",
            "Client not allowed for direct access grants",
            password,
            Some(WaitReason::GrantNotAllowed),
        ),
        (
            400,
            "invalid_grant",
            "Token is not active",
            Grant::Refresh,
            Some(WaitReason::SessionEnded),
        ),
        (503, "", "", password, None),
        (429, "", "", password, None),
        (502, "invalid_grant", "x", password, None),
    ];
    for (status, error, description, grant, expected) in cases {
        assert_eq!(
            refusal(status, error, description, grant),
            expected,
            "{status} {description}"
        );
    }
}
