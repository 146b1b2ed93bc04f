//! Correcting how an item is classified: its themes (accepting or replacing suggestions), its
//! provider from the register, and its severity, where 4 and 5 take the safety fast path.
//! Patterns of concern follow every correction in the same transaction.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use super::raise::ThemeChoice;
use super::rows::{from_model, status_of};
use super::trail::{self, NewEvent};
use crate::domain::authz::{self, Actor};
use crate::domain::item::{EventKind, Item, MAX_TAGS, Severity, Status};
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::{GroupId, ItemId, ProviderId};
use crate::entities::{item as db, item_classification};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::outbox::{self, Destination, Message};
use crate::services::{groups, patterns, providers, themes};

/// Loads an item the caller may see and may classify, in the transaction that changes it.
async fn load(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: ItemId,
    submitter_may: bool,
) -> AppResult<db::Model> {
    let item = super::get(txn, actor, id).await?;
    let standing = authz::standing(actor, item.current_group_id, item.area_id);
    let submitter_at_ppg = submitter_may
        && actor.member_id() == Some(item.submitter_id)
        && item.status == Status::Raised;
    authz::may_classify(actor, standing, submitter_at_ppg)?;
    trail::stored(txn, id).await
}

/// Replaces an item's themes with these (each with its polarity): how an officer accepts the
/// suggested themes, or corrects them.
#[tracing::instrument(skip_all, fields(item = %id, member = ?actor.member_id()))]
pub async fn set_themes(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    chosen: Vec<ThemeChoice>,
) -> AppResult<Item> {
    if chosen.len() > MAX_TAGS {
        return Err(AppError::bad_input(
            "themes",
            format!("An item can have at most {MAX_TAGS} themes."),
        ));
    }
    let txn = db.begin().await?;
    let model = load(&txn, actor, id, true).await?;
    let known =
        themes::get_many(&txn, &chosen.iter().map(|c| c.theme_id).collect::<Vec<_>>()).await?;
    if let Some(unknown) = chosen.iter().find(|c| !known.contains_key(&c.theme_id)) {
        return Err(AppError::bad_input(
            "themes",
            format!(
                "Theme {} is not in the vocabulary: ask for `themes` to see them.",
                unknown.theme_id
            ),
        ));
    }
    item_classification::Entity::delete_many()
        .filter(item_classification::Column::ItemId.eq(model.id))
        .exec(&txn)
        .await?;
    let now = crate::services::now();
    let mut seen = Vec::new();
    let rows: Vec<item_classification::ActiveModel> = chosen
        .iter()
        .filter(|c| {
            let fresh = !seen.contains(&c.theme_id);
            seen.push(c.theme_id);
            fresh
        })
        .map(|c| item_classification::ActiveModel {
            item_id: Set(model.id),
            theme_id: Set(c.theme_id.0),
            polarity: Set(c.polarity.as_str().to_owned()),
            suggested: Set(false),
            rule_id: Set(None),
            set_by: Set(actor.member_id().map(|m| m.0)),
            set_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        item_classification::Entity::insert_many(rows)
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        actor,
        "item.themes_set",
        Subject::Item(model.id),
        json!({ "themes": chosen.iter().map(|c| (c.theme_id.0, c.polarity.as_str())).collect::<Vec<_>>() }),
    )
    .await?;
    follow_patterns(&txn, &model, &[model.provider_id]).await?;
    txn.commit().await?;
    from_model(model)
}

/// Links an item to a provider of the register (or unlinks it, with `None`).
#[tracing::instrument(skip_all, fields(item = %id, member = ?actor.member_id()))]
pub async fn set_provider(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    provider: Option<ProviderId>,
) -> AppResult<Item> {
    let txn = db.begin().await?;
    let model = load(&txn, actor, id, true).await?;
    if let Some(provider) = provider {
        providers::get(&txn, provider).await.map_err(|_| {
            AppError::bad_input(
                "providerId",
                "There is no provider with that id in the register.",
            )
        })?;
    }
    let before = model.provider_id;
    let mut row: db::ActiveModel = model.into();
    row.provider_id = Set(provider.map(|p| p.0));
    row.updated_at = Set(crate::services::now());
    let model = row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "item.provider_set",
        Subject::Item(model.id),
        json!({ "from": before, "to": model.provider_id }),
    )
    .await?;
    follow_patterns(&txn, &model, &[before, model.provider_id]).await?;
    txn.commit().await?;
    from_model(model)
}

