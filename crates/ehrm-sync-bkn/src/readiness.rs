//! BKN's reads for the readiness check (the core [`BknReadiness`] port): the proposal lists
//! with their status and refusal fields (`docs/bkn-api.md`, "Lists"; `docs/readiness-rules.md`), data-utama's fields the rules
//! read, and rw-golongan, rw-skp22, rw-jabatan, rw-hukdis, rw-angkakredit, rw-pendidikan.
//! Dates are `dd-mm-yyyy` (ISO tolerated); numbers may come as strings.

use async_trait::async_trait;
use serde_json::{Map, Value};
use time::Date;

use ehrm_sync_core::ports::BknError;
use ehrm_sync_core::ports::{BknReadiness, History, HistoryRows};
use ehrm_sync_domain::dates::{format_bkn_date, format_iso_date, parse_bkn_date, parse_iso_date};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::readiness::facts::{
    AngkaKreditRow, BknProfile, GolonganRow, HukdisRow, JabatanRow, PendidikanRow, Proposal, SkpRow,
};

use crate::client::BknClient;
use crate::directory::{first, text};
use crate::wire::{data_list, data_object};

/// A date; BKN's zero date (`01-01-0001`, Go's empty time) is none.
fn date(o: &Map<String, Value>, keys: &[&str]) -> Option<Date> {
    let s = first(o, keys)?;
    parse_bkn_date(&s)
        .or_else(|| parse_iso_date(&s))
        .filter(|d| d.year() > 1)
}

fn number(o: &Map<String, Value>, keys: &[&str]) -> Option<f64> {
    first(o, keys)?.trim().replace(',', ".").parse().ok()
}

fn proposal(o: &Map<String, Value>) -> Option<Proposal> {
    let reasons: Vec<String> = [
        "alasan_tolak_id",
        "alasanTolakId",
        "alasan_tolak_tambahan",
        "alasanTolakTambahan",
    ]
    .iter()
    .filter_map(|k| text(o, k))
    .collect();
    Some(Proposal {
        id: text(o, "id").unwrap_or_default(),
        nip: first(o, &["nipBaru", "nip"])?,
        pns_id: first(o, &["pnsId", "pns_id"]),
        status: first(o, &["statusUsulan", "status_usulan"]),
        status_nama: first(o, &["statusUsulanNama", "status_usulan_nama"]),
        alasan_tolak: (!reasons.is_empty()).then(|| reasons.join(": ")),
        golongan_baru: first(o, &["golonganBaruId", "golonganKppId", "golongan_baru_id"]),
        tmt: date(o, &["tmtKp", "tmtPensiun", "tmt_kp"]),
        jenis: first(o, &["jenis_kp", "jenisKp", "detailLayananNama"]),
    })
}

fn profile(d: &Map<String, Value>) -> BknProfile {
    BknProfile {
        pns_id: text(d, "id"),
        tgl_lahir: date(d, &["tglLahir"]),
        jenis_kelamin: text(d, "jenisKelamin"),
        tmt_cpns: date(d, &["tmtCpns"]),
        jenis_pegawai: first(d, &["jenisPegawaiNama", "statusPegawai"]),
        kedudukan_id: text(d, "kedudukanPnsId"),
        kedudukan_nama: text(d, "kedudukanPnsNama"),
        golongan_id: first(d, &["golRuangAkhirId"]),
        tmt_golongan: date(d, &["tmtGolAkhir"]),
        jenis_jabatan_id: first(d, &["jenisJabatanId", "jenisJabatan"]),
        jabatan_nama: first(
            d,
            &[
                "jabatanNama",
                "jabatanStrukturalNama",
                "jabatanFungsionalNama",
                "jabatanFungsionalUmumNama",
            ],
        ),
        eselon_id: first(d, &["eselonId"]),
        jabatan_struktural_id: text(d, "jabatanStrukturalId"),
        jabatan_fungsional_id: first(d, &["jabatanFungsionalId", "jabatanFungsionalNama"]),
        jabatan_fungsional_umum_id: first(
            d,
            &["jabatanFungsionalUmumId", "jabatanFungsionalUmumNama"],
        ),
        tmt_jabatan: date(d, &["tmtJabatan"]),
        unor_id: text(d, "unorId"),
        tk_pendidikan_id: first(
            d,
            &[
                "tkPendidikanTerakhirId",
                "tkPendidikanId",
                "pendidikanTerakhirId",
            ],
        ),
        tmt_pensiun: date(d, &["tmtPensiun"]),
        bup_pensiun: number(d, &["bupPensiun"])
            .filter(|b| (40.0..=80.0).contains(b))
            .map(|b| b as u8),
    }
}

fn rows<T>(answer: Option<Value>, map: impl Fn(&Map<String, Value>) -> Option<T>) -> Vec<T> {
    answer
        .as_ref()
        .map(data_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_object)
        .filter_map(map)
        .collect()
}

impl BknClient {
    async fn proposals(&self, path: &str, query: &str) -> Result<Vec<Proposal>, BknError> {
        Ok(self
            .paged(path, query)
            .await?
            .iter()
            .filter_map(proposal)
            .collect())
    }
}

