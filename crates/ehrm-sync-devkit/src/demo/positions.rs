//! The demo's riwayat jabatan: a new functional post with its SK document for about one
//! employee in eight, an edit sent before the original for half of them, a delete for some;
//! then the end state checked at the SIASN simulator — one row per position at its latest
//! version with its document, deletes applied, data-utama refreshed, refusals `failed`.

use std::collections::HashMap;

use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::{RecordKey, SyncStatus};
use ehrm_sync_population::Population;
use ehrm_sync_webhook::Secret;
use siasn_sim::SiasnSim;

use super::DemoReport;
use super::plan::Planned;
use crate::events::SignedEvent;
use crate::positions::{deleted, dokumen, fungsional, sk_pdf, upserted};

/// The end state one position must reach.
pub(super) struct PositionExpect {
    nip: String,
    key: RecordKey,
    version: u64,
    nomor_sk: String,
    /// BKN's `tmtPelantikan` (`dd-mm-yyyy`) of the latest version, if any.
    pelantikan: Option<String>,
    deleted: bool,
    refused: bool,
}

pub(super) struct PositionPlan {
    pub(super) events: Vec<Planned>,
    pub(super) expects: Vec<PositionExpect>,
    /// SK documents for the eHRM simulator to serve: (id, bytes).
    pub(super) documents: Vec<(String, Vec<u8>)>,
}

/// What the demo's positions came to.
#[derive(Debug, Default)]
pub struct PositionSummary {
    pub positions: usize,
    pub versions: usize,
    pub synced: usize,
    pub deleted: usize,
    pub failed: usize,
    pub uploads: u64,
    pub refreshes: u64,
    /// BKN calls to rw-jabatan, jabatan/save, jabatan/delete, upload-dok-rw and
    /// data-utama-jabatansync.
    pub calls: u64,
}

fn event(secret: &Secret, body: &Value) -> Planned {
    let id = format!("evt_{:016x}", rand::random::<u64>());
    Planned {
        event: SignedEvent::sign(secret, &id, body.to_string().into_bytes()),
        expected_status: None,
        label: "riwayat jabatan",
    }
}

pub(super) fn plan_positions(
    population: &Population,
    reject: &HashMap<String, String>,
    secret: &Secret,
    rng: &mut StdRng,
) -> PositionPlan {
    let mut plan = PositionPlan {
        events: Vec::new(),
        expects: Vec::new(),
        documents: Vec::new(),
    };
    for (i, e) in population.employees.iter().enumerate().step_by(8) {
        let Ok(nip) = Nip::parse(&e.nip) else {
            continue;
        };
        let nomor_sk = format!("KP.03.03-Mn/{}", 500 + i);
        let bytes = sk_pdf(&nomor_sk);
        let doc_id = format!("DOK-{i}");
        let mut v1 = fungsional(e, "RJ-DEMO-1", "2026-07-01", &nomor_sk);
        v1["dokumen_sk"] = dokumen(&doc_id, &bytes);
        plan.documents.push((doc_id, bytes));
        let mut version = 1;
        let mut pelantikan = None;
        if rng.random_bool(0.5) {
            let mut v2 = v1.clone();
            v2["tmt_pelantikan"] = json!("2026-07-03");
            plan.events.push(event(secret, &upserted(&v2, 2)));
            version = 2;
            pelantikan = Some("03-07-2026".to_string());
        }
        plan.events.push(event(secret, &upserted(&v1, 1)));
        let is_deleted = rng.random_bool(0.2);
        if is_deleted {
            version += 1;
            plan.events
                .push(event(secret, &deleted(&e.nip, "RJ-DEMO-1", version)));
        }
        plan.expects.push(PositionExpect {
            nip: e.nip.clone(),
            key: RecordKey::Jabatan {
                nip,
                riwayat_id: "RJ-DEMO-1".into(),
            },
            version,
            nomor_sk,
            pelantikan,
            deleted: is_deleted,
            refused: reject.contains_key(&e.nip),
        });
    }
    plan
}

/// BKN's rows of `nip` with this SK number.
fn at_bkn(sim: &SiasnSim, nip: &str, nomor_sk: &str) -> Vec<Value> {
    sim.jabatan_records(nip)
        .into_iter()
        .filter(|r| r["nomorSk"] == json!(nomor_sk))
        .collect()
}

/// The violations one position's end state shows.
fn judge(ex: &PositionExpect, status: SyncStatus, held: u64, sim: &SiasnSim) -> Vec<String> {
    let key = ex.key.masked();
    let rows = at_bkn(sim, &ex.nip, &ex.nomor_sk);
    let mut v = Vec::new();
    if held != ex.version {
        v.push(format!(
            "{key}: holds v{held}, the latest sent was v{}",
            ex.version
        ));
    }
    match (ex.refused, ex.deleted, status) {
        (true, false, SyncStatus::Failed) => {}
        (_, true, SyncStatus::Synced) if rows.is_empty() => {}
        (false, false, SyncStatus::Synced) => {
            if rows.len() != 1 {
                v.push(format!("{key}: BKN holds {} rows of it", rows.len()));
            } else {
                let row = &rows[0];
                if row["path"].get("872").is_none_or(Value::is_null) {
                    v.push(format!("{key}: synced without its SK document at BKN"));
                }
                let pelantikan = row["tmtPelantikan"].as_str().filter(|s| *s != "01-01-0001");
                if pelantikan != ex.pelantikan.as_deref() {
                    v.push(format!("{key}: BKN does not hold the latest version"));
                }
            }
        }
        (_, _, other) => v.push(format!(
            "{key}: ended {other}, BKN holds {} rows",
            rows.len()
        )),
    }
    v
}

pub(super) async fn check_positions(
    expects: &[PositionExpect],
    store: &dyn SyncStore,
    sim: &SiasnSim,
    report: &mut DemoReport,
) {
    let s = &mut report.positions;
    s.positions = expects.len();
    for ex in expects {
        let Ok(Some(rec)) = store.record(&ex.key).await else {
            report.violations.push(format!(
                "{}: accepted but not in the store (lost)",
                ex.key.masked()
            ));
            continue;
        };
        s.versions += ex.version as usize;
        match rec.status {
            SyncStatus::Synced if ex.deleted => s.deleted += 1,
            SyncStatus::Synced => s.synced += 1,
            SyncStatus::Failed => s.failed += 1,
            _ => {}
        }
        let found = judge(ex, rec.status, rec.received_version, sim);
        report.violations.extend(found);
    }
    let stats = sim.stats();
    let s = &mut report.positions;
    s.uploads = stats.uploads;
    s.refreshes = stats.data_utama_syncs;
    s.calls = [
        "rw-jabatan",
        "jabatan/save",
        "jabatan/delete",
        "upload-dok-rw",
        "data-utama-jabatansync",
    ]
    .iter()
    .map(|e| stats.by_endpoint.get(*e).copied().unwrap_or(0))
    .sum();
    if stats.data_utama_stale > 0 {
        report.violations.push(format!(
            "{} employees' data-utama was not refreshed after a position changed",
            stats.data_utama_stale
        ));
    }
}
