//! A long BKN outage on AWS shapes (DynamoDB + SQS from the template on `AWS_ENDPOINT_URL`): a
//! backlog waits through six simulated hours of BKN being down while the deliver function and
//! the sweeper keep running, then BKN returns. The dead-letter queue must stay empty throughout
//! (waits are not failures), and the backlog must drain with nothing lost and no duplicate.
//!
//! Time is simulated: every service reads a clock the test moves forward five minutes per step,
//! so breaker windows, backoff and the sweeper's intervals are those of six hours, while SQS
//! visibility (real seconds) only sees the short waits the deliver function holds.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ports::{Clock, DeadLetters, SyncStore};
use ehrm_sync_core::sweep::{SweepSettings, Sweeper};
use ehrm_sync_devkit::events::upsert_body;
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_population::{Kinerja, PopulationSpec, generate};
use ehrm_sync_tests::aws::world::{AwsWorld, Shape};
use siasn_sim::Faults;

/// Real time moved forward by the test.
struct ShiftedClock(AtomicI64);

impl Clock for ShiftedClock {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms() + self.0.load(Ordering::Relaxed)
    }
}

const STEP_MS: i64 = 5 * 60_000;
const OUTAGE_MS: i64 = 6 * 3_600_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_six_hour_outage_never_reaches_the_dead_letter_queue() {
    let clock = Arc::new(ShiftedClock(AtomicI64::new(0)));
    let population = generate(&PopulationSpec {
        seed: 61,
        employees: 24,
        ..Default::default()
    });
    let w = AwsWorld::start_custom(
        population,
        Faults {
            down: true,
            ..Faults::default()
        },
        // A small receive limit: a design that spent receives on waits would fill the DLQ fast.
        &[("DeliveryMaxReceiveCount", "4")],
        100.0,
        &[
            ("QUEUE_MAX_RECEIVES", "4"),
            ("QUEUE_HOLD_MAX_SECONDS", "2"),
            ("BREAKER_FAILURES", "3"),
            ("BREAKER_COOLDOWN_SECONDS", "30"),
            ("BREAKER_MAX_COOLDOWN_SECONDS", "600"),
        ],
        clock.clone(),
    )
    .await;
    assert_eq!(w.stack.max_receives().await, 4);
    let sweeper = Sweeper::new(
        Arc::new(w.adapters.store.clone()),
        Arc::new(w.adapters.queue.clone()),
        clock.clone(),
        SweepSettings::default(),
    );

    // The backlog: one changed annual record per employee, sent while BKN is down.
    let mut keys = Vec::new();
    for e in &w.population.employees {
        let Some(k) = e.latest_annual() else {
            continue;
        };
        let k = Kinerja {
            hasil_kinerja: 1,
            perilaku_kerja: 1,
            predikat: 1,
            ..k.clone()
        };
        let (status, answer) = w
            .post_change(Shape::HttpApi, &upsert_body(e, &k, k.version + 1))
            .await;
        assert_eq!(status, 202, "{answer}");
        keys.push(answer["record_key"].as_str().expect("key").to_string());
    }
    assert!(keys.len() >= 20);

    let mut steps = 0;
    let mut max_dlq = 0;
    while clock.0.load(Ordering::Relaxed) < OUTAGE_MS {
        step(&w, &sweeper, &clock).await;
        max_dlq = max_dlq.max(w.adapters.queue.depth().await.expect("DLQ depth"));
        assert_eq!(
            max_dlq, 0,
            "a waiting message reached the DLQ after {steps} steps"
        );
        steps += 1;
    }
    let outage_answers = w.sim.stats().outage_answers;
    assert!(outage_answers > 0, "BKN was asked during the outage");
    assert_eq!(
        w.sim.stats().creates + w.sim.stats().updates,
        0,
        "nothing reached BKN while it was down"
    );

    w.sim.set_faults(Faults::default());
    let deadline = Instant::now() + ehrm_sync_tests::patience::secs(240);
    loop {
        step(&w, &sweeper, &clock).await;
        assert_eq!(w.adapters.queue.depth().await.expect("DLQ depth"), 0);
        let mut open = 0;
        for key in &keys {
            let rec = w
                .adapters
                .store
                .record(&key.parse().expect("key"))
                .await
                .expect("read")
                .expect("kept");
            assert_ne!(
                rec.status,
                SyncStatus::Dead,
                "{key}: the outage spent its attempts"
            );
            if rec.status != SyncStatus::Synced {
                open += 1;
            }
        }
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} records still open after BKN returned"
        );
    }
    // Exactly one record at BKN per change: nothing lost, nothing duplicated.
    let mut seen = HashSet::new();
    for key in &keys {
        let parts: Vec<&str> = key.split('/').collect();
        let (nip, tahun) = (parts[1], parts[2].parse::<i64>().expect("year"));
        let at_bkn: Vec<_> = w
            .sim
            .annual_records(nip)
            .into_iter()
            .filter(|r| r.1 == tahun)
            .collect();
        assert_eq!(at_bkn.len(), 1, "{key}: {at_bkn:?}");
        assert_eq!(
            at_bkn[0].4, 1,
            "{key}: the latest version (predikat 1) is at BKN"
        );
        seen.insert(key.clone());
    }
    println!(
        "outage[aws]: {} records, {steps} steps of 5 simulated minutes, {outage_answers} calls met the outage, DLQ max depth {max_dlq}",
        seen.len()
    );
}

/// Five simulated minutes: the clock moves, the sweeper runs (as on its 5-minute schedule), and
/// the deliver function takes everything the queue hands out until it is quiet.
async fn step(w: &AwsWorld, sweeper: &Sweeper, clock: &ShiftedClock) {
    clock.0.fetch_add(STEP_MS, Ordering::Relaxed);
    sweeper.sweep().await.expect("sweep");
    for _ in 0..20 {
        let (messages, _) = w.pump().await;
        if messages.is_empty() {
            break;
        }
    }
}
