//! One-time codes for SSO accounts with OTP (RFC 6238 TOTP: HMAC-SHA1, 30-second steps, six
//! digits — what Keycloak's default OTP policy and phone authenticators use), computed from the
//! account's secret as Keycloak shows it (base32). Sent in the password grant's `totp` field.

use std::fmt;

use aws_lc_rs::hmac;

const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;

/// The account's TOTP secret. Held like a password: never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// From base32 (RFC 4648, case-insensitive, spaces and padding ignored); `None` if it is
    /// not base32 or too short to be a secret.
    pub fn from_base32(text: &str) -> Option<TotpSecret> {
        let mut bits: u64 = 0;
        let mut count = 0u32;
        let mut out = Vec::new();
        for c in text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
        {
            let v = match c.to_ascii_uppercase() {
                c @ 'A'..='Z' => c as u64 - 'A' as u64,
                c @ '2'..='7' => c as u64 - '2' as u64 + 26,
                _ => return None,
            };
            bits = (bits << 5) | v;
            count += 5;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        (out.len() >= 10).then_some(TotpSecret(out))
    }

    /// From raw bytes (tests, RFC vectors).
    pub fn from_bytes(bytes: &[u8]) -> TotpSecret {
        TotpSecret(bytes.to_vec())
    }

    /// The code valid at `unix_secs`.
    pub fn code_at(&self, unix_secs: i64) -> String {
        let counter = (unix_secs.max(0) / STEP_SECS) as u64;
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &self.0);
        let tag = hmac::sign(&key, &counter.to_be_bytes());
        let mac = tag.as_ref();
        let offset = (mac[mac.len() - 1] & 0x0f) as usize;
        let binary = u32::from_be_bytes([
            mac[offset] & 0x7f,
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        format!(
            "{:0width$}",
            binary % 10u32.pow(DIGITS),
            width = DIGITS as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors_give_their_last_six_digits() {
        // RFC 6238 appendix B, SHA1 seed "12345678901234567890" (eight-digit codes there).
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(secret.code_at(t), code, "t = {t}");
        }
    }

    #[test]
    fn base32_as_keycloak_shows_it() {
        // "12345678901234567890" in base32, grouped in fours as Keycloak's page shows it.
        let s = TotpSecret::from_base32("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ").expect("base32");
        assert_eq!(s, TotpSecret::from_bytes(b"12345678901234567890"));
        assert_eq!(TotpSecret::from_base32("not base32!"), None);
        assert_eq!(
            TotpSecret::from_base32("GEZD"),
            None,
            "too short for a secret"
        );
        assert_eq!(format!("{s:?}"), "TotpSecret(***)");
    }
}
