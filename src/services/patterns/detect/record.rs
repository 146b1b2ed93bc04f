//! What happened to a pattern, and telling its group's officers.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::rule_of;
use crate::domain::member::Role;
use crate::domain::pattern::PatternEventKind;
use crate::domain::{GroupId, MemberId, PatternId, ProviderId, RedactedText, ThemeId};
use crate::entities::{membership, pattern as db, pattern_event as event_db};
use crate::error::AppResult;
use crate::services::outbox::Message;
use crate::services::{providers, themes};

/// Records what happened to a pattern; when a provider-wide pattern opened, reopened or
/// moved, its owner's officers are told. (Every report in a theme's pattern is in its
/// provider's too, so one message covers both; the themes show in the pattern's counts.)
pub(crate) async fn record(
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
