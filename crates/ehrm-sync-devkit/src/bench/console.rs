//! `bench console`: every console page against a store the size of a ministry's — records,
//! attempts, a reconciliation run's rows, a readiness run's findings, follow-up marks, audit
//! entries — rendered through the router in process (no network), each page many times; the
//! percentiles per page.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use tower::ServiceExt;

use ehrm_sync_console::{Console, ConsoleSettings, Role, Users, session, user_line};
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ports::RunSummary;
use ehrm_sync_core::ports::{
    AttemptEntry, AttemptOutcome, Clock, ControlStore, ReconcileStore, SyncStore,
};
use ehrm_sync_core::ports::{FindingMark, FindingMarks, MarkState, Operation};
use ehrm_sync_core::reconcile::UNIT_TREE_CONTROL;
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::{Action, Authority, DataSet, Discrepancy, Kind, Priority};
use ehrm_sync_domain::record::{RecordKey, SyncRecord, SyncStatus};
use ehrm_sync_population::{Population, PopulationSpec, generate};
use ehrm_sync_sqlite::{QueueOptions, SqliteStore};

use super::percentile;
use super::readiness_seed::{READINESS_RUN, seed_readiness};

const RUN_ID: &str = "bench-run";
const IN_FLIGHT: usize = 256;
const DAY_MS: i64 = 86_400_000;

/// The sizes of the store.
pub struct Sizes {
    pub records: usize,
    pub attempts: usize,
    pub rows: usize,
    pub samples: usize,
}

/// One in ten records is failed, dead or needs action, with BKN's message; the rest synced.
fn record(nip: &Nip, i: usize, now: i64) -> SyncRecord {
    let tahun = 2016 + (i % 10) as i32;
    let mut rec = SyncRecord::from_change(
        &crate::events::annual_change(nip, tahun, 1),
        now - (i as i64 % 7) * DAY_MS,
    );
    rec.status = match i % 40 {
        0..=1 => SyncStatus::Failed,
        2 => SyncStatus::Dead,
        3 => SyncStatus::NeedsAction,
        _ => SyncStatus::Synced,
    };
    rec.updated_at = now - (i as i64 * 7_919) % (14 * DAY_MS);
    if rec.status != SyncStatus::Synced {
        rec.last_error = Some(format!(
            "Data Riwayat Kinerja tidak valid: NIP penilai tidak ditemukan ({})",
            i % 97
        ));
        rec.attempts = (i % 12) as u32;
    }
    rec
}

async fn seed_records(
    store: &SqliteStore,
    pop: &Population,
    sizes: &Sizes,
    now: i64,
) -> Result<Vec<RecordKey>, String> {
    let mut recs = Vec::with_capacity(sizes.records);
    for i in 0..sizes.records {
        let e = &pop.employees[(i / 10) % pop.employees.len()];
        let nip = Nip::parse(&e.nip).map_err(|e| e.to_string())?;
        recs.push(record(&nip, i, now));
    }
    recs.sort_by_key(|r| r.key.to_string());
    recs.dedup_by(|a, b| a.key == b.key);
    let keys = recs.iter().map(|r| r.key.clone()).collect();
    let results: Vec<_> = futures::stream::iter(recs)
        .map(|r| async move { store.put_record(&r).await })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    results
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .map_err(|e| e.to_string())?;
    Ok(keys)
}

