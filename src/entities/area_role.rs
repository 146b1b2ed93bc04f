use sea_orm::entity::prelude::*;

/// An organisation role (administrator, commissioner) held in an area: a council and
/// everything under it. `until` is set when the role ends; the row is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "area_roles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub member_id: i64,
    pub area_id: i64,
    pub role: String,
    pub since: DateTimeUtc,
    pub until: Option<DateTimeUtc>,
    pub granted_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
