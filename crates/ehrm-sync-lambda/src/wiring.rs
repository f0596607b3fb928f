//! Everything a function needs, built once per cold start from the environment (and Secrets
//! Manager): `SYNC_TABLE_NAME`, `DELIVERY_QUEUE_URL`, `DEAD_LETTER_QUEUE_URL`, plus the variables
//! of the local runtime (`BKN_*`, `RETRY_*`, `EHRM_WEBHOOK_SECRET`, `STATUS_API_KEY`).

use std::sync::Arc;

use aws_config::SdkConfig;

use ehrm_sync_aws::emf::EmfMetrics;
use ehrm_sync_aws::{DynamoStore, SqsQueue};
use ehrm_sync_bkn::{BknClient, BknConfig};
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::config::{
    ConfigError, EnvSource, bkn_rate, optional, required, retry_policy, status_api_key,
    webhook_secrets,
};
use ehrm_sync_core::deliver::{DeliveryService, DeliverySettings};
use ehrm_sync_core::ingest::IngestService;
use ehrm_sync_core::pacer::GatePacer;
use ehrm_sync_core::ports::Clock;
use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_webhook::Verifier;

/// Where the data lives.
#[derive(Clone, Debug)]
pub struct AwsResources {
    pub table: String,
    pub queue_url: String,
    pub dead_letter_url: Option<String>,
}

impl AwsResources {
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        Ok(AwsResources {
            table: required(env, "SYNC_TABLE_NAME")?,
            queue_url: required(env, "DELIVERY_QUEUE_URL")?,
            dead_letter_url: ehrm_sync_core::config::optional_string(env, "DEAD_LETTER_QUEUE_URL"),
        })
    }
}

/// Adapters shared by all functions.
#[derive(Clone)]
pub struct Adapters {
    pub store: DynamoStore,
    pub queue: SqsQueue,
    pub clock: Arc<dyn Clock>,
}

impl Adapters {
    pub fn new(sdk: &SdkConfig, resources: &AwsResources) -> Self {
        Adapters {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &resources.table),
            queue: SqsQueue::new(
                aws_sdk_sqs::Client::new(sdk),
                &resources.queue_url,
                resources.dead_letter_url.clone(),
            ),
            clock: Arc::new(SystemClock),
        }
    }
}

/// The ingest function's services.
pub fn ingest_service(
    env: &dyn EnvSource,
    adapters: &Adapters,
    metrics: Arc<EmfMetrics>,
) -> Result<(IngestService, String), ConfigError> {
    let service = IngestService::new(
        Verifier::new(webhook_secrets(env)?),
        Arc::new(adapters.store.clone()),
        Arc::new(adapters.queue.clone()),
        adapters.clock.clone(),
        metrics,
    );
    Ok((service, status_api_key(env)?))
}

/// The deliver function's service and retry policy.
pub fn delivery_service(
    env: &dyn EnvSource,
    adapters: &Adapters,
    metrics: Arc<EmfMetrics>,
) -> Result<(DeliveryService, RetryPolicy), ConfigError> {
    let bkn_config = BknConfig::from_env(env)?;
    let retry = retry_policy(env)?;
    let pacer = Arc::new(GatePacer::new(
        Arc::new(adapters.store.clone()),
        adapters.clock.clone(),
        bkn_rate(env)?,
        optional(env, "BKN_RATE_MARGIN_MS", 50)?,
    ));
    let write_guard_ms = (bkn_config.timeout.as_millis() as i64) + 1_000;
    let bkn_timeout = bkn_config.timeout;
    let bkn = BknClient::new(bkn_config, pacer).map_err(|e| {
        ConfigError::new(
            "BKN_API_BASE_URL",
            format!("cannot build the BKN client: {e}"),
        )
    })?;
    let lease_secs: i64 = optional(env, "LEASE_SECONDS", 900)?;
    let settings = DeliverySettings {
        retry,
        lease_ms: lease_secs * 1000,
        write_guard_ms,
    };
    let breaker = ehrm_sync_core::breaker::Breaker::new(
        Arc::new(adapters.store.clone()),
        adapters.clock.clone(),
        ehrm_sync_core::config::breaker_settings(env, bkn_timeout)?,
    );
    let service = DeliveryService::new(
        Arc::new(adapters.store.clone()),
        Arc::new(adapters.store.clone()),
        Arc::new(bkn),
        adapters.clock.clone(),
        metrics,
        settings,
    )
    .with_breaker(Arc::new(breaker));
    // Deliver only writes callbacks into the outbox; the scheduled function sends them.
    let callbacks_on = ehrm_sync_core::config::optional_string(env, "EHRM_CALLBACK_URL").is_some();
    let service = match callbacks_on {
        true => service.with_observer(Arc::new(ehrm_sync_core::callbacks::OutcomeCallbacks::new(
            Arc::new(adapters.store.clone()),
            adapters.clock.clone(),
        ))),
        false => service,
    };
    Ok((service, retry))
}

