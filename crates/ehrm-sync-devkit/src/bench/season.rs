//! `bench season`: the appraisal season against the simulator, counting BKN calls per record
//! brought to its latest version — with and without eHRM's `pns_id`, and (`--baseline`) the
//! behaviour before remembered lists and eHRM's `pns_id` (`BKN_LOOKUP=always`, fixed rate) in
//! the same run.
//!
//! The world: each employee's annual SKP for last year (20 % already at BKN, typed in by hand:
//! half with the same ratings, half different) and twelve monthly evaluations of this year,
//! sent month by month (each month a phase, drained before the next); 10 % of records are
//! edited once or twice, their versions sent in shuffled order.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{Population, PopulationSpec, generate};
use siasn_sim::{SiasnSim, SimConfig};

use crate::events::{SignedEvent, monthly, random_secret, rated, upsert_body};
use crate::net::loopback;

const LAST_YEAR: i32 = 2025;
const THIS_YEAR: i32 = 2026;

/// How one variant runs.
#[derive(Clone, Copy, Debug)]
struct Variant {
    name: &'static str,
    pns_id_in_payloads: bool,
    today: bool,
}

/// One webhook body and the record it belongs to.
struct Sent {
    body: Value,
}

/// The eHRM side: every phase's bodies.
struct Season {
    population: Population,
    phases: Vec<Vec<Sent>>,
    records: usize,
    versions: usize,
}

pub async fn season(
    employees: usize,
    rate: f64,
    workers: usize,
    baseline: bool,
) -> Result<Value, String> {
    let mut variants = Vec::new();
    if baseline {
        variants.push(Variant {
            name: "before (look-up before every create, no pns_id)",
            pns_id_in_payloads: false,
            today: true,
        });
    }
    variants.push(Variant {
        name: "now, without pns_id",
        pns_id_in_payloads: false,
        today: false,
    });
    variants.push(Variant {
        name: "now, with pns_id",
        pns_id_in_payloads: true,
        today: false,
    });
    let mut results = Vec::new();
    for v in variants {
        let world = build(employees, v.pns_id_in_payloads);
        results.push(run(&world, v, rate, workers).await?);
    }
    Ok(json!({
        "bench": "season",
        "employees": employees,
        "rate_limit_per_second": rate,
        "workers": workers,
        "variants": results,
    }))
}

fn build(employees: usize, with_pns_id: bool) -> Season {
    let mut population = generate(&PopulationSpec {
        seed: 7,
        employees,
        ..Default::default()
    });
    let mut rng = StdRng::seed_from_u64(99);
    let mut phases: Vec<Vec<Sent>> = (0..12).map(|_| Vec::new()).collect();
    let (mut records, mut versions) = (0, 0);
    for e in &mut population.employees {
        let Some(annual) = e
            .kinerja
            .iter()
            .find(|k| k.jenis == "tahunan" && k.tahun == LAST_YEAR)
            .cloned()
        else {
            continue;
        };
        let mut ours = Vec::new();
        // BKN holds last year's annual only for the hand-entered fifth; eHRM's differs for half.
        let hand_entered = rng.random_bool(0.2);
        let mut ehrm_annual = annual.clone();
        if hand_entered && rng.random_bool(0.5) {
            ehrm_annual = rated(&annual, if annual.hasil_kinerja == 1 { 2 } else { 1 }, 2, 2);
        }
        e.kinerja = if hand_entered { vec![annual] } else { vec![] };
        ours.push((0, ehrm_annual));
        for month in 1..=12u8 {
            ours.push((
                usize::from(month) - 1,
                monthly(&ours[0].1, THIS_YEAR, month),
            ));
        }
        for (phase, k) in ours {
            records += 1;
            let edits = if rng.random_bool(0.1) {
                rng.random_range(1..=2)
            } else {
                0
            };
            let mut bodies: Vec<Value> = (0..=edits)
                .map(|v| {
                    let k = if v == edits {
                        k.clone()
                    } else {
                        rated(&k, 3, 2, 3)
                    };
                    let mut body = upsert_body(e, &k, v + 1);
                    if with_pns_id {
                        body["data"]["pns_id"] = json!(e.pns_id);
                    }
                    body
                })
                .collect();
            bodies.shuffle(&mut rng);
            versions += bodies.len();
            phases[phase].extend(bodies.into_iter().map(|body| Sent { body }));
        }
    }
    for p in &mut phases {
        p.shuffle(&mut rng);
    }
    Season {
        population,
        phases,
        records,
        versions,
    }
}

