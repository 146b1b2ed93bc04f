//! How people hear, in GraphQL: confirming e-mail addresses (a member's own, a group's
//! mailing address), choosing how to hear, and the deliveries that were given up.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::ids;
use super::items::ItemNode;
use super::types::{GroupNode, MemberNode};
use super::{actor, db, loaders, reader};
use crate::domain::delivery::{self as domain, Hearing};
use crate::domain::{DeliveryId, GroupId};
use crate::error::AppError;
use crate::services::delivery::FailedDelivery;
use crate::services::{self, email};

/// How a member chose to hear what happens to the items they raise.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::delivery::DeliveryPreference")]
pub enum DeliveryPreference {
    /// A direct message from the Discord bot.
    Chat,
    /// An e-mail to their confirmed address.
    Email,
    Both,
    /// Not at all: they look their items up themselves.
    None,
}

/// What carries a delivery.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::delivery::Medium")]
pub enum DeliveryChannel {
    /// Discord: a group's channel or a direct message.
    Chat,
    Email,
    /// The newsletter's audio version, made on the server.
    Audio,
}

/// How someone will hear, in short.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum HearingBy {
    Chat,
    Email,
    Both,
    /// They chose not to be told.
    NotAtAll,
    /// What they chose is not set up: no linked chat account, no confirmed e-mail address.
    NotSetUp,
}

/// How a member will hear what happens to what they raised.
#[derive(SimpleObject)]
#[graphql(name = "Hearing")]
pub struct HearingNode {
    pub by: HearingBy,
    /// The same in a sentence, for showing to the member.
    pub sentence: String,
}

impl From<Hearing> for HearingNode {
    fn from(hearing: Hearing) -> Self {
        HearingNode {
            by: match hearing {
                Hearing::Chat => HearingBy::Chat,
                Hearing::Email => HearingBy::Email,
                Hearing::Both => HearingBy::Both,
                Hearing::NotAtAll => HearingBy::NotAtAll,
                Hearing::NotSetUp { .. } => HearingBy::NotSetUp,
            },
            sentence: hearing.sentence(),
        }
    }
}

/// A member's own delivery settings, as they and their area's administrators see them.
pub(super) async fn hearing_of(
    ctx: &Context<'_>,
    member: &crate::domain::member::Member,
) -> Result<Option<HearingNode>> {
    let Some(settings) = member.delivery else {
        return Ok(None);
    };
    let chat = loaders(ctx)
        .chat_linked
        .load_one(member.id)
        .await?
        .unwrap_or(false);
    let reach = domain::Reach {
        chosen: settings.chosen,
        chat,
        email: settings.email_confirmed,
    };
    Ok(Some(reach.hearing().into()))
}

pub struct FailedDeliveryNode(pub FailedDelivery);

/// A delivery Pyramid gave up on: what it was, to whom, when and why.
#[Object(name = "FailedDelivery")]
impl FailedDeliveryNode {
    /// Its id, for `retryDelivery`.
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    /// `NEWSLETTER`, `ITEM_UPDATE`, `SAFETY_ALERT` or `EMAIL_CONFIRMATION`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    async fn channel(&self) -> DeliveryChannel {
        self.0.medium.into()
    }

    /// What it said, in a few words.
    async fn what(&self) -> &str {
        &self.0.what
    }

    /// Who it was for, in words.
    async fn to(&self) -> &str {
        &self.0.to
    }

    /// The member it was for, when you may see who raised the item.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        let Some(member) = self.0.member else {
            return Ok(None);
        };
        Ok(loaders(ctx).members.load_one(member).await?.map(MemberNode))
    }

    /// The item it was about, when you may see it.
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<ItemNode>> {
        let Some(item) = self.0.item else {
            return Ok(None);
        };
        Ok(loaders(ctx).items.load_one(item).await?.map(ItemNode))
    }

    async fn queued_at(&self) -> DateTime<Utc> {
        self.0.queued_at
    }

    async fn gave_up_at(&self) -> Option<DateTime<Utc>> {
        self.0.given_up_at
    }

    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// Why it could not be delivered.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
}

#[derive(InputObject)]
pub struct RequestEmailConfirmationInput {
    /// A new address to confirm; the one Pyramid has for you when left out. Until the new
    /// one is confirmed, e-mail goes on going to the old one (if it was confirmed).
    pub address: Option<String>,
}

#[derive(SimpleObject)]
pub struct RequestEmailConfirmationPayload {
    /// Where the confirmation e-mail is going.
    pub address: String,
    /// The link in it works until then.
    pub expires_at: DateTime<Utc>,
    pub member: MemberNode,
}

#[derive(InputObject)]
pub struct SetDeliveryPreferenceInput {
    pub preference: DeliveryPreference,
}

#[derive(SimpleObject)]
pub struct SetDeliveryPreferencePayload {
    pub member: MemberNode,
    /// How you will hear now.
    pub hearing: HearingNode,
}

#[derive(InputObject)]
pub struct SetGroupMailingAddressInput {
    pub group_id: ID,
    /// Where the group's newsletters should be e-mailed (a list or a shared inbox). It is
    /// used once whoever reads it confirms it.
    pub address: String,
}

