//! The data of one record as eHRM last sent it, whatever its family.

use serde::{Deserialize, Serialize};

use crate::jabatan::RiwayatJabatan;
use crate::kinerja::{AnnualKinerja, Penilai, PeriodicKinerja, Predikat, Rating};

/// The data of one record as eHRM last sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "jenis", rename_all = "lowercase")]
pub enum RecordData {
    Tahunan(AnnualKinerja),
    Periodik(PeriodicKinerja),
    /// Boxed: a position is several times the size of a performance record.
    Jabatan(Box<RiwayatJabatan>),
}

impl RecordData {
    /// The ratings of a performance record.
    pub fn ratings(&self) -> Option<(Rating, Rating, Predikat)> {
        match self {
            RecordData::Tahunan(a) => Some((a.hasil_kinerja, a.perilaku_kerja, a.predikat)),
            RecordData::Periodik(p) => Some((p.hasil_kinerja, p.perilaku_kerja, p.predikat)),
            RecordData::Jabatan(_) => None,
        }
    }

    /// The appraiser of a performance record.
    pub fn penilai(&self) -> Option<&Penilai> {
        match self {
            RecordData::Tahunan(a) => Some(&a.penilai),
            RecordData::Periodik(p) => Some(&p.penilai),
            RecordData::Jabatan(_) => None,
        }
    }
}
