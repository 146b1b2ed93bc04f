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
use super::members;
use crate::domain::authz::{self, Actor, AreaRole, OrgRole, Principal, Seat};
use crate::domain::member::Role;
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::{ApiTokenId, GroupId, MemberId};
use crate::entities::{api_token as db, member as member_db};
use crate::error::{AppError, AppResult};

const PREFIX: &str = "pyr_";

/// A token's record, without the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub member_id: MemberId,
    pub label: RedactedText,
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

/// The SHA-256 of a secret, as stored (API tokens; e-mail links use it too).
pub(crate) fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn generate_secret() -> String {
    format!("{PREFIX}{}", random_secret())
}

/// 256 random bits, URL-safe (43 characters): nothing to guess, so a fast hash stores it.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether the caller may manage `owner`'s tokens (their own, or as an administrator of an
/// area the owner belongs to).
async fn check_may_manage(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    owner: MemberId,
) -> AppResult<()> {
    let areas = if actor.member_id() == Some(owner) || !actor.is_any_administrator() {
        Vec::new()
    } else {
        members::areas_of(conn, &[owner])
            .await?
            .remove(&owner)
            .unwrap_or_default()
    };
    Ok(authz::may_manage_tokens(actor, owner, &areas)?)
}

/// Issues a new token for `member`.
#[tracing::instrument(skip_all, fields(owner = %member, member = ?actor.member_id()))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    member: MemberId,
    label: &str,
) -> AppResult<IssuedToken> {
    check_may_manage(db, actor, member).await?;
    let mut removed = Vec::new();
    let label = parse_redacted("label", "A token's label", label, text::NAME, &mut removed)?;
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
    check_may_manage(&txn, actor, MemberId(model.member_id))
        .await
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
    check_may_manage(conn, actor, member).await?;
    Ok(db::Entity::find()
        .filter(db::Column::MemberId.eq(member.0))
        .order_by_desc(db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect())
}

/// What identifies a caller's token without being the token: its hash. A live subscription
/// keeps this, not the secret, to check on each event that the token is still good.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Credential(String);

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(hidden)")
    }
}

/// The credential a bearer token stands for, or `InvalidToken` when it cannot be one of ours.
pub fn credential(secret: &str) -> AppResult<Credential> {
    if secret.starts_with(PREFIX) {
        Ok(Credential(hash(secret)))
    } else {
        Err(AppError::InvalidToken)
    }
}

/// Turns a bearer token into the caller it belongs to (see `authenticate_credential`).
pub async fn authenticate(conn: &impl ConnectionTrait, secret: &str) -> AppResult<Actor> {
    authenticate_credential(conn, &credential(secret)?).await
}

/// The caller a credential belongs to, with their current memberships and organisation
/// roles, or `InvalidToken` once the token is revoked. One statement: the token's member
/// joined to their current memberships and current area roles.
#[tracing::instrument(skip_all)]
pub async fn authenticate_credential(
    conn: &impl ConnectionTrait,
    credential: &Credential,
) -> AppResult<Actor> {
    use crate::entities::{area_role as ar, membership as ms};
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};

    let query = Query::select()
        .expr_as(
            Expr::col((member_db::Entity, member_db::Column::Id)),
            Alias::new("member_id"),
        )
        .column((ms::Entity, ms::Column::GroupId))
        .column((ms::Entity, ms::Column::Role))
        .column((ms::Entity, ms::Column::RepresentsGroupId))
        .expr_as(
            Expr::col((ar::Entity, ar::Column::AreaId)),
            Alias::new("role_area"),
        )
        .expr_as(
            Expr::col((ar::Entity, ar::Column::Role)),
            Alias::new("area_role"),
        )
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
        .join(
            JoinType::LeftJoin,
            ar::Entity,
            Expr::col((ar::Entity, ar::Column::MemberId))
                .equals((member_db::Entity, member_db::Column::Id))
                .and(Expr::col((ar::Entity, ar::Column::Until)).is_null()),
        )
        .and_where(Expr::col((db::Entity, db::Column::TokenHash)).eq(credential.0.as_str()))
        .and_where(Expr::col((db::Entity, db::Column::RevokedAt)).is_null())
        .to_owned();
    let rows = conn.query_all(&query).await?;
    let Some(first) = rows.first() else {
        return Err(AppError::InvalidToken);
    };
    let mut principal = Principal {
        member_id: MemberId(first.try_get("", "member_id")?),
        seats: Vec::new(),
        area_roles: Vec::new(),
    };
    // Each seat appears once per area role and each role once per seat: keep one of each.
    for row in &rows {
        let group: Option<i64> = row.try_get("", "group_id")?;
        let role: Option<String> = row.try_get("", "role")?;
        if let (Some(group), Some(role)) = (group, role) {
            let role =
                Role::from_db(&role).ok_or_else(|| super::corrupt("memberships", group, "role"))?;
            let seat = Seat {
                group: GroupId(group),
                role,
                represents: row
                    .try_get::<Option<i64>>("", "represents_group_id")?
                    .map(GroupId),
            };
            if !principal.seats.contains(&seat) {
                principal.seats.push(seat);
            }
        }
        let area: Option<i64> = row.try_get("", "role_area")?;
        let role: Option<String> = row.try_get("", "area_role")?;
        if let (Some(area), Some(role)) = (area, role) {
            let role = OrgRole::from_db(&role)
                .ok_or_else(|| super::corrupt("area_roles", area, "role"))?;
            let held = AreaRole {
                area: GroupId(area),
                role,
            };
            if !principal.area_roles.contains(&held) {
                principal.area_roles.push(held);
            }
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
