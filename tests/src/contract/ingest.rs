//! Ingest over a store backend: what only the store can make true (one webhook id, one body)
//! and what every store must be spared (ids longer than it can key on).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ingest::{IngestOutcome, IngestService};
use ehrm_sync_core::metrics::NoMetrics;
use ehrm_sync_core::ports::{DeliveryMessage, DeliveryQueue, QueueError};
use ehrm_sync_devkit::events::{SignedEvent, random_secret};
use ehrm_sync_webhook::{Secret, SignedHeaders, Verifier};

use super::StoreUnderTest;
use super::store::random_nip;

/// Takes every message and keeps none (the store is what is tested).
struct Drain;

#[async_trait]
impl DeliveryQueue for Drain {
    async fn enqueue(&self, _messages: &[DeliveryMessage]) -> Result<(), QueueError> {
        Ok(())
    }
}

fn service(b: &StoreUnderTest, secret: &Secret) -> IngestService {
    IngestService::new(
        Verifier::new(vec![secret.clone()]),
        b.store.clone(),
        Arc::new(Drain),
        Arc::new(SystemClock),
        Arc::new(NoMetrics),
    )
}

fn annual_body(nip: &str, predikat: u8) -> Value {
    let (hasil, perilaku) = if predikat == 1 { (1, 1) } else { (2, 2) };
    json!({"type": "kinerja.tahunan.upserted", "occurred_at": "2026-11-27T10:15:00+07:00",
           "version": 1, "data": {"nip": nip, "tahun": 2025, "hasil_kinerja": hasil,
           "perilaku_kerja": perilaku, "predikat": predikat,
           "penilai": {"nip": "197001011995031001", "nama": "Penilai", "jabatan": "Direktur",
                       "unor_nama": "Direktorat", "golongan_id": "41", "status": "ASN"}}})
}

async fn ingest(service: &IngestService, ev: &SignedEvent) -> IngestOutcome {
    let ts = ev.timestamp.to_string();
    service
        .handle(
            SignedHeaders {
                id: Some(&ev.id),
                timestamp: Some(&ts),
                signature: Some(&ev.signature),
            },
            &ev.body,
        )
        .await
}

/// One webhook id sent with two different bodies at the same moment: exactly one is accepted,
/// the other is a conflict (409), whichever wins.
pub async fn one_webhook_id_with_two_bodies_at_once(b: &StoreUnderTest) {
    for round in 0..5 {
        let secret = random_secret();
        let service = Arc::new(service(b, &secret));
        let nip = random_nip();
        let id = format!("evt_race_{round}_{:08x}", rand::random::<u32>());
        let one = SignedEvent::sign(
            &secret,
            &id,
            annual_body(nip.as_str(), 2).to_string().into(),
        );
        let two = SignedEvent::sign(
            &secret,
            &id,
            annual_body(nip.as_str(), 1).to_string().into(),
        );
        let (a, c) = tokio::join!(
            {
                let s = service.clone();
                async move { ingest(&s, &one).await }
            },
            {
                let s = service.clone();
                async move { ingest(&s, &two).await }
            }
        );
        let accepted = [&a, &c]
            .iter()
            .filter(|o| matches!(o, IngestOutcome::Accepted { .. }))
            .count();
        let conflicts = [&a, &c]
            .iter()
            .filter(|o| matches!(o, IngestOutcome::IdConflict))
            .count();
        assert_eq!(
            (accepted, conflicts),
            (1, 1),
            "round {round}: {a:?} / {c:?}"
        );
    }
}

/// A `webhook-id` longer than 256 bytes is malformed (400) on every store; 256 bytes is fine.
pub async fn overlong_webhook_ids_are_malformed(b: &StoreUnderTest) {
    let secret = random_secret();
    let service = service(b, &secret);
    let nip = random_nip();
    let body = annual_body(nip.as_str(), 2).to_string().into_bytes();
    let long = format!("evt_{}", "x".repeat(300));
    let outcome = ingest(&service, &SignedEvent::sign(&secret, &long, body.clone())).await;
    assert!(
        matches!(outcome, IngestOutcome::Malformed(_)),
        "{outcome:?}"
    );
    let max = format!("evt_{}", "y".repeat(252));
    assert_eq!(max.len(), 256);
    let outcome = ingest(&service, &SignedEvent::sign(&secret, &max, body)).await;
    assert!(
        matches!(outcome, IngestOutcome::Accepted { .. }),
        "{outcome:?}"
    );
}
