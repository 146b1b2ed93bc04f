//! Linking: several reports of one matter joined to a lead item, so they travel and are
//! answered together.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::get;
use super::rows::status_of;
use super::trail::{self, NewEvent};
use crate::domain::authz::{self, Actor};
use crate::domain::item::{EventKind, Item};
use crate::domain::{GroupId, ItemId};
use crate::entities::item as db;
use crate::error::{AppError, AppResult};
use crate::services::groups;

/// Links items to a lead item as one matter, without moving the lead.
#[tracing::instrument(skip_all, fields(lead = %lead, member = ?actor.member_id()))]
pub async fn link(
    db: &DatabaseConnection,
    actor: &Actor,
    lead: ItemId,
    items: Vec<ItemId>,
) -> AppResult<Item> {
    let txn = db.begin().await?;
    let current = get(&txn, actor, lead).await?;
    let holder = groups::get(&txn, current.current_group_id).await?;
    authz::may_link_items(actor, authz::standing(actor, holder.id))?;
    if current.lead_item_id.is_some() {
        return Err(AppError::Conflict(
            "This item is itself linked to another: link to that one.".to_owned(),
        ));
    }
    let model = trail::stored(&txn, lead).await?;
    for other in items {
        link_in(&txn, actor, &model, other).await?;
    }
    txn.commit().await?;
    Ok(current)
}

/// Joins `other` to `lead` as one matter: it must be visible, open, and not already part of
/// another matter.
pub(super) async fn link_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    lead: &db::Model,
    other: ItemId,
) -> AppResult<()> {
    if other.0 == lead.id {
        return Err(AppError::bad_input(
            "linkItemIds",
            "An item cannot be linked to itself.",
        ));
    }
    let item = get(txn, actor, other).await.map_err(|_| {
        AppError::bad_input(
            "linkItemIds",
            "One of the items to link does not exist, or you cannot see it.",
        )
    })?;
    if item.lead_item_id.is_some() {
        return Err(AppError::Conflict(format!(
            "{} is already linked to another item.",
            item.reference
        )));
    }
    if !item.status.is_open() {
        return Err(AppError::Conflict(format!(
            "{} is already answered or closed.",
            item.reference
        )));
    }
    let model = trail::stored(txn, other).await?;
    let is_lead = db::Entity::find()
        .filter(db::Column::LeadItemId.eq(other.0))
        .one(txn)
        .await?
        .is_some();
    if is_lead {
        return Err(AppError::Conflict(format!(
            "{} already has items linked to it: link those to this item one by one.",
            item.reference
        )));
    }
    let status = item.status;
    let linked_event = NewEvent {
        note: Some(format!("Linked to {} as one matter.", lead.reference)),
        ..NewEvent::new(&model, EventKind::Linked, status)
    };
    let event = trail::record(txn, actor, linked_event).await?;
    let mut row: db::ActiveModel = model.into();
    row.lead_item_id = Set(Some(lead.id));
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(crate::services::now());
    let linked = row.update(txn).await?;
    // It joins the lead where the lead is now.
    if linked.current_group_id != lead.current_group_id || linked.status != lead.status {
        let mut row: db::ActiveModel = linked.clone().into();
        let from_group = GroupId(linked.current_group_id);
        if from_group.0 != lead.current_group_id {
            trail::reach(txn, linked.id, GroupId(lead.current_group_id)).await?;
        }
        row.current_group_id = Set(lead.current_group_id);
        row.status = Set(lead.status.clone());
        row.referred_at = Set(lead.referred_at);
        let joined = NewEvent {
            from_status: Some(status),
            to_group: Some(GroupId(lead.current_group_id)).filter(|g| *g != from_group),
            note: Some(format!("Moved with {}.", lead.reference)),
            ..NewEvent::new(&linked, EventKind::Escalated, status_of(lead)?)
        };
        let event = trail::record(txn, actor, joined).await?;
        row.latest_event_id = Set(Some(event));
        row.update(txn).await?;
    }
    Ok(())
}
