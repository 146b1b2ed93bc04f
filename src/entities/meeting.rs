use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// A group's meeting. `attendees` and `agenda` are JSON: the agenda is fixed when the
/// meeting is scheduled, from the items then waiting at the group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_id: i64,
    pub held_on: Date,
    pub title: RedactedText,
    pub attendees: String,
    pub agenda: String,
    pub minutes_recorded: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
