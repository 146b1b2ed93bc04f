//! Dashboards list the items held at a group, most recently moved first, and review queues the
//! items waiting at a group in one status, newest first: index both orders, so a page of 50
//! costs the same with 1.5 million items as with fifty.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("items_current_group_latest_event")
                    .table(Items::Table)
                    .col(Items::CurrentGroupId)
                    .col(Items::LatestEventId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("items_current_group_status")
                    .table(Items::Table)
                    .col(Items::CurrentGroupId)
                    .col(Items::Status)
                    .col(Items::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("items_current_group_status")
                    .table(Items::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("items_current_group_latest_event")
                    .table(Items::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Items {
    Table,
    Id,
    CurrentGroupId,
    Status,
    LatestEventId,
}
