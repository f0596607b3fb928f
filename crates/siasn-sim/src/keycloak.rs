//! Keycloak as SIASN's SSO behaves (`docs/bkn-sso.md`): JWT access tokens that expire by time,
//! refresh tokens bound to a session with an idle limit and a maximum life, an optional
//! one-time code (RFC 6238) on the password grant, accounts whose password grant is refused,
//! and the operator's browser login whose tokens operators paste. Written for the simulator
//! alone: it shares no code with ehrm-sync's client.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How the SSO behaves; part of [`crate::Faults`], so a test can change it while running.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SsoPolicy {
    /// Access tokens live this long (`expires_in`, JWT `exp`).
    pub access_ttl_secs: u64,
    /// A refresh token is refused after this long unused (Keycloak's SSO Session Idle).
    pub refresh_ttl_secs: u64,
    /// A session ends this long after its login whatever is renewed (SSO Session Max).
    pub session_max_secs: u64,
    /// A refresh token works once (Keycloak's "Revoke Refresh Token").
    pub revoke_refresh_tokens: bool,
    /// The password grant is refused with this `error_description` (Keycloak's own words, e.g.
    /// `Account disabled`, `Account is not fully set up`); `None`: allowed.
    pub refuse_password_grant: Option<String>,
    /// The account has OTP: base32 secret the password grant's `totp` must match.
    pub totp_secret: Option<String>,
    /// Only the pasted tokens of a browser login work: the password grant is refused with
    /// `unauthorized_client` as for a client without direct access grants.
    pub browser_login_only: bool,
    /// A load-balancer cookie name: every answer sets it when the request lacks it.
    pub lb_cookie: Option<String>,
    /// API calls without the load-balancer cookie are answered 503 (no node for them).
    pub lb_cookie_required: bool,
}

impl Default for SsoPolicy {
    fn default() -> Self {
        SsoPolicy {
            access_ttl_secs: 3600,
            refresh_ttl_secs: 1800,
            session_max_secs: 36_000,
            revoke_refresh_tokens: false,
            refuse_password_grant: None,
            totp_secret: None,
            browser_login_only: false,
            lb_cookie: None,
            lb_cookie_required: false,
        }
    }
}

struct Session {
    started: Instant,
}

struct Refresh {
    session: String,
    expires_at: Instant,
    used: bool,
}

/// Sessions and refresh tokens issued.
#[derive(Default)]
pub struct Keycloak {
    sessions: HashMap<String, Session>,
    refresh: HashMap<String, Refresh>,
}

/// A grant's answer: HTTP status and body.
pub type Answer = (u16, Value);

fn refusal(status: u16, error: &str, description: &str) -> Answer {
    (
        status,
        json!({"error": error, "error_description": description}),
    )
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `header.payload.signature`, HMAC-SHA256 with the simulator's own key.
fn jwt(claims: &Value, key: &[u8]) -> String {
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let head = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = b64(claims.to_string().as_bytes());
    let signed = format!("{head}.{body}");
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), signed.as_bytes());
    format!("{signed}.{}", b64(tag.as_ref()))
}

impl Keycloak {
    /// A login (password grant or the operator's browser): a new session and its tokens.
    /// Returns the answer and the access token with its expiry, for the API's token check.
    pub fn login(
        &mut self,
        policy: &SsoPolicy,
        client_id: &str,
        username: &str,
        key: &[u8],
    ) -> (Answer, String, Instant) {
        let session = format!("{:032x}", rand::random::<u128>());
        self.sessions.insert(
            session.clone(),
            Session {
                started: Instant::now(),
            },
        );
        self.issue(policy, &session, client_id, username, key)
    }

