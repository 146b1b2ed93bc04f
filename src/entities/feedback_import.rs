use sea_orm::entity::prelude::*;

use crate::domain::RedactedText;

/// One file of feedback (or of the ODS register) imported into an area. `content_hash` is
/// the SHA-256 of the file, unique per area and source among imports not undone.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub area_id: i64,
    pub source: String,
    /// The file's name as uploaded, redacted like any free text.
    pub file_name: RedactedText,
    pub content_hash: String,
    pub rows_imported: i32,
    pub rows_rejected: i32,
    pub first_month: Option<Date>,
    pub last_month: Option<Date>,
    pub imported_by: Option<i64>,
    pub imported_at: DateTimeUtc,
    pub undone_at: Option<DateTimeUtc>,
    pub undone_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
