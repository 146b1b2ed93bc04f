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

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Subject};
use super::outbox::{self, Destination, Message};
use super::{chat, groups, tokens};
use crate::domain::authz::{self, Actor, Principal};
use crate::domain::delivery::{DeliveryPreference, Medium, Reach};
use crate::domain::member::Email;
use crate::domain::{DeliveryId, EmailConfirmationId, GroupId, MemberId};
use crate::entities::{
    email_confirmation as confirmation_db, email_link as link_db,
    group_mailing_address as address_db, member as member_db,
};
use crate::error::{AppError, AppResult};

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
    Email::parse(raw).map_err(|_| super::corrupt(table, id, "address"))
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
    let now = super::now();
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
            Expr::value(super::now()),
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

/// Why a link from an e-mail did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    /// Not a link Pyramid made (mistyped, or cut short by the mail program).
    Unknown,
    /// The address was confirmed with it already.
    Used,
    /// Older than 48 hours.
    Expired,
    /// A newer confirmation was asked for (or the address was removed) since.
    Replaced,
    /// Another member confirmed the same address first.
    Taken,
}

/// What confirming or unsubscribing was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressOf {
    Member { address: Email },
    Group { name: String, address: Email },
}

/// Confirms an address with the token from a confirmation e-mail. It works once, within 48
/// hours, and only for the latest confirmation asked for.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    db: &DatabaseConnection,
    token: &str,
) -> AppResult<Result<AddressOf, LinkRefused>> {
    let txn = db.begin().await?;
    let Some(link) = find_link(&txn, token, CONFIRM).await? else {
        return Ok(Err(LinkRefused::Unknown));
    };
    let Some(confirmation) = confirmation_db::Entity::find_by_id(link.confirmation_id.unwrap_or(0))
        .one(&txn)
        .await?
    else {
        return Ok(Err(LinkRefused::Unknown));
    };
    let now = super::now();
    if confirmation.confirmed_at.is_some() {
        return Ok(Err(LinkRefused::Used));
    }
    if confirmation.cancelled_at.is_some() {
        return Ok(Err(LinkRefused::Replaced));
    }
    if confirmation.expires_at < now {
        return Ok(Err(LinkRefused::Expired));
    }
    let address = stored_address(
        "email_confirmations",
        confirmation.id,
        &confirmation.address,
    )?;
    // Only the first of two clicks racing each other confirms.
    let claimed = confirmation_db::Entity::update_many()
        .col_expr(confirmation_db::Column::ConfirmedAt, Expr::value(now))
        .filter(confirmation_db::Column::Id.eq(confirmation.id))
        .filter(confirmation_db::Column::ConfirmedAt.is_null())
        .filter(confirmation_db::Column::CancelledAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(Err(LinkRefused::Used));
    }
    mark_used(&txn, link.id, now).await?;
    let confirmed = match (confirmation.member_id, confirmation.group_id) {
        (Some(member), _) => {
            let updated = member_db::Entity::update_many()
                .col_expr(member_db::Column::Email, Expr::value(address.as_str()))
                .col_expr(member_db::Column::EmailConfirmedAt, Expr::value(now))
                .filter(member_db::Column::Id.eq(member))
                .exec(&txn)
                .await;
            match updated {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
                {
                    return Ok(Err(LinkRefused::Taken));
                }
                Err(e) => return Err(e.into()),
            }
            audit::record(
                &txn,
                &as_member(MemberId(member)),
                "member.email_confirmed",
                Subject::Member(member),
                json!({ "confirmation_id": confirmation.id }),
            )
            .await?;
            AddressOf::Member { address }
        }
        (None, Some(group)) => {
            let target = groups::get(&txn, GroupId(group)).await?;
            address_db::Entity::delete_by_id(group).exec(&txn).await?;
            address_db::ActiveModel {
                group_id: Set(group),
                address: Set(address.as_str().to_owned()),
                confirmed_at: Set(now),
                set_by: Set(confirmation.requested_by),
            }
            .insert(&txn)
            .await?;
            // Whoever reads the address confirms it; the audit names who asked.
            audit::record(
                &txn,
                &Actor::Anonymous,
                "group.mailing_address_confirmed",
                Subject::Group(group),
                json!({ "confirmation_id": confirmation.id, "requested_by": confirmation.requested_by }),
            )
            .await?;
            AddressOf::Group {
                name: target.name.as_str().to_owned(),
                address,
            }
        }
        (None, None) => {
            return Err(super::corrupt(
                "email_confirmations",
                confirmation.id,
                "owner",
            ));
        }
    };
    txn.commit().await?;
    Ok(Ok(confirmed))
}

/// What an unsubscribe link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribed {
    pub from: AddressOf,
    /// False when the address was already not receiving anything (clicked twice, or changed
    /// since the e-mail was sent).
    pub stopped_now: bool,
}

