//! A finding's field in words an HR officer reads, in Indonesian and English:
//! `2014-07-29.nomor_sk` → "Jabatan TMT 29-07-2014: nomor SK"; `tahunan/2025.predikat` →
//! "SKP tahunan 2025: predikat"; `tmt_pensiun` → "TMT pensiun". The field name itself stays the
//! code (filters, `data-code`, the JSON report).

use crate::codes::{eselon_name, golongan_name};
use crate::dates::{format_bkn_date, parse_iso_date};
use crate::kinerja::{Predikat, Rating};

/// One field name in both languages (unknown names are shown as they are).
fn name(field: &str) -> (&str, &str) {
    match field {
        "nama" => ("nama", "name"),
        "gelar_depan" => ("gelar depan", "title before the name"),
        "gelar_belakang" => ("gelar belakang", "title after the name"),
        "tgl_lahir" => ("tanggal lahir", "date of birth"),
        "jenis_kelamin" => ("jenis kelamin", "sex"),
        "golongan" => ("golongan", "rank (golongan)"),
        "tmt_golongan" => ("TMT golongan", "rank effective date"),
        "tmt_cpns" => ("TMT CPNS", "appointment date (CPNS)"),
        "tmt_pensiun" => ("TMT pensiun", "retirement date"),
        "bup" => ("batas usia pensiun", "retirement age"),
        "jabatan" => ("jabatan", "position"),
        "unor" => ("unit kerja", "work unit"),
        "jenis_jabatan" => ("jenis jabatan", "kind of post"),
        "jenis_jabatan_pemimpin" => ("jenis jabatan pemimpin", "head's kind of post"),
        "eselon" => ("eselon", "echelon"),
        "eselon_pemimpin" => ("eselon pemimpin", "head's echelon"),
        "nama_jabatan" => ("nama jabatan", "post"),
        "nomor_sk" => ("nomor SK", "SK number"),
        "tanggal_sk" => ("tanggal SK", "SK date"),
        "tmt_pelantikan" => ("TMT pelantikan", "installation date"),
        "parent" => ("unit induk", "parent unit"),
        "pemimpin" => ("pemimpin unit", "unit head"),
        "hasil_kinerja" => ("hasil kerja", "work result"),
        "perilaku_kerja" => ("perilaku kerja", "work behaviour"),
        "predikat" => ("predikat kinerja", "performance rating"),
        "bulan_selesai" => ("bulan selesai", "last month"),
        other => (other, other),
    }
}

/// What a field's prefix names: a position by its TMT or a performance record by its period.
fn subject(prefix: &str) -> Option<(String, String)> {
    let (date, nth) = match prefix.split_once('#') {
        Some((d, n)) => (d, format!(" ({n})")),
        None => (prefix, String::new()),
    };
    if let Some(d) = parse_iso_date(date) {
        let d = format_bkn_date(d);
        return Some((
            format!("Jabatan TMT {d}{nth}"),
            format!("Position from {d}{nth}"),
        ));
    }
    let parts: Vec<&str> = prefix.split('/').collect();
    match parts.as_slice() {
        ["tahunan", y] => Some((format!("SKP tahunan {y}"), format!("Annual SKP {y}"))),
        ["bulanan", y, m] => Some((
            format!("Kinerja bulanan {y} bulan {}", m.trim_start_matches('0')),
            format!("Monthly evaluation {y} month {}", m.trim_start_matches('0')),
        )),
        ["triwulan", y, m] => Some((
            format!(
                "Kinerja triwulan {y} mulai bulan {}",
                m.trim_start_matches('0')
            ),
            format!(
                "Quarterly evaluation {y} from month {}",
                m.trim_start_matches('0')
            ),
        )),
        _ => None,
    }
}

/// `(Indonesian, English)` words for a finding's field.
pub fn field_words(field: &str) -> (String, String) {
    let (prefix, last) = match field.rsplit_once('.') {
        Some((p, l)) if subject(p).is_some() => (Some(p), l),
        _ => (None, field),
    };
    let (id, en) = name(last);
    match prefix.and_then(subject) {
        Some((sid, sen)) => (format!("{sid}: {id}"), format!("{sen}: {en}")),
        None => (id.to_string(), en.to_string()),
    }
}

/// `(Indonesian, English)` words for a finding's value: golongan `III/d` and eselon `III.a`
/// whichever side wrote the code, ratings and predikat by name, dates as `dd-mm-yyyy`, a
/// performance record's summary (`tahunan/2025 hasil=2 perilaku=2 predikat=2`) in words. The
/// stored value stays as it was (it is part of the report's contract and the finding's id).
pub fn value_words(field: Option<&str>, value: &str) -> (String, String) {
    let last = field.map(|f| f.rsplit_once('.').map_or(f, |(_, l)| l));
    let same = |v: String| (v.clone(), v);
    match last {
        Some("golongan") => same(golongan_name(value)),
        Some("eselon" | "eselon_pemimpin") => same(eselon_name(value)),
        Some("predikat") => same(predikat_name(value)),
        Some("hasil_kinerja" | "perilaku_kerja") => same(rating_name(value)),
        _ if value.contains(" hasil=") => kinerja_summary_words(value),
        None => match value
            .split_once(' ')
            .and_then(|(key, rest)| Some((subject(key)?, rest)))
        {
            // A position by its TMT and post (`2001-08-02 ANALIS PERENCANAAN`).
            Some(((sid, sen), rest)) => (format!("{sid}: {rest}"), format!("{sen}: {rest}")),
            None => same(value.to_string()),
        },
        Some(f) if f.starts_with("tmt") || f.starts_with("tgl") || f.starts_with("tanggal") => {
            same(
                parse_iso_date(value)
                    .filter(|_| value.trim().len() == 10)
                    .map_or_else(|| value.to_string(), format_bkn_date),
            )
        }
        _ => same(value.to_string()),
    }
}

