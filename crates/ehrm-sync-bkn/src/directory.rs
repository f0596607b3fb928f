//! BKN's reads for reconciliation (the core [`BknDirectory`] port): data-utama, rw-jabatan,
//! rw-skp22, rw-kinerjaperiodik per NIP; ref-unor, list-kp-instansi and list-pensiun-instansi
//! paged. Field names are mapped here, in one place; values stay as BKN writes them (the
//! comparison engine normalises both sides).

use async_trait::async_trait;
use serde_json::{Map, Value};

use ehrm_sync_core::ports::{Bkn, BknDirectory, BknError, ListedPns};
use ehrm_sync_domain::dates::{format_bkn_date, format_iso_date};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::{
    EmployeeFacts, JabatanFacts, KinerjaFacts, PegawaiFacts, UnitFacts,
};

use crate::client::BknClient;
use crate::wire::data_list;

/// Rows asked per page of a paged list.
const PAGE: usize = 100;
/// A bound on pages, so a misbehaving `count` cannot loop forever (1,000,000 rows).
const MAX_PAGES: usize = 10_000;

/// A field as a string, whether BKN sent a string or a number; empty strings are absent.
pub(crate) fn text(o: &Map<String, Value>, key: &str) -> Option<String> {
    match o.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn first(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| text(o, k))
}

fn pegawai(nip: &str, d: &Map<String, Value>) -> PegawaiFacts {
    PegawaiFacts {
        nip: text(d, "nipBaru").unwrap_or_else(|| nip.to_string()),
        nama: text(d, "nama"),
        gelar_depan: text(d, "gelarDepan"),
        gelar_belakang: text(d, "gelarBelakang"),
        tgl_lahir: text(d, "tglLahir"),
        jenis_kelamin: text(d, "jenisKelamin"),
        golongan: first(d, &["golRuangAkhirId", "golRuangAkhir"]),
        tmt_golongan: text(d, "tmtGolAkhir"),
        jenis_jabatan: first(d, &["jenisJabatanId", "jenisJabatan"]),
        jabatan: first(
            d,
            &[
                "jabatanNama",
                "jabatanStrukturalNama",
                "jabatanFungsionalNama",
                "jabatanFungsionalUmumNama",
            ],
        ),
        eselon: first(d, &["eselonId", "eselon"]),
        unor: text(d, "unorId"),
        tmt_cpns: text(d, "tmtCpns"),
        tmt_pensiun: text(d, "tmtPensiun"),
        pns_id: text(d, "id"),
    }
}

fn jabatan(o: &Map<String, Value>) -> JabatanFacts {
    JabatanFacts {
        bkn_id: text(o, "id"),
        jenis_jabatan: first(o, &["jenisJabatan", "jenisJabatanId"]),
        nama_jabatan: first(
            o,
            &[
                "namaJabatan",
                "jabatanFungsionalNama",
                "jabatanFungsionalUmumNama",
            ],
        ),
        unor: text(o, "unorId"),
        eselon: first(o, &["eselonId", "eselon"]),
        nomor_sk: text(o, "nomorSk"),
        tanggal_sk: text(o, "tanggalSk"),
        tmt_jabatan: text(o, "tmtJabatan"),
        tmt_pelantikan: text(o, "tmtPelantikan"),
        ..JabatanFacts::default()
    }
}

fn unit(o: &Map<String, Value>) -> Option<UnitFacts> {
    Some(UnitFacts {
        id: text(o, "Id")?,
        bkn_id: None,
        nama: text(o, "NamaUnor"),
        parent: text(o, "DiatasanId"),
        eselon: text(o, "EselonId"),
        nama_jabatan: text(o, "NamaJabatan"),
        head_pns_id: text(o, "PemimpinPnsId"),
    })
}

/// An item of the promotion or retirement list: a proposal (usulan), whose `id` is the
/// proposal's UUID and `pnsId` the employee's (`docs/bkn-api.md`, "Lists"). `id` is never read as a PNS id.
fn listed(o: &Map<String, Value>) -> Option<ListedPns> {
    Some(ListedPns {
        nip: first(o, &["nipBaru", "nip"])?,
        pns_id: first(o, &["pnsId", "pns_id"]),
        nama: text(o, "nama"),
    })
}

