use sea_orm::entity::prelude::*;

/// A member's watch on a provider, a theme or a severity, with its digest frequency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "watches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub member_id: i64,
    pub provider_id: Option<i64>,
    pub theme_id: Option<i64>,
    pub min_severity: Option<i16>,
    pub frequency: String,
    pub last_sent_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
