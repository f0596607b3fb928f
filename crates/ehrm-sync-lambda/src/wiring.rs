//! The handlers of the four functions, each built once per cold start from the services that
//! [`ehrm_sync_aws::wiring`] assembles.

use std::sync::Arc;

use ehrm_sync_aws::emf::EmfMetrics;
use ehrm_sync_aws::wiring::{
    callback_dispatcher, cold_start, delivery_service, ingest_service, reconciler, sso_watch,
    sweeper,
};
use ehrm_sync_core::config::{ConfigError, settle_policy};
use ehrm_sync_core::ports::Workbooks;

/// The deliver handler, configured from the environment.
pub async fn deliver_handler() -> Result<crate::deliver::DeliverHandler, ConfigError> {
    let (_, env, adapters) = cold_start().await?;
    let metrics = Arc::new(EmfMetrics::new("deliver"));
    let (delivery, retry) = delivery_service(&env, &adapters, metrics.clone())?;
    Ok(crate::deliver::DeliverHandler {
        delivery,
        visibility: Arc::new(adapters.queue.clone()),
        clock: adapters.clock.clone(),
        retry,
        settle: settle_policy(&env)?,
        metrics,
    })
}

/// The ingest router, configured from the environment.
pub async fn ingest_router() -> Result<axum::Router, ConfigError> {
    let (_, env, adapters) = cold_start().await?;
    let metrics = Arc::new(EmfMetrics::new("ingest"));
    let (ingest, key) = ingest_service(&env, &adapters, metrics.clone())?;
    Ok(crate::ingest::router(
        ingest,
        Arc::new(adapters.store.clone()),
        key,
        metrics,
    ))
}

/// The console's router, configured from the environment (off without users).
pub async fn console_router() -> Result<axum::Router, ConfigError> {
    let (sdk, env, adapters) = cold_start().await?;
    Ok(crate::console::router(crate::console::console(
        &sdk, &env, &adapters,
    )?))
}

/// The scheduled function's handler: sweep, outcome callbacks, reconciliation.
pub async fn scheduled_handler() -> Result<crate::scheduled::ScheduledHandler, ConfigError> {
    let (sdk, env, adapters) = cold_start().await?;
    let workbooks: Arc<dyn Workbooks> = Arc::new(ehrm_sync_sheets::Xlsx);
    let metrics = Arc::new(EmfMetrics::new("scheduled"));
    Ok(crate::scheduled::ScheduledHandler {
        reconcile: reconciler(&sdk, &env, &adapters, Some(workbooks.clone()))?,
        readiness: ehrm_sync_aws::wiring::readiness(&sdk, &env, &adapters, Some(workbooks))?,
        sweeper: sweeper(&env, &adapters)?,
        callbacks: callback_dispatcher(&env, &adapters)?,
        sso: Some(crate::scheduled::SsoWatchTask {
            watch: sso_watch(&env, &adapters, metrics.clone())?,
            metrics,
        }),
        units: ehrm_sync_aws::wiring::unit_map_refresher(&env, &adapters)?,
        purge: Some(crate::scheduled::PurgeTask {
            purge: Arc::new(adapters.store.clone()),
            controls: Arc::new(adapters.store.clone()),
            retention: ehrm_sync_core::retention::Retention::from_env(&env)?,
        }),
        clock: adapters.clock.clone(),
    })
}

/// The operations function's handler.
pub async fn ops_handler() -> Result<crate::ops::OpsHandler, ConfigError> {
    let (_, _, adapters) = cold_start().await?;
    Ok(crate::ops::OpsHandler {
        store: Arc::new(adapters.store.clone()),
        queue: Arc::new(adapters.queue.clone()),
        dead: Arc::new(adapters.queue.clone()),
        clock: adapters.clock.clone(),
    })
}
