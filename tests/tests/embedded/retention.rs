//! Retention on the embedded store (`docs/privacy.md`): after the purge — here with the clock
//! moved 400 days on — a synced record's data, attempts and changes are gone, what correctness
//! needs stays (repeats are repeats, older versions are ignored, BKN's id is known so the next
//! version updates the one record at BKN), and a record still waiting keeps everything.

use std::time::Duration;

use ehrm_sync_core::ports::{AUDIT_STREAM, ControlStore, DataClass, Purge, Purged, SyncStore as _};
use ehrm_sync_core::retention::{Retention, purge_all};
use ehrm_sync_devkit::events::{SignedEvent, rated, upsert_body};
use ehrm_sync_domain::record::RecordKey;
use ehrm_sync_population::{PopulationSpec, generate};
use ehrm_sync_tests::harness::{Harness, HarnessOptions, records_with};
use siasn_sim::Faults;

const WAIT: Duration = Duration::from_secs(30);
const DAY_MS: i64 = 86_400_000;

fn status_of(status: &serde_json::Value, prefix: &str) -> Option<String> {
    let records = status["records"].as_array()?;
    records_with(records, prefix)
        .first()
        .and_then(|r| r["status"].as_str().map(str::to_string))
}

fn removed(report: &ehrm_sync_core::retention::PurgeReport, class: DataClass) -> u64 {
    report
        .classes
        .iter()
        .find(|(c, _, _)| *c == class)
        .map(|(_, _, p)| match p {
            Purged::Removed(n) => *n,
            Purged::ExpiresByItself => 0,
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_keeps_what_prevents_a_resend_and_everything_still_waiting() {
    let refused = 1;
    let population = generate(&PopulationSpec {
        seed: HarnessOptions::default().seed,
        employees: HarnessOptions::default().employees,
        ..Default::default()
    });
    let mut faults = Faults::default();
    faults.reject_nips.insert(
        population.employees[refused].nip.clone(),
        "Data tidak valid".into(),
    );
    let h = Harness::start(HarnessOptions {
        faults,
        ..HarnessOptions::default()
    })
    .await;
    let store = h.runtime.as_ref().expect("running").store.clone();

    // One record synced, one refused by BKN (failed: it waits for someone).
    let (done, waiting) = (h.employee(0).clone(), h.employee(refused).clone());
    let k = done.latest_annual().cloned().expect("annual record");
    let kw = waiting.latest_annual().cloned().expect("annual record");
    let first = h.signed(&upsert_body(&done, &rated(&k, 1, 2, 2), k.version + 1));
    assert_eq!(h.send_signed(&first).await.0, 202);
    // Ratings BKN does not hold yet, so a save is tried (and refused).
    let kw_changed = if (kw.hasil_kinerja, kw.perilaku_kerja) == (1, 2) {
        rated(&kw, 2, 2, 2)
    } else {
        rated(&kw, 1, 2, 2)
    };
    assert_eq!(
        h.send(&upsert_body(&waiting, &kw_changed, kw.version + 1))
            .await
            .0,
        202
    );
    let done_prefix = format!("kinerja.tahunan/{}/{}", done.nip, k.tahun);
    let waiting_prefix = format!("kinerja.tahunan/{}/{}", waiting.nip, kw.tahun);
    let s = h
        .wait_for(&done.nip, WAIT, |r| {
            records_with(r, &done_prefix)
                .first()
                .is_some_and(|x| x["status"] == "synced")
        })
        .await;
    assert_eq!(
        status_of(&s, &done_prefix).as_deref(),
        Some("synced"),
        "{s}"
    );
    let s = h
        .wait_for(&waiting.nip, WAIT, |r| {
            records_with(r, &waiting_prefix)
                .first()
                .is_some_and(|x| x["status"] == "failed")
        })
        .await;
    assert_eq!(
        status_of(&s, &waiting_prefix).as_deref(),
        Some("failed"),
        "{s}"
    );
    store
        .append_event(AUDIT_STREAM, now(&h), &serde_json::json!({"who": "ana"}))
        .await
        .expect("audit entry");
    store
        .append_event("breaker", now(&h), &serde_json::json!({"to": "open"}))
        .await
        .expect("breaker event");

    // 400 days on: a dry run counts and removes nothing.
    let later = now(&h) + 400 * DAY_MS;
    let retention = Retention::default();
    let dry = purge_all(&store, &store, &retention, later, true)
        .await
        .expect("dry run");
    assert_eq!(
        removed(&dry, DataClass::RecordData),
        1,
        "{dry:?} {} {}",
        h.status(&done.nip).await,
        h.status(&waiting.nip).await
    );
    assert!(removed(&dry, DataClass::Attempts) >= 1, "{dry:?}");
    assert_eq!(removed(&dry, DataClass::Changes), 1, "{dry:?}");
    assert_eq!(removed(&dry, DataClass::Events), 1, "{dry:?}");
    assert_eq!(removed(&dry, DataClass::Audit), 0, "kept 5 years: {dry:?}");
    let key: RecordKey = format!("kinerja.tahunan/{}/{}", done.nip, k.tahun)
        .parse()
        .expect("key");
    let before = store.record(&key).await.expect("read").expect("record");
    assert!(before.data.is_some(), "a dry run removes nothing");
    let again = store
        .purge(DataClass::RecordData, later - 365 * DAY_MS, true)
        .await
        .expect("count");
    assert_eq!(again, Purged::Removed(1));

    let report = purge_all(&store, &store, &retention, later, false)
        .await
        .expect("purge");
    assert_eq!(report.removed(), dry.removed(), "as the dry run said");
    let after = store.record(&key).await.expect("read").expect("record");
    assert_eq!(after.data, None, "the ratings and the appraiser are gone");
    assert_eq!(
        (after.received_version, after.bkn_id.clone()),
        (before.received_version, before.bkn_id.clone()),
        "versions and BKN's id stay"
    );
    assert!(store.attempts(&key).await.expect("attempts").is_empty());
    let status = h.status(&waiting.nip).await;
    let waiting_rec = records_with(
        status["records"].as_array().expect("records"),
        &waiting_prefix,
    )[0]
    .clone();
    assert!(
        !waiting_rec["attempt_history"]
            .as_array()
            .expect("history")
            .is_empty(),
        "a failed record keeps its history: {waiting_rec}"
    );
    let events = store.events(AUDIT_STREAM, 10).await.expect("audit");
    assert_eq!(events.len(), 1, "the audit is kept longest");
    assert!(
        store
            .events("breaker", 10)
            .await
            .expect("events")
            .is_empty()
    );

    // What correctness needs held: the same webhook is a repeat, another body under its id a
    // conflict, an older version ignored, and the next version updates BKN's one record.
    assert_eq!(h.send_signed(&first).await.0, 200);
    let tampered = SignedEvent::sign(
        &h.secret,
        &first.id,
        serde_json::to_vec(&upsert_body(&done, &rated(&k, 3, 3, 5), k.version + 1)).expect("body"),
    );
    assert_eq!(h.send_signed(&tampered).await.0, 409);
    let (s, body) = h
        .send(&upsert_body(&done, &rated(&k, 3, 3, 5), k.version))
        .await;
    assert_eq!(
        (s, body["result"].as_str()),
        (202, Some("ignored_stale")),
        "{body}"
    );
    assert_eq!(
        h.send(&upsert_body(&done, &rated(&k, 2, 3, 4), k.version + 2))
            .await
            .0,
        202
    );
    let s = h
        .wait_for(&done.nip, WAIT, |r| {
            records_with(r, &done_prefix)
                .first()
                .is_some_and(|x| x["status"] == "synced" && x["delivered_version"] == k.version + 2)
        })
        .await;
    let rec = records_with(s["records"].as_array().expect("records"), &done_prefix)[0].clone();
    assert_eq!(rec["delivered_version"], k.version + 2, "{s}");
    let at_bkn: Vec<_> = h
        .sim
        .annual_records(&done.nip)
        .into_iter()
        .filter(|r| r.1 == i64::from(k.tahun))
        .collect();
    assert_eq!(at_bkn.len(), 1, "still one record at BKN: {at_bkn:?}");
    assert_eq!((at_bkn[0].2, at_bkn[0].3, at_bkn[0].4), (2, 3, 4));
    assert_eq!(h.sim.stats().duplicates, 0);
    assert_eq!(
        status_of(&h.status(&done.nip).await, &done_prefix).as_deref(),
        Some("synced")
    );
    h.shutdown().await;
}

fn now(_h: &Harness) -> i64 {
    use ehrm_sync_core::ports::Clock as _;
    ehrm_sync_core::clock::SystemClock.now_ms()
}
