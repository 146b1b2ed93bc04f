//! Keeping patterns up to date, in the same transaction as the change that moves them.
//!
//! A new report is the latest of its provider's, so it can only extend the latest run of each
//! pattern it counts towards, or start a new one: `on_raise` does that with a few statements
//! per pattern, however many items the area holds. A correction (an item's provider or themes
//! changed) can reshape older runs, so `recompute` works a provider's runs out again from its
//! items and reconciles them with the stored patterns, keeping what people did with them
//! (acknowledged, taken up, dismissed). `rebuild` is `recompute` for every provider: the same
//! patterns, from scratch, that the incremental path built.
//!
//! Which group a pattern belongs to is worked out from the PPGs' districts when the report
//! arrives; if a PPG later moves to another district, `pyramid patterns rebuild` brings the
//! owners up to date.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::from_model;
use crate::domain::authz::Actor;
use crate::domain::group::GroupKind;
use crate::domain::item::Sentiment;
use crate::domain::member::Role;
use crate::domain::pattern::{self, PatternEventKind, PatternRule, PatternStatus, Report, Run};
use crate::domain::theme::Polarity;
use crate::domain::{GroupId, ItemId, MemberId, PatternId, ProviderId, RedactedText, ThemeId};
use crate::entities::{
    area_setting, item as item_row, item_classification, membership, pattern as db,
    pattern_event as event_db, pattern_item as item_db,
};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::outbox::Message;
use crate::services::{groups, providers, themes};

/// An area's pattern rule: its own, or the default (2 PPGs within 90 days).
pub async fn rule_of(conn: &impl ConnectionTrait, area: GroupId) -> AppResult<PatternRule> {
    Ok(area_setting::Entity::find_by_id(area.0)
        .one(conn)
        .await?
        .map(|s| PatternRule::new(s.pattern_min_ppgs, s.pattern_window_days))
        .unwrap_or_default())
}

/// Changes an area's pattern rule (its administrators), and works its patterns out again
/// under the new rule.
#[tracing::instrument(skip_all, fields(area = %area, member = ?actor.member_id()))]
pub async fn set_rule(
    db: &DatabaseConnection,
    actor: &Actor,
    area: GroupId,
    min_ppgs: i32,
    window_days: i32,
) -> AppResult<PatternRule> {
    if !actor.administers(area) {
        return Err(match actor {
            Actor::Anonymous => AppError::Unauthenticated,
            _ => AppError::Forbidden(
                "Only an administrator of this area can change its pattern rule.".to_owned(),
            ),
        });
    }
    if !(1..=50).contains(&min_ppgs) {
        return Err(AppError::bad_input(
            "minPpgs",
            "A pattern needs reports from 1 to 50 PPGs.",
        ));
    }
    if !(7..=730).contains(&window_days) {
        return Err(AppError::bad_input(
            "windowDays",
            "The window is 7 to 730 days.",
        ));
    }
    let council = groups::get(db, area)
        .await
        .map_err(|_| AppError::bad_input("areaId", "There is no area with that id."))?;
    if council.kind != GroupKind::Council {
        return Err(AppError::bad_input(
            "areaId",
            "An area is named by its Patients' Council.",
        ));
    }
    let txn = db.begin().await?;
    area_setting::Entity::delete_by_id(area.0)
        .exec(&txn)
        .await?;
    area_setting::ActiveModel {
        area_id: Set(area.0),
        pattern_min_ppgs: Set(min_ppgs),
        pattern_window_days: Set(window_days),
        updated_at: Set(crate::services::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "area.pattern_rule_set",
        Subject::Group(area.0),
        json!({ "min_ppgs": min_ppgs, "window_days": window_days }),
    )
    .await?;
    for provider in providers_of(&txn, Some(area)).await? {
        recompute(&txn, area, provider).await?;
    }
    txn.commit().await?;
    Ok(PatternRule::new(min_ppgs, window_days))
}

/// A new report, as detection sees it.
struct Arrival {
    pub item: ItemId,
    pub area: GroupId,
    pub provider: ProviderId,
    pub ppg: GroupId,
    pub district: GroupId,
    pub at: DateTime<Utc>,
    pub keys: Vec<Option<ThemeId>>,
}

/// A pattern a new report joined, for the reply to whoever raised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub pattern_id: PatternId,
    pub theme_id: Option<ThemeId>,
    pub status: PatternStatus,
    pub owner_group_id: GroupId,
    /// Other PPGs that reported the same within the window up to this report.
    pub other_ppgs: usize,
    pub window_days: i64,
}

