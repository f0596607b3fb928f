//! The chaos suite's shared parts: a seeded stream of changes (edits, deletes and re-creations of
//! annual and monthly records, sent in random order so versions arrive out of order), the fault
//! profile of the simulator, and the end-state check with its figures.

use std::collections::HashMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_devkit::events::{SignedEvent, delete_body, upsert_body};
use ehrm_sync_domain::kinerja::{Predikat, Rating};
use ehrm_sync_domain::record::{RecordKey, SyncStatus};
use ehrm_sync_population::{Kinerja, Population};
use ehrm_sync_webhook::Secret;
use siasn_sim::{Faults, SiasnSim, SimStats, Window};

/// Size and seed of a run; `CHAOS_SEED`, `CHAOS_EMPLOYEES`, `CHAOS_CHANGES` override them.
#[derive(Clone, Debug)]
pub struct ChaosConfig {
    pub seed: u64,
    pub employees: usize,
    pub changes: usize,
    pub rate: f64,
}

/// A chaos run's size, before `CHAOS_EMPLOYEES` / `CHAOS_CHANGES` override it.
#[derive(Clone, Copy, Debug)]
pub struct ChaosSize {
    pub employees: usize,
    pub changes: usize,
    /// The BKN rate, calls per second.
    pub rate: f64,
}

impl ChaosConfig {
    /// `size`, resized by `CHAOS_EMPLOYEES` / `CHAOS_CHANGES`, seeded by `CHAOS_SEED` (else at
    /// random).
    pub fn from_env(size: ChaosSize) -> Self {
        let var = |n: &str| std::env::var(n).ok().and_then(|v| v.parse::<u64>().ok());
        let seed = var("CHAOS_SEED").unwrap_or_else(rand::random);
        ChaosConfig {
            seed,
            employees: var("CHAOS_EMPLOYEES").map_or(size.employees, |v| v as usize),
            changes: var("CHAOS_CHANGES").map_or(size.changes, |v| v as usize),
            rate: size.rate,
        }
    }
}

/// What BKN must hold for one record at the end.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub nip: String,
    pub version: u64,
    /// `None`: deleted.
    pub ratings: Option<(u8, u8, u8)>,
}

pub struct Plan {
    pub events: Vec<SignedEvent>,
    pub expectations: HashMap<RecordKey, Expectation>,
}

fn ratings(rng: &mut StdRng) -> (u8, u8, u8) {
    let r =
        |rng: &mut StdRng| Rating::from_code(rng.random_range(1..=3)).unwrap_or(Rating::AsExpected);
    let (h, p) = (r(rng), r(rng));
    (h.code(), p.code(), Predikat::from_matrix(h, p).code())
}

/// A seeded stream of `changes` changes over the population.
pub fn plan(population: &Population, config: &ChaosConfig, secret: &Secret) -> Plan {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut versions: HashMap<RecordKey, (Expectation, Kinerja, usize)> = HashMap::new();
    let mut events = Vec::with_capacity(config.changes);
    for n in 0..config.changes {
        let idx = rng.random_range(0..population.employees.len());
        let e = &population.employees[idx];
        let Some(annual) = e.latest_annual() else {
            continue;
        };
        let template = if rng.random_bool(0.4) {
            annual.clone()
        } else {
            let month = rng.random_range(1..=11u8);
            Kinerja {
                jenis: "periodik".into(),
                periodik: Some("bulanan".into()),
                tahun: annual.tahun + 1,
                bulan_mulai: Some(month),
                bulan_selesai: Some(month),
                koefisien_id: Some("22".into()),
                version: 0,
                ..annual.clone()
            }
        };
        let key: RecordKey = match &template.periodik {
            Some(_) => format!(
                "kinerja.periodik/{}/{}/bulanan/{:02}",
                e.nip,
                template.tahun,
                template.bulan_mulai.unwrap_or(1)
            ),
            None => format!("kinerja.tahunan/{}/{}", e.nip, template.tahun),
        }
        .parse()
        .unwrap_or_else(|_| panic!("generated keys are valid"));
        let entry = versions.entry(key.clone()).or_insert_with(|| {
            (
                Expectation {
                    nip: e.nip.clone(),
                    version: template.version,
                    ratings: None,
                },
                template.clone(),
                idx,
            )
        });
        entry.0.version += 1;
        let version = entry.0.version;
        let delete =
            template.periodik.is_some() && entry.0.ratings.is_some() && rng.random_bool(0.15);
        let body = if delete {
            entry.0.ratings = None;
            delete_body(e, &entry.1, version)
        } else {
            let r = ratings(&mut rng);
            entry.0.ratings = Some(r);
            let k = Kinerja {
                hasil_kinerja: r.0,
                perilaku_kerja: r.1,
                predikat: r.2,
                ..entry.1.clone()
            };
            upsert_body(e, &k, version)
        };
        events.push(SignedEvent::sign(
            secret,
            &format!("evt_chaos_{}_{n}", config.seed),
            body.to_string().into_bytes(),
        ));
    }
    for i in (1..events.len()).rev() {
        let j = rng.random_range(0..=i);
        events.swap(i, j);
    }
    Plan {
        events,
        expectations: versions.into_iter().map(|(k, (e, _, _))| (k, e)).collect(),
    }
}

