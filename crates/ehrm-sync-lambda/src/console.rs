//! The console function's router: the console's routes behind API Gateway (the same HTTP API as
//! the webhook), with the stage stripped from the path (and put back before the paths of every
//! answer, [`crate::stage_paths`]) and the caller's address taken from the request context
//! (`sourceIp`) for login throttling. With no user configured every path
//! answers 404: the console is off.

use std::sync::Arc;

use ehrm_sync_core::sso::SsoDesk;

use aws_config::SdkConfig;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use lambda_http::request::RequestContext;

use ehrm_sync_aws::launcher::LambdaLauncher;
use ehrm_sync_aws::wiring::Adapters;
use ehrm_sync_console::{ClientAddr, Console, ConsoleDeps, ConsoleSettings, Users};
use ehrm_sync_core::config::{ConfigError, EnvSource, bkn_rate, optional_string};
use ehrm_sync_core::ports::{Launcher, Workbooks};

/// The console's users from `CONSOLE_USERS` (the secret's text), and what it reads and acts
/// through: the table, the queues, and the scheduled function (`SCHEDULED_FUNCTION_NAME`) to
/// start reconciliation. No user configured: `None`, the console is off.
pub fn console(
    sdk: &SdkConfig,
    env: &dyn EnvSource,
    adapters: &Adapters,
) -> Result<Option<Console>, ConfigError> {
    let text = optional_string(env, "CONSOLE_USERS").unwrap_or_default();
    let users =
        Users::parse(&text).map_err(|e| ConfigError::new("CONSOLE_USERS", e.to_string()))?;
    if users.is_empty() {
        return Ok(None);
    }
    let launcher = optional_string(env, "SCHEDULED_FUNCTION_NAME")
        .map(|f| Arc::new(LambdaLauncher::from_sdk(sdk, f)) as Arc<dyn Launcher>);
    let settings = ConsoleSettings {
        secure_cookies: true,
        bkn_rate_per_sec: bkn_rate(env)?,
    };
    Ok(Some(Console::new(
        console_deps(adapters, launcher, Arc::new(ehrm_sync_sheets::Xlsx)),
        users,
        settings,
    )))
}

/// The console's ports on the table and the queues.
pub fn console_deps(
    adapters: &Adapters,
    launcher: Option<Arc<dyn Launcher>>,
    workbooks: Arc<dyn Workbooks>,
) -> ConsoleDeps {
    let store = Arc::new(adapters.store.clone());
    ConsoleDeps {
        store: store.clone(),
        controls: store.clone(),
        dead_letters: Arc::new(adapters.queue.clone()),
        reconcile: store.clone(),
        marks: store.clone(),
        history: store.clone(),
        pns: store.clone(),
        gate: store.clone(),
        series: store,
        queue: Arc::new(adapters.queue.clone()),
        launcher,
        workbooks,
        // The console only pastes (PutSecretValue); the functions calling BKN read the secret.
        sso: Arc::new(SsoDesk::new(
            Arc::new(adapters.store.clone()),
            adapters.sso_vault.clone(),
            adapters.clock.clone(),
        )),
        clock: adapters.clock.clone(),
    }
}

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
