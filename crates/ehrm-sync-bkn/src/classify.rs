//! Sorting BKN's answers (`docs/bkn-api.md`, "Failures"). Pure functions, tested table by table.
//!
//! | answer                                                         | class            |
//! |----------------------------------------------------------------|------------------|
//! | any body mentioning `SUSPENDED` (WSO2 `Runtime Error`)          | transient, BKN down; no token refresh |
//! | 401; `invalid or expired jwt`; `Invalid Credentials`; `Token SSO mismatch`; `Runtime Error` | token error: refresh both, retry once |
//! | 429                                                            | throttled, `Retry-After` honoured |
//! | 5xx, unreadable 2xx                                            | transient        |
//! | 404 / 200 with `Data tidak ditemukan`; a read's non-2xx `code: 0` with no data | empty |
//! | `success` `false` or `"false"` (also with 200), PascalCase `{"Error", "Message"}`, other 4xx | permanent, BKN's message kept |
//!
//! `Retry-After` is capped by the caller ([`cap_retry_after`]): one throttled answer must not
//! hold every delivery for as long as BKN cares to ask.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use ehrm_sync_core::ports::{BknError, BknErrorKind};

/// Default wait after a 429 without a usable `Retry-After`: short, because the pacer also slows
/// down on every 429 (WSO2 throttles per second).
pub const DEFAULT_RETRY_AFTER_MS: i64 = 5_000;

#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// A successful answer, parsed.
    Ok(Value),
    /// BKN says there is nothing ("Data tidak ditemukan").
    Empty,
    /// The tokens were refused: refresh both and retry once.
    TokenError(String),
    Fail(BknError),
}

/// What a request does, as far as reading its answer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Read,
    /// A create or update: "… tidak ditemukan" in its answer is a refusal in BKN's words
    /// ("penilai tidak ditemukan"), never "nothing there".
    Save,
    /// A delete: "Data tidak ditemukan" means it is gone already.
    Delete,
}

/// Classifies an HTTP answer. `write` marks requests that change data at BKN (a save's answer
/// is read as [`CallKind::Save`], see [`classify_call`]).
pub fn classify(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    write: bool,
    now_unix: i64,
) -> Answer {
    let kind = if write {
        CallKind::Delete
    } else {
        CallKind::Read
    };
    classify_call(status, retry_after, body, kind, now_unix)
}

/// Classifies an HTTP answer to a call of `kind`.
/// Long because it is one decision table over status, body and message, in BKN's order of
/// precedence; split, the precedence would be spread over several functions.
pub fn classify_call(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    kind: CallKind,
    now_unix: i64,
) -> Answer {
    let write = kind != CallKind::Read;
    let text = String::from_utf8_lossy(body);
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let message = json.as_ref().map_or_else(|| snippet(&text), message_of);

    if text.contains("SUSPENDED") {
        return Answer::Fail(BknError {
            kind: BknErrorKind::Transient {
                retry_after_ms: None,
                maybe_applied: false,
                suspended: true,
            },
            message: format!("BKN backend suspended: {message}"),
            http_status: Some(status),
        });
    }
    if status == 401 || is_token_error(json.as_ref()) {
        return Answer::TokenError(message);
    }
    if !write && status >= 400 && is_empty_code0(json.as_ref()) {
        // An empty periodic list can come back as a non-2xx `code: 0` (`docs/bkn-api.md`, "Replies").
        return Answer::Empty;
    }
    if status == 429 {
        let wait = retry_after
            .and_then(|v| parse_retry_after(v, now_unix))
            .unwrap_or(DEFAULT_RETRY_AFTER_MS);
        return Answer::Fail(BknError {
            kind: BknErrorKind::Throttled {
                retry_after_ms: Some(wait),
            },
            message: format!("BKN rate limit (429): {message}"),
            http_status: Some(status),
        });
    }
    if status >= 500 {
        return Answer::Fail(BknError {
            kind: BknErrorKind::Transient {
                retry_after_ms: retry_after.and_then(|v| parse_retry_after(v, now_unix)),
                maybe_applied: write,
                suspended: false,
            },
            message: format!("BKN server error {status}: {message}"),
            http_status: Some(status),
        });
    }
    if kind != CallKind::Save && is_not_found(json.as_ref()) {
        return Answer::Empty;
    }
    if status == 404 && json.is_none() {
        return Answer::Fail(BknError::permanent(
            format!("BKN has no such endpoint (404): check BKN_API_BASE_URL; {message}"),
            Some(status),
        ));
    }
    if status >= 400 {
        return Answer::Fail(BknError::permanent(message, Some(status)));
    }
    let Some(json) = json else {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Answer::Ok(Value::Null);
        }
        return Answer::Fail(BknError {
            kind: BknErrorKind::Transient {
                retry_after_ms: None,
                maybe_applied: write,
                suspended: false,
            },
            message: format!("BKN answered {status} with something that is not JSON: {message}"),
            http_status: Some(status),
        });
    };
    if success_flag(&json) == Some(false) || has_pascal_error(&json) {
        return Answer::Fail(BknError::permanent(message, Some(status)));
    }
    if json.get("code").and_then(loose_i64) == Some(0)
        && let Some(Value::String(data)) = json.get("data")
    {
        return Answer::Fail(BknError::permanent(data.clone(), Some(status)));
    }
    Answer::Ok(json)
}

