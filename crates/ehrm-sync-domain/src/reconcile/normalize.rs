//! One notation for both sides: ISO dates, golongan `III/d`, eselon `II.a`, text in capitals
//! with single spaces, titles without spaces, jenis jabatan and sex as eHRM words.

use crate::codes::{eselon_from_bkn, eselon_to_bkn, golongan_from_bkn, golongan_to_bkn};
use crate::dates::{format_iso_date, parse_bkn_date, parse_iso_date};

/// Dashes spreadsheets and forms write for "none": hyphen, en and em dash, minus, and friends.
const DASHES: [char; 7] = [
    '-', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2212}',
];

/// Trimmed text, or nothing for empty text and a lone dash of any kind.
fn non_empty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim)
        .filter(|s| !s.is_empty() && !s.chars().all(|c| DASHES.contains(&c)))
}

/// `2024-01-31`, `31-01-2024`, `2024-01-31 00:00:00` → `2024-01-31`; BKN's zero date
/// `01-01-0001` (Go's empty time) is no date. Unreadable dates are kept as written, so they
/// show up as a difference instead of vanishing.
pub fn date(v: Option<&str>) -> Option<String> {
    let v = non_empty(v)?;
    if v.starts_with("01-01-0001") || v.starts_with("0001-01-01") {
        return None;
    }
    let parsed = parse_iso_date(v).or_else(|| parse_bkn_date(v.get(..10).unwrap_or(v)));
    Some(parsed.map_or_else(|| v.to_string(), format_iso_date))
}

/// `34`, `III/d`, `iii / D` → `III/d`.
pub fn golongan(v: Option<&str>) -> Option<String> {
    let v = non_empty(v)?;
    let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    golongan_from_bkn(&compact)
        .or_else(|| golongan_to_bkn(&compact).and_then(|id| golongan_from_bkn(&id)))
        .or(Some(compact))
}

/// `21`, `II.a`, `IIa`, `II.A`, `Eselon Ⅱ.a` → `II.a`; `99`, `0`, `NON`, `Non Eselon`, any
/// dash and empty → none. Works on characters, never bytes: any text is safe.
pub fn eselon(v: Option<&str>) -> Option<String> {
    let v = non_empty(v)?;
    let mut compact = String::new();
    for c in v.chars().filter(|c| !c.is_whitespace()) {
        match roman_numeral(c) {
            Some(r) => compact.push_str(r),
            None => compact.push(c),
        }
    }
    let rest = match compact.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("eselon") => &compact[6..],
        _ => compact.as_str(),
    };
    let compact = rest.trim_start_matches(DASHES).to_string();
    let lower = compact.to_lowercase();
    if matches!(
        lower.as_str(),
        "" | "99" | "0" | "non" | "noneselon" | "non-eselon"
    ) {
        return None;
    }
    if let Some(e) = eselon_from_bkn(&compact) {
        return Some(e);
    }
    let dotted = if compact.contains('.') {
        compact.clone()
    } else {
        let mut chars: Vec<char> = compact.chars().collect();
        let last = chars.pop();
        let head: String = chars.into_iter().collect();
        last.map_or_else(|| head.clone(), |l| format!("{head}.{l}"))
    };
    eselon_to_bkn(&dotted)
        .and_then(|id| eselon_from_bkn(&id))
        .or(Some(compact))
}

/// Unicode Roman numerals (`Ⅱ`, `ⅲ`) as ASCII letters.
fn roman_numeral(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2160}' | '\u{2170}' => "I",
        '\u{2161}' | '\u{2171}' => "II",
        '\u{2162}' | '\u{2172}' => "III",
        '\u{2163}' | '\u{2173}' => "IV",
        '\u{2164}' | '\u{2174}' => "V",
        _ => return None,
    })
}

/// Capitals, single spaces: `  budi   santoso ` → `BUDI SANTOSO`.
pub fn text(v: Option<&str>) -> Option<String> {
    let v = non_empty(v)?;
    Some(
        v.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase(),
    )
}

