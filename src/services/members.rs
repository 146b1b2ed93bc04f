//! People and their places in the pyramid: adding members to groups, their roles and terms,
//! nominating representatives to the tier above, and organisation-wide roles.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Subject};
use super::groups;
use crate::domain::authz::{self, Actor};
use crate::domain::member::{self, Email, Member, MemberName, Membership, Role};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{GroupId, MemberId, MembershipId};
use crate::entities::{member as member_db, membership as membership_db};
use crate::error::{AppError, AppResult, OnConstraint};

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

pub struct Nomination {
    /// The group that nominates (a PPG, or a district); the representative sits on its parent.
    pub group_id: GroupId,
    pub member_id: MemberId,
    pub since: Option<NaiveDate>,
}

pub(crate) fn member_from_model(model: member_db::Model) -> AppResult<Member> {
    let name =
        MemberName::parse(&model.name).map_err(|_| super::corrupt("members", model.id, "name"))?;
    let email = model
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|_| super::corrupt("members", model.id, "email"))?;
    Ok(Member {
        id: MemberId(model.id),
        name,
        email,
        administrator: model.administrator,
        commissioner: model.commissioner,
    })
}

fn membership_from_model(model: membership_db::Model) -> AppResult<Membership> {
    let role = Role::from_db(&model.role)
        .ok_or_else(|| super::corrupt("memberships", model.id, "role"))?;
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

fn duplicate_email() -> AppError {
    AppError::bad_input(
        "email",
        "Someone with this e-mail address is already in Pyramid: add them by their id instead.",
    )
}

fn already_in_group() -> AppError {
    AppError::Conflict(
        "This person already has a current membership of this group: change their role instead."
            .to_owned(),
    )
}

/// A member as `actor` may see them: the e-mail address only for the member themself and
/// administrators.
fn shown_to(actor: &Actor, mut member: Member) -> Member {
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
    let rows = super::keyset_page(member_db::Entity::find(), member_db::Column::Id, page)
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

/// Checks that the caller may manage the memberships of `group`.
async fn check_may_manage(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    group: GroupId,
) -> AppResult<()> {
    let path = groups::path(conn, group).await?;
    authz::may_manage_memberships(actor, &actor.officer_of(), &path)?;
    Ok(())
}

async fn find_membership(
    conn: &impl ConnectionTrait,
    id: MembershipId,
) -> AppResult<membership_db::Model> {
    membership_db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("membership"))
}

async fn insert_membership(
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
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(conn)
    .await
    .on_unique_violation(already_in_group)
}

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
                administrator: Set(false),
                commissioner: Set(false),
                created_at: Set(super::now()),
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
    let since = input.since.unwrap_or_else(super::today);
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

async fn end_term(
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
    let until = until.unwrap_or_else(super::today);
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
    let since = input.since.unwrap_or_else(super::today);
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
    let until = until.unwrap_or_else(super::today);
    let model = end_term(&txn, actor, current, until, "nomination.ended").await?;
    txn.commit().await?;
    membership_from_model(model)
}

/// Sets a member's organisation-wide roles; `None` leaves a role as it is.
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
    let rows = super::keyset_page(query, membership_db::Column::Id, page)
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
