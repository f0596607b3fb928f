//! Date helpers for the formats BKN uses (`dd-mm-yyyy`) and eHRM uses (`yyyy-mm-dd`), and times
//! as people in Jakarta read and write them.

use time::{Date, Month, OffsetDateTime, UtcOffset};

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

/// Asia/Jakarta (WIB) has no daylight saving: a fixed +07:00.
pub const WIB: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The calendar date in Jakarta at `ms`.
pub fn jakarta_date(ms: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.to_offset(WIB).date())
        .unwrap_or(Date::MIN)
}

/// RFC 3339 rendering of `ms` in Jakarta time, for humans.
pub fn format_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.to_offset(WIB)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// Parses an operator's time: RFC 3339, or a date `YYYY-MM-DD` (midnight in Jakarta).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let d = parse_iso_date(s).filter(|_| s.len() == 10)?;
    let t = d.midnight().assume_offset(WIB);
    Some(t.unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_times_parse() {
        assert_eq!(
            parse_time("2026-11-28T01:00:00+07:00"),
            Some(1_795_802_400_000)
        );
        assert_eq!(
            parse_time("2026-11-28"),
            Some(1_795_798_800_000),
            "midnight WIB"
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2026-02-30"), None);
    }

    #[test]
    fn jakarta_is_seven_hours_ahead() {
        // 2026-11-27T18:00:00Z is already the 28th in Jakarta.
        let ms = 1_795_802_400_000;
        assert_eq!(jakarta_date(ms).to_string(), "2026-11-28");
        assert_eq!(format_ms(ms), "2026-11-28T01:00:00+07:00");
    }

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
