//! Linking: several reports of one matter joined to a lead item, so they travel and are
//! answered together. Linking never moves an item down or sideways and never shows it to a
//! group escalation would not: it joins items that already stand at the same group, or
//! brings the linked item up its own path to where the lead is, as escalating it would.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::get;
use super::rows::status_of;
use super::trail::{self, NewEvent};
use crate::domain::authz::{self, Actor};
use crate::domain::item::{self, EventKind, Item, Move, Status};
use crate::domain::{GroupId, ItemId, RedactedText};
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
    authz::may_link_items(actor, authz::standing(actor, holder.id, holder.area_id))?;
    if current.lead_item_id.is_some() {
        return Err(AppError::Conflict(
            "This item is itself linked to another: link to that one.".to_owned(),
        ));
    }
    if !current.status.is_open() {
        return Err(AppError::Conflict(format!(
            "{} is already answered or closed: link the reports to an open item.",
            current.reference
        )));
    }
    let model = trail::stored(&txn, lead).await?;
    for other in items {
        link_in(&txn, actor, &model, other).await?;
    }
    txn.commit().await?;
    Ok(current)
}

/// How far along its journey an open item is.
fn progress(status: Status) -> u8 {
    match status {
        Status::Raised => 0,
        Status::AtDistrict => 1,
        Status::AtCouncil => 2,
        Status::Referred | Status::Responded | Status::Closed => 3,
    }
}

/// Joins `other` to `lead` as one matter: it must be visible, open, not already part of
/// another matter, and at the lead's group or below it on the lead's own path.
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
    let lead_status = status_of(lead)?;
    let lead_group = GroupId(lead.current_group_id);
    let holder = groups::get(txn, item.current_group_id).await?;
    // The groups an escalation of `other` would take it through to reach the lead's group,
    // nearest first: empty when both stand at the same group; `None` when the lead's group
    // is not on `other`'s way up (below it, or beside it).
    let ancestors = groups::ancestors(txn, holder.id).await?;
    let climb: Option<Vec<GroupId>> = if holder.id == lead_group {
        Some(Vec::new())
    } else {
        ancestors
            .iter()
            .position(|g| g.id == lead_group)
            .map(|at| ancestors[..=at].iter().map(|g| g.id).collect())
    };
    let lead_name = || async {
        groups::get(txn, lead_group)
            .await
            .map(|g| g.name.as_str().to_owned())
    };
    let Some(climb) = climb else {
        return Err(AppError::Conflict(format!(
            "{} is held by {}, which is not below {}: an item can only be linked to one held at the same group or above it on its way up. Link them the other way round, or take this one up first.",
            item.reference,
            holder.name.as_str(),
            lead_name().await?
        )));
    };
    if progress(item.status) > progress(lead_status) {
        return Err(AppError::Conflict(format!(
            "{} is further along than {}: link them the other way round.",
            item.reference, lead.reference
        )));
    }
    if item.status != lead_status {
        // Bringing it up is escalating it: the caller must be able to take it up from where
        // it is now.
        let standing = authz::standing(actor, holder.id, holder.area_id);
        item::plan_move(actor, standing, item.status, holder.kind, Move::Escalate).map_err(
            |_| {
                AppError::Forbidden(format!(
                    "Linking {} would take it up from {}, and only that group's representative or officers can do that.",
                    item.reference,
                    holder.name.as_str()
                ))
            },
        )?;
    }
    let linked_event = NewEvent {
        note: Some(RedactedText::scrub(&format!(
            "Linked to {} as one matter.",
            lead.reference
        ))),
        ..NewEvent::new(&model, EventKind::Linked, item.status)
    };
    let event = trail::record(txn, actor, linked_event).await?;
    let mut row: db::ActiveModel = model.into();
    row.lead_item_id = Set(Some(lead.id));
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(crate::services::now());
    let linked = row.update(txn).await?;
    if item.status == lead_status && climb.is_empty() {
        return Ok(());
    }
    // It joins the lead where the lead is now, through every group escalation would pass.
    for group in &climb {
        trail::reach(txn, linked.id, *group).await?;
    }
    let mut row: db::ActiveModel = linked.clone().into();
    row.current_group_id = Set(lead.current_group_id);
    row.status = Set(lead.status.clone());
    row.referred_at = Set(lead.referred_at);
    row.response_due_on = Set(lead.response_due_on);
    let joined = NewEvent {
        to_group: Some(lead_group).filter(|_| !climb.is_empty()),
        note: Some(RedactedText::scrub(&format!(
            "Moved with {}.",
            lead.reference
        ))),
        ..NewEvent::new(&linked, EventKind::Escalated, lead_status)
    };
    let event = trail::record(txn, actor, joined).await?;
    row.latest_event_id = Set(Some(event));
    row.update(txn).await?;
    Ok(())
}
