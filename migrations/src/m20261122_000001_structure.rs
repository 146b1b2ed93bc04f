//! The pyramid itself: groups (PPG, district, council), members and their memberships.
//! A representative's membership of a district or council names the group it represents.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Groups::Table)
                    .col(big_pk_auto(Groups::Id))
                    .col(string_len(Groups::Kind, 16))
                    .col(string_len(Groups::Name, 200))
                    .col(big_integer_null(Groups::ParentId))
                    .col(string_len_null(Groups::PracticeCode, 6).unique_key())
                    .col(timestamp_with_time_zone(Groups::CreatedAt))
                    .col(timestamp_with_time_zone(Groups::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Groups::Table, Groups::ParentId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("groups_parent_id")
                    .table(Groups::Table)
                    .col(Groups::ParentId)
                    .col(Groups::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("groups_kind")
                    .table(Groups::Table)
                    .col(Groups::Kind)
                    .col(Groups::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(big_pk_auto(Members::Id))
                    .col(string_len(Members::Name, 200))
                    .col(string_len_null(Members::Email, 320).unique_key())
                    .col(boolean(Members::Administrator).default(false))
                    .col(boolean(Members::Commissioner).default(false))
                    .col(timestamp_with_time_zone(Members::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(big_pk_auto(Memberships::Id))
                    .col(big_integer(Memberships::MemberId))
                    .col(big_integer(Memberships::GroupId))
                    .col(string_len(Memberships::Role, 16))
                    .col(big_integer_null(Memberships::RepresentsGroupId))
                    .col(date(Memberships::Since))
                    .col(date_null(Memberships::Until))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::RepresentsGroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "memberships_group",
                vec![Memberships::GroupId, Memberships::Id],
            ),
            (
                "memberships_member",
                vec![Memberships::MemberId, Memberships::Id],
            ),
            (
                "memberships_represents",
                vec![Memberships::RepresentsGroupId, Memberships::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Memberships::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // A person holds at most one current membership of a group. Partial unique indexes are
        // written the same way by SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX memberships_one_current \
                 ON memberships (member_id, group_id) WHERE until IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Memberships::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Members::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Groups::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    Kind,
    Name,
    ParentId,
    PracticeCode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    Name,
    Email,
    Administrator,
    Commissioner,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    MemberId,
    GroupId,
    Role,
    RepresentsGroupId,
    Since,
    Until,
    CreatedAt,
}
