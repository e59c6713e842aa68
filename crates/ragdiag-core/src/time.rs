//! Timestamps as DESIGN.md accepts them: RFC 3339 or a bare `YYYY-MM-DD` date.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::fmt;

/// An instant in UTC. A bare date means midnight UTC of that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses RFC 3339 (`2026-03-01T12:00:00Z`, with any offset) or `YYYY-MM-DD`.
    /// Returns `None` for anything else.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Some(Timestamp(dt.with_timezone(&Utc)));
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Some(Timestamp::from_date(d));
        }
        None
    }

    /// Midnight UTC of `date`.
    pub fn from_date(date: NaiveDate) -> Timestamp {
        Timestamp(NaiveDateTime::from(date).and_utc())
    }

    /// The current time.
    pub fn now() -> Timestamp {
        Timestamp(Utc::now())
    }

    /// The calendar date (UTC).
    pub fn date(&self) -> NaiveDate {
        self.0.date_naive()
    }

    /// The inner `chrono` value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Seconds since the Unix epoch and the nanoseconds past them: with
    /// [`Timestamp::from_unix`], the instant exactly.
    pub fn unix(&self) -> (i64, u32) {
        (self.0.timestamp(), self.0.timestamp_subsec_nanos())
    }

    /// The instant `secs` seconds and `nanos` nanoseconds past the Unix epoch ([`Timestamp::unix`]);
    /// `None` out of range.
    pub fn from_unix(secs: i64, nanos: u32) -> Option<Timestamp> {
        DateTime::from_timestamp(secs, nanos).map(Timestamp)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(&self, later: Timestamp) -> i64 {
        (later.0 - self.0).num_days()
    }
}

impl fmt::Display for Timestamp {
    /// Dates at midnight print as `YYYY-MM-DD`; other instants as RFC 3339 in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.time() == chrono::NaiveTime::MIN {
            write!(f, "{}", self.0.format("%Y-%m-%d"))
        } else {
            write!(
                f,
                "{}",
                self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_rfc3339() {
        let d = Timestamp::parse("2026-03-01").unwrap();
        assert_eq!(d.to_string(), "2026-03-01");
        let t = Timestamp::parse("2026-03-01T10:00:00+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-03-01T08:00:00Z");
        assert!(d < t);
        assert_eq!(d.days_until(Timestamp::parse("2026-03-31").unwrap()), 30);
        for bad in ["", "2026-13-01", "01/03/2026", "2026-02-30", "yesterday"] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
    }
}
