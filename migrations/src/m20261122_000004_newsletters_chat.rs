//! Newsletters (drafts and published issues, their ordered entries, and which groups received
//! each), and the chat side: members' linked chat accounts, one-time link codes (stored
//! hashed), and groups' linked chat channels.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Newsletters::Table)
                    .col(big_pk_auto(Newsletters::Id))
                    .col(big_integer(Newsletters::GroupId))
                    .col(date(Newsletters::PeriodStart))
                    .col(date(Newsletters::PeriodEnd))
                    .col(string_len(Newsletters::Title, 200))
                    .col(text(Newsletters::Introduction))
                    .col(string_len(Newsletters::Status, 16))
                    .col(big_integer_null(Newsletters::CreatedBy))
                    .col(timestamp_with_time_zone(Newsletters::CreatedAt))
                    .col(big_integer_null(Newsletters::PublishedBy))
                    .col(timestamp_with_time_zone_null(Newsletters::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Newsletters::Table, Newsletters::GroupId)
                            .to(Groups::Table, Groups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("newsletters_group")
                    .table(Newsletters::Table)
                    .col(Newsletters::GroupId)
                    .col(Newsletters::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NewsletterEntries::Table)
                    .col(big_pk_auto(NewsletterEntries::Id))
                    .col(big_integer(NewsletterEntries::NewsletterId))
                    .col(integer(NewsletterEntries::Position))
                    .col(string_len(NewsletterEntries::Section, 16))
                    .col(big_integer_null(NewsletterEntries::ItemId))
                    .col(string_len(NewsletterEntries::Heading, 300))
                    .col(text(NewsletterEntries::Body))
                    .foreign_key(
                        ForeignKey::create()
                            .from(NewsletterEntries::Table, NewsletterEntries::NewsletterId)
                            .to(Newsletters::Table, Newsletters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(NewsletterEntries::Table, NewsletterEntries::ItemId)
                            .to(Items::Table, Items::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("newsletter_entries_newsletter")
                    .table(NewsletterEntries::Table)
                    .col(NewsletterEntries::NewsletterId)
                    .col(NewsletterEntries::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NewsletterReceipts::Table)
                    .col(big_integer(NewsletterReceipts::NewsletterId))
                    .col(big_integer(NewsletterReceipts::GroupId))
                    .col(timestamp_with_time_zone(NewsletterReceipts::ReceivedAt))
                    .primary_key(
                        Index::create()
                            .col(NewsletterReceipts::NewsletterId)
                            .col(NewsletterReceipts::GroupId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(NewsletterReceipts::Table, NewsletterReceipts::NewsletterId)
                            .to(Newsletters::Table, Newsletters::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(NewsletterReceipts::Table, NewsletterReceipts::GroupId)
                            .to(Groups::Table, Groups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("newsletter_receipts_group")
                    .table(NewsletterReceipts::Table)
                    .col(NewsletterReceipts::GroupId)
                    .col(NewsletterReceipts::NewsletterId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatIdentities::Table)
                    .col(big_pk_auto(ChatIdentities::Id))
                    .col(big_integer(ChatIdentities::MemberId))
                    .col(string_len(ChatIdentities::Platform, 16))
                    .col(string_len(ChatIdentities::ExternalId, 64))
                    .col(timestamp_with_time_zone(ChatIdentities::LinkedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatIdentities::Table, ChatIdentities::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("chat_identities_external")
                    .table(ChatIdentities::Table)
                    .col(ChatIdentities::Platform)
                    .col(ChatIdentities::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("chat_identities_member")
                    .table(ChatIdentities::Table)
                    .col(ChatIdentities::MemberId)
                    .col(ChatIdentities::Platform)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatLinkCodes::Table)
                    .col(big_pk_auto(ChatLinkCodes::Id))
                    .col(big_integer(ChatLinkCodes::MemberId))
                    .col(string_len(ChatLinkCodes::CodeHash, 64).unique_key())
                    .col(timestamp_with_time_zone(ChatLinkCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ChatLinkCodes::UsedAt))
                    .col(timestamp_with_time_zone(ChatLinkCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatLinkCodes::Table, ChatLinkCodes::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatChannels::Table)
                    .col(big_pk_auto(ChatChannels::Id))
                    .col(big_integer(ChatChannels::GroupId))
                    .col(string_len(ChatChannels::Platform, 16))
                    .col(string_len(ChatChannels::ExternalId, 64))
                    .col(big_integer_null(ChatChannels::LinkedBy))
                    .col(timestamp_with_time_zone(ChatChannels::LinkedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatChannels::Table, ChatChannels::GroupId)
                            .to(Groups::Table, Groups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("chat_channels_external")
                    .table(ChatChannels::Table)
                    .col(ChatChannels::Platform)
                    .col(ChatChannels::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("chat_channels_group")
                    .table(ChatChannels::Table)
                    .col(ChatChannels::GroupId)
                    .col(ChatChannels::Platform)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChatChannels::Table.into_iden(),
            ChatLinkCodes::Table.into_iden(),
            ChatIdentities::Table.into_iden(),
            NewsletterReceipts::Table.into_iden(),
            NewsletterEntries::Table.into_iden(),
            Newsletters::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Newsletters {
    Table,
    Id,
    GroupId,
    PeriodStart,
    PeriodEnd,
    Title,
    Introduction,
    Status,
    CreatedBy,
    CreatedAt,
    PublishedBy,
    PublishedAt,
}

#[derive(DeriveIden)]
enum NewsletterEntries {
    Table,
    Id,
    NewsletterId,
    Position,
    Section,
    ItemId,
    Heading,
    Body,
}

#[derive(DeriveIden)]
enum NewsletterReceipts {
    Table,
    NewsletterId,
    GroupId,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum ChatIdentities {
    Table,
    Id,
    MemberId,
    Platform,
    ExternalId,
    LinkedAt,
}

#[derive(DeriveIden)]
enum ChatLinkCodes {
    Table,
    Id,
    MemberId,
    CodeHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChatChannels {
    Table,
    Id,
    GroupId,
    Platform,
    ExternalId,
    LinkedBy,
    LinkedAt,
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

#[derive(DeriveIden)]
enum Items {
    Table,
    Id,
}
