//! Detection reads a pattern's reports within one window of a new report, and asks whether a
//! PPG has reported into the pattern before. Without these indexes both read every report in
//! the pattern, so a raise cost more as a provider's history grew (a long-running pattern at
//! national scale holds thousands of reports); with them, a raise reads only the window.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PatternItems {
    Table,
    PatternId,
    PpgId,
    RaisedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("pattern_items_window")
                    .table(PatternItems::Table)
                    .col(PatternItems::PatternId)
                    .col(PatternItems::RaisedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("pattern_items_ppg")
                    .table(PatternItems::Table)
                    .col(PatternItems::PatternId)
                    .col(PatternItems::PpgId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["pattern_items_ppg", "pattern_items_window"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(PatternItems::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
