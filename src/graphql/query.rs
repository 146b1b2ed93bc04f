//! Entry points for reading.

use async_graphql::{Context, ID, Object, Result};

use super::ids::{self, NodeType};
use super::pagination::{self, IdConnection};
use super::types::{GroupKind, GroupNode, MemberNode, MembershipNode, Node, ProviderNode};
use super::{actor, loaders, reader};
use crate::domain::{GroupId, MemberId, MembershipId, ProviderId};
use crate::error::AppError;
use crate::services::{self, groups::GroupFilter};

#[derive(Default)]
pub struct StructureQuery;

#[Object]
impl StructureQuery {
    /// Fetches anything by its global id; `null` when there is nothing to see there.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let Some((kind, number)) = ids::decode_any(&id) else {
            return Err(AppError::bad_input("id", "This is not an id Pyramid gave out.").into());
        };
        let loaders = loaders(ctx);
        Ok(match kind {
            NodeType::Group => loaders
                .groups
                .load_one(GroupId(number))
                .await?
                .map(|g| Node::Group(GroupNode(g))),
            NodeType::Member => loaders
                .members
                .load_one(MemberId(number))
                .await?
                .map(|m| Node::Member(MemberNode(m))),
            NodeType::Membership => {
                services::members::get_memberships(reader(ctx), actor(ctx), &[MembershipId(number)])
                    .await?
                    .into_values()
                    .next()
                    .map(|m| Node::Membership(MembershipNode(m)))
            }
            NodeType::Provider => loaders
                .providers
                .load_one(ProviderId(number))
                .await?
                .map(|p| Node::Provider(ProviderNode(p))),
            NodeType::Item => loaders
                .items
                .load_one(crate::domain::ItemId(number))
                .await?
                .map(|i| Node::Item(super::items::ItemNode(i))),
            NodeType::Meeting => services::meetings::get_many(
                reader(ctx),
                actor(ctx),
                &[crate::domain::MeetingId(number)],
            )
            .await?
            .into_values()
            .next()
            .map(|m| Node::Meeting(super::meetings::MeetingNode(m))),
            NodeType::Newsletter => {
                match services::newsletters::get(
                    reader(ctx),
                    actor(ctx),
                    crate::domain::NewsletterId(number),
                )
                .await
                {
                    Ok(n) => Some(Node::Newsletter(super::newsletters::NewsletterNode(n))),
                    Err(AppError::NotFound(_)) => None,
                    Err(error) => return Err(error.into()),
                }
            }
            NodeType::Theme => loaders
                .themes
                .load_one(crate::domain::ThemeId(number))
                .await?
                .map(|t| Node::Theme(super::patterns::ThemeNode(t))),
            NodeType::Pattern => loaders
                .patterns
                .load_one(crate::domain::PatternId(number))
                .await?
                .map(|p| Node::Pattern(super::patterns::PatternNode(p))),
            NodeType::FeedbackImport => {
                match services::feedback::get(
                    reader(ctx),
                    actor(ctx),
                    crate::domain::FeedbackImportId(number),
                )
                .await
                {
                    Ok(i) => Some(Node::FeedbackImport(super::feedback::FeedbackImportNode(i))),
                    Err(AppError::NotFound(_)) => None,
                    Err(error) => return Err(error.into()),
                }
            }
            NodeType::Consultation => {
                match services::consultations::get(
                    reader(ctx),
                    actor(ctx),
                    crate::domain::ConsultationId(number),
                )
                .await
                {
                    Ok(c) => Some(Node::Consultation(super::consultations::ConsultationNode(
                        c,
                    ))),
                    Err(AppError::NotFound(_)) => None,
                    Err(error) => return Err(error.into()),
                }
            }
            NodeType::ApiToken
            | NodeType::NewsletterEntry
            | NodeType::Watch
            | NodeType::Report
            | NodeType::Delivery => None,
        })
    }

    /// The member whose API token made this request; `null` without a token.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        Ok(services::members::me(reader(ctx), actor(ctx))
            .await?
            .map(MemberNode))
    }

    /// Groups, optionally of one kind or under one parent, in the order they were created.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn groups(
        &self,
        ctx: &Context<'_>,
        kind: Option<GroupKind>,
        parent_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<GroupNode>> {
        let request = pagination::page_request(first, after)?;
        let filter = GroupFilter {
            kind: kind.map(Into::into),
            parent_id: parent_id
                .map(|id| ids::from_global::<GroupId>(&id, "parentId"))
                .transpose()?,
        };
        let page = services::groups::list(reader(ctx), filter, request).await?;
        Ok(pagination::connection(page, request, |g| g.id.0, GroupNode))
    }

    /// Everyone known to Pyramid (signed-in callers only).
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<MemberNode>> {
        let request = pagination::page_request(first, after)?;
        let page = services::members::list(reader(ctx), actor(ctx), request).await?;
        Ok(pagination::connection(
            page,
            request,
            |m| m.id.0,
            MemberNode,
        ))
    }

    /// The register of providers: organisations (their services hang under each).
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn providers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<ProviderNode>> {
        let request = pagination::page_request(first, after)?;
        let page = services::providers::list(reader(ctx), None, request).await?;
        Ok(pagination::connection(
            page,
            request,
            |p| p.id.0,
            ProviderNode,
        ))
    }
}
