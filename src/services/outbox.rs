//! The outbox: deliveries to the outside world (a member's direct message or e-mail, a
//! newsletter posted to a chat channel or e-mailed to a group's mailing address, a safety
//! alert, an address's confirmation) written in the same transaction as the change that
//! causes them, and delivered later by the worker in `workers.rs`.
//!
//! What a delivery says is a typed [`Message`]: producers construct one, couriers match on
//! it, and it is stored as tagged JSON. A delivery's dedupe key is derived from its message and
//! destination here and nowhere else, and is unique, so the same delivery is never queued
//! twice, whatever retries or double clicks happen.
//!
//! Each destination is carried by one medium (`Destination::medium`: chat or e-mail), kept in
//! its own column so that a worker claims only deliveries its couriers can carry: without the
//! Discord bot, chat deliveries wait while e-mail goes. A member's news is split by medium
//! when it is queued, not when it is delivered (`services/delivery.rs` resolves their
//! preference into one delivery per medium: `Member` for chat, `MemberEmail` for e-mail), so
//! each has its own dedupe key, attempts, retries and failure, and a chat outage never holds
//! up or repeats an e-mail. The courier still reads the address when it delivers, so an
//! address changed or withdrawn in the meantime is respected.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::delivery::Medium;
use crate::domain::item::{EventKind, Outcome, Status};
use crate::domain::pattern::PatternEventKind;
use crate::domain::{
    EmailConfirmationId, GroupId, ItemEventId, ItemId, MemberId, NewsletterId, PatternId,
    RedactedText, ReportId, WatchId,
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
    /// A member, by a chat direct message.
    Member(MemberId),
    /// The commissioners' quality team.
    QualityTeam,
    /// A group's linked chat channel.
    GroupChannel(GroupId),
    /// A member's confirmed e-mail address.
    MemberEmail(MemberId),
    /// A group's confirmed mailing address.
    GroupEmail(GroupId),
    /// An address waiting to be confirmed (the confirmation e-mail itself).
    Confirmation(EmailConfirmationId),
    /// A newsletter's audio version, made on the server and kept in `newsletter_audio`.
    NewsletterAudio(NewsletterId),
    /// A published report's audio version, made on the server and kept in `report_audio`.
    ReportAudio(ReportId),
}

impl Destination {
    pub fn as_string(&self) -> String {
        match self {
            Destination::Member(id) => format!("member:{id}"),
            Destination::QualityTeam => "quality-team".to_owned(),
            Destination::GroupChannel(id) => format!("group-channel:{id}"),
            Destination::MemberEmail(id) => format!("member-email:{id}"),
            Destination::GroupEmail(id) => format!("group-email:{id}"),
            Destination::Confirmation(id) => format!("email-confirmation:{id}"),
            Destination::NewsletterAudio(id) => format!("newsletter-audio:{id}"),
            Destination::ReportAudio(id) => format!("report-audio:{id}"),
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
            "member-email" => Some(Destination::MemberEmail(MemberId(id))),
            "group-email" => Some(Destination::GroupEmail(GroupId(id))),
            "email-confirmation" => Some(Destination::Confirmation(EmailConfirmationId(id))),
            "newsletter-audio" => Some(Destination::NewsletterAudio(NewsletterId(id))),
            "report-audio" => Some(Destination::ReportAudio(ReportId(id))),
            _ => None,
        }
    }

    /// What carries deliveries to this destination.
    pub fn medium(&self) -> Medium {
        match self {
            Destination::Member(_) | Destination::QualityTeam | Destination::GroupChannel(_) => {
                Medium::Chat
            }
            Destination::MemberEmail(_)
            | Destination::GroupEmail(_)
            | Destination::Confirmation(_) => Medium::Email,
            Destination::NewsletterAudio(_) | Destination::ReportAudio(_) => Medium::Audio,
        }
    }

