//! A population of Kementerian PU work units and employees, generated from a seed or loaded from
//! a JSON file, from which both simulators (BKN SIASN and eHRM) serve their data.
//!
//! The model is eHRM-shaped and neutral: dates are ISO `YYYY-MM-DD`, golongan `III/d`, eselon
//! `II.a`. Each simulator renders it in its own dialect (SIASN: `dd-mm-yyyy`, golongan ids
//! `34`, eselon ids `21`, PascalCase ref-unor). A discrepancy is a difference injected into one
//! side's copy.
//!
//! The JSON file format is [`Population`] serialised with `serde_json` (see the README).
//!
//! Test and demo data, never deployed. Depends on the domain only.

mod generate;
pub mod inject;
mod names;
pub mod readiness;

use serde::{Deserialize, Serialize};

pub use ehrm_sync_domain::codes::{
    eselon_from_bkn, eselon_to_bkn, golongan_from_bkn, golongan_to_bkn,
};
pub use generate::{PopulationSpec, generate};

/// Kementerian PU in SIASN (instansi id and kode cepat as BKN's reference data has them).
pub const INSTANSI_ID: &str = "A5EB03E23D46F6A0E040640A040252AD";
pub const INSTANSI_NAMA: &str = "Kementerian Pekerjaan Umum";

/// SIASN's reference id of a position name (`js` structural, `jf` functional, `jfu`
/// executive): a stable 32-hex id. The world's reference table: eHRM keeps SIASN's ids, so
/// both simulators name a post by the same id.
pub fn jabatan_reference(kind: &str, name: &str) -> String {
    use std::hash::{Hash, Hasher};
    let h = |salt: u8| {
        let mut s = std::collections::hash_map::DefaultHasher::new();
        (kind, name, salt).hash(&mut s);
        s.finish()
    };
    format!("{:016x}{:016x}", h(1), h(2))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    pub units: Vec<Unit>,
    pub employees: Vec<Employee>,
}

/// A work unit (unit kerja / UNOR).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// eHRM's own code, e.g. `PU.03.02.01`.
    pub unor_id: String,
    /// The SIASN UNOR id (32-hex); `None` when eHRM has not mapped it.
    pub unor_id_bkn: Option<String>,
    pub nama: String,
    pub parent_id: Option<String>,
    /// `I.a` … `IV.b`; `None` for non-structural units.
    pub eselon: Option<String>,
    /// The post of the unit's head, e.g. `Direktur Jembatan`.
    pub nama_jabatan: String,
    /// NIP of the head (`None` when the post is vacant).
    pub head_nip: Option<String>,
    /// Date the head took office.
    pub head_tmt: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JenisJabatan {
    Struktural,
    Fungsional,
    Pelaksana,
}

impl JenisJabatan {
    /// SIASN `jenisJabatanId`: 1 struktural, 2 fungsional tertentu, 4 fungsional umum/pelaksana.
    pub fn bkn_id(self) -> u8 {
        match self {
            JenisJabatan::Struktural => 1,
            JenisJabatan::Fungsional => 2,
            JenisJabatan::Pelaksana => 4,
        }
    }

    pub fn from_bkn_id(id: i64) -> Option<Self> {
        match id {
            1 => Some(JenisJabatan::Struktural),
            2 => Some(JenisJabatan::Fungsional),
            4 => Some(JenisJabatan::Pelaksana),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JenisJabatan::Struktural => "struktural",
            JenisJabatan::Fungsional => "fungsional",
            JenisJabatan::Pelaksana => "pelaksana",
        }
    }
}

/// One employee, with the records both systems keep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Employee {
    pub nip: String,
    /// SIASN PNS id (32-hex).
    pub pns_id: String,
    pub nama: String,
    pub gelar_depan: Option<String>,
    pub gelar_belakang: Option<String>,
    pub tgl_lahir: String,
    /// `L` or `P`.
    pub jenis_kelamin: String,
    /// `III/d` style.
    pub golongan: String,
    pub tmt_golongan: String,
    pub jenis_jabatan: JenisJabatan,
    pub jabatan_nama: String,
    /// `II.a` style, structural posts only.
    pub eselon: Option<String>,
    /// eHRM unit code.
    pub unor_id: String,
    pub tmt_jabatan: String,
    pub tmt_cpns: String,
    pub tmt_pensiun: String,
    /// `aktif`, `cltn`, `pensiun`, …
    pub status: String,
    /// `PNS` or `PPPK`.
    pub jenis_pegawai: String,
    pub riwayat_jabatan: Vec<Jabatan>,
    pub kinerja: Vec<Kinerja>,
    /// What SIASN holds beyond the shared fields (proposals, histories), usually derived;
    /// set by [`readiness::plant`] to plant readiness blockers.
    #[serde(default, skip_serializing_if = "SiasnPlant::is_derived")]
    pub siasn: SiasnPlant,
}

