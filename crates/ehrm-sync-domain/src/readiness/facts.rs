//! What a readiness check reads: BKN's proposals and one person's data-utama and histories
//! (parsed by the BKN adapter into these shapes), and eHRM's view of the same person.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::reconcile::{KinerjaFacts, PegawaiFacts};

/// An item of `list-kp-instansi` or `list-pensiun-instansi`: a proposal (usulan) filed at BKN.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The proposal's UUID (never a PNS id).
    pub id: String,
    pub nip: String,
    pub pns_id: Option<String>,
    pub status: Option<String>,
    pub status_nama: Option<String>,
    /// `alasan_tolak_id` and `alasan_tolak_tambahan`, joined.
    pub alasan_tolak: Option<String>,
    /// KP: `golonganBaruId`; pension: `golonganKppId`.
    pub golongan_baru: Option<String>,
    /// KP: `tmtKp`; pension: `tmtPensiun`.
    pub tmt: Option<Date>,
    /// KP: `jenis_kp`; pension: `detailLayananNama` (e.g. `BUP KPP`).
    pub jenis: Option<String>,
}

/// data-utama's fields the rules read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BknProfile {
    pub pns_id: Option<String>,
    pub tgl_lahir: Option<Date>,
    /// `M`/`F` (or `L`/`P`, `1`/`2`) as SIASN writes it.
    pub jenis_kelamin: Option<String>,
    pub tmt_cpns: Option<Date>,
    pub jenis_pegawai: Option<String>,
    pub kedudukan_id: Option<String>,
    pub kedudukan_nama: Option<String>,
    pub golongan_id: Option<String>,
    pub tmt_golongan: Option<Date>,
    /// `1` struktural, `2` JF tertentu, `4` pelaksana (JFU).
    pub jenis_jabatan_id: Option<String>,
    pub jabatan_nama: Option<String>,
    pub eselon_id: Option<String>,
    pub jabatan_struktural_id: Option<String>,
    pub jabatan_fungsional_id: Option<String>,
    pub jabatan_fungsional_umum_id: Option<String>,
    pub tmt_jabatan: Option<Date>,
    pub unor_id: Option<String>,
    pub tk_pendidikan_id: Option<String>,
    pub tmt_pensiun: Option<Date>,
    pub bup_pensiun: Option<u8>,
}

/// A `rw-golongan` row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GolonganRow {
    pub golongan_id: Option<String>,
    pub tmt: Option<Date>,
}

/// A `rw-skp22` row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkpRow {
    pub tahun: i32,
    pub kuadran: Option<u8>,
    pub id: Option<String>,
}

/// A `rw-jabatan` row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JabatanRow {
    pub jenis_jabatan: Option<String>,
    pub tmt: Option<Date>,
}

/// A `rw-hukdis` row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HukdisRow {
    pub mulai: Option<Date>,
    pub akhir: Option<Date>,
    pub jenis: Option<String>,
}

/// A `rw-angkakredit` row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AngkaKreditRow {
    pub total: Option<f64>,
    pub tahun_selesai: Option<i32>,
}

/// A `rw-pendidikan` row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendidikanRow {
    pub tk_pendidikan_id: Option<String>,
    pub tgl_lulus: Option<Date>,
}

/// Everything read at BKN for one person. A history not read (no rule needed it) is `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BknPerson {
    /// `None`: data-utama answered "Data tidak ditemukan".
    pub profile: Option<BknProfile>,
    pub golongan: Vec<GolonganRow>,
    pub skp: Vec<SkpRow>,
    pub jabatan: Vec<JabatanRow>,
    pub hukdis: Option<Vec<HukdisRow>>,
    pub angka_kredit: Option<Vec<AngkaKreditRow>>,
    pub pendidikan: Option<Vec<PendidikanRow>>,
}

/// eHRM's view of the person (its `pegawai` row and performance records).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EhrmPerson {
    pub pegawai: PegawaiFacts,
    pub kinerja: Vec<KinerjaFacts>,
    /// `aktif`, `cltn`, … when eHRM gives it.
    pub status: Option<String>,
}

impl EhrmPerson {
    /// eHRM's annual record of a year.
    pub fn annual(&self, tahun: i32) -> Option<&KinerjaFacts> {
        self.kinerja
            .iter()
            .find(|k| k.jenis == "tahunan" && k.tahun == tahun)
    }
}
