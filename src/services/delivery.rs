//! How members hear: their choice of medium (`set_preference`), how they will hear given what
//! they have set up (`hearing_of`, shown when they raise an item), telling a member what
//! happened to their item (`tell_member`: one delivery per medium of their preference, queued
//! in the caller's transaction), and the deliveries that were given up, for the officers of
//! the group they concern (`failed_deliveries`), who can try one again (`retry`) once what
//! stopped it is put right (a member opened their direct messages, an address was corrected,
//! the speech synthesiser was installed).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Subject};
use super::outbox::{self, Destination, FAILED, Message, PENDING};
use super::{email, groups};
use crate::domain::authz::{self, Actor};
use crate::domain::delivery::{DeliveryPreference, Hearing, Medium, Reach, Route};
use crate::domain::item::EventKind;
use crate::domain::page::{Page, PageRequest};
use crate::domain::{DeliveryId, GroupId, ItemId, MemberId};
use crate::entities::{item as item_db, member as member_db, outbox as outbox_db};
use crate::error::{AppError, AppResult};

/// What a member has set up to be reached.
pub async fn reach_of(conn: &impl ConnectionTrait, member: MemberId) -> AppResult<Reach> {
    let row = member_db::Entity::find_by_id(member.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("member"))?;
    email::reach_from(conn, &row).await
}

/// How a member will hear about their items, given what they have set up now.
pub async fn hearing_of(conn: &impl ConnectionTrait, member: MemberId) -> AppResult<Hearing> {
    Ok(reach_of(conn, member).await?.hearing())
}

/// A member chooses how they hear: `CHAT`, `EMAIL`, `BOTH` or `NONE`. Choosing e-mail before
/// the address is confirmed is allowed (nothing is e-mailed until it is).
#[tracing::instrument(skip_all, fields(member = ?actor.member_id(), preference = preference.as_str()))]
pub async fn set_preference(
    db: &DatabaseConnection,
    actor: &Actor,
    preference: DeliveryPreference,
) -> AppResult<Hearing> {
    let member = authz::may_choose_delivery(actor)?;
    let txn = db.begin().await?;
    let updated = member_db::Entity::update_many()
        .col_expr(
            member_db::Column::DeliveryPreference,
            Expr::value(preference.as_str()),
        )
        .filter(member_db::Column::Id.eq(member.0))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::not_found("member"));
    }
    audit::record(
        &txn,
        actor,
        "member.delivery_preference_set",
        Subject::Member(member.0),
        json!({ "preference": preference.as_str() }),
    )
    .await?;
    let hearing = hearing_of(&txn, member).await?;
    txn.commit().await?;
    Ok(hearing)
}

/// Tells a member what happened to their item, by each medium of their preference, in the
/// caller's transaction. A medium they chose but have not set up is recorded as given up at
/// once (so their PPG's officers see it); a member who chose `NONE` is not told.
pub(crate) async fn tell_member(
    txn: &impl ConnectionTrait,
    member: MemberId,
    message: Message,
) -> AppResult<()> {
    let reach = reach_of(txn, member).await?;
    for route in reach.routes() {
        match route {
            Route::Send(medium) => {
                outbox::enqueue(txn, destination(member, medium), message.clone()).await?;
            }
            Route::Unreachable(medium, reason) => {
                outbox::record_undeliverable(
                    txn,
                    destination(member, medium),
                    message.clone(),
                    reason,
                )
                .await?;
            }
        }
    }
    Ok(())
}

fn destination(member: MemberId, medium: Medium) -> Destination {
    match medium {
        // A member's preference never asks for a recording; chat stands in if one ever did.
        Medium::Chat | Medium::Audio => Destination::Member(member),
        Medium::Email => Destination::MemberEmail(member),
    }
}

