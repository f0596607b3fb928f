//! Store contract cases.

use ehrm_sync_core::ports::AttemptOutcome;
use ehrm_sync_core::ports::{
    AcceptResult, AcceptWrite, AttemptEntry, Callback, CallbackStatus, ChangeLogEntry, Guard,
    IdempotencyEntry, Operation, RiwayatFamily, StoreError,
};
use ehrm_sync_core::ports::{FindingCount, RunStatus, Scope};
use ehrm_sync_core::reconcile::{FindingTotals, RunRequest, RunState};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::rate::RatePolicy;
use ehrm_sync_domain::record::{RecordKey, SyncRecord, SyncStatus};
use std::collections::HashSet;

use super::StoreUnderTest;

const NOW: i64 = 1_790_000_000_000;

/// A valid NIP nobody else uses (backends may be shared between cases).
pub fn random_nip() -> Nip {
    loop {
        let year = 1970 + rand::random::<u32>() % 25;
        let raw = format!(
            "{year}{:02}{:02}{}{:02}{}{:03}",
            1 + rand::random::<u32>() % 12,
            1 + rand::random::<u32>() % 28,
            year + 25,
            1 + rand::random::<u32>() % 12,
            1 + rand::random::<u32>() % 2,
            1 + rand::random::<u32>() % 999
        );
        if let Ok(nip) = Nip::parse(&raw) {
            return nip;
        }
    }
}

pub use ehrm_sync_devkit::events::annual_change;

fn write_for(
    webhook_id: &str,
    record: Option<SyncRecord>,
    key: &RecordKey,
    version: u64,
    now: i64,
) -> AcceptWrite {
    AcceptWrite {
        idempotency: IdempotencyEntry {
            webhook_id: webhook_id.into(),
            payload_hash: format!("hash-{webhook_id}"),
            record_key: key.to_string(),
            outcome: "accepted".into(),
            created_at: now,
            expires_at: now + 86_400_000,
        },
        change_log: ChangeLogEntry {
            webhook_id: webhook_id.into(),
            record_key: key.to_string(),
            version,
            event_type: "kinerja.tahunan.upserted".into(),
            occurred_at: "2026-11-27T10:15:00+07:00".into(),
            received_at: now,
            outcome: "applied".into(),
            change: serde_json::json!({"test": true}),
        },
        record,
        guard: None,
    }
}

fn unique_id() -> String {
    format!("evt_{:016x}", rand::random::<u64>())
}

pub async fn accept_is_atomic_and_idempotent(b: &StoreUnderTest) {
    let s = &b.store;
    let nip = random_nip();
    let change = annual_change(&nip, 2025, 1);
    let rec = SyncRecord::from_change(&change, NOW);
    let id = unique_id();
    let w = write_for(&id, Some(rec.clone()), &change.key, 1, NOW);
    assert_eq!(s.accept(&w).await.expect("written"), AcceptResult::Written);
    let stored = s
        .record(&change.key)
        .await
        .expect("readable")
        .expect("present");
    assert_eq!(stored.revision, 1);
    assert_eq!(stored.received_version, 1);
    assert_eq!(
        s.idempotency(&id, NOW)
            .await
            .expect("readable")
            .map(|e| e.payload_hash),
        Some(format!("hash-{id}"))
    );

    // The same webhook id again: reported, nothing written.
    match s.accept(&w).await.expect("answered") {
        AcceptResult::DuplicateEvent(seen) => assert_eq!(seen.webhook_id, id),
        other => panic!("expected a duplicate, got {other:?}"),
    }

    // A write whose record revision is stale fails as a whole: no idempotency entry either.
    let id2 = unique_id();
    let stale = write_for(&id2, Some(rec), &change.key, 1, NOW);
    assert!(matches!(s.accept(&stale).await, Err(StoreError::Conflict)));
    assert_eq!(
        s.idempotency(&id2, NOW).await.expect("readable"),
        None,
        "nothing of a failed write is kept"
    );

    // A stale event writes its idempotency entry only.
    let id3 = unique_id();
    let only_log = write_for(&id3, None, &change.key, 1, NOW);
    assert_eq!(
        s.accept(&only_log).await.expect("written"),
        AcceptResult::Written
    );
    assert!(s.idempotency(&id3, NOW).await.expect("readable").is_some());
    assert_eq!(
        s.record(&change.key)
            .await
            .expect("readable")
            .expect("present")
            .revision,
        1
    );
}

