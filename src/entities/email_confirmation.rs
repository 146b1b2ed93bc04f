use sea_orm::entity::prelude::*;

/// An address waiting to be confirmed: a member's own (`member_id`) or a group's mailing
/// address (`group_id`). A newer request for the same member or group cancels it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_confirmations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub member_id: Option<i64>,
    pub group_id: Option<i64>,
    pub address: String,
    pub requested_by: Option<i64>,
    pub requested_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
