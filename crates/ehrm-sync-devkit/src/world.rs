//! The reconciliation world the tests and the benchmarks run in: both simulators on one
//! population, discrepancies injected, and the environment that points a runtime at them.
use std::collections::{HashMap, HashSet};

use std::time::{Duration, Instant};

use ehrm_sync_core::clock::{SystemClock, jakarta_date};
use ehrm_sync_core::ports::Clock;
use ehrm_sync_core::ports::{StoreError, SyncStore};
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_population::inject::{InjectSpec, Injected, inject};
use ehrm_sync_population::{Population, PopulationSpec, generate};
use ehrm_sync_webhook::Secret;
use siasn_sim::{SiasnSim, SimConfig};

use crate::net::loopback;

/// Both simulators, serving the two copies of one population.
pub struct ReconcileWorld {
    pub siasn: SiasnSim,
    pub ehrm: ehrm_sim::EhrmSim,
    pub injected: Injected,
    /// What BKN's promotion and retirement lists name today.
    pub kp: HashSet<String>,
    pub pensiun: HashSet<String>,
    pub env: HashMap<String, String>,
}

/// What a simulated world holds and how fast its BKN answers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorldSpec {
    pub employees: usize,
    /// The population's seed (same seed, same people).
    pub seed: u64,
    /// Discrepancies of every kind injected (reconciliation worlds).
    pub per_kind: usize,
    /// The BKN rate ehrm-sync is configured with, calls per second.
    pub rate: f64,
}

impl WorldSpec {
    fn population(&self) -> Population {
        generate(&PopulationSpec {
            seed: self.seed,
            employees: self.employees,
            ..Default::default()
        })
    }
}

impl ReconcileWorld {
    pub async fn start(spec: WorldSpec) -> Result<Self, String> {
        Self::start_with(spec.population(), spec).await
    }

    /// As [`ReconcileWorld::start`], on a given population (`spec.employees` is not used).
    pub async fn start_with(base: Population, spec: WorldSpec) -> Result<Self, String> {
        let WorldSpec {
            seed,
            per_kind,
            rate,
            ..
        } = spec;
        let today = jakarta_date(SystemClock.now_ms());
        let (kp0, pensiun0) = siasn_sim::listed_nips(
            &base,
            today,
            ehrm_sync_domain::reconcile::DEFAULT_KP_HORIZON_MONTHS,
        );
        let injected = inject(
            &base,
            &InjectSpec {
                seed,
                per_kind,
                listed: kp0.union(&pensiun0).cloned().collect(),
                kinds: Vec::new(),
            },
        );
        let (kp, pensiun) = siasn_sim::listed_nips(
            &injected.bkn,
            today,
            ehrm_sync_domain::reconcile::DEFAULT_KP_HORIZON_MONTHS,
        );
        let (siasn, ehrm, env) = start_sims(&injected.ehrm, &injected.bkn, rate).await?;
        Ok(ReconcileWorld {
            siasn,
            ehrm,
            injected,
            kp,
            pensiun,
            env,
        })
    }
}

/// The environment that points a local runtime at a simulator (also used by the tests).
/// Both simulators on their copies, and the environment that points ehrm-sync at them.
async fn start_sims(
    ehrm_pop: &Population,
    bkn_pop: &Population,
    rate: f64,
) -> Result<(SiasnSim, ehrm_sim::EhrmSim, HashMap<String, String>), String> {
    let siasn = SiasnSim::start(SimConfig::new(bkn_pop.clone()), loopback())
        .await
        .map_err(|e| format!("SIASN simulator: {e}"))?;
    let secret = Secret::from_bytes(b"reconcile-world-callback-secret-01".to_vec());
    let api = ehrm_sim::read::ApiConfig {
        no_eselon_as: Some("\u{2013}".into()),
        ..ehrm_sim::read::ApiConfig::default()
    };
    let ehrm = ehrm_sim::EhrmSim::start(
        ehrm_sim::EhrmSimConfig {
            population: ehrm_pop.clone(),
            api: api.clone(),
            callback_secret: secret.clone(),
            callback_failure_rate: 0.0,
            callback_busy_per_id: 0,
        },
        loopback(),
    )
    .await
    .map_err(|e| format!("eHRM simulator: {e}"))?;
    let mut env = local_env(&siasn, &secret, rate);
    for (k, v) in [
        ("EHRM_API_BASE_URL", ehrm.api_base_url()),
        ("EHRM_API_KEY", api.api_key.clone()),
        ("EHRM_USERNAME", api.email.clone()),
        ("EHRM_PASSWORD", api.password.clone()),
        ("EHRM_CALLBACK_URL", ehrm.callback_url()),
        ("EHRM_CALLBACK_SECRET", secret.to_whsec()),
    ] {
        env.insert(k.into(), v);
    }
    Ok((siasn, ehrm, env))
}

