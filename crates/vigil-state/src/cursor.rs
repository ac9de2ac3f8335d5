//! Opaque pagination cursors.
//!
//! A cursor names the last `seq` a client has seen; the next page holds rows with a smaller `seq`. Rows
//! inserted meanwhile get larger `seq` values, so paging is stable under concurrent inserts: every row that
//! existed when paging started is returned exactly once. The text is `base64url("<listing>:<seq>")`; the
//! listing tag keeps an alert cursor from being replayed against dead letters.

use crate::StateError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Which listing a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    Alerts,
    DeadLetters,
    Audit,
    Incidents,
    Suppressions,
    SuppressedMatches,
}

impl Listing {
    fn tag(self) -> &'static str {
        match self {
            Listing::Alerts => "a",
            Listing::DeadLetters => "d",
            Listing::Audit => "u",
            Listing::Incidents => "i",
            Listing::Suppressions => "s",
            Listing::SuppressedMatches => "m",
        }
    }
}

/// Longest cursor text accepted; real ones are about 30 characters.
const MAX_CURSOR_LEN: usize = 64;

/// Encodes the position after the row with `seq`.
pub(crate) fn encode(listing: Listing, seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{seq}", listing.tag()))
}

/// Decodes a cursor produced by [`encode`] for the same listing.
pub(crate) fn decode(listing: Listing, cursor: &str) -> Result<i64, StateError> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(StateError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| StateError::InvalidCursor)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| StateError::InvalidCursor)?;
    let (tag, seq) = text.split_once(':').ok_or(StateError::InvalidCursor)?;
    if tag != listing.tag() {
        return Err(StateError::InvalidCursor);
    }
    // Only canonical non-negative decimal, so a cursor has one spelling.
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) || (seq.len() > 1 && seq.starts_with('0')) {
        return Err(StateError::InvalidCursor);
    }
    seq.parse::<i64>().map_err(|_| StateError::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        for seq in [0, 1, 42, i64::MAX] {
            assert_eq!(decode(Listing::Alerts, &encode(Listing::Alerts, seq)).unwrap(), seq);
        }
    }

    #[test]
    fn rejects_other_listing_and_garbage() {
        let c = encode(Listing::Alerts, 7);
        assert!(matches!(
            decode(Listing::DeadLetters, &c),
            Err(StateError::InvalidCursor)
        ));
        for bad in ["", "!!", "YTo", "YTotMQ", "YTowMQ", &"A".repeat(100)] {
            // "YTo" = "a:", "YTotMQ" = "a:-1", "YTowMQ" = "a:01"
            assert!(
                matches!(decode(Listing::Alerts, bad), Err(StateError::InvalidCursor)),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn decode_never_panics(s in ".{0,80}") {
            let _ = decode(Listing::Alerts, &s);
        }
    }
}
