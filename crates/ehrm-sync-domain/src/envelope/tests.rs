use super::*;
use serde_json::json;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 28);

fn annual() -> Value {
    json!({
        "type": "kinerja.tahunan.upserted",
        "occurred_at": "2026-11-27T10:15:00+07:00",
        "version": 7,
        "data": {
            "nip": "198507142010011002", "tahun": 2025,
            "hasil_kinerja": 2, "perilaku_kerja": 2, "predikat": 2,
            "penilai": {"nip": "197001011995031001", "nama": "SITI", "jabatan": "Direktur Y",
                        "unor_nama": "Direktorat Y", "golongan_id": "41", "status": "ASN"}
        }
    })
}

fn periodic() -> Value {
    json!({
        "type": "kinerja.periodik.upserted",
        "occurred_at": "2026-11-27T10:15:00+07:00",
        "version": 3,
        "data": {
            "nip": "198507142010011002", "tahun": 2026, "periodik": "triwulan",
            "bulan_mulai": 4, "bulan_selesai": 6, "koefisien_id": "22",
            "hasil_kinerja": 1, "perilaku_kerja": 1, "predikat": 1,
            "penilai": {"nip": "-", "nama": "A", "jabatan": "B", "unor_nama": "C",
                        "golongan_id": "0", "status": "NON ASN"}
        }
    })
}

fn parse(v: &Value) -> Result<ChangeEvent, EnvelopeError> {
    parse_event(v.to_string().as_bytes(), TODAY)
}

fn fields(v: &Value) -> Vec<String> {
    match parse(v) {
        Err(EnvelopeError::Invalid(errs)) => errs.into_iter().map(|e| e.field).collect(),
        other => panic!("expected violations, got {other:?}"),
    }
}

#[test]
fn the_contract_example_is_valid() {
    let ev = parse(&annual()).expect("valid");
    assert_eq!(ev.event_type, EventType::TahunanUpserted);
    assert_eq!(ev.change.version, 7);
    assert_eq!(
        ev.change.key.to_string(),
        "kinerja.tahunan/198507142010011002/2025"
    );
    let ev = parse(&periodic()).expect("valid");
    assert_eq!(
        ev.change.key.to_string(),
        "kinerja.periodik/198507142010011002/2026/triwulan/04"
    );
    assert_eq!(ev.change.months(), Some(0b111000));
}

#[test]
fn malformed_bodies_are_400s() {
    for body in [&b"{not json"[..], b"[1,2]", b"\"x\"", b"\xff\xfe{}"] {
        assert!(matches!(
            parse_event(body, TODAY),
            Err(EnvelopeError::Malformed(_))
        ));
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(
        parse_event(deep.as_bytes(), TODAY),
        Err(EnvelopeError::Malformed(_))
    ));
}

#[test]
fn every_broken_rule_is_reported() {
    let mut v = annual();
    v["type"] = json!("kinerja.tahunan.upserted");
    v["version"] = json!(0);
    v["occurred_at"] = json!("yesterday");
    v["data"]["nip"] = json!("198502302010011002");
    v["data"]["hasil_kinerja"] = json!(4);
    v["data"]["penilai"]["nama"] = json!("");
    v["data"]["penilai"]["status"] = json!("PNS");
    assert_eq!(
        fields(&v),
        [
            "occurred_at",
            "version",
            "data.nip",
            "data.hasil_kinerja",
            "data.penilai.status",
            "data.penilai.nama"
        ]
    );
}

