//! Errors the service reports; each maps to one stable code.

use corridor_state::Rejection;
use corridor_statement::StatementError;
use corridor_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("request is {0} bytes; entries are at most 65,535 bytes")]
    TooLarge(usize),
    #[error(transparent)]
    Invalid(#[from] StatementError),
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("the submission pool is full; retry shortly")]
    Busy,
    #[error("the sequencer has stopped; retry shortly")]
    Stopped,
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl SubmitError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "too_large",
            Self::Invalid(e) => e.code(),
            Self::Rejected(r) => r.code(),
            Self::Busy => "busy",
            Self::Stopped => "unavailable",
            Self::Query(q) => q.code(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("storage is busy; retry shortly")]
    Busy,
    #[error("storage cannot be reached ({0}); retry shortly")]
    Unreachable(String),
    #[error("storage failed: {0}")]
    Store(String),
    #[error("this node does not serve the log until it has recovered it from the store; retry shortly")]
    Unavailable,
    #[error("no checkpoint has been cosigned by the witnesses' quorum yet; retry shortly")]
    AwaitingCosignatures,
    #[error("another request is taking the state digest; retry shortly")]
    Digesting,
}

impl QueryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::Busy | Self::Digesting => "busy",
            Self::Unreachable(_) => "storage_unreachable",
            Self::Store(_) => "storage_error",
            Self::Unavailable => "unavailable",
            Self::AwaitingCosignatures => "awaiting_cosignatures",
        }
    }
}

impl FatalError {
    /// A failed `append`: superseded (nothing written) or a commit whose
    /// outcome is unknown.
    pub fn from_append(e: StoreError) -> Self {
        match e {
            StoreError::Superseded { .. } => Self::Superseded(e),
            StoreError::NotWritten(_) => Self::NotWritten(e),
            other => Self::Commit(other),
        }
    }
}

impl From<StoreError> for QueryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => Self::Busy,
            StoreError::Unreachable(why) => Self::Unreachable(why),
            other => Self::Store(other.to_string()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored log does not replay: {0}")]
    Replay(#[from] crate::replay::ReplayError),
    #[error("checkpoint check failed: {0}")]
    Checkpoint(String),
    #[error("could not start the sequencer thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Why the sequencer stopped. Memory may be ahead of disk: the process must
/// restart, and recovery then reads exactly what is durable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FatalError {
    #[error("the durable commit failed (the batch may or may not be on disk): {0}")]
    Commit(StoreError),
    /// The store fenced this writer: nothing of the batch was written, and
    /// this process may never write the log again.
    #[error("this node no longer writes the log; nothing of the batch was written: {0}")]
    Superseded(StoreError),
    /// The store failed before the commit was sent: nothing of the batch
    /// was written.
    #[error("the commit failed before anything was written: {0}")]
    NotWritten(StoreError),
    #[error("the checkpoint could not be signed: {0}")]
    Checkpoint(String),
    /// The node gave up its lease to shut down ([`crate::Service::resign`]).
    #[error("this node gave up leading to shut down")]
    Resigned,
    /// Elected, the node could not read the rest of the log.
    #[error("could not catch up with the log after the election: {0}")]
    CatchUp(String),
}
