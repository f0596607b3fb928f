//! The two token endpoints: WSO2 APIM (client credentials) and Keycloak SSO (password grant,
//! with a one-time code if the account has OTP; refresh token), and the operator's browser
//! login whose tokens are pasted.

use super::*;

fn form_or_json(body: &[u8]) -> HashMap<String, String> {
    if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
        return m
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
    }
    form_urlencoded::parse(body).into_owned().collect()
}

fn new_token() -> String {
    let mut rng = rand::rng();
    format!(
        "sim.{:016x}{:016x}",
        rng.random::<u64>(),
        rng.random::<u64>()
    )
}

pub(super) async fn apim_token(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "token:apim", headers, false);
    let form = form_or_json(&body);
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!(
        "{}:{}",
        sim.credentials.consumer_key, sim.credentials.consumer_secret
    );
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type", "error_description": "Unsupported grant_type value"}),
        );
    }
    if basic.as_deref() != Some(expected.as_str()) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": "Client Authentication failed."}),
        );
    }
    let token = new_token();
    if let Ok(mut db) = sim.db.lock() {
        db.apim_tokens.insert(
            token.clone(),
            Token {
                expires_at: Instant::now() + Duration::from_secs(sim.apim_ttl_secs),
                uses: 0,
            },
        );
    }
    json_response(
        StatusCode::OK,
        json!({"access_token": token, "scope": "default", "token_type": "Bearer", "expires_in": sim.apim_ttl_secs}),
    )
}

pub(super) async fn sso_token(
    State(sim): State<Shared>,
    Extension(drop): Extension<DropConnection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pre!(sim, drop, "token:sso", headers, false);
    let form = form_or_json(&body);
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let policy = sim.faults().sso;
    let c = &sim.credentials;
    if get("client_id") != c.sso_client_id {
        return keycloak_refusal(
            401,
            "unauthorized_client",
            "Invalid client or Invalid client credentials",
        );
    }
    let granted = match get("grant_type") {
        "password" => {
            if let Some(refused) = password_refusal(&sim, &policy, &form) {
                return refused;
            }
            let Ok(mut k) = sim.keycloak.lock() else {
                return keycloak_refusal(500, "server_error", "unavailable");
            };
            Ok(k.login(&policy, get("client_id"), get("username"), &sim.jwt_key))
        }
        "refresh_token" => {
            if let Ok(mut db) = sim.db.lock() {
                db.stats.refresh_grants += 1;
            }
            let Ok(mut k) = sim.keycloak.lock() else {
                return keycloak_refusal(500, "server_error", "unavailable");
            };
            k.refresh(
                &policy,
                get("client_id"),
                get("refresh_token"),
                &sim.jwt_key,
            )
        }
        _ => return keycloak_refusal(400, "unsupported_grant_type", "Unsupported grant_type"),
    };
    match granted {
        Ok(((_, body), access, expires_at)) => {
            if let Ok(mut db) = sim.db.lock() {
                db.sso_tokens.insert(
                    access,
                    Token {
                        expires_at,
                        uses: 0,
                    },
                );
            }
            json_response(StatusCode::OK, body)
        }
        Err((status, body)) => json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body,
        ),
    }
}

/// Keycloak's checks of a password grant, in its order; `None` when the login may proceed.
fn password_refusal(
    sim: &Shared,
    policy: &crate::keycloak::SsoPolicy,
    form: &HashMap<String, String>,
) -> Option<Response> {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if let Ok(mut db) = sim.db.lock() {
        db.stats.password_grants += 1;
    }
    let c = &sim.credentials;
    if policy.browser_login_only {
        return Some(keycloak_refusal(
            400,
            "unauthorized_client",
            "Client not allowed for direct access grants",
        ));
    }
    if get("username") != c.sso_username || get("password") != c.sso_password {
        return Some(keycloak_refusal(
            401,
            "invalid_grant",
            "Invalid user credentials",
        ));
    }
    if let Some(why) = &policy.refuse_password_grant {
        return Some(keycloak_refusal(400, "invalid_grant", why));
    }
    if let Some(secret) = &policy.totp_secret
        && !crate::keycloak::totp_matches(secret, get("totp"))
    {
        return Some(keycloak_refusal(
            401,
            "invalid_grant",
            "Invalid user credentials",
        ));
    }
    None
}

fn keycloak_refusal(status: u16, error: &str, description: &str) -> Response {
    json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"error": error, "error_description": description}),
    )
}

/// `POST /_sim/sso/login`: an operator logs in in the browser; the tokens to paste.
pub(super) async fn browser_login(State(sim): State<Shared>) -> Response {
    json_response(StatusCode::OK, sim.browser_login())
}
