//! Who an e-mail delivery goes to, how a member can be reached, and the link each e-mail
//! carries, made as it is sent.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::{CONFIRM, Owner, UNSUBSCRIBE, confirmed_group_address, stored_address};
use crate::domain::delivery::{DeliveryPreference, Medium, Reach};
use crate::domain::member::Email;
use crate::domain::{DeliveryId, EmailConfirmationId, GroupId, MemberId};
use crate::entities::{
    email_confirmation as confirmation_db, email_link as link_db, member as member_db,
};
use crate::error::{AppError, AppResult};
use crate::services::outbox::Destination;
use crate::services::{chat, groups, tokens};

/// What a member has set up to be reached, from their row.
pub(crate) async fn reach_from(
    conn: &impl ConnectionTrait,
    member: &member_db::Model,
) -> AppResult<Reach> {
    let chosen = member
        .delivery_preference
        .as_deref()
        .map(|p| {
            DeliveryPreference::from_db(p).ok_or_else(|| {
                crate::services::corrupt("members", member.id, "delivery preference")
            })
        })
        .transpose()?;
    let chat = chat::account_of(conn, chat::DISCORD, MemberId(member.id))
        .await?
        .is_some();
    Ok(Reach {
        chosen,
        chat,
        email: member.email.is_some() && member.email_confirmed_at.is_some(),
    })
}

/// Who an e-mail is for, as the courier needs it when it sends.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub address: Email,
    /// The member's or the group's name, for the To line and the greeting.
    pub name: String,
    /// Whose address it is.
    pub of: RecipientKind,
    link: (Option<EmailConfirmationId>, Owner),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientKind {
    Member,
    Group,
}

/// The address a delivery goes to now, or why there is none (a reason for the record).
pub async fn recipient(
    conn: &impl ConnectionTrait,
    destination: &Destination,
) -> AppResult<Result<Recipient, &'static str>> {
    match destination {
        Destination::MemberEmail(member) => {
            let Some(row) = member_db::Entity::find_by_id(member.0).one(conn).await? else {
                return Ok(Err("the member is no longer in Pyramid"));
            };
            let reach = reach_from(conn, &row).await?;
            let (Some(raw), true) = (row.email.as_deref(), reach.email) else {
                return Ok(Err("the member has no confirmed e-mail address"));
            };
            if !reach
                .preference()
                .is_some_and(|p| p.media().contains(&Medium::Email))
            {
                return Ok(Err(
                    "the member stopped e-mail from Pyramid before it was sent",
                ));
            }
            Ok(Ok(Recipient {
                address: stored_address("members", row.id, raw)?,
                name: row.name,
                of: RecipientKind::Member,
                link: (None, Owner::Member(*member)),
            }))
        }
        Destination::GroupEmail(group) => {
            let Some(address) = confirmed_group_address(conn, *group).await? else {
                return Ok(Err("the group has no confirmed mailing address"));
            };
            Ok(Ok(Recipient {
                address,
                name: groups::get(conn, *group).await?.name.as_str().to_owned(),
                of: RecipientKind::Group,
                link: (None, Owner::Group(*group)),
            }))
        }
        Destination::Confirmation(id) => {
            let Some(row) = confirmation_db::Entity::find_by_id(id.0).one(conn).await? else {
                return Ok(Err("the confirmation no longer exists"));
            };
            if row.confirmed_at.is_some() || row.cancelled_at.is_some() {
                return Ok(Err(
                    "the address was confirmed, or another was asked for, before this was sent",
                ));
            }
            if row.expires_at < crate::services::now() {
                return Ok(Err("the confirmation expired before it could be sent"));
            }
            let address = stored_address("email_confirmations", row.id, &row.address)?;
            let (name, of, owner) = match (row.member_id, row.group_id) {
                (Some(member), _) => {
                    let member_row = member_db::Entity::find_by_id(member)
                        .one(conn)
                        .await?
                        .ok_or_else(|| AppError::not_found("member"))?;
                    (
                        member_row.name,
                        RecipientKind::Member,
                        Owner::Member(MemberId(member)),
                    )
                }
                (None, Some(group)) => (
                    groups::get(conn, GroupId(group))
                        .await?
                        .name
                        .as_str()
                        .to_owned(),
                    RecipientKind::Group,
                    Owner::Group(GroupId(group)),
                ),
                (None, None) => {
                    return Err(crate::services::corrupt(
                        "email_confirmations",
                        row.id,
                        "owner",
                    ));
                }
            };
            Ok(Ok(Recipient {
                address,
                name,
                of,
                link: (Some(*id), owner),
            }))
        }
        _ => Ok(Err("this destination is not an e-mail address")),
    }
}

/// The link an e-mail to `recipient` carries, made as it is sent: for a confirmation e-mail
/// the one-time link that confirms the address (`/email/confirm/TOKEN`), for any other the
/// link that stops e-mail to it (`/email/unsubscribe/TOKEN`). Returns the path.
pub async fn issue_link(
    conn: &impl ConnectionTrait,
    recipient: &Recipient,
    delivery: DeliveryId,
) -> AppResult<String> {
    let token = tokens::random_secret();
    let (confirmation, owner) = recipient.link;
    let (member_id, group_id) = match owner {
        Owner::Member(m) => (Some(m.0), None),
        Owner::Group(g) => (None, Some(g.0)),
    };
    link_db::ActiveModel {
        token_hash: Set(tokens::hash(&token)),
        purpose: Set(if confirmation.is_some() {
            CONFIRM
        } else {
            UNSUBSCRIBE
        }
        .to_owned()),
        confirmation_id: Set(confirmation.map(|c| c.0)),
        member_id: Set(member_id),
        group_id: Set(group_id),
        address: Set(recipient.address.as_str().to_owned()),
        delivery_id: Set(Some(delivery.0)),
        created_at: Set(crate::services::now()),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(match confirmation {
        Some(_) => format!("/email/confirm/{token}"),
        None => format!("/email/unsubscribe/{token}"),
    })
}
