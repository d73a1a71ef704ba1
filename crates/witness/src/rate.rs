//! Per-client limits: a token bucket per client address (an IPv4 address or
//! an IPv6 /64), refilled at a steady rate up to a burst; and a share of the
//! requests in flight per client.
//!
//! The table is bounded: at [`MAX_CLIENTS`], buckets that have refilled (so
//! forgetting them changes nothing) are dropped first; if none has, the new
//! client is refused until one does, so a flood of addresses cannot grow it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Most clients tracked at once.
pub const MAX_CLIENTS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_us: i64,
}

/// Token buckets by client; time comes from the caller.
#[derive(Debug)]
pub struct RateLimiter {
    rate_per_s: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    pub fn new(rate_per_s: f64, burst: f64) -> Self {
        Self {
            rate_per_s: rate_per_s.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill(&self, b: Bucket, now_us: i64) -> Bucket {
        let elapsed_s = (now_us - b.at_us).max(0) as f64 / 1e6;
        Bucket { tokens: (b.tokens + elapsed_s * self.rate_per_s).min(self.burst), at_us: now_us }
    }

    /// Takes a token for `client` at `now_us`, or says how many whole seconds
    /// to wait (at least 1) for the next one.
    pub fn admit(&self, client: IpAddr, now_us: i64) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(&client) && buckets.len() >= MAX_CLIENTS {
            buckets.retain(|_, b| self.refill(*b, now_us).tokens < self.burst);
            if buckets.len() >= MAX_CLIENTS {
                return Err(1);
            }
        }
        let fresh = Bucket { tokens: self.burst, at_us: now_us };
        let b = self.refill(*buckets.get(&client).unwrap_or(&fresh), now_us);
        if b.tokens >= 1.0 {
            buckets.insert(client, Bucket { tokens: b.tokens - 1.0, ..b });
            return Ok(());
        }
        buckets.insert(client, b);
        Err((((1.0 - b.tokens) / self.rate_per_s).ceil() as u64).max(1))
    }
}

/// Requests in flight per client, so that one client holding slow requests
/// open cannot take every slot of the witness.
#[derive(Debug, Clone)]
pub struct InFlight {
    max_per_client: usize,
    open: std::sync::Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A client's slot, given back on drop.
#[derive(Debug)]
pub struct Slot {
    open: std::sync::Arc<Mutex<HashMap<IpAddr, usize>>>,
    client: IpAddr,
}

impl InFlight {
    pub fn new(max_per_client: usize) -> Self {
        Self { max_per_client: max_per_client.max(1), open: Default::default() }
    }

    /// A slot for one more request from `client`, or `None` at its share.
    pub fn admit(&self, client: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(client).or_insert(0);
        if *n >= self.max_per_client {
            return None;
        }
        *n += 1;
        Some(Slot { open: self.open.clone(), client })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate() {
        let r = RateLimiter::new(2.0, 3.0);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert_eq!(r.admit(a, 0), Ok(()));
        }
        assert_eq!(r.admit(a, 0), Err(1));
        assert_eq!(r.admit(b, 0), Ok(()), "another client has its own bucket");
        assert_eq!(r.admit(a, 500_000), Ok(()), "half a second at 2/s is one token");
        assert!(r.admit(a, 500_000).is_err());
    }

    #[test]
    fn in_flight_is_shared_per_client() {
        let f = InFlight::new(2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let (s1, _s2) = (f.admit(a).expect("first"), f.admit(a).expect("second"));
        assert!(f.admit(a).is_none(), "at its share");
        assert!(f.admit([10, 0, 0, 2].into()).is_some(), "another client is not held up");
        drop(s1);
        assert!(f.admit(a).is_some(), "a finished request gives its slot back");
    }
}