/// Tries a given-up delivery again from its first attempt: the officers of the group it
/// concerns (those who see it among `failed_deliveries`) may, once what stopped it is put
/// right. Only a given-up delivery can be: one waiting to be sent, or sent, is refused, so a
/// retry never sends anything twice (a given-up delivery was never delivered: every attempt
/// failed). The change is conditional, so two officers retrying at once queue it once. Returns
/// the group it concerns.
#[tracing::instrument(skip_all, fields(delivery = %id, member = ?actor.member_id()))]
pub async fn retry(db: &DatabaseConnection, actor: &Actor, id: DeliveryId) -> AppResult<GroupId> {
    authz::may_see_people(actor)?;
    let not_found = || {
        AppError::NotFound(
            "There is no delivery with this id among the failed deliveries you can see.".into(),
        )
    };
    let txn = db.begin().await?;
    let row = outbox_db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let group = GroupId(row.group_id.ok_or_else(not_found)?);
    let target = groups::get(&txn, group).await?;
    if !authz::may_see_deliveries_of(actor, target.id, target.area_id) {
        return Err(not_found());
    }
    let not_given_up = || {
        AppError::Conflict(
            "This delivery was not given up: it is waiting to be sent, or it was delivered. Only a given-up delivery can be tried again.".into(),
        )
    };
    if row.status != FAILED {
        return Err(not_given_up());
    }
    let updated = outbox_db::Entity::update_many()
        .col_expr(outbox_db::Column::Status, Expr::value(PENDING))
        .col_expr(outbox_db::Column::Attempts, Expr::value(0))
        .col_expr(outbox_db::Column::NextAttemptAt, Expr::value(super::now()))
        .col_expr(
            outbox_db::Column::GivenUpAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(outbox_db::Column::Id.eq(id.0))
        .filter(outbox_db::Column::Status.eq(FAILED))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(not_given_up());
    }
    audit::record(
        &txn,
        actor,
        "delivery.retried",
        Subject::Group(group.0),
        json!({ "delivery": id.0, "kind": row.kind, "attempts_before": row.attempts }),
    )
    .await?;
    txn.commit().await?;
    Ok(group)
}

/// A delivery that was given up, as the group's officers see it.
#[derive(Debug, Clone)]
pub struct FailedDelivery {
    pub id: DeliveryId,
    /// `NEWSLETTER`, `ITEM_UPDATE`, `SAFETY_ALERT` or `EMAIL_CONFIRMATION`.
    pub kind: String,
    pub medium: Medium,
    /// What it said, in a few words.
    pub what: String,
    /// Who it was for, in words (never a name the caller may not know).
    pub to: String,
    /// The member it was for, when the caller may know who raised the item.
    pub member: Option<MemberId>,
    /// The item it was about.
    pub item: Option<ItemId>,
    pub queued_at: DateTime<Utc>,
    pub given_up_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub reason: String,
}

