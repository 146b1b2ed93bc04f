//! The links e-mails carry: confirming an address (once) and stopping e-mail to one.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use super::{CONFIRM, UNSUBSCRIBE, as_member, confirmed_group_address, reach_from, stored_address};
use crate::domain::authz::Actor;
use crate::domain::delivery::{DeliveryPreference, Medium};
use crate::domain::member::Email;
use crate::domain::{GroupId, MemberId};
use crate::entities::{
    email_confirmation as confirmation_db, email_link as link_db,
    group_mailing_address as address_db, member as member_db,
};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::{groups, tokens};

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
    let now = crate::services::now();
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
            return Err(crate::services::corrupt(
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
        (None, None) => Err(crate::services::corrupt("email_links", link.id, "owner")),
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
    let now = crate::services::now();
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
        (None, None) => return Err(crate::services::corrupt("email_links", link.id, "owner")),
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
