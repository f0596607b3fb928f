use super::*;
use serde_json::json;
use time::macros::date;

use crate::jabatan::JenisJabatan;

const TODAY: Date = date!(2026 - 11 - 28);

fn struktural() -> Value {
    json!({
        "type": "jabatan.upserted",
        "occurred_at": "2026-11-27T10:15:00+07:00",
        "version": 3,
        "data": {
            "nip": "198507142010011002", "riwayat_id": "RJ-000123",
            "jenis_jabatan": "struktural", "unor_id": "PU.03.02", "eselon_id": "31",
            "jabatan_fungsional_id": null, "jabatan_fungsional_umum_id": null,
            "nama_jabatan": "Kepala Bagian Umum", "nomor_sk": "123/KPTS/M/2026",
            "tanggal_sk": "2026-01-05", "tmt_jabatan": "2026-01-15", "tmt_pelantikan": "2026-01-20",
            "dokumen_sk": {"id": "DOK-88", "sha256": "AB".repeat(32), "ukuran": 183211, "nama": "SK.pdf"}
        }
    })
}

fn fields(v: &Value) -> Vec<String> {
    match parse_event(v.to_string().as_bytes(), TODAY) {
        Err(EnvelopeError::Invalid(errs)) => errs.into_iter().map(|e| e.field).collect(),
        other => panic!("expected violations, got {other:?}"),
    }
}

#[test]
fn the_contract_example_is_valid_and_keyed_by_riwayat_id() {
    let ev = parse_event(struktural().to_string().as_bytes(), TODAY).expect("valid");
    assert_eq!(ev.event_type, EventType::JabatanUpserted);
    assert_eq!(
        ev.change.key.to_string(),
        "jabatan/198507142010011002/RJ-000123"
    );
    let parsed: RecordKey = "jabatan/198507142010011002/RJ-000123"
        .parse()
        .expect("a key");
    assert_eq!(parsed, ev.change.key);
    assert!(
        "jabatan/198507142010011002/RJ/1"
            .parse::<RecordKey>()
            .is_err()
    );
    let ChangeAction::Upsert(RecordData::Jabatan(j)) = ev.change.action else {
        panic!("a position");
    };
    assert_eq!(j.jenis_jabatan, JenisJabatan::Struktural);
    assert_eq!(j.unor_id_bkn, None, "mapped by ingest, not here");
    let dok = j.dokumen_sk.expect("document");
    assert_eq!(dok.sha256, "ab".repeat(32), "kept lower-case");
}

#[test]
fn each_kind_of_post_needs_its_own_fields() {
    let mut v = struktural();
    v["data"]["eselon_id"] = Value::Null;
    v["data"]["unor_id"] = Value::Null;
    assert_eq!(fields(&v), vec!["data.unor_id", "data.eselon_id"]);
    let mut v = struktural();
    v["data"]["jenis_jabatan"] = json!("fungsional");
    assert_eq!(fields(&v), vec!["data.jabatan_fungsional_id"]);
    let mut v = struktural();
    v["data"]["jenis_jabatan"] = json!("pelaksana");
    v["data"]["jabatan_fungsional_umum_id"] = json!("JFU-9");
    let ev = parse_event(v.to_string().as_bytes(), TODAY).expect("valid");
    let ChangeAction::Upsert(RecordData::Jabatan(j)) = ev.change.action else {
        panic!("a position");
    };
    assert_eq!(
        j.eselon_id, None,
        "a field the kind does not use is not sent"
    );
}

#[test]
fn dates_must_be_real_and_in_range() {
    let mut v = struktural();
    v["data"]["tmt_jabatan"] = json!("2026-02-30");
    v["data"]["tanggal_sk"] = json!("2027-01-05");
    v["data"]["tmt_pelantikan"] = json!("20-01-2026");
    assert_eq!(
        fields(&v),
        vec!["data.tanggal_sk", "data.tmt_jabatan", "data.tmt_pelantikan"]
    );
}

#[test]
fn a_document_is_described_completely_or_not_at_all() {
    let mut v = struktural();
    v["data"]["dokumen_sk"] = json!({"id": "a/b", "sha256": "xyz", "ukuran": 0, "nama": ""});
    assert_eq!(
        fields(&v),
        vec![
            "data.dokumen_sk.id",
            "data.dokumen_sk.sha256",
            "data.dokumen_sk.ukuran",
            "data.dokumen_sk.nama"
        ]
    );
    let mut v = struktural();
    v["data"]["dokumen_sk"] = Value::Null;
    assert!(parse_event(v.to_string().as_bytes(), TODAY).is_ok());
}

#[test]
fn a_delete_needs_only_the_key() {
    let v = json!({
        "type": "jabatan.deleted", "occurred_at": "2026-11-27T10:15:00+07:00", "version": 4,
        "data": {"nip": "198507142010011002", "riwayat_id": "RJ-000123"}
    });
    let ev = parse_event(v.to_string().as_bytes(), TODAY).expect("valid");
    assert_eq!(ev.change.action, ChangeAction::Delete);
    let bad = json!({
        "type": "jabatan.deleted", "occurred_at": "2026-11-27T10:15:00+07:00", "version": 4,
        "data": {"nip": "198507142010011002", "riwayat_id": "RJ/1"}
    });
    assert_eq!(fields(&bad), vec!["data.riwayat_id"]);
}
