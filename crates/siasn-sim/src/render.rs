//! The population rendered in SIASN's dialect: camelCase (PascalCase for ref-unor), dates
//! `dd-mm-yyyy`, golongan and eselon as ids, names in capitals as SIASN shows them.

use serde_json::{Value, json};

use ehrm_sync_domain::dates::{format_bkn_date, parse_iso_date};
use ehrm_sync_population::{
    Employee, INSTANSI_ID, INSTANSI_NAMA, Jabatan, JenisJabatan, Unit, eselon_to_bkn,
    golongan_to_bkn, pangkat_of,
};

use crate::history;
use crate::state::{Periodik, Skp22};

pub fn bkn_date(iso: &str) -> Value {
    parse_iso_date(iso).map_or(Value::Null, |d| Value::String(format_bkn_date(d)))
}

fn jenis_jabatan_nama(j: JenisJabatan) -> &'static str {
    match j {
        JenisJabatan::Struktural => "Struktural",
        JenisJabatan::Fungsional => "Fungsional Tertentu",
        JenisJabatan::Pelaksana => "Fungsional Umum",
    }
}

fn unit_bkn_id<'a>(units: &'a [Unit], unor_id: &str) -> (Value, Value, Option<&'a Unit>) {
    match units.iter().find(|u| u.unor_id == unor_id) {
        Some(u) => (json!(u.unor_id_bkn), json!(u.nama), Some(u)),
        None => (Value::Null, Value::Null, None),
    }
}

fn fake_nik(nip: &str) -> String {
    // A 16-digit NIK-like number (region code, birth date, serial). Never logged.
    format!("3273{}{}{}", &nip[6..8], &nip[4..6], &nip[2..4]) + &nip[14..18]
}

/// `GET /pns/data-utama/{nip}` → `data`.
pub fn data_utama(e: &Employee, units: &[Unit]) -> Value {
    let (unor_id, unor_nama, unit) = unit_bkn_id(units, &e.unor_id);
    let (induk_id, induk_nama) = unit
        .and_then(|u| u.parent_id.as_deref())
        .map(|p| unit_bkn_id(units, p))
        .map_or((Value::Null, Value::Null), |(a, b, _)| (a, b));
    let gol_id = golongan_to_bkn(&e.golongan);
    let eselon_id = e.eselon.as_deref().and_then(eselon_to_bkn);
    let pppk = e.jenis_pegawai == "PPPK";
    let jabatan = (!e.siasn.jabatan_kosong).then_some(e.jenis_jabatan);
    json!({
        "id": e.pns_id,
        "nipBaru": e.nip,
        "nipLama": null,
        "nama": e.nama.to_uppercase(),
        "gelarDepan": e.gelar_depan,
        "gelarBelakang": e.gelar_belakang,
        "tglLahir": bkn_date(&e.tgl_lahir),
        "jenisKelamin": if e.jenis_kelamin == "L" { "M" } else { "F" },
        "nik": fake_nik(&e.nip),
        "email": null,
        "emailGov": null,
        "noHp": null,
        "jenisPegawaiId": if pppk { "71" } else { "1" },
        "jenisPegawaiNama": if pppk { "PPPK" } else { "PNS Pusat" },
        "kedudukanPnsId": e.siasn.kedudukan.as_ref().map_or("01", |k| k.0.as_str()),
        "kedudukanPnsNama": e.siasn.kedudukan.as_ref().map_or(if pppk { "PPPK Aktif" } else { "Aktif" }, |k| k.1.as_str()),
        "statusPegawai": if pppk { "PPPK" } else { "PNS" },
        "tmtCpns": bkn_date(&e.tmt_cpns),
        "tmtPns": bkn_date(&e.tmt_cpns),
        "instansiIndukId": INSTANSI_ID,
        "instansiIndukNama": INSTANSI_NAMA,
        "instansiKerjaId": INSTANSI_ID,
        "instansiKerjaNama": INSTANSI_NAMA,
        "unorId": unor_id,
        "unorNama": unor_nama,
        "unorIndukId": induk_id,
        "unorIndukNama": induk_nama,
        "jenisJabatanId": e.jenis_jabatan.bkn_id(),
        "jenisJabatan": jenis_jabatan_nama(e.jenis_jabatan),
        "jabatanNama": jabatan.map(|_| &e.jabatan_nama),
        "jabatanStrukturalNama": jabatan.filter(|j| *j == JenisJabatan::Struktural).map(|_| &e.jabatan_nama),
        "jabatanStrukturalId": jabatan.filter(|j| *j == JenisJabatan::Struktural).map(|_| history::ref_id("js", &e.jabatan_nama)),
        "jabatanFungsionalNama": jabatan.filter(|j| *j == JenisJabatan::Fungsional).map(|_| &e.jabatan_nama),
        "jabatanFungsionalId": jabatan.filter(|j| *j == JenisJabatan::Fungsional).map(|_| history::ref_id("jf", &e.jabatan_nama)),
        "jabatanFungsionalUmumNama": jabatan.filter(|j| *j == JenisJabatan::Pelaksana).map(|_| &e.jabatan_nama),
        "jabatanFungsionalUmumId": jabatan.filter(|j| *j == JenisJabatan::Pelaksana).map(|_| history::ref_id("jfu", &e.jabatan_nama)),
        "tkPendidikanTerakhirId": history::tk_pendidikan(e),
        "tmtJabatan": bkn_date(&e.tmt_jabatan),
        "eselon": e.eselon,
        "eselonId": eselon_id,
        "eselonLevel": eselon_id.as_ref().map(|id| id[..1].to_string()),
        "golRuangAkhirId": gol_id.clone().unwrap_or_else(|| e.golongan.clone()),
        "golRuangAkhir": e.golongan,
        "pangkatAkhir": pangkat_of(&e.golongan),
        "tmtGolAkhir": bkn_date(&e.tmt_golongan),
        "tmtPensiun": bkn_date(&e.tmt_pensiun),
        "bupPensiun": null,
    })
}

