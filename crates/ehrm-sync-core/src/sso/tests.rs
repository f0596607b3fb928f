use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;

use ehrm_sync_domain::sso::{SsoKind, WaitReason};

use super::*;
use crate::ports::{HeldTokens, SsoVault, VaultError};
use crate::test_support::{FakeClock, MemControls};

#[derive(Default)]
struct MemVault(Mutex<Option<HeldTokens>>);

#[async_trait]
impl SsoVault for MemVault {
    async fn held(&self, _: u64) -> Result<Option<HeldTokens>, VaultError> {
        Ok(self.0.lock().ok().and_then(|h| h.clone()))
    }
    async fn keep(&self, tokens: &HeldTokens) -> Result<(), VaultError> {
        if let Ok(mut h) = self.0.lock() {
            *h = Some(tokens.clone());
        }
        Ok(())
    }
}

const NOW: i64 = 1_800_000_000_000;

fn jwt(typ: &str, exp_ms: i64) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let claims = serde_json::json!({"exp": exp_ms / 1000, "typ": typ,
        "preferred_username": "199001012015031001"});
    format!("{}.{}.sig", b64(b"{}"), b64(claims.to_string().as_bytes()))
}

fn desk(vault: Option<Arc<MemVault>>) -> (SsoDesk, Arc<FakeClock>, Arc<MemControls>) {
    let clock = Arc::new(FakeClock::at(NOW));
    let controls = Arc::new(MemControls::default());
    let vault = vault.map(|v| v as Arc<dyn SsoVault>);
    (
        SsoDesk::new(controls.clone(), vault, clock.clone()),
        clock,
        controls,
    )
}

#[tokio::test]
async fn a_pasted_access_token_is_kept_in_the_vault_and_described_without_its_text() {
    let vault = Arc::new(MemVault::default());
    let (desk, _, controls) = desk(Some(vault.clone()));
    let token = jwt("Bearer", NOW + 3_600_000);
    let pasted = desk
        .paste(&format!("Bearer {token}\n"), "operator1")
        .await
        .expect("kept");
    assert_eq!(pasted.kind, SsoKind::AccessToken);
    assert_eq!(pasted.expires_at, Some(NOW + 3_600_000));
    assert_eq!(pasted.subject_nip.as_deref(), Some("199001012015031001"));
    let held = vault.held(0).await.expect("vault").expect("held");
    assert_eq!(
        held.access.as_ref().map(|t| t.expose()),
        Some(token.as_str())
    );
    assert_eq!(held.revision, 1);
    let status = desk.status().await.expect("status");
    assert_eq!(status.revision, 1);
    assert_eq!(status.set_by.as_deref(), Some("operator1"));
    assert_eq!(status.access_expires_at, Some(NOW + 3_600_000));
    let stored = format!("{:?}", controls.docs.lock().expect("docs"));
    let events = format!("{:?}", controls.events.lock().expect("events"));
    let sig = token.split('.').nth(1).expect("payload");
    assert!(
        !stored.contains(sig) && !events.contains(sig),
        "no token in the shared store"
    );
    assert!(events.contains("pasted") && events.contains("operator1"));
}

#[tokio::test]
async fn a_refresh_token_is_told_apart_and_an_expired_or_odd_paste_refused() {
    let vault = Arc::new(MemVault::default());
    let (desk, _, _) = desk(Some(vault.clone()));
    let pasted = desk
        .paste(&jwt("Refresh", NOW + 8 * 3_600_000), "op")
        .await
        .expect("kept");
    assert_eq!(pasted.kind, SsoKind::RefreshToken);
    let status = desk.status().await.expect("status");
    assert_eq!(status.session_expires_at, Some(NOW + 8 * 3_600_000));
    assert_eq!(status.access_expires_at, None);
    assert!(matches!(
        desk.paste(&jwt("Bearer", NOW - 1_000), "op").await,
        Err(PasteError::Expired(_))
    ));
    assert!(matches!(
        desk.paste("not a token", "op").await,
        Err(PasteError::NotAToken)
    ));
    let (no_vault, _, _) = super::tests::desk(None);
    assert!(matches!(
        no_vault.paste(&jwt("Bearer", NOW + 60_000), "op").await,
        Err(PasteError::Vault(VaultError::NotConfigured(_)))
    ));
}

#[tokio::test]
async fn an_expired_pasted_token_makes_work_wait_unless_a_password_login_is_configured() {
    let vault = Arc::new(MemVault::default());
    let (desk, clock, _) = desk(Some(vault));
    desk.paste(&jwt("Bearer", NOW + 60_000), "op")
        .await
        .expect("kept");
    assert_eq!(desk.wait_reason().await.expect("read"), None);
    clock.advance(61_000);
    assert_eq!(
        desk.wait_reason().await.expect("read"),
        Some(WaitReason::Expired)
    );
    let desk = desk.with_password_fallback(true);
    clock.advance(CACHE_MS);
    assert_eq!(desk.wait_reason().await.expect("read"), None);
}

#[tokio::test]
async fn a_wait_is_recorded_once_and_a_newer_paste_wins_over_an_old_refusal() {
    let vault = Arc::new(MemVault::default());
    let (desk, _, controls) = desk(Some(vault));
    desk.paste(&jwt("Bearer", NOW + 600_000), "op")
        .await
        .expect("kept");
    let s = desk
        .mark_waiting(WaitReason::TokenRefused, None, 1, None)
        .await
        .expect("marked");
    assert_eq!(
        s.waiting.as_ref().map(|w| w.reason),
        Some(WaitReason::TokenRefused)
    );
    desk.mark_waiting(WaitReason::TokenRefused, None, 1, None)
        .await
        .expect("again");
    let waits = controls
        .events
        .lock()
        .expect("events")
        .iter()
        .filter(|(_, _, e)| e["action"] == "waiting")
        .count();
    assert_eq!(waits, 1, "one event per wait");
    desk.paste(&jwt("Bearer", NOW + 600_000), "op")
        .await
        .expect("kept");
    // A refusal of the old token read before the paste does not stop the new one.
    let s = desk
        .mark_waiting(WaitReason::TokenRefused, None, 2 - 1, None)
        .await
        .expect("read");
    assert!(s.waiting.is_none());
    assert_eq!(desk.wait_reason().await.expect("read"), None);
}

#[tokio::test]
async fn one_worker_renews_at_a_time_and_a_paste_waits_for_its_turn() {
    let vault = Arc::new(MemVault::default());
    let (desk, clock, _) = desk(Some(vault));
    assert!(desk.take_renewal("a").await.expect("turn").is_some());
    assert!(desk.take_renewal("b").await.expect("turn").is_none());
    // A paste waits for the renewal; a turn left behind by a dead worker expires.
    let pasted = desk.paste(&jwt("Bearer", NOW + 3_600_000), "op").await;
    assert!(pasted.is_ok(), "the stale turn expired: {pasted:?}");
    assert!(clock.now_ms() >= NOW + RENEW_TURN_MS);
    desk.end_renewal("a", |_| {}).await.expect("ended");
    assert!(desk.status().await.expect("status").renewing.is_none());
}
