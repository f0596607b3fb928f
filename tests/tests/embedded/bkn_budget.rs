//! BKN's budget: one read of an employee's riwayat list serves all their records, eHRM's
//! `pns_id` spares data-utama, a wrong one is looked up once, hand-entered records are adopted,
//! and nothing is duplicated — counted by the simulator, endpoint by endpoint.

use std::time::Duration;

use serde_json::{Value, json};

use ehrm_sync_devkit::events::{delete_body, monthly, rated, upsert_body};
use ehrm_sync_population::{Employee, Kinerja};
use ehrm_sync_tests::harness::{Harness, HarnessOptions, records_with};

const WAIT: Duration = Duration::from_secs(60);

fn calls(h: &Harness, endpoint: &str) -> u64 {
    h.sim
        .stats()
        .by_endpoint
        .get(endpoint)
        .copied()
        .unwrap_or(0)
}

fn with_pns_id(mut body: Value, pns_id: &str) -> Value {
    body["data"]["pns_id"] = json!(pns_id);
    body
}

/// The annual record BKN already holds (as if typed into SIASN by hand), with other ratings.
fn hand_entered_changed(e: &Employee) -> Kinerja {
    let k = e.latest_annual().cloned().expect("an annual record at BKN");
    rated(&k, if k.hasil_kinerja == 1 { 2 } else { 1 }, 2, 2)
}

/// A year BKN does not hold for the employee.
fn new_year(e: &Employee) -> Kinerja {
    let k = e.latest_annual().cloned().expect("an annual record");
    Kinerja {
        tahun: k.tahun + 1,
        ..k
    }
}

async fn send_all(h: &Harness, bodies: &[Value]) {
    for b in bodies {
        let (s, body) = h.send(b).await;
        assert_eq!(s, 202, "{body}");
    }
}

