//! The audio version of a published report (the monthly report, the consultation report):
//! made once, by the outbox's audio courier, from the report's plain text as published, and
//! kept in the database beside it, as a newsletter's is.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportAudio::Table)
                    .col(big_integer(ReportAudio::ReportId).primary_key())
                    .col(string_len(ReportAudio::MediaType, 64))
                    .col(blob(ReportAudio::Bytes))
                    .col(big_integer(ReportAudio::DurationMs))
                    .col(timestamp_with_time_zone(ReportAudio::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReportAudio::Table, ReportAudio::ReportId)
                            .to(Reports::Table, Reports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportAudio::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ReportAudio {
    Table,
    ReportId,
    MediaType,
    Bytes,
    DurationMs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
}
