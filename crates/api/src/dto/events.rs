//! What `/v1/events` sends: an `entry` event per durable entry, and the fold's
//! notices (`conflict`, `clearance`) to the parties they concern.

use corridor_state::{Notice, NoticeKind};
use serde::Serialize;
use utoipa::ToSchema;

use super::access::{ConflictView, Decision};
use super::StatementType;

/// The data of an `entry` event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryEvent {
    pub index: u64,
    #[serde(rename = "type")]
    pub kind: StatementType,
    pub issuer: String,
    pub id: String,
}

impl From<&corridor_service::Event> for EntryEvent {
    fn from(e: &corridor_service::Event) -> Self {
        Self { index: e.index, kind: e.kind.into(), issuer: e.issuer.clone(), id: e.id.clone() }
    }
}

/// What a notice says.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum NoticeDetail {
    /// A `conflict` notice: the conflict found.
    Conflict(ConflictView),
    /// A `clearance` notice: what happened to the movement, and its approvers now.
    Clearance { event: String, approvers: Vec<String> },
    /// A `clearance` notice: an approver answered.
    Response { from: String, decision: Decision },
}

/// The data of a `conflict` or `clearance` event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeEvent {
    /// The entry that raised the notice.
    pub index: u64,
    /// The reference of what the notice is about (an operation, a movement).
    pub subject: String,
    pub detail: NoticeDetail,
}

impl NoticeEvent {
    /// The event name (`conflict` or `clearance`) and its data.
    pub fn new(index: u64, n: &Notice) -> (&'static str, Self) {
        let (name, detail) = match &n.kind {
            NoticeKind::Conflict(c) => ("conflict", NoticeDetail::Conflict(c.into())),
            NoticeKind::Clearance { event, approvers } => (
                "clearance",
                NoticeDetail::Clearance { event: event.as_str().to_owned(), approvers: approvers.clone() },
            ),
            NoticeKind::Response { from, decision } => {
                ("clearance", NoticeDetail::Response { from: from.clone(), decision: (*decision).into() })
            }
        };
        (name, Self { index, subject: n.subject.clone(), detail })
    }
}
