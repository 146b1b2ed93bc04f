//! Published reports: the monthly patient-experience report and the annual consultation
//! report of an area. A report is rendered once, when it is published, into each form people
//! read it in (HTML, large print, plain text, Markdown and, where it has tables, CSV), and
//! kept as it was published: the report a board read is the report on the page, whatever is
//! corrected or imported afterwards. One report of a kind per area and period.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .col(big_pk_auto(Reports::Id))
                    .col(big_integer(Reports::AreaId))
                    .col(string_len(Reports::Kind, 16))
                    .col(string_len(Reports::Period, 16))
                    .col(string_len(Reports::Title, 200))
                    .col(text(Reports::Html))
                    .col(text(Reports::LargePrint))
                    .col(text(Reports::PlainText))
                    .col(text(Reports::Markdown))
                    .col(text_null(Reports::Csv))
                    .col(big_integer_null(Reports::PublishedBy))
                    .col(timestamp_with_time_zone(Reports::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reports::Table, Reports::AreaId)
                            .to(Groups::Table, Groups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reports_once")
                    .table(Reports::Table)
                    .col(Reports::AreaId)
                    .col(Reports::Kind)
                    .col(Reports::Period)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    AreaId,
    Kind,
    Period,
    Title,
    Html,
    LargePrint,
    PlainText,
    Markdown,
    Csv,
    PublishedBy,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}
