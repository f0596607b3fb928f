//! End to end on AWS shapes: HTTP event → ingest handler → DynamoDB + SQS (from the template, on
//! the endpoint in `AWS_ENDPOINT_URL`) → messages received from the queue turned into SQS events
//! → deliver handler → SIASN simulator. Transient failures come back after their visibility,
//! permanent ones stop, an unprocessable message ends in the DLQ after `maxReceiveCount`
//! receives; and no log line carries a secret, a token, a name or a full NIP.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ehrm_sync_core::ports::{DeadLetters, SyncStore};
use ehrm_sync_devkit::events::upsert_body;
use ehrm_sync_domain::record::{RecordKey, SyncStatus};
use ehrm_sync_population::Kinerja;
use ehrm_sync_tests::aws::world::{AwsWorld, Shape};
use ehrm_sync_tests::harness::STATUS_KEY;
use siasn_sim::Faults;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

async fn status_of(w: &AwsWorld, key: &RecordKey) -> ehrm_sync_domain::record::SyncRecord {
    w.adapters
        .store
        .record(key)
        .await
        .expect("readable")
        .expect("present")
}

#[tokio::test(flavor = "current_thread")]
async fn http_to_bkn_through_dynamodb_and_sqs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_env_filter("debug,hyper=info,aws_smithy_runtime=info,aws_sdk_dynamodb=info,aws_sdk_sqs=info,aws_config=info,h2=info,rustls=info,reqwest=info,aws_smithy_runtime_api=info,hyper_util=info")
        .with_writer(logs.clone())
        .finish();
    // tracing-core caches a callsite's interest as decided on the thread that first hits it
    // while only one scoped dispatcher is registered: another test delivering on its own
    // thread (no subscriber) would make "never" stick for this one's events too. A second,
    // silent dispatcher kept alive makes every callsite ask all live dispatchers.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    let _guard = tracing::subscriber::set_default(subscriber);

    let w = AwsWorld::start(Faults::default(), &[("DeliveryMaxReceiveCount", "3")]).await;
    let names: Vec<String> = w
        .population
        .employees
        .iter()
        .map(|e| e.nama.clone())
        .collect();
    let (a, b, c) = (
        &w.population.employees[0],
        &w.population.employees[1],
        &w.population.employees[2],
    );
    w.sim.set_faults(Faults {
        reject_nips: [(
            b.nip.clone(),
            "1 error occurred:\n\t* PenilaiNipNrp tidak valid".to_string(),
        )]
        .into(),
        unavailable_nips: vec![c.nip.clone()],
        ..Faults::default()
    });
    let mut keys = Vec::new();
    for e in [a, b, c] {
        let k = e.latest_annual().cloned().expect("annual");
        let k = Kinerja {
            hasil_kinerja: 1,
            perilaku_kerja: 1,
            predikat: 1,
            ..k
        };
        let (status, _) = w
            .post_change(Shape::HttpApi, &upsert_body(e, &k, k.version + 1))
            .await;
        assert_eq!(status, 202);
        keys.push(
            format!("kinerja.tahunan/{}/{}", e.nip, k.tahun)
                .parse::<RecordKey>()
                .expect("key"),
        );
    }
    // A message nothing can process.
    aws_sdk_sqs::Client::new(&w.stack.sdk)
        .send_message()
        .queue_url(&w.stack.queue_url)
        .message_body("{\"not\": \"a delivery message\"}")
        .send()
        .await
        .expect("sent");

    let mut c_attempts_seen = 0;
    let mut faults_cleared = false;
    let deadline = Instant::now() + ehrm_sync_tests::patience::secs(90);
    loop {
        let (_, response) = w.pump().await;
        for f in &response.batch_item_failures {
            assert!(!f.item_identifier.is_empty());
        }
        let (ra, rb, rc) = (
            status_of(&w, &keys[0]).await,
            status_of(&w, &keys[1]).await,
            status_of(&w, &keys[2]).await,
        );
        c_attempts_seen = c_attempts_seen.max(rc.attempts);
        if !faults_cleared && c_attempts_seen >= 2 {
            // BKN's partition for C recovers: its message comes back after its visibility.
            w.sim.set_faults(Faults {
                reject_nips: [(
                    b.nip.clone(),
                    "1 error occurred:\n\t* PenilaiNipNrp tidak valid".to_string(),
                )]
                .into(),
                ..Faults::default()
            });
            faults_cleared = true;
        }
        let dlq = w.adapters.queue.depth().await.expect("depth");
        if ra.status == SyncStatus::Synced
            && rb.status == SyncStatus::Failed
            && rc.status == SyncStatus::Synced
            && dlq >= 1
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not settled: a={:?} b={:?} c={:?} dlq={dlq}",
            ra.status,
            rb.status,
            rc.status
        );
    }
    assert!(
        c_attempts_seen >= 2,
        "the transient failure was retried after its visibility timeout"
    );
    for (e, key) in [(a, &keys[0]), (c, &keys[2])] {
        let at_bkn: Vec<_> = w
            .sim
            .annual_records(&e.nip)
            .into_iter()
            .filter(|r| Some(r.1) == key.tahun().map(i64::from))
            .collect();
        assert_eq!(at_bkn.len(), 1);
        assert_eq!((at_bkn[0].2, at_bkn[0].3, at_bkn[0].4), (1, 1, 1));
    }
    let rb = status_of(&w, &keys[1]).await;
    assert_eq!(
        rb.last_error.as_deref(),
        Some("1 error occurred:\n\t* PenilaiNipNrp tidak valid")
    );
    assert_eq!(
        w.adapters.queue.depth().await.expect("depth"),
        1,
        "only the unprocessable message is dead-lettered"
    );
    assert_eq!(w.sim.stats().duplicates, 0);

    drop(_guard);
    let text = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("UTF-8 logs");
    assert!(
        text.contains("delivery attempt finished"),
        "the logs were captured"
    );
    let c = w.sim.credentials();
    let secrets = [
        w.secret.to_whsec(),
        STATUS_KEY.to_string(),
        c.consumer_secret.clone(),
        c.sso_password.clone(),
        "sim.".to_string(), // every simulator token starts so
    ];
    for s in &secrets {
        assert!(
            !text.contains(s.as_str()),
            "a secret or token appears in the logs"
        );
    }
    for name in &names {
        assert!(
            !text.to_lowercase().contains(&name.to_lowercase()),
            "an employee's name appears in the logs"
        );
    }
    let longest_digit_run = text
        .split(|ch: char| !ch.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_digit_run < 16,
        "no NIK (16 digits) or unmasked NIP (18 digits) in the logs"
    );
}
