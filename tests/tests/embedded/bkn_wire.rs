//! The BKN client against a strict simulator, on the wire format public clients use
//! (`docs/bkn-api.md`): list dates and proposal items, failure shapes, capped `Retry-After`,
//! the write guard, and the ways out through a proxy or a whitelisting gateway.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ehrm_sync_bkn::{BknClient, BknConfig};
use ehrm_sync_core::clock::{SystemClock, jakarta_date};
use ehrm_sync_core::pacer::{GatePacer, MemoryRateGate};
use ehrm_sync_core::ports::{Bkn, BknDirectory, BknError, BknErrorKind, Clock};
use ehrm_sync_core::ports::{Unguarded, WriteGuard};
use ehrm_sync_domain::kinerja::{AnnualKinerja, Penilai, PenilaiStatus, Predikat, Rating};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::rate::RatePolicy;
use ehrm_sync_domain::reconcile::{kp_periods, retirement_window};
use ehrm_sync_population::{Population, PopulationSpec, generate};
use ehrm_sync_tests::harness::loopback;
use ehrm_sync_webhook::Secret;
use siasn_sim::{Faults, RejectStyle, SaveReply, SiasnSim, SimConfig};

struct World {
    sim: SiasnSim,
    population: Population,
    env: HashMap<String, String>,
}

async fn world(faults: Faults) -> World {
    let population = generate(&PopulationSpec {
        seed: 17,
        employees: 400,
        ..Default::default()
    });
    let sim = SiasnSim::start(
        SimConfig {
            faults,
            ..SimConfig::new(population.clone())
        },
        loopback(),
    )
    .await
    .expect("simulator starts");
    let secret = Secret::from_bytes(vec![7; 32]);
    let env = ehrm_sync_devkit::world::local_env(&sim, &secret, 1000.0);
    World {
        sim,
        population,
        env,
    }
}

fn client(env: &HashMap<String, String>) -> BknClient {
    let config = BknConfig::from_env(env).expect("config");
    let pacer = Arc::new(GatePacer::new(
        Arc::new(MemoryRateGate::default()),
        Arc::new(SystemClock),
        RatePolicy::fixed(1000.0, 10),
    ));
    BknClient::new(config, pacer).expect("client")
}

fn annual(nip: &str, tahun: i32) -> AnnualKinerja {
    AnnualKinerja {
        nip: Nip::parse(nip).expect("nip"),
        tahun,
        hasil_kinerja: Rating::AsExpected,
        perilaku_kerja: Rating::AsExpected,
        predikat: Predikat::Baik,
        penilai: Penilai {
            nip: "197001011995031001".into(),
            nama: "PENILAI".into(),
            jabatan: "Kepala Bagian".into(),
            unor_nama: "Biro Kepegawaian".into(),
            golongan_id: "41".into(),
            status: PenilaiStatus::Asn,
        },
    }
}

fn today() -> time::Date {
    jakarta_date(SystemClock.now_ms())
}

#[tokio::test]
async fn promotion_proposals_are_read_for_every_monthly_period_in_the_horizon() {
    let w = world(Faults::default()).await;
    let c = client(&w.env);
    let (expected, _) = siasn_sim::listed_nips(&w.population, today(), 6);
    assert!(
        !expected.is_empty(),
        "the population has proposals in the coming months"
    );
    let mut seen = HashSet::new();
    for periode in kp_periods(today(), 6) {
        for item in c.promotion_list(periode).await.expect("listed") {
            let pns = item.pns_id.expect("pnsId");
            let e = w
                .population
                .employees
                .iter()
                .find(|e| e.nip == item.nip)
                .expect("known");
            assert_eq!(pns, e.pns_id, "pnsId, never the proposal id");
            seen.insert(item.nip);
        }
    }
    assert_eq!(seen, expected);
    // Proposals exist only for 1sts of the month.
    let mid_month = kp_periods(today(), 1)[0].replace_day(15).expect("date");
    assert!(
        c.promotion_list(mid_month)
            .await
            .expect("listed")
            .is_empty()
    );
}