/// The patterns a report counts towards, from its sentiment and themes (suggested ones
/// too: most reports are not classified by hand).
fn keys_of(
    sentiment: Sentiment,
    themes: &[(ThemeId, Polarity)],
    heading_of: &HashMap<ThemeId, ThemeId>,
) -> Vec<Option<ThemeId>> {
    let headings: Vec<ThemeId> = themes
        .iter()
        .filter(|(_, polarity)| polarity.is_concern())
        .filter_map(|(theme, _)| heading_of.get(theme).copied())
        .collect();
    pattern::keys(Polarity::from(sentiment).is_concern(), &headings)
}

fn theme_filter(theme: Option<ThemeId>) -> sea_orm::Condition {
    match theme {
        Some(theme) => sea_orm::Condition::all().add(db::Column::ThemeId.eq(theme.0)),
        None => sea_orm::Condition::all().add(db::Column::ThemeId.is_null()),
    }
}

/// Adds a stored item, just raised with these themes, to the patterns it counts towards (a
/// report from a PPG about a provider of the register), in the caller's transaction.
pub(crate) async fn observe_in(
    txn: &impl ConnectionTrait,
    item: &item_row::Model,
    themes: &[(ThemeId, Polarity)],
) -> AppResult<Vec<Joined>> {
    let (Some(provider), Some(area)) = (item.provider_id, item.area_id) else {
        return Ok(Vec::new());
    };
    let origin = groups::get(txn, GroupId(item.origin_group_id)).await?;
    let (GroupKind::Ppg, Some(district)) = (origin.kind, origin.parent_id) else {
        return Ok(Vec::new());
    };
    let sentiment = Sentiment::from_db(&item.sentiment)
        .ok_or_else(|| crate::services::corrupt("items", item.id, "sentiment"))?;
    let heading_of = if themes.is_empty() {
        HashMap::new()
    } else {
        headings(txn).await?
    };
    let arrival = Arrival {
        item: ItemId(item.id),
        area: GroupId(area),
        provider: ProviderId(provider),
        ppg: origin.id,
        district,
        at: item.created_at,
        keys: keys_of(sentiment, themes, &heading_of),
    };
    on_raise(txn, &arrival).await
}

/// `observe_in` for an item already stored with its themes, in a transaction of its own: how
/// an import (or a test) hands Pyramid items one at a time.
pub async fn observe(db: &DatabaseConnection, item: ItemId) -> AppResult<Vec<Joined>> {
    let txn = db.begin().await?;
    let model = item_row::Entity::find_by_id(item.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("item"))?;
    let mut themes = Vec::new();
    for row in item_classification::Entity::find()
        .filter(item_classification::Column::ItemId.eq(item.0))
        .all(&txn)
        .await?
    {
        let polarity = Polarity::from_db(&row.polarity).ok_or_else(|| {
            crate::services::corrupt("item_classifications", row.item_id, "polarity")
        })?;
        themes.push((ThemeId(row.theme_id), polarity));
    }
    let joined = observe_in(&txn, &model, &themes).await?;
    txn.commit().await?;
    Ok(joined)
}

