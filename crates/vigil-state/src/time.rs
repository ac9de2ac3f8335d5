//! Instants in the database: `BIGINT` unix nanoseconds (UTC).
//!
//! Integers sort and compare cheaply in every SQL engine, so range filters and ordering are plain integer
//! comparisons. An `i64` of nanoseconds spans 1677-09-21 to 2262-04-11; instants outside that range (e.g. a
//! garbled event time parsed from a log) are clamped to the nearest representable instant rather than
//! failing the whole write.

use crate::StateError;
use jiff::Timestamp;

/// Converts an instant to its stored form, clamping to the `i64` nanosecond range.
pub(crate) fn to_db(t: Timestamp) -> i64 {
    let ns = t.as_nanosecond();
    i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX })
}

/// Converts an optional instant to its stored form.
pub(crate) fn opt_to_db(t: Option<Timestamp>) -> Option<i64> {
    t.map(to_db)
}

/// Converts a stored instant back.
pub(crate) fn from_db(ns: i64) -> Result<Timestamp, StateError> {
    Timestamp::from_nanosecond(i128::from(ns)).map_err(|e| StateError::Corrupt(format!("bad instant {ns}: {e}")))
}

/// Converts an optional stored instant back.
pub(crate) fn opt_from_db(ns: Option<i64>) -> Result<Option<Timestamp>, StateError> {
    ns.map(from_db).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_nanoseconds() {
        let t: Timestamp = "2026-03-04T05:06:07.123456789Z".parse().unwrap();
        assert_eq!(from_db(to_db(t)).unwrap(), t);
        assert_eq!(opt_from_db(opt_to_db(None)).unwrap(), None);
    }

    #[test]
    fn clamps_out_of_range_instants_and_keeps_order() {
        let far: Timestamp = "9999-01-01T00:00:00Z".parse().unwrap();
        let early: Timestamp = "1000-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(to_db(far), i64::MAX);
        assert_eq!(to_db(early), i64::MIN);
        // Both extremes decode again.
        assert!(from_db(i64::MAX).unwrap() > from_db(0).unwrap());
        assert!(from_db(i64::MIN).unwrap() < from_db(0).unwrap());
    }
}
