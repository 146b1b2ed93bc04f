//! Chat accounts and channels: a member links their chat account with a one-time code issued
//! through GraphQL; officers link a group's channel; the bot finds who is speaking and which
//! group a channel belongs to. The same functions serve GraphQL and the bot.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, Subject};
use super::{groups, members};
use crate::domain::authz::{self, Actor};
use crate::domain::{GroupId, MemberId};
use crate::entities::{chat_channel, chat_identity, chat_link_code};
use crate::error::{AppError, AppResult};

pub const DISCORD: &str = "DISCORD";

/// How long a link code works.
pub const LINK_CODE_LIFETIME_MINUTES: i64 = 30;

/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub struct LinkCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

fn hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Sha256::digest(normalised.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issues a one-time code for the caller to type in chat (`/link CODE`). Only its hash is kept.
#[tracing::instrument(skip_all, fields(member = ?actor.member_id()))]
pub async fn create_link_code(db: &DatabaseConnection, actor: &Actor) -> AppResult<LinkCode> {
    let member = actor.member_id().ok_or(AppError::Unauthenticated)?;
    let raw: String = {
        let mut rng = rand::rng();
        (0..8)
            .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
            .collect()
    };
    let code = format!("{}-{}", &raw[..4], &raw[4..]);
    let now = super::now();
    let expires_at = now + Duration::minutes(LINK_CODE_LIFETIME_MINUTES);
    chat_link_code::ActiveModel {
        member_id: Set(member.0),
        code_hash: Set(hash(&code)),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(LinkCode { code, expires_at })
}

/// Links a chat account to the member whose code it types. The code works once.
#[tracing::instrument(skip_all, fields(platform = %platform))]
pub async fn link_account(
    db: &DatabaseConnection,
    platform: &str,
    external_user: &str,
    code: &str,
) -> AppResult<MemberId> {
    let invalid = || {
        AppError::bad_input(
            "code",
            "That code is not valid: it may have expired or been used already. Ask for a new one in Pyramid (createChatLinkCode).",
        )
    };
    let txn = db.begin().await?;
    let found = chat_link_code::Entity::find()
        .filter(chat_link_code::Column::CodeHash.eq(hash(code)))
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    let now = super::now();
    if found.used_at.is_some() || found.expires_at < now {
        return Err(invalid());
    }
    // Mark it used only if nobody else did in the meantime.
    let used = chat_link_code::Entity::update_many()
        .col_expr(
            chat_link_code::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(chat_link_code::Column::Id.eq(found.id))
        .filter(chat_link_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(invalid());
    }
    // One account per member and one member per account: a new link replaces old ones.
    chat_identity::Entity::delete_many()
        .filter(chat_identity::Column::Platform.eq(platform))
        .filter(
            chat_identity::Column::ExternalId
                .eq(external_user)
                .or(chat_identity::Column::MemberId.eq(found.member_id)),
        )
        .exec(&txn)
        .await?;
    chat_identity::ActiveModel {
        member_id: Set(found.member_id),
        platform: Set(platform.to_owned()),
        external_id: Set(external_user.to_owned()),
        linked_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let actor = Actor::Member(authz::Principal {
        member_id: MemberId(found.member_id),
        seats: Vec::new(),
        area_roles: Vec::new(),
    });
    audit::record(
        &txn,
        &actor,
        "chat.account_linked",
        Subject::Member(found.member_id),
        json!({ "platform": platform }),
    )
    .await?;
    txn.commit().await?;
    Ok(MemberId(found.member_id))
}

/// The caller behind a chat account, with their memberships; `None` when it is not linked.
#[tracing::instrument(skip_all, fields(platform = %platform))]
pub async fn actor_for(
    conn: &impl ConnectionTrait,
    platform: &str,
    external_user: &str,
) -> AppResult<Option<Actor>> {
    let identity = chat_identity::Entity::find()
        .filter(chat_identity::Column::Platform.eq(platform))
        .filter(chat_identity::Column::ExternalId.eq(external_user))
        .one(conn)
        .await?;
    match identity {
        None => Ok(None),
        Some(identity) => members::principal(conn, MemberId(identity.member_id))
            .await
            .map(|p| p.map(Actor::Member)),
    }
}

/// Links a chat channel to a group: its newsletters are posted there and reports made there
/// are raised in it. Administrators and the group's officers may.
#[tracing::instrument(skip_all, fields(group = %group, platform = %platform, member = ?actor.member_id()))]
pub async fn link_channel(
    db: &DatabaseConnection,
    actor: &Actor,
    group: GroupId,
    platform: &str,
    external_channel: &str,
) -> AppResult<()> {
    let external_channel = external_channel.trim();
    if external_channel.is_empty()
        || external_channel.parse::<u64>().is_err()
        || !external_channel.chars().all(|c| c.is_ascii_digit())
    {
        return Err(AppError::bad_input(
            "channelId",
            "A Discord channel id is a long number (in Discord: right-click the channel, Copy Channel ID).",
        ));
    }
    authz::may_see_people(actor)?;
    let txn = db.begin().await?;
    let target = groups::get(&txn, group)
        .await
        .map_err(|_| AppError::bad_input("groupId", "There is no group with that id."))?;
    authz::may_link_channel(actor, target.id, target.area_id)?;
    // A channel already linked to another group is that group's: taking it over needs the
    // right to run that group too.
    let holder = chat_channel::Entity::find()
        .filter(chat_channel::Column::Platform.eq(platform))
        .filter(chat_channel::Column::ExternalId.eq(external_channel))
        .one(&txn)
        .await?;
    if let Some(holder) = holder.filter(|h| h.group_id != target.id.0) {
        let current = groups::get(&txn, GroupId(holder.group_id)).await?;
        authz::may_link_channel(actor, current.id, current.area_id).map_err(|_| {
            AppError::Forbidden(format!(
                "This channel is linked to {}: only that group's secretary or chair, or an administrator of its area, can move it to another group.",
                current.name.as_str()
            ))
        })?;
    }
    chat_channel::Entity::delete_many()
        .filter(chat_channel::Column::Platform.eq(platform))
        .filter(
            chat_channel::Column::ExternalId
                .eq(external_channel)
                .or(chat_channel::Column::GroupId.eq(group.0)),
        )
        .exec(&txn)
        .await?;
    let row = chat_channel::ActiveModel {
        group_id: Set(group.0),
        platform: Set(platform.to_owned()),
        external_id: Set(external_channel.to_owned()),
        linked_by: Set(actor.member_id().map(|m| m.0)),
        linked_at: Set(super::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "chat.channel_linked",
        Subject::Group(group.0),
        json!({ "platform": platform, "channel": row.external_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The group a chat channel is linked to.
pub async fn group_of_channel(
    conn: &impl ConnectionTrait,
    platform: &str,
    external_channel: &str,
) -> AppResult<Option<GroupId>> {
    Ok(chat_channel::Entity::find()
        .filter(chat_channel::Column::Platform.eq(platform))
        .filter(chat_channel::Column::ExternalId.eq(external_channel))
        .one(conn)
        .await?
        .map(|c| GroupId(c.group_id)))
}

/// The linked channel of each group that has one.
pub async fn channels_of(
    conn: &impl ConnectionTrait,
    platform: &str,
    groups: &[GroupId],
) -> AppResult<HashMap<GroupId, String>> {
    Ok(chat_channel::Entity::find()
        .filter(chat_channel::Column::Platform.eq(platform))
        .filter(chat_channel::Column::GroupId.is_in(groups.iter().map(|g| g.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (GroupId(c.group_id), c.external_id))
        .collect())
}

/// A member's linked chat account.
pub async fn account_of(
    conn: &impl ConnectionTrait,
    platform: &str,
    member: MemberId,
) -> AppResult<Option<String>> {
    Ok(chat_identity::Entity::find()
        .filter(chat_identity::Column::Platform.eq(platform))
        .filter(chat_identity::Column::MemberId.eq(member.0))
        .one(conn)
        .await?
        .map(|i| i.external_id))
}

/// Which of `members` have a linked chat account.
pub async fn linked_accounts(
    conn: &impl ConnectionTrait,
    platform: &str,
    members: &[MemberId],
) -> AppResult<HashSet<MemberId>> {
    if members.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(chat_identity::Entity::find()
        .filter(chat_identity::Column::Platform.eq(platform))
        .filter(chat_identity::Column::MemberId.is_in(members.iter().map(|m| m.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| MemberId(i.member_id))
        .collect())
}

/// Where a report made in chat is raised: the group the channel is linked to, or else the
/// member's PPG. `None` when the member belongs to no group.
pub async fn report_group(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    channel: Option<&str>,
) -> AppResult<Option<GroupId>> {
    if let Some(channel) = channel
        && let Some(group) = group_of_channel(conn, DISCORD, channel).await?
    {
        return Ok(Some(group));
    }
    let own: Vec<GroupId> = actor
        .seats()
        .iter()
        .filter(|s| s.represents.is_none())
        .map(|s| s.group)
        .collect();
    let found = groups::get_many(conn, &own).await?;
    let ppg = own.iter().find(|g| {
        found
            .get(g)
            .is_some_and(|g| g.kind == crate::domain::group::GroupKind::Ppg)
    });
    Ok(ppg.or(own.first()).copied())
}
