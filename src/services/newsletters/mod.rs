//! Newsletters come down: a district's or the council's officers compile a draft from the
//! group's own activity in a period (`compile`), edit it (`edit`), and publish it once
//! (`publish`), which cascades it to every group below and queues its deliveries and its
//! audio version (`audio`). This file reads newsletters for those who may see them.

mod compile;
mod easy_read;
mod edit;
mod publish;
mod translations;

use std::collections::HashMap;

use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

pub use compile::compile;
pub use easy_read::{easy_read_override, set_easy_read};
pub use edit::{add_entry, mark_entry_reviewed, move_entry, remove_entry, update, update_entry};
pub use publish::publish;
pub use translations::{EntryText, languages, parse_language, set_translation, translation};

use super::outbox::{self, Destination};
use crate::domain::authz::{self, Actor};
use crate::domain::newsletter::{Entry, Newsletter, NewsletterStatus, Period, Review, Section};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{GroupId, ItemId, NewsletterEntryId, NewsletterId};
use crate::entities::{
    newsletter as db, newsletter_entry as entry_db, newsletter_receipt as receipt_db,
    outbox as outbox_db,
};
use crate::error::{AppError, AppResult};

/// How a delivery of a newsletter to one group's channel or mailing address is going.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub group_id: GroupId,
    pub medium: crate::domain::delivery::Medium,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn not_found() -> AppError {
    AppError::NotFound("There is no newsletter with that id, or you cannot see it.".to_owned())
}

fn check_officer(actor: &Actor, group: GroupId) -> AppResult<()> {
    Ok(authz::may_run_group(
        actor,
        group,
        "Only the secretary or chair of the issuing group can compile, edit and publish its newsletter.",
    )?)
}