/// A proposal (usulan) at BKN for an employee.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Usulan {
    /// Listed when due (promotion) or in range (retirement), in status 12 (Terima Usulan).
    #[default]
    Derived,
    /// Not filed.
    Absent,
    /// Listed with these fields; `kpp`: a retirement proposal with a service promotion
    /// (`BUP KPP`), `None` = as the simulator works it out.
    Listed {
        status: String,
        status_nama: String,
        alasan: Option<String>,
        kpp: Option<bool>,
    },
}

/// A disciplinary penalty (rw-hukdis).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hukdis {
    pub mulai: String,
    pub akhir: String,
    pub jenis: String,
}

/// SIASN-only facts. `None` / empty / `Derived` = what the simulator derives from the rest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiasnPlant {
    pub kp_usulan: Usulan,
    pub pensiun_usulan: Usulan,
    /// data-utama `tkPendidikanTerakhirId`.
    pub tk_pendidikan: Option<String>,
    /// rw-pendidikan's `tkPendidikanId`s.
    pub rw_pendidikan: Option<Vec<String>>,
    pub hukdis: Vec<Hukdis>,
    /// rw-angkakredit: (kreditBaruTotal, tahunSelesaiPenailan).
    pub angka_kredit: Option<Vec<(f64, i32)>>,
    /// data-utama (`kedudukanPnsId`, `kedudukanPnsNama`).
    pub kedudukan: Option<(String, String)>,
    /// The TMT of rw-golongan's latest row, when it differs from data-utama.
    pub rw_golongan_tmt: Option<String>,
    /// rw-golongan lists nothing.
    pub rw_golongan_empty: bool,
    /// data-utama's position fields are empty ("jabatan kosong").
    pub jabatan_kosong: bool,
}

impl SiasnPlant {
    pub fn is_derived(&self) -> bool {
        *self == SiasnPlant::default()
    }
}

/// The promotion period at which the time in rank is reached (4 years; 2 in a functional
/// position), as both simulators and the planted world agree on it: `None` for PPPK and IV/e.
pub fn promotion_period(e: &Employee) -> Option<time::Date> {
    if e.jenis_pegawai != "PNS" || e.golongan == "IV/e" {
        return None;
    }
    let last = ehrm_sync_domain::dates::parse_iso_date(&e.tmt_golongan)?;
    let years = if e.jenis_jabatan == JenisJabatan::Fungsional {
        2
    } else {
        4
    };
    let due = last.replace_year(last.year() + years).ok()?;
    Some(ehrm_sync_domain::reconcile::kp_period_of(due))
}

impl Employee {
    /// The annual (SKP 2022) record of the latest year, if any.
    pub fn latest_annual(&self) -> Option<&Kinerja> {
        self.kinerja
            .iter()
            .filter(|k| k.jenis == "tahunan")
            .max_by_key(|k| k.tahun)
    }

    /// Name with academic titles, as eHRM prints it.
    pub fn nama_lengkap(&self) -> String {
        let mut s = String::new();
        if let Some(g) = &self.gelar_depan {
            s.push_str(g);
            s.push(' ');
        }
        s.push_str(&self.nama);
        if let Some(g) = &self.gelar_belakang {
            s.push_str(", ");
            s.push_str(g);
        }
        s
    }
}

/// One entry of the position history (riwayat jabatan).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jabatan {
    /// SIASN riwayat id.
    pub bkn_id: String,
    pub jenis_jabatan: JenisJabatan,
    pub nama_jabatan: String,
    pub unor_id: String,
    pub eselon: Option<String>,
    pub nomor_sk: String,
    pub tanggal_sk: String,
    pub tmt_jabatan: String,
    pub tmt_pelantikan: Option<String>,
}

/// One performance record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kinerja {
    /// SIASN riwayat id.
    pub bkn_id: String,
    pub tahun: i32,
    /// `tahunan` or `periodik`.
    pub jenis: String,
    /// `bulanan`, `triwulan`, or `None` for annual records.
    pub periodik: Option<String>,
    pub bulan_mulai: Option<u8>,
    pub bulan_selesai: Option<u8>,
    pub koefisien_id: Option<String>,
    pub hasil_kinerja: u8,
    pub perilaku_kerja: u8,
    pub predikat: u8,
    pub version: u64,
    pub penilai: Penilai,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Penilai {
    pub nip: String,
    pub nama: String,
    pub jabatan: String,
    pub unor_nama: String,
    pub golongan_id: String,
    pub status: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0} is not a population file: {1}")]
    Format(String, serde_json::Error),
    #[error("{0}: {1}")]
    Invalid(String, String),
}

