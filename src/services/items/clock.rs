//! The response clock: when an item referred to the commissioners is due an answer (its
//! area's working days after the referral, on England's calendar), and setting an area's
//! number of working days.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::json;

use crate::domain::GroupId;
use crate::domain::authz::Actor;
use crate::domain::clock::{self, DEFAULT_WORKING_DAYS, WORKING_DAYS_RANGE};
use crate::entities::area_setting;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::groups;

/// The working days an area's commissioners have to answer a referral.
pub async fn working_days(conn: &impl ConnectionTrait, area: GroupId) -> AppResult<i32> {
    Ok(area_setting::Entity::find_by_id(area.0)
        .one(conn)
        .await?
        .map_or(DEFAULT_WORKING_DAYS, |s| s.response_working_days))
}

/// The day an item of `area` referred at `at` is due its answer.
pub(crate) async fn due_on(
    conn: &impl ConnectionTrait,
    area: GroupId,
    at: DateTime<Utc>,
) -> AppResult<NaiveDate> {
    Ok(clock::due_on(
        clock::uk_date(at),
        working_days(conn, area).await?,
    ))
}

/// Sets an area's response clock (its administrators). Items referred from now on are due
/// after the new number of working days; those referred already keep their due date.
#[tracing::instrument(skip_all, fields(area = %area, member = ?actor.member_id()))]
pub async fn set_working_days(
    db: &DatabaseConnection,
    actor: &Actor,
    area: GroupId,
    days: i32,
) -> AppResult<i32> {
    if !actor.administers(area) {
        return Err(match actor {
            Actor::Anonymous => AppError::Unauthenticated,
            _ => AppError::Forbidden(
                "Only an administrator of this area can set its response clock.".to_owned(),
            ),
        });
    }
    if !WORKING_DAYS_RANGE.contains(&days) {
        return Err(AppError::bad_input(
            "workingDays",
            format!(
                "The commissioners' time to answer is {} to {} working days.",
                WORKING_DAYS_RANGE.start(),
                WORKING_DAYS_RANGE.end()
            ),
        ));
    }
    groups::area(db, area).await?;
    let txn = db.begin().await?;
    groups::change_area_settings(&txn, area, |settings| {
        settings.response_working_days = days;
    })
    .await?;
    audit::record(
        &txn,
        actor,
        "area.response_clock_set",
        Subject::Group(area.0),
        json!({ "working_days": days }),
    )
    .await?;
    txn.commit().await?;
    Ok(days)
}
