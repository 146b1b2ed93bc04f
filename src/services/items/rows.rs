//! Items and their events as stored, turned into domain values (a stored value this build does
//! not know is reported as corrupt), and the query filter that keeps hidden items hidden.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, QueryFilter, Select};

use crate::domain::authz::Visibility;
use crate::domain::item::{
    Channel, EventKind, InformationSource, Item, ItemEvent, ItemKind, Outcome, Sentiment, Severity,
    Status,
};
use crate::domain::{GroupId, ItemEventId, ItemId, MeetingId, MemberId, ProviderId};
use crate::entities::{item as db, item_event as event_db, item_group};
use crate::error::{AppError, AppResult};

pub(crate) fn bad_stored(id: i64, what: &str) -> AppError {
    crate::services::corrupt("items", id, what)
}

/// An item's stored status.
pub(crate) fn status_of(model: &db::Model) -> AppResult<Status> {
    Status::from_db(&model.status).ok_or_else(|| bad_stored(model.id, "status"))
}

pub(crate) fn from_model(m: db::Model) -> AppResult<Item> {
    let id = m.id;
    Ok(Item {
        id: ItemId(m.id),
        kind: ItemKind::from_db(&m.kind).ok_or_else(|| bad_stored(id, "kind"))?,
        sentiment: Sentiment::from_db(&m.sentiment).ok_or_else(|| bad_stored(id, "sentiment"))?,
        information_source: InformationSource::from_db(&m.information_source)
            .ok_or_else(|| bad_stored(id, "information source"))?,
        status: status_of(&m)?,
        channel: Channel::from_db(&m.channel).ok_or_else(|| bad_stored(id, "channel"))?,
        reference: m.reference,
        title: m.title,
        body: m.body,
        provider_id: m.provider_id.map(ProviderId),
        provider_name: m.provider_name,
        experienced_on: m.experienced_on,
        raised_with_pals: m.raised_with_pals,
        raised_as_complaint: m.raised_as_complaint,
        safety_concern: m.safety_concern,
        severity: m
            .severity
            .map(|s| Severity::from_db(s).ok_or_else(|| bad_stored(id, "severity")))
            .transpose()?,
        severity_reason: m.severity_reason,
        origin_group_id: GroupId(m.origin_group_id),
        area_id: GroupId(m.area_id.ok_or_else(|| bad_stored(id, "area"))?),
        share_name: m.share_name,
        current_group_id: GroupId(m.current_group_id),
        submitter_id: MemberId(m.submitter_id),
        lead_item_id: m.lead_item_id.map(ItemId),
        latest_event_id: m.latest_event_id.map(ItemEventId),
        referred_at: m.referred_at,
        responded_at: m.responded_at,
        response_due_on: m.response_due_on,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(crate) fn event_from_model(m: event_db::Model) -> AppResult<ItemEvent> {
    let bad = |what| crate::services::corrupt("item_events", m.id, what);
    Ok(ItemEvent {
        id: ItemEventId(m.id),
        item_id: ItemId(m.item_id),
        at: m.at,
        actor_id: m.actor_id.map(MemberId),
        kind: EventKind::from_db(&m.kind).ok_or_else(|| bad("kind"))?,
        from_status: m
            .from_status
            .as_deref()
            .map(|s| Status::from_db(s).ok_or_else(|| bad("status")))
            .transpose()?,
        to_status: Status::from_db(&m.to_status).ok_or_else(|| bad("status"))?,
        from_group_id: m.from_group_id.map(GroupId),
        group_id: GroupId(m.group_id),
        note: m.note,
        outcome: m
            .outcome
            .as_deref()
            .map(|o| Outcome::from_db(o).ok_or_else(|| bad("outcome")))
            .transpose()?,
        meeting_id: m.meeting_id.map(MeetingId),
    })
}

/// Items raised in, or that have reached, any of `groups`.
pub(crate) fn reached_any(groups: &[GroupId]) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(item_group::Column::ItemId)
        .from(item_group::Entity)
        .and_where(item_group::Column::GroupId.is_in(groups.iter().map(|g| g.0)))
        .to_owned()
}

/// Limits a query on items to those the caller may see (`authz::visibility`): items of the
/// caller's areas as a commissioner, and items that reached the caller's groups.
pub(crate) fn visible(query: Select<db::Entity>, visibility: &Visibility) -> Select<db::Entity> {
    match visibility {
        Visibility::Everything => query,
        Visibility::Scoped { areas, groups } => {
            let mut any = Condition::any();
            if !areas.is_empty() {
                any = any.add(db::Column::AreaId.is_in(areas.iter().map(|a| a.0)));
            }
            if !groups.is_empty() {
                any = any.add(db::Column::Id.in_subquery(reached_any(groups)));
            }
            if areas.is_empty() && groups.is_empty() {
                // Nobody's item: sees nothing.
                any = any.add(Expr::cust("1 = 0"));
            }
            query.filter(any)
        }
    }
}

/// An item asked for by reference that is not there (or hidden).
pub(crate) fn not_found() -> AppError {
    AppError::NotFound("There is no item with that reference, or you cannot see it.".to_owned())
}

/// An item asked for by id that is not there (or hidden).
pub(crate) fn not_found_by_id() -> AppError {
    AppError::NotFound("There is no item with that id, or you cannot see it.".to_owned())
}
