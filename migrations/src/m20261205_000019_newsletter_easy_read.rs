//! A secretary's own easy-read version of a newsletter, kept instead of the one Pyramid makes
//! from its entries (which is used when there is none).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NewsletterEasyRead::Table)
                    .col(big_integer(NewsletterEasyRead::NewsletterId).primary_key())
                    .col(text(NewsletterEasyRead::Text))
                    .col(big_integer_null(NewsletterEasyRead::UpdatedBy))
                    .col(timestamp_with_time_zone(NewsletterEasyRead::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(NewsletterEasyRead::Table, NewsletterEasyRead::NewsletterId)
                            .to(Newsletters::Table, Newsletters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NewsletterEasyRead::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum NewsletterEasyRead {
    Table,
    NewsletterId,
    Text,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Newsletters {
    Table,
    Id,
}
