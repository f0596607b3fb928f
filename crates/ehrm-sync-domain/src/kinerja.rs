//! Performance records (riwayat kinerja) in the SKP 2022 format (PermenPANRB 6/2022).
//!
//! Two record types travel from eHRM to BKN:
//! * annual (`kinerja.tahunan.*`, BKN `skp22`): one per NIP and year;
//! * periodic (`kinerja.periodik.*`, BKN `kinerjaperiodik`): monthly or quarterly, at most 12
//!   monthly or 4 quarterly per NIP and year, months never overlapping.

use serde::{Deserialize, Serialize};

use crate::nip::Nip;

/// Rating of results (hasil kinerja) or behaviour (perilaku kerja): BKN codes 1–3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Rating {
    /// 1 — DIATAS EKSPEKTASI
    AboveExpectation,
    /// 2 — SESUAI EKSPEKTASI
    AsExpected,
    /// 3 — DIBAWAH EKSPEKTASI
    BelowExpectation,
}

impl Rating {
    pub fn code(self) -> u8 {
        match self {
            Rating::AboveExpectation => 1,
            Rating::AsExpected => 2,
            Rating::BelowExpectation => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Rating::AboveExpectation),
            2 => Some(Rating::AsExpected),
            3 => Some(Rating::BelowExpectation),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::AboveExpectation => "DIATAS EKSPEKTASI",
            Rating::AsExpected => "SESUAI EKSPEKTASI",
            Rating::BelowExpectation => "DIBAWAH EKSPEKTASI",
        }
    }
}

impl TryFrom<u8> for Rating {
    type Error = String;
    fn try_from(code: u8) -> Result<Self, Self::Error> {
        Rating::from_code(code).ok_or_else(|| format!("rating code {code} is not 1-3"))
    }
}

impl From<Rating> for u8 {
    fn from(r: Rating) -> u8 {
        r.code()
    }
}

/// Predikat kinerja (BKN's kuadran): codes 1–5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Predikat {
    /// 1 — SANGAT BAIK
    SangatBaik,
    /// 2 — BAIK
    Baik,
    /// 3 — BUTUH PERBAIKAN
    ButuhPerbaikan,
    /// 4 — KURANG / MISCONDUCT
    Kurang,
    /// 5 — SANGAT KURANG
    SangatKurang,
}

impl Predikat {
    pub fn code(self) -> u8 {
        match self {
            Predikat::SangatBaik => 1,
            Predikat::Baik => 2,
            Predikat::ButuhPerbaikan => 3,
            Predikat::Kurang => 4,
            Predikat::SangatKurang => 5,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Predikat::SangatBaik),
            2 => Some(Predikat::Baik),
            3 => Some(Predikat::ButuhPerbaikan),
            4 => Some(Predikat::Kurang),
            5 => Some(Predikat::SangatKurang),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Predikat::SangatBaik => "SANGAT BAIK",
            Predikat::Baik => "BAIK",
            Predikat::ButuhPerbaikan => "BUTUH PERBAIKAN",
            Predikat::Kurang => "KURANG/MISCONDUCT",
            Predikat::SangatKurang => "SANGAT KURANG",
        }
    }

    /// The predikat the PermenPANRB 6/2022 matrix assigns to (hasil kinerja, perilaku kerja).
    pub fn from_matrix(hasil: Rating, perilaku: Rating) -> Predikat {
        use Rating::*;
        match (hasil, perilaku) {
            (AboveExpectation, AboveExpectation) => Predikat::SangatBaik,
            (AboveExpectation, AsExpected)
            | (AsExpected, AboveExpectation)
            | (AsExpected, AsExpected) => Predikat::Baik,
            (BelowExpectation, AboveExpectation) | (BelowExpectation, AsExpected) => {
                Predikat::ButuhPerbaikan
            }
            (AboveExpectation, BelowExpectation) | (AsExpected, BelowExpectation) => {
                Predikat::Kurang
            }
            (BelowExpectation, BelowExpectation) => Predikat::SangatKurang,
        }
    }
}

impl TryFrom<u8> for Predikat {
    type Error = String;
    fn try_from(code: u8) -> Result<Self, Self::Error> {
        Predikat::from_code(code).ok_or_else(|| format!("predikat code {code} is not 1-5"))
    }
}

impl From<Predikat> for u8 {
    fn from(p: Predikat) -> u8 {
        p.code()
    }
}

/// Monthly or quarterly periodic evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Periodik {
    Bulanan,
    Triwulan,
}