/// Adds a new report to the patterns it counts towards: a few statements per pattern. A
/// report older than the latest run's newest (an import of past reports) can reshape older
/// runs, so its provider's patterns are worked out again instead.
async fn on_raise(txn: &impl ConnectionTrait, arrival: &Arrival) -> AppResult<Vec<Joined>> {
    if arrival.keys.is_empty() {
        return Ok(Vec::new());
    }
    lock_provider(txn, arrival.area, arrival.provider).await?;
    let rule = rule_of(txn, arrival.area).await?;
    let mut joined = Vec::new();
    for key in &arrival.keys {
        let latest = db::Entity::find()
            .filter(db::Column::AreaId.eq(arrival.area.0))
            .filter(db::Column::ProviderId.eq(arrival.provider.0))
            .filter(theme_filter(*key))
            .order_by_desc(db::Column::LastSeen)
            .order_by_desc(db::Column::Id)
            .one(txn)
            .await?;
        let found = match latest {
            Some(row) if arrival.at < row.last_seen => {
                recompute(txn, arrival.area, arrival.provider).await?;
                return joined_after_recompute(txn, arrival, rule).await;
            }
            Some(row) if arrival.at - row.last_seen <= rule.window => {
                join(txn, arrival, row, rule).await?
            }
            _ => start(txn, arrival, *key, rule).await?,
        };
        joined.push(found);
    }
    Ok(joined)
}

/// What a report joined, read back after its provider's patterns were worked out again.
async fn joined_after_recompute(
    txn: &impl ConnectionTrait,
    arrival: &Arrival,
    rule: PatternRule,
) -> AppResult<Vec<Joined>> {
    let ids: Vec<i64> = item_db::Entity::find()
        .select_only()
        .column(item_db::Column::PatternId)
        .filter(item_db::Column::ItemId.eq(arrival.item.0))
        .into_tuple()
        .all(txn)
        .await?;
    let mut joined = Vec::new();
    for row in db::Entity::find()
        .filter(db::Column::Id.is_in(ids))
        .order_by_asc(db::Column::Id)
        .all(txn)
        .await?
    {
        let pattern = from_model(row)?;
        let since = arrival.at - rule.window;
        let others: BTreeSet<i64> = item_db::Entity::find()
            .filter(item_db::Column::PatternId.eq(pattern.id.0))
            .filter(item_db::Column::RaisedAt.gte(since))
            .filter(item_db::Column::RaisedAt.lte(arrival.at))
            .filter(item_db::Column::PpgId.ne(arrival.ppg.0))
            .all(txn)
            .await?
            .into_iter()
            .map(|r| r.ppg_id)
            .collect();
        joined.push(Joined {
            pattern_id: pattern.id,
            theme_id: pattern.theme_id,
            status: pattern.status,
            owner_group_id: pattern.owner_group_id,
            other_ppgs: others.len(),
            window_days: rule.window.num_days(),
        });
    }
    Ok(joined)
}

/// Makes detection for one provider of an area take turns, until the transaction ends: two
/// reports about it raised at once (on several server instances) would otherwise both extend
/// the run they read, or both start one. SQLite has one writer at a time already.
async fn lock_provider(
    txn: &impl ConnectionTrait,
    area: GroupId,
    provider: ProviderId,
) -> AppResult<()> {
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [format!("pyramid-patterns:{area}:{provider}").into()],
        ))
        .await?;
    }
    Ok(())
}

