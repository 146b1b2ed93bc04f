//! Watches: a member asks to hear about new items and pattern changes on a provider, a theme
//! or a severity, as a daily or weekly digest (through the outbox) and live (the `watched`
//! argument of the subscriptions). A digest holds only what the member may see when it is
//! made.
//!
//! Digests are made by whichever server instance gets there first: each watch's periods are
//! fixed (they start when the watch was made), a period is claimed by moving the watch's
//! `last_sent_at` on only if nobody else has, and the outbox's dedupe key names the period, so
//! no digest is sent twice.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Subject};
use super::outbox::Message;
use super::{items, members, patterns, providers, themes};
use crate::domain::authz::{self, Actor, Visibility};
use crate::domain::item::{Item, Severity};
use crate::domain::page::PageRequest;
use crate::domain::watch::{Frequency, Watch, covers_pattern, due_until};
use crate::domain::{MemberId, ProviderId, RedactedText, ThemeId, WatchId};
use crate::entities::{pattern as pattern_db, pattern_event, watch as db};
use crate::error::{AppError, AppResult};

/// The most watches one member keeps.
pub const MAX_WATCHES: u64 = 50;

fn from_model(m: db::Model) -> AppResult<Watch> {
    let bad = |what| super::corrupt("watches", m.id, what);
    Ok(Watch {
        id: WatchId(m.id),
        member_id: MemberId(m.member_id),
        provider_id: m.provider_id.map(ProviderId),
        theme_id: m.theme_id.map(ThemeId),
        min_severity: m
            .min_severity
            .map(|s| Severity::from_db(s).ok_or_else(|| bad("severity")))
            .transpose()?,
        frequency: Frequency::from_db(&m.frequency).ok_or_else(|| bad("frequency"))?,
        last_sent_at: m.last_sent_at,
    })
}

/// What a member asks to watch.
pub struct NewWatch {
    pub provider_id: Option<ProviderId>,
    pub theme_id: Option<ThemeId>,
    pub min_severity: Option<i32>,
    pub frequency: Frequency,
}

