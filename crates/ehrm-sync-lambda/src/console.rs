//! The console function's router: the console's routes behind API Gateway (the same HTTP API as
//! the webhook), with the stage stripped from the path (and put back before the paths of every
//! answer, [`crate::stage_paths`]) and the caller's address taken from the request context
//! (`sourceIp`) for login throttling. With no user configured every path
//! answers 404: the console is off.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use lambda_http::request::RequestContext;

use ehrm_sync_console::{ClientAddr, Console};

pub fn router(console: Option<Console>) -> Router {
    let inner = match console {
        Some(console) => ehrm_sync_console::router(Arc::new(console))
            .layer(axum::middleware::map_request(source_address))
            .layer(axum::middleware::from_fn(
                crate::stage_paths::prefix_console_paths,
            )),
        None => Router::new().fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "The console is off: no user is configured (CONSOLE_USERS_SECRET_ID).",
            )
        }),
    };
    Router::new()
        .fallback_service(inner)
        .layer(axum::middleware::map_request(crate::ingest::strip_stage))
}

async fn source_address(mut request: Request<Body>) -> Request<Body> {
    let ip = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = ip {
        request.extensions_mut().insert(ClientAddr(ip));
    }
    request
}
