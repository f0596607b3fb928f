//! `bench positions`: riwayat jabatan delivered to the simulator, counting BKN calls per new
//! position — with and without its SK document, one position per employee (a mutation) and
//! several at once (a history loaded from eHRM) — against the targets of issue 23: the floor
//! (3 with a document: save, upload, data-utama refresh; 2 without) plus at most one first
//! `rw-jabatan` read per employee (≤ 3.3 and ≤ 2.2 once an employee has five positions).
//!
//! eHRM sends `pns_id` (as it can for performance records), so no data-utama read is needed;
//! token requests are counted apart (they serve every family).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{PopulationSpec, generate};
use siasn_sim::{SiasnSim, SimConfig};

use crate::events::{SignedEvent, random_secret};
use crate::net::loopback;
use crate::positions::{dokumen, fungsional, sk_pdf, upserted};

/// One variant of the workload.
#[derive(Clone, Copy)]
struct Variant {
    name: &'static str,
    per_employee: usize,
    documents: bool,
}

const VARIANTS: [Variant; 4] = [
    Variant {
        name: "one new position per employee, with its SK",
        per_employee: 1,
        documents: true,
    },
    Variant {
        name: "five positions per employee at once (a history), with their SKs",
        per_employee: 5,
        documents: true,
    },
    Variant {
        name: "one new position per employee, no document",
        per_employee: 1,
        documents: false,
    },
    Variant {
        name: "five positions per employee at once (a history), no documents",
        per_employee: 5,
        documents: false,
    },
];

const ENDPOINTS: [&str; 5] = [
    "rw-jabatan",
    "jabatan/save",
    "upload-dok-rw",
    "data-utama-jabatansync",
    "data-utama",
];

pub async fn positions(employees: usize, rate: f64, workers: usize) -> Result<Value, String> {
    let mut results = Vec::new();
    for v in VARIANTS {
        results.push(run(v, employees, rate, workers).await?);
    }
    Ok(
        json!({"bench": "positions", "employees": employees, "rate": rate, "workers": workers,
              "variants": results}),
    )
}

/// The positions of one variant: bodies to send and documents for eHRM to serve.
fn workload(v: Variant, employees: usize) -> (Vec<Value>, Vec<(String, Vec<u8>)>) {
    let population = generate(&PopulationSpec {
        seed: 77,
        employees,
        ..Default::default()
    });
    let mut bodies = Vec::new();
    let mut documents = Vec::new();
    for (i, e) in population.employees.iter().enumerate() {
        for k in 0..v.per_employee {
            let sk = format!("BENCH/{i}/{k}");
            let tmt = format!("2026-0{}-01", k + 1);
            let mut data = fungsional(e, &format!("RJ-B{k}"), &tmt, &sk);
            data["pns_id"] = json!(e.pns_id);
            if v.documents {
                let bytes = sk_pdf(&sk);
                let id = format!("DOK-{i}-{k}");
                data["dokumen_sk"] = dokumen(&id, &bytes);
                documents.push((id, bytes));
            }
            bodies.push(upserted(&data, 1));
        }
    }
    (bodies, documents)
}

async fn run(v: Variant, employees: usize, rate: f64, workers: usize) -> Result<Value, String> {
    let population = generate(&PopulationSpec {
        seed: 77,
        employees,
        ..Default::default()
    });
    let sim = SiasnSim::start(SimConfig::new(population.clone()), loopback())
        .await
        .map_err(|e| format!("simulator: {e}"))?;
    let secret = random_secret();
    let mut env = crate::world::local_env(&sim, &secret, rate);
    let ehrm = crate::world::start_ehrm(&population, &secret, &mut env).await?;
    let (bodies, documents) = workload(v, employees);
    for (id, bytes) in documents {
        ehrm.put_document(&id, bytes);
    }
    let dir = std::env::temp_dir().join(format!(
        "ehrm-sync-bench-positions-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let settings = LocalSettings::from_env(&env, dir.join("store.db"), loopback(), workers)
        .map_err(|e| e.to_string())?;
    let runtime = Runtime::start(settings).await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", runtime.addr);
    let http = reqwest::Client::new();
    let started = Instant::now();
    let sent: Vec<u16> = futures::stream::iter(&bodies)
        .map(|b| {
            let ev = SignedEvent::sign(
                &secret,
                &format!("evt_{:016x}", rand::random::<u64>()),
                b.to_string().into_bytes(),
            );
            let (http, base) = (&http, &base);
            async move { ev.send(http, base).await.map(|(s, _)| s).unwrap_or(0) }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let store: Arc<dyn SyncStore> = Arc::new(runtime.store.clone());
    let drained = crate::world::wait_drained(
        store.as_ref(),
        Duration::from_secs(1_800),
        Duration::from_millis(200),
    )
    .await
    .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let stats = sim.stats();
    runtime.shutdown().await;
    sim.shutdown();
    ehrm.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    let by_endpoint: HashMap<&str, u64> = ENDPOINTS
        .iter()
        .map(|e| (*e, stats.by_endpoint.get(*e).copied().unwrap_or(0)))
        .collect();
    let positions = bodies.len() as f64;
    Ok(json!({
        "variant": v.name,
        "positions": bodies.len(),
        "accepted": sent.iter().filter(|s| **s == 202).count(),
        "drained": drained.done,
        "statuses": drained.counts.iter().map(|(s, n)| (s.to_string(), *n)).collect::<HashMap<_, _>>(),
        "api_calls": stats.api_calls,
        "api_calls_per_position": (stats.api_calls as f64 / positions * 100.0).round() / 100.0,
        "token_calls": stats.token_calls,
        "by_endpoint": by_endpoint,
        "duplicates": stats.duplicates,
        "data_utama_stale": stats.data_utama_stale,
        "busiest_second": stats.max_calls_per_second,
        "seconds": (seconds * 10.0).round() / 10.0,
    }))
}
