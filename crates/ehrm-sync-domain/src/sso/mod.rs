//! The SSO login to BKN as ehrm-sync holds it (`docs/bkn-sso.md`): which of the four ways in is
//! in use, when it ends without an operator, and why BKN work waits when no usable token is
//! left. Pure: the token text itself never comes here, only what is known about it.

use serde::{Deserialize, Serialize};

use crate::record::Millis;

/// A warning is shown this long before the login ends.
pub const WARN_BEFORE_MS: i64 = 2 * 3600 * 1000;

/// How ehrm-sync logs in to BKN's SSO (Keycloak, realm `public-siasn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SsoKind {
    /// Password grant with the operator account's NIP and password.
    Password,
    /// Password grant with a one-time code computed from the account's TOTP secret.
    PasswordOtp,
    /// A refresh token pasted by an operator, renewed until Keycloak's session ends.
    RefreshToken,
    /// An access token pasted by an operator, used until it expires.
    AccessToken,
}

impl SsoKind {
    pub const ALL: [SsoKind; 4] = [
        SsoKind::Password,
        SsoKind::PasswordOtp,
        SsoKind::RefreshToken,
        SsoKind::AccessToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SsoKind::Password => "password",
            SsoKind::PasswordOtp => "password_otp",
            SsoKind::RefreshToken => "refresh_token",
            SsoKind::AccessToken => "access_token",
        }
    }

    /// Pasted by an operator (as opposed to logged in with configured credentials).
    /// The way in, for people (console, `status`, `bkn-token`).
    pub fn words_id(self) -> &'static str {
        match self {
            SsoKind::Password => "NIP dan kata sandi",
            SsoKind::PasswordOtp => "NIP, kata sandi dan kode OTP",
            SsoKind::RefreshToken => "refresh token yang ditempel (diperbarui otomatis)",
            SsoKind::AccessToken => "access token yang ditempel",
        }
    }

    pub fn words_en(self) -> &'static str {
        match self {
            SsoKind::Password => "NIP and password",
            SsoKind::PasswordOtp => "NIP, password and one-time code",
            SsoKind::RefreshToken => "pasted refresh token (renews itself)",
            SsoKind::AccessToken => "pasted access token",
        }
    }

    pub fn pasted(self) -> bool {
        matches!(self, SsoKind::RefreshToken | SsoKind::AccessToken)
    }
}

/// Why BKN work waits for an SSO token: each is something no retry fixes, only a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WaitReason {
    /// No token held and no credentials configured.
    NoToken,
    /// The pasted access token has expired.
    Expired,
    /// BKN refused the token although it had not expired.
    TokenRefused,
    /// The refresh token no longer renews: Keycloak's session ended.
    SessionEnded,
    /// The password grant was refused: wrong NIP or password (or an OTP the account needs).
    WrongPassword,
    /// The password grant with a one-time code was refused: password or TOTP secret wrong.
    OtpRefused,
    /// Keycloak says the account is not fully set up (typically OTP still to be activated).
    NeedsOtp,
    /// The account is disabled or temporarily locked.
    AccountLocked,
    /// The password grant is not allowed for this client or account.
    GrantNotAllowed,
}

