use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// One count of one line of an imported file: a measure, about a provider (and its
/// organisation), in a month, under a theme heading where the source has one. A null value is
/// a suppressed count.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "external_feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub import_id: i64,
    pub line: i32,
    pub area_id: i64,
    pub source: String,
    pub provider_id: i64,
    pub organisation_id: i64,
    pub month: Date,
    pub theme_id: Option<i64>,
    pub service_area: Option<RedactedText>,
    pub measure: String,
    pub value: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
