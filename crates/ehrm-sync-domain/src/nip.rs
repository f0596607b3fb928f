//! NIP (Nomor Induk Pegawai): the 18-digit number of a civil servant.
//!
//! Two layouts share the 18 digits (`docs/ehrm-contract.md`, "Change webhooks"):
//!
//! | digits | PNS                    | PPPK                               |
//! |--------|------------------------|------------------------------------|
//! | 1–8    | birth date `YYYYMMDD`  | birth date `YYYYMMDD`              |
//! | 9–14   | CPNS start `YYYYMM`    | appointment year `YYYY`, `2`, count |
//! | 15     | gender `1`/`2`         | gender `1`/`2`                     |
//! | 16–18  | sequence `001`–`999`   | sequence `001`–`999`               |
//!
//! Digit 13 tells them apart: for a PNS it is the tens digit of a month (`0` or `1`), for a PPPK
//! it is the marker `2`.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;

use crate::dates::calendar_date;

/// A structurally valid NIP. Construct with [`Nip::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nip(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NipKind {
    Pns,
    Pppk,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum NipError {
    #[error("must be exactly 18 digits")]
    Shape,
    #[error("digits 1-8 are not a real birth date (YYYYMMDD)")]
    BirthDate,
    #[error("digits 9-14 are not a real CPNS start month (YYYYMM)")]
    CpnsStart,
    #[error("digits 9-12 are not a real PPPK appointment year")]
    PppkYear,
    #[error("digit 14 (PPPK appointment count) must be 1-9")]
    PppkCount,
    #[error("the appointment date is not after the birth date")]
    AppointedBeforeBirth,
    #[error("digit 15 (gender) must be 1 or 2")]
    Gender,
    #[error("digits 16-18 (sequence) must be 001-999")]
    Sequence,
    #[error("{0} lies in the future")]
    Future(&'static str),
}

impl NipError {
    /// The same, in Indonesian (the English form is [`std::fmt::Display`]).
    pub fn words_id(&self) -> String {
        match self {
            NipError::Shape => "harus tepat 18 angka".into(),
            NipError::BirthDate => "angka 1–8 bukan tanggal lahir yang ada (TTTTBBHH)".into(),
            NipError::CpnsStart => "angka 9–14 bukan bulan TMT CPNS yang ada (TTTTBB)".into(),
            NipError::PppkYear => "angka 9–12 bukan tahun pengangkatan PPPK yang ada".into(),
            NipError::PppkCount => "angka ke-14 (pengangkatan PPPK ke-) harus 1–9".into(),
            NipError::AppointedBeforeBirth => {
                "tanggal pengangkatan tidak sesudah tanggal lahir".into()
            }
            NipError::Gender => "angka ke-15 (jenis kelamin) harus 1 atau 2".into(),
            NipError::Sequence => "angka 16–18 (nomor urut) harus 001–999".into(),
            NipError::Future(what) => format!(
                "{} ada di masa depan",
                match *what {
                    "the birth date" => "tanggal lahir",
                    "the appointment date" => "tanggal pengangkatan",
                    other => other,
                }
            ),
        }
    }
}

impl Nip {
    /// Parses and checks an NIP: shape, layout, real calendar dates, gender, sequence.
    pub fn parse(raw: &str) -> Result<Self, NipError> {
        let s = raw.trim();
        if s.len() != 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NipError::Shape);
        }
        let num = |from: usize, to: usize| -> u32 {
            s[from..to]
                .bytes()
                .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
        };
        let birth_year = num(0, 4) as i32;
        if birth_year < 1900 {
            return Err(NipError::BirthDate);
        }
        let birth = calendar_date(birth_year, num(4, 6) as u8, num(6, 8) as u8)
            .ok_or(NipError::BirthDate)?;
        let pppk = &s[12..13] == "2";
        if pppk {
            let year = num(8, 12) as i32;
            if !(1900..=9999).contains(&year) {
                return Err(NipError::PppkYear);
            }
            if year <= birth.year() {
                return Err(NipError::AppointedBeforeBirth);
            }
            if num(13, 14) == 0 {
                return Err(NipError::PppkCount);
            }
        } else {
            let year = num(8, 12) as i32;
            let month = num(12, 14) as u8;
            let start = calendar_date(year, month, 1).ok_or(NipError::CpnsStart)?;
            if year < 1900 {
                return Err(NipError::CpnsStart);
            }
            if start <= birth {
                return Err(NipError::AppointedBeforeBirth);
            }
        }
        if !matches!(&s[14..15], "1" | "2") {
            return Err(NipError::Gender);
        }
        if num(15, 18) == 0 {
            return Err(NipError::Sequence);
        }
        Ok(Nip(s.to_string()))
    }

    /// Like [`Nip::parse`], and also rejects birth or appointment dates after `today`.
    pub fn parse_as_of(raw: &str, today: Date) -> Result<Self, NipError> {
        let nip = Self::parse(raw)?;
        if nip.birth_date() > today {
            return Err(NipError::Future("the birth date"));
        }
        if nip.appointment_year() > today.year()
            || (nip.kind() == NipKind::Pns
                && nip.appointment_year() == today.year()
                && nip
                    .cpns_month()
                    .is_some_and(|m| m > u8::from(today.month())))
        {
            return Err(NipError::Future("the appointment date"));
        }
        Ok(nip)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> NipKind {
        if &self.0[12..13] == "2" {
            NipKind::Pppk
        } else {
            NipKind::Pns
        }
    }

    pub fn birth_date(&self) -> Date {
        let n = |a: usize, b: usize| self.0[a..b].parse::<u32>().unwrap_or(1);
        calendar_date(n(0, 4) as i32, n(4, 6) as u8, n(6, 8) as u8).unwrap_or(Date::MIN)
    }

    pub fn appointment_year(&self) -> i32 {
        self.0[8..12].parse().unwrap_or(0)
    }

    fn cpns_month(&self) -> Option<u8> {
        match self.kind() {
            NipKind::Pns => self.0[12..14].parse().ok(),
            NipKind::Pppk => None,
        }
    }

    pub fn gender(&self) -> Gender {
        if &self.0[14..15] == "1" {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// The NIP as it may appear in logs: birth year and last four digits only.
    pub fn masked(&self) -> String {
        mask_nip(&self.0)
    }
}

/// Masks any string that may be an NIP for logging: keeps the first 4 and the last 4 characters.
pub fn mask_nip(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Nip {
    type Error = NipError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Nip::parse(&value)
    }
}

impl From<Nip> for String {
    fn from(nip: Nip) -> Self {
        nip.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn nip_table() {
        // (input, expected kind or error)
        let cases: &[(&str, Result<NipKind, NipError>)] = &[
            ("198507142010011002", Ok(NipKind::Pns)),
            ("197001011995031001", Ok(NipKind::Pns)),
            ("199212312019122001", Ok(NipKind::Pns)),
            ("198002292005012001", Ok(NipKind::Pns)), // 29 Feb 1980 existed
            ("198503102022211005", Ok(NipKind::Pppk)),
            ("199001012023212001", Ok(NipKind::Pppk)),
            ("19850714201001100", Err(NipError::Shape)),
            ("1985071420100110021", Err(NipError::Shape)),
            ("19850714201001100a", Err(NipError::Shape)),
            ("198502302010011002", Err(NipError::BirthDate)), // 30 Feb
            ("198513012010011002", Err(NipError::BirthDate)), // month 13
            ("185001012010011002", Err(NipError::BirthDate)), // before 1900
            ("198107292010131002", Err(NipError::CpnsStart)), // month 13
            ("198107292010001002", Err(NipError::CpnsStart)), // month 00
            ("198507142010013002", Err(NipError::Gender)),
            ("198507142010010002", Err(NipError::Gender)),
            ("198507142010011000", Err(NipError::Sequence)),
            ("198507141980011002", Err(NipError::AppointedBeforeBirth)),
            ("198503102022201005", Err(NipError::PppkCount)),
            ("198503101980211005", Err(NipError::AppointedBeforeBirth)),
            ("198503102022213005", Err(NipError::Gender)),
        ];
        for (input, expected) in cases {
            let got = Nip::parse(input).map(|n| n.kind());
            assert_eq!(&got, expected, "NIP {input}");
        }
    }

    #[test]
    fn dates_in_the_future_are_rejected_as_of_today() {
        let today = date!(2026 - 11 - 28);
        assert!(Nip::parse_as_of("199001012026111001", today).is_ok());
        assert_eq!(
            Nip::parse_as_of("199001012026121001", today),
            Err(NipError::Future("the appointment date"))
        );
        assert_eq!(
            Nip::parse_as_of("203001012050011001", today),
            Err(NipError::Future("the birth date"))
        );
    }

    #[test]
    fn masking_keeps_only_edges() {
        let nip = Nip::parse("198507142010011002").expect("valid");
        assert_eq!(nip.masked(), "1985**********1002");
        assert_eq!(mask_nip("123"), "***");
    }

    #[test]
    fn pppk_and_gender_are_read_from_the_right_digits() {
        let nip = Nip::parse("198503102022212005").expect("valid");
        assert_eq!(nip.kind(), NipKind::Pppk);
        assert_eq!(nip.gender(), Gender::Female);
        assert_eq!(nip.birth_date(), date!(1985 - 03 - 10));
        assert_eq!(nip.appointment_year(), 2022);
    }
}
