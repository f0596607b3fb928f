//! The push path end to end over HTTP: signed webhooks in, the simulator's stored records and
//! the status endpoint out, asserting the invariants of `docs/architecture.md`.

use std::time::Duration;

use serde_json::Value;

use ehrm_sync_devkit::events::{delete_body, monthly, rated, upsert_body};
use ehrm_sync_population::Kinerja;
use ehrm_sync_tests::harness::{Harness, HarnessOptions, records_with};
use ehrm_sync_tests::patience;
use siasn_sim::Faults;

const WAIT: Duration = Duration::from_secs(30);

fn annual_of(h: &Harness, i: usize) -> Kinerja {
    h.employee(i)
        .latest_annual()
        .cloned()
        .expect("every employee has annual records")
}

/// The same record with ratings different from what BKN holds.
fn changed(k: &Kinerja) -> Kinerja {
    if (k.hasil_kinerja, k.perilaku_kerja) == (1, 2) {
        rated(k, 2, 2, 2)
    } else {
        rated(k, 1, 2, 2)
    }
}

fn status_of<'a>(records: &'a [Value], prefix: &str) -> Option<&'a str> {
    records_with(records, prefix)
        .first()
        .and_then(|r| r["status"].as_str())
}

fn settled(records: &[Value], prefix: &str) -> bool {
    matches!(
        status_of(records, prefix),
        Some("synced" | "failed" | "dead" | "needs_action")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_version_wins_whatever_the_arrival_order() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(0).clone();
    let k = annual_of(&h, 0);
    let base = k.version;
    // v+3 first, then the older ones: they are acknowledged and ignored.
    let (s, body) = h
        .send(&upsert_body(&e, &rated(&k, 1, 1, 1), base + 3))
        .await;
    assert_eq!(s, 202, "{body}");
    for (v, r) in [(base + 1, (3, 3, 5)), (base + 2, (2, 3, 4))] {
        let (s, body) = h.send(&upsert_body(&e, &rated(&k, r.0, r.1, r.2), v)).await;
        assert_eq!(s, 202);
        assert_eq!(body["result"], "ignored_stale");
    }
    let prefix = format!("kinerja.tahunan/{}/{}", e.nip, k.tahun);
    let status = h
        .wait_for(&e.nip, WAIT, |r| status_of(r, &prefix) == Some("synced"))
        .await;
    let rec = records_with(status["records"].as_array().expect("records"), &prefix)[0].clone();
    assert_eq!(
        (
            rec["received_version"].as_u64(),
            rec["delivered_version"].as_u64()
        ),
        (Some(base + 3), Some(base + 3))
    );
    let at_bkn: Vec<_> = h
        .sim
        .annual_records(&e.nip)
        .into_iter()
        .filter(|r| r.1 == i64::from(k.tahun))
        .collect();
    assert_eq!(at_bkn.len(), 1, "one record per year at BKN");
    assert_eq!((at_bkn[0].2, at_bkn[0].3, at_bkn[0].4), (1, 1, 1));
    assert_eq!(
        rec["bkn_id"].as_str(),
        Some(at_bkn[0].0.as_str()),
        "BKN's id is kept"
    );

    // A later version updates the same BKN record.
    let (s, _) = h
        .send(&upsert_body(&e, &rated(&k, 2, 2, 2), base + 4))
        .await;
    assert_eq!(s, 202);
    h.wait_for(&e.nip, WAIT, |r| {
        records_with(r, &prefix)
            .first()
            .is_some_and(|x| x["delivered_version"].as_u64() == Some(base + 4))
    })
    .await;
    let at_bkn: Vec<_> = h
        .sim
        .annual_records(&e.nip)
        .into_iter()
        .filter(|r| r.1 == i64::from(k.tahun))
        .collect();
    assert_eq!(at_bkn.len(), 1);
    assert_eq!((at_bkn[0].2, at_bkn[0].3, at_bkn[0].4), (2, 2, 2));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_show_as_failed_with_bkn_message_until_eh_rm_corrects_them() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(1).clone();
    let message = "1 error occurred:\n\t* PenilaiNipNrp tidak terdaftar";
    h.sim.set_faults(Faults {
        reject_nips: [(e.nip.clone(), message.to_string())].into(),
        ..Faults::default()
    });
    let k = changed(&annual_of(&h, 1));
    h.send(&upsert_body(&e, &k, k.version + 1)).await;
    let prefix = format!("kinerja.tahunan/{}", e.nip);
    let status = h.wait_for(&e.nip, WAIT, |r| settled(r, &prefix)).await;
    let rec = records_with(status["records"].as_array().expect("records"), &prefix)[0].clone();
    assert_eq!(rec["status"], "failed");
    assert_eq!(
        rec["last_error"].as_str(),
        Some(message),
        "BKN's message, verbatim"
    );
    assert_eq!(rec["attempts"], 0, "a permanent failure is not retried");
    assert_eq!(rec["attempt_history"].as_array().map(Vec::len), Some(1));
    // eHRM fixes the data; BKN accepts the next version.
    h.sim.set_faults(Faults::default());
    h.send(&upsert_body(&e, &k, k.version + 2)).await;
    let status = h
        .wait_for(&e.nip, WAIT, |r| status_of(r, &prefix) == Some("synced"))
        .await;
    let rec = records_with(status["records"].as_array().expect("records"), &prefix)[0].clone();
    assert_eq!(rec["last_error"], Value::Null);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_response_to_a_create_never_makes_a_duplicate() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(2).clone();
    let k = monthly(&annual_of(&h, 2), 2026, 11);
    h.sim.set_faults(Faults {
        lost_response_rate: 1.0,
        ..Faults::default()
    });
    h.send(&upsert_body(&e, &k, 1)).await;
    let prefix = format!("kinerja.periodik/{}/2026/bulanan/11", e.nip);
    h.wait_for(&e.nip, WAIT, |r| {
        records_with(r, &prefix)
            .first()
            .is_some_and(|x| x["attempts"].as_u64() >= Some(1))
    })
    .await;
    assert_eq!(
        h.sim
            .periodic_records(&e.nip)
            .iter()
            .filter(|r| r.3 == 11)
            .count(),
        1,
        "BKN stored it once"
    );
    h.sim.set_faults(Faults::default());
    let status = h
        .wait_for(&e.nip, WAIT, |r| status_of(r, &prefix) == Some("synced"))
        .await;
    let at_bkn: Vec<_> = h
        .sim
        .periodic_records(&e.nip)
        .into_iter()
        .filter(|r| r.1 == 2026 && r.3 == 11)
        .collect();
    assert_eq!(
        at_bkn.len(),
        1,
        "the stored record was found and adopted, not created again"
    );
    let rec = records_with(status["records"].as_array().expect("records"), &prefix)[0].clone();
    assert_eq!(rec["bkn_id"].as_str(), Some(at_bkn[0].0.as_str()));
    assert_eq!(h.sim.stats().duplicates, 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_remove_periodic_records_and_flag_annual_ones_for_action() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(3).clone();
    let k = monthly(&annual_of(&h, 3), 2026, 9);
    h.send(&upsert_body(&e, &k, 1)).await;
    let prefix = format!("kinerja.periodik/{}/2026/bulanan/09", e.nip);
    h.wait_for(&e.nip, WAIT, |r| status_of(r, &prefix) == Some("synced"))
        .await;
    assert_eq!(
        h.sim
            .periodic_records(&e.nip)
            .iter()
            .filter(|r| r.3 == 9)
            .count(),
        1
    );
    h.send(&delete_body(&e, &k, 2)).await;
    let status = h
        .wait_for(&e.nip, WAIT, |r| {
            records_with(r, &prefix)
                .first()
                .is_some_and(|x| x["delivered_version"].as_u64() == Some(2))
        })
        .await;
    let rec = records_with(status["records"].as_array().expect("records"), &prefix)[0].clone();
    assert_eq!(
        (rec["status"].as_str(), rec["deleted"].as_bool()),
        (Some("synced"), Some(true))
    );
    assert_eq!(
        h.sim
            .periodic_records(&e.nip)
            .iter()
            .filter(|r| r.3 == 9)
            .count(),
        0,
        "gone at BKN"
    );

    // An annual record BKN holds, deleted in eHRM: visible, never silently dropped.
    let old = h
        .employee(3)
        .kinerja
        .iter()
        .filter(|k| k.jenis == "tahunan")
        .min_by_key(|k| k.tahun)
        .cloned()
        .expect("annual");
    h.send(&delete_body(&e, &old, old.version + 1)).await;
    let prefix = format!("kinerja.tahunan/{}/{}", e.nip, old.tahun);
    let status = h.wait_for(&e.nip, WAIT, |r| settled(r, &prefix)).await;
    let rec = records_with(status["records"].as_array().expect("records"), &prefix)[0].clone();
    assert_eq!(rec["status"], "needs_action");
    assert!(
        rec["last_error"]
            .as_str()
            .is_some_and(|m| m.contains("no delete")),
        "{rec}"
    );
    assert_eq!(
        h.sim
            .annual_records(&e.nip)
            .iter()
            .filter(|r| r.1 == i64::from(old.tahun))
            .count(),
        1
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_drains_by_itself_once_bkn_returns() {
    let h = Harness::start(HarnessOptions {
        employees: 30,
        ..HarnessOptions::default()
    })
    .await;
    h.sim.set_faults(Faults {
        down: true,
        ..Faults::default()
    });
    let n = 12;
    for i in 0..n {
        let e = h.employee(i).clone();
        let k = annual_of(&h, i);
        h.send(&upsert_body(&e, &rated(&k, 1, 2, 2), k.version + 1))
            .await;
    }
    assert!(
        patience::until(patience::secs(5), || async {
            h.sim.stats().outage_answers > 0
        })
        .await,
        "deliveries were tried during the outage"
    );
    h.sim.set_faults(Faults::default());
    assert!(
        h.wait_drained(WAIT).await,
        "drained without anyone doing anything"
    );
    for i in 0..n {
        let e = h.employee(i);
        let k = annual_of(&h, i);
        let at_bkn: Vec<_> = h
            .sim
            .annual_records(&e.nip)
            .into_iter()
            .filter(|r| r.1 == i64::from(k.tahun))
            .collect();
        assert_eq!(at_bkn.len(), 1);
        assert_eq!((at_bkn[0].2, at_bkn[0].3, at_bkn[0].4), (1, 2, 2));
    }
    assert_eq!(h.sim.stats().duplicates, 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_end_dead_after_the_configured_attempts() {
    let h = Harness::start(HarnessOptions {
        env: vec![
            ("RETRY_MAX_ATTEMPTS", "3".into()),
            ("RETRY_BASE_SECONDS", "0.1".into()),
        ],
        faults: Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
        ..HarnessOptions::default()
    })
    .await;
    let e = h.employee(4).clone();
    let k = changed(&annual_of(&h, 4));
    h.send(&upsert_body(&e, &k, k.version + 1)).await;
    let prefix = format!("kinerja.tahunan/{}", e.nip);
    let status = h.wait_for(&e.nip, WAIT, |r| settled(r, &prefix)).await;
    let rec = records_with(status["records"].as_array().expect("records"), &prefix)[0].clone();
    assert_eq!(rec["status"], "dead");
    assert_eq!(rec["attempts"], 3);
    assert!(
        rec["last_error"]
            .as_str()
            .is_some_and(|m| m.contains(" 50") || m.contains("(50")),
        "the 5xx is named: {rec}"
    );
    let history = rec["attempt_history"].as_array().expect("history");
    assert_eq!(history.len(), 3);
    assert!(history.iter().all(|a| a["outcome"] == "transient"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_nip_unknown_at_bkn_fails_permanently() {
    let h = Harness::start(HarnessOptions::default()).await;
    let stranger = ehrm_sync_population::generate(&ehrm_sync_population::PopulationSpec {
        seed: 999,
        employees: 1,
        ..Default::default()
    });
    let e = &stranger.employees[0];
    let k = e
        .kinerja
        .iter()
        .find(|k| k.jenis == "tahunan")
        .expect("annual");
    h.send(&upsert_body(e, k, k.version + 1)).await;
    let prefix = format!("kinerja.tahunan/{}", e.nip);
    let status = h.wait_for(&e.nip, WAIT, |r| settled(r, &prefix)).await;
    let rec = records_with(status["records"].as_array().expect("records"), &prefix)[0].clone();
    assert_eq!(rec["status"], "failed");
    assert!(
        rec["last_error"]
            .as_str()
            .is_some_and(|m| m.contains("not known at BKN"))
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_across_all_workers() {
    let rate = 8.0;
    let h = Harness::start(HarnessOptions {
        rate,
        workers: 8,
        employees: 30,
        ..HarnessOptions::default()
    })
    .await;
    for i in 0..12 {
        let e = h.employee(i).clone();
        let k = changed(&annual_of(&h, i));
        h.send(&upsert_body(&e, &k, k.version + 1)).await;
    }
    assert!(h.wait_drained(Duration::from_secs(60)).await);
    let s = h.sim.stats();
    assert!(s.calls_total >= 30);
    assert!(
        s.max_calls_per_second as f64 <= rate,
        "{} calls in one second at {rate}/s",
        s.max_calls_per_second
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_endpoint_requires_its_key() {
    let h = Harness::start(HarnessOptions::default()).await;
    let nip = h.employee(0).nip.clone();
    let url = format!("{}/v1/sync/{nip}", h.base);
    let none = h.http.get(&url).send().await.expect("answers");
    assert_eq!(none.status().as_u16(), 401);
    let wrong = h
        .http
        .get(&url)
        .bearer_auth("not-the-key-0123456789")
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status().as_u16(), 401);
    let bad = h
        .http
        .get(format!("{}/v1/sync/123", h.base))
        .bearer_auth(ehrm_sync_tests::harness::STATUS_KEY)
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status().as_u16(), 400);
    let status = h.status(&nip).await;
    assert_eq!(status["records"].as_array().map(Vec::len), Some(0));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_holds_every_invariant() {
    let report = ehrm_sync_devkit::demo::execute(&ehrm_sync_devkit::demo::DemoArgs {
        employees: 60,
        seed: 77,
        rate: 150.0,
        progress: false,
        ..Default::default()
    })
    .await
    .expect("demo runs");
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert_eq!(report.sim.duplicates, 0);
    assert!(report.statuses.get("synced").copied().unwrap_or(0) > 50);
}
