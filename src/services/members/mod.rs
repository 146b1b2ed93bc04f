//! People and their places in the pyramid: who a member is and what they may see of others
//! (this file), their terms in groups (`terms`), nominations to the tier above
//! (`nominations`), and the memberships a group or member has (`listing`).

mod listing;
mod nominations;
mod terms;

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use crate::domain::authz::{self, Actor};
use crate::domain::member::{Email, Member, MemberName, Membership, Role};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{GroupId, MemberId, MembershipId};
use crate::entities::{member as member_db, membership as membership_db};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};

pub use listing::{
    current_representatives, get_memberships, memberships_of_group, memberships_of_members,
    nominations_of_group,
};
pub use nominations::{Nomination, end_nomination, nominate};
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
    Ok(Member {
        id: MemberId(model.id),
        name,
        email,
        administrator: model.administrator,
        commissioner: model.commissioner,
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
/// administrators.
pub(super) fn shown_to(actor: &Actor, mut member: Member) -> Member {
    if !authz::may_see_email(actor, member.id) {
        member.email = None;
    }
    member
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
    member_db::Entity::find()
        .filter(member_db::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| member_from_model(m).map(|m| (m.id, shown_to(actor, m))))
        .collect()
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
    let rows = crate::services::keyset_page(member_db::Entity::find(), member_db::Column::Id, page)
        .all(conn)
        .await?;
    let members = rows
        .into_iter()
        .map(|m| member_from_model(m).map(|m| shown_to(actor, m)))
        .collect::<AppResult<_>>()?;
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

/// Sets a member's organisation-wide roles; `None` leaves a role as it is.
#[tracing::instrument(skip_all, fields(target = %id, member = ?actor.member_id()))]
pub async fn set_organisation_roles(
    db: &DatabaseConnection,
    actor: &Actor,
    id: MemberId,
    administrator: Option<bool>,
    commissioner: Option<bool>,
) -> AppResult<Member> {
    authz::may_manage_structure(actor)?;
    let txn = db.begin().await?;
    let mut model: member_db::ActiveModel = member_db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("member"))?
        .into();
    if let Some(value) = administrator {
        model.administrator = Set(value);
    }
    if let Some(value) = commissioner {
        model.commissioner = Set(value);
    }
    let model = model.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "member.roles_changed",
        Subject::Member(model.id),
        json!({ "administrator": model.administrator, "commissioner": model.commissioner }),
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
    let Some(model) = member_db::Entity::find_by_id(member.0).one(conn).await? else {
        return Ok(None);
    };
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
    Ok(Some(crate::domain::authz::Principal {
        member_id: member,
        administrator: model.administrator,
        commissioner: model.commissioner,
        seats,
    }))
}
