//! An item's trail: the one writer of `item_events` (every step of every item goes through
//! `record`), the record of which groups an item reached, and reading trails back.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::rows::event_from_model;
use crate::domain::authz::Actor;
use crate::domain::item::{EventKind, Item, ItemEvent, Outcome, Status};
use crate::domain::{GroupId, ItemEventId, ItemId, MeetingId, RedactedText};
use crate::entities::{item as db, item_event as event_db, item_group};
use crate::error::AppResult;
use crate::services::groups;

/// One step to add to an item's trail. Start from `NewEvent::new` and set what applies.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent<'a> {
    pub item: &'a db::Model,
    pub kind: EventKind,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// Where the item goes; `None` when it stays with the group holding it.
    pub to_group: Option<GroupId>,
    pub note: Option<RedactedText>,
    pub outcome: Option<Outcome>,
    pub meeting: Option<MeetingId>,
}

impl<'a> NewEvent<'a> {
    /// A step that leaves the item with its holder, from its stored status to `to_status`.
    pub fn new(item: &'a db::Model, kind: EventKind, to_status: Status) -> Self {
        Self {
            item,
            kind,
            from_status: Status::from_db(&item.status),
            to_status,
            to_group: None,
            note: None,
            outcome: None,
            meeting: None,
        }
    }
}

/// Appends a step to an item's trail; returns the event's id.
pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    event: NewEvent<'_>,
) -> AppResult<i64> {
    let item = event.item;
    let group = event.to_group.map_or(item.current_group_id, |g| g.0);
    let row = event_db::ActiveModel {
        item_id: Set(item.id),
        at: Set(crate::services::now()),
        actor_id: Set(actor.member_id().map(|m| m.0)),
        kind: Set(event.kind.as_str().to_owned()),
        from_status: Set(event.from_status.map(|s| s.as_str().to_owned())),
        to_status: Set(event.to_status.as_str().to_owned()),
        from_group_id: Set(event.to_group.map(|_| item.current_group_id)),
        group_id: Set(group),
        note: Set(event.note),
        outcome: Set(event.outcome.map(|o| o.as_str().to_owned())),
        meeting_id: Set(event.meeting.map(|m| m.0)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// Records that an item has reached a group (what decides who sees it).
pub(crate) async fn reach(conn: &impl ConnectionTrait, item: i64, group: GroupId) -> AppResult<()> {
    let already = item_group::Entity::find_by_id((item, group.0))
        .one(conn)
        .await?;
    if already.is_none() {
        item_group::ActiveModel {
            item_id: Set(item),
            group_id: Set(group.0),
            reached_at: Set(crate::services::now()),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// An item with its trail and the names of the groups on it (what `/status` shows).
pub struct Trail {
    pub item: Item,
    pub events: Vec<ItemEvent>,
    pub group_names: HashMap<GroupId, String>,
}

#[tracing::instrument(skip_all, fields(reference))]
pub async fn trail(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    reference: &str,
) -> AppResult<Trail> {
    let item = super::by_reference(conn, actor, reference).await?;
    let events = events_of(conn, &[item.id])
        .await?
        .remove(&item.id)
        .unwrap_or_default();
    let mut ids: Vec<GroupId> = events.iter().map(|e| e.group_id).collect();
    ids.push(item.current_group_id);
    let group_names = groups::get_many(conn, &ids)
        .await?
        .into_iter()
        .map(|(id, g)| (id, g.name.as_str().to_owned()))
        .collect();
    Ok(Trail {
        item,
        events,
        group_names,
    })
}

/// The trail of each item, oldest first, for many items at once. The caller has already
/// been allowed to see the items.
pub async fn events_of(
    conn: &impl ConnectionTrait,
    items: &[ItemId],
) -> AppResult<HashMap<ItemId, Vec<ItemEvent>>> {
    let rows = event_db::Entity::find()
        .filter(event_db::Column::ItemId.is_in(items.iter().map(|i| i.0)))
        .order_by_asc(event_db::Column::Id)
        .all(conn)
        .await?;
    let mut by_item: HashMap<ItemId, Vec<ItemEvent>> = HashMap::new();
    for row in rows {
        let event = event_from_model(row)?;
        by_item.entry(event.item_id).or_default().push(event);
    }
    Ok(by_item)
}

/// The events that meetings' minutes made, oldest first.
pub async fn events_at_meetings(
    conn: &impl ConnectionTrait,
    meetings: &[MeetingId],
) -> AppResult<Vec<ItemEvent>> {
    event_db::Entity::find()
        .filter(event_db::Column::MeetingId.is_in(meetings.iter().map(|m| m.0)))
        .order_by_asc(event_db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(event_from_model)
        .collect()
}

/// Events by id (for items' latest events). The caller has already been allowed to see the
/// items they belong to.
pub async fn events_by_id(
    conn: &impl ConnectionTrait,
    ids: &[ItemEventId],
) -> AppResult<HashMap<ItemEventId, ItemEvent>> {
    event_db::Entity::find()
        .filter(event_db::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| event_from_model(m).map(|e| (e.id, e)))
        .collect()
}

/// New events after `after_id`, oldest first, at most `limit` (for the live feed).
pub async fn events_after(
    conn: &impl ConnectionTrait,
    after_id: i64,
    limit: u64,
) -> AppResult<Vec<ItemEvent>> {
    event_db::Entity::find()
        .filter(event_db::Column::Id.gt(after_id))
        .order_by_asc(event_db::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(event_from_model)
        .collect()
}

/// The highest event id so far (where a live feed starts).
pub async fn latest_event_id(conn: &impl ConnectionTrait) -> AppResult<i64> {
    Ok(event_db::Entity::find()
        .order_by_desc(event_db::Column::Id)
        .one(conn)
        .await?
        .map_or(0, |e| e.id))
}

/// Items by id as stored, for the writers (which have already checked visibility).
pub(crate) async fn stored(conn: &impl ConnectionTrait, id: ItemId) -> AppResult<db::Model> {
    db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(super::rows::not_found_by_id)
}
