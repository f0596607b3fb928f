//! Riwayat jabatan as BKN spells it (`docs/bkn-api.md`, "Riwayat jabatan"): the `jabatan/save`
//! body of BKN's Swagger sample (dates `dd-mm-yyyy`, fields the kind of post does not use sent
//! as `""`, `id` and `path` omitted on create), the items of `pns/rw-jabatan/{nip}` with their
//! quirks, and the multipart body of `upload-dok-rw`.

use serde::Serialize;
use serde_json::{Map, Value};

use ehrm_sync_core::ports::{BknJabatanRecord, Upload};
use ehrm_sync_domain::dates::{format_bkn_date, parse_bkn_date, parse_iso_date};
use ehrm_sync_domain::jabatan::RiwayatJabatan;

/// `POST /jabatan/save`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JabatanSave<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    pub eselon_id: &'a str,
    pub instansi_id: &'a str,
    pub jabatan_fungsional_id: &'a str,
    pub jabatan_fungsional_umum_id: &'a str,
    pub jenis_jabatan: &'a str,
    pub nomor_sk: &'a str,
    pub pns_id: &'a str,
    pub satuan_kerja_id: &'a str,
    pub tanggal_sk: String,
    pub tmt_jabatan: String,
    pub tmt_pelantikan: String,
    pub unor_id: &'a str,
}

/// Where the deployment sits at BKN (one instansi per deployment: `docs/bkn-api.md`).
#[derive(Clone, Copy)]
pub struct Instansi<'a> {
    pub instansi_id: &'a str,
    pub satuan_kerja_id: &'a str,
}

fn bkn_date(iso: &str) -> String {
    parse_iso_date(iso).map(format_bkn_date).unwrap_or_default()
}

impl<'a> JabatanSave<'a> {
    pub fn new(
        id: Option<&'a str>,
        pns_id: &'a str,
        d: &'a RiwayatJabatan,
        at: Instansi<'a>,
    ) -> Self {
        let text = |v: &'a Option<String>| v.as_deref().unwrap_or("");
        JabatanSave {
            id,
            eselon_id: text(&d.eselon_id),
            instansi_id: at.instansi_id,
            jabatan_fungsional_id: text(&d.jabatan_fungsional_id),
            jabatan_fungsional_umum_id: text(&d.jabatan_fungsional_umum_id),
            jenis_jabatan: d.jenis_jabatan.bkn_code(),
            nomor_sk: &d.nomor_sk,
            pns_id,
            satuan_kerja_id: at.satuan_kerja_id,
            tanggal_sk: bkn_date(&d.tanggal_sk),
            tmt_jabatan: bkn_date(&d.tmt_jabatan),
            tmt_pelantikan: d
                .tmt_pelantikan
                .as_deref()
                .map(bkn_date)
                .unwrap_or_default(),
            unor_id: text(&d.unor_id_bkn),
        }
    }
}

/// A field's value, or `None` for BKN's "no value" forms: null, `""`, `01-01-0001`.
fn value(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match o.get(*k)? {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty() && s != "01-01-0001" && s != "0001-01-01").then(|| s.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A date as `YYYY-MM-DD`, from `dd-mm-yyyy` or ISO (with or without a time).
fn date(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    let raw = value(o, keys)?;
    let head = raw.get(..10).unwrap_or(&raw);
    parse_bkn_date(head)
        .or_else(|| parse_iso_date(head))
        .map(ehrm_sync_domain::dates::format_iso_date)
}

/// The keys of `path`: an object keyed by document id (an empty key ignored), or a list of
/// objects naming `dok_id`.
fn documents(o: &Map<String, Value>) -> Vec<String> {
    match o.get("path") {
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(k, v)| !k.trim().is_empty() && !v.is_null())
            .map(|(k, _)| k.trim().to_string())
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_object().and_then(|m| value(m, &["dok_id", "id"])))
            .collect(),
        _ => Vec::new(),
    }
}

/// One item of `GET /pns/rw-jabatan/{nip}`; `None` without an id.
pub fn jabatan_item(v: &Value) -> Option<BknJabatanRecord> {
    let o = v.as_object()?;
    Some(BknJabatanRecord {
        id: value(o, &["id"])?,
        jenis_jabatan: value(o, &["jenisJabatan", "jenisJabatanId"]),
        unor_id: value(o, &["unorId"]),
        eselon_id: value(o, &["eselonId"]),
        jabatan_fungsional_id: value(o, &["jabatanFungsionalId"]),
        jabatan_fungsional_umum_id: value(o, &["jabatanFungsionalUmumId"]),
        nama_jabatan: value(
            o,
            &[
                "namaJabatan",
                "jabatanFungsionalNama",
                "jabatanFungsionalUmumNama",
            ],
        ),
        nomor_sk: value(o, &["nomorSk"]),
        tanggal_sk: date(o, &["tanggalSk"]),
        tmt_jabatan: date(o, &["tmtJabatan"]),
        tmt_pelantikan: date(o, &["tmtPelantikan"]),
        documents: documents(o),
    })
}

