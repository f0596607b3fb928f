//! A finding's field in words an HR officer reads, in Indonesian and English:
//! `2014-07-29.nomor_sk` → "Jabatan TMT 29-07-2014: nomor SK"; `tahunan/2025.predikat` →
//! "SKP tahunan 2025: predikat"; `tmt_pensiun` → "TMT pensiun". The field name itself stays the
//! code (filters, `data-code`, the JSON report).

use crate::dates::{format_bkn_date, parse_iso_date};

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
}