#[test]
fn rule_table() {
    // (mutation, field expected to be reported)
    type Mutation = fn(&mut Value);
    let cases: Vec<(Mutation, &str)> = vec![
        (|v| v["type"] = json!("kinerja.bulanan.upserted"), "type"),
        (
            |v| {
                v.as_object_mut().map(|o| o.remove("type"));
            },
            "type",
        ),
        (|v| v["version"] = json!(-1), "version"),
        (|v| v["version"] = json!("x"), "version"),
        (|v| v["data"] = json!([]), "data"),
        (
            |v| v["data"]["nip"] = json!(198507142010011002u64),
            "data.nip",
        ),
        (|v| v["data"]["tahun"] = json!(2021), "data.tahun"),
        (|v| v["data"]["tahun"] = json!(2027), "data.tahun"),
        (|v| v["data"]["predikat"] = json!(1), "data.predikat"),
        (
            |v| v["data"]["perilaku_kerja"] = json!(0),
            "data.perilaku_kerja",
        ),
        (|v| v["data"]["penilai"] = json!("SITI"), "data.penilai"),
        (
            |v| v["data"]["penilai"]["nip"] = json!("123"),
            "data.penilai.nip",
        ),
        (
            |v| v["data"]["penilai"]["golongan_id"] = json!("IV/a"),
            "data.penilai.golongan_id",
        ),
    ];
    for (i, (mutate, field)) in cases.into_iter().enumerate() {
        let mut v = annual();
        mutate(&mut v);
        assert_eq!(fields(&v), [field], "case {i}");
    }
}

#[test]
fn periodic_rule_table() {
    type Mutation = fn(&mut Value);
    let cases: Vec<(Mutation, &str)> = vec![
        (
            |v| v["data"]["periodik"] = json!("mingguan"),
            "data.periodik",
        ),
        (
            |v| v["data"]["bulan_selesai"] = json!(7),
            "data.bulan_selesai",
        ),
        (|v| v["data"]["bulan_mulai"] = json!(13), "data.bulan_mulai"),
        (
            |v| v["data"]["koefisien_id"] = json!("99"),
            "data.koefisien_id",
        ),
        (
            |v| {
                v["data"].as_object_mut().map(|o| o.remove("koefisien_id"));
            },
            "data.koefisien_id",
        ),
    ];
    for (i, (mutate, field)) in cases.into_iter().enumerate() {
        let mut v = periodic();
        mutate(&mut v);
        assert_eq!(fields(&v), [field], "case {i}");
    }
    let mut v = periodic();
    v["data"]["koefisien_id"] = json!(22);
    v["data"]["tahun"] = json!("2026");
    assert!(
        parse(&v).is_ok(),
        "numbers as strings and koefisien as number are accepted"
    );
}

#[test]
fn deletes_need_only_the_key() {
    let v = json!({"type": "kinerja.periodik.deleted", "occurred_at": "2026-11-27T10:15:00Z",
                   "version": 9, "data": {"nip": "198507142010011002", "tahun": 2026,
                   "periodik": "bulanan", "bulan_mulai": 5}});
    let ev = parse(&v).expect("valid");
    assert_eq!(ev.change.action, ChangeAction::Delete);
    assert_eq!(ev.change.months(), None);
    let v = json!({"type": "kinerja.tahunan.deleted", "occurred_at": "2026-11-27T10:15:00Z",
                   "version": 9, "data": {"nip": "198507142010011002", "tahun": 2025}});
    assert!(parse(&v).is_ok());
}

#[test]
fn pns_id_is_optional_and_must_be_32_hex_characters() {
    assert_eq!(parse(&annual()).expect("valid").change.pns_id, None);
    let mut v = annual();
    v["data"]["pns_id"] = json!(null);
    assert_eq!(parse(&v).expect("valid").change.pns_id, None);
    v["data"]["pns_id"] = json!("8ae483a87a2f8de1017a3b6c48a01f2d");
    assert_eq!(
        parse(&v).expect("valid").change.pns_id.as_deref(),
        Some("8ae483a87a2f8de1017a3b6c48a01f2d")
    );
    let mut p = periodic();
    p["data"]["pns_id"] = json!("8AE483A87A2F8DE1017A3B6C48A01F2D");
    assert!(parse(&p).expect("valid").change.pns_id.is_some());
    for bad in [
        json!("8ae483a87a2f8de1017a3b6c48a01f2"),
        json!("8ae483a87a2f8de1017a3b6c48a01f2dd"),
        json!("8ae483a87a2f8de1017a3b6c48a01f2g"),
        json!(12345),
    ] {
        v["data"]["pns_id"] = bad;
        assert_eq!(fields(&v), vec!["data.pns_id"]);
    }
}
