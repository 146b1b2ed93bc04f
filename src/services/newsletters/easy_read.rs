//! A newsletter's easy-read version: made from its entries (`render::easy_read`) unless the
//! issuing group's secretary or chair wrote their own, which is kept (redacted) and served
//! instead. Like a translation it can be written while a draft or after publishing; an empty
//! text goes back to the generated one.

use sea_orm::{ConnectionTrait, sea_query::OnConflict};
use sea_orm::{DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde_json::json;

use super::{check_officer, get};
use crate::domain::NewsletterId;
use crate::domain::authz::Actor;
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::entities::newsletter_easy_read as db;
use crate::error::AppResult;
use crate::services::audit;

/// The secretary's own easy-read text, if they wrote one.
pub async fn easy_read_override(
    conn: &impl ConnectionTrait,
    id: NewsletterId,
) -> AppResult<Option<RedactedText>> {
    Ok(db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .map(|row| row.text))
}

/// Sets (or, with an empty text, removes) the secretary's easy-read text.
#[tracing::instrument(skip_all, fields(newsletter = %id, member = ?actor.member_id()))]
pub async fn set_easy_read(
    db: &DatabaseConnection,
    actor: &Actor,
    id: NewsletterId,
    raw: &str,
) -> AppResult<Option<RedactedText>> {
    let txn = db.begin().await?;
    let newsletter = get(&txn, actor, id).await?;
    check_officer(actor, newsletter.group_id)?;
    let stored = if raw.trim().is_empty() {
        db::Entity::delete_by_id(id.0).exec(&txn).await?;
        None
    } else {
        let mut removed = Vec::new();
        let text = parse_redacted("text", "The easy-read text", raw, text::BODY, &mut removed)?;
        db::Entity::insert(db::ActiveModel {
            newsletter_id: Set(id.0),
            text: Set(text.clone()),
            updated_by: Set(actor.member_id().map(|m| m.0)),
            updated_at: Set(crate::services::now()),
        })
        .on_conflict(
            OnConflict::column(db::Column::NewsletterId)
                .update_columns([
                    db::Column::Text,
                    db::Column::UpdatedBy,
                    db::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        Some(text)
    };
    audit::record(
        &txn,
        actor,
        "newsletter.easy_read_set",
        audit::Subject::Newsletter(id.0),
        json!({ "own": stored.is_some() }),
    )
    .await?;
    txn.commit().await?;
    Ok(stored)
}
