//! Working a provider's patterns out again from its items (a correction, an out-of-order
//! report, a changed rule, or the operator's rebuild), keeping what people did with them.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{add_items, count, keys_of, lock_provider, record, reopened_because, rule_of};
use crate::domain::authz::Actor;
use crate::domain::group::GroupKind;
use crate::domain::item::Sentiment;
use crate::domain::pattern::{self, PatternEventKind, PatternRule, PatternStatus, Report, Run};
use crate::domain::theme::Polarity;
use crate::domain::{GroupId, ItemId, ProviderId, ThemeId};
use crate::entities::{
    item as item_row, item_classification, pattern as db, pattern_event as event_db,
    pattern_item as item_db,
};
use crate::error::{AppError, AppResult};
use crate::services::patterns::from_model;
use crate::services::{groups, themes};

/// The (area, provider) pairs with reports or patterns, in order.
pub(super) async fn providers_of(
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
        let key = Key {
            area,
            provider,
            theme: key,
            rule,
        };
        reconcile_key(txn, key, runs, rows, &members).await?;
    }
    Ok(())
}

/// Matches a key's runs with its stored patterns (each run takes the unmatched pattern it
/// shares most items with), updates those, adds the new and removes the vanished.
async fn reconcile_key(
    txn: &impl ConnectionTrait,
    key: Key,
    runs: Vec<Run>,
    rows: Vec<db::Model>,
    members: &HashMap<i64, HashSet<ItemId>>,
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
        write_run(txn, key, &run, existing.clone(), old_items).await?;
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

/// One pattern key (a provider, and a theme heading or none) of an area, under its rule.
#[derive(Debug, Clone, Copy)]
struct Key {
    area: GroupId,
    provider: ProviderId,
    theme: Option<ThemeId>,
    rule: PatternRule,
}

async fn write_run(
    txn: &impl ConnectionTrait,
    key: Key,
    run: &Run,
    existing: Option<db::Model>,
    old_items: &HashSet<ItemId>,
) -> AppResult<()> {
    let Key {
        area,
        provider,
        theme,
        rule,
    } = key;
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
                theme_id: Set(theme.map(|t| t.0)),
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
