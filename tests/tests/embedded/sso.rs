//! BKN logins as operators have them (`docs/bkn-sso.md`), end to end over HTTP against the
//! SIASN simulator's Keycloak: a backlog waits — no BKN call, no attempt spent, nothing failed —
//! whenever no usable SSO token is held, and drains after each token pasted on the console;
//! a refresh token renews itself until its session ends; an OTP account logs in with the code
//! of the moment, and a refused password is not tried again.

use std::sync::Arc;
use std::time::Duration;

use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_core::sso::SsoDesk;
use ehrm_sync_devkit::events::{SignedEvent, rated, upsert_body};
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_domain::sso::{SsoKind, SsoStatus, WaitReason};
use ehrm_sync_local::{LocalSettings, Runtime};
use ehrm_sync_population::Kinerja;
use ehrm_sync_tests::console::{Client, OPERATOR, http_transport, users_text};
use ehrm_sync_tests::harness::{Harness, HarnessOptions, fast_env, loopback};
use ehrm_sync_tests::patience;
use siasn_sim::{Faults, SsoPolicy};

const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The variables of a deployment without a password login, whose tokens are pasted.
fn paste_only_env(users: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("BKN_SSO_USERNAME", String::new()),
        ("BKN_SSO_PASSWORD", String::new()),
        (
            "BKN_TOKEN_KEY",
            ehrm_sync_local::vault::new_key().expect("key"),
        ),
        ("CONSOLE_USERS_FILE", users.display().to_string()),
        // A lease that a busy machine cannot run short before a write: these tests count
        // attempts, and a write refused for a short lease would spend one.
        ("LEASE_SECONDS", "30".into()),
        ("QUEUE_VISIBILITY_SECONDS", "40".into()),
    ]
}

fn users_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("users.txt");
    std::fs::write(&path, users_text()).expect("users file");
    (dir, path)
}

fn desk(store: &ehrm_sync_sqlite::SqliteStore) -> SsoDesk {
    SsoDesk::new(Arc::new(store.clone()), None, Arc::new(SystemClock))
}

async fn sso(store: &ehrm_sync_sqlite::SqliteStore) -> SsoStatus {
    desk(store).status().await.expect("the SSO status")
}

async fn waiting_for(store: &ehrm_sync_sqlite::SqliteStore) -> Option<WaitReason> {
    sso(store).await.waiting.map(|w| w.reason)
}

/// An operator signed in on the served console.
async fn operator(base: &str) -> Client {
    let c = Client::new(http_transport(base));
    let answer = c.login(OPERATOR.0, OPERATOR.1).await;
    assert_eq!(answer.status, 303, "signed in: {}", answer.text());
    c
}

/// Pastes `token` on Tindakan → Token SSO BKN; the page's answer.
async fn paste(c: &Client, token: &str) -> String {
    let page = c.get("/console/tindakan/token-sso").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = page.csrf();
    let answer = c
        .post(
            "/console/tindakan/token-sso",
            &[("csrf", &csrf), ("token", token)],
        )
        .await;
    assert_eq!(answer.status, 200);
    answer.text()
}

fn changed(k: &Kinerja) -> Kinerja {
    if (k.hasil_kinerja, k.perilaku_kerja) == (1, 2) {
        rated(k, 2, 2, 2)
    } else {
        rated(k, 1, 2, 2)
    }
}

/// One changed annual record per employee: each needs a save at BKN.
async fn send_backlog(h: &Harness, n: usize) {
    for i in 0..n {
        let e = h.employee(i).clone();
        let k = e.latest_annual().cloned().expect("an annual record");
        let (status, _) = h.send(&upsert_body(&e, &changed(&k), k.version + 1)).await;
        assert_eq!(status, 202);
    }
}

async fn count(store: &dyn SyncStore, status: SyncStatus) -> u64 {
    store
        .count_by_status()
        .await
        .expect("counts")
        .into_iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| n)
}

async fn with_status(
    store: &dyn SyncStore,
    status: SyncStatus,
) -> Vec<ehrm_sync_domain::record::SyncRecord> {
    store
        .records_by_status(status, 0, i64::MAX, 100_000)
        .await
        .expect("records")
}

