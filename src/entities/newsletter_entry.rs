use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "newsletter_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub newsletter_id: i64,
    pub position: i32,
    pub section: String,
    pub item_id: Option<i64>,
    pub heading: String,
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