/// Academic titles: capitals, no spaces (`S.T., M.T.` = `S.T.,M.T.`).
pub fn gelar(v: Option<&str>) -> Option<String> {
    let v = non_empty(v)?;
    Some(
        v.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase(),
    )
}

/// `struktural` | `fungsional` | `pelaksana`, from eHRM words or BKN ids and names.
pub fn jenis_jabatan(v: Option<&str>) -> Option<String> {
    let v = non_empty(v)?;
    let lower = v.to_lowercase();
    let word = match lower.as_str() {
        "1" | "struktural" => "struktural",
        "2" | "fungsional" | "fungsional tertentu" | "jft" => "fungsional",
        "4" | "pelaksana" | "fungsional umum" | "jfu" => "pelaksana",
        _ => return Some(lower),
    };
    Some(word.to_string())
}

/// `L` / `P` from eHRM letters, BKN's `M`/`F`, `1`/`2` or words.
pub fn jenis_kelamin(v: Option<&str>) -> Option<String> {
    let v = non_empty(v)?;
    let upper = v.to_uppercase();
    let letter = match upper.as_str() {
        "L" | "M" | "1" | "PRIA" | "LAKI-LAKI" | "LAKI - LAKI" => "L",
        "P" | "F" | "2" | "WANITA" | "PEREMPUAN" => "P",
        _ => return Some(upper),
    };
    Some(letter.to_string())
}

/// Identifiers: trimmed, capitals (SIASN ids are hex in either case).
pub fn id(v: Option<&str>) -> Option<String> {
    non_empty(v).map(str::to_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bkn_zero_date_is_no_date() {
        assert_eq!(date(Some("01-01-0001")), None);
        assert_eq!(date(Some("0001-01-01T00:00:00Z")), None);
        assert_eq!(date(Some("15-01-2020")).as_deref(), Some("2020-01-15"));
    }

    #[test]
    fn both_notations_meet() {
        assert_eq!(date(Some("02-01-2023")), date(Some("2023-01-02")));
        assert_eq!(
            date(Some("2023-01-02 00:00:00")).as_deref(),
            Some("2023-01-02")
        );
        assert_eq!(date(Some("")), None);
        assert_eq!(date(Some("soon")).as_deref(), Some("soon"));
        assert_eq!(golongan(Some("34")), golongan(Some("III/d")));
        assert_eq!(golongan(Some("iii / D")).as_deref(), Some("III/d"));
        assert_ne!(golongan(Some("34")), golongan(Some("III/c")));
        assert_eq!(eselon(Some("21")), eselon(Some("II.a")));
        assert_eq!(eselon(Some("IIa")).as_deref(), Some("II.a"));
        assert_eq!(eselon(Some("iv.B")).as_deref(), Some("IV.b"));
        assert_eq!(eselon(Some("99")), None);
        for none in [
            "-",
            "\u{2013}",
            "\u{2014}",
            "NON",
            "Non Eselon",
            "non-eselon",
            "",
            " ",
            "0",
        ] {
            assert_eq!(eselon(Some(none)), None, "{none:?}");
        }
        assert_eq!(eselon(Some("Eselon \u{2161}.a")).as_deref(), Some("II.a"));
        assert_eq!(eselon(Some("Eselon II.b")).as_deref(), Some("II.b"));
        assert_eq!(eselon(Some("\u{2161}")).as_deref(), Some("II"));
        assert_eq!(eselon(Some("é")).as_deref(), Some("é"));
        assert_eq!(text(Some("\u{2013}")), None);
        assert_eq!(eselon(None), None);
        assert_eq!(text(Some(" budi   santoso ")), text(Some("BUDI SANTOSO")));
        assert_eq!(gelar(Some("S.T., M.T.")), gelar(Some("s.t.,m.t.")));
        assert_eq!(jenis_jabatan(Some("1")), jenis_jabatan(Some("struktural")));
        assert_eq!(
            jenis_jabatan(Some("Fungsional Umum")),
            jenis_jabatan(Some("pelaksana"))
        );
        assert_eq!(jenis_kelamin(Some("M")), jenis_kelamin(Some("L")));
        assert_eq!(jenis_kelamin(Some("Wanita")), jenis_kelamin(Some("P")));
    }
}
