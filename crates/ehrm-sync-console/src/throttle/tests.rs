use std::sync::Arc;

use ehrm_sync_core::memory::MemoryControls;

use super::*;

const NOW: Millis = 1_800_000_000_000;

async fn attempt(c: &dyn ControlStore, user: &str, address: &str) -> Admission {
    admit(c, user, address, NOW).await.expect("store")
}

#[tokio::test]
async fn a_pair_gets_five_attempts_then_waits_for_the_window() {
    let c = MemoryControls::default();
    for _ in 0..PAIR_LIMIT {
        assert_eq!(attempt(&c, "sari", "10.0.0.1").await, Admission::Check);
    }
    assert_eq!(
        attempt(&c, "sari", "10.0.0.1").await,
        Admission::Refused {
            until: NOW + WINDOW_MS,
            crossed: true
        }
    );
    assert_eq!(
        attempt(&c, "sari", "10.0.0.1").await,
        Admission::Refused {
            until: NOW + WINDOW_MS,
            crossed: false
        },
        "refusals after the crossing are not audited one by one"
    );
    // The same name from an address that has not failed still gets in.
    assert_eq!(attempt(&c, "sari", "10.0.0.2").await, Admission::Check);
    let later = admit(&c, "sari", "10.0.0.1", NOW + WINDOW_MS + 1)
        .await
        .expect("store");
    assert_eq!(later, Admission::Check, "a new window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_never_pass_the_limit() {
    let c = Arc::new(MemoryControls::default());
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            attempt(c.as_ref(), "sari", "10.0.0.1").await
        }));
    }
    let mut checked = 0;
    for t in tasks {
        if t.await.expect("joined") == Admission::Check {
            checked += 1;
        }
    }
    // Never more than the limit; on a busy machine a guess whose counters stayed contended for
    // every round is refused unchecked as well (fail closed), so fewer may be checked.
    assert!(
        (1..=PAIR_LIMIT).contains(&checked),
        "{checked} had their password checked"
    );
}

#[tokio::test]
async fn an_address_spraying_names_is_stopped_but_its_known_users_get_in() {
    let c = MemoryControls::default();
    attempt(&c, "budi", "10.0.0.9").await;
    signed_in(&c, "budi", "10.0.0.9", NOW).await.expect("store");
    for i in 0..ADDRESS_LIMIT {
        assert_eq!(
            attempt(&c, &format!("tamu{i}"), "10.0.0.9").await,
            Admission::Check
        );
    }
    assert!(matches!(
        attempt(&c, "tamu-lain", "10.0.0.9").await,
        Admission::Refused { .. }
    ));
    assert!(
        matches!(
            attempt(&c, "sari", "10.0.0.9").await,
            Admission::Refused { .. }
        ),
        "a name never signed in from here"
    );
    assert_eq!(
        attempt(&c, "budi", "10.0.0.9").await,
        Admission::Check,
        "a user who signed in from this address before"
    );
}

#[tokio::test]
async fn a_name_guessed_from_many_addresses_stays_open_to_a_fresh_one() {
    let c = MemoryControls::default();
    for i in 0..NAME_LIMIT {
        assert_eq!(
            attempt(&c, "sari", &format!("10.1.0.{i}")).await,
            Admission::Check
        );
    }
    assert!(
        matches!(
            attempt(&c, "sari", "10.1.0.3").await,
            Admission::Refused { .. }
        ),
        "an address that failed for the name"
    );
    assert_eq!(
        attempt(&c, "sari", "10.2.0.1").await,
        Admission::Check,
        "the real user at a fresh address"
    );
}