/// The deliveries concerning a group that were given up, newest first: its newsletters'
/// posts and e-mails, and the updates about items raised in it. Its officers and its area's
/// administrators see them; to anyone else the list is empty. A member is named only to
/// those who may see who raised the item.
pub async fn failed_deliveries(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    group: GroupId,
    page: PageRequest,
) -> AppResult<Page<FailedDelivery>> {
    authz::may_see_people(actor)?;
    let target = groups::get(conn, group).await?;
    if !authz::may_see_deliveries_of(actor, target.id, target.area_id) {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
        });
    }
    let mut query = outbox_db::Entity::find()
        .filter(outbox_db::Column::GroupId.eq(group.0))
        .filter(outbox_db::Column::Status.eq(FAILED));
    if let Some(after) = page.after {
        query = query.filter(outbox_db::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(outbox_db::Column::Id)
        .limit(page.first + 1)
        .all(conn)
        .await?;
    let messages: Vec<Option<Message>> = rows
        .iter()
        .map(|row| Message::from_stored(&row.kind, &row.dedupe_key, &row.payload).ok())
        .collect();
    let item_ids: Vec<i64> = messages
        .iter()
        .flatten()
        .filter_map(|m| match m {
            Message::ItemUpdate { item_id, .. } => Some(item_id.0),
            _ => None,
        })
        .collect();
    // Who raised each item, and whether they agreed to be named: one statement for the page.
    let raisers: HashMap<i64, (MemberId, GroupId, bool)> = if item_ids.is_empty() {
        HashMap::new()
    } else {
        item_db::Entity::find()
            .filter(item_db::Column::Id.is_in(item_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|i| {
                (
                    i.id,
                    (
                        MemberId(i.submitter_id),
                        GroupId(i.origin_group_id),
                        i.share_name,
                    ),
                )
            })
            .collect()
    };
    let failed = rows
        .into_iter()
        .zip(messages)
        .map(|(row, message)| {
            let destination = Destination::parse(&row.destination);
            let medium = Medium::from_db(&row.channel)
                .ok_or_else(|| super::corrupt("outbox", row.id, "channel"))?;
            let (what, item) = describe(message.as_ref(), &row.kind);
            let named = item
                .and_then(|i| raisers.get(&i.0))
                .zip(destination.as_ref().and_then(Destination::member))
                .filter(|((submitter, origin, shared), member)| {
                    submitter == member
                        && authz::may_see_submitter(actor, *submitter, *origin, *shared)
                })
                .map(|(_, member)| member);
            let to = recipient_words(destination.as_ref(), named.is_some(), &target.name);
            Ok(FailedDelivery {
                id: DeliveryId(row.id),
                kind: row.kind,
                medium,
                what,
                to,
                member: named,
                item,
                queued_at: row.created_at,
                given_up_at: row.given_up_at,
                attempts: row.attempts,
                reason: row.last_error.unwrap_or_default(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(failed, page))
}

/// What a delivery said, in a few words, and the item it was about.
fn describe(message: Option<&Message>, kind: &str) -> (String, Option<ItemId>) {
    match message {
        Some(Message::Newsletter { title, .. }) => (format!("Newsletter: {title}"), None),
        Some(Message::ItemUpdate {
            item_id,
            reference,
            event,
            ..
        }) => (
            match event {
                EventKind::Responded => format!("The answer to {reference}"),
                EventKind::Referred => format!("{reference} referred to the commissioners"),
                EventKind::ChangeMade => format!("The change planned for {reference} made"),
                _ => format!("{reference} taken up a tier"),
            },
            Some(*item_id),
        ),
        Some(Message::SafetyAlert {
            item_id, reference, ..
        }) => (
            format!("Safety alert about {reference} for the quality team"),
            Some(*item_id),
        ),
        Some(Message::EmailConfirmation { .. }) => {
            ("Confirmation of a new mailing address".to_owned(), None)
        }
        Some(Message::PatternAlert { provider, .. }) => {
            (format!("A pattern of concern about {provider}"), None)
        }
        Some(Message::WatchDigest { about, .. }) => {
            (format!("A digest of the watch on {about}"), None)
        }
        Some(Message::ChangeDue {
            item_id, reference, ..
        }) => (
            format!("Was the change planned for {reference} made?"),
            Some(*item_id),
        ),
        Some(Message::NewsletterAudio { newsletter_id, .. }) => (
            format!("The audio version of newsletter {newsletter_id}"),
            None,
        ),
        Some(Message::ReportAudio { report_id, .. }) => {
            (format!("The audio version of report {report_id}"), None)
        }
        None => (
            format!("A {kind} delivery that can no longer be read"),
            None,
        ),
    }
}

/// Who a delivery was for, in words (the medium is said separately).
fn recipient_words(
    destination: Option<&Destination>,
    named: bool,
    group: &crate::domain::group::GroupName,
) -> String {
    let group = group.as_str();
    match destination {
        Some(Destination::Member(_) | Destination::MemberEmail(_)) if named => {
            "its submitter".to_owned()
        }
        Some(Destination::Member(_) | Destination::MemberEmail(_)) => {
            "the member who raised it".to_owned()
        }
        Some(Destination::GroupChannel(_)) => format!("{group}'s Discord channel"),
        Some(Destination::GroupEmail(_)) => format!("{group}'s mailing address"),
        Some(Destination::Confirmation(_)) => {
            format!("the address given as {group}'s mailing address")
        }
        Some(Destination::QualityTeam) => "the commissioners' quality team".to_owned(),
        Some(Destination::NewsletterAudio(_)) => {
            format!("{group}'s newsletter page (its audio version)")
        }
        Some(Destination::ReportAudio(_)) => {
            format!("{group}'s published report (its audio version)")
        }
        None => "an unknown destination".to_owned(),
    }
}
