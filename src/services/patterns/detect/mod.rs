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

mod recompute;
mod record;
mod rule;

pub use recompute::{RebuildSummary, rebuild};
pub(crate) use recompute::{headings, recompute};
pub(crate) use record::record;
pub use rule::{rule_of, set_rule};

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::domain::group::GroupKind;
use crate::domain::item::Sentiment;
use crate::domain::pattern::{self, PatternEventKind, PatternRule, PatternStatus};
use crate::domain::theme::Polarity;
use crate::domain::{GroupId, ItemId, PatternId, ProviderId, RedactedText, ThemeId};
use crate::entities::{
    item as item_row, item_classification, pattern as db, pattern_item as item_db,
};
use crate::error::{AppError, AppResult};
use crate::services::groups;
use crate::services::patterns::from_model;

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
    // In statements of at most a thousand rows: SQLite takes at most 32,766 values in one
    // statement, and a provider's pattern in a big area holds tens of thousands of reports.
    for chunk in items.chunks(1000) {
        item_db::Entity::insert_many(chunk.iter().map(|(item, ppg, at)| item_db::ActiveModel {
            pattern_id: Set(pattern),
            item_id: Set(item.0),
            ppg_id: Set(ppg.0),
            raised_at: Set(*at),
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
}
