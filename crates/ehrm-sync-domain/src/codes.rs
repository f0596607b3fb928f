//! The code tables BKN and eHRM write differently: golongan `III/d` ↔ `34`, eselon `II.a` ↔
//! `21`; and the names people read for codes (golongan, eselon, education level).

/// Golongan `III/d` ↔ BKN id `34`.
pub fn golongan_to_bkn(g: &str) -> Option<String> {
    let (roman, letter) = g.trim().split_once('/')?;
    let major = match roman.trim().to_ascii_uppercase().as_str() {
        "I" => 1,
        "II" => 2,
        "III" => 3,
        "IV" => 4,
        _ => return None,
    };
    let minor = match letter.trim().to_ascii_lowercase().as_str() {
        "a" => 1,
        "b" => 2,
        "c" => 3,
        "d" => 4,
        "e" => 5,
        _ => return None,
    };
    Some(format!("{major}{minor}"))
}

/// BKN golongan id `34` → `III/d`.
pub fn golongan_from_bkn(id: &str) -> Option<String> {
    let id = id.trim();
    let mut chars = id.chars();
    let (a, b) = (chars.next()?, chars.next()?);
    if chars.next().is_some() {
        return None;
    }
    let roman = match a {
        '1' => "I",
        '2' => "II",
        '3' => "III",
        '4' => "IV",
        _ => return None,
    };
    let letter = match b {
        '1' => "a",
        '2' => "b",
        '3' => "c",
        '4' => "d",
        '5' => "e",
        _ => return None,
    };
    Some(format!("{roman}/{letter}"))
}

/// Eselon `II.a` ↔ BKN id `21`.
pub fn eselon_to_bkn(e: &str) -> Option<String> {
    let (roman, letter) = e.trim().split_once('.')?;
    let major = match roman.trim().to_ascii_uppercase().as_str() {
        "I" => 1,
        "II" => 2,
        "III" => 3,
        "IV" => 4,
        "V" => 5,
        _ => return None,
    };
    let minor = match letter.trim().to_ascii_lowercase().as_str() {
        "a" => 1,
        "b" => 2,
        _ => return None,
    };
    Some(format!("{major}{minor}"))
}

/// BKN eselon id `21` → `II.a` (`99` and unknown ids → `None`).
pub fn eselon_from_bkn(id: &str) -> Option<String> {
    let id = id.trim();
    let roman = match id.get(..1)? {
        "1" => "I",
        "2" => "II",
        "3" => "III",
        "4" => "IV",
        "5" => "V",
        _ => return None,
    };
    let letter = match id.get(1..)? {
        "1" => "a",
        "2" => "b",
        _ => return None,
    };
    Some(format!("{roman}.{letter}"))
}

/// A golongan as people write it (`III/d`), from BKN's id or eHRM's name; other text as given.
pub fn golongan_name(v: &str) -> String {
    golongan_from_bkn(v)
        .or_else(|| golongan_to_bkn(v).and_then(|id| golongan_from_bkn(&id)))
        .unwrap_or_else(|| v.trim().to_string())
}

/// An eselon as people write it (`III.a`), from BKN's id or eHRM's name; other text as given.
pub fn eselon_name(v: &str) -> String {
    eselon_from_bkn(v)
        .or_else(|| eselon_to_bkn(v).and_then(|id| eselon_from_bkn(&id)))
        .unwrap_or_else(|| v.trim().to_string())
}

/// SIASN's education level (`tkPendidikanId`, `40`) by name (`S-1`); unknown codes as given.
pub fn pendidikan_name(code: &str) -> String {
    let name = match code.trim().parse::<u32>() {
        Ok(5) => "SD",
        Ok(10) => "SLTP",
        Ok(12) => "SLTP kejuruan",
        Ok(15..=18) => "SLTA",
        Ok(20) => "D-I",
        Ok(25) => "D-II",
        Ok(30) => "D-III",
        Ok(35) => "D-IV",
        Ok(40) => "S-1",
        Ok(45) => "S-2",
        Ok(50) => "S-3",
        _ => return code.trim().to_string(),
    };
    name.to_string()
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn codes_read_as_people_write_them() {
        assert_eq!(golongan_name("34"), "III/d");
        assert_eq!(golongan_name("iii/d"), "III/d");
        assert_eq!(golongan_name("X"), "X");
        assert_eq!(eselon_name("31"), "III.a");
        assert_eq!(eselon_name("II.b"), "II.b");
        assert_eq!(pendidikan_name("40"), "S-1");
        assert_eq!(pendidikan_name("15"), "SLTA");
        assert_eq!(pendidikan_name("99"), "99");
    }
}
