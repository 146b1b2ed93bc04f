//! API tokens: created for a member and shown once, stored only as a SHA-256 hash, revoked
//! by their owner or an administrator. Tokens carry 256 random bits, so a fast hash is enough
//! (there is nothing to guess); what matters is that a database leak reveals no token.

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, Subject};
use crate::domain::authz::{self, Actor, Principal, Seat};
use crate::domain::member::Role;
use crate::domain::text::{self, parse_text};
use crate::domain::{ApiTokenId, GroupId, MemberId};
use crate::entities::{api_token as db, member as member_db};
use crate::error::{AppError, AppResult};

const PREFIX: &str = "pyr_";

/// A token's record, without the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub member_id: MemberId,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just created: the only time the secret exists outside its owner's hands.
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

fn from_model(model: db::Model) -> ApiToken {
    ApiToken {
        id: ApiTokenId(model.id),
        member_id: MemberId(model.member_id),
        label: model.label,
        created_at: model.created_at,
        revoked_at: model.revoked_at,
    }
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Issues a new token for `member`.
#[tracing::instrument(skip_all, fields(owner = %member, member = ?actor.member_id()))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    member: MemberId,
    label: &str,
) -> AppResult<IssuedToken> {
    authz::may_manage_tokens(actor, member)?;
    let label = parse_text("label", "A token's label", label, text::NAME)?;
    let txn = db.begin().await?;
    member_db::Entity::find_by_id(member.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("memberId", "There is no member with that id."))?;
    let secret = generate_secret();
    let model = db::ActiveModel {
        member_id: Set(member.0),
        label: Set(label),
        token_hash: Set(hash(&secret)),
        created_at: Set(super::now()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "api_token.created",
        Subject::ApiToken(model.id),
        json!({ "member_id": model.member_id, "label": model.label }),
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedToken {
        token: from_model(model),
        secret,
    })
}

#[tracing::instrument(skip_all, fields(token = %id, member = ?actor.member_id()))]
pub async fn revoke(db: &DatabaseConnection, actor: &Actor, id: ApiTokenId) -> AppResult<ApiToken> {
    let txn = db.begin().await?;
    let model = db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("API token"))?;
    authz::may_manage_tokens(actor, MemberId(model.member_id))
        .map_err(|_| AppError::not_found("API token"))?;
    if model.revoked_at.is_some() {
        return Ok(from_model(model));
    }
    let mut active: db::ActiveModel = model.into();
    active.revoked_at = Set(Some(super::now()));
    let model = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "api_token.revoked",
        Subject::ApiToken(model.id),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(from_model(model))
}

/// Revokes every current token of `member` with this label (used by the demo seed, which
/// issues fresh tokens each time it runs).
pub async fn revoke_labelled(
    conn: &impl ConnectionTrait,
    member: MemberId,
    label: &str,
) -> AppResult<()> {
    db::Entity::update_many()
        .col_expr(
            db::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(super::now()),
        )
        .filter(db::Column::MemberId.eq(member.0))
        .filter(db::Column::Label.eq(label))
        .filter(db::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// A member's tokens, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    member: MemberId,
) -> AppResult<Vec<ApiToken>> {
    authz::may_manage_tokens(actor, member)?;
    Ok(db::Entity::find()
        .filter(db::Column::MemberId.eq(member.0))
        .order_by_desc(db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect())
}

/// Turns a bearer token into the caller it belongs to, with their current memberships.
/// One statement: the token's member joined to their current memberships.
#[tracing::instrument(skip_all)]
pub async fn authenticate(conn: &impl ConnectionTrait, secret: &str) -> AppResult<Actor> {
    use crate::entities::membership as ms;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};

    if !secret.starts_with(PREFIX) {
        return Err(AppError::InvalidToken);
    }
    let query = Query::select()
        .expr_as(
            Expr::col((member_db::Entity, member_db::Column::Id)),
            Alias::new("member_id"),
        )
        .column((member_db::Entity, member_db::Column::Administrator))
        .column((member_db::Entity, member_db::Column::Commissioner))
        .column((ms::Entity, ms::Column::GroupId))
        .column((ms::Entity, ms::Column::Role))
        .column((ms::Entity, ms::Column::RepresentsGroupId))
        .from(db::Entity)
        .join(
            JoinType::InnerJoin,
            member_db::Entity,
            Expr::col((member_db::Entity, member_db::Column::Id))
                .equals((db::Entity, db::Column::MemberId)),
        )
        .join(
            JoinType::LeftJoin,
            ms::Entity,
            Expr::col((ms::Entity, ms::Column::MemberId))
                .equals((member_db::Entity, member_db::Column::Id))
                .and(Expr::col((ms::Entity, ms::Column::Until)).is_null()),
        )
        .and_where(Expr::col((db::Entity, db::Column::TokenHash)).eq(hash(secret)))
        .and_where(Expr::col((db::Entity, db::Column::RevokedAt)).is_null())
        .to_owned();
    let rows = conn.query_all(&query).await?;
    let Some(first) = rows.first() else {
        return Err(AppError::InvalidToken);
    };
    let mut principal = Principal {
        member_id: MemberId(first.try_get("", "member_id")?),
        administrator: first.try_get("", "administrator")?,
        commissioner: first.try_get("", "commissioner")?,
        seats: Vec::new(),
    };
    for row in &rows {
        let group: Option<i64> = row.try_get("", "group_id")?;
        let role: Option<String> = row.try_get("", "role")?;
        if let (Some(group), Some(role)) = (group, role) {
            let role =
                Role::from_db(&role).ok_or_else(|| super::corrupt("memberships", group, "role"))?;
            principal.seats.push(Seat {
                group: GroupId(group),
                role,
                represents: row
                    .try_get::<Option<i64>>("", "represents_group_id")?
                    .map(GroupId),
            });
        }
    }
    Ok(Actor::Member(principal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert!(!hash(&a).contains(&a[PREFIX.len()..]));
    }
}