/// No record failed or went dead, and those not yet delivered have spent no attempt.
async fn nothing_spent(store: &dyn SyncStore) {
    for status in [
        SyncStatus::Failed,
        SyncStatus::Dead,
        SyncStatus::NeedsAction,
    ] {
        assert_eq!(
            count(store, status).await,
            0,
            "no record {status} while waiting for a token"
        );
    }
    for status in [SyncStatus::Pending, SyncStatus::Retrying] {
        for rec in with_status(store, status).await {
            assert_eq!(rec.attempts, 0, "no attempt spent while waiting: {rec:?}");
        }
    }
}

fn browser_only(access_ttl_secs: u64) -> Faults {
    Faults {
        sso: SsoPolicy {
            access_ttl_secs,
            browser_login_only: true,
            lb_cookie: Some("BIGipServer~siasn~pool".into()),
            lb_cookie_required: true,
            ..SsoPolicy::default()
        },
        ..Faults::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_waits_for_each_pasted_token_and_drains_through_two_expiries() {
    let (_users_dir, users) = users_file();
    let n = 300;
    let h = Harness::start(HarnessOptions {
        employees: n,
        rate: 10.0,
        faults: browser_only(30),
        env: paste_only_env(&users),
        ..HarnessOptions::default()
    })
    .await;
    let store = h.runtime.as_ref().expect("running").store.clone();
    send_backlog(&h, n).await;

    // Nothing to log in with: work waits, and BKN is not called at all.
    assert!(
        patience::until(patience::secs(20), || async {
            waiting_for(&store).await == Some(WaitReason::NoToken)
        })
        .await,
        "work waits for a token: {:?}",
        sso(&store).await
    );
    assert_eq!(
        h.sim.stats().calls_total,
        0,
        "no call to BKN without a token"
    );
    let c = operator(&h.base).await;
    let overview = c.get("/console/").await.text();
    assert!(overview.contains("id=\"sso-banner\""), "the banner shows");

    let mut expiries = 0;
    for round in 0..12 {
        let tokens = h.sim.browser_login();
        let token = tokens["access_token"]
            .as_str()
            .expect("a token")
            .to_string();
        let answer = paste(&c, &token).await;
        assert!(
            answer.contains("id=\"sso-saved\""),
            "round {round}: {answer}"
        );
        assert!(!answer.contains(&token), "the token is never shown again");
        // The token ends within two hours: the warning shows at once.
        assert!(answer.contains("banner warn"), "warned before it ends");
        let store_ref = &store;
        let ended = patience::until(patience::secs(90), || async move {
            waiting_for(store_ref).await == Some(WaitReason::Expired)
                || ehrm_sync_devkit::world::wait_drained(
                    store_ref,
                    Duration::ZERO,
                    Duration::from_millis(1),
                )
                .await
                .is_ok_and(|d| d.done)
        })
        .await;
        assert!(ended, "round {round}: drained or the token expired");
        if waiting_for(&store).await != Some(WaitReason::Expired) {
            break;
        }
        expiries += 1;
        nothing_spent(&store).await;
        // A call sent just before the token's end (with a valid token) may land after the
        // wait was recorded; from the next page view on, none does.
        let page = c.get("/console/").await.text();
        assert!(page.contains("banner bad"), "waiting shows on every page");
        let calls = h.sim.stats().api_calls;
        let waited = sso(&store).await;
        let again = c.get("/console/").await.text();
        assert!(again.contains("banner bad"), "still waiting: {waited:?}");
        nothing_spent(&store).await;
        assert_eq!(
            h.sim.stats().api_calls,
            calls,
            "no BKN call while no valid token is held"
        );
    }
    assert!(expiries >= 2, "two expiries mid-backlog, not {expiries}");
    assert!(h.wait_drained(Duration::from_secs(60)).await, "drained");
    let shared: &dyn SyncStore = &store;
    assert_eq!(count(shared, SyncStatus::Synced).await, n as u64);
    for i in 0..n {
        let e = h.employee(i);
        let key = ehrm_sync_domain::record::RecordKey::Tahunan {
            nip: ehrm_sync_domain::nip::Nip::parse(&e.nip).expect("nip"),
            tahun: e.latest_annual().expect("annual").tahun,
        };
        let attempts = shared.attempts(&key).await.expect("attempts");
        assert_eq!(attempts.len(), 1, "one attempt, delivered: {attempts:?}");
    }
    let s = h.sim.stats();
    assert_eq!(s.duplicates, 0);
    assert_eq!(s.sso_refused, 0, "every call carried a valid SSO token");
    assert_eq!(s.token_errors, 0);
    assert_eq!(s.password_grants, 0, "the SSO was not probed");
    assert_eq!(
        s.calls_without_lb_cookie, 0,
        "the gateway's cookie was kept"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_renews_itself_until_its_session_ends_then_work_waits_and_ehrm_is_told() {
    let world =
        ehrm_sync_devkit::world::ReconcileWorld::start(ehrm_sync_devkit::world::WorldSpec {
            employees: 160,
            seed: 41,
            per_kind: 0,
            rate: 4.0,
        })
        .await
        .expect("world");
    world.siasn.set_faults(Faults {
        sso: SsoPolicy {
            access_ttl_secs: 16,
            session_max_secs: 45,
            browser_login_only: true,
            ..SsoPolicy::default()
        },
        ..Faults::default()
    });
    let (_users_dir, users) = users_file();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut env = world.env.clone();
    for (k, v) in fast_env().into_iter().chain(paste_only_env(&users)) {
        env.insert(k.into(), v);
    }
    let settings = LocalSettings::from_env(&env, dir.path().join("store.db"), loopback(), 2)
        .expect("settings");
    let runtime = Runtime::start(settings).await.expect("serve");
    let base = format!("http://{}", runtime.addr);
    let c = operator(&base).await;
    let tokens = world.siasn.browser_login();
    let answer = paste(&c, tokens["refresh_token"].as_str().expect("refresh")).await;
    assert!(answer.contains("refresh token"), "{answer}");

    // A backlog slow enough to outlast the session.
    let secret = ehrm_sync_webhook::Secret::parse(env.get("EHRM_WEBHOOK_SECRET").expect("secret"))
        .expect("whsec");
    let http = reqwest::Client::new();
    for (i, e) in world.injected.ehrm.employees.iter().enumerate() {
        let Some(k) = e.latest_annual() else { continue };
        let body = upsert_body(e, &changed(k), k.version + 1);
        let ev = SignedEvent::sign(
            &secret,
            &format!("evt_sso_{i}"),
            body.to_string().into_bytes(),
        );
        ev.send(&http, &base).await.expect("ingest");
    }
    let store = runtime.store.clone();
    assert!(
        patience::until(patience::secs(120), || async {
            waiting_for(&store).await == Some(WaitReason::SessionEnded)
        })
        .await,
        "the session ends: {:?}",
        sso(&store).await
    );
    let s = world.siasn.stats();
    assert!(s.refresh_grants >= 2, "renewed by itself: {s:?}");
    assert_eq!(s.sso_refused, 0, "never a call with a token past its life");
    assert_eq!(s.password_grants, 0);
    nothing_spent(&store).await;
    let status = sso(&store).await;
    assert_eq!(status.kind, Some(SsoKind::RefreshToken));
    assert_eq!(
        status.subject_nip.as_deref(),
        Some(world.siasn.credentials().sso_username.as_str())
    );

    // eHRM was warned before the end, and told when work began to wait.
    let told = |state: &'static str| {
        let ehrm = &world.ehrm;
        async move {
            ehrm.callbacks()
                .iter()
                .any(|cb| cb.payload["type"] == "bkn.sso" && cb.payload["data"]["state"] == state)
        }
    };
    assert!(
        patience::until(patience::secs(60), || told("expiring")).await,
        "expiring told"
    );
    assert!(
        patience::until(patience::secs(60), || told("waiting")).await,
        "waiting told"
    );

    // A new refresh token: the rest drains.
    let again = world.siasn.browser_login();
    world.siasn.set_faults(Faults {
        sso: SsoPolicy {
            access_ttl_secs: 300,
            browser_login_only: true,
            ..SsoPolicy::default()
        },
        ..Faults::default()
    });
    let again = paste(&c, again["refresh_token"].as_str().expect("refresh")).await;
    assert!(again.contains("sso-saved"), "{again}");
    let shared: &dyn SyncStore = &store;
    assert!(
        ehrm_sync_devkit::world::wait_drained(
            shared,
            patience::secs(240),
            Duration::from_millis(200)
        )
        .await
        .is_ok_and(|d| d.done),
        "drained after the new token"
    );
    nothing_spent(&store).await;
    assert_eq!(world.siasn.stats().duplicates, 0);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_otp_account_logs_in_with_the_code_of_the_moment() {
    let otp = Faults {
        sso: SsoPolicy {
            totp_secret: Some(TOTP_SECRET.into()),
            ..SsoPolicy::default()
        },
        ..Faults::default()
    };
    let h = Harness::start(HarnessOptions {
        employees: 8,
        faults: otp.clone(),
        env: vec![("BKN_SSO_TOTP_SECRET", TOTP_SECRET.to_string())],
        ..HarnessOptions::default()
    })
    .await;
    send_backlog(&h, 8).await;
    assert!(h.wait_drained(Duration::from_secs(30)).await, "delivered");
    let store = h.runtime.as_ref().expect("running").store.clone();
    let shared: &dyn SyncStore = &store;
    assert_eq!(count(shared, SyncStatus::Synced).await, 8);
    assert_eq!(sso(&store).await.kind, Some(SsoKind::PasswordOtp));
    assert!(h.sim.stats().password_grants >= 1);
    h.shutdown().await;

    // Without the secret the account's password grant is refused, once, and work waits.
    let h = Harness::start(HarnessOptions {
        employees: 8,
        faults: otp,
        ..HarnessOptions::default()
    })
    .await;
    send_backlog(&h, 8).await;
    let store = h.runtime.as_ref().expect("running").store.clone();
    assert!(
        patience::until(patience::secs(20), || async {
            waiting_for(&store).await == Some(WaitReason::WrongPassword)
        })
        .await,
        "waits: {:?}",
        sso(&store).await
    );
    let waiting = sso(&store).await.waiting.expect("waiting");
    assert_eq!(
        waiting.detail.as_deref(),
        Some("Invalid user credentials"),
        "Keycloak's words kept"
    );
    // Every message has been taken and put back to wait: one login was tried, not eight.
    let queue = h.runtime.as_ref().expect("running").queue.clone();
    let queue_ref = &queue;
    assert!(
        patience::until(patience::secs(30), || async move {
            queue_ref
                .stats()
                .await
                .is_ok_and(|q| q.visible == 0 && q.in_flight == 8)
        })
        .await,
        "every message waits"
    );
    assert_eq!(h.sim.stats().password_grants, 1, "not tried again");
    assert_eq!(h.sim.stats().api_calls, 0);
    nothing_spent(&store).await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paste_is_refused_with_words_when_the_token_is_expired_or_not_one() {
    let (_users_dir, users) = users_file();
    let h = Harness::start(HarnessOptions {
        employees: 2,
        faults: browser_only(1),
        env: paste_only_env(&users),
        ..HarnessOptions::default()
    })
    .await;
    let c = operator(&h.base).await;
    let expired = h.sim.browser_login()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let store = h.runtime.as_ref().expect("running").store.clone();
    let expired_ref = &expired;
    assert!(
        patience::until(patience::secs(10), || async move {
            ehrm_sync_domain::sso::read_jwt(expired_ref)
                .and_then(|f| f.expires_at)
                .is_some_and(|at| at <= ehrm_sync_core::ports::Clock::now_ms(&SystemClock))
        })
        .await
    );
    let answer = paste(&c, &expired).await;
    assert!(
        answer.contains("sso-refused") && answer.contains("kedaluwarsa"),
        "{answer}"
    );
    assert!(!answer.contains(&expired));
    let answer = paste(&c, "not a token; DROP TABLE").await;
    assert!(answer.contains("bukan token"), "{answer}");
    assert_eq!(sso(&store).await.revision, 0, "nothing kept");
    // A viewer cannot paste.
    let viewer = Client::new(http_transport(&h.base));
    viewer
        .login(
            ehrm_sync_tests::console::VIEWER.0,
            ehrm_sync_tests::console::VIEWER.1,
        )
        .await;
    assert_eq!(viewer.get("/console/tindakan/token-sso").await.status, 403);
    h.shutdown().await;
}
