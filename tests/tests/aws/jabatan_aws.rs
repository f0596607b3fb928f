//! Riwayat jabatan on AWS's shapes: eHRM's unit map refreshed by the scheduled function's sweep
//! into DynamoDB, a position with its SK through the ingest function (an unmapped unit refused
//! there, naming it), SQS, the deliver function, the simulator; the record's steps kept in
//! DynamoDB.

use std::sync::Arc;
use std::time::Instant;

use ehrm_sync_core::ports::SyncStore;
use ehrm_sync_devkit::positions::{dokumen, sk_pdf, struktural, upserted};
use ehrm_sync_domain::record::{RecordKey, SyncStatus};
use ehrm_sync_population::{PopulationSpec, Unit, generate};
use ehrm_sync_tests::aws::world::{AwsWorld, Shape};
use siasn_sim::Faults;

#[tokio::test(flavor = "current_thread")]
async fn a_position_with_its_document_through_the_functions() {
    let population = generate(&PopulationSpec {
        seed: 31,
        employees: 12,
        ..Default::default()
    });
    let mut ehrm_env = std::collections::HashMap::new();
    let ehrm = ehrm_sync_devkit::world::start_ehrm(
        &population,
        &ehrm_sync_devkit::events::random_secret(),
        &mut ehrm_env,
    )
    .await
    .expect("eHRM simulator");
    // Lost answers at 30 % of writes: enough attempts that the record never gives up (this
    // test is about the shapes and duplicates; eight attempts gave up about once in 150 runs).
    let extra: Vec<(&str, &str)> = ehrm_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain([("RETRY_MAX_ATTEMPTS", "20")])
        .collect();
    let w = AwsWorld::start_custom(
        population,
        Faults {
            lost_response_rate: 0.3,
            ..Faults::default()
        },
        &[],
        100.0,
        &extra,
        Arc::new(ehrm_sync_core::clock::SystemClock),
    )
    .await;
    // The scheduled function's sweep reads eHRM's unit map into the table.
    ehrm_sync_aws::wiring::unit_map_refresher(&w.env, &w.adapters)
        .expect("configuration")
        .expect("eHRM's read API is configured")
        .tick()
        .await;

    let e = w.population.employees[0].clone();
    let unit: Unit = w
        .population
        .units
        .iter()
        .find(|u| u.unor_id_bkn.is_some() && u.eselon.is_some())
        .cloned()
        .expect("a mapped structural unit");
    let unknown = Unit {
        unor_id: "PU.77.77".into(),
        ..unit.clone()
    };
    let refused = upserted(&struktural(&e, "RJ-X", &unknown, "2026-05-01", "SK-X"), 1);
    let (status, body) = w.post_change(Shape::HttpApi, &refused).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("PU.77.77"), "{body}");

    let bytes = sk_pdf("aws");
    ehrm.put_document("DOK-AWS", bytes.clone());
    let mut data = struktural(&e, "RJ-AWS", &unit, "2026-05-01", "SK-AWS/2026");
    data["dokumen_sk"] = dokumen("DOK-AWS", &bytes);
    let (status, body) = w.post_change(Shape::HttpApi, &upserted(&data, 1)).await;
    assert_eq!(status, 202, "{body}");
    let key: RecordKey = format!("jabatan/{}/RJ-AWS", e.nip).parse().expect("key");

    let deadline = Instant::now() + ehrm_sync_tests::patience::secs(60);
    let rec = loop {
        w.pump().await;
        let rec = w
            .adapters
            .store
            .record(&key)
            .await
            .expect("readable")
            .expect("present");
        if rec.status.is_settled() {
            break rec;
        }
        assert!(Instant::now() < deadline, "not settled: {rec:?}");
    };
    assert_eq!(rec.status, SyncStatus::Synced, "{rec:?}");
    let rows: Vec<_> = w
        .sim
        .jabatan_records(&e.nip)
        .into_iter()
        .filter(|r| r["nomorSk"] == "SK-AWS/2026")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0]["path"].get("872").is_some(), "{}", rows[0]);
    assert_eq!(rows[0]["unorId"], serde_json::json!(unit.unor_id_bkn));
    assert_eq!(rec.saved_version, Some(1), "the steps are kept in DynamoDB");
    assert!(rec.document_sha256.is_some());
    let stats = w.sim.stats();
    assert_eq!((stats.duplicates, stats.data_utama_stale), (0, 0));
    ehrm.shutdown();
}
