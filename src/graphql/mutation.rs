//! Entry points for changing things: one input object and one payload type per mutation.

use super::scalars::Date;
use async_graphql::{Context, ID, InputObject, Object, OneofObject, Result, SimpleObject};

use super::ids;
use super::types::{
    ApiTokenNode, GroupKind, GroupNode, MemberNode, MembershipNode, OrgRole, ProviderKind,
    ProviderNode, Role,
};
use super::{actor, db, reader};
use crate::domain::member::Role as DomainRole;
use crate::domain::{ApiTokenId, GroupId, MemberId, MembershipId, ProviderId};
use crate::error::AppError;
use crate::services::{self, groups, members, providers};

#[derive(Default)]
pub struct StructureMutation;

#[derive(InputObject)]
pub struct CreateGroupInput {
    pub kind: GroupKind,
    pub name: String,
    /// Required for a PPG (its district) and a district (the council).
    pub parent_id: Option<ID>,
    /// Required for a PPG: its GP practice's ODS code, such as M83001.
    pub practice_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateGroupPayload {
    pub group: GroupNode,
}

/// Fields left out stay as they are. A group's kind never changes.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    pub id: ID,
    pub name: Option<String>,
    /// Moves the group under another parent of the right kind.
    pub parent_id: Option<ID>,
    pub practice_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct UpdateGroupPayload {
    pub group: GroupNode,
}

#[derive(InputObject)]
pub struct NewMemberInput {
    pub name: String,
    pub email: Option<String>,
}

/// Someone already in Pyramid (`id`), or a new person (`new`).
#[derive(OneofObject)]
pub enum MemberInput {
    Id(ID),
    New(NewMemberInput),
}

#[derive(InputObject)]
pub struct AddMemberInput {
    pub group_id: ID,
    pub member: MemberInput,
    #[graphql(default_with = "Role::Member")]
    pub role: Role,
    /// The start of the term; today when left out.
    pub since: Option<Date>,
}

#[derive(SimpleObject)]
pub struct AddMemberPayload {
    pub membership: MembershipNode,
}

#[derive(InputObject)]
pub struct SetMembershipRoleInput {
    pub membership_id: ID,
    pub role: Role,
}

#[derive(SimpleObject)]
pub struct SetMembershipRolePayload {
    pub membership: MembershipNode,
}

#[derive(InputObject)]
pub struct EndMembershipInput {
    pub membership_id: ID,
    /// The last day of the term; today when left out.
    pub until: Option<Date>,
}

#[derive(SimpleObject)]
pub struct EndMembershipPayload {
    pub membership: MembershipNode,
}

#[derive(InputObject)]
pub struct NominateRepresentativeInput {
    /// The group that nominates: a PPG (to its district) or a district (to the council).
    pub group_id: ID,
    /// A current member of that group.
    pub member_id: ID,
    pub since: Option<Date>,
}

#[derive(SimpleObject)]
pub struct NominateRepresentativePayload {
    /// The representative's membership of the group above.
    pub nomination: MembershipNode,
}

#[derive(InputObject)]
pub struct EndNominationInput {
    pub nomination_id: ID,
    pub until: Option<Date>,
}

#[derive(SimpleObject)]
pub struct EndNominationPayload {
    pub nomination: MembershipNode,
}

#[derive(InputObject)]
pub struct AreaRoleInput {
    pub member_id: ID,
    /// The area's Patients' Council.
    pub area_id: ID,
    pub role: OrgRole,
}

#[derive(SimpleObject)]
pub struct AreaRolePayload {
    pub member: MemberNode,
}

#[derive(InputObject)]
pub struct CreateProviderInput {
    pub name: String,
    pub kind: ProviderKind,
    pub ods_code: Option<String>,
    /// For a service: the organisation that runs it.
    pub parent_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct CreateProviderPayload {
    pub provider: ProviderNode,
}

#[derive(InputObject)]
pub struct UpdateProviderInput {
    pub id: ID,
    pub name: Option<String>,
    pub ods_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct UpdateProviderPayload {
    pub provider: ProviderNode,
}

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// Whose token; yourself when left out (administrators may issue for anyone).
    pub member_id: Option<ID>,
    /// What the token is for, such as "council dashboard".
    pub label: String,
}

#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    pub token: ApiTokenNode,
    /// The bearer token itself. It is shown this once and cannot be recovered: keep it safe.
    pub secret: String,
}

#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct RevokeApiTokenPayload {
    pub token: ApiTokenNode,
}

