//! Retry delays for the outbox.

use std::time::Duration;

/// The first retry waits about this long.
pub const BACKOFF_BASE: Duration = Duration::from_secs(5);
/// No retry waits longer.
pub const BACKOFF_MAX: Duration = Duration::from_secs(3600);

/// Delay before retry number `attempt` (1 = the first retry; 0 counts as 1): 5 s, doubling each
/// attempt, ±20 % random jitter, never more than one hour. Jitter comes from the operating
/// system's random source; see [`backoff_with_seed`] for a reproducible variant.
pub fn backoff(attempt: u32) -> Duration {
    let seed = getrandom::u64().unwrap_or_else(|_| clock_seed());
    backoff_with_seed(attempt, seed)
}

fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // Only the low bits vary from call to call; that is all the jitter needs.
    u64::try_from(nanos & u128::from(u64::MAX)).unwrap_or_default()
}

/// [`backoff`] with the jitter taken from `seed`: the same (attempt, seed) gives the same delay.
pub fn backoff_with_seed(attempt: u32, seed: u64) -> Duration {
    let doublings = attempt.saturating_sub(1).min(20);
    let base = BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_MAX);
    // A uniform fraction in [0, 1) from the seed, mixed with the attempt.
    let bits = splitmix64(seed ^ u64::from(attempt)) >> 11;
    let fraction = bits as f64 / (1u64 << 53) as f64;
    base.mul_f64(0.8 + 0.4 * fraction).min(BACKOFF_MAX)
}

/// SplitMix64's output function: spreads any seed over all 64 bits.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(d: Duration, base_secs: f64) -> bool {
        let s = d.as_secs_f64();
        s >= base_secs * 0.8 - 1e-9 && s <= (base_secs * 1.2).min(3600.0) + 1e-9
    }

    #[test]
    fn doubles_from_five_seconds_with_jitter_and_caps_at_an_hour() {
        for seed in [0, 1, 42, u64::MAX, 0xdead_beef] {
            assert!(within(backoff_with_seed(0, seed), 5.0));
            assert!(within(backoff_with_seed(1, seed), 5.0));
            assert!(within(backoff_with_seed(2, seed), 10.0));
            assert!(within(backoff_with_seed(5, seed), 80.0));
            assert!(within(backoff_with_seed(10, seed), 2560.0));
            for attempt in [11, 12, 30, u32::MAX] {
                let d = backoff_with_seed(attempt, seed);
                assert!(within(d, 3600.0), "{attempt}: {d:?}");
                assert!(d <= BACKOFF_MAX);
            }
        }
    }

    #[test]
    fn is_deterministic_per_seed_and_varies_across_seeds() {
        assert_eq!(backoff_with_seed(3, 7), backoff_with_seed(3, 7));
        let distinct: std::collections::HashSet<Duration> = (0..50).map(|seed| backoff_with_seed(3, seed)).collect();
        assert!(distinct.len() > 40, "{}", distinct.len());
        assert!(within(backoff(3), 20.0));
    }
}
