//! Bodies as BKN spells them. Casing differs per endpoint (camelCase, `PerilakuKerjaNilai` and
//! `KuadranKinerjaNilai` capitalised in rw-skp22, the typo `koefisenId` in rw-kinerjaperiodik),
//! so every field carries an explicit rename, with aliases for the variants clients have met.
//! Numbers may arrive as JSON numbers or strings.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use ehrm_sync_domain::kinerja::{AnnualKinerja, PeriodicKinerja, Periodik};

use ehrm_sync_core::ports::BknAnnualRecord;

use crate::classify::loose_i64;

pub mod jabatan;

/// `POST /skp22/save`.
#[derive(Serialize)]
pub struct Skp22Save<'a> {
    /// Omitted on create: no public client sends `"id": null` (`docs/bkn-api.md`, "Saves").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    #[serde(rename = "pnsDinilaiOrang")]
    pub pns_dinilai_orang: &'a str,
    pub tahun: i32,
    #[serde(rename = "hasilKinerjaNilai")]
    pub hasil_kinerja_nilai: u8,
    #[serde(rename = "perilakuKerjaNilai")]
    pub perilaku_kerja_nilai: u8,
    #[serde(rename = "kuadranKinerjaNilai")]
    pub kuadran_kinerja_nilai: u8,
    #[serde(rename = "penilaiNipNrp")]
    pub penilai_nip_nrp: &'a str,
    #[serde(rename = "penilaiNama")]
    pub penilai_nama: &'a str,
    #[serde(rename = "penilaiJabatan")]
    pub penilai_jabatan: &'a str,
    #[serde(rename = "penilaiUnorNama")]
    pub penilai_unor_nama: &'a str,
    #[serde(rename = "penilaiGolongan")]
    pub penilai_golongan: &'a str,
    #[serde(rename = "statusPenilai")]
    pub status_penilai: &'a str,
    /// Documents; omitted when there are none (an empty `path` is not what clients send).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<Value>,
}

impl<'a> Skp22Save<'a> {
    pub fn new(id: Option<&'a str>, pns_id: &'a str, d: &'a AnnualKinerja) -> Self {
        Skp22Save {
            id,
            pns_dinilai_orang: pns_id,
            tahun: d.tahun,
            hasil_kinerja_nilai: d.hasil_kinerja.code(),
            perilaku_kerja_nilai: d.perilaku_kerja.code(),
            kuadran_kinerja_nilai: d.predikat.code(),
            penilai_nip_nrp: &d.penilai.nip,
            penilai_nama: &d.penilai.nama,
            penilai_jabatan: &d.penilai.jabatan,
            penilai_unor_nama: &d.penilai.unor_nama,
            penilai_golongan: &d.penilai.golongan_id,
            status_penilai: d.penilai.status.as_str(),
            path: Vec::new(),
        }
    }
}

/// `POST /kinerjaperiodik/save`.
#[derive(Serialize)]
pub struct KinerjaPeriodikSave<'a> {
    /// Omitted on create (`docs/bkn-api.md`, "Saves").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    #[serde(rename = "pnsDinilaiId")]
    pub pns_dinilai_id: &'a str,
    pub tahun: i32,
    #[serde(rename = "periodikId")]
    pub periodik_id: &'a str,
    #[serde(rename = "bulanMulaiPenilaian")]
    pub bulan_mulai_penilaian: u8,
    #[serde(rename = "bulanSelesaiPenilaian")]
    pub bulan_selesai_penilaian: u8,
    #[serde(rename = "tahunMulaiPenilaian")]
    pub tahun_mulai_penilaian: i32,
    #[serde(rename = "tahunSelesaiPenilaian")]
    pub tahun_selesai_penilaian: i32,
    #[serde(rename = "hasilKinerjaNilai")]
    pub hasil_kinerja_nilai: u8,
    #[serde(rename = "perilakuKerjaNilai")]
    pub perilaku_kerja_nilai: u8,
    #[serde(rename = "kuadranKinerjaNilai")]
    pub kuadran_kinerja_nilai: u8,
    #[serde(rename = "koefisienId")]
    pub koefisien_id: &'a str,
    #[serde(rename = "penilaiNipNrp")]
    pub penilai_nip_nrp: &'a str,
    #[serde(rename = "penilaiNama")]
    pub penilai_nama: &'a str,
    #[serde(rename = "penilaiJabatanNama")]
    pub penilai_jabatan_nama: &'a str,
    #[serde(rename = "penilaiUnorNama")]
    pub penilai_unor_nama: &'a str,
    #[serde(rename = "penilaiGolongan")]
    pub penilai_golongan: &'a str,
    #[serde(rename = "statusPenilai")]
    pub status_penilai: &'a str,
    /// Documents; omitted when there are none (an empty `path` is not what clients send).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<Value>,
}

