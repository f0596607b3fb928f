//! Retention on the AWS shapes (`docs/privacy.md`): every expiring item carries a `ttl` of the
//! right epoch seconds (its own time plus its class's retention), what must stay carries none,
//! and the scheduled function's daily purge — with the clock 400 days on — removes a synced
//! record's data while a repeated webhook is still a repeat and the next version still updates
//! BKN's one record.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;

use ehrm_sync_core::ports::{
    AUDIT_STREAM, Callback, CallbackOutbox, CallbackStatus, ControlStore, DataClass, FindingMark,
    FindingMarks, MarkState, SyncStore,
};
use ehrm_sync_core::retention::Retention;
use ehrm_sync_core::sweep::Sweeper;
use ehrm_sync_lambda::scheduled::{PurgeTask, ScheduledHandler, Task, TaskReport};
use ehrm_sync_tests::aws::world::{AwsWorld, Shape};
use ehrm_sync_tests::console::ShiftedClock;
use siasn_sim::Faults;

const DAY_MS: i64 = 86_400_000;

type Item = HashMap<String, AttributeValue>;

fn text(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    }
}

fn number(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}

/// The time an item's retention counts from, read from the item itself, and its class; `None`
/// for items that must not expire (or expire by their own rule, as idempotency entries do).
fn expected_class(item: &Item) -> Option<(DataClass, i64)> {
    let (pk, sk) = (text(item, "PK"), text(item, "SK"));
    let doc_at = |field: &str| -> Option<i64> {
        serde_json::from_str::<serde_json::Value>(&text(item, "doc")).ok()?[field].as_i64()
    };
    if sk.starts_with("ATT#") {
        return Some((DataClass::Attempts, number(item, "at")?));
    }
    if sk.starts_with("CHG#") {
        return Some((DataClass::Changes, number(item, "received_at")?));
    }
    if pk == format!("EVS#{AUDIT_STREAM}") {
        return Some((DataClass::Audit, number(item, "at")?));
    }
    if pk.starts_with("EVS#") {
        return Some((DataClass::Events, number(item, "at")?));
    }
    if pk.starts_with("SER#") {
        return Some((DataClass::Series, sk.parse().ok()?));
    }
    if pk == "MARKS" {
        return Some((DataClass::Runs, doc_at("at")?));
    }
    if pk.starts_with("CB#") && text(item, "cb_status") == "sent" {
        return Some((DataClass::Callbacks, number(item, "cb_updated_at")?));
    }
    None
}

async fn scan(w: &AwsWorld) -> Vec<Item> {
    let client = aws_sdk_dynamodb::Client::new(&w.stack.sdk);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .scan()
            .table_name(&w.stack.table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return items,
        }
    }
}

