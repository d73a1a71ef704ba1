//! Time is injected: the sequencer asks a [`Clock`], so tests and replays can fix
//! it, and nothing below the service ever reads the system clock.

/// A source of the current time, in microseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_us(&self) -> i64;
}

/// The system's wall clock; only the binary constructs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> i64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }
}