impl<'a> KinerjaPeriodikSave<'a> {
    pub fn new(id: Option<&'a str>, pns_id: &'a str, d: &'a PeriodicKinerja) -> Self {
        KinerjaPeriodikSave {
            id,
            pns_dinilai_id: pns_id,
            tahun: d.tahun,
            periodik_id: d.periodik.bkn_id(),
            bulan_mulai_penilaian: d.bulan_mulai,
            bulan_selesai_penilaian: d.bulan_selesai,
            tahun_mulai_penilaian: d.tahun,
            tahun_selesai_penilaian: d.tahun,
            hasil_kinerja_nilai: d.hasil_kinerja.code(),
            perilaku_kerja_nilai: d.perilaku_kerja.code(),
            kuadran_kinerja_nilai: d.predikat.code(),
            koefisien_id: &d.koefisien_id,
            penilai_nip_nrp: &d.penilai.nip,
            penilai_nama: &d.penilai.nama,
            penilai_jabatan_nama: &d.penilai.jabatan,
            penilai_unor_nama: &d.penilai.unor_nama,
            penilai_golongan: &d.penilai.golongan_id,
            status_penilai: d.penilai.status.as_str(),
            path: Vec::new(),
        }
    }
}

fn loose_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.as_ref().and_then(loose_i64))
}

fn loose_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// One item of `GET /pns/rw-skp22/{nip}`.
#[derive(Debug, Deserialize)]
pub struct RwSkp22Item {
    #[serde(default, deserialize_with = "loose_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "loose_num")]
    pub tahun: Option<i64>,
    #[serde(
        rename = "hasilKinerjaNilai",
        alias = "HasilKinerjaNilai",
        default,
        deserialize_with = "loose_num"
    )]
    pub hasil_kinerja_nilai: Option<i64>,
    #[serde(
        rename = "PerilakuKerjaNilai",
        alias = "perilakuKerjaNilai",
        default,
        deserialize_with = "loose_num"
    )]
    pub perilaku_kerja_nilai: Option<i64>,
    #[serde(
        rename = "KuadranKinerjaNilai",
        alias = "kuadranKinerjaNilai",
        default,
        deserialize_with = "loose_num"
    )]
    pub kuadran_kinerja_nilai: Option<i64>,
    #[serde(
        rename = "nipNrpPenilai",
        alias = "penilaiNipNrp",
        default,
        deserialize_with = "loose_string"
    )]
    pub nip_nrp_penilai: Option<String>,
}

