//! The identity of one record, as eHRM keys it, and its text form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::RecordData;
use crate::jabatan::is_riwayat_id;
use crate::kinerja::Periodik;
use crate::nip::Nip;

/// Identity of one record, as eHRM keys it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKey {
    /// `kinerja.tahunan`: nip + tahun.
    Tahunan { nip: Nip, tahun: i32 },
    /// `kinerja.periodik`: nip + tahun + periodik + bulan_mulai.
    Periodik {
        nip: Nip,
        tahun: i32,
        periodik: Periodik,
        bulan_mulai: u8,
    },
    /// `jabatan`: nip + eHRM's `riwayat_id`.
    Jabatan { nip: Nip, riwayat_id: String },
}

/// The record types ehrm-sync delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecordType {
    #[serde(rename = "kinerja.tahunan")]
    KinerjaTahunan,
    #[serde(rename = "kinerja.periodik")]
    KinerjaPeriodik,
    #[serde(rename = "jabatan")]
    Jabatan,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::KinerjaTahunan => "kinerja.tahunan",
            RecordType::KinerjaPeriodik => "kinerja.periodik",
            RecordType::Jabatan => "jabatan",
        }
    }

    /// What an HR officer calls it.
    pub fn label(self) -> &'static str {
        match self {
            RecordType::KinerjaTahunan => "SKP tahunan",
            RecordType::KinerjaPeriodik => "Kinerja periodik",
            RecordType::Jabatan => "Riwayat jabatan",
        }
    }
}

impl RecordKey {
    /// `bulanan`/`triwulan` and the first month of a periodic evaluation; `None`s for an annual
    /// record.
    pub fn period(&self) -> (Option<&'static str>, Option<u8>) {
        match self {
            RecordKey::Periodik {
                periodik,
                bulan_mulai,
                ..
            } => (Some(periodik.as_str()), Some(*bulan_mulai)),
            RecordKey::Tahunan { .. } | RecordKey::Jabatan { .. } => (None, None),
        }
    }

    pub fn nip(&self) -> &Nip {
        match self {
            RecordKey::Tahunan { nip, .. }
            | RecordKey::Periodik { nip, .. }
            | RecordKey::Jabatan { nip, .. } => nip,
        }
    }

    /// The year of a performance record (`None` for a position).
    pub fn tahun(&self) -> Option<i32> {
        match self {
            RecordKey::Tahunan { tahun, .. } | RecordKey::Periodik { tahun, .. } => Some(*tahun),
            RecordKey::Jabatan { .. } => None,
        }
    }

    pub fn record_type(&self) -> RecordType {
        match self {
            RecordKey::Tahunan { .. } => RecordType::KinerjaTahunan,
            RecordKey::Periodik { .. } => RecordType::KinerjaPeriodik,
            RecordKey::Jabatan { .. } => RecordType::Jabatan,
        }
    }

    /// The key with the NIP masked, for logs.
    pub fn masked(&self) -> String {
        self.to_string()
            .replace(self.nip().as_str(), &self.nip().masked())
    }

    /// The key of the record this data belongs to.
    pub fn of(data: &RecordData) -> RecordKey {
        match data {
            RecordData::Tahunan(a) => RecordKey::Tahunan {
                nip: a.nip.clone(),
                tahun: a.tahun,
            },
            RecordData::Periodik(p) => RecordKey::Periodik {
                nip: p.nip.clone(),
                tahun: p.tahun,
                periodik: p.periodik,
                bulan_mulai: p.bulan_mulai,
            },
            RecordData::Jabatan(j) => RecordKey::Jabatan {
                nip: j.nip.clone(),
                riwayat_id: j.riwayat_id.clone(),
            },
        }
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordKey::Tahunan { nip, tahun } => write!(f, "kinerja.tahunan/{nip}/{tahun}"),
            RecordKey::Periodik {
                nip,
                tahun,
                periodik,
                bulan_mulai,
            } => write!(
                f,
                "kinerja.periodik/{nip}/{tahun}/{}/{bulan_mulai:02}",
                periodik.as_str()
            ),
            RecordKey::Jabatan { nip, riwayat_id } => write!(f, "jabatan/{nip}/{riwayat_id}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a record key: {0}")]
pub struct BadRecordKey(pub String);

impl FromStr for RecordKey {
    type Err = BadRecordKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadRecordKey(s.chars().take(80).collect());
        let parts: Vec<&str> = s.split('/').collect();
        let nip = |raw: &str| Nip::parse(raw).map_err(|_| bad());
        match parts.as_slice() {
            ["kinerja.tahunan", n, t] => Ok(RecordKey::Tahunan {
                nip: nip(n)?,
                tahun: t.parse().map_err(|_| bad())?,
            }),
            ["kinerja.periodik", n, t, p, m] => Ok(RecordKey::Periodik {
                nip: nip(n)?,
                tahun: t.parse().map_err(|_| bad())?,
                periodik: Periodik::parse(p).ok_or_else(bad)?,
                bulan_mulai: m.parse().map_err(|_| bad())?,
            }),
            ["jabatan", n, id] if is_riwayat_id(id) => Ok(RecordKey::Jabatan {
                nip: nip(n)?,
                riwayat_id: (*id).to_string(),
            }),
            _ => Err(bad()),
        }
    }
}

impl Serialize for RecordKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RecordKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
