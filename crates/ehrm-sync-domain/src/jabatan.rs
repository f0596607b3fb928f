//! Riwayat jabatan (position history), the second data set (`docs/ehrm-contract.md`,
//! "Riwayat jabatan"): one record per history row eHRM keeps, keyed by NIP and eHRM's own
//! `riwayat_id`, with the SK document eHRM serves.

use serde::{Deserialize, Serialize};

use crate::nip::Nip;

/// The kind of position, as eHRM names it and as BKN codes it (`jenisJabatan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JenisJabatan {
    /// BKN 1: a structural post; needs a unit and an eselon.
    Struktural,
    /// BKN 2: a functional post (jabatan fungsional tertentu); needs BKN's JF reference.
    Fungsional,
    /// BKN 4: an executive post (pelaksana, the former JFU); needs BKN's JFU reference.
    Pelaksana,
}

impl JenisJabatan {
    pub const ALL: [JenisJabatan; 3] = [
        JenisJabatan::Struktural,
        JenisJabatan::Fungsional,
        JenisJabatan::Pelaksana,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JenisJabatan::Struktural => "struktural",
            JenisJabatan::Fungsional => "fungsional",
            JenisJabatan::Pelaksana => "pelaksana",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        JenisJabatan::ALL.into_iter().find(|j| j.as_str() == s)
    }

    /// BKN's `jenisJabatan`.
    pub fn bkn_code(self) -> &'static str {
        match self {
            JenisJabatan::Struktural => "1",
            JenisJabatan::Fungsional => "2",
            JenisJabatan::Pelaksana => "4",
        }
    }

    pub fn from_bkn_code(code: &str) -> Option<Self> {
        JenisJabatan::ALL
            .into_iter()
            .find(|j| j.bkn_code() == code.trim())
    }

    /// The name an HR officer reads.
    pub fn label(self) -> &'static str {
        match self {
            JenisJabatan::Struktural => "Struktural",
            JenisJabatan::Fungsional => "Fungsional tertentu",
            JenisJabatan::Pelaksana => "Pelaksana",
        }
    }
}

/// The SK Jabatan (a PDF) as eHRM describes it; its bytes are read from eHRM's read API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DokumenSk {
    pub id: String,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub ukuran: u64,
    pub nama: String,
}

/// BKN's `id_ref_dokumen` of an SK Jabatan.
pub const ID_REF_DOKUMEN_SK_JABATAN: &str = "872";

/// The largest SK document ehrm-sync uploads (BKN's own forms take a few MB).
pub const MAX_DOKUMEN_BYTES: u64 = 5 * 1024 * 1024;

/// One row of an employee's position history. Dates are `YYYY-MM-DD`, checked real at ingest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiwayatJabatan {
    pub nip: Nip,
    pub riwayat_id: String,
    pub jenis_jabatan: JenisJabatan,
    /// eHRM's unit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unor_id: Option<String>,
    /// The unit's SIASN UNOR id, from eHRM's `unor` resource, when known at ingest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unor_id_bkn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eselon_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jabatan_fungsional_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jabatan_fungsional_umum_id: Option<String>,
    pub nama_jabatan: String,
    pub nomor_sk: String,
    pub tanggal_sk: String,
    pub tmt_jabatan: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmt_pelantikan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dokumen_sk: Option<DokumenSk>,
}

impl RiwayatJabatan {
    /// BKN's reference of the position: the JF or JFU id, or the unit for a structural post.
    pub fn reference(&self) -> Option<&str> {
        match self.jenis_jabatan {
            JenisJabatan::Struktural => self.unor_id_bkn.as_deref(),
            JenisJabatan::Fungsional => self.jabatan_fungsional_id.as_deref(),
            JenisJabatan::Pelaksana => self.jabatan_fungsional_umum_id.as_deref(),
        }
    }
}

/// eHRM's `riwayat_id`: 1 to 64 letters, digits, `.`, `_` or `-` (it becomes part of a key).
pub fn is_riwayat_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bkn_codes_round_trip_and_skip_3() {
        for j in JenisJabatan::ALL {
            assert_eq!(JenisJabatan::from_bkn_code(j.bkn_code()), Some(j));
            assert_eq!(JenisJabatan::parse(j.as_str()), Some(j));
        }
        assert_eq!(JenisJabatan::from_bkn_code("3"), None);
    }

    #[test]
    fn riwayat_ids_that_fit_a_key() {
        assert!(is_riwayat_id("RJ-000123"));
        assert!(!is_riwayat_id(""));
        assert!(!is_riwayat_id("a/b"));
        assert!(!is_riwayat_id(&"x".repeat(65)));
    }
}
