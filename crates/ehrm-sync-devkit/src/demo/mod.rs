//! `ehrm-sync demo`: the whole push path on one machine, with BKN misbehaving.
//!
//! It starts the SIASN simulator in-process with faults on (5xx, lost responses, 429s, token
//! expiry, an outage, a SUSPENDED window, per-NIP rejections), starts `serve` on a temporary
//! store, sends a realistic stream of signed webhooks over HTTP — several versions of the same
//! record in random order, deletes, repeats, invalid inputs — waits until the queue is drained,
//! then checks the invariants of brief.md against what the simulator stored. It exits non-zero
//! if any invariant fails.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_domain::kinerja::{Predikat, Rating};
use ehrm_sync_domain::record::{RecordKey, SyncStatus};
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::{Employee, Kinerja, Population, PopulationSpec, generate};
use ehrm_sync_webhook::Secret;
use siasn_sim::{Faults, MapDataStyle, SiasnSim, SimConfig, SimStats, Window};

use crate::events::{SignedEvent, delete_body, random_secret, upsert_body};
use crate::net::loopback;
use crate::world::local_env;

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Employees in the simulated ministry.
    #[arg(long, default_value_t = 300)]
    pub employees: usize,
    /// Seed of the population and of the change stream.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// BKN calls per second allowed (BKN_RATE_PER_SEC).
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Keep the store here instead of a temporary file.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Give up waiting for the queue to drain after this long.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// Print progress lines.
    #[arg(long, default_value_t = true)]
    pub progress: bool,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            employees: 300,
            seed: 2026,
            rate: 50.0,
            db: None,
            timeout_secs: 300,
            progress: true,
        }
    }
}

/// What the final state of one record must be.
#[derive(Clone, Debug)]
struct Expect {
    nip: String,
    key: RecordKey,
    version: u64,
    /// `None` for a delete; else (hasil, perilaku, predikat).
    ratings: Option<(u8, u8, u8)>,
    /// BKN refuses this employee's saves, or does not know the NIP.
    refused_at_bkn: bool,
}

struct Planned {
    event: SignedEvent,
    /// The status this event must get (phase 2 only; phase 1 is all valid).
    expected_status: Option<u16>,
    label: &'static str,
}

/// Everything the demo measured.
#[derive(Debug, Default)]
pub struct DemoReport {
    pub employees: usize,
    pub events_sent: usize,
    pub responses: BTreeMap<u16, usize>,
    pub rejected_fields: BTreeMap<String, usize>,
    pub statuses: BTreeMap<String, u64>,
    pub sim: SimStats,
    pub records: usize,
    pub drain_seconds: f64,
    pub total_seconds: f64,
    pub rate: f64,
    pub violations: Vec<String>,
    pub failed_examples: Vec<String>,
}

pub async fn run(args: DemoArgs) -> ExitCode {
    match execute(&args).await {
        Ok(report) => {
            print_report(&report);
            if report.violations.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("demo could not run: {e}");
            ExitCode::FAILURE
        }
    }
}

fn say(args: &DemoArgs, line: impl AsRef<str>) {
    if args.progress {
        eprintln!("· {}", line.as_ref());
    }
}

fn ratings(rng: &mut StdRng) -> (u8, u8, u8) {
    let pick = |rng: &mut StdRng| match rng.random_range(0..10) {
        0..2 => Rating::AboveExpectation,
        2..9 => Rating::AsExpected,
        _ => Rating::BelowExpectation,
    };
    let (h, p) = (pick(rng), pick(rng));
    (h.code(), p.code(), Predikat::from_matrix(h, p).code())
}

fn with_ratings(k: &Kinerja, (h, p, q): (u8, u8, u8)) -> Kinerja {
    Kinerja {
        hasil_kinerja: h,
        perilaku_kerja: p,
        predikat: q,
        ..k.clone()
    }
}

