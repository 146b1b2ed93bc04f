//! An area's pattern rule: how many PPGs within how many days make a pattern.

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::json;

use super::recompute::{providers_of, recompute};
use crate::domain::GroupId;
use crate::domain::authz::Actor;
use crate::domain::pattern::PatternRule;
use crate::entities::area_setting;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::groups;

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
    groups::area(db, area).await?;
    let txn = db.begin().await?;
    groups::change_area_settings(&txn, area, |settings| {
        settings.pattern_min_ppgs = min_ppgs;
        settings.pattern_window_days = window_days;
    })
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
