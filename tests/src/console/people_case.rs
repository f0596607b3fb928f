//! Gagal & perlu tindakan as an HR officer uses it, on every store: failed records filtered by
//! their unit (with its sub-units), each with the employee's name and unit from eHRM's list;
//! an unknown unit refused in words; the workbook with the same columns, a summary sheet and
//! real date cells.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use ehrm_sync_core::people::{self, Person, Unit};
use ehrm_sync_core::ports::Clock;
use ehrm_sync_domain::record::{SyncRecord, SyncStatus};

use super::{ConsoleFixture, VIEWER};
use crate::contract::store::{annual_change, random_nip};

async fn failed_record(c: &ConsoleFixture) -> SyncRecord {
    let now = c.clock.now_ms();
    let mut rec = SyncRecord::from_change(&annual_change(&random_nip(), 2025, 1), now);
    rec.status = SyncStatus::Failed;
    rec.attempts = 1;
    rec.last_error = Some("Data penilai tidak ditemukan".into());
    c.store.put_record(&rec).await.expect("record");
    rec
}

fn unit(name: &str, parent: Option<&str>) -> Unit {
    Unit {
        name: Some(name.into()),
        parent: parent.map(str::to_string),
    }
}

pub async fn failed_records_filter_by_unit_and_name_their_people(c: &ConsoleFixture) {
    let (in_sub_unit, elsewhere) = (failed_record(c).await, failed_record(c).await);
    let nip = |r: &SyncRecord| r.key.nip().as_str().to_string();
    let listed = [
        (
            nip(&in_sub_unit),
            Person {
                name: "Ir. Sri Wahyuni, M.T.".into(),
                unit: Some("PU.03.02".into()),
            },
        ),
        (
            nip(&elsewhere),
            Person {
                name: "Andi Pratama, S.T.".into(),
                unit: Some("PU.05".into()),
            },
        ),
    ];
    let units = BTreeMap::from([
        (
            "PU.03".to_string(),
            unit("Direktorat Jenderal Bina Marga", None),
        ),
        (
            "PU.03.02".to_string(),
            unit("Direktorat Jalan Bebas Hambatan", Some("PU.03")),
        ),
        (
            "PU.05".to_string(),
            unit("Direktorat Jenderal Cipta Karya", None),
        ),
    ]);
    people::store(c.controls.as_ref(), c.clock.now_ms(), listed, units)
        .await
        .expect("the list");

    let b = c.client("10.0.0.31");
    b.login(VIEWER.0, VIEWER.1).await;
    let all = b.get("/console/gagal").await.text();
    assert!(all.contains("Ir. Sri Wahyuni, M.T."), "names beside NIPs");
    assert!(all.contains("Direktorat Jalan Bebas Hambatan (PU.03.02)"));

    // The directorate general covers its directorate.
    let unit_page = b.get("/console/gagal?unit=PU.03").await;
    assert_eq!(unit_page.status, 200);
    let text = unit_page.text();
    assert!(text.contains(&nip(&in_sub_unit)));
    assert!(!text.contains(&nip(&elsewhere)), "another unit's record");
    assert!(!text.contains("Andi Pratama"));

    let employee = b
        .get(&format!("/console/pegawai?nip={}", nip(&in_sub_unit)))
        .await
        .text();
    assert!(
        employee.contains("Ir. Sri Wahyuni, M.T.")
            && employee.contains("Direktorat Jalan Bebas Hambatan (PU.03.02)"),
        "the employee's page is headed by their name and unit"
    );

    let unknown = b.get("/console/gagal?unit=XYZ").await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown
            .text()
            .contains("Unit «XYZ» tidak ada di daftar unit eHRM")
    );

    let x = b.get("/console/gagal.xlsx?unit=PU.03").await;
    assert_eq!(x.status, 200);
    let mut book = Xlsx::new(Cursor::new(x.bytes)).expect("an xlsx file");
    let sheet = book.worksheet_range("Perlu Tindakan").expect("records");
    assert_eq!(sheet.height(), 2, "the header and the unit's one record");
    let cell = |col: u32| sheet.get_value((1, col)).cloned();
    assert_eq!(cell(0), Some(Data::String(nip(&in_sub_unit))));
    assert_eq!(cell(1), Some(Data::String("Ir. Sri Wahyuni, M.T.".into())));
    assert_eq!(
        cell(2),
        Some(Data::String(
            "Direktorat Jalan Bebas Hambatan (PU.03.02)".into()
        ))
    );
    assert_eq!(
        cell(5),
        Some(Data::String("ditolak BKN".into())),
        "words, not codes"
    );
    assert!(
        matches!(cell(8), Some(Data::DateTime(_))),
        "the update time is a date cell: {:?}",
        cell(8)
    );
    let summary = book.worksheet_range("Ringkasan").expect("a summary sheet");
    assert_eq!(
        summary.get_value((1, 2)).cloned(),
        Some(Data::Float(1.0)),
        "one record in all"
    );
}
