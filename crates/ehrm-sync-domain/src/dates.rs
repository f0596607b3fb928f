//! Date helpers for the formats BKN uses (`dd-mm-yyyy`) and eHRM uses (`yyyy-mm-dd`).

use time::{Date, Month};

/// Builds a calendar date, `None` when it does not exist (30 February, month 13, …).
pub fn calendar_date(year: i32, month: u8, day: u8) -> Option<Date> {
    let month = Month::try_from(month).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// Parses BKN's `dd-mm-yyyy` (also tolerating `dd/mm/yyyy`).
pub fn parse_bkn_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['-', '/']).collect();
    if parts.len() != 3 || parts[2].len() != 4 {
        return None;
    }
    let day = parts[0].parse().ok()?;
    let month = parts[1].parse().ok()?;
    let year = parts[2].parse().ok()?;
    calendar_date(year, month, day)
}

/// Parses eHRM's ISO `yyyy-mm-dd` (a time part after it is ignored).
pub fn parse_iso_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let date_part = s.get(..10)?;
    let parts: Vec<&str> = date_part.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return None;
    }
    let year = parts[0].parse().ok()?;
    let month = parts[1].parse().ok()?;
    let day = parts[2].parse().ok()?;
    calendar_date(year, month, day)
}

/// Formats a date as BKN expects it: `dd-mm-yyyy`.
pub fn format_bkn_date(d: Date) -> String {
    format!("{:02}-{:02}-{:04}", d.day(), u8::from(d.month()), d.year())
}

/// Formats a date as ISO `yyyy-mm-dd`.
pub fn format_iso_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bkn_and_iso_dates_round_trip() {
        let d = parse_bkn_date("02-01-2023").expect("valid");
        assert_eq!(format_iso_date(d), "2023-01-02");
        assert_eq!(
            format_bkn_date(parse_iso_date("2023-01-02").expect("valid")),
            "02-01-2023"
        );
        assert_eq!(parse_iso_date("2023-01-02T00:00:00"), Some(d));
    }

    #[test]
    fn impossible_dates_are_none() {
        for bad in [
            "30-02-2023",
            "01-13-2023",
            "00-01-2023",
            "1-1-23",
            "",
            "aa-bb-cccc",
        ] {
            assert_eq!(parse_bkn_date(bad), None, "{bad}");
        }
        assert_eq!(parse_iso_date("2023-02-29"), None);
        assert!(parse_iso_date("2024-02-29").is_some());
    }
}
