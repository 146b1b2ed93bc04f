use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// A consultation or engagement exercise in an area's register. `method` and
/// `influence_level` are stored enums (`domain::consultation`); every text is redacted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consultations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub area_id: i64,
    pub title: RedactedText,
    pub starts_on: Date,
    pub ends_on: Date,
    pub method: String,
    pub people_involved: Option<i32>,
    pub who_was_involved: RedactedText,
    pub what_was_heard: Option<RedactedText>,
    pub decision: Option<RedactedText>,
    pub influence: Option<RedactedText>,
    pub influence_level: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
