//! Meetings in GraphQL: scheduling one (its agenda built from the items waiting at the
//! group) and recording its minutes (which move the items).

use super::scalars::Date;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::ids;
use super::items::{ItemEventNode, ItemNode, Outcome};
use super::types::{GroupNode, MemberNode};
use super::{actor, db, loaders, reader};
use crate::domain::meeting::{AgendaEntry, Decision as DomainDecision, Meeting};
use crate::domain::{GroupId, ItemId, MeetingId, MemberId};
use crate::services::meetings::{self, Minute, NewMeeting};

/// What a meeting decided about an item.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::meeting::Decision")]
pub enum Decision {
    /// Discussed; nothing moves.
    Noted,
    /// Taken up to the tier above (or to the commissioners from the council).
    Escalate,
    /// Answered by this group.
    Respond,
    /// Resolved here.
    Close,
}

pub struct MeetingNode(pub Meeting);

/// A group's meeting.
#[Object(name = "Meeting")]
impl MeetingNode {
    pub async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.group_id)
            .await?
            .map(GroupNode))
    }

    async fn held_on(&self) -> Date {
        Date(self.0.held_on)
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn attendees(&self, ctx: &Context<'_>) -> Result<Vec<MemberNode>> {
        let found = loaders(ctx)
            .members
            .load_many(self.0.attendees.iter().copied())
            .await?;
        Ok(self
            .0
            .attendees
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .map(MemberNode)
            .collect())
    }

    /// Standing items first, then the items that were waiting at the group, then other business.
    async fn agenda(&self) -> Vec<AgendaEntryNode> {
        self.0.agenda.iter().cloned().map(AgendaEntryNode).collect()
    }

    async fn minutes_recorded(&self) -> bool {
        self.0.minutes_recorded
    }

    /// What the minutes decided: one event per item.
    async fn decisions(&self, ctx: &Context<'_>) -> Result<Vec<ItemEventNode>> {
        let ids = meetings::decisions(reader(ctx), self.0.id).await?;
        let found = loaders(ctx)
            .event_by_id
            .load_many(ids.iter().copied())
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .map(ItemEventNode)
            .collect())
    }
}

pub struct AgendaEntryNode(AgendaEntry);

#[Object(name = "AgendaEntry")]
impl AgendaEntryNode {
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// On every agenda (such as "Patient experience").
    async fn standing(&self) -> bool {
        self.0.standing
    }

    /// The item to discuss, for an item waiting at the group.
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<ItemNode>> {
        let Some(id) = self.0.item_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).items.load_one(ItemId(id)).await?.map(ItemNode))
    }
}

#[derive(InputObject)]
pub struct ScheduleMeetingInput {
    pub group_id: ID,
    pub held_on: Date,
    pub title: Option<String>,
    #[graphql(default)]
    pub attendee_ids: Vec<ID>,
    /// Further agenda lines (a speaker, a consultation to take part in).
    #[graphql(default)]
    pub other_business: Vec<String>,
}

#[derive(InputObject)]
pub struct MinuteInput {
    pub item_id: ID,
    pub decision: Decision,
    /// What was said; for RESPOND, the answer.
    pub note: Option<String>,
    /// For RESPOND: what the answer changed.
    pub outcome: Option<Outcome>,
    /// For RESPOND with ACTION_PLANNED (and only then): who owns the change and when it is
    /// due.
    pub change: Option<super::changes::PlannedChangeInput>,
}

#[derive(InputObject)]
pub struct RecordMinutesInput {
    pub meeting_id: ID,
    pub minutes: Vec<MinuteInput>,
}

#[derive(SimpleObject)]
pub struct MeetingPayload {
    pub meeting: MeetingNode,
}

#[derive(Default)]
pub struct MeetingMutation;

#[Object]
impl MeetingMutation {
    /// Schedules a meeting of a group (its secretary or chair). The agenda is built from the
    /// items waiting at the group, after the standing items.
    async fn schedule_meeting(
        &self,
        ctx: &Context<'_>,
        input: ScheduleMeetingInput,
    ) -> Result<MeetingPayload> {
        let attendees = input
            .attendee_ids
            .iter()
            .map(|id| ids::from_global::<MemberId>(id, "attendeeIds"))
            .collect::<Result<Vec<_>, _>>()?;
        let new = NewMeeting {
            group_id: ids::from_global::<GroupId>(&input.group_id, "groupId")?,
            held_on: input.held_on.0,
            title: input.title,
            attendees,
            other_business: input.other_business,
        };
        let meeting = meetings::schedule(db(ctx), actor(ctx), new).await?;
        Ok(MeetingPayload {
            meeting: MeetingNode(meeting),
        })
    }

    /// Records the minutes: what was decided about each item. Each decision becomes an event
    /// on its item, and moves it as decided, all at once or not at all.
    async fn record_minutes(
        &self,
        ctx: &Context<'_>,
        input: RecordMinutesInput,
    ) -> Result<MeetingPayload> {
        let id = ids::from_global::<MeetingId>(&input.meeting_id, "meetingId")?;
        let minutes = input
            .minutes
            .into_iter()
            .map(|m| {
                Ok(Minute {
                    item_id: ids::from_global::<ItemId>(&m.item_id, "itemId")?,
                    decision: DomainDecision::from(m.decision),
                    note: m.note,
                    outcome: m.outcome.map(Into::into),
                    change: m.change.map(|c| c.into_input()).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, crate::error::AppError>>()?;
        let meeting = meetings::record_minutes(db(ctx), actor(ctx), id, minutes).await?;
        Ok(MeetingPayload {
            meeting: MeetingNode(meeting),
        })
    }
}