/// What an unsubscribe link would stop, for the page that asks "are you sure?" (a mail
/// program that opens links to look at them must not unsubscribe anyone).
pub async fn unsubscribe_preview(
    conn: &impl ConnectionTrait,
    token: &str,
) -> AppResult<Result<AddressOf, LinkRefused>> {
    let Some(link) = find_link(conn, token, UNSUBSCRIBE).await? else {
        return Ok(Err(LinkRefused::Unknown));
    };
    link_owner(conn, &link).await.map(Ok)
}

async fn link_owner(conn: &impl ConnectionTrait, link: &link_db::Model) -> AppResult<AddressOf> {
    let address = stored_address("email_links", link.id, &link.address)?;
    match (link.member_id, link.group_id) {
        (Some(_), _) => Ok(AddressOf::Member { address }),
        (None, Some(group)) => Ok(AddressOf::Group {
            name: groups::get(conn, GroupId(group))
                .await?
                .name
                .as_str()
                .to_owned(),
            address,
        }),
        (None, None) => Err(super::corrupt("email_links", link.id, "owner")),
    }
}

/// Follows an unsubscribe link: a member stops receiving e-mail (their preference loses
/// EMAIL: `BOTH` becomes `CHAT`, `EMAIL` becomes `NONE`), or a group's mailing address is
/// removed. Only the address the e-mail went to is affected.
#[tracing::instrument(skip_all)]
pub async fn unsubscribe(
    db: &DatabaseConnection,
    token: &str,
) -> AppResult<Result<Unsubscribed, LinkRefused>> {
    let txn = db.begin().await?;
    let Some(link) = find_link(&txn, token, UNSUBSCRIBE).await? else {
        return Ok(Err(LinkRefused::Unknown));
    };
    let from = link_owner(&txn, &link).await?;
    let now = super::now();
    let stopped_now = match (link.member_id, link.group_id) {
        (Some(member), _) => {
            let member = MemberId(member);
            let row = member_db::Entity::find_by_id(member.0)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::not_found("member"))?;
            let reach = reach_from(&txn, &row).await?;
            let receiving = row.email.as_deref() == Some(link.address.as_str())
                && reach.email
                && reach
                    .preference()
                    .is_some_and(|p| p.media().contains(&Medium::Email));
            if receiving {
                let stopped = reach
                    .preference()
                    .map_or(DeliveryPreference::None, DeliveryPreference::without_email);
                member_db::Entity::update_many()
                    .col_expr(
                        member_db::Column::DeliveryPreference,
                        Expr::value(stopped.as_str()),
                    )
                    .filter(member_db::Column::Id.eq(member.0))
                    .exec(&txn)
                    .await?;
                audit::record(
                    &txn,
                    &as_member(member),
                    "member.delivery_preference_set",
                    Subject::Member(member.0),
                    json!({ "preference": stopped.as_str(), "via": "unsubscribe link" }),
                )
                .await?;
            }
            receiving
        }
        (None, Some(group)) => {
            let current = confirmed_group_address(&txn, GroupId(group)).await?;
            let receiving = current.as_ref().map(Email::as_str) == Some(link.address.as_str());
            if receiving {
                address_db::Entity::delete_by_id(group).exec(&txn).await?;
                audit::record(
                    &txn,
                    &Actor::Anonymous,
                    "group.mailing_address_removed",
                    Subject::Group(group),
                    json!({ "via": "unsubscribe link" }),
                )
                .await?;
            }
            receiving
        }
        (None, None) => return Err(super::corrupt("email_links", link.id, "owner")),
    };
    mark_used(&txn, link.id, now).await?;
    txn.commit().await?;
    Ok(Ok(Unsubscribed { from, stopped_now }))
}

async fn find_link(
    conn: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
) -> AppResult<Option<link_db::Model>> {
    let token = token.trim();
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    Ok(link_db::Entity::find()
        .filter(link_db::Column::TokenHash.eq(tokens::hash(token)))
        .filter(link_db::Column::Purpose.eq(purpose))
        .one(conn)
        .await?)
}

async fn mark_used(conn: &impl ConnectionTrait, link: i64, now: DateTime<Utc>) -> AppResult<()> {
    link_db::Entity::update_many()
        .col_expr(link_db::Column::UsedAt, Expr::value(now))
        .filter(link_db::Column::Id.eq(link))
        .exec(conn)
        .await?;
    Ok(())
}

/// What a member has set up to be reached, from their row.
pub(crate) async fn reach_from(
    conn: &impl ConnectionTrait,
    member: &member_db::Model,
) -> AppResult<Reach> {
    let chosen = member
        .delivery_preference
        .as_deref()
        .map(|p| {
            DeliveryPreference::from_db(p)
                .ok_or_else(|| super::corrupt("members", member.id, "delivery preference"))
        })
        .transpose()?;
    let chat = chat::account_of(conn, chat::DISCORD, MemberId(member.id))
        .await?
        .is_some();
    Ok(Reach {
        chosen,
        chat,
        email: member.email.is_some() && member.email_confirmed_at.is_some(),
    })
}