/// One item of `GET /pns/rw-kinerjaperiodik/{nip}`.
#[derive(Debug, Deserialize)]
pub struct RwKinerjaPeriodikItem {
    #[serde(default, deserialize_with = "loose_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "loose_num")]
    pub tahun: Option<i64>,
    #[serde(rename = "periodikId", default, deserialize_with = "loose_string")]
    pub periodik_id: Option<String>,
    #[serde(
        rename = "bulanMulaiPenilaian",
        alias = "bulanMulai",
        default,
        deserialize_with = "loose_num"
    )]
    pub bulan_mulai: Option<i64>,
    #[serde(
        rename = "bulanSelesaiPenilaian",
        alias = "bulanSelesai",
        default,
        deserialize_with = "loose_num"
    )]
    pub bulan_selesai: Option<i64>,
    #[serde(rename = "hasilKinerjaNilai", default, deserialize_with = "loose_num")]
    pub hasil_kinerja_nilai: Option<i64>,
    #[serde(
        rename = "perilakuKerjaNilai",
        alias = "PerilakuKerjaNilai",
        default,
        deserialize_with = "loose_num"
    )]
    pub perilaku_kerja_nilai: Option<i64>,
    #[serde(
        rename = "kuadranKinerjaNilai",
        alias = "KuadranKinerjaNilai",
        default,
        deserialize_with = "loose_num"
    )]
    pub kuadran_kinerja_nilai: Option<i64>,
    /// BKN's typo, kept: `koefisenId`.
    #[serde(
        rename = "koefisenId",
        alias = "koefisienId",
        default,
        deserialize_with = "loose_string"
    )]
    pub koefisien_id: Option<String>,
    #[serde(
        rename = "penilaiNipNrp",
        alias = "nipNrpPenilai",
        default,
        deserialize_with = "loose_string"
    )]
    pub penilai_nip_nrp: Option<String>,
}

impl RwKinerjaPeriodikItem {
    pub fn periodik(&self) -> Option<Periodik> {
        self.periodik_id.as_deref().and_then(Periodik::from_bkn_id)
    }
}

/// The new id in a save answer: `mapData` as a string, or an object holding it
/// (`rwSkpId`, `rwKinerjaPeriodikId`, `rwJabatanId`, `id`, …).
pub fn saved_id(answer: &Value) -> Option<String> {
    let as_id = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match answer.get("mapData") {
        Some(Value::Object(m)) => ["rwSkpId", "rwKinerjaPeriodikId", "rwJabatanId", "id"]
            .iter()
            .find_map(|k| m.get(*k).and_then(as_id))
            .or_else(|| m.values().find_map(as_id)),
        Some(v) => as_id(v),
        None => answer
            .get("data")
            .and_then(|d| d.get("id").and_then(as_id).or_else(|| as_id(d))),
    }
}

/// The `data` of an answer as a list: an array; nothing for `null` or a "not found" string; a
/// JSON string holding an array is decoded once more (the SAPK habit).
pub fn data_list(answer: &Value) -> Vec<Value> {
    match answer.get("data") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(s)) if s.trim_start().starts_with('[') => {
            serde_json::from_str::<Vec<Value>>(s).unwrap_or_default()
        }
        Some(Value::Object(o)) => match o.get("data").or_else(|| o.get("items")) {
            Some(Value::Array(items)) => items.clone(),
            _ => vec![Value::Object(o.clone())],
        },
        _ => Vec::new(),
    }
}

/// The `data` of an answer as one object (data-utama), decoding a JSON string if needed.
pub fn data_object(answer: &Value) -> Option<serde_json::Map<String, Value>> {
    match answer.get("data") {
        Some(Value::Object(o)) => Some(o.clone()),
        Some(Value::String(s)) if s.trim_start().starts_with('{') => serde_json::from_str(s).ok(),
        _ => None,
    }
}

