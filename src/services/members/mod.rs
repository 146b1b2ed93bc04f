//! People and their places in the pyramid: who a member is and what they may see of others
//! (this file), their terms in groups (`terms`), nominations to the tier above
//! (`nominations`), and the memberships a group or member has (`listing`).

mod listing;
mod nominations;
mod roles;
mod terms;

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::authz::{self, Actor};
use crate::domain::delivery::DeliveryPreference;
use crate::domain::member::{DeliverySettings, Email, Member, MemberName, Membership, Role};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{GroupId, MemberId, MembershipId};
use crate::entities::{member as member_db, membership as membership_db};
use crate::error::{AppError, AppResult};

pub(crate) use listing::areas_of;
pub use listing::{
    current_representatives, get_memberships, memberships_of_group, memberships_of_members,
    nominations_of_group,
};
pub use nominations::{Nomination, end_nomination, nominate};
pub use roles::{AreaRoleHeld, area_roles_of, end_area_role, grant_area_role};
pub use terms::{AddMember, MemberRef, add_member, end_membership, set_role};

pub(crate) fn member_from_model(model: member_db::Model) -> AppResult<Member> {
    let name = MemberName::parse(&model.name)
        .map_err(|_| crate::services::corrupt("members", model.id, "name"))?;
    let email = model
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|_| crate::services::corrupt("members", model.id, "email"))?;
    let chosen = model
        .delivery_preference
        .as_deref()
        .map(|p| {
            DeliveryPreference::from_db(p)
                .ok_or_else(|| crate::services::corrupt("members", model.id, "delivery preference"))
        })
        .transpose()?;
    Ok(Member {
        id: MemberId(model.id),
        name,
        delivery: Some(DeliverySettings {
            chosen,
            email_confirmed: email.is_some() && model.email_confirmed_at.is_some(),
        }),
        email,
    })
}

pub(super) fn membership_from_model(model: membership_db::Model) -> AppResult<Membership> {
    let role = Role::from_db(&model.role)
        .ok_or_else(|| crate::services::corrupt("memberships", model.id, "role"))?;
    Ok(Membership {
        id: MembershipId(model.id),
        member_id: MemberId(model.member_id),
        group_id: GroupId(model.group_id),
        role,
        represents: model.represents_group_id.map(GroupId),
        since: model.since,
        until: model.until,
    })
}

pub(super) fn duplicate_email() -> AppError {
    AppError::bad_input(
        "email",
        "Someone with this e-mail address is already in Pyramid: add them by their id instead.",
    )
}

pub(super) fn already_in_group() -> AppError {
    AppError::Conflict(
        "This person already has a current membership of this group: change their role instead."
            .to_owned(),
    )
}

/// A member as `actor` may see them: the e-mail address only for the member themself and
/// the administrators of an area they belong to (`in_administered_area`).
pub(super) fn shown_to(actor: &Actor, mut member: Member, in_administered_area: bool) -> Member {
    if !authz::may_see_email(actor, member.id, in_administered_area) {
        member.email = None;
        member.delivery = None;
    }
    member
}

/// A member's row, and whether they belong to an area the caller administers (computed in
/// the same statement, so hiding e-mail addresses costs no extra round trip).
#[derive(sea_orm::FromQueryResult)]
struct MemberRow {
    id: i64,
    name: String,
    email: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    email_confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
    delivery_preference: Option<String>,
    in_area: bool,
}

/// Members with, for each, whether they belong to an area the caller administers.
async fn members_with_area_check(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    query: sea_orm::Select<member_db::Entity>,
) -> AppResult<Vec<Member>> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let administered = actor.areas_where(authz::OrgRole::Administrator);
    let in_area = if matches!(actor, Actor::System) {
        Expr::value(true)
    } else if administered.is_empty() {
        Expr::value(false)
    } else {
        Expr::col((member_db::Entity, member_db::Column::Id))
            .in_subquery(listing::members_of_areas(&administered))
    };
    let rows = query
        .column_as(in_area, "in_area")
        .into_model::<MemberRow>()
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let in_area = row.in_area;
            member_from_model(member_db::Model {
                id: row.id,
                name: row.name,
                email: row.email,
                created_at: row.created_at,
                email_confirmed_at: row.email_confirmed_at,
                delivery_preference: row.delivery_preference,
            })
            .map(|m| shown_to(actor, m, in_area))
        })
        .collect()
}

