//! The console writes site-absolute paths (`/console/…`) in links, forms, redirects and cookie
//! paths. Behind API Gateway on a named stage the browser sees `/{stage}/console/…`: this layer
//! puts the stage in front of those paths in every answer, so the console itself never has to
//! know where it is mounted.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::request::RequestContext;

/// Largest HTML page rewritten (pages are far smaller; downloads are not HTML).
const MAX_PAGE_BYTES: usize = 16 << 20;

/// `/{stage}` when the request came through a named stage.
pub fn stage_prefix(request: &Request) -> Option<String> {
    match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .stage
            .clone()
            .filter(|s| !s.is_empty() && s != "$default")
            .map(|s| format!("/{s}")),
        _ => None,
    }
}

pub async fn prefix_console_paths(request: Request, next: Next) -> Response {
    let prefix = stage_prefix(&request);
    let response = next.run(request).await;
    match prefix {
        Some(p) => with_prefix(response, &p).await,
        None => response,
    }
}

/// The answer with `prefix` before every `/console` path of its headers and HTML.
pub async fn with_prefix(response: Response, prefix: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(location) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        && location.starts_with("/console")
        && let Ok(v) = HeaderValue::from_str(&format!("{prefix}{location}"))
    {
        parts.headers.insert(header::LOCATION, v);
    }
    let cookies: Vec<HeaderValue> = parts
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| {
            HeaderValue::from_str(&c.replace("Path=/console", &format!("Path={prefix}/console")))
                .ok()
        })
        .collect();
    if !cookies.is_empty() {
        parts.headers.remove(header::SET_COOKIE);
        for c in cookies {
            parts.headers.append(header::SET_COOKIE, c);
        }
    }
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !is_html {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return Response::from_parts(parts, Body::from("the page could not be read"));
    };
    let html = String::from_utf8_lossy(&bytes);
    let mut rewritten = html.into_owned();
    for attr in ["href", "action", "src"] {
        rewritten = rewritten.replace(
            &format!("{attr}=\"/console"),
            &format!("{attr}=\"{prefix}/console"),
        );
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(rewritten))
}