/// Starts a watch for the caller. Anyone who may see items (a member of a group, or a
/// commissioner) may watch; what reaches them is only ever what they may see.
#[tracing::instrument(skip_all, fields(member = ?actor.member_id()))]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewWatch) -> AppResult<Watch> {
    authz::may_see_people(actor)?;
    let member = actor.member_id().ok_or_else(|| {
        AppError::bad_input(
            "member",
            "Watches belong to a member: use a member's token.",
        )
    })?;
    if matches!(&authz::visibility(actor), Visibility::Scoped { areas, groups } if areas.is_empty() && groups.is_empty())
    {
        return Err(AppError::Forbidden(
            "You are not in any group yet, so there is nothing for you to watch.".to_owned(),
        ));
    }
    let min_severity = input.min_severity.map(Severity::parse).transpose()?;
    if input.provider_id.is_none() && input.theme_id.is_none() && min_severity.is_none() {
        return Err(AppError::bad_input(
            "providerId",
            "Say what to watch: a provider, a theme, a severity, or a mix of them.",
        ));
    }
    if let Some(provider) = input.provider_id {
        providers::get(db, provider).await.map_err(|_| {
            AppError::bad_input(
                "providerId",
                "There is no provider with that id in the register.",
            )
        })?;
    }
    if let Some(theme) = input.theme_id {
        themes::get(db, theme)
            .await
            .map_err(|_| AppError::bad_input("themeId", "There is no theme with that id."))?;
    }
    let txn = db.begin().await?;
    let held = db::Entity::find()
        .filter(db::Column::MemberId.eq(member.0))
        .count(&txn)
        .await?;
    if held >= MAX_WATCHES {
        return Err(AppError::bad_input(
            "providerId",
            format!("You can keep at most {MAX_WATCHES} watches: stop one you no longer need."),
        ));
    }
    let now = super::now();
    let model = db::ActiveModel {
        member_id: Set(member.0),
        provider_id: Set(input.provider_id.map(|p| p.0)),
        theme_id: Set(input.theme_id.map(|t| t.0)),
        min_severity: Set(min_severity.map(|s| i16::from(s.value()))),
        frequency: Set(input.frequency.as_str().to_owned()),
        last_sent_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "watch.created",
        Subject::Watch(model.id),
        json!({ "provider_id": model.provider_id, "theme_id": model.theme_id, "min_severity": model.min_severity, "frequency": model.frequency }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

/// The caller's watches, oldest first.
pub async fn mine(conn: &impl ConnectionTrait, actor: &Actor) -> AppResult<Vec<Watch>> {
    authz::may_see_people(actor)?;
    let Some(member) = actor.member_id() else {
        return Ok(Vec::new());
    };
    db::Entity::find()
        .filter(db::Column::MemberId.eq(member.0))
        .order_by_asc(db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// Stops one of the caller's watches.
#[tracing::instrument(skip_all, fields(watch = %id, member = ?actor.member_id()))]
pub async fn remove(db: &DatabaseConnection, actor: &Actor, id: WatchId) -> AppResult<()> {
    authz::may_see_people(actor)?;
    let txn = db.begin().await?;
    let found = db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .filter(|w| Some(MemberId(w.member_id)) == actor.member_id())
        .ok_or_else(|| AppError::NotFound("You have no watch with that id.".to_owned()))?;
    db::Entity::delete_by_id(found.id).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        "watch.removed",
        Subject::Watch(found.id),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The items a watch caught in a period, that its member may see now.
pub async fn items_caught(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    watch: &Watch,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<Item>> {
    let filter = items::ItemFilter {
        provider: watch.provider_id,
        theme: watch.theme_id,
        min_severity: watch.min_severity,
        raised_after: Some(after),
        raised_until: Some(until),
        ..Default::default()
    };
    let page = PageRequest {
        first: limit,
        after: None,
    };
    Ok(
        items::list(conn, actor, filter, items::ItemOrder::Oldest, page)
            .await?
            .items,
    )
}

/// Makes every digest that is due by `now`; returns how many were queued (periods with
/// nothing in them are passed over without a message).
pub async fn send_due(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<usize> {
    let candidates = db::Entity::find()
        .filter(db::Column::LastSentAt.lte(now - Duration::days(1)))
        .order_by_asc(db::Column::Id)
        .all(db)
        .await?;
    let mut sent = 0;
    for row in candidates {
        let watch = from_model(row)?;
        let Some(until) = due_until(&watch, now) else {
            continue;
        };
        if send_one(db, &watch, until).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// The most items one digest lists (the rest are counted).
const DIGEST_ITEMS: u64 = 30;

async fn send_one(db: &DatabaseConnection, watch: &Watch, until: DateTime<Utc>) -> AppResult<bool> {
    let txn = db.begin().await?;
    // Claim the period: only one instance moves the watch on.
    let claimed = db::Entity::update_many()
        .col_expr(db::Column::LastSentAt, Expr::value(until))
        .filter(db::Column::Id.eq(watch.id.0))
        .filter(db::Column::LastSentAt.eq(watch.last_sent_at))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(false);
    }
    let Some(principal) = members::principal(&txn, watch.member_id).await? else {
        txn.commit().await?;
        return Ok(false);
    };
    let actor = Actor::Member(principal);
    let caught = items_caught(
        &txn,
        &actor,
        watch,
        watch.last_sent_at,
        until,
        DIGEST_ITEMS + 1,
    )
    .await?;
    let mut item_lines: Vec<RedactedText> = caught
        .iter()
        .take(DIGEST_ITEMS as usize)
        .map(|i| RedactedText::scrub(&format!("{}: {}", i.reference, i.title.as_str())))
        .collect();
    if caught.len() as u64 > DIGEST_ITEMS {
        item_lines.push(RedactedText::scrub(
            "…and more: search Pyramid for the rest.",
        ));
    }
    let pattern_lines = pattern_changes(&txn, &actor, watch, until).await?;
    if item_lines.is_empty() && pattern_lines.is_empty() {
        txn.commit().await?;
        return Ok(false);
    }
    let about = describe(&txn, watch).await?;
    super::delivery::tell_member(
        &txn,
        watch.member_id,
        Message::WatchDigest {
            watch_id: watch.id,
            until,
            about,
            items: item_lines,
            patterns: pattern_lines,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Lines for the changes in a period to patterns the watch covers and its member may see.
async fn pattern_changes(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    watch: &Watch,
    until: DateTime<Utc>,
) -> AppResult<Vec<String>> {
    if watch.provider_id.is_none() && watch.theme_id.is_none() {
        return Ok(Vec::new());
    }
    let events = pattern_event::Entity::find()
        .filter(pattern_event::Column::At.gt(watch.last_sent_at))
        .filter(pattern_event::Column::At.lte(until))
        .filter(
            pattern_event::Column::PatternId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(pattern_db::Column::Id)
                    .from(pattern_db::Entity)
                    .and_where(match watch.provider_id {
                        Some(p) => pattern_db::Column::ProviderId.eq(p.0),
                        None => Expr::cust("1 = 1"),
                    })
                    .to_owned(),
            ),
        )
        .order_by_asc(pattern_event::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<crate::domain::PatternId> = events
        .iter()
        .map(|e| crate::domain::PatternId(e.pattern_id))
        .collect();
    let seen = patterns::get_many(conn, actor, &ids).await?;
    let headings = patterns::detect::headings(conn).await?;
    let mut lines = Vec::new();
    for event in events {
        let Some(pattern) = seen.get(&crate::domain::PatternId(event.pattern_id)) else {
            continue;
        };
        if !covers_pattern(watch, pattern, |t| headings.get(&t).copied().unwrap_or(t)) {
            continue;
        }
        lines.push(format!(
            "Pattern {}: {} ({} reports from {} PPGs)",
            pattern.id,
            event.kind.to_lowercase().replace('_', " "),
            pattern.item_count,
            pattern.ppg_count
        ));
    }
    Ok(lines)
}

/// A watch in words: "Staffordshire Out-of-Hours GP Service, Waiting times, severity 3 or
/// more".
pub async fn describe(conn: &impl ConnectionTrait, watch: &Watch) -> AppResult<String> {
    let mut parts = Vec::new();
    if let Some(provider) = watch.provider_id {
        parts.push(
            providers::get(conn, provider)
                .await?
                .name
                .as_str()
                .to_owned(),
        );
    }
    if let Some(theme) = watch.theme_id {
        parts.push(themes::get(conn, theme).await?.name);
    }
    if let Some(severity) = watch.min_severity {
        parts.push(format!("severity {} or more", severity.value()));
    }
    Ok(parts.join(", "))
}
