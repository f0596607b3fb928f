//! A SIASN simulator and an `ehrm-sync serve` runtime on a temporary store, wired together,
//! with a sender of signed webhooks and a reader of the status endpoint.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_devkit::events::{SignedEvent, random_secret};
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{Employee, Population, PopulationSpec, generate};
use ehrm_sync_webhook::Secret;
use siasn_sim::{Faults, SiasnSim, SimConfig};

pub const STATUS_KEY: &str = "demo-status-key-0123456789";

pub struct HarnessOptions {
    pub employees: usize,
    pub seed: u64,
    pub rate: f64,
    pub faults: Faults,
    pub workers: usize,
    /// Variables that override the defaults (fast retries, short leases).
    pub env: Vec<(&'static str, String)>,
    /// An eHRM simulator on the same population: its read API (units, documents) configured.
    pub ehrm: bool,
}

impl Default for HarnessOptions {
    fn default() -> Self {
        HarnessOptions {
            employees: 40,
            seed: 11,
            rate: 200.0,
            faults: Faults::default(),
            workers: 4,
            env: Vec::new(),
            ehrm: false,
        }
    }
}

pub struct Harness {
    pub sim: SiasnSim,
    pub ehrm: Option<ehrm_sim::EhrmSim>,
    pub runtime: Option<Runtime>,
    pub population: Population,
    pub secret: Secret,
    pub base: String,
    pub http: reqwest::Client,
    pub env: HashMap<String, String>,
    pub dir: tempfile::TempDir,
}

/// Fast settings for tests: short backoff, short leases, frequent sweeps.
pub fn fast_env() -> Vec<(&'static str, String)> {
    vec![
        ("RETRY_BASE_SECONDS", "0.2".into()),
        ("RETRY_MAX_SECONDS", "1".into()),
        ("RETRY_MAX_ATTEMPTS", "6".into()),
        ("BKN_TIMEOUT_SECONDS", "2".into()),
        // Room for the rate gate's wait before a write (the lease is checked just before
        // sending, with BKN_TIMEOUT_SECONDS + 1 left).
        ("LEASE_SECONDS", "6".into()),
        ("QUEUE_VISIBILITY_SECONDS", "8".into()),
        ("QUEUE_MAX_RECEIVES", "30".into()),
        ("SWEEP_INTERVAL_SECONDS", "1".into()),
        ("SWEEP_GRACE_SECONDS", "1".into()),
        ("SWEEP_REQUEUE_SECONDS", "3".into()),
    ]
}

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

impl Harness {
    pub async fn start(opts: HarnessOptions) -> Harness {
        let population = generate(&PopulationSpec {
            seed: opts.seed,
            employees: opts.employees,
            ..Default::default()
        });
        let sim = SiasnSim::start(
            SimConfig {
                faults: opts.faults,
                ..SimConfig::new(population.clone())
            },
            loopback(),
        )
        .await
        .expect("simulator starts");
        let secret = random_secret();
        let mut env = ehrm_sync_devkit::world::local_env(&sim, &secret, opts.rate);
        for (k, v) in fast_env().into_iter().chain(opts.env) {
            env.insert(k.to_string(), v);
        }
        let ehrm = match opts.ehrm {
            true => Some(
                ehrm_sync_devkit::world::start_ehrm(&population, &secret, &mut env)
                    .await
                    .expect("eHRM simulator starts"),
            ),
            false => None,
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let settings =
            LocalSettings::from_env(&env, dir.path().join("store.db"), loopback(), opts.workers)
                .expect("valid settings");
        let runtime = Runtime::start(settings).await.expect("runtime starts");
        let base = format!("http://{}", runtime.addr);
        Harness {
            sim,
            ehrm,
            runtime: Some(runtime),
            population,
            secret,
            base,
            http: reqwest::Client::new(),
            env,
            dir,
        }
    }

    /// Stops the runtime and starts it again on the same store with `workers` delivery workers
    /// (e.g. a backlog ingested with none, then delivered).
    pub async fn restart(&mut self, workers: usize) {
        if let Some(r) = self.runtime.take() {
            r.shutdown().await;
        }
        let settings = LocalSettings::from_env(
            &self.env,
            self.dir.path().join("store.db"),
            loopback(),
            workers,
        )
        .expect("valid settings");
        let runtime = Runtime::start(settings).await.expect("runtime starts");
        self.base = format!("http://{}", runtime.addr);
        self.runtime = Some(runtime);
    }

    pub fn employee(&self, i: usize) -> &Employee {
        &self.population.employees[i]
    }

    pub fn store(&self) -> Arc<dyn SyncStore> {
        Arc::new(self.runtime.as_ref().expect("running").store.clone())
    }

    pub fn signed(&self, body: &Value) -> SignedEvent {
        let id = format!("evt_{:016x}", rand::random::<u64>());
        SignedEvent::sign(&self.secret, &id, body.to_string().into_bytes())
    }

    pub async fn send(&self, body: &Value) -> (u16, Value) {
        self.send_signed(&self.signed(body)).await
    }

    pub async fn send_signed(&self, ev: &SignedEvent) -> (u16, Value) {
        ev.send(&self.http, &self.base)
            .await
            .expect("ingest answers")
    }

    /// `GET /v1/sync/{nip}?history=true` with the status key.
    pub async fn status(&self, nip: &str) -> Value {
        self.http
            .get(format!("{}/v1/sync/{nip}?history=true", self.base))
            .bearer_auth(STATUS_KEY)
            .send()
            .await
            .expect("status answers")
            .json()
            .await
            .expect("status is JSON")
    }

    /// Polls the status of `nip` until `done` holds for its records; returns the last status.
    /// `timeout` is what an idle machine needs: it is stretched by [`crate::patience`].
    pub async fn wait_for(
        &self,
        nip: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Value {
        let deadline = Instant::now() + crate::patience::within(timeout);
        loop {
            let status = self.status(nip).await;
            let records = status["records"].as_array().cloned().unwrap_or_default();
            if done(&records) || Instant::now() > deadline {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until no record is pending, sending or retrying. `timeout` is what an idle machine
    /// needs: it is stretched by [`crate::patience`].
    pub async fn wait_drained(&self, timeout: Duration) -> bool {
        let store = self.store();
        let timeout = crate::patience::within(timeout);
        ehrm_sync_devkit::world::wait_drained(store.as_ref(), timeout, Duration::from_millis(100))
            .await
            .is_ok_and(|d| d.done)
    }

    pub async fn shutdown(mut self) {
        if let Some(r) = self.runtime.take() {
            r.shutdown().await;
        }
        self.sim.shutdown();
    }
}

/// Every record of a status answer whose key starts with `prefix`.
pub fn records_with<'a>(records: &'a [Value], prefix: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["key"].as_str().is_some_and(|k| k.starts_with(prefix)))
        .collect()
}