/// `GET /pns/rw-jabatan/{nip}` items.
pub fn rw_jabatan(e: &Employee, units: &[Unit]) -> Vec<Value> {
    e.riwayat_jabatan
        .iter()
        .map(|j: &Jabatan| {
            let (unor_id, unor_nama, _) = unit_bkn_id(units, &j.unor_id);
            let eselon_id = j.eselon.as_deref().and_then(eselon_to_bkn);
            json!({
                "id": j.bkn_id,
                "idPns": e.pns_id,
                "nipBaru": e.nip,
                "jenisJabatan": j.jenis_jabatan.bkn_id().to_string(),
                "instansiKerjaId": INSTANSI_ID,
                "instansiKerjaNama": INSTANSI_NAMA,
                "unorId": unor_id,
                "unorNama": unor_nama,
                "namaUnor": unor_nama,
                "eselon": j.eselon,
                "eselonId": eselon_id,
                "namaJabatan": j.nama_jabatan,
                "jabatanFungsionalNama": (j.jenis_jabatan == JenisJabatan::Fungsional).then_some(&j.nama_jabatan),
                "jabatanFungsionalId": (j.jenis_jabatan == JenisJabatan::Fungsional).then(|| history::ref_id("jf", &j.nama_jabatan)),
                "jabatanFungsionalUmumNama": (j.jenis_jabatan == JenisJabatan::Pelaksana).then_some(&j.nama_jabatan),
                "jabatanFungsionalUmumId": (j.jenis_jabatan == JenisJabatan::Pelaksana).then(|| history::ref_id("jfu", &j.nama_jabatan)),
                "tmtJabatan": bkn_date(&j.tmt_jabatan),
                "tmtPelantikan": j.tmt_pelantikan.as_deref().map(bkn_date),
                "nomorSk": j.nomor_sk,
                "tanggalSk": bkn_date(&j.tanggal_sk),
                "path": null,
            })
        })
        .collect()
}