impl WaitReason {
    pub const ALL: [WaitReason; 9] = [
        WaitReason::NoToken,
        WaitReason::Expired,
        WaitReason::TokenRefused,
        WaitReason::SessionEnded,
        WaitReason::WrongPassword,
        WaitReason::OtpRefused,
        WaitReason::NeedsOtp,
        WaitReason::AccountLocked,
        WaitReason::GrantNotAllowed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::NoToken => "no_token",
            WaitReason::Expired => "expired",
            WaitReason::TokenRefused => "token_refused",
            WaitReason::SessionEnded => "session_ended",
            WaitReason::WrongPassword => "wrong_password",
            WaitReason::OtpRefused => "otp_refused",
            WaitReason::NeedsOtp => "needs_otp",
            WaitReason::AccountLocked => "account_locked",
            WaitReason::GrantNotAllowed => "grant_not_allowed",
        }
    }

    /// What happened and what to do, in Bahasa Indonesia.
    pub fn words_id(self) -> &'static str {
        match self {
            WaitReason::NoToken => {
                "Belum ada token SSO BKN: tempel token di Tindakan → Token SSO BKN."
            }
            WaitReason::Expired => {
                "Token SSO BKN yang ditempel sudah kedaluwarsa: tempel token baru."
            }
            WaitReason::TokenRefused => {
                "BKN menolak token SSO (belum kedaluwarsa): tempel token baru."
            }
            WaitReason::SessionEnded => {
                "Sesi SSO BKN berakhir, refresh token tidak dapat diperbarui lagi: tempel token baru."
            }
            WaitReason::WrongPassword => {
                "SSO BKN menolak NIP/kata sandi (salah, atau akun ini memakai OTP): periksa kredensial atau tempel token."
            }
            WaitReason::OtpRefused => {
                "SSO BKN menolak kata sandi atau kode OTP: periksa kata sandi dan rahasia TOTP, atau tempel token."
            }
            WaitReason::NeedsOtp => {
                "Akun SSO BKN belum siap (OTP belum diaktifkan): aktifkan OTP, lalu isi rahasia TOTP atau tempel token."
            }
            WaitReason::AccountLocked => {
                "Akun SSO BKN dinonaktifkan atau terkunci: hubungi admin SSO BKN, atau tempel token akun lain."
            }
            WaitReason::GrantNotAllowed => {
                "SSO BKN tidak mengizinkan masuk dengan kata sandi untuk akun/klien ini: tempel token."
            }
        }
    }

    /// The same in English.
    pub fn words_en(self) -> &'static str {
        match self {
            WaitReason::NoToken => "No BKN SSO token: paste one under Actions → BKN SSO token.",
            WaitReason::Expired => "The pasted BKN SSO token has expired: paste a new one.",
            WaitReason::TokenRefused => "BKN refused the SSO token (not expired): paste a new one.",
            WaitReason::SessionEnded => {
                "The BKN SSO session ended; the refresh token no longer renews: paste a new token."
            }
            WaitReason::WrongPassword => {
                "BKN SSO refused the NIP/password (wrong, or the account uses OTP): check the credentials or paste a token."
            }
            WaitReason::OtpRefused => {
                "BKN SSO refused the password or one-time code: check the password and TOTP secret, or paste a token."
            }
            WaitReason::NeedsOtp => {
                "The BKN SSO account is not fully set up (OTP not activated): activate OTP, then set the TOTP secret or paste a token."
            }
            WaitReason::AccountLocked => {
                "The BKN SSO account is disabled or locked: ask BKN's SSO admin, or paste another account's token."
            }
            WaitReason::GrantNotAllowed => {
                "BKN SSO does not allow password login for this account or client: paste a token."
            }
        }
    }

    /// A refusal of the password grant: trying again with the same credentials cannot help
    /// and could lock the account, so it is not tried again until they change.
    pub fn refuses_password(self) -> bool {
        matches!(
            self,
            WaitReason::WrongPassword
                | WaitReason::OtpRefused
                | WaitReason::NeedsOtp
                | WaitReason::AccountLocked
                | WaitReason::GrantNotAllowed
        )
    }
}

/// BKN work is waiting: since when, why, and BKN's own words where it gave any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub reason: WaitReason,
    pub since: Millis,
    /// Keycloak's or BKN's message, verbatim (never holds a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One worker renewing the shared token; the others wait for its result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renewing {
    pub holder: String,
    pub until: Millis,
}

/// What every process knows about the SSO login, kept in the shared store. Holds no token:
/// tokens live in the vault (`revision` names the vault's current value).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoStatus {
    /// The way in now in use; `None` before any login.
    pub kind: Option<SsoKind>,
    /// The vault's value this status describes; bumped by every paste and renewal.
    pub revision: u64,
    /// The account's NIP, from the token (`preferred_username`).
    pub subject_nip: Option<String>,
    /// When the access token expires (JWT `exp` or `expires_in`).
    pub access_expires_at: Option<Millis>,
    /// When the refresh token held expires (its `exp` or `refresh_expires_in`): Keycloak's
    /// idle limit, or the session's end when that comes first.
    pub session_expires_at: Option<Millis>,
    /// The longest life (`exp − iat`) a refresh token of this session had.
    #[serde(default)]
    pub refresh_life_ms: Option<Millis>,
    /// A renewal brought a refresh token with a shorter life than before: its `exp` is the
    /// session's end, which no renewal moves.
    #[serde(default)]
    pub session_capped: bool,
    /// When the APIM (WSO2) token last fetched expires.
    pub apim_expires_at: Option<Millis>,
    pub waiting: Option<Waiting>,
    /// Who pasted the token held (console user or `cli`), and when.
    pub set_by: Option<String>,
    pub set_at: Option<Millis>,
    pub renewing: Option<Renewing>,
    /// A digest of the password credentials a password refusal was for: the grant is tried
    /// again only once they change.
    pub refused_credentials: Option<String>,
    pub changed_at: Millis,
}

/// What a page, `status` or a metric says about the login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Usable; `ends_at` when it ends without an operator (`None`: it renews itself).
    Usable {
        ends_at: Option<Millis>,
    },
    /// Usable but ending within [`WARN_BEFORE_MS`].
    Ending {
        ends_at: Millis,
    },
    Waiting {
        reason: WaitReason,
    },
    /// Nothing known yet (no BKN call made since the start).
    Unknown,
}

