//! Standard Webhooks signatures (standardwebhooks.com), as eHRM signs its change events and as
//! ehrm-sync signs its outcome callbacks.
//!
//! * The signed content is `{webhook-id}.{webhook-timestamp}.{raw body}`, HMAC-SHA256.
//! * A secret is `whsec_` + base64 of the key bytes. During rotation several secrets are
//!   configured (space-separated) and a signature by any of them is accepted.
//! * `webhook-signature` is a space-separated list of `v1,<base64>`; one valid entry suffices.
//! * The timestamp must be within the tolerance (5 minutes) of now, either way, so a captured
//!   request cannot be replayed later.
//!
//! Verification runs on the raw bytes, before any parsing, and compares in constant time.
//!
//! Depends on nothing of the workspace and must not.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Default tolerance between `webhook-timestamp` and now.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

/// A signing key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook secret must start with whsec_")]
    Prefix,
    #[error("the part after whsec_ is not valid base64")]
    Base64,
    #[error("the key is too short (at least 16 bytes)")]
    TooShort,
    #[error("no secret given")]
    Empty,
}

impl Secret {
    /// Parses one `whsec_…` secret.
    pub fn parse(raw: &str) -> Result<Self, SecretError> {
        let b64 = raw
            .trim()
            .strip_prefix("whsec_")
            .ok_or(SecretError::Prefix)?;
        let key = STANDARD.decode(b64).map_err(|_| SecretError::Base64)?;
        if key.len() < 16 {
            return Err(SecretError::TooShort);
        }
        Ok(Secret(key))
    }

    /// Parses a space-separated list of secrets (rotation).
    pub fn parse_list(raw: &str) -> Result<Vec<Secret>, SecretError> {
        let secrets = raw
            .split_whitespace()
            .map(Secret::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if secrets.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(secrets)
    }

    /// A secret from raw key bytes, rendered `whsec_…` by [`Secret::to_whsec`].
    pub fn from_bytes(key: Vec<u8>) -> Self {
        Secret(key)
    }

    pub fn to_whsec(&self) -> String {
        format!("whsec_{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail; fall back to an empty MAC state
        // rather than panic if a future version ever refuses.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => return [0u8; 32],
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// The `webhook-signature` header value for this content.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, timestamp, body)))
    }
}

/// Why a request's signature was refused. Every variant maps to `401`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a unix time in seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is too old")]
    TooOld,
    #[error("webhook-timestamp is in the future")]
    TooNew,
    #[error("no valid signature")]
    NoMatch,
}

/// The three Standard Webhooks headers, as received.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignedHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Verifies requests against the configured secrets.
#[derive(Clone, Debug)]
pub struct Verifier {
    secrets: Vec<Secret>,
    tolerance_secs: i64,
}

impl Verifier {
    pub fn new(secrets: Vec<Secret>) -> Self {
        Verifier {
            secrets,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    pub fn with_tolerance(mut self, secs: i64) -> Self {
        self.tolerance_secs = secs;
        self
    }

    /// Checks headers and raw body; `now_secs` is the current unix time.
    pub fn verify(
        &self,
        headers: SignedHeaders<'_>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<(), VerifyError> {
        let id = headers
            .id
            .filter(|s| !s.is_empty())
            .ok_or(VerifyError::MissingHeader("webhook-id"))?;
        let ts_raw = headers
            .timestamp
            .ok_or(VerifyError::MissingHeader("webhook-timestamp"))?;
        let signatures = headers
            .signature
            .ok_or(VerifyError::MissingHeader("webhook-signature"))?;
        let ts: i64 = ts_raw
            .trim()
            .parse()
            .map_err(|_| VerifyError::BadTimestamp)?;
        if ts < now_secs - self.tolerance_secs {
            return Err(VerifyError::TooOld);
        }
        if ts > now_secs + self.tolerance_secs {
            return Err(VerifyError::TooNew);
        }
        let provided: Vec<Vec<u8>> = signatures
            .split_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .collect();
        let mut matched = subtle::Choice::from(0u8);
        for secret in &self.secrets {
            let expected = secret.mac(id, ts, body);
            for candidate in &provided {
                matched |= expected.as_slice().ct_eq(candidate.as_slice());
            }
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(VerifyError::NoMatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test vector published with the Standard Webhooks specification.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TS: i64 = 1614265330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            id: Some(id),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn matches_the_specification_vector() {
        let secret = Secret::parse(SPEC_SECRET).expect("valid");
        assert_eq!(secret.sign(SPEC_ID, SPEC_TS, SPEC_BODY), SPEC_SIG);
        let v = Verifier::new(vec![secret]);
        let ts = SPEC_TS.to_string();
        assert_eq!(
            v.verify(headers(SPEC_ID, &ts, SPEC_SIG), SPEC_BODY, SPEC_TS),
            Ok(())
        );
    }

    #[test]
    fn any_secret_and_any_signature_entry_may_match_during_rotation() {
        let old = Secret::from_bytes(vec![1; 32]);
        let new = Secret::from_bytes(vec![2; 32]);
        let list = format!("{} {}", old.to_whsec(), new.to_whsec());
        let v = Verifier::new(Secret::parse_list(&list).expect("valid"));
        let sig = format!("v1,AAAA {} v2,zzz", new.sign("id", 100, b"{}"));
        assert_eq!(v.verify(headers("id", "100", &sig), b"{}", 100), Ok(()));
    }

    #[test]
    fn rejection_table() {
        let secret = Secret::from_bytes(vec![7; 32]);
        let good = secret.sign("id", 1000, b"body");
        let v = Verifier::new(vec![secret]);
        let cases: Vec<(SignedHeaders<'_>, &[u8], i64, VerifyError)> = vec![
            (
                headers("id", "1000", &good),
                b"body!",
                1000,
                VerifyError::NoMatch,
            ),
            (
                headers("other", "1000", &good),
                b"body",
                1000,
                VerifyError::NoMatch,
            ),
            (
                headers("id", "1000", "v1,not-base64"),
                b"body",
                1000,
                VerifyError::NoMatch,
            ),
            (
                headers("id", "1000", &good),
                b"body",
                1000 + 301,
                VerifyError::TooOld,
            ),
            (
                headers("id", "1000", &good),
                b"body",
                1000 - 301,
                VerifyError::TooNew,
            ),
            (
                headers("id", "soon", &good),
                b"body",
                1000,
                VerifyError::BadTimestamp,
            ),
            (
                SignedHeaders {
                    id: None,
                    ..headers("id", "1000", &good)
                },
                b"body",
                1000,
                VerifyError::MissingHeader("webhook-id"),
            ),
        ];
        for (i, (h, body, now, expected)) in cases.into_iter().enumerate() {
            assert_eq!(v.verify(h, body, now), Err(expected), "case {i}");
        }
        assert_eq!(
            v.verify(headers("id", "1000", &good), b"body", 1300),
            Ok(())
        );
    }

    #[test]
    fn secrets_are_parsed_strictly_and_never_printed() {
        assert_eq!(
            Secret::parse("MfKQ9r8GKYqrTwjU").err(),
            Some(SecretError::Prefix)
        );
        assert_eq!(Secret::parse("whsec_!!!").err(), Some(SecretError::Base64));
        assert_eq!(
            Secret::parse("whsec_AAAA").err(),
            Some(SecretError::TooShort)
        );
        assert_eq!(Secret::parse_list("  ").err(), Some(SecretError::Empty));
        let s = Secret::parse(SPEC_SECRET).expect("valid");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.to_whsec(), SPEC_SECRET);
    }
}
