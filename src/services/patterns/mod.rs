//! Patterns of concern: reports about one provider (optionally one theme heading) from several
//! PPGs close together in time (`domain::pattern` has the rule). This file reads them for the
//! people who may see them; `detect` keeps them up to date as items arrive and change, `act`
//! is what their owners do with them.
//!
//! A pattern is seen by the members of the group it belongs to and of the group above, by the
//! districts whose PPGs are part of it, and by the area's commissioners (`visible`), as counts
//! by PPG, month and theme: never the text of an item the reader could not open anyway.

mod act;
pub(crate) mod detect;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

pub use act::{acknowledge, dismiss, take_up};
pub use detect::{Joined, RebuildSummary, observe, rebuild, rule_of, set_rule};

use crate::domain::authz::{self, Actor, Visibility};
use crate::domain::page::{Page, PageRequest};
use crate::domain::pattern::{self, Pattern, PatternEventKind, PatternRule, PatternStatus, Trend};
use crate::domain::{GroupId, ItemId, MemberId, PatternId, ProviderId, RedactedText, ThemeId};
use crate::entities::{
    group as group_db, item_classification, pattern as db, pattern_event as event_db,
    pattern_item as item_db,
};
use crate::error::{AppError, AppResult};

pub(crate) fn from_model(m: db::Model) -> AppResult<Pattern> {
    let bad = |what| crate::services::corrupt("patterns", m.id, what);
    Ok(Pattern {
        id: PatternId(m.id),
        area_id: GroupId(m.area_id),
        provider_id: ProviderId(m.provider_id),
        theme_id: m.theme_id.map(ThemeId),
        owner_group_id: GroupId(m.owner_group_id),
        status: PatternStatus::from_db(&m.status).ok_or_else(|| bad("status"))?,
        first_seen: m.first_seen,
        last_seen: m.last_seen,
        ppg_count: usize::try_from(m.ppg_count).map_err(|_| bad("PPG count"))?,
        item_count: usize::try_from(m.item_count).map_err(|_| bad("item count"))?,
        dismissed_at_count: m
            .dismissed_at_count
            .map(|c| usize::try_from(c).map_err(|_| bad("count")))
            .transpose()?,
        dismissed_reason: m.dismissed_reason,
        reopened_because: m.reopened_because,
        taken_up_item_id: m.taken_up_item_id.map(ItemId),
    })
}

/// What happened to a pattern, for its history and the live feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternEvent {
    pub id: i64,
    pub pattern_id: PatternId,
    pub kind: PatternEventKind,
    /// The group the pattern belonged to after this.
    pub owner_group_id: GroupId,
    pub actor_id: Option<MemberId>,
    pub note: Option<RedactedText>,
    pub at: DateTime<Utc>,
}

fn event_from_model(m: event_db::Model) -> AppResult<PatternEvent> {
    Ok(PatternEvent {
        id: m.id,
        pattern_id: PatternId(m.pattern_id),
        kind: PatternEventKind::from_db(&m.kind)
            .ok_or_else(|| crate::services::corrupt("pattern_events", m.id, "kind"))?,
        owner_group_id: GroupId(m.owner_group_id),
        actor_id: m.actor_id.map(MemberId),
        note: m.note,
        at: m.at,
    })
}

/// Keeps a query on patterns to those shown (not below the threshold) that the caller may
/// see (`authz::may_see_pattern`): those of the caller's groups and of the groups below them
/// (a district's for the council), those a district's own PPGs are part of (for the
/// district, once a pattern has spread to the council), and every one of an area where the
/// caller is a commissioner.
fn visible(query: Select<db::Entity>, visibility: &Visibility) -> Select<db::Entity> {
    let query = query.filter(db::Column::Status.ne(PatternStatus::Watching.as_str()));
    match visibility {
        Visibility::Everything => query,
        Visibility::Scoped { areas, groups } => {
            let groups: Vec<i64> = groups.iter().map(|g| g.0).collect();
            let below_mine = Query::select()
                .column(group_db::Column::Id)
                .from(group_db::Entity)
                .and_where(group_db::Column::ParentId.is_in(groups.clone()))
                .to_owned();
            let with_my_ppgs = Query::select()
                .column(item_db::Column::PatternId)
                .from(item_db::Entity)
                .and_where(item_db::Column::PpgId.in_subquery(below_mine.clone()))
                .to_owned();
            let mut any = Condition::any()
                .add(db::Column::OwnerGroupId.is_in(groups))
                .add(db::Column::OwnerGroupId.in_subquery(below_mine))
                .add(db::Column::Id.in_subquery(with_my_ppgs));
            if !areas.is_empty() {
                any = any.add(db::Column::AreaId.is_in(areas.iter().map(|a| a.0)));
            }
            query.filter(any)
        }
    }
}

