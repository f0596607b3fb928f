//! Everything a function needs, built once per cold start from the environment (and Secrets
//! Manager): `SYNC_TABLE_NAME`, `DELIVERY_QUEUE_URL`, `DEAD_LETTER_QUEUE_URL`, plus the variables
//! of the local runtime (`BKN_*`, `RETRY_*`, `EHRM_WEBHOOK_SECRET`, `STATUS_API_KEY`).
//!
//! The Lambda handlers, the `ehrm-sync --aws` commands and the tests build their services here,
//! and the BKN side through [`BknStack`], so every entry point is configured the same way.

use std::sync::Arc;

use aws_config::SdkConfig;

use ehrm_sync_bkn::{BknSettings, BknStack};
use ehrm_sync_core::callbacks::{CallbackDispatcher, OutcomeCallbacks};
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::config::{
    ConfigError, EnvSource, delivery_settings, optional_string, reconcile_settings, required,
    retry_policy, status_api_key, sweep_settings, webhook_secrets,
};
use ehrm_sync_core::deliver::DeliveryService;
use ehrm_sync_core::ingest::IngestService;
use ehrm_sync_core::job::RunDeps;
use ehrm_sync_core::ports::{CallbackOutbox, Clock, Metrics, ReportSink, SsoVault, Workbooks};
use ehrm_sync_core::reconcile::{Reconciler, ReconcilerDeps};
use ehrm_sync_core::sso::{SsoDesk, SsoWatch};
use ehrm_sync_core::sweep::Sweeper;
use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_webhook::Verifier;

use crate::reports::S3Reports;
use crate::secrets::WithSecrets;
use crate::sso_vault::SecretsVault;
use crate::{DynamoStore, SqsQueue};

/// Where the data lives.
#[derive(Clone, Debug)]
pub struct AwsResources {
    pub table: String,
    pub queue_url: String,
    pub dead_letter_url: Option<String>,
    /// `BKN_SSO_SECRET_ID`: the secret pasted SSO tokens are kept in (none: nothing can be
    /// pasted).
    pub sso_secret_id: Option<String>,
    /// `RETAIN_<CLASS>_DAYS`: the TTL each expiring item carries.
    pub retention: ehrm_sync_core::retention::Retention,
}

impl AwsResources {
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        Ok(AwsResources {
            table: required(env, "SYNC_TABLE_NAME")?,
            queue_url: required(env, "DELIVERY_QUEUE_URL")?,
            dead_letter_url: optional_string(env, "DEAD_LETTER_QUEUE_URL"),
            sso_secret_id: optional_string(env, "BKN_SSO_SECRET_ID"),
            retention: ehrm_sync_core::retention::Retention::from_env(env)?,
        })
    }
}

/// Adapters shared by all functions.
#[derive(Clone)]
pub struct Adapters {
    pub store: DynamoStore,
    pub queue: SqsQueue,
    pub clock: Arc<dyn Clock>,
    /// Where pasted SSO tokens are kept (`None` without `BKN_SSO_SECRET_ID`).
    pub sso_vault: Option<Arc<dyn SsoVault>>,
}

impl Adapters {
    pub fn new(sdk: &SdkConfig, resources: &AwsResources) -> Self {
        Adapters {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &resources.table)
                .with_retention(resources.retention.clone()),
            queue: SqsQueue::new(
                aws_sdk_sqs::Client::new(sdk),
                &resources.queue_url,
                resources.dead_letter_url.clone(),
            ),
            clock: Arc::new(SystemClock),
            sso_vault: resources.sso_secret_id.as_ref().map(|id| {
                Arc::new(SecretsVault::new(
                    aws_sdk_secretsmanager::Client::new(sdk),
                    id,
                )) as Arc<dyn SsoVault>
            }),
        }
    }

    /// The BKN client behind the rate gate in the table, and the breaker in the table.
    pub fn bkn(&self, env: &dyn EnvSource) -> Result<(BknSettings, BknStack), ConfigError> {
        let settings = BknSettings::from_env(env)?;
        let shared = Arc::new(self.store.clone());
        let stack = BknStack::build(
            &settings,
            shared.clone(),
            shared,
            self.clock.clone(),
            self.sso_vault.clone(),
        )?;
        Ok((settings, stack))
    }
}

/// Cold start of a function: SDK configuration, secrets over the environment, adapters.
pub async fn cold_start() -> Result<(SdkConfig, WithSecrets<'static>, Adapters), ConfigError> {
    let sdk = crate::sdk::load().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let env = crate::secrets::overlay(&secrets, &ehrm_sync_core::config::ProcessEnv).await?;
    let resources = AwsResources::from_env(&env)?;
    let adapters = Adapters::new(&sdk, &resources);
    Ok((sdk, env, adapters))
}