    fn issue(
        &mut self,
        policy: &SsoPolicy,
        session: &str,
        client_id: &str,
        username: &str,
        key: &[u8],
    ) -> (Answer, String, Instant) {
        let now = unix_now();
        let started = self
            .sessions
            .get(session)
            .map_or_else(Instant::now, |s| s.started);
        let session_left = Duration::from_secs(policy.session_max_secs)
            .saturating_sub(started.elapsed())
            .as_secs();
        let refresh_secs = policy.refresh_ttl_secs.min(session_left);
        let access_secs = policy.access_ttl_secs.min(session_left.max(1));
        let claims = |typ: &str, secs: u64| {
            json!({"exp": now + secs, "iat": now, "jti": format!("{:032x}", rand::random::<u128>()),
                   "typ": typ, "azp": client_id, "sid": session, "preferred_username": username,
                   "iss": "https://sso-siasn.bkn.go.id/auth/realms/public-siasn"})
        };
        let access = jwt(&claims("Bearer", access_secs), key);
        let refresh = jwt(&claims("Refresh", refresh_secs), key);
        self.refresh.insert(
            refresh.clone(),
            Refresh {
                session: session.to_string(),
                expires_at: Instant::now() + Duration::from_secs(refresh_secs),
                used: false,
            },
        );
        let body = json!({"access_token": access, "expires_in": access_secs,
            "refresh_token": refresh, "refresh_expires_in": refresh_secs,
            "token_type": "Bearer", "session_state": session, "scope": "profile email"});
        (
            (200, body),
            access,
            Instant::now() + Duration::from_secs(access_secs),
        )
    }

    /// `grant_type=refresh_token`: new tokens while the session lives.
    pub fn refresh(
        &mut self,
        policy: &SsoPolicy,
        client_id: &str,
        token: &str,
        key: &[u8],
    ) -> Result<(Answer, String, Instant), Answer> {
        let not_active = || refusal(400, "invalid_grant", "Token is not active");
        let Some(r) = self.refresh.get_mut(token) else {
            return Err(refusal(400, "invalid_grant", "Invalid refresh token"));
        };
        if r.expires_at <= Instant::now() || (policy.revoke_refresh_tokens && r.used) {
            return Err(not_active());
        }
        r.used = true;
        let session = r.session.clone();
        let alive = self
            .sessions
            .get(&session)
            .is_some_and(|s| s.started.elapsed() < Duration::from_secs(policy.session_max_secs));
        if !alive {
            return Err(refusal(400, "invalid_grant", "Session not active"));
        }
        let username = claim(token, "preferred_username").unwrap_or_default();
        if claim(token, "azp").as_deref() != Some(client_id) {
            return Err(refusal(
                400,
                "invalid_grant",
                "Invalid refresh token. Token client and authorized client don't match",
            ));
        }
        Ok(self.issue(policy, &session, client_id, &username, key))
    }
}

fn claim(token: &str, name: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get(name)?.as_str().map(str::to_string)
}

/// Whether `code` is the TOTP of `secret_base32` now or one 30-second step either side.
pub fn totp_matches(secret_base32: &str, code: &str) -> bool {
    let Some(secret) = base32(secret_base32) else {
        return false;
    };
    let step = unix_now() / 30;
    [step.saturating_sub(1), step, step + 1]
        .iter()
        .any(|s| hotp(&secret, *s) == code)
}

fn hotp(secret: &[u8], counter: u64) -> String {
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret),
        &counter.to_be_bytes(),
    );
    let mac = tag.as_ref();
    let o = (mac[19] & 0x0f) as usize;
    let n = (u32::from(mac[o] & 0x7f) << 24)
        | (u32::from(mac[o + 1]) << 16)
        | (u32::from(mac[o + 2]) << 8)
        | u32::from(mac[o + 3]);
    format!("{:06}", n % 1_000_000)
}

fn base32(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotp_matches_rfc_4226() {
        let secret = b"12345678901234567890";
        assert_eq!(hotp(secret, 0), "755224");
        assert_eq!(hotp(secret, 9), "520489");
        assert_eq!(
            base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").as_deref(),
            Some(&secret[..])
        );
    }

    #[test]
    fn a_session_renews_until_its_maximum_then_refuses() {
        let policy = SsoPolicy {
            session_max_secs: 0,
            ..SsoPolicy::default()
        };
        let mut k = Keycloak::default();
        let ((status, body), _, _) = k.login(&policy, "c", "199001012015031001", b"k");
        assert_eq!(status, 200);
        let refresh = body["refresh_token"].as_str().expect("refresh").to_string();
        let Err(refused) = k.refresh(&policy, "c", &refresh, b"k") else {
            panic!("the session ended");
        };
        assert_eq!(refused.0, 400);
        assert_eq!(refused.1["error"], "invalid_grant");
    }
}