async fn seed_attempts(
    store: &SqliteStore,
    keys: &[RecordKey],
    n: usize,
    now: i64,
) -> Result<(), String> {
    let outcomes = [
        AttemptOutcome::Delivered,
        AttemptOutcome::Transient,
        AttemptOutcome::Transient,
        AttemptOutcome::Permanent,
        AttemptOutcome::NeedsAction,
    ];
    let attempts = (0..n).map(|i| AttemptEntry {
        record_key: keys[i % keys.len()].to_string(),
        at: now - (i as i64 * 613) % (7 * DAY_MS),
        version: 1,
        operation: vec![Operation::Lookup, Operation::Create].into(),
        outcome: outcomes[i % outcomes.len()],
        http_status: Some(400),
        message: Some("Data Riwayat Kinerja tidak valid".into()),
        duration_ms: 40,
    });
    let results: Vec<_> = futures::stream::iter(attempts)
        .map(|a| async move { store.append_attempt(&a).await })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    results
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn findings(pop: &Population, n: usize) -> Vec<Discrepancy> {
    let priorities = Priority::ALL;
    (0..n)
        .map(|i| {
            let e = &pop.employees[i % pop.employees.len()];
            Discrepancy {
                data_set: [DataSet::Pegawai, DataSet::Jabatan, DataSet::Kinerja][i % 3],
                kind: Kind::ALL[i % 3],
                nip: Some(e.nip.clone()),
                unor_id: None,
                field: Some(format!("kolom_{}", i / pop.employees.len())),
                ehrm_value: Some(format!("III/{}", ["a", "b", "c", "d"][i % 4])),
                bkn_value: Some(format!("III/{}", ["b", "c", "d", "a"][i % 4])),
                authority: if i % 2 == 0 {
                    Authority::Bkn
                } else {
                    Authority::Ehrm
                },
                action: Action::NeedsReview,
                priority: priorities[i % priorities.len()],
                note: None,
                unit: Some(e.unor_id.clone()),
            }
        })
        .collect()
}

async fn seed_reconciliation(
    store: &SqliteStore,
    pop: &Population,
    rows: usize,
    now: i64,
) -> Result<(String, String), String> {
    let rows = findings(pop, rows);
    for chunk in rows.chunks(1_000) {
        store
            .put_rows(RUN_ID, chunk)
            .await
            .map_err(|e| e.to_string())?;
    }
    let summary: RunSummary = serde_json::from_value(json!({
        "run_id": RUN_ID, "scope": "all", "dry_run": false, "status": "finished", "phase": "report",
        "started_at": now - 3_600_000, "started_at_text": "", "finished_at": now,
        "duration_ms": 3_600_000, "active_ms": 3_600_000, "invocations": 4, "employees_total": pop.employees.len(),
        "employees_done": pop.employees.len(), "priority_employees": 800, "bkn_calls": 40_000, "repairs_queued": 120,
        "callbacks_sent": 80, "unreadable": 0, "unreadable_examples": [], "missing_at_bkn": 12,
        "pause_reason": null, "report": [], "counts": [], "rows": rows.len()
    }))
    .map_err(|e| e.to_string())?;
    store
        .put_run(RUN_ID, &summary)
        .await
        .map_err(|e| e.to_string())?;
    let tree: serde_json::Map<String, serde_json::Value> = pop
        .units
        .iter()
        .map(|u| (u.unor_id.clone(), json!(u.parent_id)))
        .collect();
    store
        .put_control(UNIT_TREE_CONTROL, &serde_json::Value::Object(tree), 0)
        .await
        .map_err(|e| e.to_string())?;
    for (i, r) in rows.iter().enumerate().filter(|(i, _)| i % 25 == 0) {
        let mark = FindingMark {
            finding_id: r.finding_id(),
            state: if i % 50 == 0 {
                MarkState::Handled
            } else {
                MarkState::Ignored
            },
            note: "ditindaklanjuti".into(),
            by: "bench".into(),
            at: now,
        };
        store.put_mark(&mark).await.map_err(|e| e.to_string())?;
    }
    // A unit near the top: the filter takes it with all its sub-units.
    let parent_unit = pop
        .units
        .get(1)
        .map(|u| u.unor_id.clone())
        .unwrap_or_default();
    Ok((
        parent_unit,
        rows[rows.len() / 2].nip.clone().unwrap_or_default(),
    ))
}

/// What the pages are asked about: the records' keys, a unit near the top, a NIP with findings,
/// the readiness run's findings.
struct Seeded {
    keys: Vec<RecordKey>,
    unit: String,
    nip: String,
    readiness_findings: usize,
}

async fn seed(store: &SqliteStore, sizes: &Sizes) -> Result<Seeded, String> {
    let now = SystemClock.now_ms();
    let pop = generate(&PopulationSpec {
        seed: 5,
        employees: (sizes.records / 10).max(1),
        ..Default::default()
    });
    let keys = seed_records(store, &pop, sizes, now).await?;
    seed_attempts(store, &keys, sizes.attempts, now).await?;
    let (unit, nip) = seed_reconciliation(store, &pop, sizes.rows, now).await?;
    for i in 0..1_000 {
        let entry = json!({"who": "bench", "address": "127.0.0.1", "action": "replay", "what": format!("status dead #{i}"), "count": i});
        store
            .append_event("console-audit", now - i, &entry)
            .await
            .map_err(|e| e.to_string())?;
    }
    let readiness_findings = seed_readiness(store, &pop, now).await?;
    Ok(Seeded {
        keys,
        unit,
        nip,
        readiness_findings,
    })
}

async fn get(router: &axum::Router, path: &str, cookie: &str) -> Result<(u16, usize), String> {
    let req = axum::http::Request::get(path)
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .map_err(|e| e.to_string())?;
    let res = router
        .clone()
        .oneshot(req)
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let body = axum::body::to_bytes(res.into_body(), 256 << 20)
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, body.len()))
}

