//! Planned changes in GraphQL: what an answer with ACTION_PLANNED promises (`Item.plannedChange`)
//! and the mutations that follow it until it is made.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::ids;
use super::items::{ItemNode, ItemPayload};
use super::scalars::Date;
use super::types::MemberNode;
use super::{actor, db, loaders};
use crate::domain::change::PlannedChange;
use crate::domain::{ItemId, MemberId};
use crate::services::changes::{self, ChangeInput};

/// Where a planned change is: PLANNED (promised, not yet recorded as made), MADE, or
/// ABANDONED (it will not be made; the item's trail says why).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::change::ChangeState")]
pub enum ChangeState {
    Planned,
    Made,
    Abandoned,
}

/// The change an answer plans (with the outcome ACTION_PLANNED).
#[derive(InputObject)]
pub struct PlannedChangeInput {
    /// Who owns the change, in words ("the out-of-hours provider's clinical lead").
    pub owner: String,
    /// The day it is due: today or later. On that day it comes back to the tier that
    /// referred the item, to ask whether it was done.
    pub due_on: Date,
    /// When the owner is a Pyramid member: they may then record it made themselves.
    pub owner_member_id: Option<ID>,
}

impl PlannedChangeInput {
    pub fn into_input(self) -> Result<ChangeInput, crate::error::AppError> {
        Ok(ChangeInput {
            owner: self.owner,
            due_on: self.due_on.0,
            owner_member_id: self
                .owner_member_id
                .map(|id| ids::from_global::<MemberId>(&id, "change.ownerMemberId"))
                .transpose()?,
        })
    }
}

pub struct PlannedChangeNode(pub PlannedChange);

/// A change an answer said was planned, followed until it is made. It is "done" only when
/// its state is MADE.
#[Object(name = "PlannedChange")]
impl PlannedChangeNode {
    /// Who owns the change, in words.
    async fn owner(&self) -> &str {
        self.0.owner.as_str()
    }

    /// The owner, when they are a Pyramid member you may see.
    async fn owner_member(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        let Some(id) = self.0.owner_member_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).members.load_one(id).await?.map(MemberNode))
    }

    async fn due_on(&self) -> Date {
        Date(self.0.due_on)
    }

    async fn state(&self) -> ChangeState {
        self.0.state.into()
    }

    /// Still planned, and its due date has passed (on the UK calendar).
    async fn overdue(&self) -> bool {
        self.0
            .overdue(crate::domain::clock::uk_date(crate::services::now()))
    }

    /// When it came back to the tier that referred the item, at its due date; `null` before,
    /// and again after it is given a new date.
    async fn returned_at(&self) -> Option<DateTime<Utc>> {
        self.0.returned_at
    }

    /// The day it was made, once it is.
    async fn made_on(&self) -> Option<Date> {
        self.0.made_on.map(Date)
    }
}

/// Resolves `Item.plannedChange`: a report travelling with a lead shows its lead's change.
pub async fn of_item(
    ctx: &Context<'_>,
    item: &crate::domain::item::Item,
) -> Result<Option<PlannedChangeNode>> {
    let key = item.lead_item_id.unwrap_or(item.id);
    Ok(loaders(ctx)
        .planned_changes
        .load_one(key)
        .await?
        .map(PlannedChangeNode))
}

#[derive(InputObject)]
pub struct RecordChangeMadeInput {
    pub item_id: ID,
    /// What was done.
    pub note: Option<String>,
    /// The day it was made; today unless given.
    pub made_on: Option<Date>,
}

#[derive(InputObject)]
pub struct RescheduleChangeInput {
    pub item_id: ID,
    /// The new day it is due: today or later.
    pub due_on: Date,
    /// Why it is later than planned (required).
    pub reason: String,
}

#[derive(InputObject)]
pub struct AbandonChangeInput {
    pub item_id: ID,
    /// Why it will not be made (required).
    pub reason: String,
}

#[derive(Default)]
pub struct ChangeMutation;

fn payload(item: crate::domain::item::Item) -> ItemPayload {
    ItemPayload {
        item: ItemNode(item),
    }
}

#[Object]
impl ChangeMutation {
    /// Records that an item's planned change was made (the commissioners of its area, or the
    /// member who owns the change). Whoever raised the item is told; newsletters say "done"
    /// only from now on.
    async fn record_change_made(
        &self,
        ctx: &Context<'_>,
        input: RecordChangeMadeInput,
    ) -> Result<ItemPayload> {
        let id = ids::from_global::<ItemId>(&input.item_id, "itemId")?;
        let item = changes::record_made(
            db(ctx),
            actor(ctx),
            id,
            input.made_on.map(|d| d.0),
            input.note,
        )
        .await?;
        Ok(payload(item))
    }

    /// Gives a planned change a new date, with the reason; it comes back again on that day.
    async fn reschedule_change(
        &self,
        ctx: &Context<'_>,
        input: RescheduleChangeInput,
    ) -> Result<ItemPayload> {
        let id = ids::from_global::<ItemId>(&input.item_id, "itemId")?;
        let item =
            changes::reschedule(db(ctx), actor(ctx), id, input.due_on.0, &input.reason).await?;
        Ok(payload(item))
    }

    /// Records that a planned change will not be made, with the reason.
    async fn abandon_change(
        &self,
        ctx: &Context<'_>,
        input: AbandonChangeInput,
    ) -> Result<ItemPayload> {
        let id = ids::from_global::<ItemId>(&input.item_id, "itemId")?;
        let item = changes::abandon(db(ctx), actor(ctx), id, &input.reason).await?;
        Ok(payload(item))
    }
}