    /// The member a delivery to this destination is for.
    pub fn member(&self) -> Option<MemberId> {
        match self {
            Destination::Member(id) | Destination::MemberEmail(id) => Some(*id),
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
        /// The PPG it was raised in, whose officers see the update if it cannot be delivered
        /// (absent from updates queued before December 2026).
        #[serde(default)]
        origin_group_id: Option<GroupId>,
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
    /// A planned change reached its due date: the tier that referred the item is asked
    /// whether it was done (in its chat channels and at its mailing address).
    ChangeDue {
        item_id: ItemId,
        event_id: ItemEventId,
        reference: String,
        owner: RedactedText,
        due_on: NaiveDate,
        /// The referring group.
        group_id: GroupId,
    },
    /// A newsletter was published: make its audio version from its plain text (once; the
    /// courier in `speech.rs` reads the newsletter when it makes it).
    NewsletterAudio {
        newsletter_id: NewsletterId,
        /// The issuing group, whose officers see it if it cannot be made.
        group_id: GroupId,
    },
    /// A report was published: make its audio version from its plain text as published
    /// (once, like a newsletter's).
    ReportAudio {
        report_id: ReportId,
        /// The report's area (its Patients' Council), whose officers see it if it cannot be
        /// made.
        group_id: GroupId,
    },
    /// An e-mail asking whoever reads the address to confirm it is the right one, with a
    /// one-time link (made when it is sent: see `mail/courier.rs`).
    EmailConfirmation {
        confirmation_id: EmailConfirmationId,
        /// For a group's mailing address, the group.
        group_id: Option<GroupId>,
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
            Message::EmailConfirmation { .. } => "EMAIL_CONFIRMATION",
            Message::ChangeDue { .. } => "CHANGE_DUE",
            Message::NewsletterAudio { .. } => "NEWSLETTER_AUDIO",
            Message::ReportAudio { .. } => "REPORT_AUDIO",
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
            // A chat message keeps the key it had before e-mail existed.
            Message::ItemUpdate { event_id, .. } => match destination {
                Destination::Member(_) => format!("item-event:{event_id}"),
                other => format!("item-event:{event_id}:{}", other.as_string()),
            },
            Message::SafetyAlert { item_id, .. } => format!("safety:{item_id}"),
            Message::PatternAlert { event_id, .. } => {
                format!("pattern-event:{event_id}:{}", destination.as_string())
            }
            Message::WatchDigest {
                watch_id, until, ..
            } => {
                format!(
                    "watch:{watch_id}:{}:{}",
                    until.timestamp(),
                    destination.as_string()
                )
            }
            Message::EmailConfirmation {
                confirmation_id, ..
            } => format!("email-confirmation:{confirmation_id}"),
            Message::ChangeDue { event_id, .. } => {
                format!("change-due:{event_id}:{}", destination.as_string())
            }
            Message::NewsletterAudio { newsletter_id, .. } => {
                format!("newsletter-audio:{newsletter_id}")
            }
            Message::ReportAudio { report_id, .. } => format!("report-audio:{report_id}"),
        }
    }

    /// The group whose officers see this delivery if it is given up: the group a channel or
    /// mailing address belongs to, or the PPG the item was raised in.
    fn answerable_group(&self, destination: &Destination) -> Option<GroupId> {
        match (destination, self) {
            (Destination::GroupChannel(group) | Destination::GroupEmail(group), _) => Some(*group),
            (
                _,
                Message::ItemUpdate {
                    origin_group_id, ..
                },
            ) => *origin_group_id,
            (_, Message::SafetyAlert { group_id, .. }) => Some(*group_id),
            (_, Message::EmailConfirmation { group_id, .. }) => *group_id,
            (_, Message::Newsletter { .. }) => None,
            // Pattern alerts and digests go to members; a lost one is seen in their group's
            // failed deliveries no more than a newsletter is.
            (_, Message::PatternAlert { group_id, .. }) => Some(*group_id),
            (_, Message::WatchDigest { .. }) => None,
            (_, Message::ChangeDue { group_id, .. }) => Some(*group_id),
            (_, Message::NewsletterAudio { group_id, .. })
            | (_, Message::ReportAudio { group_id, .. }) => Some(*group_id),
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
    insert(conn, destination, message, None).await
}

/// Records a delivery that cannot be made (the member has no way set up to be reached) as
/// given up at once, with the reason, so that it is seen rather than silently dropped. Like
/// `enqueue`, it is recorded once.
pub async fn record_undeliverable(
    conn: &impl ConnectionTrait,
    destination: Destination,
    message: Message,
    reason: &str,
) -> AppResult<bool> {
    insert(conn, destination, message, Some(reason)).await
}

async fn insert(
    conn: &impl ConnectionTrait,
    destination: Destination,
    message: Message,
    given_up: Option<&str>,
) -> AppResult<bool> {
    let now = super::now();
    let payload = serde_json::to_string(&message)
        .map_err(|e| crate::error::AppError::internal(e, "writing an outbox message"))?;
    let row = db::ActiveModel {
        kind: Set(message.kind().to_owned()),
        dedupe_key: Set(message.dedupe_key(&destination)),
        destination: Set(destination.as_string()),
        channel: Set(destination.medium().as_str().to_owned()),
        group_id: Set(message.answerable_group(&destination).map(|g| g.0)),
        payload: Set(payload),
        status: Set(if given_up.is_some() { FAILED } else { PENDING }.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(given_up.map(str::to_owned)),
        created_at: Set(now),
        delivered_at: Set(None),
        given_up_at: Set(given_up.map(|_| now)),
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
            origin_group_id: None,
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
        assert_eq!(
            update().dedupe_key(&Destination::MemberEmail(MemberId(1))),
            "item-event:9:member-email:1"
        );
        assert_eq!(
            newsletter.dedupe_key(&Destination::GroupEmail(GroupId(3))),
            "newsletter:7:group-email:3"
        );
    }

    #[test]
    fn destinations_round_trip_and_say_what_carries_them() {
        for destination in [
            Destination::Member(MemberId(1)),
            Destination::QualityTeam,
            Destination::GroupChannel(GroupId(2)),
            Destination::MemberEmail(MemberId(3)),
            Destination::GroupEmail(GroupId(4)),
            Destination::Confirmation(EmailConfirmationId(5)),
            Destination::NewsletterAudio(NewsletterId(6)),
            Destination::ReportAudio(ReportId(7)),
        ] {
            assert_eq!(
                Destination::parse(&destination.as_string()),
                Some(destination.clone())
            );
        }
        assert_eq!(Destination::Member(MemberId(1)).medium(), Medium::Chat);
        assert_eq!(Destination::GroupEmail(GroupId(1)).medium(), Medium::Email);
    }

    #[test]
    fn a_delivery_that_fails_is_seen_by_the_group_it_concerns() {
        let mut update = update();
        if let Message::ItemUpdate {
            origin_group_id, ..
        } = &mut update
        {
            *origin_group_id = Some(GroupId(8));
        }
        assert_eq!(
            update.answerable_group(&Destination::MemberEmail(MemberId(1))),
            Some(GroupId(8))
        );
        let newsletter = Message::Newsletter {
            newsletter_id: NewsletterId(7),
            title: RedactedText::scrub("t"),
            issuer: "i".into(),
            summary: "s".into(),
            path: "/newsletters/7".into(),
        };
        assert_eq!(
            newsletter.answerable_group(&Destination::GroupEmail(GroupId(3))),
            Some(GroupId(3))
        );
    }
}
