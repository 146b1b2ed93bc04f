use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// A newsletter: a draft while its issuing group's officers edit it, frozen once published.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "newsletters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_id: i64,
    pub period_start: Date,
    pub period_end: Date,
    pub title: RedactedText,
    pub introduction: RedactedText,
    pub status: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub published_by: Option<i64>,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