/// The member behind the caller's token, if any.
pub async fn me(conn: &impl ConnectionTrait, actor: &Actor) -> AppResult<Option<Member>> {
    match actor.member_id() {
        None => Ok(None),
        Some(id) => member_db::Entity::find_by_id(id.0)
            .one(conn)
            .await?
            .map(member_from_model)
            .transpose(),
    }
}

pub async fn get_many(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[MemberId],
) -> AppResult<HashMap<MemberId, Member>> {
    authz::may_see_people(actor)?;
    let query =
        member_db::Entity::find().filter(member_db::Column::Id.is_in(ids.iter().map(|id| id.0)));
    Ok(members_with_area_check(conn, actor, query)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

pub async fn get(conn: &impl ConnectionTrait, actor: &Actor, id: MemberId) -> AppResult<Member> {
    get_many(conn, actor, &[id])
        .await?
        .remove(&id)
        .ok_or_else(|| AppError::not_found("member"))
}

pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<Member>> {
    authz::may_see_people(actor)?;
    let mut query = member_db::Entity::find();
    if !matches!(actor, Actor::System) {
        // The people of the caller's own areas only: each area is its own data controller.
        let areas = listing::caller_areas(conn, actor).await?;
        query = query.filter(member_db::Column::Id.in_subquery(listing::members_of_areas(&areas)));
    }
    let query = crate::services::keyset_page(query, member_db::Column::Id, page);
    let members = members_with_area_check(conn, actor, query).await?;
    Ok(Page::from_overfetch(members, page))
}

/// Finds a member by id or e-mail address, for the operator at the command line.
pub async fn find_by_id_or_email(conn: &impl ConnectionTrait, key: &str) -> AppResult<Member> {
    let query = match key.trim().parse::<i64>() {
        Ok(id) => member_db::Entity::find_by_id(id),
        Err(_) => {
            let email = Email::parse(key)?;
            member_db::Entity::find().filter(member_db::Column::Email.eq(email.as_str()))
        }
    };
    query
        .one(conn)
        .await?
        .map(member_from_model)
        .transpose()?
        .ok_or_else(|| AppError::NotFound(format!("There is no member '{key}'.")))
}

/// Finds a member by e-mail address, or adds them, for the operator at the command line.
#[tracing::instrument(skip_all)]
pub async fn find_or_create(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    name: &str,
    email: &str,
) -> AppResult<Member> {
    use sea_orm::ActiveModelTrait;
    if !matches!(actor, Actor::System) {
        return Err(AppError::Forbidden(
            "Only the operator at the command line adds people outside a group.".to_owned(),
        ));
    }
    let email = Email::parse(email)?;
    let name = MemberName::parse(name)?;
    if let Some(found) = member_db::Entity::find()
        .filter(member_db::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
    {
        return member_from_model(found);
    }
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let model = member_db::ActiveModel {
        name: sea_orm::Set(name.as_str().to_owned()),
        email: sea_orm::Set(Some(email.as_str().to_owned())),
        created_at: sea_orm::Set(crate::services::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => duplicate_email(),
        _ => e.into(),
    })?;
    crate::services::audit::record(
        &txn,
        actor,
        "member.created",
        crate::services::audit::Subject::Member(model.id),
        serde_json::json!({ "name": model.name }),
    )
    .await?;
    txn.commit().await?;
    member_from_model(model)
}

/// A member as a caller: their organisation roles and current memberships.
pub async fn principal(
    conn: &impl ConnectionTrait,
    member: MemberId,
) -> AppResult<Option<crate::domain::authz::Principal>> {
    if member_db::Entity::find_by_id(member.0)
        .one(conn)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let seats = membership_db::Entity::find()
        .filter(membership_db::Column::MemberId.eq(member.0))
        .filter(membership_db::Column::Until.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            membership_from_model(m).map(|m| crate::domain::authz::Seat {
                group: m.group_id,
                role: m.role,
                represents: m.represents,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let area_roles = roles::current_area_roles(conn, member).await?;
    Ok(Some(crate::domain::authz::Principal {
        member_id: member,
        area_roles,
        seats,
    }))
}