#[Object]
impl StructureMutation {
    /// Adds a group to the pyramid (administrators).
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        input: CreateGroupInput,
    ) -> Result<CreateGroupPayload> {
        let new = groups::NewGroup {
            kind: input.kind.into(),
            name: input.name,
            parent_id: input
                .parent_id
                .map(|id| ids::from_global::<GroupId>(&id, "parentId"))
                .transpose()?,
            practice_code: input.practice_code,
        };
        let group = groups::create(db(ctx), actor(ctx), new).await?;
        Ok(CreateGroupPayload {
            group: GroupNode(group),
        })
    }

    /// Renames a group, changes its practice code, or moves it (administrators).
    async fn update_group(
        &self,
        ctx: &Context<'_>,
        input: UpdateGroupInput,
    ) -> Result<UpdateGroupPayload> {
        let id = ids::from_global::<GroupId>(&input.id, "id")?;
        let changes = groups::GroupChanges {
            name: input.name,
            parent_id: input
                .parent_id
                .map(|id| ids::from_global::<GroupId>(&id, "parentId"))
                .transpose()?,
            practice_code: input.practice_code,
        };
        let group = groups::update(db(ctx), actor(ctx), id, changes).await?;
        Ok(UpdateGroupPayload {
            group: GroupNode(group),
        })
    }

    /// Adds a person to a group in a role (administrators, and officers of the group or a
    /// group above it).
    async fn add_member(
        &self,
        ctx: &Context<'_>,
        input: AddMemberInput,
    ) -> Result<AddMemberPayload> {
        let member = match input.member {
            MemberInput::Id(id) => {
                members::MemberRef::Existing(ids::from_global::<MemberId>(&id, "member")?)
            }
            MemberInput::New(new) => members::MemberRef::New {
                name: new.name,
                email: new.email,
            },
        };
        let add = members::AddMember {
            group_id: ids::from_global::<GroupId>(&input.group_id, "groupId")?,
            member,
            role: DomainRole::from(input.role),
            since: input.since.map(|d| d.0),
        };
        let membership = members::add_member(db(ctx), actor(ctx), add).await?;
        Ok(AddMemberPayload {
            membership: MembershipNode(membership),
        })
    }

    /// Changes someone's role in a group (not to or from REPRESENTATIVE: see nominations).
    async fn set_membership_role(
        &self,
        ctx: &Context<'_>,
        input: SetMembershipRoleInput,
    ) -> Result<SetMembershipRolePayload> {
        let id = ids::from_global::<MembershipId>(&input.membership_id, "membershipId")?;
        let membership = members::set_role(db(ctx), actor(ctx), id, input.role.into()).await?;
        Ok(SetMembershipRolePayload {
            membership: MembershipNode(membership),
        })
    }

    /// Ends someone's term in a group; the record stays. Their nominations on behalf of the
    /// group end with it.
    async fn end_membership(
        &self,
        ctx: &Context<'_>,
        input: EndMembershipInput,
    ) -> Result<EndMembershipPayload> {
        let id = ids::from_global::<MembershipId>(&input.membership_id, "membershipId")?;
        let membership =
            members::end_membership(db(ctx), actor(ctx), id, input.until.map(|d| d.0)).await?;
        Ok(EndMembershipPayload {
            membership: MembershipNode(membership),
        })
    }

    /// Nominates a member of a PPG (or district) as its representative on the tier above.
    async fn nominate_representative(
        &self,
        ctx: &Context<'_>,
        input: NominateRepresentativeInput,
    ) -> Result<NominateRepresentativePayload> {
        let nomination = members::Nomination {
            group_id: ids::from_global::<GroupId>(&input.group_id, "groupId")?,
            member_id: ids::from_global::<MemberId>(&input.member_id, "memberId")?,
            since: input.since.map(|d| d.0),
        };
        let membership = members::nominate(db(ctx), actor(ctx), nomination).await?;
        Ok(NominateRepresentativePayload {
            nomination: MembershipNode(membership),
        })
    }

    /// Ends a nomination; the record stays in the group's history.
    async fn end_nomination(
        &self,
        ctx: &Context<'_>,
        input: EndNominationInput,
    ) -> Result<EndNominationPayload> {
        let id = ids::from_global::<MembershipId>(&input.nomination_id, "nominationId")?;
        let membership =
            members::end_nomination(db(ctx), actor(ctx), id, input.until.map(|d| d.0)).await?;
        Ok(EndNominationPayload {
            nomination: MembershipNode(membership),
        })
    }

    /// Gives a member an organisation role in an area: administrator (sets up its
    /// structure) or commissioner (its quality team). The area's administrators may.
    async fn grant_area_role(
        &self,
        ctx: &Context<'_>,
        input: AreaRoleInput,
    ) -> Result<AreaRolePayload> {
        let member = ids::from_global::<MemberId>(&input.member_id, "memberId")?;
        let area = ids::from_global::<GroupId>(&input.area_id, "areaId")?;
        members::grant_area_role(db(ctx), actor(ctx), member, area, input.role.into()).await?;
        Ok(AreaRolePayload {
            member: MemberNode(members::get(reader(ctx), actor(ctx), member).await?),
        })
    }

    /// Ends a member's organisation role in an area; the record stays.
    async fn end_area_role(
        &self,
        ctx: &Context<'_>,
        input: AreaRoleInput,
    ) -> Result<AreaRolePayload> {
        let member = ids::from_global::<MemberId>(&input.member_id, "memberId")?;
        let area = ids::from_global::<GroupId>(&input.area_id, "areaId")?;
        members::end_area_role(db(ctx), actor(ctx), member, area, input.role.into()).await?;
        Ok(AreaRolePayload {
            member: MemberNode(members::get(reader(ctx), actor(ctx), member).await?),
        })
    }

    /// Adds an organisation or service to the providers register (administrators).
    async fn create_provider(
        &self,
        ctx: &Context<'_>,
        input: CreateProviderInput,
    ) -> Result<CreateProviderPayload> {
        let new = providers::NewProvider {
            name: input.name,
            kind: input.kind.into(),
            ods_code: input.ods_code,
            parent_id: input
                .parent_id
                .map(|id| ids::from_global::<ProviderId>(&id, "parentId"))
                .transpose()?,
        };
        let provider = providers::create(db(ctx), actor(ctx), new).await?;
        Ok(CreateProviderPayload {
            provider: ProviderNode(provider),
        })
    }

    /// Renames a provider or sets its ODS code (administrators).
    async fn update_provider(
        &self,
        ctx: &Context<'_>,
        input: UpdateProviderInput,
    ) -> Result<UpdateProviderPayload> {
        let id = ids::from_global::<ProviderId>(&input.id, "id")?;
        let changes = providers::ProviderChanges {
            name: input.name,
            ods_code: input.ods_code,
        };
        let provider = providers::update(db(ctx), actor(ctx), id, changes).await?;
        Ok(UpdateProviderPayload {
            provider: ProviderNode(provider),
        })
    }

    /// Issues an API token. The secret is in the payload, once.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<CreateApiTokenPayload> {
        let owner = match input.member_id {
            Some(id) => ids::from_global::<MemberId>(&id, "memberId")?,
            None => actor(ctx).member_id().ok_or(AppError::Unauthenticated)?,
        };
        let issued = services::tokens::create(db(ctx), actor(ctx), owner, &input.label).await?;
        Ok(CreateApiTokenPayload {
            token: ApiTokenNode(issued.token),
            secret: issued.secret,
        })
    }

    /// Revokes an API token at once.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiTokenInput,
    ) -> Result<RevokeApiTokenPayload> {
        let id = ids::from_global::<ApiTokenId>(&input.id, "id")?;
        let token = services::tokens::revoke(db(ctx), actor(ctx), id).await?;
        Ok(RevokeApiTokenPayload {
            token: ApiTokenNode(token),
        })
    }
}