impl SsoStatus {
    /// When BKN work will stop unless an operator acts: the pasted access token's expiry, or
    /// the refresh session's end. `None` for a password login (it renews itself).
    pub fn ends_at(&self) -> Option<Millis> {
        match self.kind? {
            SsoKind::AccessToken => self.access_expires_at,
            // A refresh token is renewed before its idle limit: only the session's end (known
            // once a renewal was capped by it) stops the work.
            SsoKind::RefreshToken if self.session_capped => self.session_expires_at,
            SsoKind::RefreshToken => None,
            SsoKind::Password | SsoKind::PasswordOtp => None,
        }
    }

    /// The refresh token held should be renewed now, whatever the access token's life: a
    /// third of its life or a minute is left, and a renewal can still move its end.
    pub fn refresh_due(&self, now: Millis) -> bool {
        if self.kind != Some(SsoKind::RefreshToken) || self.session_capped {
            return false;
        }
        let reserve = (self.refresh_life_ms.unwrap_or(0) / 3).max(60_000);
        self.session_expires_at
            .is_some_and(|end| end - now < reserve)
    }

    pub fn standing(&self, now: Millis) -> Standing {
        if let Some(w) = &self.waiting {
            return Standing::Waiting { reason: w.reason };
        }
        if self.kind.is_none() {
            return Standing::Unknown;
        }
        let refresh_gone = self.kind == Some(SsoKind::RefreshToken)
            && self.session_expires_at.is_some_and(|at| at <= now);
        if refresh_gone {
            return Standing::Waiting {
                reason: WaitReason::SessionEnded,
            };
        }
        match self.ends_at() {
            Some(at) if at <= now => Standing::Waiting {
                reason: match self.kind {
                    Some(SsoKind::RefreshToken) => WaitReason::SessionEnded,
                    _ => WaitReason::Expired,
                },
            },
            Some(at) if at - now <= WARN_BEFORE_MS => Standing::Ending { ends_at: at },
            ends_at => Standing::Usable { ends_at },
        }
    }

    /// Seconds until BKN work stops without an operator: 0 while waiting, `None` when it
    /// renews itself or nothing is known.
    pub fn seconds_left(&self, now: Millis) -> Option<i64> {
        match self.standing(now) {
            Standing::Waiting { .. } => Some(0),
            Standing::Ending { ends_at }
            | Standing::Usable {
                ends_at: Some(ends_at),
            } => Some(((ends_at - now) / 1000).max(0)),
            Standing::Usable { ends_at: None } | Standing::Unknown => None,
        }
    }
}

/// What can be read from a token without verifying it (Keycloak issues JWTs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenFacts {
    pub expires_at: Option<Millis>,
    pub issued_at: Option<Millis>,
    /// `preferred_username` (BKN's SSO user name is the operator's NIP).
    pub username: Option<String>,
    /// `typ`: `Bearer` for access tokens, `Refresh` or `Offline` for refresh tokens.
    pub typ: Option<String>,
    /// `azp`: the client the token was issued to (a refresh token is renewed with it).
    pub client_id: Option<String>,
}

impl TokenFacts {
    pub fn is_refresh(&self) -> bool {
        matches!(self.typ.as_deref(), Some("Refresh" | "Offline"))
    }

    /// The username when it is an 18-digit NIP.
    pub fn subject_nip(&self) -> Option<String> {
        self.username
            .as_ref()
            .filter(|u| u.len() == 18 && u.bytes().all(|b| b.is_ascii_digit()))
            .cloned()
    }
}

/// The claims of a JWT (`header.payload.signature`), read without verifying; `None` for
/// anything that is not one.
pub fn read_jwt(token: &str) -> Option<TokenFacts> {
    use base64::Engine;
    let mut parts = token.trim().split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).ok()?;
    let seconds = |k: &str| {
        claims
            .get(k)
            .and_then(serde_json::Value::as_f64)
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e11)
            .map(|s| (s * 1000.0) as Millis)
    };
    Some(TokenFacts {
        expires_at: seconds("exp"),
        issued_at: seconds("iat"),
        username: claims
            .get("preferred_username")
            .or_else(|| claims.get("nip"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
        typ: claims
            .get("typ")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        client_id: claims
            .get("azp")
            .and_then(|v| v.as_str())
            .map(str::to_string),
    })
}

/// "1 jam 20 menit": how long `ms` is, in Bahasa Indonesia (days, hours, minutes).
pub fn duration_words_id(ms: i64) -> String {
    duration_words(ms, ("hari", "jam", "menit"), "kurang dari 1 menit")
}

/// "1 h 20 min": the same in English.
pub fn duration_words_en(ms: i64) -> String {
    duration_words(ms, ("d", "h", "min"), "under a minute")
}

fn duration_words(ms: i64, (d, h, m): (&str, &str, &str), under: &str) -> String {
    let minutes = ms.max(0) / 60_000;
    if minutes == 0 {
        return under.to_string();
    }
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} {d}"));
    }
    if hours > 0 {
        parts.push(format!("{hours} {h}"));
    }
    if mins > 0 && days == 0 {
        parts.push(format!("{mins} {m}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests;
