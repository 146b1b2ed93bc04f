use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// What happened to a pattern (the live feed behind `patternChanges`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pattern_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub pattern_id: i64,
    pub kind: String,
    pub owner_group_id: i64,
    pub actor_id: Option<i64>,
    pub note: Option<RedactedText>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