/// Runs the demo and returns its report (the command prints it).
pub async fn execute(args: &DemoArgs) -> Result<DemoReport, String> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x00de_0000);
    let population = generate(&PopulationSpec {
        seed: args.seed,
        employees: args.employees,
        ..Default::default()
    });
    // A few employees eHRM knows but BKN does not.
    let strangers = generate(&PopulationSpec {
        seed: args.seed.wrapping_add(1),
        employees: 3,
        ..Default::default()
    });

    let mut reject = HashMap::new();
    for e in population
        .employees
        .iter()
        .filter(|_| rng.random_bool(0.02))
    {
        reject.insert(
            e.nip.clone(),
            "1 error occurred:\n\t* PenilaiNipNrp tidak terdaftar sebagai pejabat penilai"
                .to_string(),
        );
    }
    let faults = Faults {
        error_rate: 0.15,
        latency_ms: (2, 20),
        outages: vec![Window {
            from_ms: 4_000,
            to_ms: 10_000,
        }],
        suspended: vec![Window {
            from_ms: 14_000,
            to_ms: 17_000,
        }],
        rate_429: 0.02,
        retry_after_secs: 1,
        token_expire_after_calls: Some(150),
        lost_response_rate: 0.05,
        reject_nips: reject.clone(),
        reject_status: 200,
        map_data: MapDataStyle::Object,
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
    .map_err(|e| format!("simulator: {e}"))?;
    say(
        args,
        format!("SIASN simulator on {} with faults on", sim.origin()),
    );

    let (db, temporary) = match &args.db {
        Some(p) => (p.clone(), false),
        None => (
            std::env::temp_dir().join(format!(
                "ehrm-sync-demo-{}-{}.db",
                std::process::id(),
                rand::random::<u32>()
            )),
            true,
        ),
    };
    let secret = random_secret();
    let env = local_env(&sim, &secret, args.rate);
    let settings =
        LocalSettings::from_env(&env, db.clone(), loopback(), 8).map_err(|e| e.to_string())?;
    let runtime = Runtime::start(settings).await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", runtime.addr);
    say(
        args,
        format!("ehrm-sync serving on {base}, store {}", db.display()),
    );

    let (phase1, phase2, expects) = plan(&population, &strangers, &reject, &secret, &mut rng);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut report = DemoReport {
        employees: population.employees.len() + strangers.employees.len(),
        rate: args.rate,
        ..DemoReport::default()
    };
    say(
        args,
        format!(
            "sending {} change events (out of order, 16 at a time)…",
            phase1.len()
        ),
    );
    send_all(&http, &base, &phase1, &mut report).await;
    say(
        args,
        format!("sending {} repeats and invalid events…", phase2.len()),
    );
    send_all(&http, &base, &phase2, &mut report).await;

    say(
        args,
        "waiting for the queue to drain (BKN has an outage and a SUSPENDED window meanwhile)…",
    );
    let drain_start = Instant::now();
    let store: Arc<dyn SyncStore> = Arc::new(runtime.store.clone());
    let deadline = drain_start + Duration::from_secs(args.timeout_secs);
    loop {
        let counts = store.count_by_status().await.map_err(|e| e.to_string())?;
        let open: u64 = counts
            .iter()
            .filter(|(s, _)| {
                matches!(
                    s,
                    SyncStatus::Pending | SyncStatus::Sending | SyncStatus::Retrying
                )
            })
            .map(|(_, n)| n)
            .sum();
        if open == 0 || Instant::now() > deadline {
            report.statuses = counts
                .iter()
                .map(|(s, n)| (s.as_str().to_string(), *n))
                .collect();
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    report.drain_seconds = drain_start.elapsed().as_secs_f64();
    report.sim = sim.stats();
    report.records = expects.len();
    check(&expects, store.as_ref(), &sim, &mut report).await;
    report.total_seconds = started.elapsed().as_secs_f64();

    runtime.shutdown().await;
    sim.shutdown();
    if temporary {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    Ok(report)
}

fn event(secret: &Secret, body: &Value) -> SignedEvent {
    let id = format!("evt_{:016x}", rand::random::<u64>());
    SignedEvent::sign(secret, &id, body.to_string().into_bytes())
}

/// Builds phase 1 (valid changes, shuffled), phase 2 (repeats and invalid events) and the
/// expected end state of every record.
fn plan(
    population: &Population,
    strangers: &Population,
    reject: &HashMap<String, String>,
    secret: &Secret,
    rng: &mut StdRng,
) -> (Vec<Planned>, Vec<Planned>, Vec<Expect>) {
    let mut phase1 = Vec::new();
    let mut phase2 = Vec::new();
    let mut expects = Vec::new();
    let everyone: Vec<(&Employee, bool)> = population
        .employees
        .iter()
        .map(|e| (e, reject.contains_key(&e.nip)))
        .chain(strangers.employees.iter().map(|e| (e, true)))
        .collect();
    let mut monthly_owner: Option<&Employee> = None;
    for (e, refused) in &everyone {
        let Ok(nip) = ehrm_sync_domain::nip::Nip::parse(&e.nip) else {
            continue;
        };
        let Some(last_year) = e
            .kinerja
            .iter()
            .filter(|k| k.jenis == "tahunan")
            .max_by_key(|k| k.tahun)
        else {
            continue;
        };
        // Several new versions of last year's annual record, all sent, in random order.
        let versions = rng.random_range(1..=3u64);
        let mut latest = None;
        for i in 1..=versions {
            let v = last_year.version + i;
            let r = ratings(rng);
            let k = with_ratings(last_year, r);
            phase1.push(Planned {
                event: event(secret, &upsert_body(e, &k, v)),
                expected_status: None,
                label: "annual",
            });
            latest = Some((v, r));
        }
        if let Some((v, r)) = latest {
            expects.push(Expect {
                nip: e.nip.clone(),
                key: RecordKey::Tahunan {
                    nip: nip.clone(),
                    tahun: last_year.tahun,
                },
                version: v,
                ratings: Some(r),
                refused_at_bkn: *refused,
            });
        }
        // A new monthly evaluation for October, sometimes deleted again.
        if rng.random_bool(0.4) {
            let r = ratings(rng);
            let k = Kinerja {
                jenis: "periodik".into(),
                periodik: Some("bulanan".into()),
                tahun: last_year.tahun + 1,
                bulan_mulai: Some(10),
                bulan_selesai: Some(10),
                koefisien_id: Some("22".into()),
                version: 1,
                ..with_ratings(last_year, r)
            };
            let versions = rng.random_range(1..=2u64);
            for v in 1..=versions {
                phase1.push(Planned {
                    event: event(secret, &upsert_body(e, &k, v)),
                    expected_status: None,
                    label: "periodic",
                });
            }
            let deleted = rng.random_bool(0.12);
            let final_version = if deleted { versions + 1 } else { versions };
            if deleted {
                phase1.push(Planned {
                    event: event(secret, &delete_body(e, &k, final_version)),
                    expected_status: None,
                    label: "delete",
                });
            } else if monthly_owner.is_none() && !refused {
                monthly_owner = Some(e);
            }
            expects.push(Expect {
                nip: e.nip.clone(),
                key: RecordKey::Periodik {
                    nip: nip.clone(),
                    tahun: k.tahun,
                    periodik: ehrm_sync_domain::kinerja::Periodik::Bulanan,
                    bulan_mulai: 10,
                },
                version: final_version,
                ratings: (!deleted).then_some(r),
                refused_at_bkn: *refused && !deleted,
            });
        }
        // Rarely: the annual record of two years ago deleted in eHRM (BKN has no delete for it).
        if !refused
            && rng.random_bool(0.03)
            && let Some(old) = e
                .kinerja
                .iter()
                .filter(|k| k.jenis == "tahunan")
                .min_by_key(|k| k.tahun)
            && old.tahun != last_year.tahun
        {
            phase1.push(Planned {
                event: event(secret, &delete_body(e, old, old.version + 1)),
                expected_status: None,
                label: "annual delete",
            });
            expects.push(Expect {
                nip: e.nip.clone(),
                key: RecordKey::Tahunan {
                    nip: nip.clone(),
                    tahun: old.tahun,
                },
                version: old.version + 1,
                ratings: None,
                refused_at_bkn: false,
            });
        }
    }
    // Phase 2: repeats of accepted events (200), a reused id with another body (409), and
    // invalid events (400, 401, 413, 422) — none may change anything.
    for p in phase1.iter().filter(|_| rng.random_bool(0.03)) {
        phase2.push(Planned {
            event: p.event.clone(),
            expected_status: Some(200),
            label: "repeat",
        });
    }
    if let Some(p) = phase1.first() {
        let mut other = p.event.clone();
        other.body = br#"{"type":"kinerja.tahunan.deleted","occurred_at":"2026-11-27T10:15:00Z","version":999,"data":{}}"#.to_vec();
        let re = SignedEvent::sign(secret, &other.id, other.body.clone());
        phase2.push(Planned {
            event: re,
            expected_status: Some(409),
            label: "id reuse",
        });
    }
    let e = &population.employees[0];
    let k = &e.kinerja[0];
    let mut bad_predikat = upsert_body(e, k, 1000);
    bad_predikat["data"]["hasil_kinerja"] = json!(1);
    bad_predikat["data"]["perilaku_kerja"] = json!(1);
    bad_predikat["data"]["predikat"] = json!(3);
    let mut bad_nip = upsert_body(e, k, 1000);
    bad_nip["data"]["nip"] = json!("198502302010011002");
    let mut bad_type = upsert_body(e, k, 1000);
    bad_type["type"] = json!("kinerja.mingguan.upserted");
    for (body, label) in [
        (bad_predikat, "predikat"),
        (bad_nip, "nip"),
        (bad_type, "type"),
    ] {
        phase2.push(Planned {
            event: event(secret, &body),
            expected_status: Some(422),
            label,
        });
    }
    if let Some(owner) = monthly_owner
        && let Some(template) = owner.kinerja.first()
    {
        let q4 = Kinerja {
            jenis: "periodik".into(),
            periodik: Some("triwulan".into()),
            tahun: template.tahun + 2,
            bulan_mulai: Some(10),
            bulan_selesai: Some(12),
            koefisien_id: Some("22".into()),
            ..template.clone()
        };
        phase2.push(Planned {
            event: event(secret, &upsert_body(owner, &q4, 1)),
            expected_status: Some(422),
            label: "overlap",
        });
    }
    phase2.push(Planned {
        event: event(secret, &json!("x")).with_body(b"{\"type\": ".to_vec(), secret),
        expected_status: Some(400),
        label: "malformed",
    });
    let mut forged = event(secret, &upsert_body(e, k, 1001));
    forged.signature = random_secret().sign(&forged.id, forged.timestamp, &forged.body);
    phase2.push(Planned {
        event: forged,
        expected_status: Some(401),
        label: "bad signature",
    });
    let mut stale = event(secret, &upsert_body(e, k, 1002));
    stale.timestamp -= 600;
    stale.signature = secret.sign(&stale.id, stale.timestamp, &stale.body);
    phase2.push(Planned {
        event: stale,
        expected_status: Some(401),
        label: "stale timestamp",
    });
    phase2.push(Planned {
        event: event(secret, &json!("x")).with_body(vec![b' '; 300 * 1024], secret),
        expected_status: Some(413),
        label: "oversize",
    });

    // Shuffle phase 1 so versions of one record arrive out of order.
    for i in (1..phase1.len()).rev() {
        let j = rng.random_range(0..=i);
        phase1.swap(i, j);
    }
    (phase1, phase2, expects)
}

impl SignedEvent {
    fn with_body(mut self, body: Vec<u8>, secret: &Secret) -> Self {
        self.body = body;
        self.signature = secret.sign(&self.id, self.timestamp, &self.body);
        self
    }
}

async fn send_all(http: &reqwest::Client, base: &str, events: &[Planned], report: &mut DemoReport) {
    let results: Vec<(Option<u16>, Value, &Planned)> = futures::stream::iter(events)
        .map(|p| async move {
            match p.event.send(http, base).await {
                Ok((status, body)) => (Some(status), body, p),
                Err(_) => (None, Value::Null, p),
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (status, body, planned) in results {
        report.events_sent += 1;
        let Some(status) = status else {
            report
                .violations
                .push(format!("a {} event got no HTTP answer", planned.label));
            continue;
        };
        *report.responses.entry(status).or_default() += 1;
        if status == 422 {
            for err in body["errors"].as_array().into_iter().flatten() {
                *report
                    .rejected_fields
                    .entry(err["field"].as_str().unwrap_or("?").to_string())
                    .or_default() += 1;
            }
        }
        match planned.expected_status {
            Some(expected) if expected != status => report.violations.push(format!(
                "a {} event got {status}, expected {expected}",
                planned.label
            )),
            None if !matches!(status, 202 | 200) => report.violations.push(format!(
                "a valid {} event was refused with {status}: {body}",
                planned.label
            )),
            _ => {}
        }
    }
}

async fn check(expects: &[Expect], store: &dyn SyncStore, sim: &SiasnSim, report: &mut DemoReport) {
    let v = &mut report.violations;
    for ex in expects {
        let key = ex.key.masked();
        let rec = match store.record(&ex.key).await {
            Ok(Some(r)) => r,
            _ => {
                v.push(format!("{key}: accepted but not in the store (lost)"));
                continue;
            }
        };
        if rec.received_version != ex.version {
            v.push(format!(
                "{key}: holds v{}, the latest sent was v{}",
                rec.received_version, ex.version
            ));
        }
        let (at_bkn, values) = match &ex.key {
            RecordKey::Tahunan { tahun, .. } => {
                let found: Vec<_> = sim
                    .annual_records(&ex.nip)
                    .into_iter()
                    .filter(|r| r.1 == i64::from(*tahun))
                    .collect();
                let values = found.first().map(|r| (r.2 as u8, r.3 as u8, r.4 as u8));
                (found.len(), values)
            }
            RecordKey::Periodik {
                tahun, bulan_mulai, ..
            } => {
                let found: Vec<_> = sim
                    .periodic_records(&ex.nip)
                    .into_iter()
                    .filter(|r| {
                        r.1 == i64::from(*tahun) && r.2 == "1" && r.3 == i64::from(*bulan_mulai)
                    })
                    .collect();
                let values = found.first().map(|r| (r.4 as u8, r.5 as u8, r.6 as u8));
                (found.len(), values)
            }
        };
        match rec.status {
            SyncStatus::Synced => match ex.ratings {
                Some(r) if at_bkn != 1 || values != Some(r) => v.push(format!(
                    "{key}: synced, but BKN holds {at_bkn} record(s) with {values:?}, expected one with {r:?}"
                )),
                None if matches!(ex.key, RecordKey::Periodik { .. }) && at_bkn != 0 => {
                    v.push(format!("{key}: deleted and synced, but BKN still holds {at_bkn} record(s)"))
                }
                _ => {}
            },
            SyncStatus::NeedsAction => {
                if !(ex.ratings.is_none() && matches!(ex.key, RecordKey::Tahunan { .. })) {
                    v.push(format!("{key}: needs_action, but it is not an annual delete"));
                }
            }
            SyncStatus::Failed => {
                if !ex.refused_at_bkn {
                    v.push(format!("{key}: failed although BKN accepts it: {:?}", rec.last_error));
                } else if rec.last_error.as_deref().unwrap_or("").is_empty() {
                    v.push(format!("{key}: failed without a reason"));
                } else if report.failed_examples.len() < 3 {
                    report.failed_examples.push(format!("{key}: {}", rec.last_error.as_deref().unwrap_or("").replace('\n', " ")));
                }
            }
            SyncStatus::Dead => {
                if rec.last_error.as_deref().unwrap_or("").is_empty() {
                    v.push(format!("{key}: dead without a reason"));
                }
            }
            other => v.push(format!("{key}: still {other} after the drain")),
        }
    }
    let s = &report.sim;
    if s.duplicates > 0 {
        v.push(format!("BKN holds {} duplicate record(s)", s.duplicates));
    }
    if s.calls_without_tokens > 0 {
        v.push(format!(
            "{} call(s) reached BKN without both tokens",
            s.calls_without_tokens
        ));
    }
    if s.max_calls_per_second as f64 > report.rate.floor().max(1.0) {
        v.push(format!(
            "BKN saw {} calls in one second; the limit is {}/s",
            s.max_calls_per_second, report.rate
        ));
    }
}

fn print_report(r: &DemoReport) {
    let n = |code: u16| r.responses.get(&code).copied().unwrap_or(0);
    let st = |s: &str| r.statuses.get(s).copied().unwrap_or(0);
    println!();
    println!(
        "ehrm-sync demo: {} employees, {} webhook events, {} records",
        r.employees, r.events_sent, r.records
    );
    println!();
    println!("Ingest (POST /v1/events)");
    println!(
        "  202 accepted                 {:>6}   (new versions, and older ones acknowledged but ignored)",
        n(202)
    );
    println!("  200 repeat of an accepted id {:>6}", n(200));
    println!("  409 id reused, other body    {:>6}", n(409));
    println!(
        "  422 rules broken             {:>6}   {}",
        n(422),
        fields(&r.rejected_fields)
    );
    println!("  400 malformed                {:>6}", n(400));
    println!("  401 bad or stale signature   {:>6}", n(401));
    println!("  413 body too large           {:>6}", n(413));
    println!();
    println!(
        "Delivery to BKN SIASN (rate limit {}/s; drained in {:.1} s)",
        r.rate, r.drain_seconds
    );
    println!("  synced                       {:>6}", st("synced"));
    println!("  failed (BKN refused)         {:>6}", st("failed"));
    for ex in &r.failed_examples {
        println!("      e.g. {ex}");
    }
    println!(
        "  needs action at BKN          {:>6}   (annual SKP deleted in eHRM; SIASN has no delete for it)",
        st("needs_action")
    );
    println!("  dead (retries exhausted)     {:>6}", st("dead"));
    println!(
        "  still open                   {:>6}",
        st("pending") + st("sending") + st("retrying")
    );
    println!();
    let s = &r.sim;
    println!("What BKN SIASN saw");
    println!(
        "  calls                        {:>6}   ({} API, {} token; {:.2} per record)",
        s.calls_total,
        s.api_calls,
        s.token_calls,
        s.calls_total as f64 / r.records.max(1) as f64
    );
    println!(
        "  busiest second               {:>6}   calls (limit {}/s)",
        s.max_calls_per_second, r.rate
    );
    println!(
        "  creates / updates / deletes  {:>6} / {} / {}",
        s.creates, s.updates, s.deletes
    );
    println!(
        "  faults injected              {:>6}   5xx, {} lost responses, {} 429s, {} outage, {} SUSPENDED, {} token errors",
        s.errors_injected,
        s.lost_responses,
        s.throttled,
        s.outage_answers,
        s.suspended_answers,
        s.token_errors
    );
    println!("  duplicates                   {:>6}", s.duplicates);
    println!(
        "  calls without both tokens    {:>6}",
        s.calls_without_tokens
    );
    println!();
    if r.violations.is_empty() {
        println!(
            "Invariants: nothing lost, latest version everywhere, no duplicate at BKN, rate respected — all hold."
        );
    } else {
        println!("INVARIANTS VIOLATED ({}):", r.violations.len());
        for v in r.violations.iter().take(30) {
            println!("  - {v}");
        }
    }
    println!("({:.1} s in all)", r.total_seconds);
}

fn fields(m: &BTreeMap<String, usize>) -> String {
    if m.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = m.iter().map(|(f, n)| format!("{f} {n}")).collect();
    format!("({})", parts.join(", "))
}
