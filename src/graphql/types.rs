//! GraphQL object types. Each wraps a domain value; relations go through the request's
//! loaders, lists through connections.

use async_graphql::{Context, Enum, ID, Interface, Object, Result};
use chrono::{DateTime, Utc};

use super::scalars::Date;

use super::ids;
use super::pagination::{self, IdConnection};
use super::{actor, loaders, reader};
use crate::domain::GroupId;
use crate::domain::group::Group;
use crate::domain::member::{Member, Membership};
use crate::domain::provider::Provider;
use crate::services::groups::GroupFilter;
use crate::services::members::AreaRoleHeld;
use crate::services::{self, tokens::ApiToken};

/// The tier of a group in the pyramid.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::group::GroupKind")]
pub enum GroupKind {
    /// A Patient Participation Group: one per GP practice.
    Ppg,
    /// A District Group: one per borough or commissioning area.
    District,
    /// The Patients' Council: the top tier.
    Council,
}

/// What a person does in a group.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::member::Role")]
pub enum Role {
    Member,
    /// Sits in this group on behalf of a group in the tier below (a nomination).
    Representative,
    Secretary,
    Chair,
    /// Commissioner or practice staff attending the group.
    Staff,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::provider::ProviderKind")]
pub enum ProviderKind {
    AcuteTrust,
    MentalHealthTrust,
    CommunityTrust,
    AmbulanceTrust,
    OutOfHours,
    GpPractice,
    /// A service run by an organisation (a ward, a clinic, a helpline).
    Service,
    Other,
}

/// Anything with a global id that `node(id:)` can fetch again.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Group(GroupNode),
    Member(MemberNode),
    Membership(MembershipNode),
    Provider(ProviderNode),
    Item(super::items::ItemNode),
    Meeting(super::meetings::MeetingNode),
    Newsletter(super::newsletters::NewsletterNode),
    Theme(super::patterns::ThemeNode),
    Pattern(super::patterns::PatternNode),
    FeedbackImport(super::feedback::FeedbackImportNode),
    Consultation(super::consultations::ConsultationNode),
}

pub struct GroupNode(pub Group);

/// A PPG, District Group or the Patients' Council.
#[Object(name = "Group")]
impl GroupNode {
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn kind(&self) -> GroupKind {
        self.0.kind.into()
    }

    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// The GP practice's ODS code, for a PPG.
    async fn practice_code(&self) -> Option<&str> {
        self.0.practice_code.as_ref().map(|c| c.as_str())
    }

    /// The group one tier up: a PPG's district, a district's council.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).groups.load_one(parent).await?.map(GroupNode))
    }

    /// Every group above this one, nearest first.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<GroupNode>> {
        let mut ancestors = Vec::new();
        let mut next = self.0.parent_id;
        while let Some(id) = next.take() {
            if ancestors.len() > 2 {
                break; // the pyramid has three tiers
            }
            if let Some(group) = loaders(ctx).groups.load_one(id).await? {
                next = group.parent_id;
                ancestors.push(GroupNode(group));
            }
        }
        Ok(ancestors)
    }

    /// The groups one tier down: a council's districts, a district's PPGs.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<GroupNode>> {
        let request = pagination::page_request(first, after)?;
        let filter = GroupFilter {
            parent_id: Some(self.0.id),
            ..Default::default()
        };
        let page = services::groups::list(reader(ctx), filter, request).await?;
        Ok(pagination::connection(page, request, |g| g.id.0, GroupNode))
    }

    /// The people in this group, representatives from the tier below included.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_ended: bool,
    ) -> Result<IdConnection<MembershipNode>> {
        let request = pagination::page_request(first, after)?;
        let page = services::members::memberships_of_group(
            reader(ctx),
            actor(ctx),
            self.0.id,
            include_ended,
            request,
        )
        .await?;
        Ok(pagination::connection(
            page,
            request,
            |m| m.id.0,
            MembershipNode,
        ))
    }

    /// Who currently represents this group on the tier above.
    async fn representatives(&self, ctx: &Context<'_>) -> Result<Vec<MembershipNode>> {
        let found = loaders(ctx).representatives.load_one(self.0.id).await?;
        Ok(found
            .unwrap_or_default()
            .into_iter()
            .map(MembershipNode)
            .collect())
    }

    /// The group's meetings, most recent first (for its members).
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<super::meetings::MeetingNode>> {
        let request = pagination::page_request(first, after)?;
        let page =
            services::meetings::of_group(reader(ctx), actor(ctx), self.0.id, request).await?;
        Ok(pagination::connection(
            page,
            request,
            |m| m.id.0,
            super::meetings::MeetingNode,
        ))
    }

    /// Where this group's newsletters are e-mailed, once confirmed (seen by its secretary and
    /// chair and its area's administrators; `null` for everyone else).
    async fn mailing_address(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx).mailing_addresses.load_one(self.0.id).await?)
    }

    /// Deliveries concerning this group that Pyramid gave up on, newest first: its
    /// newsletters' posts and e-mails, and the news about items raised in it that could not
    /// reach their submitter. For its secretary and chair and its area's administrators;
    /// empty for anyone else.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn failed_deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<super::delivery::FailedDeliveryNode>> {
        super::delivery::failed_deliveries(ctx, self.0.id, first, after).await
    }

    /// Everyone who has represented this group on the tier above, with `includeEnded`.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn nominations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = true)] include_ended: bool,
    ) -> Result<IdConnection<MembershipNode>> {
        let request = pagination::page_request(first, after)?;
        let page = services::members::nominations_of_group(
            reader(ctx),
            actor(ctx),
            self.0.id,
            include_ended,
            request,
        )
        .await?;
        Ok(pagination::connection(
            page,
            request,
            |m| m.id.0,
            MembershipNode,
        ))
    }
}

