//! The audio version of a published newsletter: made once, by the outbox's audio courier,
//! from the newsletter's plain text, and kept in the database (not on one server's disk) so
//! that every `serve` instance can serve it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NewsletterAudio::Table)
                    .col(big_integer(NewsletterAudio::NewsletterId).primary_key())
                    .col(string_len(NewsletterAudio::MediaType, 64))
                    .col(blob(NewsletterAudio::Bytes))
                    .col(big_integer(NewsletterAudio::DurationMs))
                    .col(timestamp_with_time_zone(NewsletterAudio::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(NewsletterAudio::Table, NewsletterAudio::NewsletterId)
                            .to(Newsletters::Table, Newsletters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NewsletterAudio::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum NewsletterAudio {
    Table,
    NewsletterId,
    MediaType,
    Bytes,
    DurationMs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Newsletters {
    Table,
    Id,
}