/// Times `samples` requests of one page after two warm-ups: p50, p99, max in ms.
async fn time_page(
    router: &axum::Router,
    path: &str,
    cookie: &str,
    samples: usize,
) -> Result<serde_json::Value, String> {
    for _ in 0..2 {
        get(router, path, cookie).await?;
    }
    let mut times = Vec::with_capacity(samples);
    let mut bytes = 0;
    for _ in 0..samples {
        let started = Instant::now();
        let (status, len) = get(router, path, cookie).await?;
        times.push(started.elapsed());
        if status != 200 {
            return Err(format!("{path} answered {status}"));
        }
        bytes = len;
    }
    times.sort();
    Ok(json!({
        "page": path, "bytes": bytes,
        "p50_ms": round(percentile(&times, 0.50)), "p99_ms": round(percentile(&times, 0.99)),
        "max_ms": round(times.last().copied().unwrap_or(Duration::ZERO).as_secs_f64() * 1000.0),
    }))
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

/// The console on the bench's store, with one operator.
fn console_router(
    store: &SqliteStore,
    queue: ehrm_sync_sqlite::SqliteQueue,
) -> Result<axum::Router, String> {
    let users = Users::parse(
        &user_line("bench", Role::Operator, "bench-password-1").map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let sso =
        ehrm_sync_local::sso_desk(store, None, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
    let deps = ehrm_sync_local::console_deps(
        store,
        &queue,
        None,
        Arc::new(ehrm_sync_sheets::Xlsx),
        sso,
        Arc::new(SystemClock),
    );
    let settings = ConsoleSettings {
        secure_cookies: false,
        bkn_rate_per_sec: 0.5,
    };
    Ok(ehrm_sync_console::router(Arc::new(Console::new(
        deps, users, settings,
    ))))
}

pub async fn console(sizes: Sizes, dir: &std::path::Path) -> Result<serde_json::Value, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let store = SqliteStore::open(dir.join("store.db")).map_err(|e| e.to_string())?;
    let queue = store.queue(QueueOptions::default());
    let started = Instant::now();
    let Seeded {
        keys,
        unit,
        nip,
        readiness_findings,
    } = seed(&store, &sizes).await?;
    let seeded_s = started.elapsed().as_secs_f64();
    let router = console_router(&store, queue)?;
    let (token, _) = session::open(&store, "bench", Role::Operator, SystemClock.now_ms())
        .await
        .map_err(|e| e.to_string())?;
    let cookie = format!("{}={token}", session::SESSION_COOKIE);
    let cold = Instant::now();
    get(&router, &format!("/console/rekon/{RUN_ID}"), &cookie).await?;
    let cold_ms = round(cold.elapsed().as_secs_f64() * 1000.0);
    let cold = Instant::now();
    get(&router, "/console/kesiapan", &cookie).await?;
    let readiness_cold_ms = round(cold.elapsed().as_secs_f64() * 1000.0);
    let employee = keys
        .get(keys.len() / 2)
        .map(|k| k.nip().as_str().to_string())
        .unwrap_or_default();
    let deep = format!(
        "/console/gagal?after={}~",
        SystemClock.now_ms() - 7 * DAY_MS
    );
    let pages = [
        "/console/".to_string(),
        "/console/?range=7d".into(),
        format!("/console/pegawai?nip={employee}"),
        "/console/gagal".into(),
        deep,
        "/console/gagal?q=penilai%20tidak%20ditemukan%20(42)".into(),
        "/console/gagal?status=dead&tahun=2018".into(),
        "/console/rekon".into(),
        format!("/console/rekon/{RUN_ID}"),
        format!("/console/rekon/{RUN_ID}?unit={unit}&priority=pensiun"),
        format!("/console/rekon/{RUN_ID}?nip={nip}"),
        format!("/console/rekon/{RUN_ID}?state=open&page=200"),
        "/console/kesiapan".into(),
        format!("/console/kesiapan?run={READINESS_RUN}&unit={unit}&severity=block&service=kp"),
        "/console/kesiapan?state=handled&page=5".into(),
        "/console/tindakan".into(),
        "/console/audit".into(),
    ];
    let mut results = Vec::new();
    for p in &pages {
        results.push(time_page(&router, p, &cookie, sizes.samples).await?);
    }
    let xlsx = Instant::now();
    let (_, xlsx_bytes) = get(
        &router,
        &format!("/console/rekon/{RUN_ID}/temuan.xlsx"),
        &cookie,
    )
    .await?;
    let xlsx_ms = round(xlsx.elapsed().as_secs_f64() * 1000.0);
    let readiness_xlsx = Instant::now();
    get(&router, "/console/kesiapan.xlsx", &cookie).await?;
    let readiness_xlsx_ms = round(readiness_xlsx.elapsed().as_secs_f64() * 1000.0);
    let slowest = results
        .iter()
        .filter_map(|r| r["p99_ms"].as_f64())
        .fold(0.0, f64::max);
    Ok(json!({
        "records": keys.len(), "attempts": sizes.attempts, "finding_rows": sizes.rows,
        "seeded_in_s": round(seeded_s), "samples_per_page": sizes.samples,
        "first_view_of_the_run_ms": cold_ms, "slowest_p99_ms": slowest,
        "findings_xlsx_50k_ms": xlsx_ms, "findings_xlsx_bytes": xlsx_bytes,
        "readiness_findings": readiness_findings, "first_view_of_the_readiness_run_ms": readiness_cold_ms,
        "readiness_xlsx_ms": readiness_xlsx_ms,
        "pages": results,
    }))
}
