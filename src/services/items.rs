//! Items travel up: raising soft intelligence in a group, taking it up a tier, referring it
//! to the commissioners, answering it ("you said, we did"), closing it, and linking several
//! reports of one matter. Who sees which item is decided here too.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionTrait,
};
use serde_json::json;

use super::outbox::{self, Destination};
use super::{groups, providers};
use crate::domain::authz::Actor;
use crate::domain::item::{
    self, Channel, Destination as Towards, EventKind, InformationSource, Item, ItemEvent, ItemKind,
    ItemTitle, Move, MoveRefused, Outcome, Sentiment, Status, Visibility,
};
use crate::domain::page::{Page, PageRequest};
use crate::domain::provider::ProviderName;
use crate::domain::redaction::{self, Identifier};
use crate::domain::{GroupId, ItemEventId, ItemId, MeetingId, MemberId, ProviderId};
use crate::entities::{item as db, item_event as event_db, item_group, item_theme};
use crate::error::{AppError, AppResult};

/// What a member fills in on the soft-intelligence template.
#[derive(Debug, Clone)]
pub struct RaiseItem {
    pub group_id: GroupId,
    pub kind: ItemKind,
    pub title: String,
    pub body: String,
    pub provider_id: Option<ProviderId>,
    pub provider_name: Option<String>,
    pub experienced_on: Option<NaiveDate>,
    pub sentiment: Sentiment,
    pub information_source: InformationSource,
    pub raised_with_pals: bool,
    pub raised_as_complaint: bool,
    pub safety_concern: bool,
    pub themes: Vec<String>,
    /// The same key from the same member gives the same item, never two.
    pub idempotency_key: Option<String>,
    pub channel: Channel,
}

