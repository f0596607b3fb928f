//! Sessions and CSRF tokens, kept in the shared control store so that every
//! process (or Lambda instance) sees the same: a session is a random token in an `HttpOnly`,
//! `SameSite=Strict` cookie; the store keeps only its SHA-256, the user, the role at login, the
//! CSRF token of its forms, and when it was last seen (idle timeout 30 minutes).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use ehrm_sync_core::ports::{ControlStore, StoreError};
use ehrm_sync_domain::record::Millis;

use crate::users::Role;

pub const SESSION_COOKIE: &str = "ehrm_console";
/// The CSRF token of the login form (before there is a session).
pub const LOGIN_COOKIE: &str = "ehrm_console_login";
pub const LANG_COOKIE: &str = "ehrm_console_lang";
pub const IDLE_TIMEOUT_MS: Millis = 30 * 60 * 1000;
/// `seen` is written at most this often (a write per page view would be wasteful).
const SEEN_RESOLUTION_MS: Millis = 60 * 1000;

pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_hex(v: &str) -> String {
    Sha256::digest(v.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SessionDoc {
    user: String,
    role: Role,
    #[serde(default)]
    csrf: String,
    created: Millis,
    seen: Millis,
    #[serde(default)]
    revoked: bool,
}

/// A live session.
#[derive(Clone, Debug)]
pub struct Session {
    name: String,
    pub user: String,
    pub role: Role,
    pub csrf: String,
}

fn control_name(token: &str) -> String {
    format!("console.session.{}", sha256_hex(token))
}

/// Opens a session; returns the cookie's token and the session.
pub async fn open(
    controls: &dyn ControlStore,
    user: &str,
    role: Role,
    now: Millis,
) -> Result<(String, Session), StoreError> {
    let token = random_token();
    let doc = SessionDoc {
        user: user.to_string(),
        role,
        csrf: random_token(),
        created: now,
        seen: now,
        revoked: false,
    };
    let name = control_name(&token);
    controls.put_control(&name, &to_value(&doc)?, 0).await?;
    Ok((
        token,
        Session {
            name,
            user: doc.user,
            role,
            csrf: doc.csrf,
        },
    ))
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The session of a cookie's token, if live; refreshes its idle clock.
pub async fn load(
    controls: &dyn ControlStore,
    token: &str,
    now: Millis,
) -> Result<Option<Session>, StoreError> {
    let name = control_name(token);
    let Some(control) = controls.control(&name).await? else {
        return Ok(None);
    };
    let Ok(mut doc) = serde_json::from_value::<SessionDoc>(control.value) else {
        return Ok(None);
    };
    if doc.revoked || now - doc.seen > IDLE_TIMEOUT_MS {
        return Ok(None);
    }
    if now - doc.seen >= SEEN_RESOLUTION_MS {
        doc.seen = now;
        match controls
            .put_control(&name, &to_value(&doc)?, control.revision)
            .await
        {
            // Another request of the same session refreshed it meanwhile: as good.
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(Session {
        name,
        user: doc.user,
        role: doc.role,
        csrf: doc.csrf,
    }))
}

/// Ends a session (logout): its token is refused from now on.
pub async fn revoke(controls: &dyn ControlStore, session: &Session) -> Result<(), StoreError> {
    for _ in 0..3 {
        let Some(control) = controls.control(&session.name).await? else {
            return Ok(());
        };
        let mut value = control.value;
        value["revoked"] = serde_json::Value::Bool(true);
        match controls
            .put_control(&session.name, &value, control.revision)
            .await
        {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}

/// The value of one cookie of a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A `Set-Cookie` value with the console's flags (`Secure` unless on loopback HTTP).
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age_s: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age_s {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// Constant-time comparison of a form's CSRF token with the expected one.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}
