//! Sort keys and opaque pagination cursors ("search after" the last hit's time and id).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Order of hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest first (ties: larger id first).
    #[default]
    TimeDesc,
    TimeAsc,
}

/// A position in a sort order: smaller ranks come first, whatever the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Rank(u64, u128);

impl Rank {
    pub fn new(sort: Sort, ts: i64, id: u128) -> Rank {
        let t = (ts as u64) ^ (1 << 63);
        match sort {
            Sort::TimeAsc => Rank(t, id),
            Sort::TimeDesc => Rank(!t, !id),
        }
    }

    pub fn ts_and_id(self, sort: Sort) -> (i64, u128) {
        let (t, id) = match sort {
            Sort::TimeAsc => (self.0, self.1),
            Sort::TimeDesc => (!self.0, !self.1),
        };
        ((t ^ (1 << 63)) as i64, id)
    }
}

const VERSION: u8 = 1;

/// Encodes the rank of the last hit of a page.
pub(crate) fn encode(sort: Sort, rank: Rank) -> String {
    let (ts, id) = rank.ts_and_id(sort);
    let mut bytes = Vec::with_capacity(26);
    bytes.push(VERSION);
    bytes.push(match sort {
        Sort::TimeDesc => b'd',
        Sort::TimeAsc => b'a',
    });
    bytes.extend_from_slice(&ts.to_be_bytes());
    bytes.extend_from_slice(&id.to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a cursor made by [`encode`] for the same sort order.
pub(crate) fn decode(sort: Sort, cursor: &str) -> Result<Rank, StoreError> {
    let bad = |why: &str| StoreError::BadRequest(format!("bad cursor: {why}"));
    if cursor.len() > 64 {
        return Err(bad("too long"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad("not a cursor from this API"))?;
    let [VERSION, dir, rest @ ..] = bytes.as_slice() else {
        return Err(bad("not a cursor from this API"));
    };
    let want = match sort {
        Sort::TimeDesc => b'd',
        Sort::TimeAsc => b'a',
    };
    if *dir != want {
        return Err(bad("it was made for the other sort order"));
    }
    let (Some(ts), Some(id)) = (rest.get(..8), rest.get(8..24)) else {
        return Err(bad("truncated"));
    };
    if rest.len() != 24 {
        return Err(bad("wrong length"));
    }
    let ts = i64::from_be_bytes(ts.try_into().map_err(|_| bad("truncated"))?);
    let id = u128::from_be_bytes(id.try_into().map_err(|_| bad("truncated"))?);
    Ok(Rank::new(sort, ts, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_order_both_ways() {
        let a = (-5i64, 7u128);
        let b = (3i64, 1u128);
        let c = (3i64, 2u128);
        assert!(Rank::new(Sort::TimeAsc, a.0, a.1) < Rank::new(Sort::TimeAsc, b.0, b.1));
        assert!(Rank::new(Sort::TimeAsc, b.0, b.1) < Rank::new(Sort::TimeAsc, c.0, c.1));
        assert!(Rank::new(Sort::TimeDesc, c.0, c.1) < Rank::new(Sort::TimeDesc, b.0, b.1));
        assert!(Rank::new(Sort::TimeDesc, b.0, b.1) < Rank::new(Sort::TimeDesc, a.0, a.1));
        for sort in [Sort::TimeAsc, Sort::TimeDesc] {
            assert_eq!(Rank::new(sort, a.0, a.1).ts_and_id(sort), a);
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for sort in [Sort::TimeAsc, Sort::TimeDesc] {
            let r = Rank::new(sort, i64::MIN + 3, u128::MAX - 9);
            assert_eq!(decode(sort, &encode(sort, r)).unwrap(), r);
        }
        let desc = encode(Sort::TimeDesc, Rank::new(Sort::TimeDesc, 1, 1));
        assert!(decode(Sort::TimeAsc, &desc).is_err());
        assert!(decode(Sort::TimeDesc, "").is_err());
        assert!(decode(Sort::TimeDesc, "!!").is_err());
        assert!(decode(Sort::TimeDesc, &"A".repeat(200)).is_err());
        assert!(decode(Sort::TimeDesc, &desc[..desc.len() - 4]).is_err());
    }
}
