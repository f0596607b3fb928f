//! Code tables the readiness rules need: golongan order, the education ceilings of a regular
//! promotion, the eselon pangkat ranges, SIASN's problem statuses. Marks as in `docs/readiness-rules.md`.

/// Golongan ids in order (`11` I/a … `45` IV/e).
const ORDER: [&str; 17] = [
    "11", "12", "13", "14", "21", "22", "23", "24", "31", "32", "33", "34", "41", "42", "43", "44",
    "45",
];

/// Position of a golongan id (`34`) or name (`III/d`) in the order.
pub fn rank(golongan: &str) -> Option<usize> {
    let id = crate::codes::golongan_to_bkn(golongan).unwrap_or_else(|| golongan.trim().to_string());
    ORDER.iter().position(|g| *g == id)
}

/// The golongan id one regular promotion above.
pub fn next_golongan(golongan: &str) -> Option<&'static str> {
    ORDER.get(rank(golongan)? + 1).copied()
}

/// The highest golongan a regular promotion reaches with this education (PP 99/2000 Ps 8
/// (V); SIASN `tkPendidikanId` codes (U): 05 SD, 10 SLTP, 12 SLTP kejuruan, 15–18 SLTA,
/// 20 D-I, 25 D-II, 30 D-III, 35 D-IV, 40 S-1, 45 S-2, 50 S-3).
pub fn education_ceiling(tk_pendidikan: &str) -> Option<&'static str> {
    let code: u32 = tk_pendidikan.trim().parse().ok()?;
    Some(match code {
        0..=9 => "21",
        10 | 11 => "23",
        12..=14 => "24",
        15..=29 => "32",
        30..=34 => "33",
        35..=44 => "34",
        45..=49 => "41",
        _ => "42",
    })
}

/// The pangkat range of an eselon (BKN eselon id `41` = IV.a), per Kep BKN 12/2002 / PP 13/2002
/// [S: P12].
pub fn eselon_range(eselon: &str) -> Option<(&'static str, &'static str)> {
    let id = crate::codes::eselon_to_bkn(eselon).unwrap_or_else(|| eselon.trim().to_string());
    Some(match id.as_str() {
        "11" => ("44", "45"),
        "12" => ("43", "45"),
        "21" => ("43", "44"),
        "22" => ("42", "43"),
        "31" => ("41", "42"),
        "32" => ("34", "41"),
        "41" => ("33", "34"),
        "42" => ("32", "33"),
        "51" => ("31", "32"),
        _ => return None,
    })
}

/// `statusUsulan` codes that mean the proposal is stuck or refused (`docs/readiness-rules.md`, "Proposal statuses"; K1).
pub fn problem_status(code: &str) -> bool {
    matches!(
        code.trim().parse::<u32>(),
        Ok(5 | 6 | 13 | 14 | 21 | 24 | 25 | 26 | 29 | 35 | 47 | 50 | 51 | 52 | 65 | 67 | 99)
    )
}

/// Whether SIASN's legal status (`kedudukanPnsId` / `kedudukanPnsNama`) is active: the name
/// decides when given ("Aktif", "PPPK Aktif"; "Tidak Aktif", "CLTN", … are not), else the id
/// (`01`; `71` PPPK (U)); `None` when SIASN gives neither (unknown is not inactive).
pub fn active_kedudukan(id: Option<&str>, nama: Option<&str>) -> Option<bool> {
    if let Some(n) = nama.map(str::trim).filter(|n| !n.is_empty()) {
        let n = n.to_lowercase();
        return Some(n.contains("aktif") && !n.contains("tidak") && !n.contains("non"));
    }
    let id = id.map(str::trim).filter(|i| !i.is_empty())?;
    Some(matches!(id, "01" | "1" | "71"))
}