impl Periodik {
    /// BKN's `periodikId`: `"1"` monthly, `"2"` quarterly.
    pub fn bkn_id(self) -> &'static str {
        match self {
            Periodik::Bulanan => "1",
            Periodik::Triwulan => "2",
        }
    }

    pub fn from_bkn_id(id: &str) -> Option<Self> {
        match id.trim() {
            "1" => Some(Periodik::Bulanan),
            "2" => Some(Periodik::Triwulan),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Periodik::Bulanan => "bulanan",
            Periodik::Triwulan => "triwulan",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bulanan" => Some(Periodik::Bulanan),
            "triwulan" => Some(Periodik::Triwulan),
            _ => None,
        }
    }

    /// Checks the month range of one evaluation: a single month, or a calendar quarter.
    pub fn check_months(self, mulai: u8, selesai: u8) -> Result<(), String> {
        if !(1..=12).contains(&mulai) || !(1..=12).contains(&selesai) {
            return Err("months must be 1-12".into());
        }
        match self {
            Periodik::Bulanan if mulai != selesai => {
                Err("a monthly (bulanan) evaluation covers one month: bulan_selesai must equal bulan_mulai".into())
            }
            Periodik::Triwulan if !matches!(mulai, 1 | 4 | 7 | 10) || selesai != mulai + 2 => Err(
                "a quarterly (triwulan) evaluation covers one calendar quarter: 1-3, 4-6, 7-9 or 10-12"
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    /// The most records of this kind one employee may have in one year.
    pub fn per_year_limit(self) -> usize {
        match self {
            Periodik::Bulanan => 12,
            Periodik::Triwulan => 4,
        }
    }
}

/// Coefficients of functional positions (BKN `koefisienId`).
pub const KOEFISIEN_IDS: [&str; 8] = ["12", "22", "32", "42", "52", "62", "72", "82"];

/// Whether the appraiser is a civil servant (`ASN`) or not (`NON ASN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PenilaiStatus {
    #[serde(rename = "ASN")]
    Asn,
    #[serde(rename = "NON ASN")]
    NonAsn,
}

impl PenilaiStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PenilaiStatus::Asn => "ASN",
            PenilaiStatus::NonAsn => "NON ASN",
        }
    }
}

/// The appraiser, denormalised as BKN stores it (BKN does not resolve it from the NIP).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Penilai {
    pub nip: String,
    pub nama: String,
    pub jabatan: String,
    pub unor_nama: String,
    pub golongan_id: String,
    pub status: PenilaiStatus,
}

/// An annual SKP 2022 record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualKinerja {
    pub nip: Nip,
    pub tahun: i32,
    pub hasil_kinerja: Rating,
    pub perilaku_kerja: Rating,
    pub predikat: Predikat,
    pub penilai: Penilai,
}

/// A periodic (monthly or quarterly) evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodicKinerja {
    pub nip: Nip,
    pub tahun: i32,
    pub periodik: Periodik,
    pub bulan_mulai: u8,
    pub bulan_selesai: u8,
    pub koefisien_id: String,
    pub hasil_kinerja: Rating,
    pub perilaku_kerja: Rating,
    pub predikat: Predikat,
    pub penilai: Penilai,
}

/// Months covered by a periodic evaluation, as a bit set (bit 0 = January).
pub fn month_mask(bulan_mulai: u8, bulan_selesai: u8) -> u16 {
    (bulan_mulai..=bulan_selesai)
        .filter(|m| (1..=12).contains(m))
        .fold(0u16, |acc, m| acc | (1 << (m - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predikat_matrix_follows_permenpanrb_6_2022() {
        // (hasil, perilaku) -> predikat, exactly as in `docs/ehrm-contract.md` ("Change webhooks").
        let table = [
            (1, 1, 1),
            (1, 2, 2),
            (2, 1, 2),
            (2, 2, 2),
            (3, 1, 3),
            (3, 2, 3),
            (1, 3, 4),
            (2, 3, 4),
            (3, 3, 5),
        ];
        for (h, p, expected) in table {
            let hasil = Rating::from_code(h).expect("code");
            let perilaku = Rating::from_code(p).expect("code");
            assert_eq!(
                Predikat::from_matrix(hasil, perilaku).code(),
                expected,
                "({h},{p})"
            );
        }
    }

    #[test]
    fn period_months_table() {
        use Periodik::*;
        let cases = [
            (Bulanan, 1, 1, true),
            (Bulanan, 12, 12, true),
            (Bulanan, 1, 2, false),
            (Bulanan, 0, 0, false),
            (Bulanan, 13, 13, false),
            (Triwulan, 1, 3, true),
            (Triwulan, 10, 12, true),
            (Triwulan, 2, 4, false),
            (Triwulan, 1, 2, false),
            (Triwulan, 10, 13, false),
        ];
        for (p, a, b, ok) in cases {
            assert_eq!(p.check_months(a, b).is_ok(), ok, "{p:?} {a}-{b}");
        }
    }

    #[test]
    fn month_masks_overlap_only_when_months_are_shared() {
        assert_eq!(month_mask(1, 3), 0b111);
        assert_eq!(month_mask(1, 3) & month_mask(3, 3), 0b100);
        assert_eq!(month_mask(4, 6) & month_mask(1, 3), 0);
        assert_eq!(month_mask(12, 12), 1 << 11);
    }

    #[test]
    fn bkn_periodik_ids_round_trip() {
        for p in [Periodik::Bulanan, Periodik::Triwulan] {
            assert_eq!(Periodik::from_bkn_id(p.bkn_id()), Some(p));
            assert_eq!(Periodik::parse(p.as_str()), Some(p));
        }
        assert_eq!(Periodik::from_bkn_id("3"), None);
    }
}
