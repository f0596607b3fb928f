//! `ehrm-sync sim`: the SIASN and eHRM simulators on one population, with discrepancies injected
//! on request, printing the environment ehrm-sync needs to talk to them.

use std::process::ExitCode;

use ehrm_sync_core::clock::{SystemClock, jakarta_date};
use ehrm_sync_core::ports::Clock;
use std::collections::HashSet;

use ehrm_sync_population::inject::{ExpectedRow, InjectSpec, inject};
use ehrm_sync_population::{Population, PopulationSpec, generate};

use std::net::SocketAddr;
use std::path::PathBuf;

use ehrm_sync_local::wait_for_signal;

#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// The SIASN simulator's address.
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub listen: SocketAddr,
    /// The eHRM simulator's address.
    #[arg(long, default_value = "127.0.0.1:9091")]
    pub ehrm_listen: SocketAddr,
    /// Inject this many discrepancies of every kind (eHRM and SIASN then differ); the expected
    /// rows are written to --expected.
    #[arg(long, default_value_t = 0)]
    pub inject: usize,
    /// Only these kinds (repeat the flag), e.g. `pegawai_bkn_field`, `kinerja_differs`,
    /// `unor_missing_in_ehrm`; default: every kind.
    #[arg(long)]
    pub inject_kind: Vec<ehrm_sync_population::inject::InjectKind>,
    /// Where to write the injected discrepancies (JSON).
    #[arg(long, default_value = "expected-discrepancies.json")]
    pub expected: PathBuf,
    #[arg(long, default_value_t = 300)]
    pub employees: usize,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Load the population from a JSON file instead of generating it.
    #[arg(long)]
    pub population: Option<PathBuf>,
    /// Plant one promotion/retirement readiness blocker of every rule on its own person (the
    /// rest made clean for the check); the findings each must produce go to
    /// --readiness-expected.
    #[arg(long, conflicts_with = "inject")]
    pub plant_readiness: bool,
    #[arg(long, default_value = "expected-readiness.json")]
    pub readiness_expected: PathBuf,
    /// Start with these faults (JSON, as `PUT /_sim/faults` takes).
    #[arg(long)]
    pub faults: Option<PathBuf>,
}

fn load(args: &SimArgs) -> Result<Population, String> {
    match &args.population {
        Some(path) => Population::load(path).map_err(|e| e.to_string()),
        None => Ok(generate(&PopulationSpec {
            seed: args.seed,
            employees: args.employees,
            ..Default::default()
        })),
    }
}

/// The priority a row of an injected discrepancy must get: in BKN's promotion list, in its
/// retirement list, holder of a structural post (in eHRM), or other; a structural post's row takes
/// its holder's, at least `struktural`; unit rows are `normal`.
fn priority_of(
    r: &ExpectedRow,
    ehrm: &Population,
    kp: &HashSet<String>,
    pensiun: &HashSet<String>,
) -> &'static str {
    let holder = |n: &str| ehrm.units.iter().any(|u| u.head_nip.as_deref() == Some(n));
    let of_nip = |n: &str| {
        if kp.contains(n) {
            "kenaikan_pangkat"
        } else if pensiun.contains(n) {
            "pensiun"
        } else if holder(n) {
            "struktural"
        } else {
            "normal"
        }
    };
    match (r.data_set.as_str(), &r.nip, &r.unor_id) {
        ("pejabat_struktural", _, Some(u)) => {
            let head = ehrm
                .units
                .iter()
                .find(|x| &x.unor_id == u)
                .and_then(|x| x.head_nip.as_deref());
            match head.map(of_nip) {
                Some(p) if p != "normal" => p,
                _ => "struktural",
            }
        }
        (_, Some(n), _) => of_nip(n),
        _ => "normal",
    }
}