fn is_token_error(json: Option<&Value>) -> bool {
    let Some(json) = json else { return false };
    let texts: Vec<String> = [
        "message",
        "data",
        "description",
        "error",
        "error_description",
        "fault",
    ]
    .iter()
    .filter_map(|k| json.get(*k))
    .map(|v| match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string().to_lowercase(),
    })
    .collect();
    let code = json
        .get("code")
        .map(|c| c.to_string().trim_matches('"').to_string());
    let runtime_error = json.get("message").and_then(Value::as_str) == Some("Runtime Error");
    runtime_error
        || matches!(code.as_deref(), Some("900901" | "900902" | "900900"))
        || texts.iter().any(|t| {
            t.contains("invalid or expired jwt")
                || t.contains("invalid credentials")
                || t.contains("token sso mismatch")
                || t.contains("missing credentials")
        })
}

/// `success` as a boolean or as the strings `"true"`/`"false"` (`docs/bkn-api.md`, "Replies").
pub fn success_flag(json: &Value) -> Option<bool> {
    match json.get("success")? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// PascalCase `{"Error": …, "Message": …}`: an error unless `Error` is false or empty.
fn has_pascal_error(json: &Value) -> bool {
    match json.get("Error") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => {
            let s = s.trim();
            !s.is_empty() && !s.eq_ignore_ascii_case("false")
        }
        Some(_) => true,
    }
}

/// `code: 0` (number or string) with no data: `null`, `[]`, `""` or absent.
fn is_empty_code0(json: Option<&Value>) -> bool {
    let Some(json) = json else { return false };
    let code0 = json.get("code").and_then(loose_i64) == Some(0);
    let empty = match json.get("data") {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    };
    code0 && empty
}

/// Caps a failure's `Retry-After` at `max_ms`.
pub fn cap_retry_after(mut err: BknError, max_ms: i64) -> BknError {
    if let BknErrorKind::Transient {
        retry_after_ms: Some(ms),
        ..
    }
    | BknErrorKind::Throttled {
        retry_after_ms: Some(ms),
    } = &mut err.kind
    {
        *ms = (*ms).clamp(0, max_ms.max(0));
    }
    err
}

fn is_not_found(json: Option<&Value>) -> bool {
    let Some(json) = json else { return false };
    ["data", "message"].iter().any(|k| {
        json.get(*k)
            .and_then(Value::as_str)
            .is_some_and(|s| s.to_lowercase().contains("tidak ditemukan"))
    })
}

/// BKN's own message from an answer body.
pub fn message_of(json: &Value) -> String {
    let s = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_string);
    match (
        s("message").or_else(|| s("Message")),
        s("description"),
        s("data"),
        s("error_description"),
        s("error"),
    ) {
        (Some(m), Some(d), _, _, _) if m != d => format!("{m}: {d}"),
        (Some(m), _, _, _, _) => m,
        (_, Some(d), _, _, _) => d,
        (_, _, Some(d), _, _) => d,
        (_, _, _, Some(e), _) => e,
        (_, _, _, _, Some(e)) => e,
        _ => s("Error").unwrap_or_else(|| snippet(&json.to_string())),
    }
}