/// A raised item, with what was removed from its text before it was stored.
#[derive(Debug, Clone)]
pub struct Raised {
    pub item: Item,
    pub removed: Vec<(Identifier, usize)>,
    pub notice: Option<String>,
    /// False when the idempotency key matched an item raised before.
    pub created: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Items raised in or that have reached this group...
    pub group: Option<GroupId>,
    /// ...or any group below it.
    pub include_below: bool,
    /// Items held at this group now.
    pub held_at: Option<GroupId>,
    pub statuses: Vec<Status>,
    pub kinds: Vec<ItemKind>,
    pub provider: Option<ProviderId>,
    pub theme: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub safety_concern: Option<bool>,
    /// Raised on or after this day.
    pub raised_from: Option<NaiveDate>,
    /// Raised on or before this day.
    pub raised_to: Option<NaiveDate>,
    pub submitted_by: Option<MemberId>,
    /// Words to find in the title or text.
    pub search: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ItemOrder {
    /// Most recently raised first.
    #[default]
    Newest,
    Oldest,
    /// Most recently moved, answered or noted first.
    RecentlyUpdated,
}

impl ItemOrder {
    /// The value a page's cursor holds for this order.
    pub fn cursor_of(self, item: &Item) -> i64 {
        match self {
            ItemOrder::Newest | ItemOrder::Oldest => item.id.0,
            ItemOrder::RecentlyUpdated => item.latest_event_id.map_or(0, |e| e.0),
        }
    }
}

fn bad_stored(id: i64, what: &str) -> AppError {
    super::corrupt("items", id, what)
}

pub(crate) fn from_model(m: db::Model) -> AppResult<Item> {
    let id = m.id;
    Ok(Item {
        id: ItemId(m.id),
        reference: m.reference,
        kind: ItemKind::from_db(&m.kind).ok_or_else(|| bad_stored(id, "kind"))?,
        title: m.title,
        body: m.body,
        provider_id: m.provider_id.map(ProviderId),
        provider_name: m.provider_name,
        experienced_on: m.experienced_on,
        sentiment: Sentiment::from_db(&m.sentiment).ok_or_else(|| bad_stored(id, "sentiment"))?,
        information_source: InformationSource::from_db(&m.information_source)
            .ok_or_else(|| bad_stored(id, "information source"))?,
        raised_with_pals: m.raised_with_pals,
        raised_as_complaint: m.raised_as_complaint,
        safety_concern: m.safety_concern,
        origin_group_id: GroupId(m.origin_group_id),
        current_group_id: GroupId(m.current_group_id),
        status: Status::from_db(&m.status).ok_or_else(|| bad_stored(id, "status"))?,
        submitter_id: MemberId(m.submitter_id),
        channel: Channel::from_db(&m.channel).ok_or_else(|| bad_stored(id, "channel"))?,
        lead_item_id: m.lead_item_id.map(ItemId),
        latest_event_id: m.latest_event_id.map(ItemEventId),
        referred_at: m.referred_at,
        responded_at: m.responded_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn event_from_model(m: event_db::Model) -> AppResult<ItemEvent> {
    let bad = |what| super::corrupt("item_events", m.id, what);
    Ok(ItemEvent {
        id: ItemEventId(m.id),
        item_id: ItemId(m.item_id),
        at: m.at,
        actor_id: m.actor_id.map(MemberId),
        kind: EventKind::from_db(&m.kind).ok_or_else(|| bad("kind"))?,
        from_status: m
            .from_status
            .as_deref()
            .map(|s| Status::from_db(s).ok_or_else(|| bad("status")))
            .transpose()?,
        to_status: Status::from_db(&m.to_status).ok_or_else(|| bad("status"))?,
        from_group_id: m.from_group_id.map(GroupId),
        group_id: GroupId(m.group_id),
        note: m.note,
        outcome: m
            .outcome
            .as_deref()
            .map(|o| Outcome::from_db(o).ok_or_else(|| bad("outcome")))
            .transpose()?,
        meeting_id: m.meeting_id.map(MeetingId),
    })
}

/// Limits a query on items to those the caller may see.
fn visible(query: Select<db::Entity>, visibility: &Visibility) -> Select<db::Entity> {
    match visibility {
        Visibility::Everything => query,
        Visibility::Groups(groups) => query.filter(
            db::Column::Id.in_subquery(
                Query::select()
                    .column(item_group::Column::ItemId)
                    .from(item_group::Entity)
                    .and_where(item_group::Column::GroupId.is_in(groups.iter().map(|g| g.0)))
                    .to_owned(),
            ),
        ),
    }
}

fn not_found() -> AppError {
    AppError::NotFound("There is no item with that reference, or you cannot see it.".to_owned())
}

/// Loads visible items by id (hidden ones are simply missing).
pub async fn get_many(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[ItemId],
) -> AppResult<HashMap<ItemId, Item>> {
    let query = db::Entity::find().filter(db::Column::Id.is_in(ids.iter().map(|i| i.0)));
    visible(query, &item::visibility(actor))
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
        .ok_or_else(not_found)
}

pub async fn by_reference(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    reference: &str,
) -> AppResult<Item> {
    let query =
        db::Entity::find().filter(db::Column::Reference.eq(reference.trim().to_uppercase()));
    visible(query, &item::visibility(actor))
        .one(conn)
        .await?
        .map(from_model)
        .transpose()?
        .ok_or_else(not_found)
}

/// An item with its trail and the names of the groups on it (what `/status` shows).
pub struct Trail {
    pub item: Item,
    pub events: Vec<ItemEvent>,
    pub group_names: HashMap<GroupId, String>,
}

pub async fn trail(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    reference: &str,
) -> AppResult<Trail> {
    let item = by_reference(conn, actor, reference).await?;
    let events = events_of(conn, &[item.id])
        .await?
        .remove(&item.id)
        .unwrap_or_default();
    let mut ids: Vec<GroupId> = events.iter().map(|e| e.group_id).collect();
    ids.push(item.current_group_id);
    let group_names = groups::get_many(conn, &ids)
        .await?
        .into_iter()
        .map(|(id, g)| (id, g.name.as_str().to_owned()))
        .collect();
    Ok(Trail {
        item,
        events,
        group_names,
    })
}

/// Turns a person's search words into an FTS5 query that cannot be a syntax error: each word
/// quoted, all required, each matching as a prefix.
fn fts5_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    filter: ItemFilter,
    order: ItemOrder,
    page: PageRequest,
) -> AppResult<Page<Item>> {
    let visibility = match (item::visibility(actor), filter.held_at) {
        // Every item held at a group has reached it, so for a caller who sits in that group
        // the visibility check cannot exclude anything; skipping it lets the database use the
        // index on (current group, status, id) alone.
        (Visibility::Groups(groups), Some(held)) if groups.contains(&held) => {
            Visibility::Everything
        }
        (visibility, _) => visibility,
    };
    let mut query = visible(db::Entity::find(), &visibility);
    if let Some(group) = filter.group {
        let mut groups = vec![group];
        if filter.include_below {
            groups.extend(groups::descendants(conn, group).await?);
        }
        query = query.filter(
            db::Column::Id.in_subquery(
                Query::select()
                    .column(item_group::Column::ItemId)
                    .from(item_group::Entity)
                    .and_where(item_group::Column::GroupId.is_in(groups.iter().map(|g| g.0)))
                    .to_owned(),
            ),
        );
    }
    if let Some(group) = filter.held_at {
        query = query.filter(db::Column::CurrentGroupId.eq(group.0));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(db::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if !filter.kinds.is_empty() {
        query = query.filter(db::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_str())));
    }
    if let Some(provider) = filter.provider {
        query = query.filter(db::Column::ProviderId.eq(provider.0));
    }
    if let Some(theme) = &filter.theme {
        query = query.filter(
            db::Column::Id.in_subquery(
                Query::select()
                    .column(item_theme::Column::ItemId)
                    .from(item_theme::Entity)
                    .and_where(item_theme::Column::Theme.eq(theme.trim().to_lowercase()))
                    .to_owned(),
            ),
        );
    }
    if let Some(sentiment) = filter.sentiment {
        query = query.filter(db::Column::Sentiment.eq(sentiment.as_str()));
    }
    if let Some(safety) = filter.safety_concern {
        query = query.filter(db::Column::SafetyConcern.eq(safety));
    }
    if let Some(from) = filter.raised_from {
        query =
            query.filter(db::Column::CreatedAt.gte(from.and_hms_opt(0, 0, 0).map(|t| t.and_utc())));
    }
    if let Some(to) = filter.raised_to {
        let next_day = to
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        query = query.filter(db::Column::CreatedAt.lt(next_day));
    }
    if let Some(member) = filter.submitted_by {
        query = query.filter(db::Column::SubmitterId.eq(member.0));
    }
    if let Some(text) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        query = match conn.get_database_backend() {
            DatabaseBackend::Sqlite => match fts5_query(text) {
                Some(fts) => query.filter(Expr::cust_with_values(
                    "items.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)",
                    [fts],
                )),
                None => query,
            },
            _ => query.filter(Expr::cust_with_values(
                "items.search @@ websearch_to_tsquery('english', $1)",
                [text.to_owned()],
            )),
        };
    }
    let key = match order {
        ItemOrder::Newest | ItemOrder::Oldest => db::Column::Id,
        ItemOrder::RecentlyUpdated => db::Column::LatestEventId,
    };
    query = match (order, page.after) {
        (ItemOrder::Oldest, Some(after)) => query.filter(key.gt(after)),
        (_, Some(after)) => query.filter(key.lt(after)),
        (_, None) => query,
    };
    query = match order {
        ItemOrder::Oldest => query.order_by_asc(key),
        _ => query.order_by_desc(key),
    };
    let rows = query.limit(page.first + 1).all(conn).await?;
    let items = rows.into_iter().map(from_model).collect::<AppResult<_>>()?;
    Ok(Page::from_overfetch(items, page))
}

/// The trail of each item, oldest first, for many items at once. The caller has already
/// been allowed to see the items.
pub async fn events_of(
    conn: &impl ConnectionTrait,
    items: &[ItemId],
) -> AppResult<HashMap<ItemId, Vec<ItemEvent>>> {
    let rows = event_db::Entity::find()
        .filter(event_db::Column::ItemId.is_in(items.iter().map(|i| i.0)))
        .order_by_asc(event_db::Column::Id)
        .all(conn)
        .await?;
    let mut by_item: HashMap<ItemId, Vec<ItemEvent>> = HashMap::new();
    for row in rows {
        let event = event_from_model(row)?;
        by_item.entry(event.item_id).or_default().push(event);
    }
    Ok(by_item)
}

/// Events by id (for items' latest events). The caller has already been allowed to see the
/// items they belong to.
pub async fn events_by_id(
    conn: &impl ConnectionTrait,
    ids: &[ItemEventId],
) -> AppResult<HashMap<ItemEventId, ItemEvent>> {
    event_db::Entity::find()
        .filter(event_db::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| event_from_model(m).map(|e| (e.id, e)))
        .collect()
}

/// New events after `after_id`, oldest first, at most `limit` (for the live feed).
pub async fn events_after(
    conn: &impl ConnectionTrait,
    after_id: i64,
    limit: u64,
) -> AppResult<Vec<ItemEvent>> {
    event_db::Entity::find()
        .filter(event_db::Column::Id.gt(after_id))
        .order_by_asc(event_db::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(event_from_model)
        .collect()
}

/// The highest event id so far (where a live feed starts).
pub async fn latest_event_id(conn: &impl ConnectionTrait) -> AppResult<i64> {
    Ok(event_db::Entity::find()
        .order_by_desc(event_db::Column::Id)
        .one(conn)
        .await?
        .map_or(0, |e| e.id))
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
    for row in visible(query, &item::visibility(actor)).all(conn).await? {
        let item = from_model(row)?;
        if let Some(lead) = item.lead_item_id {
            by_lead.entry(lead).or_default().push(item);
        }
    }
    Ok(by_lead)
}

pub async fn themes_of(
    conn: &impl ConnectionTrait,
    items: &[ItemId],
) -> AppResult<HashMap<ItemId, Vec<String>>> {
    let rows = item_theme::Entity::find()
        .filter(item_theme::Column::ItemId.is_in(items.iter().map(|i| i.0)))
        .order_by_asc(item_theme::Column::Theme)
        .all(conn)
        .await?;
    let mut by_item: HashMap<ItemId, Vec<String>> = HashMap::new();
    for row in rows {
        by_item
            .entry(ItemId(row.item_id))
            .or_default()
            .push(row.theme);
    }
    Ok(by_item)
}

/// Redacts a free-text field, collecting what was removed.
fn redact_into(text: String, removed: &mut Vec<Identifier>) -> String {
    let redacted = redaction::redact(&text);
    removed.extend(redacted.removed.iter().copied());
    redacted.text
}

fn summarise(removed: Vec<Identifier>) -> (Vec<(Identifier, usize)>, Option<String>) {
    let redacted = redaction::Redacted {
        text: String::new(),
        removed,
    };
    (redacted.summary(), redacted.notice())
}

async fn find_by_key(
    conn: &impl ConnectionTrait,
    submitter: MemberId,
    key: &str,
) -> AppResult<Option<db::Model>> {
    Ok(db::Entity::find()
        .filter(db::Column::SubmitterId.eq(submitter.0))
        .filter(db::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?)
}

/// Raises an item in a group. Personal identifiers are removed from its text before anything
/// is stored; a safety concern goes straight to the commissioners.
pub async fn raise(db: &DatabaseConnection, actor: &Actor, input: RaiseItem) -> AppResult<Raised> {
    item::may_raise_in(actor, input.group_id)?;
    let submitter = actor.member_id().ok_or_else(|| {
        AppError::bad_input(
            "submitter",
            "Items are raised by a member: use a member's token.",
        )
    })?;
    let mut removed = Vec::new();
    let title = ItemTitle::parse(&input.title)?;
    let title = redact_into(title.as_str().to_owned(), &mut removed);
    let body = item::parse_body("body", "What happened", &input.body, item::MAX_BODY)?;
    let body = redact_into(body, &mut removed);
    let themes = item::parse_themes(&input.themes)?;
    let provider_name = input
        .provider_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| ProviderName::parse(n).map_err(|e| AppError::bad_input("providerName", e.message)))
        .transpose()?
        .map(|n| redact_into(n.as_str().to_owned(), &mut removed));
    let today = super::today();
    if let Some(date) = input.experienced_on {
        item::check_experienced_on(date, today)?;
    }
    let key = input
        .idempotency_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            if k.len() > 200 {
                Err(AppError::bad_input(
                    "idempotencyKey",
                    "An idempotency key can be at most 200 characters long.",
                ))
            } else {
                Ok(k.to_owned())
            }
        })
        .transpose()?;
    let (removed, notice) = summarise(removed);

    if let Some(key) = &key
        && let Some(existing) = find_by_key(db, submitter, key).await?
    {
        return Ok(Raised {
            item: from_model(existing)?,
            removed,
            notice,
            created: false,
        });
    }

    let txn = db.begin().await?;
    let group = groups::get(&txn, input.group_id)
        .await
        .map_err(|_| AppError::bad_input("groupId", "There is no group with that id."))?;
    if let Some(provider) = input.provider_id {
        providers::get(&txn, provider).await.map_err(|_| {
            AppError::bad_input(
                "providerId",
                "There is no provider with that id in the register.",
            )
        })?;
    }
    let now = super::now();
    let status = Status::held_at(group.kind);
    let placeholder: u64 = rand::rng().random();
    let inserted = db::ActiveModel {
        reference: Set(format!("pending-{placeholder:x}")),
        kind: Set(input.kind.as_str().to_owned()),
        title: Set(title),
        body: Set(body),
        provider_id: Set(input.provider_id.map(|p| p.0)),
        provider_name: Set(provider_name),
        experienced_on: Set(input.experienced_on),
        sentiment: Set(input.sentiment.as_str().to_owned()),
        information_source: Set(input.information_source.as_str().to_owned()),
        raised_with_pals: Set(input.raised_with_pals),
        raised_as_complaint: Set(input.raised_as_complaint),
        safety_concern: Set(input.safety_concern),
        origin_group_id: Set(group.id.0),
        current_group_id: Set(group.id.0),
        status: Set(status.as_str().to_owned()),
        submitter_id: Set(submitter.0),
        channel: Set(input.channel.as_str().to_owned()),
        idempotency_key: Set(key.clone()),
        lead_item_id: Set(None),
        latest_event_id: Set(None),
        referred_at: Set(None),
        responded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let inserted = match inserted {
        Ok(model) => model,
        Err(error) => {
            // Two deliveries of the same submission raced: the other one won; answer with it.
            if let (Some(sea_orm::SqlErr::UniqueConstraintViolation(_)), Some(key)) =
                (error.sql_err(), &key)
            {
                txn.rollback().await?;
                let existing = find_by_key(db, submitter, key)
                    .await?
                    .ok_or_else(not_found)?;
                return Ok(Raised {
                    item: from_model(existing)?,
                    removed,
                    notice,
                    created: false,
                });
            }
            return Err(error.into());
        }
    };
    reach(&txn, inserted.id, group.id).await?;
    for theme in &themes {
        item_theme::ActiveModel {
            item_id: Set(inserted.id),
            theme: Set(theme.clone()),
        }
        .insert(&txn)
        .await?;
    }
    let raised_event = record_event(
        &txn,
        actor,
        &inserted,
        EventKind::Raised,
        None,
        status,
        None,
        None,
        None,
    )
    .await?;
    let mut row: db::ActiveModel = inserted.clone().into();
    row.reference = Set(item::reference(now.year(), inserted.id));
    row.latest_event_id = Set(Some(raised_event));
    if input.safety_concern {
        // The safety fast path: straight to the quality team, wherever the item is held.
        let event = record_event(
            &txn,
            actor,
            &inserted,
            EventKind::SafetyReferred,
            Some(status),
            Status::Referred,
            None,
            Some(
                "Flagged as a safety concern: referred to the commissioners' quality team at once."
                    .to_owned(),
            ),
            None,
        )
        .await?;
        row.status = Set(Status::Referred.as_str().to_owned());
        row.referred_at = Set(Some(now));
        row.latest_event_id = Set(Some(event));
    }
    let model = row.update(&txn).await?;
    if input.safety_concern {
        outbox::enqueue(
            &txn,
            "SAFETY_ALERT",
            Destination::QualityTeam,
            format!("safety:{}", model.id),
            json!({ "itemId": model.id, "reference": model.reference, "title": model.title, "groupId": group.id.0 }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Raised {
        item: from_model(model)?,
        removed,
        notice,
        created: true,
    })
}

/// Records that an item has reached a group (what decides who sees it).
async fn reach(conn: &impl ConnectionTrait, item: i64, group: GroupId) -> AppResult<()> {
    let already = item_group::Entity::find_by_id((item, group.0))
        .one(conn)
        .await?;
    if already.is_none() {
        item_group::ActiveModel {
            item_id: Set(item),
            group_id: Set(group.0),
            reached_at: Set(super::now()),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn record_event(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    item: &db::Model,
    kind: EventKind,
    from_status: Option<Status>,
    to_status: Status,
    to_group: Option<GroupId>,
    note: Option<String>,
    outcome: Option<Outcome>,
) -> AppResult<i64> {
    record_event_at_meeting(
        conn,
        actor,
        item,
        kind,
        from_status,
        to_status,
        to_group,
        note,
        outcome,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn record_event_at_meeting(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    item: &db::Model,
    kind: EventKind,
    from_status: Option<Status>,
    to_status: Status,
    to_group: Option<GroupId>,
    note: Option<String>,
    outcome: Option<Outcome>,
    meeting: Option<MeetingId>,
) -> AppResult<i64> {
    let group = to_group.map_or(item.current_group_id, |g| g.0);
    let event = event_db::ActiveModel {
        item_id: Set(item.id),
        at: Set(super::now()),
        actor_id: Set(actor.member_id().map(|m| m.0)),
        kind: Set(kind.as_str().to_owned()),
        from_status: Set(from_status.map(|s| s.as_str().to_owned())),
        to_status: Set(to_status.as_str().to_owned()),
        from_group_id: Set(to_group.map(|_| item.current_group_id)),
        group_id: Set(group),
        note: Set(note),
        outcome: Set(outcome.map(|o| o.as_str().to_owned())),
        meeting_id: Set(meeting.map(|m| m.0)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(event.id)
}

/// What a person asked to happen to an item.
#[derive(Debug, Clone)]
pub struct Action {
    pub kind: Move,
    /// Why, for the trail ("raised at three PPG meetings this quarter"); the answer itself
    /// for a response.
    pub note: Option<String>,
    pub outcome: Option<Outcome>,
    /// Items to join to this one as one matter (escalations only).
    pub link: Vec<ItemId>,
    pub meeting: Option<MeetingId>,
}

impl Action {
    pub fn new(kind: Move) -> Self {
        Self {
            kind,
            note: None,
            outcome: None,
            link: Vec::new(),
            meeting: None,
        }
    }
}

/// Takes an item up a tier (or to the commissioners), answers it, or closes it, following the
/// rules in `domain::item::plan_move`. Items linked to it move with it.
pub async fn act(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    action: Action,
) -> AppResult<Item> {
    let txn = db.begin().await?;
    let item = act_in(&txn, actor, id, action).await?;
    txn.commit().await?;
    Ok(item)
}

/// `act`, inside a transaction the caller owns (meeting minutes act on several items at once).
pub(crate) async fn act_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: ItemId,
    action: Action,
) -> AppResult<Item> {
    let mut removed = Vec::new();
    let note = action
        .note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| item::parse_body("note", "The note", n, item::MAX_NOTE))
        .transpose()?
        .map(|n| redact_into(n, &mut removed));
    if action.kind == Move::Respond {
        if note.is_none() {
            return Err(AppError::bad_input(
                "answer",
                "Write the answer: what was done, or why nothing will be.",
            ));
        }
        if action.outcome.is_none() {
            return Err(AppError::bad_input(
                "outcome",
                "Say what the answer changed: NO_ACTION, ACTION_PLANNED or CHANGE_MADE.",
            ));
        }
    }
    // Load through visibility: an item the caller cannot see is not found.
    let current = get(txn, actor, id).await?;
    if let Some(lead) = current.lead_item_id {
        let lead = db::Entity::find_by_id(lead.0).one(txn).await?;
        let reference = lead.map(|l| l.reference).unwrap_or_default();
        return Err(AppError::Conflict(format!(
            "This item travels with {reference}: act on that item instead."
        )));
    }
    let model = db::Entity::find_by_id(id.0)
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    // Linked reports join the lead where it is now, then travel with it.
    for other in &action.link {
        link_in(txn, actor, &model, *other).await?;
    }
    let moved = move_one(txn, actor, model, &action, note.clone(), true).await?;
    // Followers travel with their lead.
    let followers = db::Entity::find()
        .filter(db::Column::LeadItemId.eq(moved.id))
        .all(txn)
        .await?;
    for follower in followers {
        if Status::from_db(&follower.status).is_some_and(Status::is_open)
            || action.kind == Move::Close
        {
            // An answer to the matter answers every report of it.
            let note = match action.kind {
                Move::Respond => note.clone(),
                _ => Some(format!("Moved with {}.", moved.reference)),
            };
            move_one(txn, actor, follower, &action, note, false).await?;
        }
    }
    from_model(moved)
}

/// Applies one move to one item: checks the rule, writes the event and the item, records the
/// group it reached, and queues the submitter's notification.
async fn move_one(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    model: db::Model,
    action: &Action,
    note: Option<String>,
    check: bool,
) -> AppResult<db::Model> {
    let from_status =
        Status::from_db(&model.status).ok_or_else(|| bad_stored(model.id, "status"))?;
    let holder = groups::get(txn, GroupId(model.current_group_id)).await?;
    let standing = if check {
        item::standing(actor, holder.id)
    } else {
        // A follower moves on its lead's authority.
        item::Standing {
            officer: true,
            representative: true,
        }
    };
    let plan = item::plan_move(
        if check { actor } else { &Actor::System },
        standing,
        from_status,
        holder.kind,
        action.kind,
    )
    .map_err(|refused| match refused {
        MoveRefused::NotAllowed(why) => AppError::Conflict(why.to_owned()),
        MoveRefused::Refused(refusal) => refusal.into(),
    })?;
    let to_group = match plan.destination {
        Towards::Parent(_) if action.kind == Move::Escalate => Some(
            holder
                .parent_id
                .ok_or_else(|| bad_stored(model.id, "holder without parent"))?,
        ),
        _ => None,
    };
    let kind = match (action.kind, plan.to_status) {
        (Move::Escalate, Status::Referred) => EventKind::Referred,
        (Move::Escalate, _) => EventKind::Escalated,
        (Move::Respond, _) => EventKind::Responded,
        (Move::Close, _) => EventKind::Closed,
    };
    let event = record_event_at_meeting(
        txn,
        actor,
        &model,
        kind,
        Some(from_status),
        plan.to_status,
        to_group,
        note.clone(),
        action.outcome.filter(|_| action.kind == Move::Respond),
        action.meeting,
    )
    .await?;
    if let Some(group) = to_group {
        reach(txn, model.id, group).await?;
    }
    let now = super::now();
    let submitter = MemberId(model.submitter_id);
    let mut row: db::ActiveModel = model.into();
    row.status = Set(plan.to_status.as_str().to_owned());
    if let Some(group) = to_group {
        row.current_group_id = Set(group.0);
    }
    if plan.to_status == Status::Referred {
        row.referred_at = Set(Some(now));
    }
    if plan.to_status == Status::Responded {
        row.responded_at = Set(Some(now));
    }
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(now);
    let updated = row.update(txn).await?;

    // The person who raised it hears what happened (delivered later, by chat).
    if matches!(
        kind,
        EventKind::Escalated | EventKind::Referred | EventKind::Responded
    ) {
        outbox::enqueue(
            txn,
            "ITEM_UPDATE",
            Destination::Member(submitter),
            format!("item-event:{event}"),
            json!({
                "itemId": updated.id,
                "reference": updated.reference,
                "title": updated.title,
                "event": kind.as_str(),
                "status": updated.status,
                "groupId": updated.current_group_id,
                "answer": if kind == EventKind::Responded { note } else { None },
                "outcome": action.outcome.filter(|_| kind == EventKind::Responded).map(|o| o.as_str()),
            }),
        )
        .await?;
    }
    Ok(updated)
}

/// Joins `other` to `lead` as one matter: it must be visible, open, and held at the same group
/// as the lead was, and not already part of another matter.
async fn link_in(
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
    let model = db::Entity::find_by_id(other.0)
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
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
    let status = item.status;
    let event = record_event(
        txn,
        actor,
        &model,
        EventKind::Linked,
        Some(status),
        status,
        None,
        Some(format!("Linked to {} as one matter.", lead.reference)),
        None,
    )
    .await?;
    let mut row: db::ActiveModel = model.into();
    row.lead_item_id = Set(Some(lead.id));
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(super::now());
    let linked = row.update(txn).await?;
    // It joins the lead where the lead is now.
    if linked.current_group_id != lead.current_group_id || linked.status != lead.status {
        let mut row: db::ActiveModel = linked.clone().into();
        let from_group = GroupId(linked.current_group_id);
        if from_group.0 != lead.current_group_id {
            reach(txn, linked.id, GroupId(lead.current_group_id)).await?;
        }
        row.current_group_id = Set(lead.current_group_id);
        row.status = Set(lead.status.clone());
        row.referred_at = Set(lead.referred_at);
        let event = record_event(
            txn,
            actor,
            &linked,
            EventKind::Escalated,
            Some(status),
            Status::from_db(&lead.status).ok_or_else(|| bad_stored(lead.id, "status"))?,
            Some(GroupId(lead.current_group_id)).filter(|g| *g != from_group),
            Some(format!("Moved with {}.", lead.reference)),
            None,
        )
        .await?;
        row.latest_event_id = Set(Some(event));
        row.update(txn).await?;
    }
    Ok(())
}

/// Links items to a lead item as one matter, without moving the lead.
pub async fn link(
    db: &DatabaseConnection,
    actor: &Actor,
    lead: ItemId,
    items: Vec<ItemId>,
) -> AppResult<Item> {
    let txn = db.begin().await?;
    let current = get(&txn, actor, lead).await?;
    let holder = groups::get(&txn, current.current_group_id).await?;
    let standing = item::standing(actor, holder.id);
    if !(standing.officer || standing.representative || actor.sees_everything()) {
        return Err(AppError::Forbidden(
            "Only the officers or representative of the group holding an item can link others to it.".to_owned(),
        ));
    }
    if current.lead_item_id.is_some() {
        return Err(AppError::Conflict(
            "This item is itself linked to another: link to that one.".to_owned(),
        ));
    }
    let model = db::Entity::find_by_id(lead.0)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    for other in items {
        link_in(&txn, actor, &model, other).await?;
    }
    txn.commit().await?;
    Ok(current)
}

/// Records that a meeting discussed an item without moving it.
pub(crate) async fn note_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: ItemId,
    note: Option<String>,
    meeting: MeetingId,
) -> AppResult<()> {
    let mut removed = Vec::new();
    let note = note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| item::parse_body("note", "The note", n, item::MAX_NOTE))
        .transpose()?
        .map(|n| redact_into(n, &mut removed));
    get(txn, actor, id).await?;
    let model = db::Entity::find_by_id(id.0)
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    let status = Status::from_db(&model.status).ok_or_else(|| bad_stored(model.id, "status"))?;
    let event = record_event_at_meeting(
        txn,
        actor,
        &model,
        EventKind::Noted,
        Some(status),
        status,
        None,
        note,
        None,
        Some(meeting),
    )
    .await?;
    let mut row: db::ActiveModel = model.into();
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(super::now());
    row.update(txn).await?;
    Ok(())
}
