//! Meetings: what a group's meeting has on its agenda and what it may decide about an item.

use chrono::NaiveDate;

use super::item::Move;
use super::{GroupId, MeetingId, MemberId, RedactedText};

/// What a meeting decided about an item on its agenda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Discussed; nothing moves.
    Noted,
    Escalate,
    Respond,
    Close,
}

impl Decision {
    /// The move a decision makes, if any.
    pub fn as_move(self) -> Option<Move> {
        match self {
            Decision::Noted => None,
            Decision::Escalate => Some(Move::Escalate),
            Decision::Respond => Some(Move::Respond),
            Decision::Close => Some(Move::Close),
        }
    }
}

/// The standing items on every meeting's agenda.
pub const STANDING_AGENDA: [&str; 1] = ["Patient experience"];

/// One line of a meeting's agenda.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgendaEntry {
    pub title: RedactedText,
    /// The item discussed, for an item waiting at the group.
    pub item_id: Option<i64>,
    /// A standing item (on every agenda).
    pub standing: bool,
}

/// A group's meeting, with the agenda fixed when it was scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: MeetingId,
    pub group_id: GroupId,
    pub held_on: NaiveDate,
    pub title: RedactedText,
    pub attendees: Vec<MemberId>,
    pub agenda: Vec<AgendaEntry>,
    pub minutes_recorded: bool,
}
