//! The response clock: an item referred to the commissioners is due an answer a number of
//! working days after its referral, 20 unless its area sets its own
//! (`area_settings.response_working_days`). The due date is kept on the item
//! (`items.response_due_on`, set when it is referred) so that the overdue list is one indexed
//! read. Items already referred get a first due date of 28 calendar days after their referral
//! (20 working days without bank holidays); items referred from now on are counted on
//! England's calendar, bank holidays included.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .add_column(ColumnDef::new(Items::ResponseDueOn).date().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("items_response_due")
                    .table(Items::Table)
                    .col(Items::AreaId)
                    .col(Items::ResponseDueOn)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AreaSettings::Table)
                    .add_column(
                        ColumnDef::new(AreaSettings::ResponseWorkingDays)
                            .integer()
                            .not_null()
                            .default(20),
                    )
                    .to_owned(),
            )
            .await?;
        let backfill = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "UPDATE items SET response_due_on = (referred_at + INTERVAL '28 days')::date \
                 WHERE referred_at IS NOT NULL"
            }
            _ => {
                "UPDATE items SET response_due_on = date(referred_at, '+28 days') \
                 WHERE referred_at IS NOT NULL"
            }
        };
        manager
            .get_connection()
            .execute_unprepared(backfill)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("items_response_due")
                    .table(Items::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .drop_column(Items::ResponseDueOn)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AreaSettings::Table)
                    .drop_column(AreaSettings::ResponseWorkingDays)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Items {
    Table,
    AreaId,
    ResponseDueOn,
}

#[derive(DeriveIden)]
enum AreaSettings {
    Table,
    ResponseWorkingDays,
}
