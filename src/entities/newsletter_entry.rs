use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "newsletter_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub newsletter_id: i64,
    pub position: i32,
    pub section: String,
    pub item_id: Option<i64>,
    pub heading: RedactedText,
    pub body: RedactedText,
    /// Derived from an item's text and still holding words that could be a name.
    pub needs_review: bool,
    /// Those words, for the secretary.
    pub review_words: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
