use super::*;
use crate::kinerja::{AnnualKinerja, Penilai, PenilaiStatus, Predikat, Rating};
use crate::nip::Nip;

const NOW: Millis = 1_700_000_000_000;

fn policy() -> RetryPolicy {
    RetryPolicy {
        base_ms: 1_000,
        max_ms: 60_000,
        max_attempts: 3,
    }
}

fn nip() -> Nip {
    Nip::parse("198507142010011002").expect("valid")
}

fn upsert(version: u64) -> Change {
    let data = RecordData::Tahunan(AnnualKinerja {
        nip: nip(),
        tahun: 2025,
        hasil_kinerja: Rating::AsExpected,
        perilaku_kerja: Rating::AsExpected,
        predikat: Predikat::Baik,
        penilai: Penilai {
            nip: "197001011995031001".into(),
            nama: "X".into(),
            jabatan: "Y".into(),
            unor_nama: "Z".into(),
            golongan_id: "41".into(),
            status: PenilaiStatus::Asn,
        },
    });
    Change {
        key: RecordKey::of(&data),
        version,
        action: ChangeAction::Upsert(data),
        pns_id: None,
    }
}

fn leased(rec: &mut SyncRecord, now: Millis) -> (String, u64) {
    match rec.lease(now, 30_000, "t1") {
        LeaseDecision::Leased { token, version } => (token, version),
        other => panic!("expected a lease, got {other:?}"),
    }
}

#[test]
fn record_keys_round_trip_through_strings() {
    let keys = [
        "kinerja.tahunan/198507142010011002/2025",
        "kinerja.periodik/198507142010011002/2025/triwulan/04",
        "kinerja.periodik/198507142010011002/2025/bulanan/12",
    ];
    for k in keys {
        let key: RecordKey = k.parse().expect("parses");
        assert_eq!(key.to_string(), k);
    }
    for bad in [
        "",
        "kinerja.tahunan/123/2025",
        "kinerja.periodik/198507142010011002/2025/x/1",
    ] {
        assert!(bad.parse::<RecordKey>().is_err(), "{bad}");
    }
    let key: RecordKey = keys[0].parse().expect("parses");
    assert_eq!(key.masked(), "kinerja.tahunan/1985**********1002/2025");
}

#[test]
fn older_or_equal_versions_never_overwrite() {
    let mut rec = SyncRecord::from_change(&upsert(5), NOW);
    assert_eq!(rec.apply_change(&upsert(5), NOW), ChangeEffect::Stale);
    assert_eq!(rec.apply_change(&upsert(3), NOW), ChangeEffect::Stale);
    assert_eq!(rec.received_version, 5);
    assert_eq!(rec.apply_change(&upsert(6), NOW), ChangeEffect::Applied);
    assert_eq!(rec.received_version, 6);
}

#[test]
fn happy_path_pending_sending_synced() {
    let mut rec = SyncRecord::from_change(&upsert(1), NOW);
    assert_eq!(rec.status, SyncStatus::Pending);
    assert_eq!(rec.due_at(), Some(NOW));
    let (token, version) = leased(&mut rec, NOW);
    assert_eq!(rec.status, SyncStatus::Sending);
    assert_eq!(
        rec.lease(NOW + 1, 30_000, "t2"),
        LeaseDecision::Busy {
            until: NOW + 30_000
        }
    );
    let ok = DeliveryOutcome::Delivered {
        bkn_id: Some("ABC".into()),
        deleted_at_bkn: false,
    };
    rec.finish_delivery(&token, version, &ok, &policy(), 0.5, NOW + 10)
        .expect("lease held");
    assert_eq!(rec.status, SyncStatus::Synced);
    assert_eq!(rec.delivered_version, Some(1));
    assert_eq!(rec.bkn_id.as_deref(), Some("ABC"));
    assert_eq!(rec.due_at(), None);
    assert_eq!(rec.lease(NOW + 20, 30_000, "t3"), LeaseDecision::Settled);
}

#[test]
fn a_newer_version_arriving_in_flight_is_delivered_next() {
    let mut rec = SyncRecord::from_change(&upsert(1), NOW);
    let (token, version) = leased(&mut rec, NOW);
    assert_eq!(rec.apply_change(&upsert(2), NOW + 1), ChangeEffect::Applied);
    assert_eq!(rec.status, SyncStatus::Sending, "the live lease is kept");
    let ok = DeliveryOutcome::Delivered {
        bkn_id: Some("ABC".into()),
        deleted_at_bkn: false,
    };
    rec.finish_delivery(&token, version, &ok, &policy(), 0.5, NOW + 2)
        .expect("lease held");
    assert_eq!(rec.status, SyncStatus::Pending);
    assert_eq!(rec.delivered_version, Some(1));
    assert_eq!(
        rec.bkn_id.as_deref(),
        Some("ABC"),
        "the id is kept for the update"
    );
}

