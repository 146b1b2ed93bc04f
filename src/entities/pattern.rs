use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// A run of reports about one provider (optionally one theme heading) from several PPGs. Runs
/// below the area's threshold are kept as `WATCHING`, so the next report can tip them over.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patterns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub area_id: i64,
    pub provider_id: i64,
    pub theme_id: Option<i64>,
    pub owner_group_id: i64,
    pub status: String,
    pub first_seen: DateTimeUtc,
    pub last_seen: DateTimeUtc,
    pub ppg_count: i32,
    pub item_count: i32,
    pub dismissed_at_count: Option<i32>,
    pub dismissed_reason: Option<RedactedText>,
    pub reopened_because: Option<RedactedText>,
    pub taken_up_item_id: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
