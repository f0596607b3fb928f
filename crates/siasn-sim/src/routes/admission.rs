//! Admission of every call, before it is served: counting, latency, outages and SUSPENDED
//! windows, throttling (`429` with `Retry-After`), the two tokens, per-NIP unavailability and
//! injected errors — in that order, as BKN's gateway would meet them.

use rand::rngs::ThreadRng;

use super::*;
use crate::state::Db;

const HTML_503: &str = "<html><body>503 Service Unavailable</body></html>";

impl Sim {
    pub(super) fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub(super) fn faults(&self) -> Faults {
        self.faults.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// Everything that happens before a call is served.
    pub(super) async fn before(&self, endpoint: &str, headers: &HeaderMap, api: bool) -> Pre {
        self.before_path(endpoint, "", headers, api).await
    }

    /// As [`Sim::before`], for a path that names an employee (`unavailable_nips` applies).
    pub(super) async fn before_path(
        &self,
        endpoint: &str,
        path: &str,
        headers: &HeaderMap,
        api: bool,
    ) -> Pre {
        let now = self.elapsed_ms();
        let f = self.faults();
        if !self.count_call(endpoint, headers, api, now) {
            return Pre::Drop;
        }
        simulate_latency(&f).await;
        if let Some((name, value)) = &f.gateway_header
            && headers.get(name.as_str()).and_then(|v| v.to_str().ok()) != Some(value.as_str())
        {
            return Pre::Answer(json_response(
                StatusCode::FORBIDDEN,
                json!({"message": "Forbidden: caller not allowed by the gateway"}),
            ));
        }
        let Ok(mut db) = self.db.lock() else {
            return Pre::Drop;
        };
        let mut rng = rand::rng();
        if let Some(answer) = outage(&f, &mut db, now) {
            return answer;
        }
        if let Some(answer) = throttled(&f, &mut db, now, &mut rng) {
            return answer;
        }
        if api && let Some(answer) = token_refused(&f, &mut db, headers) {
            return answer;
        }
        injected_error(&f, &mut db, path, &mut rng).unwrap_or(Pre::Go)
    }

    /// Counts the call; `false` if the state is unusable (the connection is dropped).
    fn count_call(&self, endpoint: &str, headers: &HeaderMap, api: bool, now: u64) -> bool {
        let Ok(mut db) = self.db.lock() else {
            return false;
        };
        db.stats.call_times_ms.push(now);
        *db.stats
            .by_endpoint
            .entry(endpoint.to_string())
            .or_default() += 1;
        if api {
            db.stats.api_calls += 1;
            if bearer(headers, "authorization").is_none() || bearer(headers, "auth").is_none() {
                db.stats.calls_without_tokens += 1;
            }
        } else {
            db.stats.token_calls += 1;
        }
        true
    }

    /// Whether a write should be stored and then answered by dropping the connection.
    pub(super) fn lose_this_response(&self) -> bool {
        let f = self.faults();
        let lose =
            f.lost_response_rate > 0.0 && rand::rng().random_bool(f.lost_response_rate.min(1.0));
        if let Ok(mut db) = self.db.lock() {
            db.stats.write_draws += 1;
            if lose {
                db.stats.lost_responses += 1;
            }
        }
        lose
    }
}

async fn simulate_latency(f: &Faults) {
    let (lo, hi) = f.latency_ms;
    if hi > 0 {
        let ms = if hi > lo {
            rand::rng().random_range(lo..=hi)
        } else {
            hi
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// BKN down (dropped connections or a 503 page), or its backend SUSPENDED.
fn outage(f: &Faults, db: &mut Db, now: u64) -> Option<Pre> {
    if f.down || f.outages.iter().any(|w| w.contains(now)) {
        db.stats.outage_answers += 1;
        return Some(match f.outage_mode {
            OutageMode::Drop => Pre::Drop,
            OutageMode::Http503 => {
                Pre::Answer((StatusCode::SERVICE_UNAVAILABLE, HTML_503).into_response())
            }
        });
    }
    if f.suspended.iter().any(|w| w.contains(now)) {
        db.stats.suspended_answers += 1;
        return Some(Pre::Answer(json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"message": "Runtime Error",
                   "description": "The endpoint apisiasn--v1.0_APIproductionEndpoint is in SUSPENDED state"}),
        )));
    }
    None
}

/// Over the configured calls per second, or a random `429`.
fn throttled(f: &Faults, db: &mut Db, now: u64, rng: &mut ThreadRng) -> Option<Pre> {
    let over_limit = f.throttle_per_sec.is_some_and(|limit| {
        let recent = db
            .stats
            .call_times_ms
            .iter()
            .rev()
            .take_while(|t| now - **t < 1000)
            .count();
        recent as f64 > limit
    });
    db.stats.throttle_draws += 1;
    if !(over_limit || (f.rate_429 > 0.0 && rng.random_bool(f.rate_429.min(1.0)))) {
        return None;
    }
    db.stats.throttled += 1;
    let mut r = json_response(
        StatusCode::TOO_MANY_REQUESTS,
        json!({"code": "900800", "message": "Message throttled out",
               "description": "You have exceeded your quota. Try again later"}),
    );
    if let Ok(v) = HeaderValue::from_str(&f.retry_after_secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(Pre::Answer(r))
}

/// Both tokens must be valid: the APIM token in `Authorization`, the SSO token in `Auth`.
fn token_refused(f: &Faults, db: &mut Db, headers: &HeaderMap) -> Option<Pre> {
    let expire_after = f.token_expire_after_calls.unwrap_or(u64::MAX);
    db.stats.token_checks += 1;
    let apim_ok = bearer(headers, "authorization")
        .is_some_and(|t| use_token(&mut db.apim_tokens, &t, expire_after));
    if !apim_ok {
        db.stats.token_errors += 1;
        return Some(Pre::Answer(json_response(
            StatusCode::UNAUTHORIZED,
            json!({"code": "900901", "message": "Invalid Credentials",
                   "description": "Invalid Credentials. Make sure you have provided the correct security credentials"}),
        )));
    }
    let sso_ok =
        bearer(headers, "auth").is_some_and(|t| use_token(&mut db.sso_tokens, &t, expire_after));
    if !sso_ok {
        db.stats.token_errors += 1;
        db.stats.sso_refused += 1;
        return Some(Pre::Answer(json_response(
            StatusCode::UNAUTHORIZED,
            json!({"message": "invalid or expired jwt"}),
        )));
    }
    None
}

/// A 503 for the employees made unavailable, or a random 5xx.
fn injected_error(f: &Faults, db: &mut Db, path: &str, rng: &mut ThreadRng) -> Option<Pre> {
    if !path.is_empty()
        && f.unavailable_nips
            .iter()
            .any(|nip| path.contains(nip.as_str()))
    {
        db.stats.errors_injected += 1;
        return Some(Pre::Answer(
            (StatusCode::SERVICE_UNAVAILABLE, HTML_503).into_response(),
        ));
    }
    db.stats.error_draws += 1;
    if f.error_rate > 0.0 && rng.random_bool(f.error_rate.min(1.0)) {
        db.stats.errors_injected += 1;
        let status = [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::GATEWAY_TIMEOUT,
        ][rng.random_range(0..3)];
        return Some(Pre::Answer(
            (status, "<html><body>upstream error</body></html>").into_response(),
        ));
    }
    None
}

fn use_token(tokens: &mut HashMap<String, Token>, token: &str, expire_after: u64) -> bool {
    match tokens.get_mut(token) {
        Some(t) if t.expires_at > Instant::now() && t.uses < expire_after => {
            t.uses += 1;
            true
        }
        _ => false,
    }
}
