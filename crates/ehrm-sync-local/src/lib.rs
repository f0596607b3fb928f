//! Everything on one machine: the embedded SQLite store and queue, the HTTP server of the
//! webhook and status endpoints, a pool of delivery workers, and the sweeper — the same
//! services the Lambdas run, wired to local adapters. [`vault`] keeps pasted BKN SSO tokens
//! sealed in the database; [`reports`] writes run reports to files.
//!
//! Depends on the core services, the SQLite adapters, the BKN and eHRM clients and the HTTP router;
//! must not depend on AWS. The same services as the Lambdas, wired differently.

mod console;
pub mod reports;
mod settings;
pub mod vault;
mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use ehrm_sync_bkn::BknStack;
use ehrm_sync_core::callbacks::{CallbackDispatcher, OutcomeCallbacks};
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::deliver::DeliveryService;
use ehrm_sync_core::ingest::IngestService;
use ehrm_sync_core::job::RunDeps;
use ehrm_sync_core::metrics::LogMetrics;
use ehrm_sync_core::ports::{CallbackOutbox, Clock, Metrics, SsoVault, StoreError};
use ehrm_sync_core::readiness::{Readiness, ReadinessDeps};
use ehrm_sync_core::reconcile::{Reconciler, ReconcilerDeps};
use ehrm_sync_core::sso::SsoWatch;
use ehrm_sync_core::sweep::Sweeper;
use ehrm_sync_ehrm::EhrmApiClient;
use ehrm_sync_sqlite::{SqliteQueue, SqliteStore};
use ehrm_sync_webhook::Verifier;

pub use console::{console_deps, sso_desk};
pub use settings::LocalSettings;
pub use vault::SealedVault;
pub use worker::{WorkerReport, process_received};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the store could not be opened: {0}")]
    Store(#[from] StoreError),
    #[error("the BKN client could not be built: {0}")]
    Bkn(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(
        "STATUS_API_KEY is empty: the status API would let anyone in; set a key of at least 16 characters"
    )]
    NoStatusKey,
    #[error(
        "reconciliation reads eHRM's API: set EHRM_API_BASE_URL, EHRM_API_KEY, EHRM_USERNAME and EHRM_PASSWORD"
    )]
    NoEhrmApi,
    #[error("the eHRM client could not be built: {0}")]
    Ehrm(String),
}

/// The adapters and services of one process.
pub struct Wiring {
    pub store: SqliteStore,
    pub queue: SqliteQueue,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<dyn Metrics>,
    /// The BKN client behind the shared rate gate, and the shared breaker.
    pub bkn: BknStack,
    pub settings: LocalSettings,
}