/// Long because it is one scripted measurement: start BKN and ehrm-sync, send each month and
/// wait for it to reach BKN, then read what the simulator counted and holds.
async fn run(world: &Season, v: Variant, rate: f64, workers: usize) -> Result<Value, String> {
    let sim = SiasnSim::start(SimConfig::new(world.population.clone()), loopback())
        .await
        .map_err(|e| e.to_string())?;
    let secret = random_secret();
    let dir = std::env::temp_dir().join(format!(
        "ehrm-sync-bench-season-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut env = crate::world::local_env(&sim, &secret, rate);
    if v.today {
        env.insert("BKN_LOOKUP".into(), "always".into());
        env.insert("BKN_RATE_MIN_PER_SEC".into(), rate.to_string());
    }
    let settings = LocalSettings::from_env(&env, dir.join("bench.db"), loopback(), workers)
        .map_err(|e| e.to_string())?;
    let runtime = Runtime::start(settings).await.map_err(|e| e.to_string())?;
    let store: Arc<dyn SyncStore> = Arc::new(runtime.store.clone());
    let base = format!("http://{}", runtime.addr);
    let http = reqwest::Client::new();
    let mut busy = Duration::ZERO;
    for (m, phase) in world.phases.iter().enumerate() {
        let started = Instant::now();
        for (i, sent) in phase.iter().enumerate() {
            let ev = SignedEvent::sign(
                &secret,
                &format!("evt_season_{m}_{i}"),
                sent.body.to_string().into_bytes(),
            );
            let (status, _) = ev.send(&http, &base).await.map_err(|e| e.to_string())?;
            if status != 202 {
                return Err(format!("ingest answered {status}"));
            }
        }
        let drained = crate::world::wait_drained(
            store.as_ref(),
            Duration::from_secs(3600),
            Duration::from_millis(20),
        )
        .await
        .map_err(|e| e.to_string())?;
        if !drained.done {
            return Err(format!("month {} did not drain within an hour", m + 1));
        }
        busy += started.elapsed();
    }
    let counts = store.count_by_status().await.map_err(|e| e.to_string())?;
    runtime.shutdown().await;
    let stats = sim.stats();
    let latest_at_bkn = latest_at_bkn(&sim, world);
    sim.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    let synced = counts
        .iter()
        .find(|(s, _)| *s == SyncStatus::Synced)
        .map_or(0, |(_, n)| *n);
    let per_record = stats.api_calls as f64 / world.records as f64;
    let secs = busy.as_secs_f64();
    Ok(json!({
        "variant": v.name,
        "records": world.records,
        "versions_sent": world.versions,
        "synced": synced,
        "records_at_latest_version_at_bkn": latest_at_bkn,
        "bkn_api_calls": stats.api_calls,
        "bkn_api_calls_per_record": round(per_record, 3),
        "token_calls": stats.token_calls,
        "by_endpoint": stats.by_endpoint,
        "creates": stats.creates,
        "updates": stats.updates,
        "duplicates": stats.duplicates,
        "seconds_with_backlog": round(secs, 1),
        "rate_utilisation": round(stats.calls_total as f64 / secs / rate, 3),
        "busiest_second": stats.max_calls_per_second,
    }))
}

/// Records whose BKN copy carries the ratings of eHRM's latest version.
fn latest_at_bkn(sim: &SiasnSim, world: &Season) -> usize {
    type Slot = (String, i64, i64);
    let slot = |v: &Value| -> Slot {
        (
            v["nip"].as_str().unwrap_or_default().to_string(),
            v["tahun"].as_i64().unwrap_or_default(),
            v["bulan_mulai"].as_i64().unwrap_or(0),
        )
    };
    let ratings = |v: &Value, keys: [&str; 3]| keys.map(|k| v[k].as_i64());
    let mut latest: HashMap<Slot, &Value> = HashMap::new();
    for sent in world.phases.iter().flatten() {
        let entry = latest.entry(slot(&sent.body["data"])).or_insert(&sent.body);
        if sent.body["version"].as_u64() > entry["version"].as_u64() {
            *entry = &sent.body;
        }
    }
    let held = sim.snapshot();
    let mut at_bkn: HashMap<Slot, Vec<[Option<i64>; 3]>> = HashMap::new();
    for r in held["skp22"].as_array().into_iter().flatten() {
        let key = (slot(r).0, slot(r).1, 0);
        at_bkn
            .entry(key)
            .or_default()
            .push(ratings(r, ["hasil", "perilaku", "kuadran"]));
    }
    for r in held["kinerjaperiodik"].as_array().into_iter().flatten() {
        at_bkn
            .entry(slot(r))
            .or_default()
            .push(ratings(r, ["hasil", "perilaku", "kuadran"]));
    }
    latest
        .iter()
        .filter(|(key, body)| {
            let want = ratings(
                &body["data"],
                ["hasil_kinerja", "perilaku_kerja", "predikat"],
            );
            at_bkn.get(*key).is_some_and(|held| held == &vec![want])
        })
        .count()
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}
