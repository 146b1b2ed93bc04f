//! The outbox: deliveries to the outside world (a member's direct message, a newsletter posted
//! to a chat channel, a safety alert) written in the same transaction as the change that
//! causes them, and delivered later by the worker in `workers.rs`.
//!
//! What a delivery says is a typed [`Message`]: producers construct one, couriers match on
//! it, and it is stored as tagged JSON. A delivery's dedupe key is derived from its message and
//! destination here and nowhere else, and is unique, so the same delivery is never queued
//! twice, whatever retries or double clicks happen.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::domain::item::{EventKind, Outcome, Status};
use crate::domain::pattern::PatternEventKind;
use crate::domain::{
    GroupId, ItemEventId, ItemId, MemberId, NewsletterId, PatternId, RedactedText, WatchId,
};
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
    GroupChannel(GroupId),
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
            "group-channel" => Some(Destination::GroupChannel(GroupId(id))),
            _ => None,
        }
    }
}

/// What a delivery says. Stored as JSON tagged with `kind`; a stored message that no longer
/// parses is a failed delivery with the reason recorded, never a message with blanks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "SCREAMING_SNAKE_CASE",
    rename_all_fields = "camelCase"
)]
pub enum Message {
    /// A newsletter was published: a short post with its link.
    Newsletter {
        newsletter_id: NewsletterId,
        title: RedactedText,
        issuer: String,
        summary: String,
        /// Where it can be read, relative to Pyramid's public address.
        path: String,
    },
    /// What happened to an item, for the member who raised it.
    ItemUpdate {
        item_id: ItemId,
        event_id: ItemEventId,
        reference: String,
        title: RedactedText,
        event: EventKind,
        status: Status,
        /// The group holding the item now.
        group_id: GroupId,
        /// The answer, for a response.
        answer: Option<RedactedText>,
        outcome: Option<Outcome>,
    },
    /// A safety concern was raised, for the quality team.
    SafetyAlert {
        item_id: ItemId,
        reference: String,
        title: RedactedText,
        /// The group it was raised in.
        group_id: GroupId,
    },
    /// A pattern of concern opened, reopened or moved to a group, for that group's officers.
    PatternAlert {
        pattern_id: PatternId,
        event_id: i64,
        /// Opened, reopened or moved (`kind` is the message's own tag).
        change: PatternEventKind,
        provider: String,
        theme: Option<String>,
        ppg_count: i32,
        item_count: i32,
        /// The group it belongs to now.
        group_id: GroupId,
        window_days: i64,
        reopened_because: Option<RedactedText>,
    },
    /// What a member's watch caught since the last digest: items they may see, and changes
    /// to patterns they may see.
    WatchDigest {
        watch_id: WatchId,
        /// The end of the period it covers (what makes it one digest).
        until: DateTime<Utc>,
        /// What the watch is on, in words.
        about: String,
        /// One line per new item: its reference and title.
        items: Vec<RedactedText>,
        /// One line per pattern change.
        patterns: Vec<String>,
    },
}

impl Message {
    /// The kind, as kept in its own column for people reading the table.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Newsletter { .. } => "NEWSLETTER",
            Message::ItemUpdate { .. } => "ITEM_UPDATE",
            Message::SafetyAlert { .. } => "SAFETY_ALERT",
            Message::PatternAlert { .. } => "PATTERN_ALERT",
            Message::WatchDigest { .. } => "WATCH_DIGEST",
        }
    }

    /// What makes this delivery the same delivery however often it is queued.
    fn dedupe_key(&self, destination: &Destination) -> String {
        match self {
            Message::Newsletter { newsletter_id, .. } => {
                format!(
                    "{}{}",
                    newsletter_key_prefix(*newsletter_id),
                    destination.as_string()
                )
            }
            Message::ItemUpdate { event_id, .. } => format!("item-event:{event_id}"),
            Message::SafetyAlert { item_id, .. } => format!("safety:{item_id}"),
            Message::PatternAlert { event_id, .. } => {
                format!("pattern-event:{event_id}:{}", destination.as_string())
            }
            Message::WatchDigest {
                watch_id, until, ..
            } => {
                format!("watch:{watch_id}:{}", until.timestamp())
            }
        }
    }

    /// Reads a stored message. Rows queued before messages were typed (November 2026) kept
    /// the kind only in its column and an item update's event only in its dedupe key; both
    /// are put back into the JSON before parsing.
    pub fn from_stored(kind: &str, dedupe_key: &str, payload: &str) -> Result<Message, String> {
        let mut value: serde_json::Value =
            serde_json::from_str(payload).map_err(|e| format!("not JSON ({e})"))?;
        if let Some(object) = value.as_object_mut()
            && !object.contains_key("kind")
        {
            object.insert("kind".into(), kind.into());
            if let Some(event) = dedupe_key
                .strip_prefix("item-event:")
                .and_then(|id| id.parse::<i64>().ok())
            {
                object.entry("eventId").or_insert(event.into());
            }
        }
        serde_json::from_value(value).map_err(|e| format!("not a {kind} message ({e})"))
    }
}