pub struct MemberNode(pub Member);

/// A person known to Pyramid.
#[Object(name = "Member")]
impl MemberNode {
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// Seen only by the member and by the administrators of their area; `null` for everyone
    /// else.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_ref().map(|e| e.as_str())
    }

    /// Whether the e-mail address is confirmed (Pyramid writes only to confirmed addresses).
    /// Seen by whoever sees the address.
    async fn email_confirmed(&self) -> Option<bool> {
        self.0.delivery.map(|d| d.email_confirmed)
    }

    /// How the member chose to hear about their items; `null` while they have not chosen
    /// (the default applies) or when you may not see it.
    async fn delivery_preference(&self) -> Option<super::delivery::DeliveryPreference> {
        self.0.delivery.and_then(|d| d.chosen).map(Into::into)
    }

    /// How the member will hear about their items, given what they have set up. Seen by
    /// whoever sees their e-mail address.
    async fn hearing(&self, ctx: &Context<'_>) -> Result<Option<super::delivery::HearingNode>> {
        super::delivery::hearing_of(ctx, &self.0).await
    }

    /// The organisation roles the member holds now, each in one area (a Patients' Council
    /// and everything under it).
    async fn area_roles(&self, ctx: &Context<'_>) -> Result<Vec<AreaRoleNode>> {
        Ok(loaders(ctx)
            .area_roles
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(AreaRoleNode)
            .collect())
    }

    /// The member's places in the pyramid.
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_ended: bool,
    ) -> Result<Vec<MembershipNode>> {
        let all = loaders(ctx)
            .memberships_of_member
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(all
            .into_iter()
            .filter(|m| include_ended || m.is_current())
            .map(MembershipNode)
            .collect())
    }

    /// The member's API tokens (never the secrets): for the member and administrators.
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiTokenNode>> {
        let tokens = services::tokens::list(reader(ctx), actor(ctx), self.0.id).await?;
        Ok(tokens.into_iter().map(ApiTokenNode).collect())
    }
}

pub struct MembershipNode(pub Membership);

/// A person's term in a role in a group. A nomination is a membership with role
/// REPRESENTATIVE that names the group it `represents`.
#[Object(name = "Membership")]
impl MembershipNode {
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn member(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        Ok(loaders(ctx)
            .members
            .load_one(self.0.member_id)
            .await?
            .map(MemberNode))
    }

    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        group_by_id(ctx, Some(self.0.group_id)).await
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// For a representative: the group in the tier below they speak for.
    async fn represents(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        group_by_id(ctx, self.0.represents).await
    }

    async fn since(&self) -> Date {
        Date(self.0.since)
    }

    /// When the term ended; `null` while it is current.
    async fn until(&self) -> Option<Date> {
        self.0.until.map(Date)
    }

    async fn current(&self) -> bool {
        self.0.is_current()
    }
}

async fn group_by_id(ctx: &Context<'_>, id: Option<GroupId>) -> Result<Option<GroupNode>> {
    match id {
        None => Ok(None),
        Some(id) => Ok(loaders(ctx).groups.load_one(id).await?.map(GroupNode)),
    }
}

pub struct ProviderNode(pub Provider);

/// An organisation that delivers care, or one of its services.
#[Object(name = "Provider")]
impl ProviderNode {
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    async fn kind(&self) -> ProviderKind {
        self.0.kind.into()
    }

    /// The organisation's code in the NHS Organisation Data Service.
    async fn ods_code(&self) -> Option<&str> {
        self.0.ods_code.as_ref().map(|c| c.as_str())
    }

    /// For a service: the organisation that runs it.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<ProviderNode>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .providers
            .load_one(parent)
            .await?
            .map(ProviderNode))
    }

    /// The services this organisation runs.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<ProviderNode>> {
        let request = pagination::page_request(first, after)?;
        let page = services::providers::list(reader(ctx), Some(self.0.id), request).await?;
        Ok(pagination::connection(
            page,
            request,
            |p| p.id.0,
            ProviderNode,
        ))
    }
}

pub struct ApiTokenNode(pub ApiToken);

/// A bearer token for the API. The secret is shown once, when the token is created.
#[Object(name = "ApiToken")]
impl ApiTokenNode {
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn label(&self) -> &str {
        &self.0.label
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// An organisation role held in an area.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::authz::OrgRole")]
pub enum OrgRole {
    /// Sets up the area: its groups, members, nominations and chat channels. Does not read or
    /// move items.
    Administrator,
    /// The area's quality team: sees all of its items, answers those referred to it.
    Commissioner,
}

pub struct AreaRoleNode(pub AreaRoleHeld);

/// A role a member holds in an area.
#[Object(name = "AreaRole")]
impl AreaRoleNode {
    async fn role(&self) -> OrgRole {
        self.0.role.role.into()
    }

    /// The area's Patients' Council.
    async fn area(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.role.area)
            .await?
            .map(GroupNode))
    }

    async fn since(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.since
    }
}