#[async_trait]
impl BknReadiness for BknClient {
    async fn kp_proposals(&self, periode: Date) -> Result<Vec<Proposal>, BknError> {
        self.proposals(
            "/pns/list-kp-instansi",
            &format!("periode={}", format_iso_date(periode)),
        )
        .await
    }

    async fn pension_proposals(&self, from: Date, to: Date) -> Result<Vec<Proposal>, BknError> {
        let query = format!(
            "tglAwal={}&tglAkhir={}",
            format_bkn_date(from),
            format_bkn_date(to)
        );
        self.proposals("/pns/list-pensiun-instansi", &query).await
    }

    async fn profile(&self, nip: &Nip) -> Result<Option<BknProfile>, BknError> {
        let answer = self
            .get_shared(&format!("/pns/data-utama/{nip}"), nip)
            .await?;
        Ok(answer.as_ref().and_then(data_object).as_ref().map(profile))
    }

    async fn history(&self, nip: &Nip, which: History) -> Result<HistoryRows, BknError> {
        let answer = self
            .get_shared(&format!("/pns/{}/{nip}", which.path()), nip)
            .await?;
        if which == History::Skp22 {
            let rows = crate::wire::annual_from(answer.as_ref());
            return Ok(HistoryRows::Skp22(
                rows.into_iter()
                    .filter_map(|r| {
                        Some(SkpRow {
                            tahun: r.tahun?,
                            kuadran: r.kuadran,
                            id: Some(r.id),
                        })
                    })
                    .collect(),
            ));
        }
        Ok(match which {
            History::Golongan => HistoryRows::Golongan(rows(answer, |o| {
                Some(GolonganRow {
                    golongan_id: first(o, &["golonganId", "golongan_id", "golongan"]),
                    tmt: date(o, &["tmtGolongan", "tmt_golongan"]),
                })
            })),
            History::Jabatan => HistoryRows::Jabatan(rows(answer, |o| {
                Some(JabatanRow {
                    jenis_jabatan: first(o, &["jenisJabatan", "jenisJabatanId"]),
                    tmt: date(o, &["tmtJabatan"]),
                })
            })),
            History::Hukdis => HistoryRows::Hukdis(rows(answer, |o| {
                Some(HukdisRow {
                    mulai: date(o, &["hukumanTanggal", "tmtHukuman"]),
                    akhir: date(o, &["akhirHukumTanggal", "akhirHukuman"]),
                    jenis: first(o, &["jenisHukumanNama", "jenisTingkatHukumanId"]),
                })
            })),
            History::AngkaKredit => HistoryRows::AngkaKredit(rows(answer, |o| {
                Some(AngkaKreditRow {
                    total: number(o, &["kreditBaruTotal", "kreditTotal"]),
                    tahun_selesai: number(o, &["tahunSelesaiPenailan", "tahunSelesaiPenilaian"])
                        .map(|t| t as i32),
                })
            })),
            History::Pendidikan => HistoryRows::Pendidikan(rows(answer, |o| {
                Some(PendidikanRow {
                    tk_pendidikan_id: first(o, &["tkPendidikanId", "tkPendidikanIdNew"]),
                    tgl_lulus: date(o, &["tglLulus"]),
                })
            })),
            History::Skp22 => HistoryRows::Skp22(Vec::new()),
        })
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
    fn a_proposal_keeps_its_status_refusal_and_kpp_rank() {
        let o = json!({"id": "0b1c-uuid", "pnsId": "A1", "nipBaru": "198507142010011002",
            "statusUsulan": 6, "statusUsulanNama": "Tidak Memenuhi Syarat",
            "alasan_tolak_id": "12", "alasan_tolak_tambahan": "SKP 2025 belum ada",
            "golonganBaruId": "33", "tmtKp": "01-12-2026", "jenis_kp": "Kenaikan Pangkat Reguler"});
        let p = proposal(o.as_object().unwrap()).unwrap();
        assert_eq!(p.status.as_deref(), Some("6"));
        assert_eq!(p.alasan_tolak.as_deref(), Some("12: SKP 2025 belum ada"));
        assert_eq!(p.tmt, parse_iso_date("2026-12-01"));
        assert_eq!(p.pns_id.as_deref(), Some("A1"));
        let clean =
            json!({"id": "x", "nipBaru": "1", "statusUsulan": "12", "alasan_tolak_tambahan": ""});
        assert_eq!(
            proposal(clean.as_object().unwrap()).unwrap().alasan_tolak,
            None
        );
    }

    #[test]
    fn data_utama_fields_for_the_rules_are_mapped() {
        let d = json!({"id": "A1", "tglLahir": "31-01-1969", "tmtGolAkhir": "01-04-2022",
            "golRuangAkhirId": "34", "kedudukanPnsId": "01", "kedudukanPnsNama": "Aktif",
            "jenisJabatanId": 2, "jabatanFungsionalId": "JF1", "tkPendidikanTerakhirId": "40",
            "bupPensiun": "58", "tmtPensiun": "01-02-2027"});
        let p = profile(d.as_object().unwrap());
        assert_eq!(p.tgl_lahir, parse_iso_date("1969-01-31"));
        assert_eq!(p.jenis_jabatan_id.as_deref(), Some("2"));
        assert_eq!(p.bup_pensiun, Some(58));
        assert_eq!(p.tk_pendidikan_id.as_deref(), Some("40"));
    }
}