/// Works out again the patterns of the providers a correction touched.
async fn follow_patterns(
    txn: &sea_orm::DatabaseTransaction,
    item: &db::Model,
    touched: &[Option<i64>],
) -> AppResult<()> {
    let Some(area) = item.area_id else {
        return Ok(());
    };
    let mut done = Vec::new();
    for provider in touched.iter().flatten() {
        if !done.contains(provider) {
            done.push(*provider);
            patterns::detect::recompute(txn, GroupId(area), ProviderId(*provider)).await?;
        }
    }
    Ok(())
}

/// Scores an item's harm or risk to patients, 0 to 5, with the reason (needed for 4 and 5,
/// which take the safety fast path: referred to the quality team at once and seen by every
/// tier above its PPG).
#[tracing::instrument(skip_all, fields(item = %id, member = ?actor.member_id()))]
pub async fn set_severity(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    severity: i32,
    reason: Option<String>,
) -> AppResult<Item> {
    let severity = Severity::parse(severity)?;
    let reason = reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(|r| parse_redacted("reason", "The reason", r, text::NOTE, &mut Vec::new()))
        .transpose()?;
    if severity.is_safety() && reason.is_none() {
        return Err(AppError::bad_input(
            "reason",
            "Say why this is severity 4 or 5: it goes to the commissioners' quality team at once.",
        ));
    }
    let txn = db.begin().await?;
    let model = load(&txn, actor, id, false).await?;
    let status = status_of(&model)?;
    let note = RedactedText::scrub(&match &reason {
        Some(reason) => format!("Severity set to {}: {}", severity.value(), reason.as_str()),
        None => format!("Severity set to {}.", severity.value()),
    });
    let event = trail::record(
        &txn,
        actor,
        NewEvent {
            note: Some(note.clone()),
            ..NewEvent::new(&model, EventKind::Noted, status)
        },
    )
    .await?;
    let mut row: db::ActiveModel = model.into();
    row.severity = Set(Some(i16::from(severity.value())));
    row.severity_reason = Set(reason);
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(crate::services::now());
    let mut model = row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "item.severity_set",
        Subject::Item(model.id),
        json!({ "severity": severity.value() }),
    )
    .await?;
    if severity.is_safety() && !matches!(status, Status::Referred | Status::Responded) {
        model = refer_for_safety(&txn, actor, model, note).await?;
    }
    txn.commit().await?;
    from_model(model)
}

/// The safety fast path: the item is referred to the quality team at once, wherever it is
/// held, with an alert queued, and reaches every tier above its PPG, so the district and the
/// council can watch how long the quality team takes.
pub(crate) async fn refer_for_safety(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    model: db::Model,
    note: RedactedText,
) -> AppResult<db::Model> {
    let origin = GroupId(model.origin_group_id);
    for above in groups::ancestors(txn, origin).await? {
        trail::reach(txn, model.id, above.id).await?;
    }
    let referral = NewEvent {
        note: Some(note),
        ..NewEvent::new(&model, EventKind::SafetyReferred, Status::Referred)
    };
    let event = trail::record(txn, actor, referral).await?;
    let now = crate::services::now();
    let due = match model.area_id {
        Some(area) => Some(super::clock::due_on(txn, GroupId(area), now).await?),
        None => None,
    };
    let mut row: db::ActiveModel = model.into();
    row.status = Set(Status::Referred.as_str().to_owned());
    row.safety_concern = Set(true);
    row.referred_at = Set(Some(now));
    row.response_due_on = Set(due);
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(now);
    let model = row.update(txn).await?;
    outbox::enqueue(
        txn,
        Destination::QualityTeam,
        Message::SafetyAlert {
            item_id: ItemId(model.id),
            reference: model.reference.clone(),
            title: model.title.clone(),
            group_id: origin,
        },
    )
    .await?;
    Ok(model)
}