/// Cold start of a function: SDK configuration, secrets over the environment, adapters.
pub async fn cold_start() -> Result<
    (
        SdkConfig,
        ehrm_sync_aws::secrets::WithSecrets<'static>,
        Adapters,
    ),
    ConfigError,
> {
    let sdk = ehrm_sync_aws::sdk::load().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let env =
        ehrm_sync_aws::secrets::overlay(&secrets, &ehrm_sync_core::config::ProcessEnv).await?;
    let resources = AwsResources::from_env(&env)?;
    let adapters = Adapters::new(&sdk, &resources);
    Ok((sdk, env, adapters))
}

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

/// The scheduled function's handler, configured from the environment
/// (`SWEEP_GRACE_SECONDS`, `SWEEP_REQUEUE_SECONDS`).
pub async fn scheduled_handler() -> Result<crate::scheduled::ScheduledHandler, ConfigError> {
    let (sdk, env, adapters) = cold_start().await?;
    let d = ehrm_sync_core::sweep::SweepSettings::default();
    let settings = ehrm_sync_core::sweep::SweepSettings {
        grace_ms: optional::<i64>(&env, "SWEEP_GRACE_SECONDS", d.grace_ms / 1000)? * 1000,
        requeue_after_ms: optional::<i64>(
            &env,
            "SWEEP_REQUEUE_SECONDS",
            d.requeue_after_ms / 1000,
        )? * 1000,
        ..d
    };
    let callbacks = match ehrm_sync_ehrm::CallbackConfig::from_env(&env)? {
        Some(config) => Some(ehrm_sync_core::callbacks::CallbackDispatcher::new(
            Arc::new(adapters.store.clone()),
            Arc::new(ehrm_sync_ehrm::HttpCallbackSender::new(config)?),
            adapters.clock.clone(),
            retry_policy(&env)?,
        )),
        None => None,
    };
    let reconcile = reconcile_service(&sdk, &env, &adapters)?;
    Ok(crate::scheduled::ScheduledHandler {
        reconcile,
        sweeper: ehrm_sync_core::sweep::Sweeper::new(
            Arc::new(adapters.store.clone()),
            Arc::new(adapters.queue.clone()),
            adapters.clock.clone(),
            settings,
        )
        .with_control(Arc::new(adapters.store.clone())),
        callbacks,
    })
}

/// Reconciliation on AWS, when `EHRM_API_BASE_URL` is set: BKN through the shared rate gate
/// and breaker in the table, reports to `REPORTS_BUCKET`.
pub fn reconcile_service(
    sdk: &SdkConfig,
    env: &dyn EnvSource,
    adapters: &Adapters,
) -> Result<Option<ehrm_sync_core::reconcile::Reconciler>, ConfigError> {
    let Some(ehrm_config) = ehrm_sync_ehrm::EhrmApiConfig::from_env(env)? else {
        return Ok(None);
    };
    let ehrm = ehrm_sync_ehrm::EhrmApiClient::new(ehrm_config)
        .map_err(|e| ConfigError::new("EHRM_API_BASE_URL", e.to_string()))?;
    let bkn_config = BknConfig::from_env(env)?;
    let bkn_timeout = bkn_config.timeout;
    let pacer = Arc::new(GatePacer::new(
        Arc::new(adapters.store.clone()),
        adapters.clock.clone(),
        bkn_rate(env)?,
        optional(env, "BKN_RATE_MARGIN_MS", 50)?,
    ));
    let bkn = BknClient::new(bkn_config, pacer).map_err(|e| {
        ConfigError::new(
            "BKN_API_BASE_URL",
            format!("cannot build the BKN client: {e}"),
        )
    })?;
    let breaker = ehrm_sync_core::breaker::Breaker::new(
        Arc::new(adapters.store.clone()),
        adapters.clock.clone(),
        ehrm_sync_core::config::breaker_settings(env, bkn_timeout)?,
    );
    let store = Arc::new(adapters.store.clone());
    let outbox: Option<Arc<dyn ehrm_sync_core::ports::CallbackOutbox>> =
        match ehrm_sync_core::config::optional_string(env, "EHRM_CALLBACK_URL") {
            Some(_) => Some(store.clone()),
            None => None,
        };
    let reports: Option<Arc<dyn ehrm_sync_core::ports::ReportSink>> =
        ehrm_sync_core::config::optional_string(env, "REPORTS_BUCKET").map(|bucket| {
            Arc::new(ehrm_sync_aws::reports::S3Reports::from_sdk(sdk, bucket))
                as Arc<dyn ehrm_sync_core::ports::ReportSink>
        });
    Ok(Some(ehrm_sync_core::reconcile::Reconciler::new(
        ehrm_sync_core::reconcile::ReconcilerDeps {
            ehrm: Arc::new(ehrm),
            bkn: Arc::new(bkn),
            store: store.clone(),
            pns_ids: store.clone(),
            queue: Arc::new(adapters.queue.clone()),
            controls: store.clone(),
            reconcile: store,
            outbox,
            reports,
            breaker: Some(Arc::new(breaker)),
            clock: adapters.clock.clone(),
        },
        ehrm_sync_core::config::reconcile_settings(env)?,
    )))
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