/// Starts a new run with one report.
async fn start(
    txn: &impl ConnectionTrait,
    arrival: &Arrival,
    key: Option<ThemeId>,
    rule: PatternRule,
) -> AppResult<Joined> {
    let (status, event) =
        pattern::reconcile(PatternStatus::Watching, rule.min_ppgs <= 1, 0, 1, None);
    let row = db::ActiveModel {
        area_id: Set(arrival.area.0),
        provider_id: Set(arrival.provider.0),
        theme_id: Set(key.map(|t| t.0)),
        owner_group_id: Set(arrival.district.0),
        status: Set(status.as_str().to_owned()),
        first_seen: Set(arrival.at),
        last_seen: Set(arrival.at),
        ppg_count: Set(1),
        item_count: Set(1),
        dismissed_at_count: Set(None),
        dismissed_reason: Set(None),
        reopened_because: Set(None),
        taken_up_item_id: Set(None),
        updated_at: Set(arrival.at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    add_items(txn, row.id, &[(arrival.item, arrival.ppg, arrival.at)]).await?;
    if let Some(kind) = event {
        record(txn, &row, kind, None, None).await?;
    }
    Ok(Joined {
        pattern_id: PatternId(row.id),
        theme_id: key,
        status,
        owner_group_id: arrival.district,
        other_ppgs: 0,
        window_days: rule.window.num_days(),
    })
}

/// Adds a report to the latest run it falls within.
async fn join(
    txn: &impl ConnectionTrait,
    arrival: &Arrival,
    row: db::Model,
    rule: PatternRule,
) -> AppResult<Joined> {
    let before = from_model(row.clone())?;
    let since = arrival.at - rule.window;
    // The PPGs that reported into the run within one window of this report (an index range,
    // however long the run), then whether this PPG ever did, when not among them.
    let mut in_window: BTreeSet<i64> = item_db::Entity::find()
        .select_only()
        .column(item_db::Column::PpgId)
        .distinct()
        .filter(item_db::Column::PatternId.eq(row.id))
        .filter(item_db::Column::RaisedAt.gte(since))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let new_ppg = !in_window.contains(&arrival.ppg.0)
        && item_db::Entity::find()
            .select_only()
            .column(item_db::Column::ItemId)
            .filter(item_db::Column::PatternId.eq(row.id))
            .filter(item_db::Column::PpgId.eq(arrival.ppg.0))
            .into_tuple::<i64>()
            .one(txn)
            .await?
            .is_none();
    let others = in_window.iter().filter(|p| **p != arrival.ppg.0).count();
    in_window.insert(arrival.ppg.0);
    let is_pattern = before.status.is_shown() || in_window.len() >= rule.min_ppgs;
    let council = arrival.area;
    let owner = if before.owner_group_id == arrival.district {
        arrival.district
    } else {
        council
    };
    let items = before.item_count + 1;
    let (status, event) = pattern::reconcile(
        before.status,
        is_pattern,
        before.item_count,
        items,
        before.dismissed_at_count,
    );
    add_items(txn, row.id, &[(arrival.item, arrival.ppg, arrival.at)]).await?;
    let mut update: db::ActiveModel = row.into();
    update.last_seen = Set(arrival.at);
    update.item_count = Set(count(items)?);
    update.ppg_count = Set(count(before.ppg_count + usize::from(new_ppg))?);
    update.owner_group_id = Set(owner.0);
    update.status = Set(status.as_str().to_owned());
    update.updated_at = Set(arrival.at);
    if event == Some(PatternEventKind::Reopened) {
        update.reopened_because = Set(Some(reopened_because(&before, items)));
    }
    let row = update.update(txn).await?;
    if let Some(kind) = event {
        record(txn, &row, kind, None, None).await?;
    }
    if owner != before.owner_group_id && before.status.is_shown() && status.is_shown() {
        record(txn, &row, PatternEventKind::Moved, None, None).await?;
    }
    Ok(Joined {
        pattern_id: before.id,
        theme_id: before.theme_id,
        status,
        owner_group_id: owner,
        other_ppgs: others,
        window_days: rule.window.num_days(),
    })
}

fn count(n: usize) -> AppResult<i32> {
    i32::try_from(n).map_err(|e| AppError::internal(e, "counting a pattern's reports"))
}

fn reopened_because(before: &pattern::Pattern, items: usize) -> RedactedText {
    let at = before.dismissed_at_count.unwrap_or(before.item_count);
    let more = items.saturating_sub(at);
    RedactedText::scrub(&format!(
        "{more} more report{} since it was dismissed at {at}.",
        if more == 1 { "" } else { "s" }
    ))
}

async fn add_items(
    txn: &impl ConnectionTrait,
    pattern: i64,
    items: &[(ItemId, GroupId, DateTime<Utc>)],
) -> AppResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    item_db::Entity::insert_many(items.iter().map(|(item, ppg, at)| item_db::ActiveModel {
        pattern_id: Set(pattern),
        item_id: Set(item.0),
        ppg_id: Set(ppg.0),
        raised_at: Set(*at),
    }))
    .exec(txn)
    .await?;
    Ok(())
}

/// Records what happened to a pattern; when a provider-wide pattern opened, reopened or
/// moved, its owner's officers are told. (Every report in a theme's pattern is in its
/// provider's too, so one message covers both; the themes show in the pattern's counts.)
pub(super) async fn record(
    txn: &impl ConnectionTrait,
    row: &db::Model,
    kind: PatternEventKind,
    actor: Option<MemberId>,
    note: Option<RedactedText>,
) -> AppResult<i64> {
    let event = event_db::ActiveModel {
        pattern_id: Set(row.id),
        kind: Set(kind.as_str().to_owned()),
        owner_group_id: Set(row.owner_group_id),
        actor_id: Set(actor.map(|m| m.0)),
        note: Set(note),
        at: Set(crate::services::now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if row.theme_id.is_none()
        && matches!(
            kind,
            PatternEventKind::Opened | PatternEventKind::Reopened | PatternEventKind::Moved
        )
    {
        alert(txn, row, kind, event.id).await?;
    }
    Ok(event.id)
}

/// Queues a pattern alert for each officer of the group the pattern belongs to, by the
/// media each of them chose.
async fn alert(
    txn: &impl ConnectionTrait,
    row: &db::Model,
    kind: PatternEventKind,
    event_id: i64,
) -> AppResult<()> {
    let officers: Vec<i64> = membership::Entity::find()
        .select_only()
        .column(membership::Column::MemberId)
        .filter(membership::Column::GroupId.eq(row.owner_group_id))
        .filter(membership::Column::Until.is_null())
        .filter(membership::Column::Role.is_in([Role::Secretary.as_str(), Role::Chair.as_str()]))
        .distinct()
        .into_tuple()
        .all(txn)
        .await?;
    if officers.is_empty() {
        return Ok(());
    }
    let provider = providers::get(txn, ProviderId(row.provider_id)).await?;
    let theme = match row.theme_id {
        Some(theme) => Some(themes::get(txn, ThemeId(theme)).await?.name),
        None => None,
    };
    let window_days = rule_of(txn, GroupId(row.area_id)).await?.window.num_days();
    for officer in officers {
        crate::services::delivery::tell_member(
            txn,
            MemberId(officer),
            Message::PatternAlert {
                pattern_id: PatternId(row.id),
                event_id,
                change: kind,
                provider: provider.name.as_str().to_owned(),
                theme: theme.clone(),
                ppg_count: row.ppg_count,
                item_count: row.item_count,
                group_id: GroupId(row.owner_group_id),
                window_days,
                reopened_because: row.reopened_because.clone(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The (area, provider) pairs with reports or patterns, in order.
async fn providers_of(
    conn: &impl ConnectionTrait,
    area: Option<GroupId>,
) -> AppResult<Vec<ProviderId>> {
    let mut from_items = item_row::Entity::find()
        .select_only()
        .column(item_row::Column::ProviderId)
        .filter(item_row::Column::ProviderId.is_not_null())
        .distinct();
    let mut from_patterns = db::Entity::find()
        .select_only()
        .column(db::Column::ProviderId)
        .distinct();
    if let Some(area) = area {
        from_items = from_items.filter(item_row::Column::AreaId.eq(area.0));
        from_patterns = from_patterns.filter(db::Column::AreaId.eq(area.0));
    }
    let mut found: BTreeSet<i64> = from_items
        .into_tuple::<Option<i64>>()
        .all(conn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    found.extend(from_patterns.into_tuple::<i64>().all(conn).await?);
    Ok(found.into_iter().map(ProviderId).collect())
}

/// The areas with reports or patterns.
async fn areas(conn: &impl ConnectionTrait) -> AppResult<Vec<GroupId>> {
    let mut found: BTreeSet<i64> = item_row::Entity::find()
        .select_only()
        .column(item_row::Column::AreaId)
        .filter(item_row::Column::ProviderId.is_not_null())
        .distinct()
        .into_tuple::<Option<i64>>()
        .all(conn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    found.extend(
        db::Entity::find()
            .select_only()
            .column(db::Column::AreaId)
            .distinct()
            .into_tuple::<i64>()
            .all(conn)
            .await?,
    );
    Ok(found.into_iter().map(GroupId).collect())
}

/// A provider's reports of concern in an area, by the pattern each counts towards.
async fn reports_of(
    conn: &impl ConnectionTrait,
    area: GroupId,
    provider: ProviderId,
) -> AppResult<HashMap<Option<ThemeId>, Vec<Report>>> {
    let rows: Vec<(i64, i64, DateTime<Utc>, String)> = item_row::Entity::find()
        .select_only()
        .column(item_row::Column::Id)
        .column(item_row::Column::OriginGroupId)
        .column(item_row::Column::CreatedAt)
        .column(item_row::Column::Sentiment)
        .filter(item_row::Column::AreaId.eq(area.0))
        .filter(item_row::Column::ProviderId.eq(provider.0))
        .into_tuple()
        .all(conn)
        .await?;
    let origins: Vec<GroupId> = rows
        .iter()
        .map(|r| GroupId(r.1))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let origin_groups = groups::get_many(conn, &origins).await?;
    let heading_of = headings(conn).await?;
    let mut themes_of: HashMap<i64, Vec<(ThemeId, Polarity)>> = HashMap::new();
    for chunk in rows.chunks(500) {
        for row in item_classification::Entity::find()
            .filter(item_classification::Column::ItemId.is_in(chunk.iter().map(|r| r.0)))
            .all(conn)
            .await?
        {
            let polarity = Polarity::from_db(&row.polarity).ok_or_else(|| {
                crate::services::corrupt("item_classifications", row.item_id, "polarity")
            })?;
            themes_of
                .entry(row.item_id)
                .or_default()
                .push((ThemeId(row.theme_id), polarity));
        }
    }
    let mut by_key: HashMap<Option<ThemeId>, Vec<Report>> = HashMap::new();
    for (id, origin, at, sentiment) in rows {
        let Some(group) = origin_groups.get(&GroupId(origin)) else {
            continue;
        };
        let (GroupKind::Ppg, Some(district)) = (group.kind, group.parent_id) else {
            continue;
        };
        let sentiment = Sentiment::from_db(&sentiment)
            .ok_or_else(|| crate::services::corrupt("items", id, "sentiment"))?;
        let themes = themes_of.remove(&id).unwrap_or_default();
        for key in keys_of(sentiment, &themes, &heading_of) {
            by_key.entry(key).or_default().push(Report {
                at,
                item: ItemId(id),
                ppg: group.id,
                district,
            });
        }
    }
    Ok(by_key)
}

/// Each theme's heading.
pub(crate) async fn headings(conn: &impl ConnectionTrait) -> AppResult<HashMap<ThemeId, ThemeId>> {
    Ok(themes::all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.heading()))
        .collect())
}

/// Works a provider's patterns in an area out again from its items, keeping what people did
/// with the patterns that are still there.
pub(crate) async fn recompute(
    txn: &impl ConnectionTrait,
    area: GroupId,
    provider: ProviderId,
) -> AppResult<()> {
    lock_provider(txn, area, provider).await?;
    let rule = rule_of(txn, area).await?;
    let mut reports = reports_of(txn, area, provider).await?;
    let stored = db::Entity::find()
        .filter(db::Column::AreaId.eq(area.0))
        .filter(db::Column::ProviderId.eq(provider.0))
        .order_by_asc(db::Column::Id)
        .all(txn)
        .await?;
    let mut members: HashMap<i64, HashSet<ItemId>> = HashMap::new();
    for row in item_db::Entity::find()
        .filter(item_db::Column::PatternId.is_in(stored.iter().map(|p| p.id)))
        .all(txn)
        .await?
    {
        members
            .entry(row.pattern_id)
            .or_default()
            .insert(ItemId(row.item_id));
    }
    let mut by_key: HashMap<Option<ThemeId>, Vec<db::Model>> = HashMap::new();
    for row in stored {
        by_key
            .entry(row.theme_id.map(ThemeId))
            .or_default()
            .push(row);
    }
    let mut keys: BTreeSet<Option<ThemeId>> = reports.keys().copied().collect();
    keys.extend(by_key.keys().copied());
    for key in keys {
        let runs = pattern::runs(reports.remove(&key).unwrap_or_default(), rule);
        let rows = by_key.remove(&key).unwrap_or_default();
        reconcile_key(txn, area, provider, key, runs, rows, &members, rule).await?;
    }
    Ok(())
}

/// Matches a key's runs with its stored patterns (each run takes the unmatched pattern it
/// shares most items with), updates those, adds the new and removes the vanished.
#[allow(clippy::too_many_arguments)]
async fn reconcile_key(
    txn: &impl ConnectionTrait,
    area: GroupId,
    provider: ProviderId,
    key: Option<ThemeId>,
    runs: Vec<Run>,
    rows: Vec<db::Model>,
    members: &HashMap<i64, HashSet<ItemId>>,
    rule: PatternRule,
) -> AppResult<()> {
    let empty = HashSet::new();
    let mut unmatched: Vec<Option<db::Model>> = rows.into_iter().map(Some).collect();
    for run in runs {
        let items: HashSet<ItemId> = run.reports.iter().map(|r| r.item).collect();
        let best = unmatched
            .iter()
            .enumerate()
            .filter_map(|(n, row)| {
                let row = row.as_ref()?;
                let shared = members
                    .get(&row.id)
                    .unwrap_or(&empty)
                    .intersection(&items)
                    .count();
                (shared > 0).then_some((shared, std::cmp::Reverse(row.id), n))
            })
            .max()
            .map(|(_, _, n)| n);
        let existing = best.and_then(|n| unmatched[n].take());
        let old_items = existing
            .as_ref()
            .map_or(&empty, |row| members.get(&row.id).unwrap_or(&empty));
        write_run(
            txn,
            area,
            provider,
            key,
            &run,
            existing.clone(),
            old_items,
            rule,
        )
        .await?;
    }
    for row in unmatched.into_iter().flatten() {
        item_db::Entity::delete_many()
            .filter(item_db::Column::PatternId.eq(row.id))
            .exec(txn)
            .await?;
        event_db::Entity::delete_many()
            .filter(event_db::Column::PatternId.eq(row.id))
            .exec(txn)
            .await?;
        db::Entity::delete_by_id(row.id).exec(txn).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn write_run(
    txn: &impl ConnectionTrait,
    area: GroupId,
    provider: ProviderId,
    key: Option<ThemeId>,
    run: &Run,
    existing: Option<db::Model>,
    old_items: &HashSet<ItemId>,
    rule: PatternRule,
) -> AppResult<()> {
    let council = area;
    let is_pattern = run.is_pattern(rule);
    let owner = run.owner(council);
    let items: Vec<(ItemId, GroupId, DateTime<Utc>)> =
        run.reports.iter().map(|r| (r.item, r.ppg, r.at)).collect();
    let same_items =
        items.len() == old_items.len() && items.iter().all(|(item, _, _)| old_items.contains(item));
    let now = crate::services::now();
    match existing {
        Some(row) => {
            let before = from_model(row.clone())?;
            let (status, event) = pattern::reconcile(
                before.status,
                is_pattern,
                before.item_count,
                items.len(),
                before.dismissed_at_count,
            );
            let changed = !same_items
                || owner != before.owner_group_id
                || status != before.status
                || run.ppgs().len() != before.ppg_count
                || run.first_seen() != before.first_seen
                || run.last_seen() != before.last_seen;
            if !changed {
                return Ok(());
            }
            if !same_items {
                item_db::Entity::delete_many()
                    .filter(item_db::Column::PatternId.eq(row.id))
                    .exec(txn)
                    .await?;
                add_items(txn, row.id, &items).await?;
            }
            let mut update: db::ActiveModel = row.into();
            update.first_seen = Set(run.first_seen());
            update.last_seen = Set(run.last_seen());
            update.item_count = Set(count(items.len())?);
            update.ppg_count = Set(count(run.ppgs().len())?);
            update.owner_group_id = Set(owner.0);
            update.status = Set(status.as_str().to_owned());
            update.updated_at = Set(now);
            if event == Some(PatternEventKind::Reopened) {
                update.reopened_because = Set(Some(reopened_because(&before, items.len())));
            }
            let row = update.update(txn).await?;
            if let Some(kind) = event {
                record(txn, &row, kind, None, None).await?;
            }
            if owner != before.owner_group_id
                && before.status.is_shown()
                && status.is_shown()
                && event != Some(PatternEventKind::Opened)
            {
                record(txn, &row, PatternEventKind::Moved, None, None).await?;
            }
        }
        None => {
            let (status, event) =
                pattern::reconcile(PatternStatus::Watching, is_pattern, 0, items.len(), None);
            let row = db::ActiveModel {
                area_id: Set(area.0),
                provider_id: Set(provider.0),
                theme_id: Set(key.map(|t| t.0)),
                owner_group_id: Set(owner.0),
                status: Set(status.as_str().to_owned()),
                first_seen: Set(run.first_seen()),
                last_seen: Set(run.last_seen()),
                ppg_count: Set(count(run.ppgs().len())?),
                item_count: Set(count(items.len())?),
                dismissed_at_count: Set(None),
                dismissed_reason: Set(None),
                reopened_because: Set(None),
                taken_up_item_id: Set(None),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            add_items(txn, row.id, &items).await?;
            if let Some(kind) = event {
                record(txn, &row, kind, None, None).await?;
            }
        }
    }
    Ok(())
}

/// What a rebuild did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildSummary {
    pub providers: usize,
    /// Patterns shown (at or above their area's threshold) afterwards.
    pub patterns: u64,
}

/// Works every pattern out again from the items (the operator's `pyramid patterns rebuild`),
/// one provider at a time, each in its own transaction; what people did with patterns that
/// are still there is kept.
pub async fn rebuild(db: &DatabaseConnection, actor: &Actor) -> AppResult<RebuildSummary> {
    if !matches!(actor, Actor::System) {
        return Err(AppError::Forbidden(
            "Patterns are rebuilt by the operator, at the command line.".to_owned(),
        ));
    }
    let mut summary = RebuildSummary::default();
    for area in areas(db).await? {
        for provider in providers_of(db, Some(area)).await? {
            let txn = db.begin().await?;
            recompute(&txn, area, provider).await?;
            txn.commit().await?;
            summary.providers += 1;
        }
    }
    summary.patterns = db::Entity::find()
        .filter(db::Column::Status.ne(PatternStatus::Watching.as_str()))
        .count(db)
        .await?;
    Ok(summary)
}