/// Long because it starts both simulators, prints the environment for each, and waits.
pub async fn run(args: SimArgs) -> ExitCode {
    let population = match load(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (ehrm_pop, bkn_pop) = if args.plant_readiness {
        match planted_readiness(&population, &args) {
            Ok(pair) => pair,
            Err(code) => return code,
        }
    } else if args.inject > 0 {
        let today = jakarta_date(SystemClock.now_ms());
        let (kp, pensiun) = siasn_sim::listed_nips(
            &population,
            today,
            ehrm_sync_domain::reconcile::DEFAULT_KP_HORIZON_MONTHS,
        );
        let injected = inject(
            &population,
            &InjectSpec {
                seed: args.seed,
                per_kind: args.inject,
                listed: kp.union(&pensiun).cloned().collect(),
                kinds: args.inject_kind.clone(),
            },
        );
        let (kp, pensiun) = siasn_sim::listed_nips(
            &injected.bkn,
            today,
            ehrm_sync_domain::reconcile::DEFAULT_KP_HORIZON_MONTHS,
        );
        let rows: Vec<serde_json::Value> = injected
            .expected
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["priority"] = priority_of(r, &injected.ehrm, &kp, &pensiun).into();
                v
            })
            .collect();
        match serde_json::to_vec_pretty(&rows)
            .map_err(|e| e.to_string())
            .and_then(|b| std::fs::write(&args.expected, b).map_err(|e| e.to_string()))
        {
            Ok(()) => println!(
                "{} discrepancies injected; expected rows in {}",
                injected.expected.len(),
                args.expected.display()
            ),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", args.expected.display());
                return ExitCode::FAILURE;
            }
        }
        (injected.ehrm, injected.bkn)
    } else {
        (population.clone(), population)
    };
    let mut config = siasn_sim::SimConfig::new(bkn_pop);
    if let Some(path) = &args.faults {
        match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(f) => config.faults = f,
            Err(e) => {
                eprintln!("error: cannot read faults from {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let sim = match siasn_sim::SiasnSim::start(config, args.listen).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let callback_secret =
        ehrm_sync_webhook::Secret::from_bytes(b"ehrm-sim-callback-secret-0001".to_vec());
    let api = ehrm_sim::read::ApiConfig::default();
    let ehrm = match ehrm_sim::EhrmSim::start(
        ehrm_sim::EhrmSimConfig {
            population: ehrm_pop,
            api: api.clone(),
            callback_secret: callback_secret.clone(),
            callback_failure_rate: 0.0,
            callback_busy_per_id: 0,
        },
        args.ehrm_listen,
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.ehrm_listen);
            return ExitCode::FAILURE;
        }
    };
    let c = sim.credentials();
    println!(
        "SIASN simulator on {}, eHRM simulator on {}",
        sim.origin(),
        ehrm.origin()
    );
    println!("BKN_API_BASE_URL={}", sim.api_base_url());
    println!("BKN_APIM_TOKEN_URL={}", sim.apim_token_url());
    println!("BKN_SSO_TOKEN_URL={}", sim.sso_token_url());
    println!("BKN_CONSUMER_KEY={}", c.consumer_key);
    println!("BKN_CONSUMER_SECRET={}", c.consumer_secret);
    println!("BKN_SSO_CLIENT_ID={}", c.sso_client_id);
    println!("BKN_SSO_USERNAME={}", c.sso_username);
    println!("BKN_SSO_PASSWORD={}", c.sso_password);
    println!("EHRM_API_BASE_URL={}", ehrm.api_base_url());
    println!("EHRM_API_KEY={}", api.api_key);
    println!("EHRM_USERNAME={}", api.email);
    println!("EHRM_PASSWORD={}", api.password);
    println!("EHRM_CALLBACK_URL={}", ehrm.callback_url());
    println!("EHRM_CALLBACK_SECRET={}", callback_secret.to_whsec());
    println!(
        "faults: GET/PUT {}/_sim/faults; stored records: {}/_sim/state; counters: {}/_sim/stats; callbacks received: {}/_sim/callbacks",
        sim.origin(),
        sim.origin(),
        sim.origin(),
        ehrm.origin()
    );
    println!(
        "a browser login's tokens, to paste (Tindakan → Token SSO BKN or `ehrm-sync bkn-token set`): POST {}/_sim/sso/login",
        sim.origin()
    );
    wait_for_signal().await;
    ExitCode::SUCCESS
}

/// The readiness world, its expected findings written to `--readiness-expected`.
fn planted_readiness(
    population: &Population,
    args: &SimArgs,
) -> Result<(Population, Population), ExitCode> {
    let spec = ehrm_sync_population::readiness::PlantSpec {
        seed: args.seed,
        today: jakarta_date(SystemClock.now_ms()),
        horizon_months: ehrm_sync_domain::reconcile::DEFAULT_KP_HORIZON_MONTHS,
        pension_months: 15,
    };
    let planted = ehrm_sync_population::readiness::plant(population, &spec);
    match serde_json::to_vec_pretty(&planted.expected)
        .map_err(|e| e.to_string())
        .and_then(|b| std::fs::write(&args.readiness_expected, b).map_err(|e| e.to_string()))
    {
        Ok(()) => {
            println!(
                "{} readiness blockers planted; expected findings in {}",
                planted.expected.len(),
                args.readiness_expected.display()
            );
            Ok((planted.ehrm, planted.bkn))
        }
        Err(e) => {
            eprintln!(
                "error: cannot write {}: {e}",
                args.readiness_expected.display()
            );
            Err(ExitCode::FAILURE)
        }
    }
}
