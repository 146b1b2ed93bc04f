use sea_orm::entity::prelude::*;

/// A published report (the monthly patient-experience report, the annual consultation
/// report), kept in each form it is read in as it was when published. Its text is a rendering
/// of values that were redacted when they were stored and of the structure's names, never
/// text typed for it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub area_id: i64,
    pub kind: String,
    /// `2026-11` for a month, `2026-27` for a financial year.
    pub period: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub html: String,
    #[sea_orm(column_type = "Text")]
    pub large_print: String,
    #[sea_orm(column_type = "Text")]
    pub plain_text: String,
    #[sea_orm(column_type = "Text")]
    pub markdown: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub csv: Option<String>,
    pub published_by: Option<i64>,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