async fn settle(w: &AwsWorld, key: &ehrm_sync_domain::record::RecordKey, version: u64) {
    let deadline = Instant::now() + ehrm_sync_tests::patience::secs(60);
    loop {
        w.pump().await;
        let rec = w
            .adapters
            .store
            .record(key)
            .await
            .expect("read")
            .expect("record");
        if rec.status.is_settled() && rec.received_version == version {
            assert_eq!(rec.delivered_version, Some(version), "{rec:?}");
            return;
        }
        assert!(Instant::now() < deadline, "not settled: {rec:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_items_carry_their_ttl_and_the_purge_keeps_what_prevents_a_resend() {
    let w = AwsWorld::start(Faults::default(), &[]).await;
    let store = w.adapters.store.clone();
    let (body, key) = w.changed_annual(0);
    let version = body["version"].as_u64().expect("version");
    let (status, answer) = w.post_change(Shape::HttpApi, &body).await;
    assert_eq!(status, 202, "{answer}");
    settle(&w, &key, version).await;

    let now = ehrm_sync_core::ports::Clock::now_ms(w.adapters.clock.as_ref());
    store
        .append_event(AUDIT_STREAM, now, &serde_json::json!({"who": "ana"}))
        .await
        .expect("audit");
    store
        .append_event("breaker", now, &serde_json::json!({"to": "open"}))
        .await
        .expect("event");
    store
        .put_mark(&FindingMark {
            finding_id: "f1".into(),
            state: MarkState::Handled,
            note: "diperbaiki".into(),
            by: "ana".into(),
            at: now,
        })
        .await
        .expect("mark");
    let sent = Callback {
        id: "cb-1".into(),
        payload: serde_json::json!({"type": "sync.synced"}),
        status: CallbackStatus::Pending,
        attempts: 0,
        next_attempt_at: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        revision: 0,
    };
    store.add_callback(&sent).await.expect("callback");
    let mut sent = store
        .callback("cb-1")
        .await
        .expect("read")
        .expect("callback");
    sent.status = CallbackStatus::Sent;
    sent.updated_at = now + 5;
    store.put_callback(&sent).await.expect("sent");

    // Every expiring item has its TTL, to the second; the record and the idempotency entry
    // follow their own rules.
    let retention = Retention::default();
    let mut seen: HashMap<DataClass, usize> = HashMap::new();
    for item in scan(&w).await {
        let (pk, sk) = (text(&item, "PK"), text(&item, "SK"));
        match expected_class(&item) {
            Some((class, at)) => {
                assert_eq!(
                    number(&item, "ttl"),
                    Some(retention.expires_at_secs(class, at)),
                    "{pk} {sk}"
                );
                *seen.entry(class).or_default() += 1;
            }
            None if sk.starts_with("REC#") || pk.starts_with("CTL#") => {
                assert_eq!(number(&item, "ttl"), None, "never expires: {pk} {sk}");
            }
            None => {}
        }
    }
    for class in [
        DataClass::Attempts,
        DataClass::Changes,
        DataClass::Audit,
        DataClass::Events,
        DataClass::Series,
        DataClass::Runs,
        DataClass::Callbacks,
    ] {
        assert!(
            seen.contains_key(&class),
            "no {class:?} item seen: {seen:?}"
        );
    }

    // The daily purge, 400 days on.
    let before = store.record(&key).await.expect("read").expect("record");
    assert!(before.data.is_some());
    let clock = Arc::new(ShiftedClock::default());
    clock.advance_ms(400 * DAY_MS);
    let handler = ScheduledHandler {
        reconcile: None,
        readiness: None,
        sweeper: Sweeper::new(
            Arc::new(store.clone()),
            Arc::new(w.stack.queue()),
            clock.clone(),
            Default::default(),
        ),
        callbacks: None,
        sso: None,
        units: None,
        purge: Some(PurgeTask {
            purge: Arc::new(store.clone()),
            controls: Arc::new(store.clone()),
            retention,
        }),
        clock,
    };
    match handler.run(Task::Purge, None).await.expect("purge") {
        TaskReport::Purge {
            configured,
            removed,
            ..
        } => assert_eq!((configured, removed), (true, 1)),
        other => panic!("{other:?}"),
    }
    let after = store.record(&key).await.expect("read").expect("record");
    assert_eq!(after.data, None, "the ratings and the appraiser are gone");
    assert_eq!(
        (after.received_version, after.bkn_id.clone(), after.status),
        (
            before.received_version,
            before.bkn_id.clone(),
            before.status
        )
    );

    // The same version again is still ignored; the next one updates the one record at BKN.
    let (status, answer) = w.post_change(Shape::HttpApi, &body).await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (202, Some("ignored_stale")),
        "{answer}"
    );
    let mut next = body.clone();
    next["version"] = (version + 1).into();
    next["data"]["hasil_kinerja"] = 3.into();
    next["data"]["perilaku_kerja"] = 3.into();
    next["data"]["predikat"] = 5.into();
    let (status, answer) = w.post_change(Shape::HttpApi, &next).await;
    assert_eq!(status, 202, "{answer}");
    settle(&w, &key, version + 1).await;
    let nip = key.nip().to_string();
    let tahun = body["data"]["tahun"].as_i64().expect("tahun");
    let at_bkn: Vec<_> = w
        .sim
        .annual_records(&nip)
        .into_iter()
        .filter(|r| r.1 == tahun)
        .collect();
    assert_eq!(at_bkn.len(), 1, "{at_bkn:?}");
    assert_eq!(w.sim.stats().duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_report_and_erasure_on_dynamodb_find_everything_in_their_partition() {
    use ehrm_sync_core::ports::PnsIdCache;
    use ehrm_sync_core::subject::{SubjectDeps, forget, report};

    let w = AwsWorld::start(Faults::default(), &[]).await;
    let store = w.adapters.store.clone();
    let (body, key) = w.changed_annual(1);
    let version = body["version"].as_u64().expect("version");
    assert_eq!(w.post_change(Shape::HttpApi, &body).await.0, 202);
    settle(&w, &key, version).await;
    let now = ehrm_sync_core::ports::Clock::now_ms(w.adapters.clock.as_ref());
    let rec = store.record(&key).await.expect("read").expect("record");
    store
        .add_callback(&ehrm_sync_core::callbacks::outcome_callback(&rec, now))
        .await
        .expect("callback");
    let deps = SubjectDeps {
        store: Arc::new(store.clone()),
        history: Arc::new(store.clone()),
        pns: Arc::new(store.clone()),
        reconcile: Arc::new(store.clone()),
        controls: Arc::new(store.clone()),
        marks: Arc::new(store.clone()),
        clock: w.adapters.clock.clone(),
    };
    let nip = key.nip().clone();
    let held = report(&deps, &nip).await.expect("report");
    assert_eq!(
        (held.records.len(), held.changes.len(), held.callbacks.len()),
        (1, 1, 1)
    );
    assert!(!held.attempts.is_empty());
    assert!(held.pns_id.is_some(), "the PNS id resolved for the save");

    let outcome = forget(&deps, &nip)
        .await
        .expect("store")
        .expect("not refused");
    assert_eq!(outcome.erased.records, 1);
    let after = report(&deps, &nip).await.expect("report");
    assert_eq!(
        (
            after.changes.len(),
            after.attempts.len(),
            after.callbacks.len(),
            after.pns_id.clone()
        ),
        (0, 0, 0, None),
        "{after:?}"
    );
    assert_eq!(after.records[0].data, None);
    assert_eq!(after.records[0].bkn_id, rec.bkn_id, "BKN's id stays");
    let pns = held.pns_id.expect("pns id");
    assert_eq!(store.nip_for_pns_id(&pns).await.expect("read"), None);
}
