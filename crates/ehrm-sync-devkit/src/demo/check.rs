//! Sending the planned events and checking the end state against the invariants of `docs/architecture.md`:
//! nothing lost, the latest version everywhere, no duplicate at BKN, the rate respected.

use futures::StreamExt;
use serde_json::Value;

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_domain::record::{RecordKey, SyncRecord, SyncStatus};
use siasn_sim::SiasnSim;

use super::DemoReport;
use super::plan::{Expect, Planned};

pub(super) async fn send_all(
    http: &reqwest::Client,
    base: &str,
    events: &[Planned],
    report: &mut DemoReport,
) {
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

pub(super) async fn check(
    expects: &[Expect],
    store: &dyn SyncStore,
    sim: &SiasnSim,
    report: &mut DemoReport,
) {
    for ex in expects {
        let key = ex.key.masked();
        let rec = match store.record(&ex.key).await {
            Ok(Some(r)) => r,
            _ => {
                report
                    .violations
                    .push(format!("{key}: accepted but not in the store (lost)"));
                continue;
            }
        };
        if rec.received_version != ex.version {
            report.violations.push(format!(
                "{key}: holds v{}, the latest sent was v{}",
                rec.received_version, ex.version
            ));
        }
        let (at_bkn, values) = at_bkn(ex, sim);
        judge(ex, &rec, at_bkn, values, report);
    }
    bkn_invariants(report);
}

/// Held at BKN for the expected record: how many records, and the first one's ratings.
fn at_bkn(ex: &Expect, sim: &SiasnSim) -> (usize, Option<(u8, u8, u8)>) {
    match &ex.key {
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
        // Positions are judged by their own check (`jabatan_at_bkn`): no ratings.
        RecordKey::Jabatan { .. } => (0, None),
    }
}

/// Whether a record's end state is one the invariants allow.
fn judge(
    ex: &Expect,
    rec: &SyncRecord,
    at_bkn: usize,
    values: Option<(u8, u8, u8)>,
    report: &mut DemoReport,
) {
    let key = ex.key.masked();
    let v = &mut report.violations;
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

/// What the simulator counted: duplicates, calls without tokens, the rate.
fn bkn_invariants(report: &mut DemoReport) {
    let v = &mut report.violations;
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
