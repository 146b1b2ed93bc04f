use sea_orm::entity::prelude::*;

/// An area's own settings: its pattern rule, and the working days the commissioners have to
/// answer a referral.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "area_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub area_id: i64,
    pub pattern_min_ppgs: i32,
    pub pattern_window_days: i32,
    pub response_working_days: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
