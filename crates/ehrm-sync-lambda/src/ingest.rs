//! The ingest function's router: the same axum router as the local server, reached through
//! API Gateway (whose named stage prefixes the path) or a function URL, with the EMF metrics of
//! each request flushed after its response.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Uri};
use axum::response::Response;
use lambda_http::request::RequestContext;

use ehrm_sync_aws::emf::EmfMetrics;
use ehrm_sync_core::ingest::IngestService;
use ehrm_sync_core::ports::SyncStore;

pub fn router(
    ingest: IngestService,
    store: Arc<dyn SyncStore>,
    status_api_key: String,
    metrics: Arc<EmfMetrics>,
) -> Router {
    let api = Arc::new(ehrm_sync_http::Api {
        ingest: Arc::new(ingest),
        store,
        status_api_key,
    });
    let inner = ehrm_sync_http::router(api).layer(axum::middleware::map_response(
        move |response: Response| {
            let metrics = metrics.clone();
            async move {
                metrics.flush();
                response
            }
        },
    ));
    // Rewriting the path must happen before routing, so it wraps the whole router.
    Router::new()
        .fallback_service(inner)
        .layer(axum::middleware::map_request(strip_stage))
        .layer(axum::middleware::map_request(source_address))
}

/// API Gateway's `sourceIp` as the request's source (refused webhooks are logged per source).
async fn source_address(mut request: Request<Body>) -> Request<Body> {
    let ip = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = ip {
        request.extensions_mut().insert(ehrm_sync_http::Source(ip));
    }
    request
}

/// API Gateway puts a named stage in front of the path (`/training/v1/events`); the routes are
/// declared without it.
pub(crate) async fn strip_stage(mut request: Request<Body>) -> Request<Body> {
    let stage = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage.filter(|s| !s.is_empty() && s != "$default") else {
        return request;
    };
    let prefix = format!("/{stage}");
    let path = request.uri().path();
    let Some(rest) = path
        .strip_prefix(&prefix)
        .filter(|r| r.is_empty() || r.starts_with('/'))
    else {
        return request;
    };
    let rest = if rest.is_empty() { "/" } else { rest };
    let rewritten = match request.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    };
    if let Ok(uri) = rewritten.parse::<Uri>() {
        *request.uri_mut() = uri;
    }
    request
}
