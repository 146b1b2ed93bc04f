//! What the officers of the group a pattern belongs to do with it: acknowledge it, take it up
//! (as a new item at their tier, or by pointing it at one they hold), or dismiss it with a
//! reason (it reopens, and says why, if it grows).

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde_json::json;

use super::detect::record;
use super::{counts, from_model, not_found};
use crate::domain::authz::{self, Actor};
use crate::domain::item::{Channel, InformationSource, ItemKind, Sentiment};
use crate::domain::pattern::{Pattern, PatternEventKind, PatternStatus};
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::theme::Polarity;
use crate::domain::{ItemId, PatternId};
use crate::entities::pattern as db;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::items::{self, RaiseItem, ThemeChoice};
use crate::services::{groups, providers, themes};

/// Loads a pattern the caller may see and act on, in the transaction that changes it.
async fn load_for_action(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: PatternId,
) -> AppResult<db::Model> {
    let pattern = super::get(txn, actor, id).await?;
    authz::may_act_on_pattern(actor, pattern.owner_group_id)?;
    db::Entity::find_by_id(id.0)
        .one(txn)
        .await?
        .ok_or_else(not_found)
}

/// The officers have seen the pattern.
#[tracing::instrument(skip_all, fields(pattern = %id, member = ?actor.member_id()))]
pub async fn acknowledge(
    db: &DatabaseConnection,
    actor: &Actor,
    id: PatternId,
) -> AppResult<Pattern> {
    let txn = db.begin().await?;
    let row = load_for_action(&txn, actor, id).await?;
    let pattern = from_model(row.clone())?;
    if pattern.status != PatternStatus::Open {
        return Err(AppError::Conflict(format!(
            "This pattern is {}, not open: only an open pattern is acknowledged.",
            status_words(pattern.status)
        )));
    }
    let row = set_status(&txn, row, PatternStatus::Acknowledged, |_| {}).await?;
    record(
        &txn,
        &row,
        PatternEventKind::Acknowledged,
        actor.member_id(),
        None,
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "pattern.acknowledged",
        Subject::Pattern(id.0),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    from_model(row)
}

/// Not a pattern, in the officers' judgement, for this reason. It reopens if it grows.
#[tracing::instrument(skip_all, fields(pattern = %id, member = ?actor.member_id()))]
pub async fn dismiss(
    db: &DatabaseConnection,
    actor: &Actor,
    id: PatternId,
    reason: &str,
) -> AppResult<Pattern> {
    let reason = parse_redacted("reason", "The reason", reason, text::NOTE, &mut Vec::new())?;
    let txn = db.begin().await?;
    let row = load_for_action(&txn, actor, id).await?;
    let pattern = from_model(row.clone())?;
    if matches!(
        pattern.status,
        PatternStatus::Dismissed | PatternStatus::TakenUp
    ) {
        return Err(AppError::Conflict(format!(
            "This pattern is already {}.",
            status_words(pattern.status)
        )));
    }
    let items = row.item_count;
    let note = reason.clone();
    let row = set_status(&txn, row, PatternStatus::Dismissed, move |update| {
        update.dismissed_at_count = Set(Some(items));
        update.dismissed_reason = Set(Some(reason));
        update.reopened_because = Set(None);
    })
    .await?;
    record(
        &txn,
        &row,
        PatternEventKind::Dismissed,
        actor.member_id(),
        Some(note),
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "pattern.dismissed",
        Subject::Pattern(id.0),
        json!({ "at_count": items }),
    )
    .await?;
    txn.commit().await?;
    from_model(row)
}

/// Takes the pattern up at its owner's tier: as a new concern there (with the pattern's
/// counts, never the reports' text), or, with `item`, by pointing it at an item the group
/// already holds.
#[tracing::instrument(skip_all, fields(pattern = %id, member = ?actor.member_id()))]
pub async fn take_up(
    db: &DatabaseConnection,
    actor: &Actor,
    id: PatternId,
    item: Option<ItemId>,
) -> AppResult<Pattern> {
    let pattern = super::get(db, actor, id).await?;
    authz::may_act_on_pattern(actor, pattern.owner_group_id)?;
    if pattern.status == PatternStatus::TakenUp {
        return Err(AppError::Conflict(
            "This pattern has been taken up already.".to_owned(),
        ));
    }
    let item = match item {
        Some(item) => {
            let found = items::get(db, actor, item).await?;
            if found.current_group_id != pattern.owner_group_id {
                return Err(AppError::bad_input(
                    "itemId",
                    "Take a pattern up with an item your group holds now.",
                ));
            }
            found
        }
        // The key makes a retry (after a lost answer, or a crash before the pattern was
        // marked) find the same item rather than raise a second.
        None => {
            let raise = new_item(db, &pattern).await?;
            let key = raise.idempotency_key.clone().unwrap_or_default();
            match items::raised_with_key(db, actor, &key).await? {
                Some(earlier) => earlier,
                None => items::raise(db, actor, raise).await?.item,
            }
        }
    };
    let txn = db.begin().await?;
    let row = load_for_action(&txn, actor, id).await?;
    let note = RedactedText::scrub(&format!("Taken up as {}.", item.reference));
    let row = set_status(&txn, row, PatternStatus::TakenUp, move |update| {
        update.taken_up_item_id = Set(Some(item.id.0));
    })
    .await?;
    record(
        &txn,
        &row,
        PatternEventKind::TakenUp,
        actor.member_id(),
        Some(note),
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "pattern.taken_up",
        Subject::Pattern(id.0),
        json!({ "item_id": item.id.0 }),
    )
    .await?;
    txn.commit().await?;
    from_model(row)
}

async fn set_status(
    txn: &sea_orm::DatabaseTransaction,
    row: db::Model,
    status: PatternStatus,
    also: impl FnOnce(&mut db::ActiveModel),
) -> AppResult<db::Model> {
    let mut update: db::ActiveModel = row.into();
    update.status = Set(status.as_str().to_owned());
    update.updated_at = Set(crate::services::now());
    also(&mut update);
    Ok(update.update(txn).await?)
}

fn status_words(status: PatternStatus) -> &'static str {
    match status {
        PatternStatus::Watching => "not yet a pattern",
        PatternStatus::Open => "open",
        PatternStatus::Acknowledged => "acknowledged",
        PatternStatus::TakenUp => "taken up",
        PatternStatus::Dismissed => "dismissed",
    }
}

