//! The code tables BKN and eHRM write differently: golongan `III/d` ↔ `34`, eselon `II.a` ↔
//! `21`.

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
