//! Editing a draft: its title and introduction, and its entries (rewrite, add, remove, move).
//! Everything typed is redacted before it is stored; a published newsletter cannot change.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use super::{check_officer, get, load, not_found};
use crate::domain::authz::Actor;
use crate::domain::newsletter::{
    self as rules, Entry, Newsletter, NewsletterStatus, Review, Section,
};
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::{NewsletterEntryId, NewsletterId};
use crate::entities::{newsletter as db, newsletter_entry as entry_db};
use crate::error::{AppError, AppResult};
use crate::services::audit;

pub(super) async fn insert_entry(
    conn: &impl ConnectionTrait,
    newsletter: NewsletterId,
    position: i32,
    entry: &Entry,
) -> AppResult<entry_db::Model> {
    let words = match &entry.review {
        Review::Needed(words) => Some(words.join(", ")),
        _ => None,
    };
    Ok(entry_db::ActiveModel {
        newsletter_id: Set(newsletter.0),
        position: Set(position),
        section: Set(entry.section.as_str().to_owned()),
        item_id: Set(entry.item_id.map(|i| i.0)),
        heading: Set(entry.heading.clone()),
        body: Set(entry.body.clone()),
        needs_review: Set(words.is_some()),
        review_words: Set(words.map(|w| w.chars().take(400).collect())),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

async fn load_draft_for_edit(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: NewsletterId,
) -> AppResult<Newsletter> {
    let newsletter = get(conn, actor, id).await?;
    check_officer(actor, newsletter.group_id)?;
    if newsletter.status != NewsletterStatus::Draft {
        return Err(AppError::Conflict(
            "This newsletter is published: it can no longer be changed.".to_owned(),
        ));
    }
    Ok(newsletter)
}

/// Sets the title and introduction of a draft (`None` leaves one as it is).
#[tracing::instrument(skip_all, fields(newsletter = %id, member = ?actor.member_id()))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: NewsletterId,
    title: Option<String>,
    introduction: Option<String>,
) -> AppResult<Newsletter> {
    let txn = db.begin().await?;
    load_draft_for_edit(&txn, actor, id).await?;
    let mut row: db::ActiveModel = db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?
        .into();
    let mut removed = Vec::new();
    if let Some(title) = title {
        row.title = Set(parse_redacted(
            "title",
            "The title",
            &title,
            text::TITLE,
            &mut removed,
        )?);
    }
    if let Some(introduction) = introduction {
        let text = if introduction.trim().is_empty() {
            RedactedText::default()
        } else {
            parse_redacted(
                "introduction",
                "The introduction",
                &introduction,
                text::NOTE,
                &mut removed,
            )?
        };
        row.introduction = Set(text);
    }
    row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "newsletter.edited",
        audit::Subject::Newsletter(id.0),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    load(db, id).await
}

async fn entry_and_draft(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    entry: NewsletterEntryId,
) -> AppResult<(entry_db::Model, Newsletter)> {
    let row = entry_db::Entity::find_by_id(entry.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("newsletter entry"))?;
    let newsletter = load_draft_for_edit(conn, actor, NewsletterId(row.newsletter_id)).await?;
    Ok((row, newsletter))
}

/// Rewrites the numbering of a draft's entries as 1, 2, 3... in the given order.
async fn renumber(conn: &impl ConnectionTrait, ids: &[NewsletterEntryId]) -> AppResult<()> {
    for (index, id) in ids.iter().enumerate() {
        entry_db::Entity::update_many()
            .col_expr(entry_db::Column::Position, Expr::value(index as i32 + 1))
            .filter(entry_db::Column::Id.eq(id.0))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// The draft's entries in order, without `leave_out`.
fn order_without(
    draft: &Newsletter,
    leave_out: Option<NewsletterEntryId>,
) -> Vec<NewsletterEntryId> {
    draft
        .entries
        .iter()
        .filter_map(|e| e.id)
        .filter(|id| Some(*id) != leave_out)
        .collect()
}

/// Adds a free entry (an event, a consultation to take part in) at `position` (1 is first;
/// the end when left out).
#[tracing::instrument(skip_all, fields(newsletter = %id, member = ?actor.member_id()))]
pub async fn add_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    id: NewsletterId,
    heading: &str,
    body: &str,
    position: Option<i32>,
) -> AppResult<Newsletter> {
    let (heading, body) = rules::parse_entry(heading, body)?;
    if position.is_some_and(|p| p < 1) {
        return Err(AppError::bad_input("position", "Positions start at 1."));
    }
    let txn = db.begin().await?;
    let draft = load_draft_for_edit(&txn, actor, id).await?;
    // The secretary's own words: nothing to review.
    let entry = Entry {
        id: None,
        section: Section::Notice,
        item_id: None,
        heading,
        body,
        review: Review::NotNeeded,
    };
    let row = insert_entry(&txn, id, i32::MAX, &entry).await?;
    let mut order = order_without(&draft, None);
    let at = position.map_or(order.len(), |p| {
        (Ord::max(p, 1) as usize - 1).min(order.len())
    });
    order.insert(at, NewsletterEntryId(row.id));
    renumber(&txn, &order).await?;
    txn.commit().await?;
    load(db, id).await
}

/// Rewrites an entry's heading and text.
#[tracing::instrument(skip_all, fields(entry = %entry, member = ?actor.member_id()))]
pub async fn update_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: NewsletterEntryId,
    heading: Option<String>,
    body: Option<String>,
) -> AppResult<Newsletter> {
    let txn = db.begin().await?;
    let (row, draft) = entry_and_draft(&txn, actor, entry).await?;
    let (heading, body) = rules::parse_entry(
        heading.as_deref().unwrap_or(&row.heading),
        body.as_deref().unwrap_or(&row.body),
    )?;
    // Rewritten by the secretary: the words are now theirs, so the flag is cleared.
    let mut active: entry_db::ActiveModel = row.into();
    active.heading = Set(heading);
    active.body = Set(body);
    active.needs_review = Set(false);
    active.review_words = Set(None);
    active.update(&txn).await?;
    txn.commit().await?;
    load(db, draft.id).await
}

/// Records that the secretary looked at an entry flagged for possible names and let it
/// stand.
#[tracing::instrument(skip_all, fields(entry = %entry, member = ?actor.member_id()))]
pub async fn mark_entry_reviewed(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: NewsletterEntryId,
) -> AppResult<Newsletter> {
    let txn = db.begin().await?;
    let (row, draft) = entry_and_draft(&txn, actor, entry).await?;
    if row.needs_review && row.reviewed_at.is_none() {
        let mut active: entry_db::ActiveModel = row.into();
        active.reviewed_by = Set(actor.member_id().map(|m| m.0));
        active.reviewed_at = Set(Some(crate::services::now()));
        active.update(&txn).await?;
        audit::record(
            &txn,
            actor,
            "newsletter.entry_reviewed",
            audit::Subject::Newsletter(draft.id.0),
            json!({ "entry_id": entry.0 }),
        )
        .await?;
    }
    txn.commit().await?;
    load(db, draft.id).await
}

#[tracing::instrument(skip_all, fields(entry = %entry, member = ?actor.member_id()))]
pub async fn remove_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: NewsletterEntryId,
) -> AppResult<Newsletter> {
    let txn = db.begin().await?;
    let (row, draft) = entry_and_draft(&txn, actor, entry).await?;
    entry_db::Entity::delete_by_id(row.id).exec(&txn).await?;
    renumber(&txn, &order_without(&draft, Some(entry))).await?;
    txn.commit().await?;
    load(db, draft.id).await
}

/// Moves an entry to `position` (1 is first).
#[tracing::instrument(skip_all, fields(entry = %entry, member = ?actor.member_id()))]
pub async fn move_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: NewsletterEntryId,
    position: i32,
) -> AppResult<Newsletter> {
    if position < 1 {
        return Err(AppError::bad_input("position", "Positions start at 1."));
    }
    let txn = db.begin().await?;
    let (_, draft) = entry_and_draft(&txn, actor, entry).await?;
    let mut order = order_without(&draft, Some(entry));
    let at = (position as usize - 1).min(order.len());
    order.insert(at, entry);
    renumber(&txn, &order).await?;
    txn.commit().await?;
    load(db, draft.id).await
}
