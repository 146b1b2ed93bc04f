//! E-mail addresses Pyramid may write to: a member's own address and a group's mailing
//! address are confirmed before anything is sent to them, and every e-mail lets its reader
//! stop them.
//!
//! Asking for a confirmation (`request_confirmation`, `request_group_address`) records the
//! address in `email_confirmations` (it counts only once confirmed, for 48 hours) and queues
//! the confirmation e-mail. The links e-mails carry are made by the courier as it sends each
//! e-mail (`issue_link`): a random token, of which only the SHA-256 is kept (as API tokens
//! are), so neither the outbox nor the database ever holds one. A resent e-mail carries a new
//! link and the old one stays good, so a copy that did arrive is never left with a dead link.
//! Confirming (`confirm`) works once. Unsubscribing (`unsubscribe`) is per address: a link
//! names the address it was sent to, so an old e-mail cannot stop a newer address.

mod links;
mod recipient;

pub use links::{AddressOf, LinkRefused, Unsubscribed, confirm, unsubscribe, unsubscribe_preview};
pub(crate) use recipient::reach_from;
pub use recipient::{Recipient, RecipientKind, issue_link, recipient};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;

use crate::domain::authz::{self, Actor, Principal};
use crate::domain::member::Email;
use crate::domain::{EmailConfirmationId, GroupId, MemberId};
use crate::entities::{
    email_confirmation as confirmation_db, group_mailing_address as address_db, member as member_db,
};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::groups;
use crate::services::outbox::{self, Destination, Message};

/// How long a confirmation link works.
pub const CONFIRMATION_LIFETIME_HOURS: i64 = 48;
/// Confirmations one member or group may ask for in a day: enough for a typo or two, too few
/// to make Pyramid a way of flooding someone's inbox.
const REQUESTS_PER_DAY: u64 = 5;

const CONFIRM: &str = "CONFIRM";
const UNSUBSCRIBE: &str = "UNSUBSCRIBE";

/// A confirmation e-mail queued.
#[derive(Debug, Clone)]
pub struct ConfirmationRequested {
    pub address: Email,
    pub expires_at: DateTime<Utc>,
}

/// Whose address a confirmation or a link is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Member(MemberId),
    Group(GroupId),
}

fn parse_address(raw: &str) -> AppResult<Email> {
    Email::parse(raw).map_err(|e| AppError::bad_input("address", e.message))
}

fn stored_address(table: &'static str, id: i64, raw: &str) -> AppResult<Email> {
    Email::parse(raw).map_err(|_| crate::services::corrupt(table, id, "address"))
}

/// The caller as a member asking for something for themself.
fn as_member(member: MemberId) -> Actor {
    Actor::Member(Principal {
        member_id: member,
        seats: Vec::new(),
        area_roles: Vec::new(),
    })
}

/// A member asks to confirm their address: the one Pyramid has, or a new one (which replaces
/// it once confirmed; until then the old one, if confirmed, keeps receiving).
#[tracing::instrument(skip_all, fields(member = ?actor.member_id()))]
pub async fn request_confirmation(
    db: &DatabaseConnection,
    actor: &Actor,
    address: Option<&str>,
) -> AppResult<ConfirmationRequested> {
    let member = authz::may_choose_delivery(actor)?;
    let new = address
        .filter(|a| !a.trim().is_empty())
        .map(parse_address)
        .transpose()?;
    let txn = db.begin().await?;
    let row = member_db::Entity::find_by_id(member.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("member"))?;
    let current = row
        .email
        .as_deref()
        .map(|raw| stored_address("members", row.id, raw))
        .transpose()?;
    let address = match (new, &current) {
        (Some(new), _) => new,
        (None, Some(current)) => current.clone(),
        (None, None) => {
            return Err(AppError::bad_input(
                "address",
                "Pyramid has no e-mail address for you yet: give the address to confirm.",
            ));
        }
    };
    if current.as_ref() == Some(&address) && row.email_confirmed_at.is_some() {
        return Err(AppError::Conflict(format!(
            "{} is already confirmed: Pyramid can e-mail you there.",
            address.as_str()
        )));
    }
    let taken = member_db::Entity::find()
        .filter(member_db::Column::Email.eq(address.as_str()))
        .filter(member_db::Column::Id.ne(member.0))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(AppError::bad_input(
            "address",
            "Someone else in Pyramid has this e-mail address: give another, or ask your area's administrator.",
        ));
    }
    let requested = queue_confirmation(&txn, actor, Owner::Member(member), &address).await?;
    audit::record(
        &txn,
        actor,
        "member.email_confirmation_requested",
        Subject::Member(member.0),
        json!({ "confirmation_id": requested.1.0 }),
    )
    .await?;
    txn.commit().await?;
    Ok(requested.0)
}

/// A group's officers (or its area's administrators) give it a mailing address for its
/// newsletters. It is used once whoever reads it confirms it.
#[tracing::instrument(skip_all, fields(group = %group, member = ?actor.member_id()))]
pub async fn request_group_address(
    db: &DatabaseConnection,
    actor: &Actor,
    group: GroupId,
    address: &str,
) -> AppResult<ConfirmationRequested> {
    authz::may_see_people(actor)?;
    let address = parse_address(address)?;
    let txn = db.begin().await?;
    let target = groups::get(&txn, group)
        .await
        .map_err(|_| AppError::bad_input("groupId", "There is no group with that id."))?;
    authz::may_set_mailing_address(actor, target.id, target.area_id)?;
    if confirmed_group_address(&txn, group).await?.as_ref() == Some(&address) {
        return Err(AppError::Conflict(format!(
            "{} is already {}'s confirmed mailing address.",
            address.as_str(),
            target.name.as_str()
        )));
    }
    let requested = queue_confirmation(&txn, actor, Owner::Group(group), &address).await?;
    audit::record(
        &txn,
        actor,
        "group.mailing_address_requested",
        Subject::Group(group.0),
        json!({ "confirmation_id": requested.1.0 }),
    )
    .await?;
    txn.commit().await?;
    Ok(requested.0)
}