/// The fault profile; outage windows in milliseconds since the simulator started.
pub fn faults(outages: [(u64, u64); 2]) -> Faults {
    Faults {
        error_rate: 0.30,
        lost_response_rate: 0.05,
        rate_429: 0.02,
        retry_after_secs: 1,
        token_expire_after_calls: Some(100),
        latency_ms: (1, 8),
        outages: outages
            .iter()
            .map(|&(from_ms, to_ms)| Window { from_ms, to_ms })
            .collect(),
        ..Faults::default()
    }
}

/// The share of BKN calls that met each fault, against the profile: every fault but the
/// outages stays on until the backlog has drained, so the shares must be near what was asked.
/// Tolerance: five standard deviations of the sample, plus half a point.
/// `processes`: how many delivery processes ran one after another (each killed worker's
/// successor fetches tokens of its own).
pub fn fault_shares(stats: &SimStats, profile: &Faults, processes: u64) -> (String, Vec<String>) {
    let share = |hits: u64, draws: u64| hits as f64 / draws.max(1) as f64;
    let rows = [
        (
            "5xx",
            stats.errors_injected,
            stats.error_draws,
            profile.error_rate,
        ),
        (
            "lost_responses",
            stats.lost_responses,
            stats.write_draws,
            profile.lost_response_rate,
        ),
        (
            "429",
            stats.throttled,
            stats.throttle_draws,
            profile.rate_429,
        ),
    ];
    let mut text = Vec::new();
    let mut violations = Vec::new();
    for (name, hits, draws, p) in rows {
        let got = share(hits, draws);
        text.push(format!(
            "{name}={hits}/{draws} ({:.1} % vs {:.1} %)",
            got * 100.0,
            p * 100.0
        ));
        let tolerance = 5.0 * (p * (1.0 - p) / draws.max(1) as f64).sqrt() + 0.005;
        if draws < 50 || (got - p).abs() > tolerance {
            violations.push(format!(
                "{name}: {hits} of {draws} calls ({:.1} %), the profile asks {:.1} % (±{:.1})",
                got * 100.0,
                p * 100.0,
                tolerance * 100.0
            ));
        }
    }
    let tokens = share(stats.token_errors, stats.token_checks);
    text.push(format!(
        "token_errors={}/{} ({:.2} %)",
        stats.token_errors,
        stats.token_checks,
        tokens * 100.0
    ));
    if let Some(every) = profile.token_expire_after_calls {
        // Tokens die after `every` uses: at most about one refusal per `every` calls (more when
        // concurrent callers meet the same dead token), fewer when restarted workers fetch fresh
        // tokens first; but once the calls outnumber `every` per process, some process must
        // have used a token past its life.
        let most = 4.0 / every as f64;
        let must_meet = stats.token_checks > (3 * every).max(processes * every);
        if tokens > most || (must_meet && stats.token_errors == 0) {
            violations.push(format!(
                "token errors met {:.2} % of {} calls; tokens expiring every {every} uses allow 1 to {:.2} %",
                tokens * 100.0,
                stats.token_checks,
                most * 100.0
            ));
        }
    }
    (text.join(" "), violations)
}

/// Figures printed at the end of a run.
#[derive(Debug, Default)]
pub struct Figures {
    pub seed: u64,
    pub changes_sent: usize,
    pub records: usize,
    pub bkn_calls: u64,
    pub busiest_second: u64,
    pub transient_attempts: usize,
    pub kills: usize,
    pub drain_after_last_outage: Duration,
    pub synced: usize,
    pub failed_or_dead: usize,
    pub faults: String,
}