/// The concern a pattern becomes at its owner's tier: what it is about and its counts.
async fn new_item(db: &DatabaseConnection, pattern: &Pattern) -> AppResult<RaiseItem> {
    let provider = providers::get(db, pattern.provider_id).await?;
    let theme = match pattern.theme_id {
        Some(theme) => Some(themes::get(db, theme).await?),
        None => None,
    };
    let counted = counts(db, std::slice::from_ref(pattern))
        .await?
        .remove(&pattern.id)
        .unwrap_or_default();
    let ppgs = groups::get_many(
        db,
        &counted.by_ppg.iter().map(|(g, _)| *g).collect::<Vec<_>>(),
    )
    .await?;
    let about = match &theme {
        Some(theme) => format!("{} ({})", provider.name.as_str(), theme.name),
        None => provider.name.as_str().to_owned(),
    };
    let day = |at: chrono::DateTime<chrono::Utc>| at.format("%-d %B %Y").to_string();
    let by_ppg: Vec<String> = counted
        .by_ppg
        .iter()
        .map(|(group, n)| {
            let name = ppgs
                .get(group)
                .map_or_else(|| "a PPG".to_owned(), |g| g.name.as_str().to_owned());
            format!("{name}: {n}")
        })
        .collect();
    let by_month: Vec<String> = counted
        .by_month
        .iter()
        .map(|(month, n)| format!("{month}: {n}"))
        .collect();
    let (first, last) = (day(pattern.first_seen), day(pattern.last_seen));
    let when = if first == last {
        format!("on {first}")
    } else {
        format!("between {first} and {last}")
    };
    let body = format!(
        "Pyramid found a pattern of concern: {} reports from {} PPGs about {about}, {when}.\n\nBy PPG: {}.\nBy month: {}.\n\nThe reports themselves stay with the PPGs that raised them.",
        pattern.item_count,
        pattern.ppg_count,
        by_ppg.join("; "),
        by_month.join("; "),
    );
    let title: String = format!("Pattern of concern: {about}")
        .chars()
        .take(200)
        .collect();
    Ok(RaiseItem {
        group_id: pattern.owner_group_id,
        kind: ItemKind::Concern,
        title,
        body,
        provider_id: Some(pattern.provider_id),
        provider_name: None,
        experienced_on: None,
        sentiment: Sentiment::Negative,
        information_source: InformationSource::Other,
        raised_with_pals: false,
        raised_as_complaint: false,
        safety_concern: false,
        themes: pattern
            .theme_id
            .map(|theme| ThemeChoice {
                theme_id: theme,
                polarity: Polarity::Negative,
            })
            .into_iter()
            .collect(),
        tags: Vec::new(),
        idempotency_key: Some(format!("pattern-{}-taken-up", pattern.id)),
        channel: Channel::Graphql,
        share_name: true,
    })
}
