//! Reading a token endpoint's answer: the tokens, or a refusal no retry fixes
//! (`docs/bkn-sso.md`, "Refusals"), or a transient failure.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;

use ehrm_sync_core::ports::{BknError, SecretText};
use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::{SsoKind, WaitReason, read_jwt};

use crate::classify::{loose_i64, message_of};

/// `(status, Retry-After, body)` of a form POST to a token endpoint.
pub(crate) type FormAnswer = (u16, Option<String>, Vec<u8>);

/// Token requests go through the client (paced, counted, cookies kept).
#[async_trait]
pub(crate) trait FormPost: Send + Sync {
    async fn post_form(
        &self,
        url: &str,
        form: Vec<(&'static str, String)>,
    ) -> Result<FormAnswer, BknError>;
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<Value>,
    refresh_token: Option<String>,
    refresh_expires_in: Option<Value>,
}

/// What one token request came to.
pub(super) enum Granted {
    Tokens {
        access: SecretText,
        access_expires_at: Option<Millis>,
        refresh: Option<SecretText>,
        session_expires_at: Option<Millis>,
        subject_nip: Option<String>,
    },
    Refused(WaitReason, String),
}

#[derive(Clone, Copy)]
pub(super) enum Grant {
    Password { otp_sent: bool },
    Refresh,
}

/// A token endpoint's answer: tokens, a refusal no retry fixes, or a transient failure.
pub(super) fn read_grant(
    answer: FormAnswer,
    now: Millis,
    grant: Grant,
) -> Result<Granted, BknError> {
    let (status, _retry_after, body) = answer;
    let parsed: Option<TokenAnswer> = serde_json::from_slice(&body).ok();
    if (200..300).contains(&status)
        && let Some(TokenAnswer {
            access_token: Some(token),
            expires_in,
            refresh_token,
            refresh_expires_in,
        }) = parsed
        && !token.is_empty()
    {
        let facts = read_jwt(&token).unwrap_or_default();
        let seconds = |v: Option<Value>| {
            v.as_ref()
                .and_then(loose_i64)
                .filter(|s| *s > 0 && *s < 10 * 365 * 86_400)
                .map(|s| now + s * 1000)
        };
        let refresh_facts = refresh_token.as_deref().and_then(read_jwt);
        return Ok(Granted::Tokens {
            access_expires_at: facts.expires_at.or_else(|| seconds(expires_in)),
            subject_nip: facts.subject_nip(),
            access: SecretText::new(token),
            session_expires_at: refresh_facts
                .and_then(|f| f.expires_at)
                .or_else(|| seconds(refresh_expires_in)),
            refresh: refresh_token.filter(|t| !t.is_empty()).map(SecretText::new),
        });
    }
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    let error = json
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let description = json
        .as_ref()
        .and_then(|v| v.get("error_description"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let detail = match (error, description) {
        ("", "") => json
            .as_ref()
            .map_or_else(|| format!("HTTP {status}"), message_of),
        (e, "") => e.to_string(),
        (_, d) => d.to_string(),
    };
    match refusal(status, error, description, grant) {
        Some(reason) => Ok(Granted::Refused(reason, detail)),
        None => Err(crate::tokens::token_failure(
            "SSO",
            status,
            _retry_after.as_deref(),
            &body,
        )),
    }
}

/// Keycloak's refusals that no retry fixes (`docs/bkn-sso.md`, "Refusals"); `None` for what
/// may pass (5xx, 429, an answer that is not Keycloak's).
pub(super) fn refusal(
    status: u16,
    error: &str,
    description: &str,
    grant: Grant,
) -> Option<WaitReason> {
    if !(400..500).contains(&status) || status == 429 || error.is_empty() {
        return None;
    }
    let d = description.to_ascii_lowercase();
    Some(match grant {
        Grant::Refresh => WaitReason::SessionEnded,
        Grant::Password { otp_sent } => match error {
            "unauthorized_client" | "invalid_client" | "unsupported_grant_type" => {
                WaitReason::GrantNotAllowed
            }
            _ if d.contains("not fully set up") => WaitReason::NeedsOtp,
            _ if d.contains("disabled") || d.contains("locked") || d.contains("temporarily") => {
                WaitReason::AccountLocked
            }
            _ if d.contains("otp") => {
                if otp_sent {
                    WaitReason::OtpRefused
                } else {
                    WaitReason::NeedsOtp
                }
            }
            _ if otp_sent => WaitReason::OtpRefused,
            _ => WaitReason::WrongPassword,
        },
    })
}

/// A pasted token's kind: a JWT with `typ: Refresh` is a refresh token.
pub(super) fn kind_of(token: &str) -> SsoKind {
    match read_jwt(token) {
        Some(f) if f.is_refresh() => SsoKind::RefreshToken,
        _ => SsoKind::AccessToken,
    }
}
