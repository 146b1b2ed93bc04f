//! Finding or creating the demo's groups, providers and people, so seeding twice adds nothing.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::domain::authz::Actor;
use crate::domain::group::{Group, GroupKind};
use crate::domain::member::Role;
use crate::domain::provider::ProviderKind;
use crate::domain::{GroupId, MemberId};
use crate::entities::{
    group as group_db, member as member_db, membership as membership_db, provider as provider_db,
};
use crate::error::AppResult;
use crate::services::members::{AddMember, MemberRef, Nomination};
use crate::services::{groups, members, providers};

pub(super) async fn find_or_create_group(
    db: &DatabaseConnection,
    kind: GroupKind,
    name: &str,
    parent_id: Option<GroupId>,
    practice_code: Option<&str>,
) -> AppResult<Group> {
    let mut query = group_db::Entity::find().filter(group_db::Column::Kind.eq(kind.as_str()));
    query = match practice_code {
        Some(code) => query.filter(group_db::Column::PracticeCode.eq(code)),
        None => query.filter(group_db::Column::Name.eq(name)),
    };
    if let Some(existing) = query.one(db).await? {
        return groups::from_model(existing);
    }
    let new = groups::NewGroup {
        kind,
        name: name.to_owned(),
        parent_id,
        practice_code: practice_code.map(str::to_owned),
    };
    groups::create(db, &Actor::System, new).await
}

pub(super) async fn find_or_create_provider(
    db: &DatabaseConnection,
    name: &str,
    kind: ProviderKind,
    ods_code: Option<&str>,
    parent: Option<crate::domain::ProviderId>,
) -> AppResult<crate::domain::ProviderId> {
    let existing = provider_db::Entity::find()
        .filter(provider_db::Column::Name.eq(name))
        .one(db)
        .await?;
    if let Some(existing) = existing {
        return Ok(crate::domain::ProviderId(existing.id));
    }
    let new = providers::NewProvider {
        name: name.to_owned(),
        kind,
        ods_code: ods_code.map(str::to_owned),
        parent_id: parent,
    };
    Ok(providers::create(db, &Actor::System, new).await?.id)
}

/// Finds a demo person by e-mail, or adds them to Pyramid (without a group yet).
pub(super) async fn person(
    db: &DatabaseConnection,
    name: &str,
    email: &str,
) -> AppResult<MemberId> {
    let existing = member_db::Entity::find()
        .filter(member_db::Column::Email.eq(email))
        .one(db)
        .await?;
    if let Some(existing) = existing {
        return Ok(MemberId(existing.id));
    }
    let member = crate::entities::member::ActiveModel {
        name: sea_orm::Set(name.to_owned()),
        email: sea_orm::Set(Some(email.to_owned())),
        created_at: sea_orm::Set(crate::services::now()),
        ..Default::default()
    };
    let model = sea_orm::ActiveModelTrait::insert(member, db).await?;
    Ok(MemberId(model.id))
}

pub(super) async fn current_membership(
    db: &DatabaseConnection,
    member: MemberId,
    group: GroupId,
) -> AppResult<bool> {
    Ok(membership_db::Entity::find()
        .filter(membership_db::Column::MemberId.eq(member.0))
        .filter(membership_db::Column::GroupId.eq(group.0))
        .filter(membership_db::Column::Until.is_null())
        .one(db)
        .await?
        .is_some())
}

pub(super) async fn join(
    db: &DatabaseConnection,
    member: MemberId,
    group: GroupId,
    role: Role,
) -> AppResult<()> {
    if !current_membership(db, member, group).await? {
        let add = AddMember {
            group_id: group,
            member: MemberRef::Existing(member),
            role,
            since: None,
        };
        members::add_member(db, &Actor::System, add).await?;
    }
    Ok(())
}

/// Nominates `member` as the representative of `group` on its parent, unless the group
/// already has one there.
pub(super) async fn represent(
    db: &DatabaseConnection,
    actor: &Actor,
    member: MemberId,
    group: GroupId,
) -> AppResult<()> {
    let existing = membership_db::Entity::find()
        .filter(membership_db::Column::RepresentsGroupId.eq(group.0))
        .filter(membership_db::Column::Until.is_null())
        .one(db)
        .await?;
    if existing.is_none() {
        let nomination = Nomination {
            group_id: group,
            member_id: member,
            since: None,
        };
        members::nominate(db, actor, nomination).await?;
    }
    Ok(())
}

/// The first current representative sitting on `group`.
pub(super) async fn current_representative_on(
    db: &DatabaseConnection,
    group: GroupId,
) -> AppResult<Option<MemberId>> {
    Ok(membership_db::Entity::find()
        .filter(membership_db::Column::GroupId.eq(group.0))
        .filter(membership_db::Column::Role.eq(Role::Representative.as_str()))
        .filter(membership_db::Column::Until.is_null())
        .one(db)
        .await?
        .map(|m| MemberId(m.member_id)))
}
