//! The memberships a group or a member has, current or with their history, for many at once.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::authz::{self, Actor};
use crate::domain::member::Membership;
use crate::domain::page::{Page, PageRequest};
use crate::domain::{GroupId, MemberId, MembershipId};
use crate::entities::membership as membership_db;
use crate::error::AppResult;

use super::membership_from_model;

/// The members with a current membership of a group in one of `areas`, or a current role
/// there.
pub(super) fn members_of_areas(areas: &[GroupId]) -> sea_orm::sea_query::SelectStatement {
    use crate::entities::{area_role, group};
    use sea_orm::sea_query::{Expr, ExprTrait, Query, UnionType};
    let ids: Vec<i64> = areas.iter().map(|a| a.0).collect();
    let mut seats = Query::select()
        .column((membership_db::Entity, membership_db::Column::MemberId))
        .from(membership_db::Entity)
        .inner_join(
            group::Entity,
            Expr::col((group::Entity, group::Column::Id))
                .equals((membership_db::Entity, membership_db::Column::GroupId)),
        )
        .and_where(Expr::col((membership_db::Entity, membership_db::Column::Until)).is_null())
        .and_where(Expr::col((group::Entity, group::Column::AreaId)).is_in(ids.clone()))
        .to_owned();
    let roles = Query::select()
        .column(area_role::Column::MemberId)
        .from(area_role::Entity)
        .and_where(Expr::col(area_role::Column::Until).is_null())
        .and_where(Expr::col(area_role::Column::AreaId).is_in(ids))
        .to_owned();
    seats.union(UnionType::All, roles);
    seats
}

/// The areas the caller belongs to: those of their groups and of their roles.
pub(super) async fn caller_areas(
    conn: &impl ConnectionTrait,
    actor: &Actor,
) -> AppResult<Vec<GroupId>> {
    let groups: Vec<GroupId> = actor.seats().iter().map(|s| s.group).collect();
    let mut areas: Vec<GroupId> = crate::services::groups::get_many(conn, &groups)
        .await?
        .into_values()
        .map(|g| g.area_id)
        .collect();
    areas.extend(actor.areas_where(crate::domain::authz::OrgRole::Administrator));
    areas.extend(actor.areas_where(crate::domain::authz::OrgRole::Commissioner));
    areas.sort();
    areas.dedup();
    Ok(areas)
}

/// Each member's areas: those of their current memberships and current roles.
pub(crate) async fn areas_of(
    conn: &impl ConnectionTrait,
    members: &[MemberId],
) -> AppResult<HashMap<MemberId, Vec<GroupId>>> {
    use crate::entities::area_role;
    let ids: Vec<i64> = members.iter().map(|m| m.0).collect();
    let mut found: HashMap<MemberId, Vec<GroupId>> = HashMap::new();
    let seats = membership_db::Entity::find()
        .filter(membership_db::Column::MemberId.is_in(ids.clone()))
        .filter(membership_db::Column::Until.is_null())
        .all(conn)
        .await?;
    let groups: Vec<GroupId> = seats.iter().map(|s| GroupId(s.group_id)).collect();
    let group_areas = crate::services::groups::get_many(conn, &groups).await?;
    for seat in seats {
        if let Some(group) = group_areas.get(&GroupId(seat.group_id)) {
            found
                .entry(MemberId(seat.member_id))
                .or_default()
                .push(group.area_id);
        }
    }
    for role in area_role::Entity::find()
        .filter(area_role::Column::MemberId.is_in(ids))
        .filter(area_role::Column::Until.is_null())
        .all(conn)
        .await?
    {
        found
            .entry(MemberId(role.member_id))
            .or_default()
            .push(GroupId(role.area_id));
    }
    Ok(found)
}

pub async fn get_memberships(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[MembershipId],
) -> AppResult<HashMap<MembershipId, Membership>> {
    authz::may_see_people(actor)?;
    membership_db::Entity::find()
        .filter(membership_db::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| membership_from_model(m).map(|m| (m.id, m)))
        .collect()
}

async fn page_of_memberships(
    conn: &impl ConnectionTrait,
    column: membership_db::Column,
    value: i64,
    include_ended: bool,
    page: PageRequest,
) -> AppResult<Page<Membership>> {
    let mut query = membership_db::Entity::find().filter(column.eq(value));
    if !include_ended {
        query = query.filter(membership_db::Column::Until.is_null());
    }
    let rows = crate::services::keyset_page(query, membership_db::Column::Id, page)
        .all(conn)
        .await?;
    let memberships = rows
        .into_iter()
        .map(membership_from_model)
        .collect::<AppResult<_>>()?;
    Ok(Page::from_overfetch(memberships, page))
}

/// The people in a group (its representatives from below included), current ones unless
/// `include_ended`.
pub async fn memberships_of_group(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    group: GroupId,
    include_ended: bool,
    page: PageRequest,
) -> AppResult<Page<Membership>> {
    authz::may_see_people(actor)?;
    page_of_memberships(
        conn,
        membership_db::Column::GroupId,
        group.0,
        include_ended,
        page,
    )
    .await
}

/// Who has represented this group on the tier above, with history when `include_ended`.
pub async fn nominations_of_group(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    group: GroupId,
    include_ended: bool,
    page: PageRequest,
) -> AppResult<Page<Membership>> {
    authz::may_see_people(actor)?;
    page_of_memberships(
        conn,
        membership_db::Column::RepresentsGroupId,
        group.0,
        include_ended,
        page,
    )
    .await
}

/// The current representatives of each group on the tier above, for many groups at once.
pub async fn current_representatives(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    groups: &[GroupId],
) -> AppResult<HashMap<GroupId, Vec<Membership>>> {
    authz::may_see_people(actor)?;
    let rows = membership_db::Entity::find()
        .filter(membership_db::Column::RepresentsGroupId.is_in(groups.iter().map(|g| g.0)))
        .filter(membership_db::Column::Until.is_null())
        .order_by_asc(membership_db::Column::Id)
        .all(conn)
        .await?;
    let mut by_group: HashMap<GroupId, Vec<Membership>> =
        groups.iter().map(|g| (*g, Vec::new())).collect();
    for row in rows {
        let membership = membership_from_model(row)?;
        if let Some(represented) = membership.represents {
            by_group.entry(represented).or_default().push(membership);
        }
    }
    Ok(by_group)
}

/// Each member's memberships (current unless `include_ended`), for many members at once.
pub async fn memberships_of_members(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    members: &[MemberId],
    include_ended: bool,
) -> AppResult<HashMap<MemberId, Vec<Membership>>> {
    authz::may_see_people(actor)?;
    let mut query = membership_db::Entity::find()
        .filter(membership_db::Column::MemberId.is_in(members.iter().map(|m| m.0)));
    if !include_ended {
        query = query.filter(membership_db::Column::Until.is_null());
    }
    let rows = query
        .order_by_asc(membership_db::Column::Id)
        .all(conn)
        .await?;
    let mut by_member: HashMap<MemberId, Vec<Membership>> =
        members.iter().map(|m| (*m, Vec::new())).collect();
    for row in rows {
        let membership = membership_from_model(row)?;
        by_member
            .entry(membership.member_id)
            .or_default()
            .push(membership);
    }
    Ok(by_member)
}
