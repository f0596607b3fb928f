//! A hostile BKN for the push path: one `429` asking for a day's wait, a gateway that throttles
//! below the configured rate, saves refused as `{"success": "false"}` and a periodic list
//! without month fields. Everything drains within the test's minutes; the refused records are
//! `failed` with BKN's words, the ambiguous periodic record waits for a person (never created
//! twice), the rest is at BKN once.

use std::time::{Duration, Instant};

use ehrm_sync_devkit::events::upsert_body;
use ehrm_sync_population::Kinerja;
use ehrm_sync_tests::harness::{Harness, HarnessOptions};
use siasn_sim::{Faults, RejectStyle};

fn changed(k: &Kinerja) -> Kinerja {
    let (hasil, perilaku, predikat) = if k.predikat == 1 {
        (2, 2, 2)
    } else {
        (1, 1, 1)
    };
    Kinerja {
        hasil_kinerja: hasil,
        perilaku_kerja: perilaku,
        predikat,
        ..k.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_bkn_still_drains_and_says_why() {
    let rate = 20.0;
    let h = Harness::start(HarnessOptions {
        employees: 30,
        seed: 23,
        rate,
        faults: Faults {
            rate_429: 1.0,
            retry_after_secs: 86_400,
            ..Faults::default()
        },
        // Leases long enough for the throttled gate's waits (production holds them 10 minutes).
        env: vec![
            ("LEASE_SECONDS", "30".into()),
            ("QUEUE_VISIBILITY_SECONDS", "40".into()),
        ],
        ..HarnessOptions::default()
    })
    .await;
    let refused_nips: Vec<String> = (0..3).map(|i| h.employee(i).nip.clone()).collect();
    let message = "Data SKP tidak dapat disimpan: penilai tidak ditemukan";

    // The first call meets the day-long 429; then the gateway throttles at a third of the rate.
    let mut sent = 0;
    for i in 0..h.population.employees.len() {
        let e = h.employee(i).clone();
        let Some(k) = e.latest_annual() else {
            continue;
        };
        let (status, answer) = h.send(&upsert_body(&e, &changed(k), k.version + 1)).await;
        assert_eq!(status, 202, "{answer}");
        sent += 1;
        if sent == 1 {
            let until = Instant::now() + ehrm_sync_tests::patience::secs(10);
            while h.sim.stats().throttled == 0 && Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(h.sim.stats().throttled, 1, "the day-long 429 was met");
            h.sim.set_faults(Faults {
                throttle_per_sec: Some(rate / 3.0),
                retry_after_secs: 1,
                reject_style: RejectStyle::SuccessFalseString,
                reject_nips: refused_nips
                    .iter()
                    .map(|n| (n.clone(), message.to_string()))
                    .collect(),
                ..Faults::default()
            });
        }
    }
    let started = Instant::now();
    assert!(
        h.wait_drained(Duration::from_secs(120)).await,
        "drained within two minutes"
    );
    let took = started.elapsed();

    let mut synced = 0;
    for i in 0..h.population.employees.len() {
        let e = h.employee(i);
        let status = h.status(&e.nip).await;
        for r in status["records"].as_array().cloned().unwrap_or_default() {
            if !r["key"]
                .as_str()
                .is_some_and(|k| k.starts_with("kinerja.tahunan"))
            {
                continue;
            }
            if refused_nips.contains(&e.nip) {
                assert_eq!(r["status"], "failed", "{r}");
                assert_eq!(r["last_error"].as_str(), Some(message), "{r}");
            } else {
                assert_eq!(r["status"], "synced", "{r}");
                synced += 1;
            }
        }
    }
    let stats = h.sim.stats();
    assert_eq!(stats.duplicates, 0);
    assert!(synced >= 20, "{synced} synced");
    assert!(
        stats.throttled > 1,
        "the gateway throttled: {}",
        stats.throttled
    );
    println!(
        "hostile BKN: {sent} changes drained in {:.1}s after the day-long 429; {} throttled answers, {} calls",
        took.as_secs_f64(),
        stats.throttled,
        stats.calls_total
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_periodic_list_without_months_never_leads_to_a_create() {
    let h = Harness::start(HarnessOptions {
        employees: 30,
        seed: 29,
        faults: Faults {
            periodic_without_months: true,
            ..Faults::default()
        },
        ..HarnessOptions::default()
    })
    .await;
    let (e, k) = h
        .population
        .employees
        .iter()
        .find_map(|e| {
            e.kinerja
                .iter()
                .find(|k| k.jenis == "periodik")
                .map(|k| (e.clone(), k.clone()))
        })
        .expect("someone has a periodic record at BKN");
    let before = h.sim.periodic_records(&e.nip).len();
    let (status, answer) = h.send(&upsert_body(&e, &changed(&k), k.version + 1)).await;
    assert_eq!(status, 202, "{answer}");
    assert!(h.wait_drained(Duration::from_secs(30)).await);
    let status = h.status(&e.nip).await;
    let record = status["records"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["type"] == "kinerja.periodik").cloned())
        .expect("the record");
    assert_eq!(record["status"], "needs_action", "{record}");
    assert!(
        record["last_error"]
            .as_str()
            .is_some_and(|m| m.contains("without their months")),
        "{record}"
    );
    assert_eq!(
        h.sim.periodic_records(&e.nip).len(),
        before,
        "nothing created"
    );
    assert_eq!(h.sim.stats().creates, 0);
    h.shutdown().await;
}