/// Who an e-mail is for, as the courier needs it when it sends.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub address: Email,
    /// The member's or the group's name, for the To line and the greeting.
    pub name: String,
    /// Whose address it is.
    pub of: RecipientKind,
    link: (Option<EmailConfirmationId>, Owner),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientKind {
    Member,
    Group,
}

/// The address a delivery goes to now, or why there is none (a reason for the record).
pub async fn recipient(
    conn: &impl ConnectionTrait,
    destination: &Destination,
) -> AppResult<Result<Recipient, &'static str>> {
    match destination {
        Destination::MemberEmail(member) => {
            let Some(row) = member_db::Entity::find_by_id(member.0).one(conn).await? else {
                return Ok(Err("the member is no longer in Pyramid"));
            };
            let reach = reach_from(conn, &row).await?;
            let (Some(raw), true) = (row.email.as_deref(), reach.email) else {
                return Ok(Err("the member has no confirmed e-mail address"));
            };
            if !reach
                .preference()
                .is_some_and(|p| p.media().contains(&Medium::Email))
            {
                return Ok(Err(
                    "the member stopped e-mail from Pyramid before it was sent",
                ));
            }
            Ok(Ok(Recipient {
                address: stored_address("members", row.id, raw)?,
                name: row.name,
                of: RecipientKind::Member,
                link: (None, Owner::Member(*member)),
            }))
        }
        Destination::GroupEmail(group) => {
            let Some(address) = confirmed_group_address(conn, *group).await? else {
                return Ok(Err("the group has no confirmed mailing address"));
            };
            Ok(Ok(Recipient {
                address,
                name: groups::get(conn, *group).await?.name.as_str().to_owned(),
                of: RecipientKind::Group,
                link: (None, Owner::Group(*group)),
            }))
        }
        Destination::Confirmation(id) => {
            let Some(row) = confirmation_db::Entity::find_by_id(id.0).one(conn).await? else {
                return Ok(Err("the confirmation no longer exists"));
            };
            if row.confirmed_at.is_some() || row.cancelled_at.is_some() {
                return Ok(Err(
                    "the address was confirmed, or another was asked for, before this was sent",
                ));
            }
            if row.expires_at < super::now() {
                return Ok(Err("the confirmation expired before it could be sent"));
            }
            let address = stored_address("email_confirmations", row.id, &row.address)?;
            let (name, of, owner) = match (row.member_id, row.group_id) {
                (Some(member), _) => {
                    let member_row = member_db::Entity::find_by_id(member)
                        .one(conn)
                        .await?
                        .ok_or_else(|| AppError::not_found("member"))?;
                    (
                        member_row.name,
                        RecipientKind::Member,
                        Owner::Member(MemberId(member)),
                    )
                }
                (None, Some(group)) => (
                    groups::get(conn, GroupId(group))
                        .await?
                        .name
                        .as_str()
                        .to_owned(),
                    RecipientKind::Group,
                    Owner::Group(GroupId(group)),
                ),
                (None, None) => {
                    return Err(super::corrupt("email_confirmations", row.id, "owner"));
                }
            };
            Ok(Ok(Recipient {
                address,
                name,
                of,
                link: (Some(*id), owner),
            }))
        }
        _ => Ok(Err("this destination is not an e-mail address")),
    }
}

/// The link an e-mail to `recipient` carries, made as it is sent: for a confirmation e-mail
/// the one-time link that confirms the address (`/email/confirm/TOKEN`), for any other the
/// link that stops e-mail to it (`/email/unsubscribe/TOKEN`). Returns the path.
pub async fn issue_link(
    conn: &impl ConnectionTrait,
    recipient: &Recipient,
    delivery: DeliveryId,
) -> AppResult<String> {
    let token = tokens::random_secret();
    let (confirmation, owner) = recipient.link;
    let (member_id, group_id) = match owner {
        Owner::Member(m) => (Some(m.0), None),
        Owner::Group(g) => (None, Some(g.0)),
    };
    link_db::ActiveModel {
        token_hash: Set(tokens::hash(&token)),
        purpose: Set(if confirmation.is_some() {
            CONFIRM
        } else {
            UNSUBSCRIBE
        }
        .to_owned()),
        confirmation_id: Set(confirmation.map(|c| c.0)),
        member_id: Set(member_id),
        group_id: Set(group_id),
        address: Set(recipient.address.as_str().to_owned()),
        delivery_id: Set(Some(delivery.0)),
        created_at: Set(super::now()),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(match confirmation {
        Some(_) => format!("/email/confirm/{token}"),
        None => format!("/email/unsubscribe/{token}"),
    })
}