#[tokio::test]
async fn the_retirement_list_is_asked_in_dd_mm_yyyy_and_read_as_proposals() {
    let w = world(Faults::default()).await;
    let c = client(&w.env);
    let (_, expected) = siasn_sim::listed_nips(&w.population, today(), 6);
    assert!(!expected.is_empty());
    let (from, to) = retirement_window(today());
    let listed = c.retirement_list(from, to).await.expect("listed");
    let nips: HashSet<String> = listed.iter().map(|l| l.nip.clone()).collect();
    assert_eq!(nips, expected);
    for l in &listed {
        let e = w
            .population
            .employees
            .iter()
            .find(|e| e.nip == l.nip)
            .expect("known");
        assert_eq!(l.pns_id.as_deref(), Some(e.pns_id.as_str()));
    }
    // The simulator is as strict as SIASN: ISO dates list nothing (no error).
    let raw = raw_get(
        &w,
        &format!("/pns/list-pensiun-instansi?tglAwal={from}&tglAkhir={to}"),
    )
    .await;
    assert_eq!(raw["data"], serde_json::json!([]), "{raw}");
    assert_eq!(
        w.sim.stats().by_endpoint.get("list-pensiun-instansi"),
        Some(&2),
        "one call: no paging without a count saying there is more"
    );
}

