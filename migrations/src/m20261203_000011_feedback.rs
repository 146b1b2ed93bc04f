//! Other sources of patient feedback, imported for triangulation: each file imported is one
//! `feedback_imports` row (its source, a SHA-256 hash of its content so the same file is not
//! imported twice while the first is in force, how many rows went in and how many were
//! refused, who imported it, and when it was undone); its figures are `external_feedback`
//! rows, one per measure of a line of the file, about one provider (and the organisation it
//! belongs to, so a trust's figures include its sites'), one month and, where the source has
//! one, one theme heading of the vocabulary. A suppressed count is kept as suppressed (a null
//! value), never as zero. Imported data is about organisations, never about people.
//! Providers added by an import of the ODS register remember it (`providers.import_id`), so
//! undoing that import can take out what it added and nothing else.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table(FeedbackImports::Table)
                    .col(big_pk_auto(FeedbackImports::Id))
                    .col(big_integer(FeedbackImports::AreaId))
                    .col(string_len(FeedbackImports::Source, 16))
                    .col(string_len(FeedbackImports::FileName, 200))
                    .col(string_len(FeedbackImports::ContentHash, 64))
                    .col(integer(FeedbackImports::RowsImported))
                    .col(integer(FeedbackImports::RowsRejected))
                    .col(date_null(FeedbackImports::FirstMonth))
                    .col(date_null(FeedbackImports::LastMonth))
                    .col(big_integer_null(FeedbackImports::ImportedBy))
                    .col(timestamp_with_time_zone(FeedbackImports::ImportedAt))
                    .col(timestamp_with_time_zone_null(FeedbackImports::UndoneAt))
                    .col(big_integer_null(FeedbackImports::UndoneBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FeedbackImports::Table, FeedbackImports::AreaId)
                            .to(Groups::Table, Groups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The same file (by content) is in force at most once per area and source; once
        // undone, it may be imported again.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX feedback_imports_once \
             ON feedback_imports (area_id, source, content_hash) WHERE undone_at IS NULL",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("feedback_imports_area")
                    .table(FeedbackImports::Table)
                    .col(FeedbackImports::AreaId)
                    .col(FeedbackImports::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ExternalFeedback::Table)
                    .col(big_pk_auto(ExternalFeedback::Id))
                    .col(big_integer(ExternalFeedback::ImportId))
                    .col(integer(ExternalFeedback::Line))
                    .col(big_integer(ExternalFeedback::AreaId))
                    .col(string_len(ExternalFeedback::Source, 16))
                    .col(big_integer(ExternalFeedback::ProviderId))
                    .col(big_integer(ExternalFeedback::OrganisationId))
                    .col(date(ExternalFeedback::Month))
                    .col(big_integer_null(ExternalFeedback::ThemeId))
                    .col(string_len_null(ExternalFeedback::ServiceArea, 120))
                    .col(string_len(ExternalFeedback::Measure, 24))
                    .col(big_integer_null(ExternalFeedback::Value))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExternalFeedback::Table, ExternalFeedback::ImportId)
                            .to(FeedbackImports::Table, FeedbackImports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExternalFeedback::Table, ExternalFeedback::ProviderId)
                            .to(Providers::Table, Providers::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExternalFeedback::Table, ExternalFeedback::ThemeId)
                            .to(Themes::Table, Themes::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "external_feedback_organisation",
                vec![
                    ExternalFeedback::AreaId,
                    ExternalFeedback::OrganisationId,
                    ExternalFeedback::Month,
                ],
            ),
            (
                "external_feedback_provider",
                vec![
                    ExternalFeedback::AreaId,
                    ExternalFeedback::ProviderId,
                    ExternalFeedback::Month,
                ],
            ),
            (
                "external_feedback_area_month",
                vec![ExternalFeedback::AreaId, ExternalFeedback::Month],
            ),
            ("external_feedback_import", vec![ExternalFeedback::ImportId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(ExternalFeedback::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .alter_table(
                Table::alter()
                    .table(Providers::Table)
                    .add_column(ColumnDef::new(Providers::ImportId).big_integer().null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Providers::Table)
                    .drop_column(Providers::ImportId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ExternalFeedback::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(FeedbackImports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum FeedbackImports {
    Table,
    Id,
    AreaId,
    Source,
    FileName,
    ContentHash,
    RowsImported,
    RowsRejected,
    FirstMonth,
    LastMonth,
    ImportedBy,
    ImportedAt,
    UndoneAt,
    UndoneBy,
}

#[derive(DeriveIden)]
enum ExternalFeedback {
    Table,
    Id,
    ImportId,
    Line,
    AreaId,
    Source,
    ProviderId,
    OrganisationId,
    Month,
    ThemeId,
    ServiceArea,
    Measure,
    Value,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Providers {
    Table,
    Id,
    ImportId,
}

#[derive(DeriveIden)]
enum Themes {
    Table,
    Id,
}
