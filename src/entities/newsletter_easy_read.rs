use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// A secretary's easy-read version of a newsletter, served instead of the generated one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "newsletter_easy_read")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub newsletter_id: i64,
    pub text: RedactedText,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
