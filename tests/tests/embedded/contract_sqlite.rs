//! The store and queue contract on the embedded SQLite backend.

use std::sync::Arc;

use ehrm_sync_sqlite::{QueueOptions, SqliteStore};
use ehrm_sync_tests::contract::{QueueUnderTest, StoreUnderTest};

fn temp_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("store.db")).expect("opens");
    (store, dir)
}

fn sqlite_store() -> StoreUnderTest {
    let (store, dir) = temp_store();
    StoreUnderTest {
        store: Arc::new(store.clone()),
        pns: Arc::new(store.clone()),
        lists: Arc::new(store.clone()),
        gate: Arc::new(store.clone()),
        control: Arc::new(store.clone()),
        outbox: Arc::new(store.clone()),
        marks: Arc::new(store.clone()),
        series: Arc::new(store.clone()),
        reconcile: Arc::new(store),
        keep_alive: vec![Box::new(dir)],
    }
}

fn sqlite_queue() -> QueueUnderTest {
    let (store, dir) = temp_store();
    let options = QueueOptions {
        name: "delivery".into(),
        visibility_secs: 1,
        max_receives: 3,
    };
    let queue = store.queue(options);
    QueueUnderTest {
        producer: Arc::new(queue.clone()),
        consumer: Arc::new(queue.clone()),
        dead: Arc::new(queue),
        visibility_secs: 1,
        max_receives: 3,
        keep_alive: vec![Box::new(dir)],
    }
}

mod store {
    ehrm_sync_tests::store_contract!(super::sqlite_store());
}

mod queue {
    ehrm_sync_tests::queue_contract!(super::sqlite_queue());
}

#[tokio::test]
async fn a_reopened_store_holds_everything_committed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.db");
    let nip = ehrm_sync_tests::contract::store::random_nip();
    let change = ehrm_sync_tests::contract::store::annual_change(&nip, 2025, 3);
    {
        let store = SqliteStore::open(&path).expect("opens");
        let rec = ehrm_sync_domain::record::SyncRecord::from_change(&change, 1);
        ehrm_sync_core::ports::SyncStore::put_record(&store, &rec)
            .await
            .expect("written");
    }
    let store = SqliteStore::open(&path).expect("reopens");
    let rec = ehrm_sync_core::ports::SyncStore::record(&store, &change.key)
        .await
        .expect("readable")
        .expect("present after reopening");
    assert_eq!(rec.received_version, 3);
}

#[tokio::test]
async fn a_stale_receipt_cannot_change_visibility() {
    let q = sqlite_queue();
    let msg = ehrm_sync_core::ports::DeliveryMessage {
        key: ehrm_sync_tests::contract::store::annual_change(
            &ehrm_sync_tests::contract::store::random_nip(),
            2025,
            1,
        )
        .key,
        version: 1,
    };
    q.producer.enqueue(&[msg]).await.expect("sent");
    let first = q
        .consumer
        .receive(1, std::time::Duration::from_secs(2))
        .await
        .expect("received");
    q.consumer
        .change_visibility(&first[0].receipt, 0)
        .await
        .expect("changed");
    let second = q
        .consumer
        .receive(1, std::time::Duration::from_secs(2))
        .await
        .expect("received");
    assert_eq!(second.len(), 1);
    assert!(
        q.consumer
            .change_visibility(&first[0].receipt, 30)
            .await
            .is_err(),
        "the old receipt is void"
    );
    q.consumer
        .delete(&first[0].receipt)
        .await
        .expect("a stale delete is a no-op");
    assert!(
        q.consumer
            .change_visibility(&second[0].receipt, 0)
            .await
            .is_ok(),
        "the message was not deleted by it"
    );
}
