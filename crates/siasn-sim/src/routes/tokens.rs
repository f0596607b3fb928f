//! The two token endpoints: WSO2 APIM (client credentials) and Keycloak SSO (password grant).

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
    let c = &sim.credentials;
    let get = |k: &str| form.get(k).map(String::as_str);
    if get("grant_type") != Some("password") {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"}),
        );
    }
    if get("client_id") != Some(c.sso_client_id.as_str()) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "unauthorized_client", "error_description": "Invalid client credentials"}),
        );
    }
    if get("username") != Some(c.sso_username.as_str())
        || get("password") != Some(c.sso_password.as_str())
    {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_grant", "error_description": "Invalid user credentials"}),
        );
    }
    let token = new_token();
    if let Ok(mut db) = sim.db.lock() {
        db.sso_tokens.insert(
            token.clone(),
            Token {
                expires_at: Instant::now() + Duration::from_secs(sim.sso_ttl_secs),
                uses: 0,
            },
        );
    }
    json_response(
        StatusCode::OK,
        json!({"access_token": token, "expires_in": sim.sso_ttl_secs, "refresh_expires_in": 1800,
               "refresh_token": new_token(), "token_type": "Bearer", "scope": "profile email"}),
    )
}
