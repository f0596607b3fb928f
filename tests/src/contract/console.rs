//! What the console reads besides records: follow-up marks and chart series, counted by the
//! store as attempts are appended and rate-gate slots taken.

use ehrm_sync_core::ports::{self as series, HOUR_MS, MINUTE_MS};
use ehrm_sync_core::ports::{AttemptEntry, AttemptOutcome};
use ehrm_sync_core::ports::{FindingMark, MarkState, Operation};

use super::StoreUnderTest;
use super::store::{annual_change, random_nip};

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:016x}", rand::random::<u64>())
}

pub async fn finding_marks_are_replaced_and_listed(b: &StoreUnderTest) {
    let id = unique("finding");
    let mark = |state, note: &str, at| FindingMark {
        finding_id: id.clone(),
        state,
        note: note.into(),
        by: "sari".into(),
        at,
    };
    b.marks
        .put_mark(&mark(MarkState::Handled, "diperbaiki di SIASN", 1))
        .await
        .expect("put");
    b.marks
        .put_mark(&mark(MarkState::Ignored, "bukan kesalahan", 2))
        .await
        .expect("put again");
    let mine: Vec<FindingMark> = b
        .marks
        .marks()
        .await
        .expect("marks")
        .into_iter()
        .filter(|m| m.finding_id == id)
        .collect();
    assert_eq!(mine, vec![mark(MarkState::Ignored, "bukan kesalahan", 2)]);
}

pub async fn series_add_set_and_read_a_range(b: &StoreUnderTest) {
    let name = unique("series");
    let s = &b.series;
    s.add_to_series(&name, 3_600_000, 2).await.expect("add");
    s.add_to_series(&name, 3_600_000, 3)
        .await
        .expect("add again");
    s.add_to_series(&name, 7_200_000, 1)
        .await
        .expect("add next hour");
    s.set_in_series(&name, 10_800_000, 40).await.expect("set");
    s.set_in_series(&name, 10_800_000, 7)
        .await
        .expect("set again");
    assert_eq!(
        s.series(&name, 3_600_000, 10_800_001).await.expect("range"),
        vec![(3_600_000, 5), (7_200_000, 1), (10_800_000, 7)]
    );
    assert_eq!(
        s.series(&name, 3_600_001, 10_800_000)
            .await
            .expect("half-open range"),
        vec![(7_200_000, 1)],
        "from is inclusive, until exclusive"
    );
}

pub async fn attempts_and_gate_slots_are_counted(b: &StoreUnderTest) {
    // An hour of its own, far from any other case's attempts.
    let hour = (4_000_000 + i64::from(rand::random::<u16>())) * HOUR_MS;
    let key = annual_change(&random_nip(), 2025, 1).key;
    for (i, outcome) in [
        AttemptOutcome::Transient,
        AttemptOutcome::Transient,
        AttemptOutcome::Delivered,
    ]
    .into_iter()
    .enumerate()
    {
        let attempt = AttemptEntry {
            record_key: key.to_string(),
            at: hour + 1_000 * i as i64,
            version: 1,
            operation: vec![Operation::Create].into(),
            outcome,
            http_status: None,
            message: None,
            duration_ms: 5,
        };
        b.store.append_attempt(&attempt).await.expect("attempt");
    }
    let count = |o| {
        let s = b.series.clone();
        async move {
            s.series(&series::outcome_series(o), hour, hour + HOUR_MS)
                .await
                .expect("series")
        }
    };
    assert_eq!(count(AttemptOutcome::Transient).await, vec![(hour, 2)]);
    assert_eq!(count(AttemptOutcome::Delivered).await, vec![(hour, 1)]);
    assert!(count(AttemptOutcome::Permanent).await.is_empty());

    let slot = b
        .gate
        .reserve(0, &ehrm_sync_domain::rate::RatePolicy::fixed(1000.0, 0))
        .await
        .expect("slot");
    let minute = series::bucket(slot, MINUTE_MS);
    let calls = b
        .series
        .series(series::BKN_CALLS, minute, minute + MINUTE_MS)
        .await
        .expect("calls");
    assert!(
        calls
            .first()
            .is_some_and(|(at, n)| *at == minute && *n >= 1),
        "the slot's minute counts a BKN call: {calls:?}"
    );
}