/// The start of the dedupe key of every delivery of one newsletter.
pub fn newsletter_key_prefix(newsletter: NewsletterId) -> String {
    format!("newsletter:{newsletter}:")
}

/// Queues a delivery unless the same one was queued before. Returns whether a new delivery
/// was queued.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    destination: Destination,
    message: Message,
) -> AppResult<bool> {
    let now = super::now();
    let payload = serde_json::to_string(&message)
        .map_err(|e| crate::error::AppError::internal(e, "writing an outbox message"))?;
    let row = db::ActiveModel {
        kind: Set(message.kind().to_owned()),
        dedupe_key: Set(message.dedupe_key(&destination)),
        destination: Set(destination.as_string()),
        payload: Set(payload),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> Message {
        Message::ItemUpdate {
            item_id: ItemId(4),
            event_id: ItemEventId(9),
            reference: "SI-2026-000004".into(),
            title: RedactedText::scrub("Long waits"),
            event: EventKind::Responded,
            status: Status::Responded,
            group_id: GroupId(2),
            answer: Some(RedactedText::scrub("Two more clinicians.")),
            outcome: Some(Outcome::ChangeMade),
        }
    }

    #[test]
    fn messages_round_trip_through_storage() {
        let message = update();
        let stored = serde_json::to_string(&message).unwrap();
        assert!(stored.contains("\"kind\":\"ITEM_UPDATE\""), "{stored}");
        assert!(stored.contains("\"outcome\":\"CHANGE_MADE\""), "{stored}");
        assert_eq!(
            Message::from_stored("ITEM_UPDATE", "item-event:9", &stored),
            Ok(message)
        );
    }

    #[test]
    fn rows_from_before_typed_messages_still_parse() {
        let old = r#"{"itemId":3,"reference":"SI-2026-000003","title":"Wrong dose","groupId":5}"#;
        assert_eq!(
            Message::from_stored("SAFETY_ALERT", "safety:3", old),
            Ok(Message::SafetyAlert {
                item_id: ItemId(3),
                reference: "SI-2026-000003".into(),
                title: RedactedText::scrub("Wrong dose"),
                group_id: GroupId(5),
            })
        );
        let old = r#"{"itemId":4,"reference":"SI-2026-000004","title":"Long waits","event":"RESPONDED","status":"RESPONDED","groupId":2,"answer":"Two more clinicians.","outcome":"CHANGE_MADE"}"#;
        assert_eq!(
            Message::from_stored("ITEM_UPDATE", "item-event:9", old),
            Ok(update())
        );
    }

    #[test]
    fn a_message_that_no_longer_parses_says_why() {
        let error = Message::from_stored("ITEM_UPDATE", "item-event:1", r#"{"itemId":"three"}"#)
            .unwrap_err();
        assert!(error.starts_with("not a ITEM_UPDATE message"), "{error}");
        assert!(Message::from_stored("NEWSLETTER", "newsletter:1:", "{").is_err());
    }

    #[test]
    fn dedupe_keys_name_the_delivery() {
        let newsletter = Message::Newsletter {
            newsletter_id: NewsletterId(7),
            title: RedactedText::scrub("t"),
            issuer: "i".into(),
            summary: "s".into(),
            path: "/newsletters/7".into(),
        };
        let key = newsletter.dedupe_key(&Destination::GroupChannel(GroupId(3)));
        assert_eq!(key, "newsletter:7:group-channel:3");
        assert!(key.starts_with(&newsletter_key_prefix(NewsletterId(7))));
        assert_eq!(
            update().dedupe_key(&Destination::Member(MemberId(1))),
            "item-event:9"
        );
    }
}
