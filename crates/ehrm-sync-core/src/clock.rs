//! Time as the services see it.

use std::time::{SystemTime, UNIX_EPOCH};

use time::{Date, OffsetDateTime, UtcOffset};

use crate::ports::Clock;

/// Asia/Jakarta (WIB) has no daylight saving: a fixed +07:00.
pub const WIB: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

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
    let d = ehrm_sync_domain::dates::parse_iso_date(s).filter(|_| s.len() == 10)?;
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
}
