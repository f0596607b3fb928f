//! How urgent a readiness finding's deadline is (*Batas waktu*): past, within this month, or
//! later — what Kesiapan marks, sorts first and filters on ("bulan ini"). Pure.

use time::Date;

use crate::i18n::Lang;

/// A deadline against today (Jakarta).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Already past: the period will be missed unless someone acts now.
    Overdue,
    /// Falls in the current month.
    ThisMonth,
    Later,
}

impl Urgency {
    pub fn of(deadline: Date, today: Date) -> Urgency {
        if deadline < today {
            Urgency::Overdue
        } else if (deadline.year(), deadline.month()) == (today.year(), today.month()) {
            Urgency::ThisMonth
        } else {
            Urgency::Later
        }
    }

    /// The row's class and the words beside the date.
    pub fn shown(self, l: Lang) -> Option<(&'static str, &'static str)> {
        match self {
            Urgency::Overdue => Some(("overdue", l.t("lewat batas waktu", "past the deadline"))),
            Urgency::ThisMonth => Some(("due-soon", l.t("bulan ini", "this month"))),
            Urgency::Later => None,
        }
    }
}

/// The `due` filter: `overdue`, or `month` (past the deadline or due this month).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    Overdue,
    Month,
}

impl Due {
    /// `Err` holds the value that is neither.
    pub fn parse(v: &str) -> Result<Option<Due>, String> {
        match v.trim() {
            "" => Ok(None),
            "overdue" => Ok(Some(Due::Overdue)),
            "month" => Ok(Some(Due::Month)),
            other => Err(other.to_string()),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Due::Overdue => "overdue",
            Due::Month => "month",
        }
    }

    pub fn admits(self, u: Urgency) -> bool {
        match self {
            Due::Overdue => u == Urgency::Overdue,
            Due::Month => u != Urgency::Later,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn past_this_month_and_later_are_told_apart() {
        let today = date!(2026 - 12 - 03);
        assert_eq!(Urgency::of(date!(2026 - 12 - 02), today), Urgency::Overdue);
        assert_eq!(
            Urgency::of(date!(2026 - 12 - 03), today),
            Urgency::ThisMonth
        );
        assert_eq!(
            Urgency::of(date!(2026 - 12 - 31), today),
            Urgency::ThisMonth
        );
        assert_eq!(Urgency::of(date!(2027 - 01 - 01), today), Urgency::Later);
        assert!(Due::Month.admits(Urgency::Overdue) && !Due::Month.admits(Urgency::Later));
        assert!(!Due::Overdue.admits(Urgency::ThisMonth));
        assert!(Due::parse("x").is_err());
    }
}