/// rw-skp22's items as annual records (items without an id are skipped).
pub fn annual_from(answer: Option<&Value>) -> Vec<BknAnnualRecord> {
    let to_u8 = |v: Option<i64>| v.and_then(|n| u8::try_from(n).ok());
    answer
        .map(data_list)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| serde_json::from_value::<RwSkp22Item>(v).ok())
        .filter_map(|i| {
            Some(BknAnnualRecord {
                id: i.id?,
                tahun: i.tahun.and_then(|t| i32::try_from(t).ok()),
                hasil_kinerja: to_u8(i.hasil_kinerja_nilai),
                perilaku_kerja: to_u8(i.perilaku_kerja_nilai),
                kuadran: to_u8(i.kuadran_kinerja_nilai),
                penilai_nip: i.nip_nrp_penilai,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn map_data_as_string_or_object() {
        assert_eq!(
            saved_id(&json!({"success": true, "mapData": "ABC"})).as_deref(),
            Some("ABC")
        );
        assert_eq!(
            saved_id(&json!({"success": true, "mapData": {"rwSkpId": "DEF"}})).as_deref(),
            Some("DEF")
        );
        assert_eq!(
            saved_id(&json!({"success": true, "mapData": {"other": "GHI"}})).as_deref(),
            Some("GHI")
        );
        assert_eq!(saved_id(&json!({"success": true, "mapData": null})), None);
        assert_eq!(
            saved_id(&json!({"success": true, "data": {"id": "JKL"}})).as_deref(),
            Some("JKL")
        );
    }

    #[test]
    fn create_bodies_carry_neither_id_nor_an_empty_path() {
        use ehrm_sync_domain::kinerja::{Penilai, PenilaiStatus, Predikat, Rating};
        let data = AnnualKinerja {
            nip: ehrm_sync_domain::nip::Nip::parse("198507142010011002").expect("nip"),
            tahun: 2024,
            hasil_kinerja: Rating::AsExpected,
            perilaku_kerja: Rating::AsExpected,
            predikat: Predikat::Baik,
            penilai: Penilai {
                nip: "197001011995031001".into(),
                nama: "P".into(),
                jabatan: "J".into(),
                unor_nama: "U".into(),
                golongan_id: "41".into(),
                status: PenilaiStatus::Asn,
            },
        };
        let create = serde_json::to_value(Skp22Save::new(None, "PNS1", &data)).expect("json");
        assert!(create.get("id").is_none(), "{create}");
        assert!(create.get("path").is_none(), "{create}");
        let update = serde_json::to_value(Skp22Save::new(Some("R1"), "PNS1", &data)).expect("json");
        assert_eq!(update["id"], "R1");
    }

    #[test]
    fn rw_skp22_capitalised_fields_and_loose_numbers() {
        let item: RwSkp22Item = serde_json::from_value(json!({
            "id": "X1", "tahun": "2024", "hasilKinerjaNilai": 2, "PerilakuKerjaNilai": "3",
            "KuadranKinerjaNilai": 4, "nipNrpPenilai": "197001011995031001"
        }))
        .expect("parses");
        assert_eq!(
            (
                item.tahun,
                item.hasil_kinerja_nilai,
                item.perilaku_kerja_nilai,
                item.kuadran_kinerja_nilai
            ),
            (Some(2024), Some(2), Some(3), Some(4))
        );
    }

    #[test]
    fn rw_kinerjaperiodik_typo_field() {
        let item: RwKinerjaPeriodikItem = serde_json::from_value(json!({
            "id": "P1", "tahun": 2024, "periodikId": "2", "bulanMulaiPenilaian": "4",
            "bulanSelesaiPenilaian": 6, "koefisenId": "22"
        }))
        .expect("parses");
        assert_eq!(item.koefisien_id.as_deref(), Some("22"));
        assert_eq!(item.periodik(), Some(Periodik::Triwulan));
        assert_eq!(item.bulan_mulai, Some(4));
    }

    #[test]
    fn lists_come_in_several_shapes() {
        assert_eq!(data_list(&json!({"code": 1, "data": null})).len(), 0);
        assert_eq!(
            data_list(&json!({"code": 0, "data": "Data tidak ditemukan"})).len(),
            0
        );
        assert_eq!(
            data_list(&json!({"code": 1, "data": [{"id": 1}, {"id": 2}]})).len(),
            2
        );
        assert_eq!(data_list(&json!({"data": "[{\"id\":1}]"})).len(), 1);
        assert!(data_object(&json!({"data": "{\"id\":\"A\"}"})).is_some());
    }
}
