//! `POST /v1/events`: every response code of `docs/ehrm-contract.md`, and nothing stored for a
//! refused event.

use std::sync::Arc;

use serde_json::json;

use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ingest::IngestService;
use ehrm_sync_core::metrics::NoMetrics;
use ehrm_sync_core::ports::{
    AcceptResult, AcceptWrite, AttemptEntry, DeliveryMessage, DeliveryQueue, IdempotencyEntry,
    QueueError, StoreError, SyncStore,
};
use ehrm_sync_devkit::events::{SignedEvent, random_secret, upsert_body};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::{Millis, RecordKey, SyncRecord, SyncStatus};
use ehrm_sync_tests::harness::{Harness, HarnessOptions};
use ehrm_sync_webhook::{SignedHeaders, Verifier};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_code_of_the_contract() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(0).clone();
    let k = e
        .kinerja
        .iter()
        .find(|k| k.jenis == "tahunan")
        .cloned()
        .expect("annual");
    let body = upsert_body(&e, &k, 50);

    let ev = h.signed(&body);
    let (s, answer) = h.send_signed(&ev).await;
    assert_eq!(s, 202, "{answer}");
    assert_eq!(
        answer["record_key"],
        format!("kinerja.tahunan/{}/{}", e.nip, k.tahun)
    );
    let (s, answer) = h.send_signed(&ev).await;
    assert_eq!(s, 200, "a repeat of the same event: {answer}");

    let mut reuse = ev.clone();
    reuse.body = upsert_body(&e, &k, 51).to_string().into_bytes();
    reuse.signature = h.secret.sign(&reuse.id, reuse.timestamp, &reuse.body);
    assert_eq!(
        h.send_signed(&reuse).await.0,
        409,
        "same id, different body"
    );

    let (s, answer) = h.send(&upsert_body(&e, &k, 49)).await;
    assert_eq!((s, answer["result"].as_str()), (202, Some("ignored_stale")));

    let malformed = SignedEvent::sign(&h.secret, "evt_bad_json", b"{\"type\": ".to_vec());
    assert_eq!(h.send_signed(&malformed).await.0, 400);
    let not_utf8 = SignedEvent::sign(&h.secret, "evt_bad_utf8", vec![0xff, 0xfe, b'{', b'}']);
    assert_eq!(h.send_signed(&not_utf8).await.0, 400);
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    assert_eq!(
        h.send_signed(&SignedEvent::sign(&h.secret, "evt_deep", deep.into_bytes()))
            .await
            .0,
        400
    );

    let forged = SignedEvent::sign(
        &random_secret(),
        "evt_forged",
        body.to_string().into_bytes(),
    );
    assert_eq!(h.send_signed(&forged).await.0, 401);
    let mut old = h.signed(&body);
    old.timestamp -= 301;
    old.signature = h.secret.sign(&old.id, old.timestamp, &old.body);
    assert_eq!(
        h.send_signed(&old).await.0,
        401,
        "more than five minutes old"
    );
    let mut future = h.signed(&body);
    future.timestamp += 301;
    future.signature = h.secret.sign(&future.id, future.timestamp, &future.body);
    assert_eq!(
        h.send_signed(&future).await.0,
        401,
        "more than five minutes ahead"
    );
    let unsigned = h
        .http
        .post(format!("{}/v1/events", h.base))
        .body(body.to_string())
        .send()
        .await
        .expect("answers");
    assert_eq!(unsigned.status().as_u16(), 401);

    let huge = SignedEvent::sign(&h.secret, "evt_huge", vec![b' '; 256 * 1024 + 1]);
    assert_eq!(h.send_signed(&huge).await.0, 413);

    let mut invalid = upsert_body(&e, &k, 60);
    invalid["data"]["predikat"] = json!(5);
    invalid["data"]["tahun"] = json!(2019);
    invalid["data"]["penilai"]["status"] = json!("PNS");
    let (s, answer) = h.send(&invalid).await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = answer["errors"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["data.tahun", "data.predikat", "data.penilai.status"],
        "every rule broken, each with a message"
    );
    assert!(
        answer["errors"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty()))
    );

    let mut bad_nip = upsert_body(&e, &k, 61);
    bad_nip["data"]["nip"] = json!("198502302010011002");
    assert_eq!(h.send(&bad_nip).await.0, 422);
    let mut unknown_type = upsert_body(&e, &k, 62);
    unknown_type["type"] = json!("kinerja.harian.upserted");
    assert_eq!(h.send(&unknown_type).await.0, 422);

    // Only the first, valid event left a record; the held version is still 50.
    let records = h
        .store()
        .records_for_nip(&Nip::parse(&e.nip).expect("valid"))
        .await
        .expect("readable");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].received_version, 50);

    // Every answer of the API (NIPs, statuses, BKN's messages) is neither cached nor sniffed.
    let answers = [
        h.http
            .get(format!("{}/v1/sync/{}", h.base, e.nip))
            .bearer_auth(ehrm_sync_tests::harness::STATUS_KEY)
            .send()
            .await
            .expect("answers"),
        h.http
            .get(format!("{}/v1/sync/{}", h.base, e.nip))
            .send()
            .await
            .expect("answers"),
        h.http
            .post(format!("{}/v1/events", h.base))
            .body("{}")
            .send()
            .await
            .expect("answers"),
    ];
    for a in answers {
        let header = |name: &str| {
            a.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-store"),
            "{a:?}"
        );
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{a:?}"
        );
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_event_id_stays_free() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(1).clone();
    let k = e
        .kinerja
        .iter()
        .find(|k| k.jenis == "tahunan")
        .cloned()
        .expect("annual");
    let mut invalid = upsert_body(&e, &k, 5);
    invalid["data"]["predikat"] = json!(5);
    let bad = SignedEvent::sign(
        &h.secret,
        "evt_fixed_later",
        invalid.to_string().into_bytes(),
    );
    assert_eq!(h.send_signed(&bad).await.0, 422);
    let good = SignedEvent::sign(
        &h.secret,
        "evt_fixed_later",
        upsert_body(&e, &k, 5).to_string().into_bytes(),
    );
    assert_eq!(
        h.send_signed(&good).await.0,
        202,
        "nothing was stored for the refused one, not even its id"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_evaluations_may_not_share_months() {
    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(2).clone();
    let k = e
        .kinerja
        .iter()
        .find(|k| k.jenis == "tahunan")
        .cloned()
        .expect("annual");
    let monthly = ehrm_sync_population::Kinerja {
        jenis: "periodik".into(),
        periodik: Some("bulanan".into()),
        tahun: 2025,
        bulan_mulai: Some(5),
        bulan_selesai: Some(5),
        koefisien_id: Some("12".into()),
        ..k.clone()
    };
    assert_eq!(h.send(&upsert_body(&e, &monthly, 1)).await.0, 202);
    let quarter = ehrm_sync_population::Kinerja {
        periodik: Some("triwulan".into()),
        bulan_mulai: Some(4),
        bulan_selesai: Some(6),
        ..monthly.clone()
    };
    let (s, answer) = h.send(&upsert_body(&e, &quarter, 1)).await;
    assert_eq!(s, 422, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "data.bulan_mulai");
    // Once the monthly one is deleted, the quarter fits.
    assert_eq!(
        h.send(&ehrm_sync_devkit::events::delete_body(&e, &monthly, 2))
            .await
            .0,
        202
    );
    assert_eq!(h.send(&upsert_body(&e, &quarter, 1)).await.0, 202);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_accepts_both_signatures() {
    let old = random_secret();
    let new = random_secret();
    let h = Harness::start(HarnessOptions {
        env: vec![(
            "EHRM_WEBHOOK_SECRET",
            format!("{} {}", old.to_whsec(), new.to_whsec()),
        )],
        ..HarnessOptions::default()
    })
    .await;
    let e = h.employee(3).clone();
    let k = e
        .kinerja
        .iter()
        .find(|k| k.jenis == "tahunan")
        .cloned()
        .expect("annual");
    for (secret, v) in [(&old, 10), (&new, 11)] {
        let ev = SignedEvent::sign(
            secret,
            &format!("evt_rot_{v}"),
            upsert_body(&e, &k, v).to_string().into_bytes(),
        );
        assert_eq!(h.send_signed(&ev).await.0, 202);
    }
    h.shutdown().await;
}

/// A store that is down.
struct DownStore;

#[async_trait::async_trait]
impl SyncStore for DownStore {
    async fn idempotency(
        &self,
        _: &str,
        _: Millis,
    ) -> Result<Option<IdempotencyEntry>, StoreError> {
        Ok(None)
    }
    async fn accept(&self, _: &AcceptWrite) -> Result<AcceptResult, StoreError> {
        Err(StoreError::Unavailable("disk full".into()))
    }
    async fn record(&self, _: &RecordKey) -> Result<Option<SyncRecord>, StoreError> {
        Ok(None)
    }
    async fn records_for_nip(&self, _: &Nip) -> Result<Vec<SyncRecord>, StoreError> {
        Ok(Vec::new())
    }
    async fn guard_revision(&self, _: &str) -> Result<u64, StoreError> {
        Ok(0)
    }
    async fn put_record(&self, _: &SyncRecord) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("disk full".into()))
    }
    async fn append_attempt(&self, _: &AttemptEntry) -> Result<(), StoreError> {
        Ok(())
    }
    async fn attempts(&self, _: &RecordKey) -> Result<Vec<AttemptEntry>, StoreError> {
        Ok(Vec::new())
    }
    async fn due_records(
        &self,
        _: Millis,
        _: Option<String>,
        _: usize,
    ) -> Result<(Vec<SyncRecord>, Option<String>), StoreError> {
        Ok((Vec::new(), None))
    }
    async fn records_by_status(
        &self,
        _: SyncStatus,
        _: Millis,
        _: Millis,
        _: usize,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        Ok(Vec::new())
    }
    async fn count_by_status(&self) -> Result<Vec<(SyncStatus, u64)>, StoreError> {
        Ok(Vec::new())
    }
}

struct CountingQueue(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl DeliveryQueue for CountingQueue {
    async fn enqueue(&self, m: &[DeliveryMessage]) -> Result<(), QueueError> {
        self.0
            .fetch_add(m.len(), std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn no_durable_write_means_503_and_nothing_queued() {
    let secret = random_secret();
    let queue = Arc::new(CountingQueue(0.into()));
    let service = IngestService::new(
        Verifier::new(vec![secret.clone()]),
        Arc::new(DownStore),
        queue.clone(),
        Arc::new(SystemClock),
        Arc::new(NoMetrics),
    );
    let population = ehrm_sync_population::generate(&Default::default());
    let e = &population.employees[0];
    let body = upsert_body(e, &e.kinerja[0], 9).to_string().into_bytes();
    let ev = SignedEvent::sign(&secret, "evt_503", body);
    let ts = ev.timestamp.to_string();
    let answer = service
        .handle(
            SignedHeaders {
                id: Some(&ev.id),
                timestamp: Some(&ts),
                signature: Some(&ev.signature),
            },
            &ev.body,
        )
        .await;
    assert_eq!(answer, ehrm_sync_core::ingest::IngestOutcome::Unavailable);
    assert_eq!(
        queue.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing queued for an unrecorded change"
    );
}
