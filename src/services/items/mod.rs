//! Items travel up: raising soft intelligence in a group, taking it up a tier, referring it
//! to the commissioners, answering it ("you said, we did"), closing it, and linking several
//! reports of one matter. Each user action has its own file; this one reads items the caller
//! may see.

mod classify;
pub mod clock;
mod link;
mod moves;
mod raise;
pub mod related;
mod rows;
mod search;
mod trail;

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

pub use classify::{set_provider, set_severity, set_themes};
pub use link::link;
pub(crate) use moves::parse_note;
pub use moves::{Action, act};
pub(crate) use moves::{act_in, note_in};
pub use raise::{RaiseItem, Raised, ThemeChoice, raise, raised_with_key};
pub(crate) use rows::{event_from_model, from_model, not_found_by_id, reached_any, status_of};
pub use search::{ItemFilter, ItemOrder, list, waiting_at};
pub(crate) use trail::{NewEvent, record, stored};
pub use trail::{
    Trail, events_after, events_at_meetings, events_by_id, events_of, latest_event_id, trail,
};

use crate::domain::ItemId;
use crate::domain::authz::{self, Actor};
use crate::domain::item::Item;
use crate::domain::redaction::{self, Identifier};

use crate::domain::theme::{Classification, Polarity};
use crate::domain::{RuleId, ThemeId};
use crate::entities::{item as db, item_classification, item_tag};
use crate::error::AppResult;
use rows::{not_found, visible};

/// Loads visible items by id (hidden ones are simply missing).
pub async fn get_many(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[ItemId],
) -> AppResult<HashMap<ItemId, Item>> {
    authz::may_see_people(actor)?;
    let query = db::Entity::find().filter(db::Column::Id.is_in(ids.iter().map(|i| i.0)));
    visible(query, &authz::visibility(actor))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| from_model(m).map(|i| (i.id, i)))
        .collect()
}

pub async fn get(conn: &impl ConnectionTrait, actor: &Actor, id: ItemId) -> AppResult<Item> {
    get_many(conn, actor, &[id])
        .await?
        .remove(&id)
        .ok_or_else(not_found_by_id)
}

pub async fn by_reference(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    reference: &str,
) -> AppResult<Item> {
    by_reference_query(actor, reference)?
        .one(conn)
        .await?
        .map(from_model)
        .transpose()?
        .ok_or_else(not_found)
}

/// The statement behind `by_reference`: the item with that reference, if the caller may see it.
fn by_reference_query(actor: &Actor, reference: &str) -> AppResult<sea_orm::Select<db::Entity>> {
    authz::may_see_people(actor)?;
    let query =
        db::Entity::find().filter(db::Column::Reference.eq(reference.trim().to_uppercase()));
    Ok(visible(query, &authz::visibility(actor)))
}

/// The items that travel with each lead item, for many leads at once (visible ones only).
pub async fn followers_of(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    leads: &[ItemId],
) -> AppResult<HashMap<ItemId, Vec<Item>>> {
    let query = db::Entity::find()
        .filter(db::Column::LeadItemId.is_in(leads.iter().map(|i| i.0)))
        .order_by_asc(db::Column::Id);
    let mut by_lead: HashMap<ItemId, Vec<Item>> = HashMap::new();
    for row in visible(query, &authz::visibility(actor)).all(conn).await? {
        let item = from_model(row)?;
        if let Some(lead) = item.lead_item_id {
            by_lead.entry(lead).or_default().push(item);
        }
    }
    Ok(by_lead)
}

/// Each item's free tags, alphabetically.
pub async fn tags_of(
    conn: &impl ConnectionTrait,
    items: &[ItemId],
) -> AppResult<HashMap<ItemId, Vec<String>>> {
    let rows = item_tag::Entity::find()
        .filter(item_tag::Column::ItemId.is_in(items.iter().map(|i| i.0)))
        .order_by_asc(item_tag::Column::Tag)
        .all(conn)
        .await?;
    let mut by_item: HashMap<ItemId, Vec<String>> = HashMap::new();
    for row in rows {
        by_item
            .entry(ItemId(row.item_id))
            .or_default()
            .push(row.tag.into_string());
    }
    Ok(by_item)
}

/// Each item's themes from the vocabulary.
pub async fn classifications_of(
    conn: &impl ConnectionTrait,
    items: &[ItemId],
) -> AppResult<HashMap<ItemId, Vec<Classification>>> {
    let rows = item_classification::Entity::find()
        .filter(item_classification::Column::ItemId.is_in(items.iter().map(|i| i.0)))
        .order_by_asc(item_classification::Column::ItemId)
        .order_by_asc(item_classification::Column::ThemeId)
        .all(conn)
        .await?;
    let mut by_item: HashMap<ItemId, Vec<Classification>> = HashMap::new();
    for row in rows {
        let polarity = Polarity::from_db(&row.polarity).ok_or_else(|| {
            crate::services::corrupt("item_classifications", row.item_id, "polarity")
        })?;
        by_item
            .entry(ItemId(row.item_id))
            .or_default()
            .push(Classification {
                theme_id: ThemeId(row.theme_id),
                polarity,
                suggested: row.suggested,
                rule_id: row.rule_id.map(RuleId),
            });
    }
    Ok(by_item)
}

/// What was removed from a submission's text, counted by kind, and the sentence telling the
/// submitter.
struct Redactions {
    removed: Vec<(Identifier, usize)>,
    notice: Option<String>,
}

impl Redactions {
    fn summarise(removed: Vec<Identifier>) -> Self {
        let redacted = redaction::Redacted {
            text: String::new(),
            removed,
        };
        Self {
            removed: redacted.summary(),
            notice: redacted.notice(),
        }
    }
}
