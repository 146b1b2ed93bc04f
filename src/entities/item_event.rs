use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// One step of an item's trail. Append-only: written in the same transaction as the change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "item_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub item_id: i64,
    pub at: DateTimeUtc,
    pub actor_id: Option<i64>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub from_group_id: Option<i64>,
    pub group_id: i64,
    pub note: Option<RedactedText>,
    pub outcome: Option<String>,
    pub meeting_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
