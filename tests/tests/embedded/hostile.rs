//! Hostile input at `POST /v1/events`: each case gets the right 4xx, nothing is stored, and no
//! log line carries the body or a secret. Logs are captured for the whole run.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use serde_json::json;

use ehrm_sync_devkit::events::{SignedEvent, random_secret, upsert_body};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_tests::harness::{Harness, HarnessOptions};

/// Put in every hostile body: it must never reach a log line.
const MARKER: &str = "HOSTILE-MARKER-7f3a";

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

#[tokio::test(flavor = "current_thread")]
async fn hostile_requests_get_their_4xx_store_nothing_and_leave_no_trace_in_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter("debug,hyper=info,hyper_util=info,reqwest=info,h2=info,rustls=info")
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::start(HarnessOptions::default()).await;
    let e = h.employee(0).clone();
    let k = e
        .kinerja
        .iter()
        .find(|k| k.jenis == "tahunan")
        .cloned()
        .expect("annual");
    let mut template = upsert_body(&e, &k, 77);
    template["data"]["penilai"]["nama"] = json!(MARKER);
    let store = h.store();
    let nip = Nip::parse(&e.nip).expect("valid");

    // A replay of a captured request after the five minutes: refused.
    let mut old = h.signed(&template);
    old.timestamp -= 10 * 60;
    old.signature = h.secret.sign(&old.id, old.timestamp, &old.body);
    assert_eq!(h.send_signed(&old).await.0, 401, "stale timestamp");
    let mut ahead = h.signed(&template);
    ahead.timestamp += 10 * 60;
    ahead.signature = h.secret.sign(&ahead.id, ahead.timestamp, &ahead.body);
    assert_eq!(
        h.send_signed(&ahead).await.0,
        401,
        "timestamp in the future"
    );

    let huge = SignedEvent::sign(
        &h.secret,
        "evt_huge",
        format!("{{\"x\":\"{MARKER}{}\"}}", " ".repeat(300 * 1024)).into_bytes(),
    );
    assert_eq!(h.send_signed(&huge).await.0, 413);
    let deep = format!("{}\"{MARKER}\"{}", "[".repeat(20_000), "]".repeat(20_000));
    assert_eq!(
        h.send_signed(&SignedEvent::sign(&h.secret, "evt_deep", deep.into_bytes()))
            .await
            .0,
        400,
        "deeply nested"
    );
    let mut bad_utf8 = format!("{{\"type\":\"{MARKER}").into_bytes();
    bad_utf8.extend_from_slice(&[0xc3, 0x28, 0xff]);
    assert_eq!(
        h.send_signed(&SignedEvent::sign(&h.secret, "evt_utf8", bad_utf8))
            .await
            .0,
        400,
        "invalid UTF-8"
    );

    for (i, bad) in [
        "198502302010011002",
        "199013012015011001",
        "198507142010131002",
        "203001012050011001",
    ]
    .iter()
    .enumerate()
    {
        let mut body = template.clone();
        body["data"]["nip"] = json!(bad);
        let (status, answer) = h.send(&body).await;
        assert_eq!(status, 422, "impossible NIP {i}: {answer}");
        assert_eq!(answer["errors"][0]["field"], "data.nip");
    }
    let mut unknown = template.clone();
    unknown["type"] = json!(format!("kinerja.{MARKER}.upserted"));
    assert_eq!(h.send(&unknown).await.0, 422, "unknown type");

    // A flood of bad signatures: all refused, nothing stored, the service still answers.
    let started = Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(0..2_000)
        .map(|i| {
            let forged = SignedEvent::sign(
                &random_secret(),
                &format!("evt_flood_{i}"),
                template.to_string().into_bytes(),
            );
            let h = &h;
            async move { h.send_signed(&forged).await.0 }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == 401),
        "every forged request refused"
    );
    println!(
        "2000 forged requests refused in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        store
            .idempotency("evt_flood_0", i64::MAX / 2)
            .await
            .expect("readable")
            .is_none()
    );
    assert!(
        store
            .records_for_nip(&nip)
            .await
            .expect("readable")
            .is_empty(),
        "nothing stored by any hostile request"
    );

    // The genuine event still goes through at once, and its id cannot be reused for other data.
    let genuine = h.signed(&template);
    assert_eq!(
        h.send_signed(&genuine).await.0,
        202,
        "the flood left the service answering"
    );
    assert_eq!(
        h.send_signed(&genuine).await.0,
        200,
        "a replay inside the window is a harmless repeat"
    );
    let mut reused = genuine.clone();
    let mut other = template.clone();
    other["version"] = json!(99);
    reused.body = other.to_string().into_bytes();
    reused.signature = h.secret.sign(&reused.id, reused.timestamp, &reused.body);
    assert_eq!(
        h.send_signed(&reused).await.0,
        409,
        "same id, different body"
    );
    let recs = store.records_for_nip(&nip).await.expect("readable");
    assert_eq!(recs.len(), 1);
    assert_eq!(
        recs[0].received_version, 77,
        "the reused id changed nothing"
    );

    let whsec = h.secret.to_whsec();
    h.shutdown().await;
    drop(_guard);
    let text = String::from_utf8_lossy(&logs.0.lock().expect("logs")).into_owned();
    assert!(text.contains("webhook refused"), "the refusals were logged");
    // 2,000 forged requests and the other hostile cases: one line per source and kind of
    // refusal each minute, naming the source.
    let refusal_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"webhook refused\""))
        .collect();
    assert!(
        refusal_lines.len() <= 8,
        "the flood wrote a line each: {} lines",
        refusal_lines.len()
    );
    assert!(
        refusal_lines
            .iter()
            .all(|l| l.contains("\"source\":\"127.0.0.1\"")),
        "each names its source: {refusal_lines:#?}"
    );
    assert!(!text.contains(MARKER), "a request body reached the logs");
    assert!(
        !text.contains(&whsec),
        "the webhook secret reached the logs"
    );
    assert!(!text.contains(&e.nip), "an unmasked NIP reached the logs");
}