/// A GET with both tokens, outside the client (to see what the simulator answers).
async fn raw_get(w: &World, path: &str) -> serde_json::Value {
    let http = reqwest::Client::new();
    let c = w.sim.credentials();
    let token = |v: serde_json::Value| v["access_token"].as_str().unwrap_or("").to_string();
    let apim: serde_json::Value = http
        .post(w.sim.apim_token_url())
        .basic_auth(&c.consumer_key, Some(&c.consumer_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("apim")
        .json()
        .await
        .expect("json");
    let sso: serde_json::Value = http
        .post(w.sim.sso_token_url())
        .form(&[
            ("client_id", c.sso_client_id.as_str()),
            ("grant_type", "password"),
            ("username", c.sso_username.as_str()),
            ("password", c.sso_password.as_str()),
        ])
        .send()
        .await
        .expect("sso")
        .json()
        .await
        .expect("json");
    http.get(format!("{}{path}", w.sim.api_base_url()))
        .bearer_auth(token(apim))
        .header("Auth", format!("bearer {}", token(sso)))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json")
}

fn permanent_message(e: &BknError) -> &str {
    assert_eq!(e.kind, BknErrorKind::Permanent, "{e:?}");
    &e.message
}

#[tokio::test]
async fn every_refusal_shape_is_a_failure_with_bkn_message() {
    let w = world(Faults::default()).await;
    let c = client(&w.env);
    let e = &w.population.employees[0];
    for style in [
        RejectStyle::SuccessFalse,
        RejectStyle::SuccessFalseString,
        RejectStyle::Pascal,
    ] {
        w.sim.set_faults(Faults {
            reject_style: style,
            reject_nips: [(e.nip.clone(), "Data SKP tidak valid".to_string())].into(),
            ..Faults::default()
        });
        let err = c
            .save_annual(None, &e.pns_id, &annual(&e.nip, 2025), &Unguarded)
            .await
            .expect_err("refused");
        assert_eq!(permanent_message(&err), "Data SKP tidak valid", "{style:?}");
    }
}

#[tokio::test]
async fn a_save_without_a_clear_success_is_not_a_success() {
    let w = world(Faults {
        save_reply: SaveReply::Unclear,
        ..Faults::default()
    })
    .await;
    let c = client(&w.env);
    let e = &w.population.employees[1];
    let err = c
        .save_annual(None, &e.pns_id, &annual(&e.nip, 2025), &Unguarded)
        .await
        .expect_err("not confirmed");
    assert!(
        permanent_message(&err).contains("Data sedang diproses"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_empty_periodic_list_as_a_non_2xx_code_0_reads_as_empty() {
    let w = world(Faults {
        empty_periodic_status: Some(404),
        ..Faults::default()
    })
    .await;
    let c = client(&w.env);
    let without = w
        .population
        .employees
        .iter()
        .find(|e| e.kinerja.iter().all(|k| k.jenis != "periodik"))
        .expect("someone has none");
    let list = c
        .periodic_records(&Nip::parse(&without.nip).expect("nip"))
        .await
        .expect("empty, not an error");
    assert!(list.is_empty());
}

#[tokio::test]
async fn a_day_long_retry_after_is_capped() {
    let w = world(Faults {
        rate_429: 1.0,
        retry_after_secs: 86_400,
        ..Faults::default()
    })
    .await;
    let mut env = w.env.clone();
    env.insert("BKN_RETRY_AFTER_MAX_SECONDS".into(), "1".into());
    let c = client(&env);
    let nip = Nip::parse(&w.population.employees[2].nip).expect("nip");
    let err = c.pns_id(&nip).await.expect_err("throttled");
    assert!(
        matches!(
            err.kind,
            BknErrorKind::Throttled {
                retry_after_ms: Some(1_000),
            }
        ),
        "{err:?}"
    );
    w.sim.set_faults(Faults::default());
    let started = std::time::Instant::now();
    c.pns_id(&nip)
        .await
        .expect("answered after the capped wait");
    assert!(
        started.elapsed() < ehrm_sync_tests::patience::secs(15),
        "the wait was capped at a second, not the day BKN asked for"
    );
}

/// Allows the first `allow` checks, then refuses; counts them.
struct CountingGuard {
    allow: u32,
    checks: AtomicU32,
}

impl WriteGuard for CountingGuard {
    fn check(&self) -> Result<(), BknError> {
        let n = self.checks.fetch_add(1, Ordering::Relaxed);
        if n < self.allow {
            Ok(())
        } else {
            Err(BknError::transient("lease gone"))
        }
    }
}

#[tokio::test]
async fn the_write_guard_is_asked_after_token_renewal_and_nothing_is_sent_when_it_refuses() {
    let w = world(Faults::default()).await;
    let c = client(&w.env);
    let e = &w.population.employees[3];
    let guard = CountingGuard {
        allow: 0,
        checks: AtomicU32::new(0),
    };
    let err = c
        .save_annual(None, &e.pns_id, &annual(&e.nip, 2025), &guard)
        .await
        .expect_err("held back");
    assert_eq!(err.message, "lease gone");
    assert_eq!(guard.checks.load(Ordering::Relaxed), 1);
    let stats = w.sim.stats();
    assert!(
        stats.token_calls > 0,
        "tokens were fetched before the guard was asked"
    );
    assert_eq!(
        stats.by_endpoint.get("skp22/save"),
        None,
        "no write was sent"
    );
    // After a token error the retry asks the guard again.
    w.sim.set_faults(Faults {
        token_expire_after_calls: Some(0),
        ..Faults::default()
    });
    let again = CountingGuard {
        allow: 1,
        checks: AtomicU32::new(0),
    };
    let _ = c
        .save_annual(None, &e.pns_id, &annual(&e.nip, 2025), &again)
        .await;
    assert_eq!(again.checks.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn calls_can_leave_through_a_proxy_with_gateway_headers() {
    let w = world(Faults {
        gateway_header: Some(("X-Api-Key".into(), "kunci-gateway".into())),
        ..Faults::default()
    })
    .await;
    let nip = Nip::parse(&w.population.employees[4].nip).expect("nip");
    // Without the header the gateway refuses.
    let err = client(&w.env).pns_id(&nip).await.expect_err("refused");
    assert!(
        err.message.contains("403") || err.message.contains("Forbidden"),
        "{err:?}"
    );
    // BKN's host names do not resolve here: only the proxy (the simulator, which serves
    // absolute-form requests) can reach "BKN".
    let mut env = w.env.clone();
    for key in [
        "BKN_API_BASE_URL",
        "BKN_APIM_TOKEN_URL",
        "BKN_SSO_TOKEN_URL",
    ] {
        let v = env[key].replace(&w.sim.origin(), "http://apimws.bkn.invalid:8243");
        env.insert(key.into(), v);
    }
    env.insert("BKN_PROXY_URL".into(), w.sim.origin());
    env.insert(
        "BKN_EXTRA_HEADERS".into(),
        r#"{"X-Api-Key": "kunci-gateway"}"#.into(),
    );
    let id = client(&env).pns_id(&nip).await.expect("through the proxy");
    assert_eq!(
        id.as_deref(),
        Some(w.population.employees[4].pns_id.as_str())
    );
}
