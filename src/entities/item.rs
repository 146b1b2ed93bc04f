use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// An item. `title` and `body` are stored already redacted. `latest_event_id` is kept on the
/// row so that dashboards need no per-item look-up of the trail.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reference: String,
    pub kind: String,
    pub title: RedactedText,
    pub body: RedactedText,
    pub provider_id: Option<i64>,
    pub provider_name: Option<RedactedText>,
    pub experienced_on: Option<Date>,
    pub sentiment: String,
    pub information_source: String,
    pub raised_with_pals: bool,
    pub raised_as_complaint: bool,
    pub safety_concern: bool,
    pub origin_group_id: i64,
    pub current_group_id: i64,
    pub status: String,
    pub submitter_id: i64,
    pub channel: String,
    pub idempotency_key: Option<String>,
    pub lead_item_id: Option<i64>,
    pub latest_event_id: Option<i64>,
    pub referred_at: Option<DateTimeUtc>,
    pub responded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The area (council) it was raised in; it never leaves it.
    pub area_id: Option<i64>,
    /// The submitter agreed that their name may travel with the item.
    pub share_name: bool,
    /// A fingerprint of what was submitted, to recognise a reused idempotency key.
    pub submission_hash: Option<String>,
    /// Harm or risk to patients, 0 to 5, set by the tier's officers; 4 and 5 take the safety
    /// fast path.
    pub severity: Option<i16>,
    pub severity_reason: Option<RedactedText>,
    /// For an item referred to the commissioners: when its answer is due (the area's
    /// working days after the referral).
    pub response_due_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