/// Both simulators on a world with one promotion/retirement readiness blocker of every rule
/// planted ([`ehrm_sync_population::readiness::plant`]), for today.
pub struct ReadinessWorld {
    pub siasn: SiasnSim,
    pub ehrm: ehrm_sim::EhrmSim,
    pub planted: ehrm_sync_population::readiness::Planted,
    pub env: HashMap<String, String>,
}

impl ReadinessWorld {
    /// `spec.per_kind` is not used: one blocker of every rule is planted.
    pub async fn start(world: WorldSpec) -> Result<Self, String> {
        let base = world.population();
        let (seed, rate) = (world.seed, world.rate);
        let spec = ehrm_sync_population::readiness::PlantSpec {
            seed,
            today: jakarta_date(SystemClock.now_ms()),
            horizon_months: ehrm_sync_domain::reconcile::DEFAULT_KP_HORIZON_MONTHS,
            pension_months: 15,
        };
        let planted = ehrm_sync_population::readiness::plant(&base, &spec);
        let (siasn, ehrm, env) = start_sims(&planted.ehrm, &planted.bkn, rate).await?;
        Ok(ReadinessWorld {
            siasn,
            ehrm,
            planted,
            env,
        })
    }
}

pub fn local_env(sim: &SiasnSim, secret: &Secret, rate: f64) -> HashMap<String, String> {
    let c = sim.credentials();
    [
        ("BKN_API_BASE_URL", sim.api_base_url()),
        ("BKN_APIM_TOKEN_URL", sim.apim_token_url()),
        ("BKN_SSO_TOKEN_URL", sim.sso_token_url()),
        ("BKN_CONSUMER_KEY", c.consumer_key.clone()),
        ("BKN_CONSUMER_SECRET", c.consumer_secret.clone()),
        ("BKN_SSO_CLIENT_ID", c.sso_client_id.clone()),
        ("BKN_SSO_USERNAME", c.sso_username.clone()),
        ("BKN_SSO_PASSWORD", c.sso_password.clone()),
        ("BKN_RATE_PER_SEC", rate.to_string()),
        ("BKN_INSTANSI_ID", ehrm_sync_population::INSTANSI_ID.into()),
        (
            "BKN_SATUAN_KERJA_ID",
            ehrm_sync_population::INSTANSI_ID.into(),
        ),
        ("BKN_TIMEOUT_SECONDS", "3".into()),
        ("EHRM_WEBHOOK_SECRET", secret.to_whsec()),
        ("STATUS_API_KEY", "demo-status-key-0123456789".into()),
        ("RETRY_BASE_SECONDS", "0.5".into()),
        ("RETRY_MAX_SECONDS", "4".into()),
        ("RETRY_MAX_ATTEMPTS", "10".into()),
        ("LEASE_SECONDS", "10".into()),
        ("QUEUE_VISIBILITY_SECONDS", "20".into()),
        ("QUEUE_MAX_RECEIVES", "30".into()),
        ("SWEEP_INTERVAL_SECONDS", "2".into()),
        ("SWEEP_GRACE_SECONDS", "5".into()),
        ("SWEEP_REQUEUE_SECONDS", "15".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The eHRM simulator (the SK documents and the unit map come from its read API), and the
/// variables that point the runtime at it.
pub async fn start_ehrm(
    population: &Population,
    secret: &ehrm_sync_webhook::Secret,
    env: &mut HashMap<String, String>,
) -> Result<ehrm_sim::EhrmSim, String> {
    let api = ehrm_sim::read::ApiConfig::default();
    let ehrm = ehrm_sim::EhrmSim::start(
        ehrm_sim::EhrmSimConfig {
            population: population.clone(),
            api: api.clone(),
            callback_secret: secret.clone(),
            callback_failure_rate: 0.0,
            callback_busy_per_id: 0,
        },
        loopback(),
    )
    .await
    .map_err(|e| format!("eHRM simulator: {e}"))?;
    for (k, v) in [
        ("EHRM_API_BASE_URL", ehrm.api_base_url()),
        ("EHRM_API_KEY", api.api_key),
        ("EHRM_USERNAME", api.email),
        ("EHRM_PASSWORD", api.password),
    ] {
        env.insert(k.into(), v);
    }
    Ok(ehrm)
}

/// How a wait for the queue to drain ended.
pub struct Drained {
    /// No record left pending, sending or retrying.
    pub done: bool,
    /// Records by status when the wait ended.
    pub counts: Vec<(SyncStatus, u64)>,
}

/// Waits (polling every `poll`) until no record is pending, sending or retrying, or `timeout`.
pub async fn wait_drained(
    store: &dyn SyncStore,
    timeout: Duration,
    poll: Duration,
) -> Result<Drained, StoreError> {
    let deadline = Instant::now() + timeout;
    loop {
        let counts = store.count_by_status().await?;
        let open: u64 = counts
            .iter()
            .filter(|(s, _)| !s.is_settled())
            .map(|(_, n)| n)
            .sum();
        if open == 0 || Instant::now() > deadline {
            return Ok(Drained {
                done: open == 0,
                counts,
            });
        }
        tokio::time::sleep(poll).await;
    }
}
