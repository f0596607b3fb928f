//! BKN SSO tokens on AWS's shapes (`docs/bkn-sso.md`): with no password login, the deliver
//! function makes no BKN call and spends no attempt until an operator pastes a token through the
//! console function; the token goes to the BKN SSO secret, the deliver function picks it up
//! without a redeploy and drains; when the token expires, work waits again.

use std::sync::Arc;

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_core::sso::SsoDesk;
use ehrm_sync_domain::record::{RecordKey, SyncStatus};
use ehrm_sync_domain::sso::{Standing, WaitReason};
use ehrm_sync_population::{PopulationSpec, generate};
use ehrm_sync_tests::aws::world::{AwsWorld, Shape};
use ehrm_sync_tests::console::aws::console_function;
use ehrm_sync_tests::console::{Client, OPERATOR};
use ehrm_sync_tests::patience;
use siasn_sim::{Faults, SsoPolicy};

const ACCESS_TTL_SECS: u64 = 25;

/// Why work waits, as every page and the deliver function see it.
async fn waiting_for(desk: &SsoDesk) -> Option<WaitReason> {
    match desk.standing().await.expect("the SSO status").1 {
        Standing::Waiting { reason } => Some(reason),
        _ => None,
    }
}

async fn record(w: &AwsWorld, key: &RecordKey) -> ehrm_sync_domain::record::SyncRecord {
    w.adapters
        .store
        .record(key)
        .await
        .expect("readable")
        .expect("present")
}

/// Pumps the queue as the event source mapping would until `done` holds for the record.
async fn pump_until(
    w: &AwsWorld,
    key: &RecordKey,
    what: &str,
    done: impl Fn(&ehrm_sync_domain::record::SyncRecord) -> bool,
) {
    let started = std::time::Instant::now();
    loop {
        w.pump().await;
        let r = record(w, key).await;
        if done(&r) {
            return;
        }
        assert!(started.elapsed() < patience::secs(90), "{what}: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_pasted_through_the_console_function_reaches_the_deliver_function() {
    let population = generate(&PopulationSpec {
        seed: 37,
        employees: 6,
        ..Default::default()
    });
    let faults = Faults {
        sso: SsoPolicy {
            access_ttl_secs: ACCESS_TTL_SECS,
            browser_login_only: true,
            ..SsoPolicy::default()
        },
        ..Faults::default()
    };
    let w = AwsWorld::start_custom(
        population,
        faults,
        &[],
        100.0,
        &[("BKN_SSO_USERNAME", ""), ("BKN_SSO_PASSWORD", "")],
        Arc::new(ehrm_sync_core::clock::SystemClock),
    )
    .await;
    let desk = ehrm_sync_aws::wiring::sso_desk(&w.env, &w.adapters).expect("desk");

    // No token: the deliver function calls no one and spends nothing.
    let (body, key) = w.changed_annual(0);
    assert_eq!(w.post_change(Shape::HttpApi, &body).await.0, 202);
    let started = std::time::Instant::now();
    while waiting_for(&desk).await != Some(WaitReason::NoToken) {
        w.pump().await;
        assert!(started.elapsed() < patience::secs(60), "work waits");
    }
    assert_eq!(
        w.sim.stats().calls_total,
        0,
        "no call to BKN without a token"
    );
    let r = record(&w, &key).await;
    assert_eq!((r.status, r.attempts), (SyncStatus::Pending, 0), "{r:?}");

    // An operator pastes a browser login's access token on the console function.
    let c = Client::new(console_function(&w.adapters, "10.1.2.3"));
    assert_eq!(c.login(OPERATOR.0, OPERATOR.1).await.status, 303);
    let page = c.get("/console/tindakan/token-sso").await;
    assert!(page.text().contains("sso-banner"), "the banner shows");
    let token = w.sim.browser_login()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let answer = c
        .post(
            "/console/tindakan/token-sso",
            &[("csrf", &page.csrf()), ("token", &token)],
        )
        .await;
    assert!(
        answer.text().contains("id=\"sso-saved\""),
        "{}",
        answer.text()
    );
    assert!(!answer.text().contains(&token), "never shown back");
    let held = w
        .adapters
        .sso_vault
        .as_ref()
        .expect("the BKN SSO secret is configured")
        .held(0)
        .await
        .expect("the BKN SSO secret")
        .expect("a token held");
    assert_eq!(
        held.access.as_ref().map(|t| t.expose()),
        Some(token.as_str()),
        "the token is kept in the BKN SSO secret"
    );

    // The deliver function (built before the paste) picks it up and delivers.
    pump_until(&w, &key, "delivered with the pasted token", |r| {
        r.status == SyncStatus::Synced
    })
    .await;
    let attempts = w.adapters.store.attempts(&key).await.expect("attempts");
    assert_eq!(attempts.len(), 1, "waiting spent no attempt: {attempts:?}");

    // The token expires: the next change waits, with no call.
    let (body, key2) = w.changed_annual(1);
    let end = desk
        .status()
        .await
        .expect("status")
        .access_expires_at
        .expect("the token's expiry is known");
    let clock = ehrm_sync_core::clock::SystemClock;
    while ehrm_sync_core::ports::Clock::now_ms(&clock) < end {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let calls = w.sim.stats().calls_total;
    assert_eq!(w.post_change(Shape::HttpApi, &body).await.0, 202);
    let started = std::time::Instant::now();
    while waiting_for(&desk).await != Some(WaitReason::Expired) {
        w.pump().await;
        assert!(started.elapsed() < patience::secs(60), "work waits again");
    }
    assert_eq!(
        w.sim.stats().calls_total,
        calls,
        "no call with an expired token"
    );
    let r = record(&w, &key2).await;
    assert_eq!((r.status, r.attempts), (SyncStatus::Pending, 0), "{r:?}");
    let page = c.get("/console/").await.text();
    assert!(page.contains("banner bad"), "the console says work waits");
    assert_eq!(
        w.sim.stats().sso_refused,
        0,
        "no call carried an expired token"
    );
}