#[test]
fn transient_failures_back_off_then_die() {
    let mut rec = SyncRecord::from_change(&upsert(1), NOW);
    let mut now = NOW;
    for attempt in 1..=3u32 {
        let (token, version) = leased(&mut rec, now);
        let err = DeliveryOutcome::Transient {
            error: "timeout".into(),
            retry_after_ms: None,
            ambiguous_create: attempt == 1,
        };
        rec.finish_delivery(&token, version, &err, &policy(), 0.5, now)
            .expect("lease held");
        assert_eq!(rec.attempts, attempt);
        if attempt < 3 {
            assert_eq!(rec.status, SyncStatus::Retrying);
            let at = rec.next_attempt_at.expect("scheduled");
            assert_eq!(at - now, policy().delay_ms(attempt, 0.5));
            assert!(matches!(
                rec.lease(now, 1, "x"),
                LeaseDecision::NotDue { .. }
            ));
            now = at;
        }
    }
    assert_eq!(rec.status, SyncStatus::Dead);
    assert!(rec.create_unconfirmed, "an ambiguous create is remembered");
    assert!(rec.replay(now));
    assert_eq!(rec.status, SyncStatus::Pending);
    assert_eq!(rec.attempts, 0);
}

#[test]
fn retry_after_is_honoured_when_longer_than_the_backoff() {
    let mut rec = SyncRecord::from_change(&upsert(1), NOW);
    let (token, version) = leased(&mut rec, NOW);
    let err = DeliveryOutcome::Transient {
        error: "429".into(),
        retry_after_ms: Some(45_000),
        ambiguous_create: false,
    };
    rec.finish_delivery(&token, version, &err, &policy(), 0.5, NOW)
        .expect("lease held");
    assert_eq!(rec.next_attempt_at, Some(NOW + 45_000));
}

#[test]
fn permanent_failure_stops_and_a_corrected_version_revives() {
    let mut rec = SyncRecord::from_change(&upsert(1), NOW);
    let (token, version) = leased(&mut rec, NOW);
    let err = DeliveryOutcome::Permanent {
        error: "PnsDinilaiId is required".into(),
    };
    rec.finish_delivery(&token, version, &err, &policy(), 0.5, NOW)
        .expect("lease held");
    assert_eq!(rec.status, SyncStatus::Failed);
    assert_eq!(rec.last_error.as_deref(), Some("PnsDinilaiId is required"));
    assert_eq!(rec.due_at(), None);
    rec.apply_change(&upsert(2), NOW + 5);
    assert_eq!(rec.status, SyncStatus::Pending);
    assert_eq!(rec.last_error, None);
}

#[test]
fn an_expired_lease_is_taken_over_and_counted() {
    let mut rec = SyncRecord::from_change(&upsert(1), NOW);
    let (old_token, version) = leased(&mut rec, NOW);
    let decision = rec.lease(NOW + 31_000, 30_000, "t2");
    assert!(matches!(decision, LeaseDecision::Leased { .. }));
    assert_eq!(rec.attempts, 1);
    assert!(rec.create_unconfirmed);
    let ok = DeliveryOutcome::Delivered {
        bkn_id: None,
        deleted_at_bkn: false,
    };
    assert_eq!(
        rec.finish_delivery(&old_token, version, &ok, &policy(), 0.5, NOW + 32_000),
        Err(LeaseLost),
        "the worker that lost its lease cannot write"
    );
}

#[test]
fn a_delete_clears_the_bkn_id_once_applied() {
    let mut rec = SyncRecord::from_change(&upsert(1), NOW);
    rec.bkn_id = Some("ID".into());
    rec.delivered_version = Some(1);
    rec.status = SyncStatus::Synced;
    let delete = Change {
        key: rec.key.clone(),
        version: 2,
        action: ChangeAction::Delete,
        pns_id: None,
    };
    rec.apply_change(&delete, NOW);
    assert!(rec.deleted);
    assert_eq!(rec.months, None);
    let (token, version) = leased(&mut rec, NOW);
    let ok = DeliveryOutcome::Delivered {
        bkn_id: None,
        deleted_at_bkn: true,
    };
    rec.finish_delivery(&token, version, &ok, &policy(), 0.5, NOW)
        .expect("lease held");
    assert_eq!(rec.bkn_id, None);
    assert_eq!(rec.status, SyncStatus::Synced);
}

#[test]
fn release_returns_the_record_without_counting_an_attempt() {
    let mut rec = SyncRecord::from_change(&upsert(1), NOW);
    let (token, _) = leased(&mut rec, NOW);
    rec.release(&token, NOW + 5_000, NOW).expect("lease held");
    assert_eq!(rec.status, SyncStatus::Pending);
    assert_eq!(rec.attempts, 0);
    assert_eq!(rec.due_at(), Some(NOW + 5_000));
}

#[test]
fn a_pns_id_from_ehrm_fills_a_gap_and_never_replaces_a_known_one() {
    let mut first = upsert(1);
    first.pns_id = Some("A".repeat(32));
    let mut rec = SyncRecord::from_change(&first, NOW);
    assert_eq!(rec.siasn_pns_id.as_deref(), Some("A".repeat(32).as_str()));
    rec.siasn_pns_id = Some("B".repeat(32)); // what data-utama answered after BKN refused "A…"
    let mut second = upsert(2);
    second.pns_id = Some("A".repeat(32));
    rec.apply_change(&second, NOW);
    assert_eq!(rec.siasn_pns_id.as_deref(), Some("B".repeat(32).as_str()));
}