/// The multipart body of `upload-dok-rw` (`file`, `id_riwayat`, `id_ref_dokumen`) and its
/// content type. Built here rather than by the HTTP client's multipart feature: three parts do
/// not justify another dependency.
pub fn upload_body(u: &Upload<'_>, boundary: &str) -> (String, Vec<u8>) {
    let mut body = Vec::with_capacity(u.bytes.len() + 512);
    let field = |body: &mut Vec<u8>, name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field(&mut body, "id_riwayat", u.riwayat_id);
    field(&mut body, "id_ref_dokumen", u.id_ref_dokumen);
    let file_name: String = u
        .file_name
        .chars()
        .filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\'))
        .collect();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(u.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ehrm_sync_domain::jabatan::JenisJabatan;
    use ehrm_sync_domain::nip::Nip;
    use serde_json::json;

    fn fungsional() -> RiwayatJabatan {
        RiwayatJabatan {
            nip: Nip::parse("198507142010011002").expect("valid"),
            riwayat_id: "RJ-1".into(),
            jenis_jabatan: JenisJabatan::Fungsional,
            unor_id: Some("PU.03".into()),
            unor_id_bkn: Some("8ae48".into()),
            eselon_id: None,
            jabatan_fungsional_id: Some("JF-77".into()),
            jabatan_fungsional_umum_id: None,
            nama_jabatan: "Analis".into(),
            nomor_sk: "12/KPTS/2026".into(),
            tanggal_sk: "2026-01-05".into(),
            tmt_jabatan: "2026-01-15".into(),
            tmt_pelantikan: None,
            dokumen_sk: None,
        }
    }

    #[test]
    fn a_create_body_as_bkn_clients_send_it() {
        let d = fungsional();
        let at = Instansi {
            instansi_id: "I1",
            satuan_kerja_id: "S1",
        };
        let body = serde_json::to_value(JabatanSave::new(None, "P1", &d, at)).expect("json");
        assert_eq!(body.get("id"), None);
        assert_eq!(body.get("path"), None);
        assert_eq!(body["jenisJabatan"], "2");
        assert_eq!(body["tmtJabatan"], "15-01-2026");
        assert_eq!(body["tanggalSk"], "05-01-2026");
        assert_eq!(body["tmtPelantikan"], "");
        assert_eq!(body["eselonId"], "");
        assert_eq!(body["jabatanFungsionalId"], "JF-77");
        assert_eq!(body["unorId"], "8ae48");
        assert_eq!(body["instansiId"], "I1");
        assert_eq!(body["satuanKerjaId"], "S1");
    }

    #[test]
    fn list_quirks_read_as_absent_and_paths_as_keys() {
        let item = json!({
            "id": "ff80808195a3b2c1d4e5f60718293a4b", "jenisJabatan": "2",
            "tmtJabatan": "15-01-2026", "tanggalSk": "01-01-0001", "tmtPelantikan": "",
            "nomorSk": null, "createdAt": null,
            "path": {"872": {"dok_id": "872", "object": "x.pdf"}, "": null}
        });
        let r = jabatan_item(&item).expect("has an id");
        assert_eq!(r.tmt_jabatan.as_deref(), Some("2026-01-15"));
        assert_eq!(r.tanggal_sk, None);
        assert_eq!(r.tmt_pelantikan, None);
        assert_eq!(r.nomor_sk, None);
        assert_eq!(r.documents, vec!["872".to_string()]);
        assert!(jabatan_item(&json!({"jenisJabatan": "1"})).is_none());
    }

    #[test]
    fn the_multipart_body_names_its_three_parts() {
        let u = Upload {
            riwayat_id: "R1",
            id_ref_dokumen: "872",
            file_name: "SK \"1\".pdf",
            bytes: b"%PDF-1.4",
        };
        let (ct, body) = upload_body(&u, "b0undary");
        let text = String::from_utf8_lossy(&body);
        assert_eq!(ct, "multipart/form-data; boundary=b0undary");
        assert!(text.contains("name=\"id_riwayat\"\r\n\r\nR1\r\n"));
        assert!(text.contains("name=\"id_ref_dokumen\"\r\n\r\n872\r\n"));
        assert!(text.contains("filename=\"SK 1.pdf\""));
        assert!(text.ends_with("%PDF-1.4\r\n--b0undary--\r\n"));
    }
}
