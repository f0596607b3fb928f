//! Signed eHRM change webhooks, built as `docs/ehrm-contract.md` ("Change webhooks") describes them.

use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

use ehrm_sync_population::{Employee, Kinerja};
use ehrm_sync_webhook::Secret;

/// A webhook ready to send.
#[derive(Clone, Debug)]
pub struct SignedEvent {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
    pub body: Vec<u8>,
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl SignedEvent {
    /// Signs `body` with `secret` now.
    pub fn sign(secret: &Secret, id: &str, body: Vec<u8>) -> Self {
        let timestamp = now_secs();
        SignedEvent {
            id: id.to_string(),
            timestamp,
            signature: secret.sign(id, timestamp, &body),
            body,
        }
    }

    /// Sends it to `{base}/v1/events`; returns the status and the JSON answer.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        base: &str,
    ) -> Result<(u16, Value), reqwest::Error> {
        let resp = http
            .post(format!("{base}/v1/events"))
            .header("content-type", "application/json")
            .header("webhook-id", &self.id)
            .header("webhook-timestamp", self.timestamp.to_string())
            .header("webhook-signature", &self.signature)
            .body(self.body.clone())
            .send()
            .await?;
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}

fn penilai(k: &Kinerja) -> Value {
    json!({
        "nip": k.penilai.nip, "nama": k.penilai.nama, "jabatan": k.penilai.jabatan,
        "unor_nama": k.penilai.unor_nama, "golongan_id": k.penilai.golongan_id, "status": k.penilai.status,
    })
}

/// The body of an upsert of `k` (annual or periodic) for `e` at `version`.
pub fn upsert_body(e: &Employee, k: &Kinerja, version: u64) -> Value {
    let mut data = json!({
        "nip": e.nip, "tahun": k.tahun,
        "hasil_kinerja": k.hasil_kinerja, "perilaku_kerja": k.perilaku_kerja, "predikat": k.predikat,
        "penilai": penilai(k),
    });
    let kind = if k.jenis == "periodik" {
        data["periodik"] = json!(k.periodik);
        data["bulan_mulai"] = json!(k.bulan_mulai);
        data["bulan_selesai"] = json!(k.bulan_selesai);
        data["koefisien_id"] = json!(k.koefisien_id);
        "kinerja.periodik.upserted"
    } else {
        "kinerja.tahunan.upserted"
    };
    json!({"type": kind, "occurred_at": "2026-11-27T10:15:00+07:00", "version": version, "data": data})
}

/// `k` with other ratings (the caller keeps them consistent with the PermenPANRB matrix).
pub fn rated(k: &Kinerja, hasil: u8, perilaku: u8, predikat: u8) -> Kinerja {
    Kinerja {
        hasil_kinerja: hasil,
        perilaku_kerja: perilaku,
        predikat,
        ..k.clone()
    }
}

/// `k`'s ratings and appraiser as the monthly evaluation of `month` in `tahun`.
pub fn monthly(k: &Kinerja, tahun: i32, month: u8) -> Kinerja {
    Kinerja {
        jenis: "periodik".into(),
        periodik: Some("bulanan".into()),
        tahun,
        bulan_mulai: Some(month),
        bulan_selesai: Some(month),
        koefisien_id: Some("22".into()),
        ..k.clone()
    }
}

/// The body of a delete of `k` for `e` at `version`.
pub fn delete_body(e: &Employee, k: &Kinerja, version: u64) -> Value {
    if k.jenis == "periodik" {
        json!({"type": "kinerja.periodik.deleted", "occurred_at": "2026-11-27T10:15:00+07:00", "version": version,
               "data": {"nip": e.nip, "tahun": k.tahun, "periodik": k.periodik, "bulan_mulai": k.bulan_mulai}})
    } else {
        json!({"type": "kinerja.tahunan.deleted", "occurred_at": "2026-11-27T10:15:00+07:00", "version": version,
               "data": {"nip": e.nip, "tahun": k.tahun}})
    }
}

/// A fresh random webhook secret.
pub fn random_secret() -> Secret {
    let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    Secret::from_bytes(key)
}

/// A validated upsert of an annual record (`tahun`) for `nip` at `version`, as the store sees
/// it: for seeding stores in tests and benches.
pub fn annual_change(
    nip: &ehrm_sync_domain::nip::Nip,
    tahun: i32,
    version: u64,
) -> ehrm_sync_domain::record::Change {
    use ehrm_sync_domain::kinerja::{AnnualKinerja, Penilai, PenilaiStatus, Predikat, Rating};
    use ehrm_sync_domain::record::{Change, ChangeAction, RecordData, RecordKey};
    let data = RecordData::Tahunan(AnnualKinerja {
        nip: nip.clone(),
        tahun,
        hasil_kinerja: Rating::AsExpected,
        perilaku_kerja: Rating::AsExpected,
        predikat: Predikat::Baik,
        penilai: Penilai {
            nip: "197001011995031001".into(),
            nama: "Penilai".into(),
            jabatan: "Direktur".into(),
            unor_nama: "Direktorat".into(),
            golongan_id: "41".into(),
            status: PenilaiStatus::Asn,
        },
    });
    Change {
        key: RecordKey::of(&data),
        version,
        action: ChangeAction::Upsert(data),
        pns_id: None,
    }
}
