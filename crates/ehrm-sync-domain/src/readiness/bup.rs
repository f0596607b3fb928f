//! Retirement age (BUP) and retirement date (TMT pensiun).
//!
//! BUP (PP 11/2017 Ps 239 jo PP 17/2020; UU 20/2023 Ps 55) (S): 60 for JPT (eselon I–II) and
//! JF ahli madya; 58 for administrator, pengawas, pelaksana, JF ahli pertama/muda and
//! keterampilan; 65 for JF ahli utama; other JF by their own regulation (SIASN's per-JF
//! `bup_usia`, `docs/readiness-rules.md`, "Retirement"), given in the configuration by position name.
//! TMT pensiun: the 1st of the month after the month of the birthday at BUP [S: P9; V: R1].

use std::collections::BTreeMap;

use time::{Date, Month};

use crate::dates::calendar_date;

/// Which kind of position decides the age.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionKind {
    Struktural,
    Fungsional,
    Pelaksana,
}

impl PositionKind {
    /// From BKN's `jenisJabatanId` (1, 2, 4) or eHRM's `jenis_jabatan` words.
    pub fn parse(s: &str) -> Option<PositionKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "1" | "struktural" => Some(PositionKind::Struktural),
            "2" | "fungsional" | "fungsional tertentu" => Some(PositionKind::Fungsional),
            "4" | "pelaksana" | "fungsional umum" => Some(PositionKind::Pelaksana),
            _ => None,
        }
    }
}

/// The retirement age of a position. `eselon` is BKN's id (`21`) or `II.a`; `jf_ages` maps a
/// functional position's name (case-insensitive prefix match) to its own age. `None` for a
/// functional position whose name shows no jenjang and is not in `jf_ages`: its age is unknown,
/// and guessing would report wrong retirement dates.
pub fn bup_age(
    kind: PositionKind,
    eselon: Option<&str>,
    jabatan_nama: Option<&str>,
    jf_ages: &BTreeMap<String, u8>,
) -> Option<u8> {
    match kind {
        PositionKind::Struktural => {
            let id = eselon
                .map(|e| crate::codes::eselon_to_bkn(e).unwrap_or_else(|| e.trim().to_string()));
            Some(match id.as_deref().and_then(|i| i.get(..1)) {
                Some("1" | "2") => 60,
                _ => 58,
            })
        }
        PositionKind::Pelaksana => Some(58),
        PositionKind::Fungsional => {
            let name = jabatan_nama.unwrap_or_default().to_lowercase();
            if let Some(age) = jf_ages
                .iter()
                .filter(|(k, _)| name.starts_with(&k.to_lowercase()))
                .max_by_key(|(k, _)| k.len())
                .map(|(_, a)| *a)
            {
                return Some(age);
            }
            const JENJANG_58: [&str; 6] = [
                "ahli pertama",
                "ahli muda",
                "terampil",
                "mahir",
                "penyelia",
                "pemula",
            ];
            if name.contains("ahli utama") {
                Some(65)
            } else if name.contains("ahli madya") {
                Some(60)
            } else if JENJANG_58.iter().any(|j| name.contains(j)) {
                Some(58)
            } else {
                None
            }
        }
    }
}

/// The 1st of the month after the birthday at `age`. A birthday on 29 February in a year
/// without one still falls in February.
pub fn tmt_pensiun(birth: Date, age: u8) -> Option<Date> {
    let year = birth.year() + i32::from(age);
    match birth.month() {
        Month::December => calendar_date(year + 1, 1, 1),
        m => calendar_date(year, u8::from(m.next()), 1),
    }
}
