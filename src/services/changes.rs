//! Planned changes, followed until they are made. An answer with the outcome ACTION_PLANNED
//! stores who owns the change and when it is due (`plan_in`, in the answer's transaction); at
//! its due date the worker brings the item back to the tier that referred it (`return_due`),
//! and the owner or a commissioner records the change made (`record_made`), gives it a new date
//! (`reschedule`) or says it was abandoned (`abandon`). Each step is an item event, written
//! through the item's trail like every other, on the lead item and the reports travelling with
//! it, so trails, feeds and newsletters see it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::items::{self, NewEvent};
use super::outbox::{self, Destination, Message};
use super::{chat, email};
use crate::domain::authz::{self, Actor};
use crate::domain::change::{self, ChangePlan, ChangeState, PlannedChange};
use crate::domain::clock::uk_date;
use crate::domain::item::{EventKind, Item, Outcome};
use crate::domain::text::{self, parse_redacted};
use crate::domain::{GroupId, ItemEventId, ItemId, MemberId, RedactedText};
use crate::entities::{item as item_db, member as member_db, planned_change as db};
use crate::error::{AppError, AppResult};

/// What a person typed for a planned change, before it is parsed.
#[derive(Debug, Clone)]
pub struct ChangeInput {
    /// Who owns the change, in words ("the out-of-hours provider's clinical lead").
    pub owner: String,
    pub due_on: NaiveDate,
    /// When the owner is a Pyramid member, so that they may record it too.
    pub owner_member_id: Option<MemberId>,
}

