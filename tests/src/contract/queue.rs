//! Queue contract cases (SQS semantics).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use ehrm_sync_core::ports::{DeliveryMessage, ReceivedMessage};

use super::QueueUnderTest;
use super::store::{annual_change, random_nip};

fn message(version: u64) -> DeliveryMessage {
    DeliveryMessage {
        key: annual_change(&random_nip(), 2025, version).key,
        version,
    }
}

/// Receives until `want` messages arrived or `timeout` (on an idle machine; stretched by
/// [`crate::patience`]) passed.
async fn receive_n(q: &QueueUnderTest, want: usize, timeout: Duration) -> Vec<ReceivedMessage> {
    let deadline = Instant::now() + crate::patience::within(timeout);
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < deadline {
        let batch = q
            .consumer
            .receive(10, Duration::from_secs(1))
            .await
            .expect("receive answers");
        got.extend(batch);
    }
    got
}

fn body_of(m: &ReceivedMessage) -> DeliveryMessage {
    serde_json::from_str(&m.body).expect("a delivery message")
}

pub async fn sent_messages_are_received_once(q: &QueueUnderTest) {
    let sent: Vec<DeliveryMessage> = (1..=3).map(message).collect();
    q.producer.enqueue(&sent).await.expect("sent");
    let got = receive_n(q, 3, Duration::from_secs(10)).await;
    let keys: HashSet<String> = got.iter().map(|m| body_of(m).key.to_string()).collect();
    let expected: HashSet<String> = sent.iter().map(|m| m.key.to_string()).collect();
    assert_eq!(keys, expected, "each message arrives with its body");
    assert!(got.iter().all(|m| m.receive_count == 1));
    let again = q
        .consumer
        .receive(10, Duration::from_millis(300))
        .await
        .expect("receive answers");
    assert!(again.is_empty(), "received messages are hidden");
    for m in &got {
        q.consumer.delete(&m.receipt).await.expect("deleted");
    }
}

pub async fn unacknowledged_messages_return_after_visibility(q: &QueueUnderTest) {
    q.producer.enqueue(&[message(1)]).await.expect("sent");
    let first = receive_n(q, 1, Duration::from_secs(10)).await;
    assert_eq!(first.len(), 1);
    tokio::time::sleep(
        Duration::from_secs(u64::from(q.visibility_secs)) + Duration::from_millis(300),
    )
    .await;
    let second = receive_n(q, 1, Duration::from_secs(10)).await;
    assert_eq!(second.len(), 1, "the message came back");
    assert_eq!(second[0].message_id, first[0].message_id);
    assert_eq!(second[0].receive_count, 2);
    q.consumer
        .delete(&second[0].receipt)
        .await
        .expect("deleted");
}

pub async fn deleted_messages_never_return(q: &QueueUnderTest) {
    q.producer.enqueue(&[message(1)]).await.expect("sent");
    let got = receive_n(q, 1, Duration::from_secs(10)).await;
    q.consumer.delete(&got[0].receipt).await.expect("deleted");
    tokio::time::sleep(
        Duration::from_secs(u64::from(q.visibility_secs)) + Duration::from_millis(300),
    )
    .await;
    let again = q
        .consumer
        .receive(10, Duration::from_millis(500))
        .await
        .expect("receive answers");
    assert!(again.iter().all(|m| m.message_id != got[0].message_id));
}

pub async fn visibility_can_be_shortened(q: &QueueUnderTest) {
    q.producer.enqueue(&[message(1)]).await.expect("sent");
    let got = receive_n(q, 1, Duration::from_secs(10)).await;
    q.consumer
        .change_visibility(&got[0].receipt, 0)
        .await
        .expect("changed");
    let again = receive_n(q, 1, Duration::from_secs(5)).await;
    assert_eq!(again.len(), 1, "visible at once");
    assert_eq!(again[0].receive_count, 2);
    q.consumer.delete(&again[0].receipt).await.expect("deleted");
}

pub async fn poison_messages_move_to_dead_letters_and_redrive_back(q: &QueueUnderTest) {
    let before = q.dead.depth().await.expect("depth");
    let poison = message(7);
    q.producer
        .enqueue(std::slice::from_ref(&poison))
        .await
        .expect("sent");
    let mut receives = 0;
    let deadline = Instant::now() + crate::patience::secs(60);
    while Instant::now() < deadline {
        let got = q
            .consumer
            .receive(10, Duration::from_millis(500))
            .await
            .expect("receive answers");
        let ours: Vec<_> = got
            .iter()
            .filter(|m| body_of(m).key == poison.key)
            .collect();
        for m in &got {
            q.consumer.change_visibility(&m.receipt, 0).await.ok();
        }
        receives += ours.len() as u32;
        if ours.is_empty() && receives >= q.max_receives {
            break;
        }
    }
    assert_eq!(
        receives, q.max_receives,
        "received exactly max_receives times"
    );
    let mut depth = q.dead.depth().await.expect("depth");
    let settle = Instant::now() + crate::patience::secs(10);
    while depth <= before && Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(200)).await;
        depth = q.dead.depth().await.expect("depth");
    }
    assert_eq!(depth, before + 1, "then it moved to the dead letters");
    let moved = q.dead.redrive(100).await.expect("redriven");
    assert!(moved >= 1);
    let back = receive_n(q, 1, Duration::from_secs(10)).await;
    assert!(
        back.iter().any(|m| body_of(m).key == poison.key),
        "redrive brought it back"
    );
    for m in &back {
        q.consumer.delete(&m.receipt).await.ok();
    }
}
