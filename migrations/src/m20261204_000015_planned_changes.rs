//! Planned changes: an answer that says a change is planned names who owns the change and when
//! it is due, and the change is followed until it is made. At its due date the item comes back
//! to the tier that referred it ("was it done?"); the owner or a commissioner records it made,
//! gives a new date with a reason, or says it was abandoned. One planned change per answered
//! item (its lead; linked reports travel with it).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlannedChanges::Table)
                    .col(big_pk_auto(PlannedChanges::Id))
                    .col(big_integer_uniq(PlannedChanges::ItemId))
                    .col(big_integer(PlannedChanges::AreaId))
                    .col(big_integer(PlannedChanges::ReferringGroupId))
                    .col(text(PlannedChanges::Owner))
                    .col(big_integer_null(PlannedChanges::OwnerMemberId))
                    .col(date(PlannedChanges::DueOn))
                    .col(string_len(PlannedChanges::State, 16))
                    .col(timestamp_with_time_zone_null(PlannedChanges::ReturnedAt))
                    .col(date_null(PlannedChanges::MadeOn))
                    .col(timestamp_with_time_zone(PlannedChanges::CreatedAt))
                    .col(timestamp_with_time_zone(PlannedChanges::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlannedChanges::Table, PlannedChanges::ItemId)
                            .to(Items::Table, Items::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlannedChanges::Table, PlannedChanges::AreaId)
                            .to(Groups::Table, Groups::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlannedChanges::Table, PlannedChanges::ReferringGroupId)
                            .to(Groups::Table, Groups::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlannedChanges::Table, PlannedChanges::OwnerMemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // What the worker looks for (PLANNED and due) and what an area's figures count.
        manager
            .create_index(
                Index::create()
                    .name("planned_changes_due")
                    .table(PlannedChanges::Table)
                    .col(PlannedChanges::AreaId)
                    .col(PlannedChanges::State)
                    .col(PlannedChanges::DueOn)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlannedChanges::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PlannedChanges {
    Table,
    Id,
    ItemId,
    AreaId,
    ReferringGroupId,
    Owner,
    OwnerMemberId,
    DueOn,
    State,
    ReturnedAt,
    MadeOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Items {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}
