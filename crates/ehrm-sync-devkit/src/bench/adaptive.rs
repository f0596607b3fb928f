//! `bench adaptive`: a backlog delivered to a simulator that throttles above a hidden limit
//! (`429` with `Retry-After: 1` when more than `limit` calls fall within a second) while
//! `BKN_RATE_PER_SEC` is higher. Reports the rate sustained once converged, the share of calls
//! answered `429`, and the time to converge; `--baseline` runs the fixed rate beside it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use ehrm_sync_core::ports::RateGate;
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{PopulationSpec, generate};
use siasn_sim::{Faults, SiasnSim, SimConfig};

use crate::events::{SignedEvent, random_secret};
use crate::net::loopback;

/// The adaptive rate counts as converged once every later one-second sample of it lies within
/// this band around the hidden limit.
const BAND: (f64, f64) = (0.75, 1.1);

pub async fn adaptive(
    limit: f64,
    ceiling: f64,
    secs: u64,
    workers: usize,
    baseline: bool,
) -> Result<Value, String> {
    let mut runs = Vec::new();
    if baseline {
        runs.push(run(limit, ceiling, secs, workers, false).await?);
    }
    runs.push(run(limit, ceiling, secs, workers, true).await?);
    Ok(json!({
        "bench": "adaptive",
        "hidden_limit_per_second": limit,
        "ceiling_per_second": ceiling,
        "seconds": secs,
        "workers": workers,
        "runs": runs,
    }))
}

/// One sample per second: accepted and throttled calls so far, and the gate's rate.
struct Sample {
    at: f64,
    accepted: u64,
    throttled: u64,
    rate: f64,
}

/// Long because it is one scripted measurement: a backlog, a fixed time of delivery sampled
/// every second, then the figures.
async fn run(
    limit: f64,
    ceiling: f64,
    secs: u64,
    workers: usize,
    adaptive: bool,
) -> Result<Value, String> {
    let employees = (ceiling * secs as f64) as usize + 100;
    let population = generate(&PopulationSpec {
        seed: 5,
        employees,
        ..Default::default()
    });
    let faults = Faults {
        throttle_per_sec: Some(limit),
        retry_after_secs: 1,
        ..Faults::default()
    };
    let sim = SiasnSim::start(
        SimConfig {
            faults,
            ..SimConfig::new(population.clone())
        },
        loopback(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let secret = random_secret();
    let dir = std::env::temp_dir().join(format!(
        "ehrm-sync-bench-adaptive-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut env = crate::world::local_env(&sim, &secret, ceiling);
    env.insert("RETRY_MAX_ATTEMPTS".into(), "50".into());
    if !adaptive {
        env.insert("BKN_RATE_MIN_PER_SEC".into(), ceiling.to_string());
    }
    let mut settings = LocalSettings::from_env(&env, dir.join("bench.db"), loopback(), 0)
        .map_err(|e| e.to_string())?;
    // The backlog first, with no workers: one annual change per employee, with its pns_id.
    let runtime = Runtime::start(settings.clone())
        .await
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", runtime.addr);
    let http = reqwest::Client::new();
    for (i, e) in population.employees.iter().enumerate() {
        let Some(k) = e.latest_annual() else { continue };
        let mut body = crate::events::upsert_body(e, k, k.version + 1);
        body["data"]["pns_id"] = json!(e.pns_id);
        let ev = SignedEvent::sign(
            &secret,
            &format!("evt_a_{i}"),
            body.to_string().into_bytes(),
        );
        let (status, _) = ev.send(&http, &base).await.map_err(|e| e.to_string())?;
        if status != 202 {
            return Err(format!("ingest answered {status}"));
        }
    }
    runtime.shutdown().await;
    settings.workers = workers;
    let before = sim.stats();
    let runtime = Runtime::start(settings).await.map_err(|e| e.to_string())?;
    let gate: Arc<dyn RateGate> = Arc::new(runtime.store.clone());
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let s = sim.stats();
        let rate = gate
            .gate_state()
            .await
            .ok()
            .flatten()
            .map_or(ceiling, |g| g.rate);
        samples.push(Sample {
            at: started.elapsed().as_secs_f64(),
            accepted: s.calls_total - s.throttled - (before.calls_total - before.throttled),
            throttled: s.throttled - before.throttled,
            rate,
        });
    }
    runtime.shutdown().await;
    sim.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(figures(&samples, limit, adaptive))
}

fn figures(samples: &[Sample], limit: f64, adaptive: bool) -> Value {
    // The gate's rate is nominal; calls go out at rate × 1000 / (1000 + margin).
    let effective = |r: f64| r * 1000.0 / 1025.0;
    let converged = (0..samples.len())
        .find(|&i| {
            samples[i..].iter().all(|s| {
                let r = effective(s.rate);
                r >= BAND.0 * limit && r <= BAND.1 * limit
            })
        })
        .map(|i| samples[i].at);
    let last = samples.last();
    let total = last.map_or(0, |s| s.accepted + s.throttled);
    let throttled = last.map_or(0, |s| s.throttled);
    let from = converged.and_then(|t| samples.iter().find(|s| s.at >= t));
    let sustained = match (from, last) {
        (Some(a), Some(b)) if b.at > a.at => (b.accepted - a.accepted) as f64 / (b.at - a.at),
        _ => 0.0,
    };
    let after_total = match (from, last) {
        (Some(a), Some(b)) => (b.accepted + b.throttled) - (a.accepted + a.throttled),
        _ => 0,
    };
    let after_throttled = match (from, last) {
        (Some(a), Some(b)) => b.throttled - a.throttled,
        _ => 0,
    };
    let whole = last.map_or(0.0, |s| s.accepted as f64 / s.at);
    json!({
        "rate": if adaptive { "adaptive" } else { "fixed at the ceiling (before)" },
        "calls": total,
        "answered_429": throttled,
        "share_429": share(throttled, total),
        "accepted_per_second_whole_run": round(whole),
        "share_of_hidden_limit_whole_run": round(whole / limit),
        "converged_after_seconds": converged.map(round),
        "accepted_per_second_after_convergence": round(sustained),
        "share_of_hidden_limit_after_convergence": round(sustained / limit),
        "share_429_after_convergence": share(after_throttled, after_total),
        "gate_rate_every_10_seconds": samples.iter().step_by(10).map(|s| round(s.rate)).collect::<Vec<_>>(),
        "accepted_every_10_seconds": samples.windows(11).step_by(10).map(|w| w[10].accepted - w[0].accepted).collect::<Vec<_>>(),
    })
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