impl Figures {
    pub fn print(&self, backend: &str) {
        println!(
            "chaos[{backend}] seed={} changes={} records={} bkn_calls={} calls_per_change={:.2} busiest_second={} \
             transient_attempts={} workers_killed={} synced={} failed_or_dead={} drain_after_last_outage={:.1}s \
             injected: {}",
            self.seed,
            self.changes_sent,
            self.records,
            self.bkn_calls,
            self.bkn_calls as f64 / self.changes_sent.max(1) as f64,
            self.busiest_second,
            self.transient_attempts,
            self.kills,
            self.synced,
            self.failed_or_dead,
            self.drain_after_last_outage.as_secs_f64(),
            self.faults
        );
    }
}

/// Checks every expectation against the store and BKN; returns the violations.
pub async fn check(
    store: &dyn SyncStore,
    sim: &SiasnSim,
    plan: &Plan,
    rate: f64,
    figures: &mut Figures,
) -> Vec<String> {
    let mut v = Vec::new();
    for (key, ex) in &plan.expectations {
        let Ok(Some(rec)) = store.record(key).await else {
            v.push(format!("{key}: accepted but missing"));
            continue;
        };
        if rec.received_version != ex.version {
            v.push(format!(
                "{key}: holds v{}, latest sent v{}",
                rec.received_version, ex.version
            ));
        }
        let held: Vec<(i64, i64, i64)> = match key {
            RecordKey::Tahunan { tahun, .. } => sim
                .annual_records(&ex.nip)
                .into_iter()
                .filter(|r| r.1 == i64::from(*tahun))
                .map(|r| (r.2, r.3, r.4))
                .collect(),
            RecordKey::Periodik {
                tahun, bulan_mulai, ..
            } => sim
                .periodic_records(&ex.nip)
                .into_iter()
                .filter(|r| {
                    r.1 == i64::from(*tahun) && r.2 == "1" && r.3 == i64::from(*bulan_mulai)
                })
                .map(|r| (r.4, r.5, r.6))
                .collect(),
            RecordKey::Jabatan { .. } => {
                v.push(format!(
                    "{key}: the chaos plan sends performance records only"
                ));
                continue;
            }
        };
        match rec.status {
            SyncStatus::Synced => {
                figures.synced += 1;
                let expected: Vec<(i64, i64, i64)> = ex
                    .ratings
                    .iter()
                    .map(|r| (i64::from(r.0), i64::from(r.1), i64::from(r.2)))
                    .collect();
                let annual_delete =
                    matches!(key, RecordKey::Tahunan { .. }) && ex.ratings.is_none();
                if held != expected && !annual_delete {
                    v.push(format!(
                        "{key}: synced at v{} but BKN holds {held:?}, expected {expected:?}",
                        rec.received_version
                    ));
                }
            }
            SyncStatus::Failed | SyncStatus::Dead | SyncStatus::NeedsAction => {
                figures.failed_or_dead += 1;
                if rec.last_error.as_deref().unwrap_or("").is_empty() {
                    v.push(format!("{key}: {} without a reason", rec.status));
                }
            }
            other => v.push(format!("{key}: still {other}")),
        }
        if let Ok(attempts) = store.attempts(key).await {
            figures.transient_attempts += attempts
                .iter()
                .filter(|a| a.outcome == ehrm_sync_core::ports::AttemptOutcome::Transient)
                .count();
        }
    }
    let stats: SimStats = sim.stats();
    figures.records = plan.expectations.len();
    figures.bkn_calls = stats.calls_total;
    figures.busiest_second = stats.max_calls_per_second;
    let processes = figures.kills as u64 + 1;
    let (shares, off_profile) = fault_shares(&stats, &sim.faults(), processes);
    figures.faults = format!("{shares} outage_answers={}", stats.outage_answers);
    v.extend(off_profile);
    if stats.duplicates > 0 {
        v.push(format!("{} duplicate record(s) at BKN", stats.duplicates));
    }
    if stats.calls_without_tokens > 0 {
        v.push(format!(
            "{} call(s) without both tokens",
            stats.calls_without_tokens
        ));
    }
    if stats.max_calls_per_second as f64 > rate {
        v.push(format!(
            "{} calls in one second, above the rate {rate}",
            stats.max_calls_per_second
        ));
    }
    v
}
