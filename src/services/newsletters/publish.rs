//! Publishing: a draft is frozen once, every group below records it as received, and one
//! delivery per linked chat channel and one per confirmed mailing address is queued, with
//! the making of its audio version, all in one transaction.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::json;

use super::{check_officer, get, load, summary};
use crate::domain::NewsletterId;
use crate::domain::authz::Actor;
use crate::domain::newsletter::{self as rules, Newsletter, NewsletterStatus, PageFormat};
use crate::entities::{newsletter as db, newsletter_receipt as receipt_db};
use crate::error::{AppError, AppResult};
use crate::services::outbox::{self, Destination, Message};
use crate::services::{self, audit, chat, email, groups};

/// Publishes a draft. Publishing again (a retry, a double click) changes nothing and queues
/// nothing. Returns whether this call published it.
#[tracing::instrument(skip_all, fields(newsletter = %id, member = ?actor.member_id()))]
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    id: NewsletterId,
) -> AppResult<(Newsletter, bool)> {
    let txn = db.begin().await?;
    let newsletter = get(&txn, actor, id).await?;
    check_officer(actor, newsletter.group_id)?;
    if newsletter.status == NewsletterStatus::Published {
        return Ok((newsletter, false));
    }
    if let Some(refusal) = rules::unreviewed(&newsletter) {
        return Err(AppError::Conflict(refusal));
    }
    let now = services::now();
    // Only one publisher wins, even when two requests race on PostgreSQL.
    let claimed = db::Entity::update_many()
        .col_expr(
            db::Column::Status,
            Expr::value(NewsletterStatus::Published.as_str()),
        )
        .col_expr(db::Column::PublishedAt, Expr::value(now))
        .col_expr(
            db::Column::PublishedBy,
            Expr::value(actor.member_id().map(|m| m.0)),
        )
        .filter(db::Column::Id.eq(id.0))
        .filter(db::Column::Status.eq(NewsletterStatus::Draft.as_str()))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        txn.rollback().await?;
        return Ok((load(db, id).await?, false));
    }
    let receivers = groups::descendants(&txn, newsletter.group_id).await?;
    for group in &receivers {
        receipt_db::ActiveModel {
            newsletter_id: Set(id.0),
            group_id: Set(group.0),
            received_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let channels = chat::channels_of(&txn, chat::DISCORD, &receivers).await?;
    let issuer = groups::get(&txn, newsletter.group_id).await?;
    let message = Message::Newsletter {
        newsletter_id: id,
        title: newsletter.title.clone(),
        issuer: issuer.name.as_str().to_owned(),
        summary: summary(&newsletter),
        path: PageFormat::Html.path(id),
    };
    for group in receivers.iter().filter(|g| channels.contains_key(g)) {
        outbox::enqueue(&txn, Destination::GroupChannel(*group), message.clone()).await?;
    }
    let mailing = email::groups_with_address(&txn, &receivers).await?;
    for group in &mailing {
        outbox::enqueue(&txn, Destination::GroupEmail(*group), message.clone()).await?;
    }
    outbox::enqueue(
        &txn,
        Destination::NewsletterAudio(id),
        Message::NewsletterAudio {
            newsletter_id: id,
            group_id: newsletter.group_id,
        },
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "newsletter.published",
        audit::Subject::Newsletter(id.0),
        json!({ "receivers": receivers.len(), "deliveries": channels.len(), "emails": mailing.len() }),
    )
    .await?;
    txn.commit().await?;
    Ok((load(db, id).await?, true))
}