fn predikat_name(code: &str) -> String {
    code.trim()
        .parse()
        .ok()
        .and_then(Predikat::from_code)
        .map_or_else(|| code.to_string(), |p| p.label().to_string())
}

fn rating_name(code: &str) -> String {
    code.trim()
        .parse()
        .ok()
        .and_then(Rating::from_code)
        .map_or_else(|| code.to_string(), |r| r.label().to_string())
}

/// `tahunan/2025 hasil=2 perilaku=2 predikat=2` → "SKP tahunan 2025: hasil kerja SESUAI
/// EKSPEKTASI, perilaku kerja SESUAI EKSPEKTASI, predikat BAIK".
fn kinerja_summary_words(value: &str) -> (String, String) {
    let Some((period, rest)) = value.split_once(' ') else {
        return (value.to_string(), value.to_string());
    };
    let (sid, sen) = subject(period).unwrap_or_else(|| (period.to_string(), period.to_string()));
    let (mut id, mut en) = (Vec::new(), Vec::new());
    for part in rest.split_whitespace() {
        let Some((key, v)) = part.split_once('=') else {
            continue;
        };
        let shown = match key {
            "predikat" => predikat_name(v),
            _ => rating_name(v),
        };
        let (kid, ken) = name(match key {
            "hasil" => "hasil_kinerja",
            "perilaku" => "perilaku_kerja",
            other => other,
        });
        id.push(format!("{kid} {shown}"));
        en.push(format!("{ken} {shown}"));
    }
    (
        format!("{sid}: {}", id.join(", ")),
        format!("{sen}: {}", en.join(", ")),
    )
}

impl super::DataSet {
    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        use super::DataSet::*;
        match self {
            Pegawai => ("data pegawai", "employee data"),
            Jabatan => ("riwayat jabatan", "position history"),
            PejabatStruktural => ("pejabat struktural", "structural officials"),
            Unor => ("unit kerja", "work units"),
            Kinerja => ("riwayat kinerja", "performance history"),
        }
    }
}

impl super::Kind {
    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        use super::Kind::*;
        match self {
            MissingAtBkn => ("tidak ada di BKN", "missing at BKN"),
            MissingInEhrm => ("tidak ada di eHRM", "missing in eHRM"),
            Differs => ("berbeda", "differs"),
        }
    }
}

impl super::Priority {
    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        use super::Priority::*;
        match self {
            KenaikanPangkat => ("kenaikan pangkat", "promotion (kenaikan pangkat)"),
            Pensiun => ("pensiun", "retirement (pensiun)"),
            Struktural => ("struktural", "structural"),
            Normal => ("biasa", "normal"),
        }
    }
}

impl super::Authority {
    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            super::Authority::Ehrm => ("eHRM", "eHRM"),
            super::Authority::Bkn => ("BKN", "BKN"),
        }
    }
}

impl super::Action {
    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        use super::Action::*;
        match self {
            QueuedForBkn => ("diantrekan ke BKN", "queued for BKN"),
            SentToEhrm => ("dikirim ke eHRM", "sent to eHRM"),
            NeedsReview => ("perlu ditinjau", "needs review"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_as_words() {
        assert_eq!(
            field_words("2014-07-29.nomor_sk").0,
            "Jabatan TMT 29-07-2014: nomor SK"
        );
        assert_eq!(
            field_words("2014-07-29#2.unor").1,
            "Position from 29-07-2014 (2): work unit"
        );
        assert_eq!(
            field_words("tahunan/2025.predikat").0,
            "SKP tahunan 2025: predikat kinerja"
        );
        assert_eq!(
            field_words("bulanan/2026/03.hasil_kinerja").0,
            "Kinerja bulanan 2026 bulan 3: hasil kerja"
        );
        assert_eq!(field_words("tmt_pensiun").0, "TMT pensiun");
        assert_eq!(field_words("something.odd").0, "something.odd");
    }

    #[test]
    fn values_read_as_words() {
        assert_eq!(value_words(Some("golongan"), "34").0, "III/d");
        assert_eq!(value_words(Some("eselon_pemimpin"), "21").0, "II.a");
        assert_eq!(value_words(Some("tahunan/2025.predikat"), "2").0, "BAIK");
        assert_eq!(
            value_words(Some("tmt_pensiun"), "2033-10-01").0,
            "01-10-2033"
        );
        assert_eq!(
            value_words(None, "tahunan/2025 hasil=2 perilaku=1 predikat=2").0,
            "SKP tahunan 2025: hasil kerja SESUAI EKSPEKTASI, perilaku kerja DIATAS EKSPEKTASI, predikat kinerja BAIK"
        );
        assert_eq!(value_words(Some("nomor_sk"), "SK-1/2020").0, "SK-1/2020");
        assert_eq!(
            value_words(None, "2001-08-02 ANALIS PERENCANAAN").0,
            "Jabatan TMT 02-08-2001: ANALIS PERENCANAAN"
        );
    }
}