/// Records a confirmation (cancelling earlier ones for the same owner) and queues its e-mail.
async fn queue_confirmation(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    owner: Owner,
    address: &Email,
) -> AppResult<(ConfirmationRequested, EmailConfirmationId)> {
    let now = crate::services::now();
    let owned = |query: sea_orm::Select<confirmation_db::Entity>| match owner {
        Owner::Member(m) => query.filter(confirmation_db::Column::MemberId.eq(m.0)),
        Owner::Group(g) => query.filter(confirmation_db::Column::GroupId.eq(g.0)),
    };
    let recent = owned(confirmation_db::Entity::find())
        .filter(confirmation_db::Column::RequestedAt.gt(now - Duration::days(1)))
        .count(txn)
        .await?;
    if recent >= REQUESTS_PER_DAY {
        return Err(AppError::Conflict(format!(
            "{REQUESTS_PER_DAY} confirmation e-mails were asked for in the last 24 hours: use the link in one of them, or try again tomorrow."
        )));
    }
    let pending = confirmation_db::Entity::update_many()
        .col_expr(confirmation_db::Column::CancelledAt, Expr::value(now));
    let pending = match owner {
        Owner::Member(m) => pending.filter(confirmation_db::Column::MemberId.eq(m.0)),
        Owner::Group(g) => pending.filter(confirmation_db::Column::GroupId.eq(g.0)),
    };
    pending
        .filter(confirmation_db::Column::ConfirmedAt.is_null())
        .filter(confirmation_db::Column::CancelledAt.is_null())
        .exec(txn)
        .await?;
    let expires_at = now + Duration::hours(CONFIRMATION_LIFETIME_HOURS);
    let (member_id, group_id) = match owner {
        Owner::Member(m) => (Some(m.0), None),
        Owner::Group(g) => (None, Some(g.0)),
    };
    let row = confirmation_db::ActiveModel {
        member_id: Set(member_id),
        group_id: Set(group_id),
        address: Set(address.as_str().to_owned()),
        requested_by: Set(actor.member_id().map(|m| m.0)),
        requested_at: Set(now),
        expires_at: Set(expires_at),
        confirmed_at: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let id = EmailConfirmationId(row.id);
    outbox::enqueue(
        txn,
        Destination::Confirmation(id),
        Message::EmailConfirmation {
            confirmation_id: id,
            group_id: group_id.map(GroupId),
        },
    )
    .await?;
    Ok((
        ConfirmationRequested {
            address: address.clone(),
            expires_at,
        },
        id,
    ))
}

/// Removes a group's mailing address (and any waiting to be confirmed); its newsletters are
/// no longer e-mailed. Returns whether it had one.
#[tracing::instrument(skip_all, fields(group = %group, member = ?actor.member_id()))]
pub async fn remove_group_address(
    db: &DatabaseConnection,
    actor: &Actor,
    group: GroupId,
) -> AppResult<bool> {
    authz::may_see_people(actor)?;
    let txn = db.begin().await?;
    let target = groups::get(&txn, group)
        .await
        .map_err(|_| AppError::bad_input("groupId", "There is no group with that id."))?;
    authz::may_set_mailing_address(actor, target.id, target.area_id)?;
    let removed = address_db::Entity::delete_by_id(group.0).exec(&txn).await?;
    confirmation_db::Entity::update_many()
        .col_expr(
            confirmation_db::Column::CancelledAt,
            Expr::value(crate::services::now()),
        )
        .filter(confirmation_db::Column::GroupId.eq(group.0))
        .filter(confirmation_db::Column::ConfirmedAt.is_null())
        .filter(confirmation_db::Column::CancelledAt.is_null())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        "group.mailing_address_removed",
        Subject::Group(group.0),
        json!({ "via": "api" }),
    )
    .await?;
    txn.commit().await?;
    Ok(removed.rows_affected > 0)
}

async fn confirmed_group_address(
    conn: &impl ConnectionTrait,
    group: GroupId,
) -> AppResult<Option<Email>> {
    address_db::Entity::find_by_id(group.0)
        .one(conn)
        .await?
        .map(|row| stored_address("group_mailing_addresses", row.group_id, &row.address))
        .transpose()
}

/// The confirmed mailing addresses of `ids` that the caller may see (for a page of groups).
pub async fn group_addresses(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[GroupId],
) -> AppResult<std::collections::HashMap<GroupId, Email>> {
    if matches!(actor, Actor::Anonymous) {
        return Ok(Default::default());
    }
    let visible: Vec<GroupId> = groups::get_many(conn, ids)
        .await?
        .into_values()
        .filter(|g| authz::may_set_mailing_address(actor, g.id, g.area_id).is_ok())
        .map(|g| g.id)
        .collect();
    if visible.is_empty() {
        return Ok(Default::default());
    }
    address_db::Entity::find()
        .filter(address_db::Column::GroupId.is_in(visible.iter().map(|g| g.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                GroupId(row.group_id),
                stored_address("group_mailing_addresses", row.group_id, &row.address)?,
            ))
        })
        .collect()
}

/// Which of `groups` have a confirmed mailing address (publishing e-mails those).
pub async fn groups_with_address(
    conn: &impl ConnectionTrait,
    groups: &[GroupId],
) -> AppResult<Vec<GroupId>> {
    Ok(address_db::Entity::find()
        .filter(address_db::Column::GroupId.is_in(groups.iter().map(|g| g.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| GroupId(row.group_id))
        .collect())
}