async fn all_synced(h: &Harness, nip: &str, n: usize) -> Vec<Value> {
    assert!(h.wait_drained(WAIT).await, "delivery drained");
    let status = h.status(nip).await;
    let records = status["records"].as_array().cloned().unwrap_or_default();
    let synced = records_with(&records, "kinerja.")
        .iter()
        .filter(|r| r["status"] == "synced")
        .count();
    assert_eq!(synced, n, "{status:#}");
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_read_per_employee_and_family_serves_all_their_records() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(0).clone();
    let base = e.latest_annual().map_or(1, |k| k.version) + 1;
    let mut bodies = vec![
        upsert_body(&e, &hand_entered_changed(&e), base),
        upsert_body(&e, &new_year(&e), 1),
    ];
    let k = e.latest_annual().cloned().expect("annual");
    bodies.extend((1..=3).map(|m| upsert_body(&e, &monthly(&k, 2025, m), 1)));
    send_all(&h, &bodies).await;
    all_synced(&h, &e.nip, 5).await;

    assert_eq!(calls(&h, "data-utama"), 1, "one PNS id look-up");
    assert_eq!(calls(&h, "rw-skp22"), 1, "one annual list read");
    assert_eq!(calls(&h, "rw-kinerjaperiodik"), 1, "one periodic list read");
    assert_eq!(calls(&h, "skp22/save"), 2);
    assert_eq!(calls(&h, "kinerjaperiodik/save"), 3);
    let stats = h.sim.stats();
    assert_eq!(
        (stats.creates, stats.updates),
        (4, 1),
        "the hand-entered year adopted"
    );
    assert_eq!(stats.duplicates, 0);

    // A month later: the remembered list serves, only the save is spent.
    send_all(&h, &[upsert_body(&e, &monthly(&k, 2025, 4), 1)]).await;
    all_synced(&h, &e.nip, 6).await;
    assert_eq!(calls(&h, "rw-kinerjaperiodik"), 1);
    assert_eq!(calls(&h, "kinerjaperiodik/save"), 4);
    assert_eq!(h.sim.stats().duplicates, 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pns_id_from_ehrm_spares_data_utama_and_a_wrong_one_is_looked_up_once() {
    let h = Harness::start(HarnessOptions::default()).await;
    let right = h.employee(1).clone();
    let k = right.latest_annual().cloned().expect("annual");
    send_all(
        &h,
        &[with_pns_id(
            upsert_body(&right, &new_year(&right), 1),
            &right.pns_id,
        )],
    )
    .await;
    all_synced(&h, &right.nip, 1).await;
    assert_eq!(calls(&h, "data-utama"), 0);

    let wrong = h.employee(2).clone();
    let bogus = "0123456789abcdef0123456789abcdef";
    let bodies: Vec<Value> = [new_year(&wrong), monthly(&k, 2025, 5)]
        .iter()
        .map(|k| with_pns_id(upsert_body(&wrong, k, 1), bogus))
        .collect();
    send_all(&h, &bodies[..1]).await;
    all_synced(&h, &wrong.nip, 1).await;
    assert_eq!(
        calls(&h, "data-utama"),
        1,
        "looked up once after BKN refused it"
    );
    assert_eq!(
        calls(&h, "skp22/save"),
        3,
        "one for `right`; for `wrong` one refused, one accepted"
    );
    // The next record of the employee carries the wrong id again: the corrected one is kept.
    send_all(&h, &bodies[1..]).await;
    all_synced(&h, &wrong.nip, 2).await;
    assert_eq!(calls(&h, "data-utama"), 1);
    assert_eq!(
        calls(&h, "kinerjaperiodik/save"),
        1,
        "saved with the corrected id"
    );
    assert_eq!(h.sim.stats().duplicates, 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_deleted_and_sent_again_is_created_once_not_adopted_from_memory() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(3).clone();
    let k = e.latest_annual().cloned().expect("annual");
    let jan = monthly(&k, 2025, 1);
    let feb = monthly(&k, 2025, 2);
    send_all(&h, &[upsert_body(&e, &jan, 1), upsert_body(&e, &feb, 1)]).await;
    all_synced(&h, &e.nip, 2).await;
    send_all(&h, &[delete_body(&e, &jan, 2)]).await;
    assert!(h.wait_drained(WAIT).await);
    send_all(&h, &[upsert_body(&e, &jan, 3)]).await;
    all_synced(&h, &e.nip, 2).await;
    let stats = h.sim.stats();
    assert_eq!(stats.deletes, 1);
    assert_eq!(stats.creates, 3, "January created again after its delete");
    assert_eq!(stats.rejections, 0, "no update of the deleted id");
    assert_eq!(stats.duplicates, 0);
    assert_eq!(h.sim.periodic_records(&e.nip).len(), 2);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bkn_lookup_always_reads_the_list_before_every_create() {
    let h = Harness::start(HarnessOptions {
        env: vec![("BKN_LOOKUP", "always".into())],
        ..HarnessOptions::default()
    })
    .await;
    let e = h.employee(4).clone();
    let k = e.latest_annual().cloned().expect("annual");
    let bodies: Vec<Value> = (1..=3)
        .map(|m| upsert_body(&e, &monthly(&k, 2025, m), 1))
        .collect();
    send_all(&h, &bodies).await;
    all_synced(&h, &e.nip, 3).await;
    assert_eq!(calls(&h, "rw-kinerjaperiodik"), 3);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_that_arrive_before_delivery_go_out_as_one_save_of_the_latest() {
    let mut h = Harness::start(HarnessOptions {
        workers: 0,
        ..HarnessOptions::default()
    })
    .await;
    let e = h.employee(5).clone();
    let k = new_year(&e);
    for (v, kinerja) in [
        (1, rated(&k, 3, 2, 3)),
        (3, rated(&k, 1, 2, 2)),
        (2, rated(&k, 2, 2, 2)),
    ] {
        let (s, body) = h.send(&upsert_body(&e, &kinerja, v)).await;
        assert_eq!(s, 202, "{body}");
    }
    h.restart(2).await;
    all_synced(&h, &e.nip, 1).await;
    assert_eq!(calls(&h, "skp22/save"), 1, "one save for three versions");
    let held: Vec<_> = h
        .sim
        .annual_records(&e.nip)
        .into_iter()
        .filter(|r| r.1 == i64::from(k.tahun))
        .collect();
    assert_eq!(held.len(), 1);
    assert_eq!(
        (held[0].2, held[0].4),
        (1, 2),
        "the latest version's ratings"
    );
    h.shutdown().await;
}
