//! Items and their journey: the items themselves (text already redacted), every group each has
//! reached, the append-only event trail, themes, meetings and their minutes, the outbox of
//! deliveries to the outside world, and full-text search (FTS5 on SQLite, tsvector on
//! PostgreSQL).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Items::Table)
                    .col(big_pk_auto(Items::Id))
                    .col(string_len(Items::Reference, 32).unique_key())
                    .col(string_len(Items::Kind, 32))
                    .col(string_len(Items::Title, 200))
                    .col(text(Items::Body))
                    .col(big_integer_null(Items::ProviderId))
                    .col(string_len_null(Items::ProviderName, 200))
                    .col(date_null(Items::ExperiencedOn))
                    .col(string_len(Items::Sentiment, 16))
                    .col(string_len(Items::InformationSource, 32))
                    .col(boolean(Items::RaisedWithPals))
                    .col(boolean(Items::RaisedAsComplaint))
                    .col(boolean(Items::SafetyConcern))
                    .col(big_integer(Items::OriginGroupId))
                    .col(big_integer(Items::CurrentGroupId))
                    .col(string_len(Items::Status, 16))
                    .col(big_integer(Items::SubmitterId))
                    .col(string_len(Items::Channel, 16))
                    .col(string_len_null(Items::IdempotencyKey, 200))
                    .col(big_integer_null(Items::LeadItemId))
                    .col(big_integer_null(Items::LatestEventId))
                    .col(timestamp_with_time_zone_null(Items::ReferredAt))
                    .col(timestamp_with_time_zone_null(Items::RespondedAt))
                    .col(timestamp_with_time_zone(Items::CreatedAt))
                    .col(timestamp_with_time_zone(Items::UpdatedAt))
                    .foreign_key(&mut fk(
                        Items::Table,
                        Items::ProviderId,
                        Providers::Table,
                        Providers::Id,
                    ))
                    .foreign_key(&mut fk(
                        Items::Table,
                        Items::OriginGroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .foreign_key(&mut fk(
                        Items::Table,
                        Items::CurrentGroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .foreign_key(&mut fk(
                        Items::Table,
                        Items::SubmitterId,
                        Members::Table,
                        Members::Id,
                    ))
                    .foreign_key(&mut fk(
                        Items::Table,
                        Items::LeadItemId,
                        Items::Table,
                        Items::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // The read paths: items held at a group newest first (review queues, dashboards),
        // by provider, by submitter, followers of a lead item, and one submission per key.
        index(
            manager,
            "items_current_group",
            Items::Table,
            &[Items::CurrentGroupId, Items::Id],
        )
        .await?;
        index(
            manager,
            "items_origin_group",
            Items::Table,
            &[Items::OriginGroupId, Items::Id],
        )
        .await?;
        index(
            manager,
            "items_provider",
            Items::Table,
            &[Items::ProviderId, Items::Id],
        )
        .await?;
        index(
            manager,
            "items_submitter",
            Items::Table,
            &[Items::SubmitterId, Items::Id],
        )
        .await?;
        index(manager, "items_lead", Items::Table, &[Items::LeadItemId]).await?;
        index(
            manager,
            "items_status",
            Items::Table,
            &[Items::Status, Items::Id],
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("items_idempotency")
                    .table(Items::Table)
                    .col(Items::SubmitterId)
                    .col(Items::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ItemGroups::Table)
                    .col(big_integer(ItemGroups::ItemId))
                    .col(big_integer(ItemGroups::GroupId))
                    .col(timestamp_with_time_zone(ItemGroups::ReachedAt))
                    .primary_key(
                        Index::create()
                            .col(ItemGroups::ItemId)
                            .col(ItemGroups::GroupId),
                    )
                    .foreign_key(&mut fk(
                        ItemGroups::Table,
                        ItemGroups::ItemId,
                        Items::Table,
                        Items::Id,
                    ))
                    .foreign_key(&mut fk(
                        ItemGroups::Table,
                        ItemGroups::GroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "item_groups_group",
            ItemGroups::Table,
            &[ItemGroups::GroupId, ItemGroups::ItemId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ItemEvents::Table)
                    .col(big_pk_auto(ItemEvents::Id))
                    .col(big_integer(ItemEvents::ItemId))
                    .col(timestamp_with_time_zone(ItemEvents::At))
                    .col(big_integer_null(ItemEvents::ActorId))
                    .col(string_len(ItemEvents::Kind, 32))
                    .col(string_len_null(ItemEvents::FromStatus, 16))
                    .col(string_len(ItemEvents::ToStatus, 16))
                    .col(big_integer_null(ItemEvents::FromGroupId))
                    .col(big_integer(ItemEvents::GroupId))
                    .col(text_null(ItemEvents::Note))
                    .col(string_len_null(ItemEvents::Outcome, 16))
                    .col(big_integer_null(ItemEvents::MeetingId))
                    .foreign_key(&mut fk(
                        ItemEvents::Table,
                        ItemEvents::ItemId,
                        Items::Table,
                        Items::Id,
                    ))
                    .foreign_key(&mut fk(
                        ItemEvents::Table,
                        ItemEvents::GroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .foreign_key(&mut fk(
                        ItemEvents::Table,
                        ItemEvents::FromGroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "item_events_item",
            ItemEvents::Table,
            &[ItemEvents::ItemId, ItemEvents::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ItemThemes::Table)
                    .col(big_integer(ItemThemes::ItemId))
                    .col(string_len(ItemThemes::Theme, 40))
                    .primary_key(
                        Index::create()
                            .col(ItemThemes::ItemId)
                            .col(ItemThemes::Theme),
                    )
                    .foreign_key(&mut fk(
                        ItemThemes::Table,
                        ItemThemes::ItemId,
                        Items::Table,
                        Items::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "item_themes_theme",
            ItemThemes::Table,
            &[ItemThemes::Theme, ItemThemes::ItemId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Meetings::Table)
                    .col(big_pk_auto(Meetings::Id))
                    .col(big_integer(Meetings::GroupId))
                    .col(date(Meetings::HeldOn))
                    .col(string_len(Meetings::Title, 200))
                    .col(text(Meetings::Attendees))
                    .col(text(Meetings::Agenda))
                    .col(boolean(Meetings::MinutesRecorded))
                    .col(big_integer_null(Meetings::CreatedBy))
                    .col(timestamp_with_time_zone(Meetings::CreatedAt))
                    .foreign_key(&mut fk(
                        Meetings::Table,
                        Meetings::GroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "meetings_group",
            Meetings::Table,
            &[Meetings::GroupId, Meetings::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len(Outbox::Kind, 32))
                    .col(string_len(Outbox::Destination, 100))
                    .col(string_len(Outbox::DedupeKey, 200).unique_key())
                    .col(text(Outbox::Payload))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "outbox_due",
            Outbox::Table,
            &[Outbox::Status, Outbox::NextAttemptAt],
        )
        .await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE items_fts USING fts5(title, body, content='items', content_rowid='id', tokenize='porter unicode61')",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN \
                       INSERT INTO items_fts(rowid, title, body) VALUES (new.id, new.title, new.body); \
                     END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER items_fts_update AFTER UPDATE OF title, body ON items BEGIN \
                       INSERT INTO items_fts(items_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); \
                       INSERT INTO items_fts(rowid, title, body) VALUES (new.id, new.title, new.body); \
                     END",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "ALTER TABLE items ADD COLUMN search tsvector \
                     GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || body)) STORED",
                )
                .await?;
                db.execute_unprepared("CREATE INDEX items_search ON items USING GIN (search)")
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER IF EXISTS items_fts_insert")
                .await?;
            db.execute_unprepared("DROP TRIGGER IF EXISTS items_fts_update")
                .await?;
            db.execute_unprepared("DROP TABLE IF EXISTS items_fts")
                .await?;
        }
        for table in [
            Outbox::Table.into_iden(),
            Meetings::Table.into_iden(),
            ItemThemes::Table.into_iden(),
            ItemEvents::Table.into_iden(),
            ItemGroups::Table.into_iden(),
            Items::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn fk<T: IntoIden + Copy, C: IntoIden + Copy, U: IntoIden + Copy, D: IntoIden + Copy>(
    from_table: T,
    from_col: C,
    to_table: U,
    to_col: D,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

async fn index<T: IntoIden + Copy, C: IntoIden + Copy>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    manager.create_index(index.to_owned()).await
}

#[derive(DeriveIden, Clone, Copy)]
enum Items {
    Table,
    Id,
    Reference,
    Kind,
    Title,
    Body,
    ProviderId,
    ProviderName,
    ExperiencedOn,
    Sentiment,
    InformationSource,
    RaisedWithPals,
    RaisedAsComplaint,
    SafetyConcern,
    OriginGroupId,
    CurrentGroupId,
    Status,
    SubmitterId,
    Channel,
    IdempotencyKey,
    LeadItemId,
    LatestEventId,
    ReferredAt,
    RespondedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ItemGroups {
    Table,
    ItemId,
    GroupId,
    ReachedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ItemEvents {
    Table,
    Id,
    ItemId,
    At,
    ActorId,
    Kind,
    FromStatus,
    ToStatus,
    FromGroupId,
    GroupId,
    Note,
    Outcome,
    MeetingId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ItemThemes {
    Table,
    ItemId,
    Theme,
}

#[derive(DeriveIden, Clone, Copy)]
enum Meetings {
    Table,
    Id,
    GroupId,
    HeldOn,
    Title,
    Attendees,
    Agenda,
    MinutesRecorded,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    Kind,
    Destination,
    DedupeKey,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Groups {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Providers {
    Table,
    Id,
}