impl Wiring {
    pub fn new(settings: LocalSettings) -> Result<Self, StartError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = SqliteStore::open_with_clock(&settings.db_path, clock.clone())?;
        let queue = store.queue(settings.queue.clone());
        let shared = Arc::new(store.clone());
        let vault: Option<Arc<dyn SsoVault>> = match &settings.token_key {
            Some(key) => Some(Arc::new(
                SealedVault::new(shared.clone(), key)
                    .map_err(|e| StartError::Bkn(e.to_string()))?,
            )),
            None => None,
        };
        let bkn = BknStack::build(&settings.bkn, shared.clone(), shared, clock.clone(), vault)
            .map_err(|e| StartError::Bkn(e.to_string()))?;
        Ok(Wiring {
            store,
            queue,
            clock,
            metrics: Arc::new(LogMetrics),
            bkn,
            settings,
        })
    }

    pub fn ingest(&self) -> IngestService {
        IngestService::new(
            Verifier::new(self.settings.webhook_secrets.clone()),
            Arc::new(self.store.clone()),
            Arc::new(self.queue.clone()),
            self.clock.clone(),
            self.metrics.clone(),
        )
        .with_unit_map(Arc::new(self.store.clone()))
    }

    pub fn delivery(&self) -> DeliveryService {
        let service = DeliveryService::new(
            Arc::new(self.store.clone()),
            Arc::new(self.store.clone()),
            self.bkn.client.clone(),
            self.clock.clone(),
            self.metrics.clone(),
            self.settings.delivery,
        )
        .with_breaker(self.bkn.breaker.clone())
        .with_sso(self.bkn.sso.clone());
        // Positions need eHRM's read API: its unit map and their SK documents.
        let service = match self.ehrm_api() {
            Ok(ehrm) => service
                .with_documents(Arc::new(ehrm))
                .with_unit_map(Arc::new(self.store.clone())),
            Err(_) => service,
        };
        let service = if self.settings.bkn.remember_lists {
            service.with_riwayat_lists(Arc::new(self.store.clone()))
        } else {
            service
        };
        match &self.settings.callbacks {
            Some(_) => service.with_observer(Arc::new(OutcomeCallbacks::new(
                Arc::new(self.store.clone()),
                self.clock.clone(),
            ))),
            None => service,
        }
    }

    pub fn sweeper(&self) -> Sweeper {
        Sweeper::new(
            Arc::new(self.store.clone()),
            Arc::new(self.queue.clone()),
            self.clock.clone(),
            self.settings.sweep,
        )
        .with_control(Arc::new(self.store.clone()))
        .with_series(Arc::new(self.store.clone()))
    }

    /// What every long run uses on the embedded store; reports go to `reports` (one folder per
    /// run).
    fn run_deps(&self, reports: std::path::PathBuf) -> Result<RunDeps, StartError> {
        let store = Arc::new(self.store.clone());
        Ok(RunDeps {
            ehrm: Arc::new(self.ehrm_api()?),
            store: store.clone(),
            queue: Arc::new(self.queue.clone()),
            controls: store,
            reports: Some(Arc::new(reports::FolderReports::new(reports))),
            workbooks: Some(Arc::new(ehrm_sync_sheets::Xlsx)),
            breaker: Some(self.bkn.breaker.clone()),
            clock: self.clock.clone(),
        })
    }

    /// Reconciliation, reporting into `reports` (a folder).
    pub fn reconcile(&self, reports: std::path::PathBuf) -> Result<Reconciler, StartError> {
        let store = Arc::new(self.store.clone());
        let outbox: Option<Arc<dyn CallbackOutbox>> = match self.settings.callbacks {
            Some(_) => Some(store.clone()),
            None => None,
        };
        Ok(Reconciler::new(
            ReconcilerDeps {
                run: self.run_deps(reports)?,
                bkn: self.bkn.client.clone(),
                pns_ids: store.clone(),
                reconcile: store,
                outbox,
            },
            self.settings.reconcile.clone(),
        ))
    }

    /// eHRM's read API client (reconciliation and the readiness check need it).
    fn ehrm_api(&self) -> Result<EhrmApiClient, StartError> {
        let config = self
            .settings
            .ehrm_api
            .clone()
            .ok_or(StartError::NoEhrmApi)?;
        EhrmApiClient::new(config).map_err(|e| StartError::Ehrm(e.to_string()))
    }

    /// The promotion and retirement readiness check on the embedded store; reports go to
    /// `reports` (one folder per run).
    pub fn readiness(&self, reports: std::path::PathBuf) -> Result<Readiness, StartError> {
        Ok(Readiness::new(
            ReadinessDeps {
                run: self.run_deps(reports)?,
                bkn: self.bkn.client.clone(),
            },
            self.settings.readiness.clone(),
        ))
    }

    /// The callback dispatcher, when callbacks to eHRM are configured.
    pub fn callback_dispatcher(&self) -> Result<Option<CallbackDispatcher>, StartError> {
        let Some(config) = self.settings.callbacks.clone() else {
            return Ok(None);
        };
        let timeout_ms = config.timeout.as_millis() as i64;
        let sender = ehrm_sync_ehrm::HttpCallbackSender::new(config)
            .map_err(|e| StartError::Bkn(e.to_string()))?;
        Ok(Some(
            CallbackDispatcher::new(
                Arc::new(self.store.clone()),
                Arc::new(sender),
                self.clock.clone(),
                self.settings.delivery.retry,
            )
            .with_send_timeout_ms(timeout_ms),
        ))
    }
}

