use sea_orm::entity::prelude::*;

/// A chat interaction already handled, keyed by the platform's id for it: a duplicated
/// delivery of the same interaction finds its row and does not raise a second item.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub external_id: String,
    pub platform: String,
    pub item_id: Option<i64>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