pub async fn stale_writes_lose_compare_and_swap(b: &StoreUnderTest) {
    let s = &b.store;
    let change = annual_change(&random_nip(), 2025, 1);
    let mut rec = SyncRecord::from_change(&change, NOW);
    s.put_record(&rec).await.expect("created");
    assert!(
        matches!(s.put_record(&rec).await, Err(StoreError::Conflict)),
        "create twice"
    );
    rec.revision = 1;
    rec.attempts = 5;
    s.put_record(&rec).await.expect("updated at revision 1");
    assert!(
        matches!(s.put_record(&rec).await, Err(StoreError::Conflict)),
        "revision 1 is gone"
    );
    let stored = s
        .record(&change.key)
        .await
        .expect("readable")
        .expect("present");
    assert_eq!((stored.revision, stored.attempts), (2, 5));
}

pub async fn concurrent_writers_never_lose_an_update(b: &StoreUnderTest) {
    let s = b.store.clone();
    let change = annual_change(&random_nip(), 2025, 1);
    s.put_record(&SyncRecord::from_change(&change, NOW))
        .await
        .expect("created");
    let writers = 8;
    let per_writer = 5;
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let s = s.clone();
        let key = change.key.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0;
            while done < per_writer {
                let mut rec = s.record(&key).await.expect("readable").expect("present");
                rec.attempts += 1;
                match s.put_record(&rec).await {
                    Ok(()) => done += 1,
                    Err(StoreError::Conflict) => continue,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer finished");
    }
    let rec = s
        .record(&change.key)
        .await
        .expect("readable")
        .expect("present");
    assert_eq!(
        rec.attempts,
        writers * per_writer,
        "every increment survived"
    );
    assert_eq!(rec.revision, u64::from(writers * per_writer) + 1);
}

pub async fn guards_make_cross_record_checks_atomic(b: &StoreUnderTest) {
    let s = &b.store;
    let guard_key = format!("months/{}/2026", random_nip());
    assert_eq!(s.guard_revision(&guard_key).await.expect("readable"), 0);
    let c1 = annual_change(&random_nip(), 2025, 1);
    let mut w = write_for(
        &unique_id(),
        Some(SyncRecord::from_change(&c1, NOW)),
        &c1.key,
        1,
        NOW,
    );
    w.guard = Some(Guard {
        key: guard_key.clone(),
        revision: 0,
    });
    s.accept(&w).await.expect("written");
    assert_eq!(s.guard_revision(&guard_key).await.expect("readable"), 1);
    // A second writer that read the guard at 0 must lose.
    let c2 = annual_change(&random_nip(), 2025, 1);
    let mut w2 = write_for(
        &unique_id(),
        Some(SyncRecord::from_change(&c2, NOW)),
        &c2.key,
        1,
        NOW,
    );
    w2.guard = Some(Guard {
        key: guard_key.clone(),
        revision: 0,
    });
    assert!(matches!(s.accept(&w2).await, Err(StoreError::Conflict)));
    assert_eq!(
        s.record(&c2.key).await.expect("readable"),
        None,
        "the losing record is not written"
    );
}

pub async fn due_index_pages_in_order_and_skips_settled(b: &StoreUnderTest) {
    let s = &b.store;
    let nip = random_nip();
    // Five due records at increasing times, one settled, one due later.
    let base = NOW - 10_000_000;
    let mut keys = Vec::new();
    for i in 0..5 {
        let c = annual_change(&nip, 2022 + i, 1);
        let mut rec = SyncRecord::from_change(&c, base + i64::from(i) * 1000);
        rec.next_attempt_at = Some(base + i64::from(i) * 1000);
        s.put_record(&rec).await.expect("written");
        keys.push(c.key);
    }
    let settled = annual_change(&random_nip(), 2025, 1);
    let mut rec = SyncRecord::from_change(&settled, base);
    rec.status = SyncStatus::Synced;
    rec.next_attempt_at = None;
    s.put_record(&rec).await.expect("written");
    let later = annual_change(&random_nip(), 2025, 1);
    let rec = SyncRecord::from_change(&later, NOW + 3_600_000);
    s.put_record(&rec).await.expect("written");

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = s
            .due_records(base + 4_000, cursor, 2)
            .await
            .expect("readable");
        assert!(page.len() <= 2);
        seen.extend(page.into_iter().map(|r| r.key));
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let ours: Vec<RecordKey> = seen.into_iter().filter(|k| k.nip() == &nip).collect();
    assert_eq!(ours, keys, "all five, oldest first, across pages");
    let (page, _) = s.due_records(NOW, None, 1000).await.expect("readable");
    let keys_due: HashSet<String> = page.iter().map(|r| r.key.to_string()).collect();
    assert!(
        !keys_due.contains(&settled.key.to_string()),
        "settled records are not due"
    );
    assert!(
        !keys_due.contains(&later.key.to_string()),
        "future records are not due yet"
    );
}

pub async fn status_queries_and_counts(b: &StoreUnderTest) {
    let s = &b.store;
    let nip = random_nip();
    let before = s.count_by_status().await.expect("readable");
    let count = |c: &[(SyncStatus, u64)], st: SyncStatus| {
        c.iter().find(|(s, _)| *s == st).map_or(0, |(_, n)| *n)
    };
    for (i, status) in [SyncStatus::Dead, SyncStatus::Dead, SyncStatus::Failed]
        .into_iter()
        .enumerate()
    {
        let c = annual_change(&nip, 2022 + i as i32, 1);
        let mut rec = SyncRecord::from_change(&c, NOW + i as i64);
        rec.status = status;
        rec.updated_at = NOW + i as i64 * 1000;
        rec.last_error = Some("x".into());
        s.put_record(&rec).await.expect("written");
    }
    let after = s.count_by_status().await.expect("readable");
    assert_eq!(
        count(&after, SyncStatus::Dead) - count(&before, SyncStatus::Dead),
        2
    );
    assert_eq!(
        count(&after, SyncStatus::Failed) - count(&before, SyncStatus::Failed),
        1
    );
    let dead: Vec<_> = s
        .records_by_status(SyncStatus::Dead, NOW - 1, NOW + 500, 100)
        .await
        .expect("readable")
        .into_iter()
        .filter(|r| r.key.nip() == &nip)
        .collect();
    assert_eq!(dead.len(), 1, "the time window is applied");
    let mine = s.records_for_nip(&nip).await.expect("readable");
    assert_eq!(mine.len(), 3);
    assert!(mine.iter().all(|r| r.key.nip() == &nip));
}

pub async fn attempts_are_kept_in_order(b: &StoreUnderTest) {
    let s = &b.store;
    let key = annual_change(&random_nip(), 2025, 1).key;
    for i in 0..4 {
        s.append_attempt(&AttemptEntry {
            record_key: key.to_string(),
            at: NOW + i,
            version: 1,
            operation: vec![Operation::Lookup, Operation::Create].into(),
            outcome: if i < 3 {
                AttemptOutcome::Transient
            } else {
                AttemptOutcome::Delivered
            },
            http_status: Some(500),
            message: Some(format!("attempt {i}")),
            duration_ms: 10,
        })
        .await
        .expect("written");
    }
    let got = s.attempts(&key).await.expect("readable");
    let messages: Vec<_> = got
        .iter()
        .map(|a| a.message.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        messages,
        ["attempt 0", "attempt 1", "attempt 2", "attempt 3"]
    );
}

pub async fn expired_idempotency_is_forgotten(b: &StoreUnderTest) {
    let s = &b.store;
    let c = annual_change(&random_nip(), 2025, 1);
    let id = unique_id();
    let mut w = write_for(&id, Some(SyncRecord::from_change(&c, NOW)), &c.key, 1, NOW);
    w.idempotency.expires_at = NOW + 1000;
    s.accept(&w).await.expect("written");
    assert!(
        s.idempotency(&id, NOW + 999)
            .await
            .expect("readable")
            .is_some()
    );
    assert!(
        s.idempotency(&id, NOW + 1000)
            .await
            .expect("readable")
            .is_none(),
        "expiry is checked by the code"
    );
}

pub async fn pns_ids_are_cached(b: &StoreUnderTest) {
    let nip = random_nip();
    assert_eq!(b.pns.pns_id(&nip).await.expect("readable"), None);
    b.pns
        .put_pns_id(&nip, "A1B2C3", NOW)
        .await
        .expect("written");
    b.pns
        .put_pns_id(&nip, "D4E5F6", NOW)
        .await
        .expect("overwritten");
    assert_eq!(
        b.pns.pns_id(&nip).await.expect("readable").as_deref(),
        Some("D4E5F6")
    );
    assert_eq!(
        b.pns
            .nip_for_pns_id("D4E5F6")
            .await
            .expect("readable")
            .as_deref(),
        Some(nip.as_str()),
        "reverse lookup of the current id"
    );
    assert_eq!(
        b.pns.nip_for_pns_id("FFFFFFFF").await.expect("readable"),
        None
    );
}

pub async fn reconcile_rows_are_replaced_by_key_and_runs_listed_newest_first(b: &StoreUnderTest) {
    use ehrm_sync_domain::reconcile::{Action, Authority, DataSet, Discrepancy, Kind, Priority};
    let run = format!("run-{}", rand::random::<u32>());
    let row = |field: &str, bkn: &str| Discrepancy {
        data_set: DataSet::Pegawai,
        kind: Kind::Differs,
        nip: Some("198507142010011002".into()),
        unor_id: None,
        field: Some(field.into()),
        ehrm_value: Some("III/d".into()),
        bkn_value: Some(bkn.into()),
        authority: Authority::Bkn,
        action: Action::NeedsReview,
        priority: Priority::Normal,
        note: None,
        unit: None,
    };
    let r = &b.reconcile;
    r.put_rows(
        &run,
        &[row("golongan", "IV/a"), row("tmt_pensiun", "2030-01-01")],
    )
    .await
    .expect("written");
    r.put_rows(&run, &[row("golongan", "IV/b")])
        .await
        .expect("rewritten");
    let mut rows = r.rows(&run).await.expect("readable");
    rows.sort_by_key(|d| d.row_key());
    assert_eq!(rows.len(), 2, "same key, one row");
    assert_eq!(rows[0].bkn_value.as_deref(), Some("IV/b"));
    assert!(r.rows("no-such-run").await.expect("readable").is_empty());
    let base = 5_000_000_000_000 + i64::from(rand::random::<u16>()) * 1_000;
    let summary = |id: &str, started_at: i64, status: RunStatus| {
        let request = RunRequest {
            scope: Scope::All,
            dry_run: false,
            restart: false,
        };
        let mut state = RunState::new(&request, started_at);
        state.life.run_id = format!("{run}-{id}");
        state.life.status = status;
        if status == RunStatus::Finished {
            state.life.finished_at = Some(started_at + 7);
            let r = row("golongan", "IV/b");
            state.findings = Some(FindingTotals {
                counts: vec![FindingCount {
                    data_set: r.data_set,
                    kind: r.kind,
                    priority: r.priority,
                    count: 1,
                }],
                rows: 1,
                left_for_people: usize::from(r.action == Action::NeedsReview),
            });
        }
        state.summary()
    };
    for (i, id) in ["a", "b", "c"].iter().enumerate() {
        r.put_run(
            &format!("{run}-{id}"),
            &summary(id, base + i as i64, RunStatus::Running),
        )
        .await
        .expect("written");
    }
    let finished = summary("c", base + 2, RunStatus::Finished);
    r.put_run(&format!("{run}-c"), &finished)
        .await
        .expect("updated");
    let runs = r.runs(2).await.expect("readable");
    let ids: Vec<&str> = runs.iter().map(|v| v.run_id.as_str()).collect();
    assert_eq!(ids, vec![format!("{run}-c"), format!("{run}-b")]);
    assert_eq!(runs[0], finished, "read back as written");
}

pub async fn riwayat_lists_are_remembered_per_employee_and_family(b: &StoreUnderTest) {
    let l = &b.lists;
    let nip = random_nip();
    let other = random_nip();
    let (annual, periodic) = (RiwayatFamily::Skp22, RiwayatFamily::KinerjaPeriodik);
    assert_eq!(l.riwayat_list(&nip, annual).await.expect("readable"), None);
    l.put_riwayat_list(&nip, annual, r#"{"read_at":1,"records":[]}"#)
        .await
        .expect("written");
    l.put_riwayat_list(&nip, annual, r#"{"read_at":2,"records":[]}"#)
        .await
        .expect("replaced");
    l.put_riwayat_list(&nip, periodic, r#"{"read_at":3,"records":[]}"#)
        .await
        .expect("written");
    assert_eq!(
        l.riwayat_list(&nip, annual)
            .await
            .expect("readable")
            .as_deref(),
        Some(r#"{"read_at":2,"records":[]}"#)
    );
    assert_eq!(
        l.riwayat_list(&other, annual).await.expect("readable"),
        None
    );
    l.forget_riwayat_list(&nip, periodic)
        .await
        .expect("forgotten");
    assert_eq!(
        l.riwayat_list(&nip, periodic).await.expect("readable"),
        None
    );
    assert!(
        l.riwayat_list(&nip, annual)
            .await
            .expect("readable")
            .is_some()
    );
    // Not a record: an employee's records stay exactly their records.
    assert!(
        b.store
            .records_for_nip(&nip)
            .await
            .expect("readable")
            .is_empty()
    );
}

pub async fn rate_gate_spaces_and_holds(b: &StoreUnderTest) {
    let g = &b.gate;
    let fixed = RatePolicy::fixed(10.0, 0);
    let now = 4_000_000_000_000 + i64::from(rand::random::<u16>()) * 1_000_000;
    let first = g.reserve(now, &fixed).await.expect("reserved");
    let second = g.reserve(now, &fixed).await.expect("reserved");
    assert!(
        second >= first + 100,
        "slots are at least one interval apart"
    );
    g.hold_until(second + 10_000, &fixed).await.expect("held");
    let third = g.reserve(now, &fixed).await.expect("reserved");
    assert!(third >= second + 10_000, "a hold pushes later slots back");
}

/// A `429` cuts the shared rate, once per episode, and the state shows it.
pub async fn rate_gate_adapts_and_shows_its_changes(b: &StoreUnderTest) {
    let g = &b.gate;
    let policy = RatePolicy {
        ceiling: 20.0,
        floor: 2.0,
        margin_ms: 0,
    };
    let now = 4_100_000_000_000 + i64::from(rand::random::<u16>()) * 1_000_000;
    let slot = g.reserve(now, &policy).await.expect("reserved");
    g.throttled(now + 10, Some(slot), now + 1_000, &policy)
        .await
        .expect("cut");
    // A 429 of a call reserved before the cut is the same episode.
    g.throttled(now + 20, Some(slot), now + 1_000, &policy)
        .await
        .expect("same episode");
    let st = g.gate_state().await.expect("readable").expect("written");
    assert!(st.rate <= 10.0 + 1e-9, "halved: {}", st.rate);
    assert_eq!((st.ceiling, st.floor), (20.0, 2.0));
    let cuts: Vec<_> = st.changes.iter().filter(|c| c.why == "429").collect();
    assert_eq!(cuts.len(), 1, "{:?}", st.changes);
    let next = g.reserve(now + 30, &policy).await.expect("reserved");
    assert!(next >= now + 1_000, "held until Retry-After");
}

pub async fn controls_are_compare_and_swap(b: &StoreUnderTest) {
    let c = &b.control;
    let name = format!("test/{:08x}", rand::random::<u32>());
    assert_eq!(c.control(&name).await.expect("readable"), None);
    c.put_control(&name, &serde_json::json!({"n": 1}), 0)
        .await
        .expect("created");
    assert!(matches!(
        c.put_control(&name, &serde_json::json!({"n": 9}), 0).await,
        Err(StoreError::Conflict)
    ));
    c.put_control(&name, &serde_json::json!({"n": 2}), 1)
        .await
        .expect("updated");
    assert!(matches!(
        c.put_control(&name, &serde_json::json!({"n": 9}), 1).await,
        Err(StoreError::Conflict)
    ));
    let got = c.control(&name).await.expect("readable").expect("present");
    assert_eq!((got.value["n"].as_i64(), got.revision), (Some(2), 2));
}

pub async fn events_come_back_newest_first(b: &StoreUnderTest) {
    let stream = format!("test-{:08x}", rand::random::<u32>());
    for i in 0..3 {
        b.control
            .append_event(&stream, NOW + i, &serde_json::json!({"i": i}))
            .await
            .expect("appended");
    }
    let got = b.control.events(&stream, 2).await.expect("readable");
    let order: Vec<i64> = got.iter().filter_map(|(_, e)| e["i"].as_i64()).collect();
    assert_eq!(order, [2, 1]);
    assert_eq!(got[0].0, NOW + 2);
}

fn callback(id: &str, due: i64) -> Callback {
    Callback {
        id: id.into(),
        payload: serde_json::json!({"type": "sync.outcome", "data": {"status": "synced"}}),
        status: CallbackStatus::Pending,
        attempts: 0,
        next_attempt_at: Some(due),
        last_error: None,
        created_at: due,
        updated_at: due,
        revision: 0,
    }
}

pub async fn callbacks_are_idempotent_and_due_in_order(b: &StoreUnderTest) {
    let o = &b.outbox;
    let tag = format!("{:08x}", rand::random::<u32>());
    let (early, late) = (format!("cb_{tag}_early"), format!("cb_{tag}_late"));
    o.add_callback(&callback(&late, NOW + 10))
        .await
        .expect("added");
    o.add_callback(&callback(&early, NOW)).await.expect("added");
    let mut again = callback(&early, NOW + 99);
    again.payload = serde_json::json!({"other": true});
    o.add_callback(&again)
        .await
        .expect("a second add is a no-op");
    let due: Vec<String> = o
        .due_callbacks(NOW + 10, 100)
        .await
        .expect("readable")
        .into_iter()
        .filter(|c| c.id.contains(&tag))
        .map(|c| c.id)
        .collect();
    assert_eq!(due, [early.clone(), late.clone()], "oldest first");
    let mut sent = o
        .callback(&early)
        .await
        .expect("readable")
        .expect("present");
    assert_eq!(sent.payload["type"], "sync.outcome", "the first add won");
    sent.status = CallbackStatus::Sent;
    sent.next_attempt_at = None;
    o.put_callback(&sent).await.expect("updated");
    assert!(
        matches!(o.put_callback(&sent).await, Err(StoreError::Conflict)),
        "stale revision"
    );
    let due: Vec<String> = o
        .due_callbacks(NOW + 10, 100)
        .await
        .expect("readable")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(!due.contains(&early), "a sent callback is no longer due");
    assert!(due.contains(&late));
}

pub async fn callbacks_stay_out_of_record_queries(b: &StoreUnderTest) {
    let before = b.store.count_by_status().await.expect("readable");
    let mut cb = callback(&format!("cb_{:08x}", rand::random::<u32>()), NOW);
    b.outbox.add_callback(&cb).await.expect("added");
    cb.revision = 1;
    cb.status = CallbackStatus::Failed;
    b.outbox.put_callback(&cb).await.expect("updated");
    assert_eq!(b.store.count_by_status().await.expect("readable"), before);
    b.store
        .records_by_status(SyncStatus::Failed, NOW - 1_000_000, NOW + 1_000_000, 100)
        .await
        .expect("only records come back");
}

pub use super::ingest::{
    one_webhook_id_with_two_bodies_at_once, overlong_webhook_ids_are_malformed,
};
