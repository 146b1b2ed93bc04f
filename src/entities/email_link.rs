use sea_orm::entity::prelude::*;

/// A link an e-mail carries: to confirm an address (`CONFIRM`, with its confirmation) or to
/// stop e-mail to an address (`UNSUBSCRIBE`, for a member or a group). Only the SHA-256 of its
/// token is kept; the token itself exists only in the e-mail.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub token_hash: String,
    pub purpose: String,
    pub confirmation_id: Option<i64>,
    pub member_id: Option<i64>,
    pub group_id: Option<i64>,
    pub address: String,
    /// The outbox delivery whose e-mail carried it.
    pub delivery_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
