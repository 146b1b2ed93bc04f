//! A member's terms in a group: joining (a new person or one Pyramid knows), changing role,
//! and leaving (which ends the nominations made on the group's behalf).

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use crate::domain::authz::{self, Actor};
use crate::domain::member::{self, Email, MemberName, Membership, Role};
use crate::domain::{GroupId, MemberId, MembershipId};
use crate::entities::{member as member_db, membership as membership_db};
use crate::error::{AppError, AppResult, OnConstraint};
use crate::services::audit::{self, Subject};
use crate::services::groups;

use super::{already_in_group, duplicate_email, membership_from_model};

/// Who is being added to a group: someone Pyramid knows, or a new person.
pub enum MemberRef {
    Existing(MemberId),
    New { name: String, email: Option<String> },
}

pub struct AddMember {
    pub group_id: GroupId,
    pub member: MemberRef,
    pub role: Role,
    pub since: Option<NaiveDate>,
}

/// Checks that the caller may manage the memberships of `group`.
pub(super) async fn check_may_manage(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    group: GroupId,
) -> AppResult<()> {
    let area = groups::get(conn, group).await?.area_id;
    let path = groups::path(conn, group).await?;
    authz::may_manage_memberships(actor, &path, area)?;
    Ok(())
}

pub(super) async fn find_membership(
    conn: &impl ConnectionTrait,
    id: MembershipId,
) -> AppResult<membership_db::Model> {
    membership_db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("membership"))
}

pub(super) async fn insert_membership(
    conn: &impl ConnectionTrait,
    member: MemberId,
    group: GroupId,
    role: Role,
    represents: Option<GroupId>,
    since: NaiveDate,
) -> AppResult<membership_db::Model> {
    membership_db::ActiveModel {
        member_id: Set(member.0),
        group_id: Set(group.0),
        role: Set(role.as_str().to_owned()),
        represents_group_id: Set(represents.map(|g| g.0)),
        since: Set(since),
        until: Set(None),
        created_at: Set(crate::services::now()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .on_unique_violation(already_in_group)
}

#[tracing::instrument(skip_all, fields(group = %input.group_id, member = ?actor.member_id()))]
pub async fn add_member(
    db: &DatabaseConnection,
    actor: &Actor,
    input: AddMember,
) -> AppResult<Membership> {
    if input.role == Role::Representative {
        return Err(AppError::bad_input(
            "role",
            "Representatives are nominated by the group they represent: use nominateRepresentative.",
        ));
    }
    // Parse before touching the database, so bad input costs nothing.
    let who = match input.member {
        MemberRef::Existing(id) => Ok(id),
        MemberRef::New { name, email } => Err((
            MemberName::parse(&name)?,
            email.as_deref().map(Email::parse).transpose()?,
        )),
    };
    let txn = db.begin().await?;
    check_may_manage(&txn, actor, input.group_id).await?;
    let member_id = match who {
        Ok(id) => {
            member_db::Entity::find_by_id(id.0)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::bad_input("member", "There is no member with that id."))?;
            id
        }
        Err((name, email)) => {
            let model = member_db::ActiveModel {
                name: Set(name.as_str().to_owned()),
                email: Set(email.as_ref().map(|e| e.as_str().to_owned())),
                created_at: Set(crate::services::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .on_unique_violation(duplicate_email)?;
            audit::record(
                &txn,
                actor,
                "member.created",
                Subject::Member(model.id),
                json!({ "name": model.name }),
            )
            .await?;
            MemberId(model.id)
        }
    };
    let since = input.since.unwrap_or_else(crate::services::today);
    let model = insert_membership(&txn, member_id, input.group_id, input.role, None, since).await?;
    audit::record(
        &txn,
        actor,
        "membership.added",
        Subject::Membership(model.id),
        json!({ "member_id": model.member_id, "group_id": model.group_id, "role": model.role, "since": model.since }),
    )
    .await?;
    txn.commit().await?;
    membership_from_model(model)
}

#[tracing::instrument(skip_all, fields(membership = %id, member = ?actor.member_id()))]
pub async fn set_role(
    db: &DatabaseConnection,
    actor: &Actor,
    id: MembershipId,
    role: Role,
) -> AppResult<Membership> {
    let txn = db.begin().await?;
    authz::may_see_people(actor)?;
    let current = find_membership(&txn, id).await?;
    check_may_manage(&txn, actor, GroupId(current.group_id)).await?;
    let current_role = membership_from_model(current.clone())?.role;
    if role == Role::Representative || current_role == Role::Representative {
        return Err(AppError::bad_input(
            "role",
            "Representatives come and go by nomination: use nominateRepresentative and endNomination.",
        ));
    }
    if let Some(until) = current.until {
        return Err(AppError::Conflict(format!(
            "This membership ended on {until}: add the person to the group again instead."
        )));
    }
    let mut model: membership_db::ActiveModel = current.into();
    model.role = Set(role.as_str().to_owned());
    let model = model.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "membership.role_changed",
        Subject::Membership(model.id),
        json!({ "from": current_role.as_str(), "to": model.role }),
    )
    .await?;
    txn.commit().await?;
    membership_from_model(model)
}

pub(super) async fn end_term(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    current: membership_db::Model,
    until: NaiveDate,
    action: &str,
) -> AppResult<membership_db::Model> {
    if let Some(ended) = current.until {
        return Err(AppError::Conflict(format!(
            "This term already ended on {ended}."
        )));
    }
    member::check_term_end(current.since, until)?;
    let mut model: membership_db::ActiveModel = current.into();
    model.until = Set(Some(until));
    let model = model.update(conn).await?;
    audit::record(
        conn,
        actor,
        action,
        Subject::Membership(model.id),
        json!({ "until": until }),
    )
    .await?;
    Ok(model)
}

/// Ends a person's membership of a group. Their nominations on behalf of that group end with
/// it: someone who has left a PPG no longer represents it.
#[tracing::instrument(skip_all, fields(membership = %id, member = ?actor.member_id()))]
pub async fn end_membership(
    db: &DatabaseConnection,
    actor: &Actor,
    id: MembershipId,
    until: Option<NaiveDate>,
) -> AppResult<Membership> {
    let txn = db.begin().await?;
    authz::may_see_people(actor)?;
    let current = find_membership(&txn, id).await?;
    check_may_manage(&txn, actor, GroupId(current.group_id)).await?;
    let until = until.unwrap_or_else(crate::services::today);
    let (member_id, group_id) = (current.member_id, current.group_id);
    let model = end_term(&txn, actor, current, until, "membership.ended").await?;
    let nominations = membership_db::Entity::find()
        .filter(membership_db::Column::MemberId.eq(member_id))
        .filter(membership_db::Column::RepresentsGroupId.eq(group_id))
        .filter(membership_db::Column::Until.is_null())
        .all(&txn)
        .await?;
    for nomination in nominations {
        let until = until.max(nomination.since);
        end_term(&txn, actor, nomination, until, "nomination.ended").await?;
    }
    txn.commit().await?;
    membership_from_model(model)
}