fn not_found() -> AppError {
    AppError::NotFound("There is no pattern with that id, or you cannot see it.".to_owned())
}

/// Which patterns to list.
#[derive(Debug, Clone, Default)]
pub struct PatternFilter {
    /// Patterns belonging to this group.
    pub owner: Option<GroupId>,
    pub provider: Option<ProviderId>,
    /// Patterns of this theme heading; `provider_only` for those about a provider as a whole.
    pub theme: Option<ThemeId>,
    pub provider_only: bool,
    /// Any status shown when empty.
    pub statuses: Vec<PatternStatus>,
}

/// Patterns the caller may see, newest first, a keyset page at a time.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    filter: &PatternFilter,
    page: PageRequest,
) -> AppResult<Page<Pattern>> {
    authz::may_see_people(actor)?;
    let mut query = visible(db::Entity::find(), &authz::visibility(actor));
    if let Some(owner) = filter.owner {
        query = query.filter(db::Column::OwnerGroupId.eq(owner.0));
    }
    if let Some(provider) = filter.provider {
        query = query.filter(db::Column::ProviderId.eq(provider.0));
    }
    if let Some(theme) = filter.theme {
        query = query.filter(db::Column::ThemeId.eq(theme.0));
    } else if filter.provider_only {
        query = query.filter(db::Column::ThemeId.is_null());
    }
    if !filter.statuses.is_empty() {
        query = query.filter(db::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(after) = page.after {
        query = query.filter(db::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(db::Column::Id)
        .limit(page.first + 1)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(rows, page))
}

/// Patterns by id, those the caller may see.
pub async fn get_many(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[PatternId],
) -> AppResult<HashMap<PatternId, Pattern>> {
    authz::may_see_people(actor)?;
    let query = db::Entity::find().filter(db::Column::Id.is_in(ids.iter().map(|p| p.0)));
    visible(query, &authz::visibility(actor))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| from_model(m).map(|p| (p.id, p)))
        .collect()
}

pub async fn get(conn: &impl ConnectionTrait, actor: &Actor, id: PatternId) -> AppResult<Pattern> {
    get_many(conn, actor, &[id])
        .await?
        .remove(&id)
        .ok_or_else(not_found)
}

/// The patterns each item is part of, those the caller may see.
pub async fn of_items(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    items: &[ItemId],
) -> AppResult<HashMap<ItemId, Vec<Pattern>>> {
    authz::may_see_people(actor)?;
    let members = item_db::Entity::find()
        .filter(item_db::Column::ItemId.is_in(items.iter().map(|i| i.0)))
        .all(conn)
        .await?;
    let ids: Vec<PatternId> = members.iter().map(|m| PatternId(m.pattern_id)).collect();
    let patterns = get_many(conn, actor, &ids).await?;
    let mut by_item: HashMap<ItemId, Vec<Pattern>> = HashMap::new();
    for member in members {
        if let Some(pattern) = patterns.get(&PatternId(member.pattern_id)) {
            by_item
                .entry(ItemId(member.item_id))
                .or_default()
                .push(pattern.clone());
        }
    }
    for patterns in by_item.values_mut() {
        patterns.sort_by_key(|p| (p.theme_id.is_some(), p.id));
    }
    Ok(by_item)
}

/// A pattern's reports counted every way a reader may see them: by PPG, by month, by theme
/// heading, and the trend; and the ids of its items (which the reader opens only where
/// `items::get_many` lets them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub by_ppg: Vec<(GroupId, usize)>,
    pub by_month: BTreeMap<String, usize>,
    pub by_theme: Vec<(ThemeId, usize)>,
    pub trend: Trend,
    pub items: Vec<ItemId>,
}

/// The counts of several patterns at once (already checked visible by the caller).
pub async fn counts(
    conn: &impl ConnectionTrait,
    patterns: &[Pattern],
) -> AppResult<HashMap<PatternId, Counts>> {
    let rows = item_db::Entity::find()
        .filter(item_db::Column::PatternId.is_in(patterns.iter().map(|p| p.id.0)))
        .order_by_asc(item_db::Column::RaisedAt)
        .order_by_asc(item_db::Column::ItemId)
        .all(conn)
        .await?;
    let item_ids: Vec<i64> = rows.iter().map(|r| r.item_id).collect();
    let classified = item_classification::Entity::find()
        .filter(item_classification::Column::ItemId.is_in(item_ids))
        .all(conn)
        .await?;
    let themes = crate::services::themes::all(conn).await?;
    let heading_of: HashMap<ThemeId, ThemeId> =
        themes.iter().map(|t| (t.id, t.heading())).collect();
    let mut headings_of_item: HashMap<i64, Vec<ThemeId>> = HashMap::new();
    for row in classified {
        if let Some(heading) = heading_of.get(&ThemeId(row.theme_id)) {
            let headings = headings_of_item.entry(row.item_id).or_default();
            if !headings.contains(heading) {
                headings.push(*heading);
            }
        }
    }
    let mut found: HashMap<PatternId, Counts> = HashMap::new();
    let mut raised: HashMap<PatternId, Vec<DateTime<Utc>>> = HashMap::new();
    for row in rows {
        let id = PatternId(row.pattern_id);
        let counts = found.entry(id).or_default();
        counts.items.push(ItemId(row.item_id));
        match counts.by_ppg.iter_mut().find(|(g, _)| g.0 == row.ppg_id) {
            Some((_, n)) => *n += 1,
            None => counts.by_ppg.push((GroupId(row.ppg_id), 1)),
        }
        for heading in headings_of_item.get(&row.item_id).into_iter().flatten() {
            match counts.by_theme.iter_mut().find(|(t, _)| t == heading) {
                Some((_, n)) => *n += 1,
                None => counts.by_theme.push((*heading, 1)),
            }
        }
        raised.entry(id).or_default().push(row.raised_at);
    }
    let now = crate::services::now();
    let mut rules: HashMap<GroupId, PatternRule> = HashMap::new();
    for pattern in patterns {
        let window = match rules.get(&pattern.area_id) {
            Some(rule) => rule.window,
            None => {
                let rule = rule_of(conn, pattern.area_id).await?;
                rules.insert(pattern.area_id, rule);
                rule.window
            }
        };
        let counts = found.entry(pattern.id).or_default();
        let times = raised.remove(&pattern.id).unwrap_or_default();
        counts.by_month = pattern::by_month(&times);
        counts.trend = pattern::trend(&times, window, now);
        counts
            .by_ppg
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts
            .by_theme
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    Ok(found)
}

/// A pattern's history, oldest first (the caller has seen the pattern).
pub async fn events_of(
    conn: &impl ConnectionTrait,
    patterns: &[PatternId],
) -> AppResult<HashMap<PatternId, Vec<PatternEvent>>> {
    let mut by_pattern: HashMap<PatternId, Vec<PatternEvent>> = HashMap::new();
    for row in event_db::Entity::find()
        .filter(event_db::Column::PatternId.is_in(patterns.iter().map(|p| p.0)))
        .order_by_asc(event_db::Column::Id)
        .all(conn)
        .await?
    {
        let event = event_from_model(row)?;
        by_pattern.entry(event.pattern_id).or_default().push(event);
    }
    Ok(by_pattern)
}

/// The newest pattern event's id (where a live feed starts).
pub async fn latest_event_id(conn: &impl ConnectionTrait) -> AppResult<i64> {
    Ok(event_db::Entity::find()
        .order_by_desc(event_db::Column::Id)
        .one(conn)
        .await?
        .map_or(0, |e| e.id))
}

/// Pattern events after an id, oldest first.
pub async fn events_after(
    conn: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> AppResult<Vec<PatternEvent>> {
    event_db::Entity::find()
        .filter(event_db::Column::Id.gt(after))
        .order_by_asc(event_db::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(event_from_model)
        .collect()
}

/// What to tell whoever raised a report that joined a pattern of concern ("2 other PPGs
/// reported this provider in the last 90 days; Northside District Group has been told."), or
/// `None` when it joined none that anyone is shown. Counts only: never which PPGs.
pub async fn notice(conn: &impl ConnectionTrait, joined: &[Joined]) -> AppResult<Option<String>> {
    let shown = joined
        .iter()
        .filter(|j| j.status.is_shown())
        .min_by_key(|j| j.theme_id.is_some());
    let Some(joined) = shown else {
        return Ok(None);
    };
    let owner = crate::services::groups::get(conn, joined.owner_group_id).await?;
    let about = match joined.theme_id {
        Some(theme) => format!(
            "this provider about {}",
            crate::services::themes::get(conn, theme)
                .await?
                .name
                .to_lowercase()
        ),
        None => "this provider".to_owned(),
    };
    let days = joined.window_days;
    Ok(Some(match joined.other_ppgs {
        0 => format!(
            "Your report joins a pattern of concern about {about}; {} has been told.",
            owner.name.as_str()
        ),
        1 => format!(
            "1 other PPG reported {about} in the last {days} days; {} has been told.",
            owner.name.as_str()
        ),
        n => format!(
            "{n} other PPGs reported {about} in the last {days} days; {} has been told.",
            owner.name.as_str()
        ),
    }))
}
