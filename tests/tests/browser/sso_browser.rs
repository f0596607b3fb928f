//! An operator pastes a BKN SSO token in a real browser (`docs/bkn-sso.md`): the red banner on
//! every page says work waits for a token, the paste page takes the refresh token a browser
//! login at the simulator's Keycloak gave, and the waiting record is delivered. The token page
//! is read at an office width and a phone's, without sideways scrolling.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_devkit::world::{ReconcileWorld, WorldSpec};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::SyncStatus;
use ehrm_sync_tests::console::OPERATOR;
use siasn_sim::{Faults, SsoPolicy};

use super::console_browser::{
    annual_record, browser, click, fill, login, send_new_appraiser, serve_world, shot, text_of,
};

/// The page is no wider than the window: nothing needs scrolling sideways.
async fn fits(c: &Client, width: u32, what: &str) {
    c.set_window_size(width, 900).await.expect("window size");
    let widths = c
        .execute(
            "const wide = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
               .slice(0, 6)
               .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className);
             return [document.documentElement.scrollWidth, window.innerWidth, wide];",
            vec![],
        )
        .await
        .expect("widths");
    let (page, window) = (widths[0].as_i64(), widths[1].as_i64());
    assert!(
        page.is_some() && page <= window,
        "{what} at {width} px: page {page:?} wider than the window {window:?}: {}",
        widths[2]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_pastes_a_refresh_token_and_waiting_work_is_delivered() {
    let world = ReconcileWorld::start(WorldSpec {
        employees: 10,
        seed: 7,
        per_kind: 0,
        rate: 400.0,
    })
    .await
    .expect("world");
    // The instansi's client has no direct grants: only a browser login gives tokens.
    world.siasn.set_faults(Faults {
        sso: SsoPolicy {
            browser_login_only: true,
            ..SsoPolicy::default()
        },
        ..Faults::default()
    });
    let served = serve_world(
        &world,
        vec![
            ("BKN_SSO_USERNAME", String::new()),
            ("BKN_SSO_PASSWORD", String::new()),
            (
                "BKN_TOKEN_KEY",
                ehrm_sync_local::vault::new_key().expect("key"),
            ),
        ],
    )
    .await;
    let (runtime, base) = (&served.runtime, served.base.clone());

    // A change that needs a save at BKN (another appraiser than BKN holds).
    let (employee, record) = annual_record(&world);
    send_new_appraiser(&served, employee, record, "evt_sso_browser_1").await;

    let (c, _driver) = browser().await;
    c.set_window_size(1366, 900).await.expect("office width");
    login(&c, &base, OPERATOR.0, OPERATOR.1).await;
    // Work waits for a token, said on every page in words, with the way to the paste page.
    let banner = text_of(&c, "#sso-banner").await;
    assert!(banner.contains("Belum ada token SSO BKN"), "{banner}");
    shot(&c, "20-sso-menunggu").await;
    click(&c, "#sso-banner a").await;
    c.find(Locator::Css("#sso-token"))
        .await
        .expect("the paste page");
    fits(&c, 1366, "the token page").await;
    shot(&c, "21-token-sso").await;
    fits(&c, 390, "the token page").await;
    shot(&c, "22-token-sso-ponsel").await;
    c.set_window_size(1366, 900).await.expect("office width");

    let tokens = world.siasn.browser_login();
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    fill(&c, "#sso-token", refresh).await;
    click(&c, "#sso-save").await;
    let saved = text_of(&c, "#sso-saved").await;
    assert!(
        saved.contains("Token disimpan: refresh token yang ditempel")
            && saved.contains("diperbarui otomatis sampai sesi SSO-nya berakhir"),
        "{saved}"
    );
    let page = c.source().await.expect("html");
    assert!(!page.contains(refresh), "the token is never shown back");
    assert!(
        text_of(&c, "#sso-kind").await.contains("refresh token"),
        "the kind is named"
    );
    fits(&c, 390, "the answer to a paste").await;
    shot(&c, "23-token-sso-disimpan").await;

    let nip = Nip::parse(&employee.nip).expect("nip");
    let started = Instant::now();
    while !runtime
        .store
        .records_for_nip(&nip)
        .await
        .expect("records")
        .iter()
        .any(|r| r.status == SyncStatus::Synced && r.delivered_version == Some(2))
    {
        let now = runtime.store.records_for_nip(&nip).await.expect("records");
        assert!(
            started.elapsed() < ehrm_sync_tests::patience::secs(60),
            "the waiting record is delivered: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let records = runtime.store.records_for_nip(&nip).await.expect("records");
    let delivered = records
        .iter()
        .find(|r| r.delivered_version == Some(2))
        .expect("delivered");
    let attempts = runtime
        .store
        .attempts(&delivered.key)
        .await
        .expect("attempts");
    assert_eq!(attempts.len(), 1, "waiting spent no attempt: {attempts:?}");
    c.goto(&format!("{base}/console/")).await.expect("overview");
    assert!(
        c.find_all(Locator::Css("#sso-banner"))
            .await
            .expect("banners")
            .is_empty(),
        "no banner once a usable token is held"
    );
    c.close().await.expect("close");
    served.runtime.shutdown().await;
}