/// `GET /referensi/ref-unor` items (PascalCase).
pub fn ref_unor(u: &Unit, units: &[Unit], pns_of: &dyn Fn(&str) -> Option<String>) -> Value {
    let parent = u
        .parent_id
        .as_deref()
        .and_then(|p| units.iter().find(|x| x.unor_id == p));
    json!({
        "Id": u.unor_id_bkn,
        "InstansiId": INSTANSI_ID,
        "DiatasanId": parent.and_then(|p| p.unor_id_bkn.clone()),
        "IndukUnorId": parent.and_then(|p| p.unor_id_bkn.clone()),
        "EselonId": u.eselon.as_deref().and_then(eselon_to_bkn).unwrap_or_else(|| "99".into()),
        "NamaUnor": u.nama,
        "NamaJabatan": u.nama_jabatan,
        "CepatKode": u.unor_id.replace('.', ""),
        "PemimpinPnsId": u.head_nip.as_deref().and_then(pns_of),
        "JenisUnorId": if u.eselon.is_some() { "1" } else { "2" },
    })
}

fn rating_text(v: i64) -> &'static str {
    match v {
        1 => "DIATAS EKSPEKTASI",
        2 => "SESUAI EKSPEKTASI",
        3 => "DIBAWAH EKSPEKTASI",
        _ => "",
    }
}

fn kuadran_text(v: i64) -> &'static str {
    match v {
        1 => "SANGAT BAIK",
        2 => "BAIK",
        3 => "BUTUH PERBAIKAN",
        4 => "KURANG",
        5 => "SANGAT KURANG",
        _ => "",
    }
}

/// `GET /pns/rw-skp22/{nip}` item — with its capitalised fields.
pub fn skp22(r: &Skp22) -> Value {
    json!({
        "id": r.id,
        "tahun": r.tahun,
        "hasilKinerja": rating_text(r.hasil),
        "hasilKinerjaNilai": r.hasil,
        "perilakuKerja": rating_text(r.perilaku),
        "PerilakuKerjaNilai": r.perilaku,
        "kuadranKinerja": kuadran_text(r.kuadran),
        "KuadranKinerjaNilai": r.kuadran,
        "namaPenilai": r.penilai_nama,
        "nipNrpPenilai": r.penilai_nip,
        "penilaiGolonganId": r.penilai_golongan,
        "penilaiJabatanNm": r.penilai_jabatan,
        "penilaiUnorNm": r.penilai_unor_nama,
        "pnsDinilaiId": r.pns_id,
        "statusPenilai": r.status_penilai,
        "path": null,
    })
}

/// `GET /pns/rw-kinerjaperiodik/{nip}` item — with the `koefisenId` typo.
pub fn periodik(r: &Periodik) -> Value {
    json!({
        "id": r.id,
        "tahun": r.tahun,
        "nip": r.nip,
        "periodikId": r.periodik_id,
        "periodikNama": if r.periodik_id == "1" { "BULANAN" } else { "TRIWULAN" },
        "bulanMulaiPenilaian": r.bulan_mulai.to_string(),
        "bulanSelesaiPenilaian": r.bulan_selesai.to_string(),
        "tahunMulaiPenilaian": r.tahun,
        "tahunSelesaiPenilaian": r.tahun,
        "hasilKinerja": rating_text(r.hasil),
        "hasilKinerjaNilai": r.hasil,
        "perilakuKerja": rating_text(r.perilaku),
        "perilakuKerjaNilai": r.perilaku,
        "kuadranKinerjaNilai": r.kuadran,
        "koefisenId": r.koefisien_id,
        "penilaiNipNrp": r.penilai_nip,
        "namaPenilai": r.penilai_nama,
        "pnsDinilaiId": r.pns_id,
        "path": null,
    })
}

/// A stored riwayat jabatan as a 2026 `rw-jabatan` reply shows it (`docs/bkn-api.md`,
/// "Riwayat jabatan"): a missing `path` as an object with an empty key, an empty pelantikan
/// date as Go's zero date `01-01-0001`, `createdAt` possibly null.
pub fn quirky_jabatan(item: &Value) -> Value {
    let mut item = item.clone();
    if let Some(o) = item.as_object_mut() {
        if o.get("path")
            .is_none_or(|p| p.is_null() || p.as_object().is_some_and(|m| m.is_empty()))
        {
            o.insert("path".into(), json!({"": {}}));
        }
        if o.get("tmtPelantikan")
            .is_none_or(|v| v.is_null() || v.as_str() == Some(""))
        {
            o.insert("tmtPelantikan".into(), json!("01-01-0001"));
        }
        o.entry("createdAt").or_insert(Value::Null);
    }
    item
}