/// The ingest service and the status API key.
pub fn ingest_service(
    env: &dyn EnvSource,
    adapters: &Adapters,
    metrics: Arc<dyn Metrics>,
) -> Result<(IngestService, String), ConfigError> {
    let service = IngestService::new(
        Verifier::new(webhook_secrets(env)?),
        Arc::new(adapters.store.clone()),
        Arc::new(adapters.queue.clone()),
        adapters.clock.clone(),
        metrics,
    )
    .with_unit_map(Arc::new(adapters.store.clone()));
    Ok((service, status_api_key(env)?))
}

/// The delivery service and its retry policy.
pub fn delivery_service(
    env: &dyn EnvSource,
    adapters: &Adapters,
    metrics: Arc<dyn Metrics>,
) -> Result<(DeliveryService, RetryPolicy), ConfigError> {
    let (bkn_settings, bkn) = adapters.bkn(env)?;
    let settings = delivery_settings(env, bkn_settings.write_guard_ms())?;
    let service = DeliveryService::new(
        Arc::new(adapters.store.clone()),
        Arc::new(adapters.store.clone()),
        bkn.client,
        adapters.clock.clone(),
        metrics,
        settings,
    )
    .with_breaker(bkn.breaker)
    .with_sso(bkn.sso);
    // Positions need eHRM's read API: its unit map and their SK documents.
    let service = match ehrm_api(env)? {
        Some(ehrm) => service
            .with_documents(ehrm)
            .with_unit_map(Arc::new(adapters.store.clone())),
        None => service,
    };
    let service = if bkn_settings.remember_lists {
        service.with_riwayat_lists(Arc::new(adapters.store.clone()))
    } else {
        service
    };
    // Deliver only writes callbacks into the outbox; the scheduled function sends them.
    let service = match optional_string(env, "EHRM_CALLBACK_URL") {
        Some(_) => service.with_observer(Arc::new(OutcomeCallbacks::new(
            Arc::new(adapters.store.clone()),
            adapters.clock.clone(),
        ))),
        None => service,
    };
    Ok((service, settings.retry))
}

/// eHRM's read API client, when `EHRM_API_BASE_URL` is set.
fn ehrm_api(
    env: &dyn EnvSource,
) -> Result<Option<Arc<ehrm_sync_ehrm::EhrmApiClient>>, ConfigError> {
    let Some(config) = ehrm_sync_ehrm::EhrmApiConfig::from_env(env)? else {
        return Ok(None);
    };
    let client = ehrm_sync_ehrm::EhrmApiClient::new(config)
        .map_err(|e| ConfigError::new("EHRM_API_BASE_URL", e.to_string()))?;
    Ok(Some(Arc::new(client)))
}

/// eHRM's unit map refreshed with the sweep, when eHRM's read API is configured.
pub fn unit_map_refresher(
    env: &dyn EnvSource,
    adapters: &Adapters,
) -> Result<Option<ehrm_sync_core::unor_map::UnitMapRefresher>, ConfigError> {
    Ok(
        ehrm_api(env)?.map(|ehrm| ehrm_sync_core::unor_map::UnitMapRefresher {
            controls: Arc::new(adapters.store.clone()),
            ehrm,
            clock: adapters.clock.clone(),
        }),
    )
}

/// The SSO desk: the BKN stack's when BKN is configured (it knows whether a password login
/// stands behind a pasted token), else one over the table and the SSO secret.
pub fn sso_desk(env: &dyn EnvSource, adapters: &Adapters) -> Result<Arc<SsoDesk>, ConfigError> {
    if optional_string(env, "BKN_API_BASE_URL").is_some() {
        return Ok(adapters.bkn(env)?.1.sso);
    }
    Ok(Arc::new(SsoDesk::new(
        Arc::new(adapters.store.clone()),
        adapters.sso_vault.clone(),
        adapters.clock.clone(),
    )))
}

/// The SSO watch; warnings go to eHRM when callbacks are configured.
pub fn sso_watch(
    env: &dyn EnvSource,
    adapters: &Adapters,
    metrics: Arc<dyn Metrics>,
) -> Result<SsoWatch, ConfigError> {
    let outbox: Option<Arc<dyn CallbackOutbox>> = optional_string(env, "EHRM_CALLBACK_URL")
        .map(|_| Arc::new(adapters.store.clone()) as Arc<dyn CallbackOutbox>);
    if optional_string(env, "BKN_API_BASE_URL").is_some() {
        // The BKN client renews a pasted refresh token left idle between deliveries.
        let stack = adapters.bkn(env)?.1;
        return Ok(SsoWatch::new(stack.sso, outbox, metrics).with_keeper(stack.client));
    }
    Ok(SsoWatch::new(sso_desk(env, adapters)?, outbox, metrics))
}