impl BknClient {
    /// Walks a paged list (`limit`/`offset`, total in `count`). The next page is asked only
    /// when `count` says there is more than was read: a list without `count` (no public client
    /// pages the retirement list) is one call.
    pub(crate) async fn paged(
        &self,
        path: &str,
        query: &str,
    ) -> Result<Vec<Map<String, Value>>, BknError> {
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let sep = if query.is_empty() { "" } else { "&" };
            let url = format!("{path}?{query}{sep}limit={PAGE}&offset={}", out.len());
            let Some(answer) = self.get(&url).await? else {
                break;
            };
            let page: Vec<Map<String, Value>> = data_list(&answer)
                .into_iter()
                .filter_map(|v| match v {
                    Value::Object(o) => Some(o),
                    _ => None,
                })
                .collect();
            let count = answer.get("count").and_then(|c| {
                c.as_u64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            });
            let got = page.len();
            out.extend(page);
            if got == 0 || count.is_none_or(|c| out.len() as u64 >= c) {
                break;
            }
        }
        Ok(out)
    }

    async fn rw_jabatan(&self, nip: &Nip) -> Result<Vec<JabatanFacts>, BknError> {
        let answer = self.get(&format!("/pns/rw-jabatan/{nip}")).await?;
        Ok(answer
            .as_ref()
            .map(data_list)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_object)
            .map(jabatan)
            .collect())
    }

    async fn kinerja(&self, nip: &Nip) -> Result<Vec<KinerjaFacts>, BknError> {
        let mut out: Vec<KinerjaFacts> = self
            .annual_records(nip)
            .await?
            .into_iter()
            .filter_map(|r| {
                Some(KinerjaFacts {
                    tahun: r.tahun?,
                    jenis: "tahunan".into(),
                    hasil_kinerja: r.hasil_kinerja,
                    perilaku_kerja: r.perilaku_kerja,
                    predikat: r.kuadran,
                    bkn_id: Some(r.id),
                    ..KinerjaFacts::default()
                })
            })
            .collect();
        out.extend(
            self.periodic_records(nip)
                .await?
                .into_iter()
                .filter_map(|r| {
                    Some(KinerjaFacts {
                        tahun: r.tahun?,
                        jenis: "periodik".into(),
                        periodik: r.periodik.map(|p| p.as_str().to_string()),
                        bulan_mulai: r.bulan_mulai,
                        bulan_selesai: r.bulan_selesai,
                        hasil_kinerja: r.hasil_kinerja,
                        perilaku_kerja: r.perilaku_kerja,
                        predikat: r.kuadran,
                        koefisien_id: r.koefisien_id,
                        bkn_id: Some(r.id),
                        ..KinerjaFacts::default()
                    })
                }),
        );
        Ok(out)
    }
}

#[async_trait]
impl BknDirectory for BknClient {
    async fn employee(&self, nip: &Nip) -> Result<Option<EmployeeFacts>, BknError> {
        let Some(d) = self.data_utama(nip).await? else {
            return Ok(None);
        };
        Ok(Some(EmployeeFacts {
            pegawai: pegawai(nip.as_str(), &d),
            jabatan: self.rw_jabatan(nip).await?,
            kinerja: self.kinerja(nip).await?,
        }))
    }

    async fn units(&self) -> Result<Vec<UnitFacts>, BknError> {
        Ok(self
            .paged("/referensi/ref-unor", "")
            .await?
            .iter()
            .filter_map(unit)
            .collect())
    }

    async fn promotion_list(&self, periode: time::Date) -> Result<Vec<ListedPns>, BknError> {
        let query = format!("periode={}", format_iso_date(periode));
        Ok(self
            .paged("/pns/list-kp-instansi", &query)
            .await?
            .iter()
            .filter_map(listed)
            .collect())
    }

    async fn retirement_list(
        &self,
        from: time::Date,
        to: time::Date,
    ) -> Result<Vec<ListedPns>, BknError> {
        // `dd-mm-yyyy`, as every public client sends it (`docs/bkn-api.md`, "Lists"); SIASN answers another format
        // with an empty list, silently.
        let query = format!(
            "tglAwal={}&tglAkhir={}",
            format_bkn_date(from),
            format_bkn_date(to)
        );
        Ok(self
            .paged("/pns/list-pensiun-instansi", &query)
            .await?
            .iter()
            .filter_map(listed)
            .collect())
    }

    fn calls_made(&self) -> u64 {
        BknClient::calls_made(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_utama_and_ref_unor_fields_are_mapped() {
        let d = json!({"id": "ABC", "nipBaru": "198507142010011002", "nama": "BUDI",
            "golRuangAkhirId": "34", "jenisJabatanId": 1, "eselonId": "21", "unorId": "U1",
            "tmtPensiun": "01-08-2043", "gelarBelakang": ""});
        let p = pegawai("x", d.as_object().expect("object"));
        assert_eq!(p.golongan.as_deref(), Some("34"));
        assert_eq!(p.jenis_jabatan.as_deref(), Some("1"));
        assert_eq!(p.pns_id.as_deref(), Some("ABC"));
        assert_eq!(p.gelar_belakang, None);
        let u = json!({"Id": "U1", "DiatasanId": "U0", "EselonId": "21", "NamaUnor": "Direktorat",
            "PemimpinPnsId": "ABC"});
        let u = unit(u.as_object().expect("object")).expect("unit");
        assert_eq!(
            (u.parent.as_deref(), u.head_pns_id.as_deref()),
            (Some("U0"), Some("ABC"))
        );
    }

    #[test]
    fn list_items_are_proposals_and_their_id_is_never_a_pns_id() {
        let item = json!({"id": "0b6f1c4e-6a8d-4a53-9a4c-2f6a1e9b7c11", "pnsId": "PNS-1",
            "nipBaru": "198507142010011002", "statusUsulan": "12"});
        let l = listed(item.as_object().expect("object")).expect("listed");
        assert_eq!(l.pns_id.as_deref(), Some("PNS-1"));
        let without = json!({"id": "0b6f1c4e-6a8d-4a53-9a4c-2f6a1e9b7c11",
            "nipBaru": "198507142010011002"});
        let l = listed(without.as_object().expect("object")).expect("listed");
        assert_eq!(l.pns_id, None);
    }
}