fn from_models(model: db::Model, entries: Vec<entry_db::Model>) -> AppResult<Newsletter> {
    let bad = |what| super::corrupt("newsletters", model.id, what);
    let entries = entries
        .into_iter()
        .map(|e| {
            let review = match (e.needs_review, e.reviewed_at) {
                (false, _) => Review::NotNeeded,
                (true, Some(_)) => Review::Reviewed,
                (true, None) => Review::Needed(
                    e.review_words
                        .as_deref()
                        .unwrap_or_default()
                        .split(", ")
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
            };
            Ok(Entry {
                id: Some(NewsletterEntryId(e.id)),
                section: Section::from_db(&e.section)
                    .ok_or_else(|| super::corrupt("newsletter_entries", e.id, "section"))?,
                item_id: e.item_id.map(ItemId),
                heading: e.heading,
                body: e.body,
                review,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Newsletter {
        id: NewsletterId(model.id),
        group_id: GroupId(model.group_id),
        period: Period {
            start: model.period_start,
            end: model.period_end,
        },
        title: model.title,
        introduction: model.introduction,
        status: NewsletterStatus::from_db(&model.status).ok_or_else(|| bad("status"))?,
        published_at: model.published_at,
        entries,
    })
}

async fn load(conn: &impl ConnectionTrait, id: NewsletterId) -> AppResult<Newsletter> {
    let model = db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let entries = entry_db::Entity::find()
        .filter(entry_db::Column::NewsletterId.eq(id.0))
        .order_by_asc(entry_db::Column::Position)
        .order_by_asc(entry_db::Column::Id)
        .all(conn)
        .await?;
    from_models(model, entries)
}

/// A newsletter, if the caller may see it: published ones are public documents; drafts are
/// seen by the issuing group's officers only.
pub async fn get(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: NewsletterId,
) -> AppResult<Newsletter> {
    let newsletter = load(conn, id).await?;
    match newsletter.status {
        NewsletterStatus::Published => Ok(newsletter),
        NewsletterStatus::Draft if authz::runs_group(actor, newsletter.group_id) => Ok(newsletter),
        NewsletterStatus::Draft => Err(not_found()),
    }
}

/// Newsletters by id, those the caller may see (published ones, and drafts for the issuing
/// group's officers); the others are simply missing. Two statements for any number.
pub async fn get_many(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[NewsletterId],
) -> AppResult<HashMap<NewsletterId, Newsletter>> {
    let rows = db::Entity::find()
        .filter(db::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(conn)
        .await?;
    let rows: Vec<db::Model> = rows
        .into_iter()
        .filter(|row| {
            row.status == NewsletterStatus::Published.as_str()
                || authz::runs_group(actor, GroupId(row.group_id))
        })
        .collect();
    let mut entries: HashMap<i64, Vec<entry_db::Model>> = HashMap::new();
    for entry in entry_db::Entity::find()
        .filter(entry_db::Column::NewsletterId.is_in(rows.iter().map(|r| r.id)))
        .order_by_asc(entry_db::Column::Position)
        .order_by_asc(entry_db::Column::Id)
        .all(conn)
        .await?
    {
        entries.entry(entry.newsletter_id).or_default().push(entry);
    }
    rows.into_iter()
        .map(|row| {
            let own = entries.remove(&row.id).unwrap_or_default();
            from_models(row, own).map(|n| (n.id, n))
        })
        .collect()
}

/// The newsletters a group issued (drafts too, for its officers), or those it received.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    group: GroupId,
    received: bool,
    page: PageRequest,
) -> AppResult<Page<Newsletter>> {
    let mut query = db::Entity::find();
    if received {
        query = query.filter(db::Column::Id.in_subquery(received_by(group)));
    } else {
        query = query.filter(db::Column::GroupId.eq(group.0));
        if !authz::runs_group(actor, group) {
            query = query.filter(db::Column::Status.eq(NewsletterStatus::Published.as_str()));
        }
    }
    if let Some(after) = page.after {
        query = query.filter(db::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(db::Column::Id)
        .limit(page.first + 1)
        .all(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut entries: HashMap<i64, Vec<entry_db::Model>> = HashMap::new();
    for entry in entry_db::Entity::find()
        .filter(entry_db::Column::NewsletterId.is_in(ids))
        .order_by_asc(entry_db::Column::Position)
        .order_by_asc(entry_db::Column::Id)
        .all(conn)
        .await?
    {
        entries.entry(entry.newsletter_id).or_default().push(entry);
    }
    let newsletters = rows
        .into_iter()
        .map(|row| {
            let own = entries.remove(&row.id).unwrap_or_default();
            from_models(row, own)
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(newsletters, page))
}

/// The newsletters a group received.
fn received_by(group: GroupId) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(receipt_db::Column::NewsletterId)
        .from(receipt_db::Entity)
        .and_where(receipt_db::Column::GroupId.eq(group.0))
        .to_owned()
}

/// The latest newsletter a group received or issued (for the chat `/newsletter` command).
pub async fn latest_for(
    conn: &impl ConnectionTrait,
    group: GroupId,
) -> AppResult<Option<Newsletter>> {
    let latest = db::Entity::find()
        .filter(db::Column::Status.eq(NewsletterStatus::Published.as_str()))
        .filter(
            db::Column::Id
                .in_subquery(received_by(group))
                .or(db::Column::GroupId.eq(group.0)),
        )
        .order_by_desc(db::Column::PublishedAt)
        .order_by_desc(db::Column::Id)
        .one(conn)
        .await?;
    match latest {
        Some(model) => Ok(Some(load(conn, NewsletterId(model.id)).await?)),
        None => Ok(None),
    }
}

/// A few lines saying what is in a newsletter (for chat posts).
pub fn summary(newsletter: &Newsletter) -> String {
    let mut counts: Vec<(Section, usize)> = Vec::new();
    for entry in &newsletter.entries {
        match counts.iter_mut().find(|(s, _)| *s == entry.section) {
            Some((_, n)) => *n += 1,
            None => counts.push((entry.section, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(section, n)| format!("{}: {n}", section.title()))
        .collect();
    if parts.is_empty() {
        newsletter.period.describe()
    } else {
        format!("{}. {}.", newsletter.period.describe(), parts.join("; "))
    }
}

/// How each delivery of a newsletter (chat posts and e-mails) is going (for its issuing
/// group's officers).
pub async fn deliveries(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: NewsletterId,
) -> AppResult<Vec<Delivery>> {
    let newsletter = get(conn, actor, id).await?;
    check_officer(actor, newsletter.group_id)?;
    let rows = outbox_db::Entity::find()
        .filter(outbox_db::Column::DedupeKey.starts_with(outbox::newsletter_key_prefix(id)))
        .order_by_asc(outbox_db::Column::Id)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let destination = Destination::parse(&row.destination);
            let Some(Destination::GroupChannel(group_id) | Destination::GroupEmail(group_id)) =
                destination
            else {
                return Err(super::corrupt("outbox", row.id, "newsletter destination"));
            };
            Ok(Delivery {
                group_id,
                medium: destination
                    .as_ref()
                    .map_or(crate::domain::delivery::Medium::Chat, Destination::medium),
                status: row.status,
                attempts: row.attempts,
                last_error: row.last_error,
                delivered_at: row.delivered_at,
            })
        })
        .collect()
}

/// The groups that received a newsletter.
pub async fn receivers(conn: &impl ConnectionTrait, id: NewsletterId) -> AppResult<Vec<GroupId>> {
    Ok(receipt_db::Entity::find()
        .filter(receipt_db::Column::NewsletterId.eq(id.0))
        .order_by_asc(receipt_db::Column::GroupId)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| GroupId(r.group_id))
        .collect())
}
