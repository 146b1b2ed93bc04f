//! Organisation roles held in an area: an area's administrators (who set up its structure)
//! and its commissioners (its quality team). Given and ended by the area's administrators or
//! the operator; an ended role is kept for the record.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use crate::domain::authz::{self, Actor, AreaRole, OrgRole};
use crate::domain::group::GroupKind;
use crate::domain::{GroupId, MemberId};
use crate::entities::{area_role as db, member as member_db};
use crate::error::{AppError, AppResult, OnConstraint};
use crate::services::audit::{self, Subject};
use crate::services::groups;

/// A role a member holds (or held) in an area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaRoleHeld {
    pub role: AreaRole,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

fn from_model(model: db::Model) -> AppResult<AreaRoleHeld> {
    let role = OrgRole::from_db(&model.role)
        .ok_or_else(|| crate::services::corrupt("area_roles", model.id, "role"))?;
    Ok(AreaRoleHeld {
        role: AreaRole {
            area: GroupId(model.area_id),
            role,
        },
        since: model.since,
        until: model.until,
    })
}

/// The roles a member holds now (what authentication loads with their seats).
pub(super) async fn current_area_roles(
    conn: &impl ConnectionTrait,
    member: MemberId,
) -> AppResult<Vec<AreaRole>> {
    db::Entity::find()
        .filter(db::Column::MemberId.eq(member.0))
        .filter(db::Column::Until.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|m| from_model(m).map(|held| held.role))
        .collect()
}

/// Each member's current roles, for many members at once.
pub async fn area_roles_of(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    members: &[MemberId],
) -> AppResult<HashMap<MemberId, Vec<AreaRoleHeld>>> {
    authz::may_see_people(actor)?;
    let mut found: HashMap<MemberId, Vec<AreaRoleHeld>> = HashMap::new();
    for row in db::Entity::find()
        .filter(db::Column::MemberId.is_in(members.iter().map(|m| m.0)))
        .filter(db::Column::Until.is_null())
        .order_by_asc(db::Column::Id)
        .all(conn)
        .await?
    {
        let member = MemberId(row.member_id);
        found.entry(member).or_default().push(from_model(row)?);
    }
    Ok(found)
}

/// The area a role is given in: it must be a Patients' Council.
async fn area(conn: &impl ConnectionTrait, area: GroupId) -> AppResult<GroupId> {
    let group = groups::get(conn, area)
        .await
        .map_err(|_| AppError::bad_input("areaId", "There is no area with that id."))?;
    if group.kind != GroupKind::Council {
        return Err(AppError::bad_input(
            "areaId",
            "An area is a Patients' Council and everything under it: give its council's id.",
        ));
    }
    Ok(group.id)
}

/// Gives a member an organisation role in an area.
#[tracing::instrument(skip_all, fields(target = %member, area = %area_id, role = role.as_str(), member = ?actor.member_id()))]
pub async fn grant_area_role(
    db: &DatabaseConnection,
    actor: &Actor,
    member: MemberId,
    area_id: GroupId,
    role: OrgRole,
) -> AppResult<AreaRoleHeld> {
    authz::may_see_people(actor)?;
    let txn = db.begin().await?;
    let area = area(&txn, area_id).await?;
    authz::may_grant_area_roles(actor, area)?;
    member_db::Entity::find_by_id(member.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("memberId", "There is no member with that id."))?;
    let model = db::ActiveModel {
        member_id: Set(member.0),
        area_id: Set(area.0),
        role: Set(role.as_str().to_owned()),
        since: Set(crate::services::now()),
        until: Set(None),
        granted_by: Set(actor.member_id().map(|m| m.0)),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique_violation(|| {
        AppError::Conflict("This member already holds that role in this area.".to_owned())
    })?;
    audit::record(
        &txn,
        actor,
        "member.area_role_granted",
        Subject::Member(member.0),
        json!({ "area_id": area.0, "role": role.as_str() }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

/// Ends a member's organisation role in an area.
#[tracing::instrument(skip_all, fields(target = %member, area = %area_id, role = role.as_str(), member = ?actor.member_id()))]
pub async fn end_area_role(
    db: &DatabaseConnection,
    actor: &Actor,
    member: MemberId,
    area_id: GroupId,
    role: OrgRole,
) -> AppResult<AreaRoleHeld> {
    authz::may_see_people(actor)?;
    let txn = db.begin().await?;
    let area = area(&txn, area_id).await?;
    authz::may_grant_area_roles(actor, area)?;
    let current = db::Entity::find()
        .filter(db::Column::MemberId.eq(member.0))
        .filter(db::Column::AreaId.eq(area.0))
        .filter(db::Column::Role.eq(role.as_str()))
        .filter(db::Column::Until.is_null())
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::NotFound("This member does not hold that role in this area.".to_owned())
        })?;
    let mut row: db::ActiveModel = current.into();
    row.until = Set(Some(crate::services::now()));
    let model = row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "member.area_role_ended",
        Subject::Member(member.0),
        json!({ "area_id": area.0, "role": role.as_str() }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}
