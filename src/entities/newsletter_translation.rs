use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// A newsletter's title and introduction in one language (a BCP 47 code such as `cy`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "newsletter_translations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub newsletter_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
    pub title: RedactedText,
    pub introduction: RedactedText,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
