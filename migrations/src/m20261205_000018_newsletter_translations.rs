//! Human translations of a newsletter: its title and introduction in one language, and each
//! entry's heading and body. A translated entry goes with its entry (removed from a draft,
//! its translations go too); an entry with no translation is shown in English.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NewsletterTranslations::Table)
                    .col(big_integer(NewsletterTranslations::NewsletterId))
                    .col(string_len(NewsletterTranslations::Language, 8))
                    .col(text(NewsletterTranslations::Title))
                    .col(text(NewsletterTranslations::Introduction))
                    .col(big_integer_null(NewsletterTranslations::UpdatedBy))
                    .col(timestamp_with_time_zone(NewsletterTranslations::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(NewsletterTranslations::NewsletterId)
                            .col(NewsletterTranslations::Language),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                NewsletterTranslations::Table,
                                NewsletterTranslations::NewsletterId,
                            )
                            .to(Newsletters::Table, Newsletters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NewsletterEntryTranslations::Table)
                    .col(big_integer(NewsletterEntryTranslations::EntryId))
                    .col(string_len(NewsletterEntryTranslations::Language, 8))
                    .col(text(NewsletterEntryTranslations::Heading))
                    .col(text(NewsletterEntryTranslations::Body))
                    .primary_key(
                        Index::create()
                            .col(NewsletterEntryTranslations::EntryId)
                            .col(NewsletterEntryTranslations::Language),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                NewsletterEntryTranslations::Table,
                                NewsletterEntryTranslations::EntryId,
                            )
                            .to(NewsletterEntries::Table, NewsletterEntries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(NewsletterEntryTranslations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(NewsletterTranslations::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum NewsletterTranslations {
    Table,
    NewsletterId,
    Language,
    Title,
    Introduction,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NewsletterEntryTranslations {
    Table,
    EntryId,
    Language,
    Heading,
    Body,
}

#[derive(DeriveIden)]
enum Newsletters {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum NewsletterEntries {
    Table,
    Id,
}
