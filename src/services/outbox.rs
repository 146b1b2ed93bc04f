//! The outbox: deliveries to the outside world (a member's direct message, a newsletter posted
//! to a chat channel) written in the same transaction as the change that causes them, and
//! delivered later by the worker in `workers.rs`. A delivery's `dedupe_key` is unique, so
//! the same delivery is never queued twice, whatever retries or double clicks happen.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::Value;

use crate::domain::MemberId;
use crate::entities::outbox as db;
use crate::error::AppResult;

pub const PENDING: &str = "PENDING";
pub const DELIVERED: &str = "DELIVERED";
/// Given up on after too many attempts, or nowhere to deliver to; kept for the record.
pub const FAILED: &str = "FAILED";

/// Where a delivery goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A member, by whatever channel reaches them (a chat direct message).
    Member(MemberId),
    /// The commissioners' quality team.
    QualityTeam,
    /// A group's linked chat channel.
    GroupChannel(crate::domain::GroupId),
}

impl Destination {
    pub fn as_string(&self) -> String {
        match self {
            Destination::Member(id) => format!("member:{id}"),
            Destination::QualityTeam => "quality-team".to_owned(),
            Destination::GroupChannel(id) => format!("group-channel:{id}"),
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        if value == "quality-team" {
            return Some(Destination::QualityTeam);
        }
        let (kind, id) = value.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "member" => Some(Destination::Member(MemberId(id))),
            "group-channel" => Some(Destination::GroupChannel(crate::domain::GroupId(id))),
            _ => None,
        }
    }
}

/// Queues a delivery unless one with the same `dedupe_key` was queued before. Returns whether
/// a new delivery was queued.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: &str,
    destination: Destination,
    dedupe_key: String,
    payload: Value,
) -> AppResult<bool> {
    let now = super::now();
    let row = db::ActiveModel {
        kind: Set(kind.to_owned()),
        destination: Set(destination.as_string()),
        dedupe_key: Set(dedupe_key),
        payload: Set(payload.to_string()),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    };
    let inserted = db::Entity::insert(row)
        .on_conflict(
            OnConflict::column(db::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(inserted > 0)
}
