//! The identity of one performance record, as eHRM keys it, and its text form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::kinerja::{KinerjaData, Periodik};
use crate::nip::Nip;

/// Identity of one performance record, as eHRM keys it.
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
}

/// The record types ehrm-sync delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecordType {
    #[serde(rename = "kinerja.tahunan")]
    KinerjaTahunan,
    #[serde(rename = "kinerja.periodik")]
    KinerjaPeriodik,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::KinerjaTahunan => "kinerja.tahunan",
            RecordType::KinerjaPeriodik => "kinerja.periodik",
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
            RecordKey::Tahunan { .. } => (None, None),
        }
    }

    pub fn nip(&self) -> &Nip {
        match self {
            RecordKey::Tahunan { nip, .. } | RecordKey::Periodik { nip, .. } => nip,
        }
    }

    pub fn tahun(&self) -> i32 {
        match self {
            RecordKey::Tahunan { tahun, .. } | RecordKey::Periodik { tahun, .. } => *tahun,
        }
    }

    pub fn record_type(&self) -> RecordType {
        match self {
            RecordKey::Tahunan { .. } => RecordType::KinerjaTahunan,
            RecordKey::Periodik { .. } => RecordType::KinerjaPeriodik,
        }
    }

    /// The key with the NIP masked, for logs.
    pub fn masked(&self) -> String {
        self.to_string()
            .replace(self.nip().as_str(), &self.nip().masked())
    }

    /// The key of the record this data belongs to.
    pub fn of(data: &KinerjaData) -> RecordKey {
        match data {
            KinerjaData::Tahunan(a) => RecordKey::Tahunan {
                nip: a.nip.clone(),
                tahun: a.tahun,
            },
            KinerjaData::Periodik(p) => RecordKey::Periodik {
                nip: p.nip.clone(),
                tahun: p.tahun,
                periodik: p.periodik,
                bulan_mulai: p.bulan_mulai,
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
