//! Per-token rate limits of the REST API (`[http] api_rate_limit`, `api_burst`): a token bucket
//! per token id, so one runaway script or dashboard cannot starve the analysts' searches. Ingest
//! routes are not limited here; they have the spool's backpressure instead.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before full ones (idle tokens) are forgotten.
const MAX_BUCKETS: usize = 10_000;

/// Token buckets keyed by token id.
#[derive(Debug)]
pub struct RateLimiter {
    /// Requests per second refilled.
    rate: f64,
    /// Requests allowed at once.
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `rate` requests per second with bursts of `burst` (at least 1).
    pub fn new(rate: u32, burst: u32) -> Self {
        RateLimiter {
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `per_minute` requests a minute with bursts of `burst` (both at least 1): for what is slow or
    /// guessable, such as logins.
    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            rate: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket at `now`, or says how long until one is available.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.refilled(now, rate, burst) < burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        bucket.tokens = bucket.refilled(now, self.rate, self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

impl Bucket {
    fn refilled(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        (self.tokens + elapsed * rate).min(burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_minute_limits_refill_in_seconds_per_request() {
        let limiter = RateLimiter::per_minute(10, 2);
        let t0 = Instant::now();
        assert_eq!(limiter.check("ip", t0), Ok(()));
        assert_eq!(limiter.check("ip", t0), Ok(()));
        let wait = limiter.check("ip", t0).expect_err("the burst is spent");
        assert!(
            wait > Duration::from_millis(5900) && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
        assert_eq!(limiter.check("ip", t0 + Duration::from_secs(6)), Ok(()));
    }

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = RateLimiter::new(10, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("a", t0), Ok(()));
        }
        let wait = limiter.check("a", t0).expect_err("the burst is spent");
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        // Another token has its own bucket.
        assert_eq!(limiter.check("b", t0), Ok(()));
        // 100 ms later one request is allowed again, and only one.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(limiter.check("a", t1), Ok(()));
        assert!(limiter.check("a", t1).is_err());
        // A long pause refills up to the burst, not beyond.
        let t2 = t1 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limiter.check("a", t2), Ok(()));
        }
        assert!(limiter.check("a", t2).is_err());
    }

    #[test]
    fn idle_buckets_are_forgotten_when_there_are_many() {
        let limiter = RateLimiter::new(1, 1);
        let t0 = Instant::now();
        for i in 0..MAX_BUCKETS {
            assert_eq!(limiter.check(&format!("k{i}"), t0), Ok(()));
        }
        // Later every bucket is full again: a new key makes room by dropping them.
        let later = t0 + Duration::from_secs(5);
        assert_eq!(limiter.check("new", later), Ok(()));
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}
