//! Every bound the service enforces, in one place, with the reason for each default.

/// Limits of the running service.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Submissions waiting for the sequencer. Beyond it, submit answers `Busy`
    /// (HTTP 503 with Retry-After) instead of queueing without bound.
    pub pool_capacity: usize,
    /// Most entries committed in one batch: bounds one transaction and the time
    /// readers wait on the write lock.
    pub batch_max_entries: usize,
    /// Largest request body accepted. Canonical envelopes are smaller than this;
    /// the entry limit (65,535 bytes) is checked on the canonical form.
    pub max_body_bytes: usize,
    /// Largest page a listing returns.
    pub max_page: usize,
    /// Most entries one entry-range read returns.
    pub max_entries_per_read: u64,
    /// Events buffered per subscriber before a slow one misses some.
    pub event_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            pool_capacity: 20_000,
            batch_max_entries: 4_096,
            max_body_bytes: 2 * corridor_statement::MAX_ENTRY_BYTES,
            max_page: 1_000,
            max_entries_per_read: 256,
            event_buffer: 4_096,
        }
    }
}

impl Limits {
    /// The page size a listing uses: `requested`, or the default page when
    /// not given; refused unless it is 1..=`max_page` (see [`crate::paging`]).
    pub fn page_limit(&self, requested: Option<u64>) -> Result<usize, crate::QueryError> {
        let limit = requested.unwrap_or(crate::paging::DEFAULT_PAGE as u64);
        if limit == 0 || limit > self.max_page as u64 {
            return Err(crate::QueryError::BadRequest(format!("limit must be 1..={}", self.max_page)));
        }
        Ok(limit as usize)
    }
}
