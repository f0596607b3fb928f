//! The console on DynamoDB and SQS (the template's data resources on `AWS_ENDPOINT_URL`), called
//! as API Gateway calls the console function: each request an HTTP API (payload 2.0) event on
//! stage `training`, cookies in the event's `cookies`, the caller in `requestContext.http.sourceIp`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use ehrm_sync_aws::wiring::Adapters;
use ehrm_sync_console::Console;
use ehrm_sync_lambda::console::console_deps;

use super::{
    Answer, ConsoleFixture, RecordingLauncher, ShiftedClock, Transport, test_settings, test_users,
};
use crate::aws::DataStack;

/// The HTTP API event of a request from `address`.
async fn event_of(req: Request<Body>, address: &str) -> Value {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.expect("body");
    let mut event: Value =
        serde_json::from_str(include_str!("../../fixtures/apigw-v2-request.json"))
            .expect("fixture");
    let path = format!("{STAGE}{}", parts.uri.path());
    let query = parts.uri.query().unwrap_or("").to_string();
    let method = parts.method.as_str();
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!(query);
    event["routeKey"] = json!("ANY /console/{proxy+}");
    event["requestContext"]["stage"] = json!("training");
    event["requestContext"]["routeKey"] = json!("ANY /console/{proxy+}");
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["http"]["sourceIp"] = json!(address);
    for (name, value) in &parts.headers {
        let Ok(value) = value.to_str() else { continue };
        if name == header::COOKIE {
            // API Gateway hands cookies over apart from the headers.
            let cookies: Vec<&str> = value.split("; ").filter(|c| !c.is_empty()).collect();
            if !cookies.is_empty() {
                event["cookies"] = json!(cookies);
            }
        } else {
            event["headers"][name.as_str()] = json!(value);
        }
    }
    event["headers"]["content-length"] = json!(bytes.len().to_string());
    event["body"] = json!(String::from_utf8_lossy(&bytes));
    event["isBase64Encoded"] = json!(false);
    event
}

const STAGE: &str = "/training";

/// The console function behind stage `training`. With `as_served` the answers are as the
/// browser gets them (paths under `/training`); without, the stage is taken off the answers'
/// `Location` so that the shared cases read the same paths on every store.
fn lambda_transport(router: axum::Router, address: &str, as_served: bool) -> Transport {
    let address = address.to_string();
    Arc::new(move |mut req: Request<Body>| {
        let (router, address) = (router.clone(), address.clone());
        Box::pin(async move {
            // A path copied from a page already carries the stage.
            if let Some(rest) = req
                .uri()
                .path_and_query()
                .and_then(|p| p.as_str().strip_prefix(STAGE))
                && let Ok(uri) = rest.parse()
            {
                *req.uri_mut() = uri;
            }
            let event = event_of(req, &address).await;
            let request = lambda_http::request::from_str(&event.to_string())
                .expect("lambda_http reads the event");
            let res = router.oneshot(request).await.expect("infallible");
            let (mut parts, body) = res.into_parts();
            let bytes = axum::body::to_bytes(body, 64 << 20)
                .await
                .expect("body")
                .to_vec();
            if !as_served
                && let Some(rest) = parts
                    .headers
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| l.strip_prefix(STAGE))
                    .and_then(|l| axum::http::HeaderValue::from_str(l).ok())
            {
                parts.headers.insert(header::LOCATION, rest);
            }
            Answer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                bytes,
            }
        })
    })
}

/// The console function over `adapters` (as its wiring builds it), called from `address` as
/// API Gateway calls it.
pub fn console_function(adapters: &Adapters, address: &str) -> Transport {
    let deps = console_deps(adapters, None, Arc::new(ehrm_sync_sheets::Xlsx));
    let console = Console::new(deps, test_users(), test_settings(true));
    lambda_transport(
        ehrm_sync_lambda::console::router(Some(console)),
        address,
        false,
    )
}

impl ConsoleFixture {
    /// The console function's router on a fresh data stack.
    pub async fn aws() -> Self {
        let stack = DataStack::deploy_with(&[("DeliveryMaxReceiveCount", "2")]).await;
        let clock = Arc::new(ShiftedClock::default());
        let mut adapters = Adapters::new(&stack.sdk, &stack.resources());
        adapters.clock = clock.clone();
        let launcher = Arc::new(RecordingLauncher::default());
        let deps = console_deps(
            &adapters,
            Some(launcher.clone()),
            Arc::new(ehrm_sync_sheets::Xlsx),
        );
        let console = Console::new(deps, test_users(), test_settings(true));
        let router = ehrm_sync_lambda::console::router(Some(console));
        let store = Arc::new(adapters.store.clone());
        ConsoleFixture {
            store: store.clone(),
            reconcile: store.clone(),
            gate: store.clone(),
            controls: store,
            producer: Arc::new(adapters.queue.clone()),
            consumer: Arc::new(stack.queue().with_receive_visibility(1)),
            max_receives: 2,
            clock,
            launcher,
            secure_cookies: true,
            transport: {
                let router = router.clone();
                Arc::new(move |address| lambda_transport(router.clone(), address, false))
            },
            as_served: Arc::new(move |address| lambda_transport(router.clone(), address, true)),
            keep_alive: vec![Box::new(stack.name)],
        }
    }
}
