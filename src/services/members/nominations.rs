//! Nominations: a group's representative on the tier above is a membership of the receiving
//! group that names the group it represents.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use crate::domain::authz::{self, Actor};
use crate::domain::member::{Membership, Role};
use crate::domain::{GroupId, MemberId, MembershipId};
use crate::entities::membership as membership_db;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::groups;

use super::membership_from_model;
use super::terms::{check_may_manage, end_term, find_membership, insert_membership};

pub struct Nomination {
    /// The group that nominates (a PPG, or a district); the representative sits on its parent.
    pub group_id: GroupId,
    pub member_id: MemberId,
    pub since: Option<NaiveDate>,
}

#[tracing::instrument(skip_all, fields(group = %input.group_id, nominee = %input.member_id, member = ?actor.member_id()))]
pub async fn nominate(
    db: &DatabaseConnection,
    actor: &Actor,
    input: Nomination,
) -> AppResult<Membership> {
    let txn = db.begin().await?;
    check_may_manage(&txn, actor, input.group_id).await?;
    let group = groups::get(&txn, input.group_id).await?;
    let Some(parent_id) = group.parent_id else {
        return Err(AppError::bad_input(
            "groupId",
            "The Patients' Council is the top of the pyramid: there is no group above it to send a representative to.",
        ));
    };
    let member_rows = membership_db::Entity::find()
        .filter(membership_db::Column::MemberId.eq(input.member_id.0))
        .filter(membership_db::Column::GroupId.is_in([group.id.0, parent_id.0]))
        .filter(membership_db::Column::Until.is_null())
        .all(&txn)
        .await?;
    if !member_rows.iter().any(|m| m.group_id == group.id.0) {
        return Err(AppError::bad_input(
            "memberId",
            format!(
                "Only a current member of {} can represent it: add them to the group first.",
                group.name.as_str()
            ),
        ));
    }
    if member_rows.iter().any(|m| m.group_id == parent_id.0) {
        return Err(AppError::Conflict(
            "This person already sits on the group above in another role.".to_owned(),
        ));
    }
    if let Some(max) = group.kind.max_representatives() {
        let current = membership_db::Entity::find()
            .filter(membership_db::Column::RepresentsGroupId.eq(group.id.0))
            .filter(membership_db::Column::Until.is_null())
            .all(&txn)
            .await?;
        if current.len() >= max {
            return Err(AppError::Conflict(format!(
                "{} already has its representative: end that nomination first.",
                group.name.as_str()
            )));
        }
    }
    let since = input.since.unwrap_or_else(crate::services::today);
    let model = insert_membership(
        &txn,
        input.member_id,
        parent_id,
        Role::Representative,
        Some(group.id),
        since,
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "nomination.made",
        Subject::Membership(model.id),
        json!({ "member_id": model.member_id, "represents": group.id.0, "on": parent_id.0, "since": since }),
    )
    .await?;
    txn.commit().await?;
    membership_from_model(model)
}

#[tracing::instrument(skip_all, fields(membership = %id, member = ?actor.member_id()))]
pub async fn end_nomination(
    db: &DatabaseConnection,
    actor: &Actor,
    id: MembershipId,
    until: Option<NaiveDate>,
) -> AppResult<Membership> {
    let txn = db.begin().await?;
    authz::may_see_people(actor)?;
    let current = find_membership(&txn, id).await?;
    let Some(represents) = current.represents_group_id else {
        return Err(AppError::bad_input(
            "membershipId",
            "This membership is not a nomination: use endMembership to end it.",
        ));
    };
    check_may_manage(&txn, actor, GroupId(represents)).await?;
    let until = until.unwrap_or_else(crate::services::today);
    let model = end_term(&txn, actor, current, until, "nomination.ended").await?;
    txn.commit().await?;
    membership_from_model(model)
}
