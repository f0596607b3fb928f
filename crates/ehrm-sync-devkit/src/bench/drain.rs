//! `ehrm-sync bench drain`: how fast a backlog that piled up during a BKN outage drains once BKN
//! is back, as a fraction of the ideal.
//!
//! Every employee's annual record is first recorded as synced (BKN id and SIASN PNS id known, as
//! after normal operation), so each change costs exactly one BKN call and the ideal drain time is
//! `backlog ÷ rate`. Then BKN goes down, `backlog` changes arrive, the outage lasts
//! `outage_secs`, BKN comes back, and nobody does anything: the time until every record is synced
//! again is compared with the ideal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

use ehrm_sync_core::ports::{PnsIdCache, SyncStore};
use ehrm_sync_domain::record::{Change, ChangeAction, SyncRecord, SyncStatus};
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{Kinerja, PopulationSpec, generate};
use siasn_sim::{Faults, SiasnSim, SimConfig};

use crate::events::{SignedEvent, random_secret, upsert_body};
use crate::net::loopback;

/// Long because it is one scripted scenario, step by step: backlog, outage, recovery, drain,
/// measured at each step.
pub async fn drain(
    backlog: usize,
    outage_secs: u64,
    rate: f64,
    workers: usize,
) -> Result<serde_json::Value, String> {
    let population = generate(&PopulationSpec {
        seed: 42,
        employees: backlog,
        ..Default::default()
    });
    let sim = SiasnSim::start(SimConfig::new(population.clone()), loopback())
        .await
        .map_err(|e| e.to_string())?;
    let secret = random_secret();
    let dir = std::env::temp_dir().join(format!("ehrm-sync-bench-drain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let env = crate::world::local_env(&sim, &secret, rate);
    let mut settings = LocalSettings::from_env(&env, dir.join("bench.db"), loopback(), workers)
        .map_err(|e| e.to_string())?;
    // Production defaults for everything that shapes the drain.
    settings.delivery.retry = ehrm_sync_domain::backoff::RetryPolicy::default();
    settings.bkn.breaker = ehrm_sync_core::config::breaker_settings(
        &std::collections::HashMap::<String, String>::new(),
        settings.bkn.client.timeout,
    )
    .map_err(|e| e.to_string())?;
    let store =
        ehrm_sync_sqlite::SqliteStore::open(&settings.db_path).map_err(|e| e.to_string())?;

    eprintln!("· recording {backlog} annual records as already synced");
    let now = ehrm_sync_core::ports::Clock::now_ms(&ehrm_sync_core::clock::SystemClock);
    let changes: Vec<(serde_json::Value, Kinerja)> = population
        .employees
        .iter()
        .filter_map(|e| {
            let k = e
                .kinerja
                .iter()
                .filter(|k| k.jenis == "tahunan")
                .max_by_key(|k| k.tahun)?
                .clone();
            Some((upsert_body(e, &k, k.version), k))
        })
        .collect();
    futures::stream::iter(population.employees.iter().zip(changes.iter()))
        .map(|(e, (body, k))| {
            let store = store.clone();
            async move {
                let event = ehrm_sync_domain::envelope::parse_event(
                    body.to_string().as_bytes(),
                    ehrm_sync_core::clock::jakarta_date(now),
                )
                .map_err(|e| e.to_string())?;
                let ChangeAction::Upsert(_) = &event.change.action else {
                    return Err("not an upsert".to_string());
                };
                let mut rec = SyncRecord::from_change(&Change { ..event.change }, now);
                rec.status = SyncStatus::Synced;
                rec.delivered_version = Some(rec.received_version);
                rec.bkn_id = Some(k.bkn_id.clone());
                rec.siasn_pns_id = Some(e.pns_id.clone());
                rec.next_attempt_at = None;
                store.put_record(&rec).await.map_err(|e| e.to_string())?;
                let nip = ehrm_sync_domain::nip::Nip::parse(&e.nip).map_err(|e| e.to_string())?;
                store
                    .put_pns_id(&nip, &e.pns_id, now)
                    .await
                    .map_err(|e| e.to_string())
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    drop(store);

    let runtime = Runtime::start(settings).await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", runtime.addr);
    let http = reqwest::Client::new();
    sim.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    let outage_started = Instant::now();
    eprintln!("· BKN down; {backlog} changes arriving");
    let signed: Vec<SignedEvent> = population
        .employees
        .iter()
        .zip(changes.iter())
        .enumerate()
        .map(|(i, (e, (_, k)))| {
            let changed = Kinerja {
                hasil_kinerja: 1,
                perilaku_kerja: 1,
                predikat: 1,
                ..k.clone()
            };
            SignedEvent::sign(
                &secret,
                &format!("evt_drain_{i}"),
                upsert_body(e, &changed, k.version + 1)
                    .to_string()
                    .into_bytes(),
            )
        })
        .collect();
    let accepted = futures::stream::iter(&signed)
        .map(|ev| {
            let http = http.clone();
            let base = base.clone();
            async move { matches!(ev.send(&http, &base).await, Ok((202, _))) }
        })
        .buffer_unordered(32)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    if accepted != backlog {
        return Err(format!(
            "only {accepted} of {backlog} changes were accepted"
        ));
    }
    let remaining = Duration::from_secs(outage_secs).saturating_sub(outage_started.elapsed());
    eprintln!(
        "· all accepted; outage continues for {:.0} s",
        remaining.as_secs_f64()
    );
    tokio::time::sleep(remaining).await;
    let calls_during_outage = sim.stats().calls_total;

    sim.set_faults(Faults::default());
    let back = Instant::now();
    eprintln!("· BKN back; draining");
    let store: Arc<dyn SyncStore> = Arc::new(runtime.store.clone());
    let mut last = Instant::now();
    loop {
        let counts = store.count_by_status().await.map_err(|e| e.to_string())?;
        let synced = counts
            .iter()
            .find(|(s, _)| *s == SyncStatus::Synced)
            .map_or(0, |(_, n)| *n);
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        if synced == total {
            break;
        }
        if last.elapsed() > Duration::from_secs(30) {
            eprintln!(
                "  {synced}/{total} synced after {:.0} s",
                back.elapsed().as_secs_f64()
            );
            last = Instant::now();
        }
        if back.elapsed() > Duration::from_secs(6 * 3600) {
            return Err("not drained within six hours".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drain = back.elapsed().as_secs_f64();
    let stats = sim.stats();
    let drain_calls = stats.calls_total - calls_during_outage;
    runtime.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    let ideal = backlog as f64 / rate;
    Ok(json!({
        "bench": "drain",
        "backlog": backlog,
        "outage_seconds": outage_secs,
        "rate_limit_per_second": rate,
        "workers": workers,
        "bkn_calls_during_outage": calls_during_outage,
        "bkn_calls_to_drain": drain_calls,
        "calls_per_change": (drain_calls as f64 / backlog as f64 * 100.0).round() / 100.0,
        "ideal_seconds": (ideal * 10.0).round() / 10.0,
        "drain_seconds": (drain * 10.0).round() / 10.0,
        "fraction_of_ideal": (ideal / drain * 1000.0).round() / 1000.0,
        "busiest_second": stats.max_calls_per_second,
        "duplicates": stats.duplicates,
    }))
}
