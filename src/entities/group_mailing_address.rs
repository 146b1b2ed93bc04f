use sea_orm::entity::prelude::*;

/// A group's confirmed mailing address for its newsletters. Written only when the address is
/// confirmed; a new address waits in `email_confirmations` until then.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_mailing_addresses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: i64,
    pub address: String,
    pub confirmed_at: DateTimeUtc,
    pub set_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
