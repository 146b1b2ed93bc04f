//! Reaching members by e-mail as well as chat. A member's address is confirmed before anything
//! is sent to it (`members.email_confirmed_at`), and a member may choose how they hear
//! (`members.delivery_preference`; none chosen means the default). A group may have a
//! mailing address for its newsletters (`group_mailing_addresses`, written only when
//! confirmed). Confirmations wait in `email_confirmations`; the links e-mails carry (to confirm,
//! to unsubscribe) are kept only as SHA-256 hashes in `email_links`. Each outbox delivery now
//! says which medium carries it (`channel`: `CHAT` or `EMAIL`, so a worker claims only what it
//! can deliver), which group's officers see it if it is given up (`group_id`), and when it was
//! given up (`given_up_at`). Rows queued before this are chat deliveries; their group is found
//! from their destination or their item.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();

        for column in [
            ColumnDef::new(Members::EmailConfirmedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Members::DeliveryPreference)
                .string_len(8)
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Members::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(GroupMailingAddresses::Table)
                    .col(big_integer(GroupMailingAddresses::GroupId).primary_key())
                    .col(string_len(GroupMailingAddresses::Address, 320))
                    .col(timestamp_with_time_zone(GroupMailingAddresses::ConfirmedAt))
                    .col(big_integer_null(GroupMailingAddresses::SetBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupMailingAddresses::Table, GroupMailingAddresses::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailConfirmations::Table)
                    .col(big_pk_auto(EmailConfirmations::Id))
                    .col(big_integer_null(EmailConfirmations::MemberId))
                    .col(big_integer_null(EmailConfirmations::GroupId))
                    .col(string_len(EmailConfirmations::Address, 320))
                    .col(big_integer_null(EmailConfirmations::RequestedBy))
                    .col(timestamp_with_time_zone(EmailConfirmations::RequestedAt))
                    .col(timestamp_with_time_zone(EmailConfirmations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        EmailConfirmations::ConfirmedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        EmailConfirmations::CancelledAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailConfirmations::Table, EmailConfirmations::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailConfirmations::Table, EmailConfirmations::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("email_confirmations_member", EmailConfirmations::MemberId),
            ("email_confirmations_group", EmailConfirmations::GroupId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(EmailConfirmations::Table)
                        .col(column)
                        .col(EmailConfirmations::Id)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(EmailLinks::Table)
                    .col(big_pk_auto(EmailLinks::Id))
                    .col(string_len(EmailLinks::TokenHash, 64).unique_key())
                    .col(string_len(EmailLinks::Purpose, 16))
                    .col(big_integer_null(EmailLinks::ConfirmationId))
                    .col(big_integer_null(EmailLinks::MemberId))
                    .col(big_integer_null(EmailLinks::GroupId))
                    .col(string_len(EmailLinks::Address, 320))
                    .col(big_integer_null(EmailLinks::DeliveryId))
                    .col(timestamp_with_time_zone(EmailLinks::CreatedAt))
                    .col(timestamp_with_time_zone_null(EmailLinks::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailLinks::Table, EmailLinks::ConfirmationId)
                            .to(EmailConfirmations::Table, EmailConfirmations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailLinks::Table, EmailLinks::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailLinks::Table, EmailLinks::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        for column in [
            ColumnDef::new(Outbox::Channel)
                .string_len(8)
                .not_null()
                .default("CHAT")
                .to_owned(),
            ColumnDef::new(Outbox::GroupId)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Outbox::GivenUpAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // The group whose officers answer for each earlier delivery: a channel's group, or the
        // PPG an item (of an update or a safety alert) was raised in.
        db.execute_unprepared(
            "UPDATE outbox SET group_id = (SELECT g.id FROM groups g WHERE 'group-channel:' || g.id = outbox.destination) \
             WHERE destination LIKE 'group-channel:%'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE outbox SET group_id = (SELECT i.origin_group_id FROM item_events e JOIN items i ON i.id = e.item_id \
             WHERE 'item-event:' || e.id = outbox.dedupe_key) \
             WHERE dedupe_key LIKE 'item-event:%'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE outbox SET group_id = (SELECT i.origin_group_id FROM items i WHERE 'safety:' || i.id = outbox.dedupe_key) \
             WHERE dedupe_key LIKE 'safety:%'",
        )
        .await?;
        // When an earlier delivery was given up is not known; its last attempt is the closest.
        db.execute_unprepared(
            "UPDATE outbox SET given_up_at = next_attempt_at WHERE status = 'FAILED'",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_due_by_channel")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::Channel)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_by_group")
                    .table(Outbox::Table)
                    .col(Outbox::GroupId)
                    .col(Outbox::Status)
                    .col(Outbox::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in ["outbox_by_group", "outbox_due_by_channel"] {
            manager
                .drop_index(Index::drop().name(index).table(Outbox::Table).to_owned())
                .await?;
        }
        for column in [Outbox::GivenUpAt, Outbox::GroupId, Outbox::Channel] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            EmailLinks::Table.into_iden(),
            EmailConfirmations::Table.into_iden(),
            GroupMailingAddresses::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Members::DeliveryPreference, Members::EmailConfirmedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Members::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    EmailConfirmedAt,
    DeliveryPreference,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum GroupMailingAddresses {
    Table,
    GroupId,
    Address,
    ConfirmedAt,
    SetBy,
}

#[derive(DeriveIden)]
enum EmailConfirmations {
    Table,
    Id,
    MemberId,
    GroupId,
    Address,
    RequestedBy,
    RequestedAt,
    ExpiresAt,
    ConfirmedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum EmailLinks {
    Table,
    Id,
    TokenHash,
    Purpose,
    ConfirmationId,
    MemberId,
    GroupId,
    Address,
    DeliveryId,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Status,
    NextAttemptAt,
    Channel,
    GroupId,
    GivenUpAt,
}