/// The sweeper (`SWEEP_GRACE_SECONDS`, `SWEEP_REQUEUE_SECONDS`).
pub fn sweeper(env: &dyn EnvSource, adapters: &Adapters) -> Result<Sweeper, ConfigError> {
    Ok(Sweeper::new(
        Arc::new(adapters.store.clone()),
        Arc::new(adapters.queue.clone()),
        adapters.clock.clone(),
        sweep_settings(env)?,
    )
    .with_control(Arc::new(adapters.store.clone()))
    .with_series(Arc::new(adapters.store.clone())))
}

/// The sender of outcome callbacks, when `EHRM_CALLBACK_URL` is set.
pub fn callback_dispatcher(
    env: &dyn EnvSource,
    adapters: &Adapters,
) -> Result<Option<CallbackDispatcher>, ConfigError> {
    let Some(config) = ehrm_sync_ehrm::CallbackConfig::from_env(env)? else {
        return Ok(None);
    };
    let timeout_ms = config.timeout.as_millis() as i64;
    Ok(Some(
        CallbackDispatcher::new(
            Arc::new(adapters.store.clone()),
            Arc::new(ehrm_sync_ehrm::HttpCallbackSender::new(config)?),
            adapters.clock.clone(),
            retry_policy(env)?,
        )
        .with_send_timeout_ms(timeout_ms),
    ))
}

/// What every long run uses on AWS — eHRM's read API (`None` without `EHRM_API_BASE_URL`), the
/// table, the queue, reports in `REPORTS_BUCKET` under `prefix` — and the BKN client with the
/// shared rate gate and breaker in the table.
fn run_deps(
    sdk: &SdkConfig,
    env: &dyn EnvSource,
    adapters: &Adapters,
    workbooks: Option<Arc<dyn Workbooks>>,
    prefix: Option<&str>,
) -> Result<Option<(RunDeps, BknStack)>, ConfigError> {
    let Some(ehrm_config) = ehrm_sync_ehrm::EhrmApiConfig::from_env(env)? else {
        return Ok(None);
    };
    let ehrm = ehrm_sync_ehrm::EhrmApiClient::new(ehrm_config)
        .map_err(|e| ConfigError::new("EHRM_API_BASE_URL", e.to_string()))?;
    let (_, bkn) = adapters.bkn(env)?;
    let store = Arc::new(adapters.store.clone());
    let reports = optional_string(env, "REPORTS_BUCKET").map(|bucket| {
        let sink = S3Reports::from_sdk(sdk, bucket);
        let sink = match prefix {
            Some(p) => sink.with_prefix(p),
            None => sink,
        };
        Arc::new(sink) as Arc<dyn ReportSink>
    });
    let deps = RunDeps {
        ehrm: Arc::new(ehrm),
        store: store.clone(),
        queue: Arc::new(adapters.queue.clone()),
        controls: store,
        reports,
        workbooks,
        breaker: Some(bkn.breaker.clone()),
        clock: adapters.clock.clone(),
    };
    Ok(Some((deps, bkn)))
}

/// Reconciliation on AWS, when `EHRM_API_BASE_URL` is set: BKN through the shared rate gate
/// and breaker in the table, reports to `REPORTS_BUCKET`.
pub fn reconciler(
    sdk: &SdkConfig,
    env: &dyn EnvSource,
    adapters: &Adapters,
    workbooks: Option<Arc<dyn Workbooks>>,
) -> Result<Option<Reconciler>, ConfigError> {
    let Some((run, bkn)) = run_deps(sdk, env, adapters, workbooks, None)? else {
        return Ok(None);
    };
    let store = Arc::new(adapters.store.clone());
    let outbox: Option<Arc<dyn CallbackOutbox>> = match optional_string(env, "EHRM_CALLBACK_URL") {
        Some(_) => Some(store.clone()),
        None => None,
    };
    Ok(Some(Reconciler::new(
        ReconcilerDeps {
            run,
            bkn: bkn.client,
            pns_ids: store.clone(),
            reconcile: store,
            outbox,
        },
        reconcile_settings(env)?,
    )))
}

/// The promotion and retirement readiness check (`None` without eHRM's read API), reports to
/// `REPORTS_BUCKET` under `readiness/`.
pub fn readiness(
    sdk: &SdkConfig,
    env: &dyn EnvSource,
    adapters: &Adapters,
    workbooks: Option<Arc<dyn Workbooks>>,
) -> Result<Option<ehrm_sync_core::readiness::Readiness>, ConfigError> {
    let Some((run, bkn)) = run_deps(sdk, env, adapters, workbooks, Some("readiness"))? else {
        return Ok(None);
    };
    Ok(Some(ehrm_sync_core::readiness::Readiness::new(
        ehrm_sync_core::readiness::ReadinessDeps {
            run,
            bkn: bkn.client,
        },
        ehrm_sync_core::config::readiness_settings(env)?,
    )))
}
