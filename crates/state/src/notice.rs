//! Notices: what the fold tells particular parties about an entry (a conflict
//! that concerns them, a change in a movement's clearance), pushed as events
//! once the entry is durable.

use corridor_statement::access::Decision;

use crate::access::Conflict;

/// A notice for one party about one subject (an object's reference).
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub party: String,
    pub subject: String,
    pub kind: NoticeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NoticeKind {
    /// An operation conflicts with something of the party's, or the party's
    /// operation conflicts with something.
    Conflict(Conflict),
    /// A movement's clearance changed; `approvers` are its required approvers now.
    Clearance { event: ClearanceEvent, approvers: Vec<String> },
    /// An approver answered the party's movement.
    Response { from: String, decision: Decision },
}

/// What changed a movement's clearance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearanceEvent {
    Requested,
    Amended,
    Cancelled,
    Update,
    ApproversRecomputed,
}

impl ClearanceEvent {
    /// How events name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "movement requested",
            Self::Amended => "movement amended",
            Self::Cancelled => "movement cancelled",
            Self::Update => "movement update",
            Self::ApproversRecomputed => "approvers recomputed after a zone changed",
        }
    }
}
