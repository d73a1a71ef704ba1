//! Why the fold refused an entry. A rejected statement is never logged; each
//! rejection has a stable code the API reports.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("no live key {0} is registered")]
    UnknownKey(String),
    #[error("key {key} was revoked at entry {revoked_at_index}")]
    RevokedKey { key: String, revoked_at_index: u64 },
    #[error("not authorized: {0}")]
    Unauthorized(String),
    #[error("this (issuer, id) was already logged at entry {index} with a different envelope")]
    DuplicateId { index: u64 },
    /// Not an error to the submitter: the same envelope was already logged.
    #[error("identical envelope already logged at entry {index}")]
    Resubmission { index: u64 },
    #[error("party {0} is already registered")]
    PartyExists(String),
    #[error("key {0} is already registered")]
    KeyExists(String),
    #[error("the key is another party's: {0}")]
    KeyInUse(String),
    #[error("no party {0} is registered")]
    UnknownParty(String),
    #[error("nothing is logged under {0}")]
    UnknownRef(String),
    #[error("body is invalid: {0}")]
    InvalidBody(String),
    #[error("{0} was already withdrawn, cancelled or completed")]
    AlreadyEnded(String),
    #[error("limit reached: {0}")]
    LimitReached(&'static str),
    /// Admission only ([`State::admit`](crate::State::admit)): a movement
    /// reported moving before it was cleared.
    #[error("not cleared: {0}")]
    NotCleared(String),
    #[error("entry {got} applied out of order (expected {expected})")]
    OutOfOrder { expected: u64, got: u64 },
}

impl Rejection {
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownKey(_) => "unknown_key",
            Self::RevokedKey { .. } => "revoked_key",
            Self::Unauthorized(_) => "unauthorized",
            Self::DuplicateId { .. } => "duplicate_id",
            Self::Resubmission { .. } => "resubmission",
            Self::PartyExists(_) => "party_exists",
            Self::KeyExists(_) => "key_exists",
            Self::KeyInUse(_) => "key_in_use",
            Self::UnknownParty(_) => "unknown_party",
            Self::UnknownRef(_) => "unknown_ref",
            Self::InvalidBody(_) => "invalid_body",
            Self::LimitReached(_) => "limit_reached",
            Self::NotCleared(_) => "not_cleared",
            Self::AlreadyEnded(_) => "already_ended",
            Self::OutOfOrder { .. } => "out_of_order",
        }
    }
}
