//! The BKN SIASN client against the simulator: every quirk of `docs/bkn-api.md`.

use std::sync::Arc;

use ehrm_sync_bkn::{BknClient, BknConfig, PasswordLogin, SsoSettings};
use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::pacer::{GatePacer, MemoryRateGate};
use ehrm_sync_core::ports::SecretText;
use ehrm_sync_core::ports::Unguarded;
use ehrm_sync_core::ports::{Bkn, BknErrorKind};
use ehrm_sync_domain::kinerja::{
    AnnualKinerja, Penilai, PenilaiStatus, PeriodicKinerja, Periodik, Predikat, Rating,
};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::rate::RatePolicy;
use ehrm_sync_population::{Population, PopulationSpec, generate};
use ehrm_sync_tests::harness::loopback;
use siasn_sim::{Faults, MapDataStyle, OutageMode, SiasnSim, SimConfig, Window};

struct Fixture {
    sim: SiasnSim,
    client: BknClient,
    population: Population,
}

async fn fixture(faults: Faults, rate: f64) -> Fixture {
    let margin_ms = 50;
    let population = generate(&PopulationSpec {
        seed: 5,
        employees: 30,
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
    let c = sim.credentials().clone();
    let config = BknConfig {
        api_base: sim.api_base_url(),
        apim_token_url: sim.apim_token_url(),
        consumer_key: c.consumer_key,
        consumer_secret: c.consumer_secret,
        sso: SsoSettings {
            token_url: Some(sim.sso_token_url()),
            client_id: Some(c.sso_client_id),
            password: Some(PasswordLogin {
                username: c.sso_username,
                password: SecretText::new(c.sso_password),
                totp: None,
            }),
            start_token: None,
        },
        timeout: std::time::Duration::from_secs(2),
        cookies: None,
        retry_after_max: std::time::Duration::from_secs(60),
        instansi_id: None,
        satuan_kerja_id: None,
        proxy: None,
        extra_headers: Vec::new(),
    };
    let pacer = Arc::new(GatePacer::new(
        Arc::new(MemoryRateGate::default()),
        Arc::new(SystemClock),
        RatePolicy::fixed(rate, margin_ms),
    ));
    let client = BknClient::new(config, pacer).expect("client builds");
    Fixture {
        sim,
        client,
        population,
    }
}

fn nip(f: &Fixture, i: usize) -> Nip {
    Nip::parse(&f.population.employees[i].nip).expect("valid")
}

fn annual(nip: &Nip, tahun: i32, hasil: Rating, perilaku: Rating) -> AnnualKinerja {
    AnnualKinerja {
        nip: nip.clone(),
        tahun,
        hasil_kinerja: hasil,
        perilaku_kerja: perilaku,
        predikat: Predikat::from_matrix(hasil, perilaku),
        penilai: Penilai {
            nip: "197001011995031001".into(),
            nama: "Penilai".into(),
            jabatan: "Direktur".into(),
            unor_nama: "Direktorat".into(),
            golongan_id: "41".into(),
            status: PenilaiStatus::Asn,
        },
    }
}

fn transient(kind: &BknErrorKind) -> bool {
    !matches!(kind, BknErrorKind::Permanent)
}

#[tokio::test]
async fn both_tokens_on_every_call_and_cached() {
    let f = fixture(Faults::default(), 1000.0).await;
    for i in 0..5 {
        let id = f.client.pns_id(&nip(&f, i)).await.expect("found");
        assert_eq!(
            id.as_deref(),
            Some(f.population.employees[i].pns_id.as_str())
        );
    }
    let s = f.sim.stats();
    assert_eq!(s.calls_without_tokens, 0);
    assert_eq!(s.token_calls, 2, "one APIM and one SSO token, reused");
}

#[tokio::test]
async fn expired_tokens_are_renewed_once_and_the_call_succeeds() {
    let f = fixture(
        Faults {
            token_expire_after_calls: Some(2),
            ..Faults::default()
        },
        1000.0,
    )
    .await;
    for i in 0..6 {
        f.client
            .pns_id(&nip(&f, i))
            .await
            .expect("succeeds after renewal");
    }
    let s = f.sim.stats();
    assert!(s.token_errors >= 2, "tokens expired during the run");
    assert_eq!(
        s.token_calls,
        2 * (1 + s.token_errors),
        "each expiry renews both tokens once"
    );
}

#[tokio::test]
async fn wrong_credentials_are_transient_with_a_clear_message() {
    let f = fixture(Faults::default(), 1000.0).await;
    let c = f.sim.credentials().clone();
    let config = BknConfig {
        api_base: f.sim.api_base_url(),
        apim_token_url: f.sim.apim_token_url(),
        consumer_key: c.consumer_key,
        consumer_secret: "wrong".into(),
        sso: SsoSettings {
            start_token: Some(SecretText::new("pasted")),
            ..SsoSettings::default()
        },
        timeout: std::time::Duration::from_secs(2),
        cookies: None,
        retry_after_max: std::time::Duration::from_secs(60),
        instansi_id: None,
        satuan_kerja_id: None,
        proxy: None,
        extra_headers: Vec::new(),
    };
    let pacer = Arc::new(GatePacer::new(
        Arc::new(MemoryRateGate::default()),
        Arc::new(SystemClock),
        RatePolicy::fixed(1000.0, 0),
    ));
    let client = BknClient::new(config, pacer).expect("builds");
    let err = client.pns_id(&nip(&f, 0)).await.expect_err("refused");
    assert!(
        transient(&err.kind),
        "credential trouble is systemic, not the record's fault"
    );
    assert!(
        err.message.contains("APIM token request refused"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn suspended_is_transient_and_does_not_renew_tokens() {
    let f = fixture(Faults::default(), 1000.0).await;
    f.client.pns_id(&nip(&f, 0)).await.expect("warm tokens");
    f.sim.set_faults(Faults {
        suspended: vec![Window {
            from_ms: 0,
            to_ms: u64::MAX,
        }],
        ..Faults::default()
    });
    let err = f.client.pns_id(&nip(&f, 1)).await.expect_err("suspended");
    assert!(
        matches!(
            err.kind,
            BknErrorKind::Transient {
                suspended: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        f.sim.stats().token_calls,
        2,
        "no token renewal for SUSPENDED"
    );
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let f = fixture(
        Faults {
            rate_429: 1.0,
            retry_after_secs: 7,
            ..Faults::default()
        },
        1000.0,
    )
    .await;
    let err = f.client.pns_id(&nip(&f, 0)).await.expect_err("throttled");
    match err.kind {
        BknErrorKind::Throttled { retry_after_ms } => assert_eq!(retry_after_ms, Some(7_000)),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.http_status, Some(429));
}

#[tokio::test]
async fn server_errors_and_outages_are_transient() {
    let f = fixture(
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
        1000.0,
    )
    .await;
    let err = f.client.annual_records(&nip(&f, 0)).await.expect_err("5xx");
    assert!(transient(&err.kind));
    for mode in [OutageMode::Drop, OutageMode::Http503] {
        f.sim.set_faults(Faults {
            down: true,
            outage_mode: mode,
            ..Faults::default()
        });
        let err = f
            .client
            .annual_records(&nip(&f, 0))
            .await
            .expect_err("down");
        assert!(transient(&err.kind), "{mode:?}: {err:?}");
    }
}

#[tokio::test]
async fn refusals_are_permanent_with_bkn_message_even_with_http_200() {
    let f = fixture(Faults::default(), 1000.0).await;
    let n = nip(&f, 0);
    let message = "1 error occurred:\n\t* PenilaiNipNrp tidak valid";
    for status in [200u16, 400] {
        f.sim.set_faults(Faults {
            reject_nips: [(n.to_string(), message.to_string())].into(),
            reject_status: status,
            ..Faults::default()
        });
        let pns = f.population.employees[0].pns_id.clone();
        let err = f
            .client
            .save_annual(
                None,
                &pns,
                &annual(&n, 2026, Rating::AsExpected, Rating::AsExpected),
                &Unguarded,
            )
            .await
            .expect_err("refused");
        assert_eq!(err.kind, BknErrorKind::Permanent, "HTTP {status}");
        assert_eq!(err.message, message, "BKN's message is kept verbatim");
    }
}

#[tokio::test]
async fn not_found_and_empty_lists_read_as_nothing() {
    let f = fixture(Faults::default(), 1000.0).await;
    let stranger = Nip::parse("199912312024121001").expect("valid");
    assert_eq!(
        f.client.pns_id(&stranger).await.expect("answered"),
        None,
        "404 Data tidak ditemukan"
    );
    // An employee without periodic records: {"code":1,"data":null}.
    let without = f
        .population
        .employees
        .iter()
        .find(|e| e.kinerja.iter().all(|k| k.jenis != "periodik"))
        .expect("someone has none");
    let list = f
        .client
        .periodic_records(&Nip::parse(&without.nip).expect("valid"))
        .await
        .expect("answered");
    assert!(list.is_empty());
}

#[tokio::test]
async fn saves_return_the_id_from_map_data_as_string_or_object() {
    let f = fixture(Faults::default(), 1000.0).await;
    let n = nip(&f, 0);
    let pns = f.population.employees[0].pns_id.clone();
    for (style, tahun) in [(MapDataStyle::String, 2026), (MapDataStyle::Object, 2022)] {
        f.sim.set_faults(Faults {
            map_data: style,
            ..Faults::default()
        });
        let id = f
            .client
            .save_annual(
                None,
                &pns,
                &annual(&n, tahun, Rating::AboveExpectation, Rating::AsExpected),
                &Unguarded,
            )
            .await
            .expect("saved")
            .expect("an id");
        let listed = f.client.annual_records(&n).await.expect("listed");
        let rec = listed
            .iter()
            .find(|r| r.id == id)
            .expect("listed with its id");
        // rw-skp22 spells these `PerilakuKerjaNilai` and `KuadranKinerjaNilai`.
        assert_eq!(
            (
                rec.tahun,
                rec.hasil_kinerja,
                rec.perilaku_kerja,
                rec.kuadran
            ),
            (Some(tahun), Some(1), Some(2), Some(2))
        );
    }
}

#[tokio::test]
async fn periodic_records_round_trip_with_the_koefisen_typo_and_string_months() {
    let f = fixture(Faults::default(), 1000.0).await;
    let n = nip(&f, 1);
    let pns = f.population.employees[1].pns_id.clone();
    let data = PeriodicKinerja {
        nip: n.clone(),
        tahun: 2026,
        periodik: Periodik::Bulanan,
        bulan_mulai: 11,
        bulan_selesai: 11,
        koefisien_id: "32".into(),
        hasil_kinerja: Rating::AsExpected,
        perilaku_kerja: Rating::BelowExpectation,
        predikat: Predikat::Kurang,
        penilai: annual(&n, 2026, Rating::AsExpected, Rating::AsExpected).penilai,
    };
    let id = f
        .client
        .save_periodic(None, &pns, &data, &Unguarded)
        .await
        .expect("saved")
        .expect("an id");
    let rec = f
        .client
        .periodic_records(&n)
        .await
        .expect("listed")
        .into_iter()
        .find(|r| r.id == id)
        .expect("listed");
    assert_eq!(rec.koefisien_id.as_deref(), Some("32"));
    assert_eq!(
        (rec.periodik, rec.bulan_mulai, rec.bulan_selesai),
        (Some(Periodik::Bulanan), Some(11), Some(11))
    );
    assert_eq!(rec.kuadran, Some(4));
    f.client
        .delete_periodic(&id, &Unguarded)
        .await
        .expect("deleted");
    f.client
        .delete_periodic(&id, &Unguarded)
        .await
        .expect("deleting again is fine");
    assert!(
        f.client
            .periodic_records(&n)
            .await
            .expect("listed")
            .iter()
            .all(|r| r.id != id)
    );
}

#[tokio::test]
async fn a_lost_response_on_a_write_is_transient_and_maybe_applied() {
    let f = fixture(
        Faults {
            lost_response_rate: 1.0,
            ..Faults::default()
        },
        1000.0,
    )
    .await;
    let n = nip(&f, 2);
    let pns = f.population.employees[2].pns_id.clone();
    let before = f.sim.annual_records(&n.to_string()).len();
    let err = f
        .client
        .save_annual(
            None,
            &pns,
            &annual(&n, 2026, Rating::AsExpected, Rating::AsExpected),
            &Unguarded,
        )
        .await
        .expect_err("no answer");
    assert!(
        matches!(
            err.kind,
            BknErrorKind::Transient {
                maybe_applied: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        f.sim.annual_records(&n.to_string()).len(),
        before + 1,
        "BKN stored it nonetheless"
    );
}

#[tokio::test]
async fn calls_never_exceed_the_rate() {
    let rate = 20.0;
    let f = fixture(Faults::default(), rate).await;
    let started = std::time::Instant::now();
    let calls = 30;
    let mut tasks = Vec::new();
    let client = Arc::new(f.client);
    for i in 0..calls {
        let client = client.clone();
        let n = Nip::parse(&f.population.employees[i % 30].nip).expect("valid");
        tasks.push(tokio::spawn(async move { client.pns_id(&n).await }));
    }
    for t in tasks {
        t.await.expect("joined").expect("answered");
    }
    let s = f.sim.stats();
    assert!(
        s.max_calls_per_second as f64 <= rate,
        "{} calls in one second",
        s.max_calls_per_second
    );
    let minimum = (s.calls_total - 1) as f64 / rate;
    assert!(
        started.elapsed().as_secs_f64() >= minimum * 0.95,
        "paced, not bursted"
    );
}
