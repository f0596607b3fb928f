//! Pegawai → Data pribadi, run on every store like the other cases: a viewer neither sees nor
//! reaches it; an operator downloads the person's report (Excel and JSON) and erases their data
//! after confirming; both are on the Audit page.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use ehrm_sync_core::ports::{AttemptEntry, AttemptOutcome, Clock, Operation};
use ehrm_sync_domain::record::{SyncRecord, SyncStatus};

use super::{ConsoleFixture, OPERATOR, VIEWER};
use crate::contract::store::{annual_change, random_nip};

async fn synced_record(c: &ConsoleFixture) -> SyncRecord {
    let nip = random_nip();
    let now = c.clock.now_ms();
    let mut rec = SyncRecord::from_change(&annual_change(&nip, 2025, 1), now);
    rec.status = SyncStatus::Synced;
    rec.delivered_version = Some(1);
    rec.bkn_id = Some("0D9339F25C2371A011D21663FFB42E50".into());
    c.store.put_record(&rec).await.expect("record");
    let attempt = AttemptEntry {
        record_key: rec.key.to_string(),
        at: now,
        version: 1,
        operation: vec![Operation::Lookup, Operation::Create].into(),
        outcome: AttemptOutcome::Delivered,
        http_status: Some(200),
        message: None,
        duration_ms: 40,
    };
    c.store.append_attempt(&attempt).await.expect("attempt");
    rec
}

pub async fn the_personal_data_report_and_erasure_are_for_operators_and_audited(
    c: &ConsoleFixture,
) {
    let rec = synced_record(c).await;
    let nip = rec.key.nip().to_string();
    let page_path = format!("/console/pegawai?nip={nip}");
    let base = format!("/console/pegawai/{nip}");

    let v = c.client("10.0.0.21");
    v.login(VIEWER.0, VIEWER.1).await;
    assert!(
        !v.get(&page_path)
            .await
            .text()
            .contains("id=\"data-pribadi\"")
    );
    assert_eq!(
        v.get(&format!("{base}/data-pribadi.xlsx")).await.status,
        403
    );

    let o = c.client("10.0.0.22");
    o.login(OPERATOR.0, OPERATOR.1).await;
    let page = o.get(&page_path).await;
    assert!(
        page.text().contains("Laporan data pribadi"),
        "{}",
        page.text()
    );
    let xlsx = o.get(&format!("{base}/data-pribadi.xlsx")).await;
    assert_eq!(xlsx.status, 200);
    let mut book = Xlsx::new(Cursor::new(xlsx.bytes)).expect("an xlsx");
    let summary = book
        .worksheet_range("Ringkasan")
        .expect("the summary sheet");
    assert!(
        summary
            .rows()
            .any(|r| r.get(1) == Some(&Data::String(nip.clone()))),
        "the NIP, as text"
    );
    let sent = book
        .worksheet_range("Pengiriman ke BKN")
        .expect("the BKN calls");
    assert_eq!(sent.rows().count(), 2, "the header and the one call");
    let json: serde_json::Value =
        serde_json::from_slice(&o.get(&format!("{base}/data-pribadi.json")).await.bytes)
            .expect("JSON");
    assert_eq!(json["records"].as_array().map(Vec::len), Some(1));

    let csrf = page.csrf();
    let unconfirmed = o.post(&format!("{base}/hapus"), &[("csrf", &csrf)]).await;
    assert!(unconfirmed.text().contains("Centang konfirmasi"));
    assert!(
        c.store
            .record(&rec.key)
            .await
            .expect("read")
            .expect("kept")
            .data
            .is_some()
    );
    let done = o
        .post(
            &format!("{base}/hapus"),
            &[("csrf", &csrf), ("confirm", "1")],
        )
        .await;
    assert!(
        done.text().contains("id=\"forget-done\""),
        "{}",
        done.text()
    );
    let kept = c.store.record(&rec.key).await.expect("read").expect("kept");
    assert_eq!((kept.data, kept.bkn_id), (None, rec.bkn_id.clone()));
    assert!(
        c.store
            .attempts(&rec.key)
            .await
            .expect("attempts")
            .is_empty()
    );

    let audit = o.get("/console/audit").await.text();
    for (action, words) in [
        ("subject_report", "membuat laporan data pribadi"),
        ("forget", "menghapus data pribadi"),
    ] {
        assert!(
            audit.contains(&format!(
                "<td data-code=\"{action}\">{words}</td><td>NIP {nip}</td>"
            )),
            "{action}: {audit}"
        );
    }
    // The Audit page answers "who saw whose data" for one NIP.
    let about = o.get(&format!("/console/audit?nip={nip}")).await.text();
    assert!(about.contains("data-code=\"forget\""), "{about}");
    assert!(
        !about.contains("data-code=\"login\""),
        "only entries naming the person"
    );
}

/// An Indonesian page shows none of our English messages: a record's last error, its attempts
/// and the failed list say them in Indonesian (BKN's own words would stay verbatim).
pub async fn an_indonesian_page_shows_our_messages_in_indonesian(c: &ConsoleFixture) {
    let mut rec = synced_record(c).await;
    rec.revision += 1;
    rec.status = SyncStatus::Dead;
    rec.last_error = Some("the connection to BKN broke before an answer was read".into());
    c.store.put_record(&rec).await.expect("record");
    let attempt = AttemptEntry {
        record_key: rec.key.to_string(),
        at: c.clock.now_ms(),
        version: 1,
        operation: vec![Operation::Lookup].into(),
        outcome: AttemptOutcome::Transient,
        http_status: Some(503),
        message: Some("BKN server error 503: Service Unavailable".into()),
        duration_ms: 40,
    };
    c.store.append_attempt(&attempt).await.expect("attempt");
    let b = c.client("10.0.0.23");
    b.login(VIEWER.0, VIEWER.1).await;
    let nip = rec.key.nip().to_string();
    for path in [
        format!("/console/pegawai?nip={nip}"),
        "/console/gagal".into(),
    ] {
        let page = b.get(&path).await.text();
        for english in ehrm_sync_console::ours::english_starts() {
            assert!(!page.contains(english), "{path} shows {english:?}");
        }
        assert!(page.contains("Sambungan ke BKN terputus"), "{path}");
    }
    let page = b.get(&format!("/console/pegawai?nip={nip}")).await.text();
    assert!(
        page.contains("Kesalahan server BKN 503: Service Unavailable"),
        "BKN's words after ours, verbatim"
    );
}