impl Population {
    /// Loads a population from a JSON file and checks its NIPs and references.
    pub fn load(path: &std::path::Path) -> Result<Self, LoadError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| LoadError::Io(name.clone(), e))?;
        let pop: Population =
            serde_json::from_slice(&bytes).map_err(|e| LoadError::Format(name.clone(), e))?;
        pop.check().map_err(|m| LoadError::Invalid(name, m))?;
        Ok(pop)
    }

    /// Referential checks: valid NIPs, units that exist.
    pub fn check(&self) -> Result<(), String> {
        let units: std::collections::HashSet<&str> =
            self.units.iter().map(|u| u.unor_id.as_str()).collect();
        for u in &self.units {
            if let Some(p) = &u.parent_id
                && !units.contains(p.as_str())
            {
                return Err(format!("unit {} has an unknown parent {p}", u.unor_id));
            }
        }
        for e in &self.employees {
            ehrm_sync_domain::nip::Nip::parse(&e.nip)
                .map_err(|err| format!("employee {}: invalid NIP ({err})", e.nip))?;
            if !units.contains(e.unor_id.as_str()) {
                return Err(format!("employee {}: unknown unit {}", e.nip, e.unor_id));
            }
        }
        Ok(())
    }

    pub fn unit(&self, unor_id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.unor_id == unor_id)
    }
}

/// Pangkat name of a golongan, as data-utama shows it.
pub fn pangkat_of(golongan: &str) -> &'static str {
    match golongan {
        "I/a" => "Juru Muda",
        "I/b" => "Juru Muda Tingkat I",
        "I/c" => "Juru",
        "I/d" => "Juru Tingkat I",
        "II/a" => "Pengatur Muda",
        "II/b" => "Pengatur Muda Tingkat I",
        "II/c" => "Pengatur",
        "II/d" => "Pengatur Tingkat I",
        "III/a" => "Penata Muda",
        "III/b" => "Penata Muda Tingkat I",
        "III/c" => "Penata",
        "III/d" => "Penata Tingkat I",
        "IV/a" => "Pembina",
        "IV/b" => "Pembina Tingkat I",
        "IV/c" => "Pembina Utama Muda",
        "IV/d" => "Pembina Utama Madya",
        "IV/e" => "Pembina Utama",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golongan_and_eselon_codes_round_trip() {
        for (g, id) in [
            ("I/a", "11"),
            ("II/c", "23"),
            ("III/d", "34"),
            ("IV/e", "45"),
        ] {
            assert_eq!(golongan_to_bkn(g).as_deref(), Some(id));
            assert_eq!(golongan_from_bkn(id).as_deref(), Some(g));
        }
        assert_eq!(golongan_to_bkn("iii/D").as_deref(), Some("34"));
        assert_eq!(golongan_from_bkn("99"), None);
        for (e, id) in [
            ("I.a", "11"),
            ("II.b", "22"),
            ("III.a", "31"),
            ("IV.b", "42"),
        ] {
            assert_eq!(eselon_to_bkn(e).as_deref(), Some(id));
            assert_eq!(eselon_from_bkn(id).as_deref(), Some(e));
        }
        assert_eq!(eselon_from_bkn("99"), None);
    }

    #[test]
    fn generated_population_is_valid_and_reproducible() {
        let spec = PopulationSpec {
            seed: 7,
            employees: 800,
            ..PopulationSpec::default()
        };
        let a = generate(&spec);
        let b = generate(&spec);
        assert_eq!(a, b, "same seed, same population");
        assert_eq!(a.employees.len(), 800);
        a.check().expect("valid");
        let nips: std::collections::HashSet<_> = a.employees.iter().map(|e| &e.nip).collect();
        assert_eq!(nips.len(), a.employees.len(), "NIPs are unique");
        let heads = a.units.iter().filter(|u| u.head_nip.is_some()).count();
        assert!(
            heads * 10 >= a.units.len() * 9,
            "most structural posts are filled"
        );
        assert!(a.employees.iter().any(|e| e.jenis_pegawai == "PPPK"));
        let other = generate(&PopulationSpec { seed: 8, ..spec });
        assert_ne!(a.employees[0].nip, other.employees[0].nip);
    }
}