/// A running `serve`: HTTP server, workers, sweeper.
pub struct Runtime {
    pub addr: SocketAddr,
    pub store: SqliteStore,
    pub queue: SqliteQueue,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Runtime {
    pub async fn start(settings: LocalSettings) -> Result<Runtime, StartError> {
        let listen = settings.listen;
        if settings.status_api_key.trim().is_empty() {
            return Err(StartError::NoStatusKey);
        }
        let wiring = Wiring::new(settings)?;
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();

        let api = Arc::new(ehrm_sync_http::Api {
            ingest: Arc::new(wiring.ingest()),
            store: Arc::new(wiring.store.clone()),
            status_api_key: wiring.settings.status_api_key.clone(),
        });
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| StartError::Listen(listen, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Listen(listen, e))?;
        tasks.push(serve_http(&wiring, api, listener, stop_rx.clone()));

        let delivery = Arc::new(wiring.delivery());
        for id in 0..wiring.settings.workers {
            tasks.push(tokio::spawn(worker::run(
                id,
                delivery.clone(),
                Arc::new(wiring.queue.clone()),
                wiring.settings.settle,
                stop_rx.clone(),
            )));
        }
        let sweeper = wiring.sweeper();
        let interval = wiring.settings.sweep_interval;
        let mut sweep_stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = sweep_stop.changed() => return,
                }
                if let Err(e) = sweeper.sweep().await {
                    tracing::warn!(error = %e, "sweep failed; next one in {interval:?}");
                }
            }
        }));
        tasks.push(spawn_sso_watch(&wiring, stop_rx.clone()));
        tasks.push(spawn_purge(&wiring, stop_rx.clone()));
        if let Ok(ehrm) = wiring.ehrm_api() {
            tasks.push(spawn_unit_map(&wiring, Arc::new(ehrm), stop_rx.clone()));
        }
        if let Some(dispatcher) = wiring.callback_dispatcher()? {
            let mut cb_stop = stop_rx.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                        _ = cb_stop.changed() => return,
                    }
                    // Its own task: a slow eHRM delays only the callbacks.
                    if let Err(e) = dispatcher.dispatch(100, None).await {
                        tracing::warn!(error = %e, "callback dispatch failed; next round in 2 s");
                    }
                }
            }));
        }
        tracing::info!(%addr, workers = wiring.settings.workers, "ehrm-sync serving");
        Ok(Runtime {
            addr,
            store: wiring.store.clone(),
            queue: wiring.queue.clone(),
            stop,
            tasks,
        })
    }

    /// Stops accepting, lets workers finish the message in hand, then returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
        }
    }
}

/// How often `serve` looks at the SSO login (the scheduled task does it every minute on AWS).
const SSO_WATCH_INTERVAL: Duration = Duration::from_secs(30);

/// How often `serve` asks whether eHRM's unit map is due (it is read every 6 hours).
const UNIT_MAP_INTERVAL: Duration = Duration::from_secs(600);

/// eHRM's unit map kept fresh (`ehrm_sync_core::unor_map`).
fn spawn_unit_map(
    wiring: &Wiring,
    ehrm: Arc<EhrmApiClient>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let refresher = ehrm_sync_core::unor_map::UnitMapRefresher {
        controls: Arc::new(wiring.store.clone()),
        ehrm,
        clock: wiring.clock.clone(),
    };
    tokio::spawn(async move {
        loop {
            refresher.tick().await;
            tokio::select! {
                _ = tokio::time::sleep(UNIT_MAP_INTERVAL) => {}
                _ = stop.changed() => return,
            }
        }
    })
}

/// The retention purge (`ehrm_sync_core::retention`): at start, then every `purge_interval`.
fn spawn_purge(wiring: &Wiring, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let store = wiring.store.clone();
    let clock = wiring.clock.clone();
    let retention = wiring.settings.retention.clone();
    let interval = wiring.settings.purge_interval;
    let reports = reports::folder_beside(&wiring.settings.db_path);
    tokio::spawn(async move {
        loop {
            let now = clock.now_ms();
            match ehrm_sync_core::retention::purge_all(&store, &store, &retention, now, false).await
            {
                Ok(report) => tracing::info!(removed = report.removed(), "retention purge"),
                Err(e) => {
                    tracing::warn!(error = %e, "retention purge failed; next in {interval:?}")
                }
            }
            // Report folders hold findings: they follow the runs' retention.
            let before = retention.cutoff(ehrm_sync_core::ports::DataClass::Runs, now);
            if let Err(e) = reports::purge_folder(&reports, before, false) {
                tracing::warn!(error = %e, "old report folders could not be removed");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
        }
    })
}

/// The SSO watch: warnings to eHRM (when callbacks are configured) and the metric.
fn spawn_sso_watch(wiring: &Wiring, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let outbox: Option<Arc<dyn CallbackOutbox>> = match wiring.settings.callbacks {
        Some(_) => Some(Arc::new(wiring.store.clone())),
        None => None,
    };
    let sso_watch = SsoWatch::new(wiring.bkn.sso.clone(), outbox, wiring.metrics.clone())
        .with_keeper(wiring.bkn.client.clone());
    tokio::spawn(async move {
        loop {
            if let Err(e) = sso_watch.tick().await {
                tracing::warn!(error = %e, "the SSO watch could not look");
            }
            tokio::select! {
                _ = tokio::time::sleep(SSO_WATCH_INTERVAL) => {}
                _ = stop.changed() => return,
            }
        }
    })
}

/// The HTTP server: the webhook and status API, and the console when users are configured.
fn serve_http(
    wiring: &Wiring,
    api: Arc<ehrm_sync_http::Api>,
    listener: tokio::net::TcpListener,
    mut http_stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let mut app = ehrm_sync_http::router(api);
    if let Some(console) = console::router(wiring) {
        app = app.merge(console);
        tracing::info!("console at /console/");
    }
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = http_stop.changed().await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    })
}

/// Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