fn from_model(m: db::Model) -> AppResult<PlannedChange> {
    Ok(PlannedChange {
        state: ChangeState::from_db(&m.state)
            .ok_or_else(|| super::corrupt("planned_changes", m.id, "state"))?,
        item_id: ItemId(m.item_id),
        area_id: GroupId(m.area_id),
        referring_group_id: GroupId(m.referring_group_id),
        owner: m.owner,
        owner_member_id: m.owner_member_id.map(MemberId),
        due_on: m.due_on,
        returned_at: m.returned_at,
        made_on: m.made_on,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// Parses what an answer plans: the owner's words redacted, the date today or later, the
/// owner member one who exists.
pub(crate) async fn parse_plan(
    conn: &impl ConnectionTrait,
    input: &ChangeInput,
    today: NaiveDate,
) -> AppResult<ChangePlan> {
    let mut removed = Vec::new();
    let owner = parse_redacted(
        "change.owner",
        "Who owns the change",
        &input.owner,
        text::NAME,
        &mut removed,
    )?;
    change::check_due_on(input.due_on, today)
        .map_err(|e| AppError::bad_input(format!("change.{}", e.field), e.message.to_string()))?;
    if let Some(member) = input.owner_member_id
        && member_db::Entity::find_by_id(member.0)
            .one(conn)
            .await?
            .is_none()
    {
        return Err(AppError::bad_input(
            "change.ownerMemberId",
            "There is no member with that id: leave ownerMemberId out when the owner is not a Pyramid member.",
        ));
    }
    Ok(ChangePlan {
        owner,
        owner_member_id: input.owner_member_id,
        due_on: input.due_on,
    })
}

/// Stores the change an answer plans, in the answer's transaction. `item` is the answered
/// lead item; `referring` the group that held it when it was answered.
pub(crate) async fn plan_in(
    txn: &DatabaseTransaction,
    item: &item_db::Model,
    referring: GroupId,
    plan: ChangePlan,
) -> AppResult<()> {
    let now = super::now();
    let area = item
        .area_id
        .ok_or_else(|| super::corrupt("items", item.id, "area"))?;
    db::ActiveModel {
        item_id: Set(item.id),
        area_id: Set(area),
        referring_group_id: Set(referring.0),
        owner: Set(plan.owner),
        owner_member_id: Set(plan.owner_member_id.map(|m| m.0)),
        due_on: Set(plan.due_on),
        state: Set(ChangeState::Planned.as_str().to_owned()),
        returned_at: Set(None),
        made_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The planned change of each item (a report travelling with a lead shows its lead's), for
/// items the caller has already been allowed to see.
pub async fn of_items(
    conn: &impl ConnectionTrait,
    items: &[ItemId],
) -> AppResult<HashMap<ItemId, PlannedChange>> {
    db::Entity::find()
        .filter(db::Column::ItemId.is_in(items.iter().map(|i| i.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| from_model(m).map(|c| (c.item_id, c)))
        .collect()
}

/// Every planned change of an area, oldest first: what the monthly report counts (planned,
/// made, overdue, abandoned). For the services that build reports, which check who asks.
pub async fn for_area(
    conn: &impl ConnectionTrait,
    area_id: GroupId,
) -> AppResult<Vec<PlannedChange>> {
    db::Entity::find()
        .filter(db::Column::AreaId.eq(area_id.0))
        .order_by_asc(db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// The item (through visibility: hidden looks missing), its stored row and its planned change,
/// after checking that the caller may follow the change and that it is still planned.
async fn load_for_follow(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: ItemId,
) -> AppResult<(item_db::Model, PlannedChange)> {
    let item = items::get(txn, actor, id).await?;
    let lead = item.lead_item_id.unwrap_or(item.id);
    if lead != item.id {
        let lead = items::stored(txn, lead).await?;
        return Err(AppError::Conflict(format!(
            "This item travels with {}: its change is followed there.",
            lead.reference
        )));
    }
    let change = of_items(txn, &[id]).await?.remove(&id).ok_or_else(|| {
        AppError::NotFound(format!(
            "{} has no planned change: only an answer with the outcome ACTION_PLANNED plans one.",
            item.reference
        ))
    })?;
    authz::may_follow_change(actor, change.area_id, change.owner_member_id)?;
    change
        .check_planned()
        .map_err(|why| AppError::Conflict(why.to_owned()))?;
    Ok((items::stored(txn, id).await?, change))
}

/// A required reason ("the provider's new rota starts in March"), parsed and redacted.
fn parse_reason(reason: &str) -> AppResult<RedactedText> {
    if reason.trim().is_empty() {
        return Err(AppError::bad_input(
            "reason",
            "Say why, so that the people who raised it know: for example, what is holding the change up.",
        ));
    }
    let mut removed = Vec::new();
    Ok(parse_redacted(
        "reason",
        "The reason",
        reason,
        text::NOTE,
        &mut removed,
    )?)
}

/// Writes one step of a change on the lead item and on each report travelling with it;
/// returns each item's row with the event written on it.
async fn record_on_matter(
    txn: &DatabaseTransaction,
    actor: &Actor,
    lead: item_db::Model,
    kind: EventKind,
    note: Option<RedactedText>,
) -> AppResult<Vec<(item_db::Model, i64)>> {
    let followers = item_db::Entity::find()
        .filter(item_db::Column::LeadItemId.eq(lead.id))
        .order_by_asc(item_db::Column::Id)
        .all(txn)
        .await?;
    let mut written = Vec::new();
    for model in std::iter::once(lead).chain(followers) {
        let status = items::status_of(&model)?;
        let event = items::record(
            txn,
            actor,
            NewEvent {
                note: note.clone(),
                ..NewEvent::new(&model, kind, status)
            },
        )
        .await?;
        let mut row: item_db::ActiveModel = model.into();
        row.latest_event_id = Set(Some(event));
        row.updated_at = Set(super::now());
        written.push((row.update(txn).await?, event));
    }
    Ok(written)
}

/// Moves a planned change from PLANNED, claiming it so that two people recording at once do
/// not both succeed.
async fn claim(
    txn: &DatabaseTransaction,
    item: ItemId,
    set: Vec<(db::Column, sea_orm::sea_query::SimpleExpr)>,
) -> AppResult<()> {
    let mut update = db::Entity::update_many();
    for (column, value) in set {
        update = update.col_expr(column, value);
    }
    let claimed = update
        .col_expr(db::Column::UpdatedAt, Expr::value(super::now()))
        .filter(db::Column::ItemId.eq(item.0))
        .filter(db::Column::State.eq(ChangeState::Planned.as_str()))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::Conflict(
            "Somebody has just recorded what became of this change: look at the item again."
                .to_owned(),
        ));
    }
    Ok(())
}

/// Records that a planned change was made (on `made_on`, today unless given), with what was
/// done. The only step that makes a change "done"; whoever raised the item, and the reports
/// travelling with it, are told.
#[tracing::instrument(skip_all, fields(item = %id, member = ?actor.member_id()))]
pub async fn record_made(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    made_on: Option<NaiveDate>,
    note: Option<String>,
) -> AppResult<Item> {
    let today = uk_date(super::now());
    let made_on = made_on.unwrap_or(today);
    change::check_made_on(made_on, today)?;
    let note = items::parse_note(note.as_deref())?;
    let txn = db.begin().await?;
    let (model, _) = load_for_follow(&txn, actor, id).await?;
    claim(
        &txn,
        id,
        vec![
            (db::Column::State, Expr::value(ChangeState::Made.as_str())),
            (db::Column::MadeOn, Expr::value(made_on)),
        ],
    )
    .await?;
    let written = record_on_matter(&txn, actor, model, EventKind::ChangeMade, note.clone()).await?;
    for (row, event) in &written {
        super::delivery::tell_member(
            &txn,
            MemberId(row.submitter_id),
            Message::ItemUpdate {
                item_id: ItemId(row.id),
                event_id: ItemEventId(*event),
                reference: row.reference.clone(),
                title: row.title.clone(),
                event: EventKind::ChangeMade,
                status: items::status_of(row)?,
                group_id: GroupId(row.current_group_id),
                answer: note.clone(),
                outcome: Some(Outcome::ChangeMade),
                origin_group_id: Some(GroupId(row.origin_group_id)),
            },
        )
        .await?;
    }
    txn.commit().await?;
    lead_of(written)
}

/// Gives a planned change a new date, with the reason. It comes back again at the new date.
#[tracing::instrument(skip_all, fields(item = %id, member = ?actor.member_id()))]
pub async fn reschedule(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    due_on: NaiveDate,
    reason: &str,
) -> AppResult<Item> {
    let reason = parse_reason(reason)?;
    change::check_due_on(due_on, uk_date(super::now()))?;
    let txn = db.begin().await?;
    let (model, _) = load_for_follow(&txn, actor, id).await?;
    claim(
        &txn,
        id,
        vec![
            (db::Column::DueOn, Expr::value(due_on)),
            (
                db::Column::ReturnedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            ),
        ],
    )
    .await?;
    let written = record_on_matter(
        &txn,
        actor,
        model,
        EventKind::ChangeRescheduled,
        Some(reason),
    )
    .await?;
    txn.commit().await?;
    lead_of(written)
}

/// Records that a planned change will not be made, with the reason.
#[tracing::instrument(skip_all, fields(item = %id, member = ?actor.member_id()))]
pub async fn abandon(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    reason: &str,
) -> AppResult<Item> {
    let reason = parse_reason(reason)?;
    let txn = db.begin().await?;
    let (model, _) = load_for_follow(&txn, actor, id).await?;
    claim(
        &txn,
        id,
        vec![(
            db::Column::State,
            Expr::value(ChangeState::Abandoned.as_str()),
        )],
    )
    .await?;
    let written =
        record_on_matter(&txn, actor, model, EventKind::ChangeAbandoned, Some(reason)).await?;
    txn.commit().await?;
    lead_of(written)
}

fn lead_of(written: Vec<(item_db::Model, i64)>) -> AppResult<Item> {
    let lead = written
        .into_iter()
        .next()
        .map(|(row, _)| row)
        .ok_or_else(items::not_found_by_id)?;
    items::from_model(lead)
}

/// Brings back every planned change due by the UK day of `now` that has not come back yet:
/// each, in its own transaction, is claimed by a conditional update (so two `serve` instances
/// never both return it), gets a CHANGE_DUE event, and its referring group is asked "was it
/// done?" in its chat channels and at its mailing address. Returns how many came back.
pub async fn return_due(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<usize> {
    let today = uk_date(now);
    let due = db::Entity::find()
        .filter(db::Column::State.eq(ChangeState::Planned.as_str()))
        .filter(db::Column::DueOn.lte(today))
        .filter(db::Column::ReturnedAt.is_null())
        .order_by_asc(db::Column::Id)
        .all(db)
        .await?;
    let mut returned = 0;
    for row in due {
        let change = from_model(row)?;
        if return_one(db, &change, now).await? {
            returned += 1;
        }
    }
    Ok(returned)
}

#[tracing::instrument(skip_all, fields(item = %change.item_id))]
async fn return_one(
    db: &DatabaseConnection,
    change: &PlannedChange,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let txn = db.begin().await?;
    let claimed = db::Entity::update_many()
        .col_expr(db::Column::ReturnedAt, Expr::value(now))
        .col_expr(db::Column::UpdatedAt, Expr::value(now))
        .filter(db::Column::ItemId.eq(change.item_id.0))
        .filter(db::Column::State.eq(ChangeState::Planned.as_str()))
        .filter(db::Column::DueOn.eq(change.due_on))
        .filter(db::Column::ReturnedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    let model = items::stored(&txn, change.item_id).await?;
    let status = items::status_of(&model)?;
    // The item is held where it was answered, which is the tier that referred it: it comes
    // back there without moving.
    let group = change.referring_group_id;
    let event = items::record(
        &txn,
        &Actor::System,
        NewEvent {
            note: Some(RedactedText::scrub(&change::due_question(
                &model.reference,
                change.owner.as_str(),
                change.due_on,
            ))),
            ..NewEvent::new(&model, EventKind::ChangeDue, status)
        },
    )
    .await?;
    let reference = model.reference.clone();
    let mut row: item_db::ActiveModel = model.into();
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(now);
    row.update(&txn).await?;
    let message = Message::ChangeDue {
        item_id: change.item_id,
        event_id: ItemEventId(event),
        reference,
        owner: change.owner.clone(),
        due_on: change.due_on,
        group_id: group,
    };
    let channels = chat::channels_of(&txn, chat::DISCORD, &[group]).await?;
    if channels.contains_key(&group) {
        outbox::enqueue(&txn, Destination::GroupChannel(group), message.clone()).await?;
    }
    for group in email::groups_with_address(&txn, &[group]).await? {
        outbox::enqueue(&txn, Destination::GroupEmail(group), message.clone()).await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// The demo seed only: moves a change's due date into the past, as if it had been answered
/// weeks ago, so that `serve --demo` shows a change overdue and come back. No user action
/// reaches this; an answer's due date is always today or later.
pub(crate) async fn backdate_for_demo(
    db: &DatabaseConnection,
    item: ItemId,
    due_on: NaiveDate,
) -> AppResult<()> {
    db::Entity::update_many()
        .col_expr(db::Column::DueOn, Expr::value(due_on))
        .filter(db::Column::ItemId.eq(item.0))
        .filter(db::Column::State.eq(ChangeState::Planned.as_str()))
        .exec(db)
        .await?;
    Ok(())
}
