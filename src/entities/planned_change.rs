use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// A change an answer said was planned, followed until it is made (see `domain::change`).
/// One per answered item.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "planned_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub item_id: i64,
    pub area_id: i64,
    /// The group holding the item when it was answered: the tier that referred it, to which
    /// it comes back at its due date.
    pub referring_group_id: i64,
    pub owner: RedactedText,
    pub owner_member_id: Option<i64>,
    pub due_on: Date,
    /// `PLANNED`, `MADE` or `ABANDONED`.
    pub state: String,
    /// When it came back at its due date; cleared when it is given a new date.
    pub returned_at: Option<DateTimeUtc>,
    pub made_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