#[derive(SimpleObject)]
pub struct SetGroupMailingAddressPayload {
    pub group: GroupNode,
    /// Where the confirmation e-mail is going.
    pub address: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct RemoveGroupMailingAddressInput {
    pub group_id: ID,
}

#[derive(SimpleObject)]
pub struct RemoveGroupMailingAddressPayload {
    pub group: GroupNode,
    /// False when the group had no confirmed mailing address.
    pub removed: bool,
}

async fn group_node(ctx: &Context<'_>, group: GroupId) -> Result<GroupNode> {
    Ok(GroupNode(
        loaders(ctx)
            .groups
            .load_one(group)
            .await?
            .ok_or_else(|| AppError::not_found("group"))?,
    ))
}

async fn me(ctx: &Context<'_>) -> Result<MemberNode> {
    Ok(MemberNode(
        services::members::me(db(ctx), actor(ctx))
            .await?
            .ok_or(AppError::Unauthenticated)?,
    ))
}

#[derive(Default)]
pub struct DeliveryMutation;

#[Object]
impl DeliveryMutation {
    /// Sends you an e-mail with a link that confirms your address (it works once, for 48
    /// hours). Pyramid e-mails only confirmed addresses.
    async fn request_email_confirmation(
        &self,
        ctx: &Context<'_>,
        input: RequestEmailConfirmationInput,
    ) -> Result<RequestEmailConfirmationPayload> {
        let requested =
            email::request_confirmation(db(ctx), actor(ctx), input.address.as_deref()).await?;
        Ok(RequestEmailConfirmationPayload {
            address: requested.address.as_str().to_owned(),
            expires_at: requested.expires_at,
            member: me(ctx).await?,
        })
    }

    /// Chooses how you hear what happens to the items you raise: CHAT, EMAIL, BOTH or NONE.
    /// Until you choose, it is chat if you linked Discord, else e-mail once your address is
    /// confirmed.
    async fn set_delivery_preference(
        &self,
        ctx: &Context<'_>,
        input: SetDeliveryPreferenceInput,
    ) -> Result<SetDeliveryPreferencePayload> {
        let hearing =
            services::delivery::set_preference(db(ctx), actor(ctx), input.preference.into())
                .await?;
        Ok(SetDeliveryPreferencePayload {
            member: me(ctx).await?,
            hearing: hearing.into(),
        })
    }

    /// Gives a group a mailing address for its newsletters (its secretary or chair, or an
    /// administrator of its area). A confirmation e-mail goes to it first.
    async fn set_group_mailing_address(
        &self,
        ctx: &Context<'_>,
        input: SetGroupMailingAddressInput,
    ) -> Result<SetGroupMailingAddressPayload> {
        let group = ids::from_global::<GroupId>(&input.group_id, "groupId")?;
        let requested =
            email::request_group_address(db(ctx), actor(ctx), group, &input.address).await?;
        Ok(SetGroupMailingAddressPayload {
            group: group_node(ctx, group).await?,
            address: requested.address.as_str().to_owned(),
            expires_at: requested.expires_at,
        })
    }

    /// Stops e-mailing a group's newsletters to its mailing address.
    async fn remove_group_mailing_address(
        &self,
        ctx: &Context<'_>,
        input: RemoveGroupMailingAddressInput,
    ) -> Result<RemoveGroupMailingAddressPayload> {
        let group = ids::from_global::<GroupId>(&input.group_id, "groupId")?;
        let removed = email::remove_group_address(db(ctx), actor(ctx), group).await?;
        Ok(RemoveGroupMailingAddressPayload {
            group: group_node(ctx, group).await?,
            removed,
        })
    }

    /// Tries a given-up delivery again, from its first attempt, once what stopped it is put
    /// right (the member opened their direct messages, the synthesiser was installed). The
    /// officers who see it among the group's `failedDeliveries` may; a delivery waiting to be
    /// sent, or sent, is refused (CONFLICT), so nothing is sent twice.
    async fn retry_delivery(
        &self,
        ctx: &Context<'_>,
        input: RetryDeliveryInput,
    ) -> Result<RetryDeliveryPayload> {
        let id = ids::from_global::<DeliveryId>(&input.delivery_id, "deliveryId")?;
        let group = services::delivery::retry(db(ctx), actor(ctx), id).await?;
        Ok(RetryDeliveryPayload {
            group: group_node(ctx, group).await?,
        })
    }
}

#[derive(InputObject)]
pub struct RetryDeliveryInput {
    /// A `FailedDelivery.id`.
    pub delivery_id: ID,
}

#[derive(SimpleObject)]
pub struct RetryDeliveryPayload {
    /// The group it concerns (its `failedDeliveries` no longer list it).
    pub group: GroupNode,
}

/// The connection behind `Group.failedDeliveries`.
pub(super) async fn failed_deliveries(
    ctx: &Context<'_>,
    group: GroupId,
    first: Option<i32>,
    after: Option<String>,
) -> Result<super::pagination::IdConnection<FailedDeliveryNode>> {
    let request = super::pagination::page_request(first, after)?;
    let page =
        services::delivery::failed_deliveries(reader(ctx), actor(ctx), group, request).await?;
    Ok(super::pagination::connection(
        page,
        request,
        |d| d.id.0,
        FailedDeliveryNode,
    ))
}