fn snippet(text: &str) -> String {
    let t: String = text.trim().chars().take(300).collect();
    if t.is_empty() {
        "(empty answer)".into()
    } else {
        t
    }
}

/// `Retry-After` as seconds or an HTTP date, in milliseconds from now.
pub fn parse_retry_after(value: &str, now_unix: i64) -> Option<i64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs >= 0.0 && secs.is_finite()).then(|| (secs * 1000.0).round() as i64);
    }
    let normalised = v.replace(" GMT", " +0000");
    OffsetDateTime::parse(&normalised, &Rfc2822)
        .ok()
        .map(|t| ((t.unix_timestamp() - now_unix) * 1000).max(0))
}

/// A number that may come as a JSON number or a string.
pub fn loose_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A transport failure (no HTTP answer was read).
pub fn classify_transport(err: &reqwest::Error, write: bool) -> BknError {
    let (what, maybe_applied) = if err.is_connect() {
        ("could not connect to BKN", false)
    } else if err.is_timeout() {
        ("BKN did not answer in time", write)
    } else {
        (
            "the connection to BKN broke before an answer was read",
            write,
        )
    };
    BknError {
        kind: BknErrorKind::Transient {
            retry_after_ms: None,
            maybe_applied,
            suspended: false,
        },
        message: what.to_string(),
        http_status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(status: u16, body: &str) -> Answer {
        classify(status, None, body.as_bytes(), true, 0)
    }

    fn kind(a: &Answer) -> &'static str {
        match a {
            Answer::Ok(_) => "ok",
            Answer::Empty => "empty",
            Answer::TokenError(_) => "token",
            Answer::Fail(e) => match e.kind {
                BknErrorKind::Permanent => "permanent",
                BknErrorKind::Transient {
                    suspended: true, ..
                } => "suspended",
                BknErrorKind::Transient { .. } => "transient",
                BknErrorKind::Throttled { .. } => "throttled",
                BknErrorKind::AwaitingSso { .. } => "awaiting",
            },
        }
    }

    #[test]
    fn answer_table() {
        let cases = [
            (
                200,
                r#"{"success":true,"message":"success","mapData":"ABC"}"#,
                "ok",
            ),
            (200, r#"{"code":1,"data":null}"#, "ok"),
            (
                200,
                r#"{"success":false,"message":"2 errors occurred:\n\t* PnsDinilaiId is required"}"#,
                "permanent",
            ),
            (
                400,
                r#"{"success":false,"message":"tahun is required"}"#,
                "permanent",
            ),
            (422, "not json", "permanent"),
            (403, r#"{"message":"forbidden"}"#, "permanent"),
            (404, r#"{"code":0,"data":"Data tidak ditemukan"}"#, "empty"),
            (200, r#"{"code":0,"data":"Data tidak ditemukan"}"#, "empty"),
            (404, "<html>Not Found</html>", "permanent"),
            (401, r#"{"message":"invalid or expired jwt"}"#, "token"),
            (200, r#"{"message":"invalid or expired jwt"}"#, "token"),
            (401, "", "token"),
            (200, r#"{"code":0,"data":"Token SSO mismatch"}"#, "token"),
            (
                401,
                r#"{"code":"900901","message":"Invalid Credentials","description":"x"}"#,
                "token",
            ),
            (
                500,
                r#"{"message":"Runtime Error","description":"internal"}"#,
                "token",
            ),
            (
                503,
                r#"{"message":"Runtime Error","description":"The endpoint is SUSPENDED"}"#,
                "suspended",
            ),
            (
                200,
                r#"{"message":"Runtime Error","description":"Endpoint SUSPENDED"}"#,
                "suspended",
            ),
            (500, "oops", "transient"),
            (502, "<html>Bad gateway</html>", "transient"),
            (200, "<html>maintenance</html>", "transient"),
            (200, "", "ok"),
            (
                200,
                r#"{"success":"false","message":"NIP tidak valid"}"#,
                "permanent",
            ),
            (200, r#"{"success":"true","mapData":"A"}"#, "ok"),
            (
                200,
                r#"{"Error":true,"Message":"Data SKP sudah ada"}"#,
                "permanent",
            ),
            (400, r#"{"Error":"Bad Request","Message":"x"}"#, "permanent"),
            (200, r#"{"Error":false,"Message":"ok","mapData":"A"}"#, "ok"),
        ];
        for (status, body, expected) in cases {
            assert_eq!(kind(&run(status, body)), expected, "{status} {body}");
        }
    }

    #[test]
    fn an_empty_list_as_a_non_2xx_code_0_is_empty_for_reads_only() {
        let body = br#"{"code":0,"data":null}"#;
        assert_eq!(classify(404, None, body, false, 0), Answer::Empty);
        assert_eq!(
            classify(400, None, br#"{"code":"0","data":[]}"#, false, 0),
            Answer::Empty
        );
        assert_eq!(kind(&classify(400, None, body, true, 0)), "permanent");
        assert_eq!(
            kind(&classify(
                400,
                None,
                br#"{"code":0,"data":"NIP salah"}"#,
                false,
                0
            )),
            "permanent"
        );
    }

    #[test]
    fn a_save_refused_with_tidak_ditemukan_keeps_bkn_words() {
        let body = br#"{"success":"false","message":"Penilai tidak ditemukan"}"#;
        match classify_call(200, None, body, CallKind::Save, 0) {
            Answer::Fail(e) => assert_eq!(e.message, "Penilai tidak ditemukan"),
            other => panic!("{other:?}"),
        }
        // The same words after a read or a delete mean "nothing there".
        assert_eq!(
            classify_call(404, None, body, CallKind::Delete, 0),
            Answer::Empty
        );
    }

    #[test]
    fn pascal_case_and_string_flags_keep_bkn_message() {
        for body in [
            r#"{"Error":true,"Message":"Data SKP sudah ada"}"#,
            r#"{"success":"false","message":"Data SKP sudah ada"}"#,
        ] {
            match run(200, body) {
                Answer::Fail(e) => assert_eq!(e.message, "Data SKP sudah ada"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn retry_after_is_capped() {
        let Answer::Fail(e) = classify(429, Some("86400"), b"{}", false, 0) else {
            panic!("429 is a failure");
        };
        match cap_retry_after(e, 60_000).kind {
            BknErrorKind::Throttled { retry_after_ms } => {
                assert_eq!(retry_after_ms, Some(60_000));
            }
            other => panic!("throttled expected: {other:?}"),
        }
    }

    #[test]
    fn bkn_messages_are_kept_verbatim() {
        let body = r#"{"success":false,"message":"2 errors occurred:\n\t* PnsDinilaiId is required\n\t* KoefisienId is required"}"#;
        match run(200, body) {
            Answer::Fail(e) => {
                assert_eq!(
                    e.message,
                    "2 errors occurred:\n\t* PnsDinilaiId is required\n\t* KoefisienId is required"
                );
                assert_eq!(e.http_status, Some(200));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        match classify(429, Some("7"), b"{}", false, 0) {
            Answer::Fail(BknError {
                kind: BknErrorKind::Throttled { retry_after_ms },
                ..
            }) => {
                assert_eq!(retry_after_ms, Some(7_000));
            }
            other => panic!("{other:?}"),
        }
        // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_770),
            Some(7_000)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
        match classify(429, Some("soon"), b"", false, 0) {
            Answer::Fail(BknError {
                kind: BknErrorKind::Throttled { retry_after_ms },
                ..
            }) => {
                assert_eq!(retry_after_ms, Some(DEFAULT_RETRY_AFTER_MS));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn messages_prefer_bkn_fields() {
        assert_eq!(
            message_of(&json!({"message": "a", "description": "b"})),
            "a: b"
        );
        assert_eq!(
            message_of(&json!({"code": 0, "data": "Token SSO mismatch"})),
            "Token SSO mismatch"
        );
        assert_eq!(
            message_of(&json!({"error_description": "Invalid user credentials"})),
            "Invalid user credentials"
        );
    }
}
