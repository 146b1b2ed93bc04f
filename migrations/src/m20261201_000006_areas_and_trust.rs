//! Areas and trust. Each council and everything under it is an area (an ICB, its own data
//! controller): every group and item records its area, and the organisation roles
//! (administrator, commissioner) that were global flags on `members` become roles held in an
//! area (`area_roles`); existing holders keep them in every area that exists. Items remember
//! whether their submitter agreed to their name travelling with them, and a fingerprint of
//! what was submitted (so a reused idempotency key with other content is refused). Safety
//! concerns are visible to every tier above their PPG, including those raised before. Newsletter
//! entries can be flagged for a look before publishing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();

        // Every group's area: a council is its own; a district's is its parent; a PPG's is its
        // parent's parent.
        manager
            .alter_table(
                Table::alter()
                    .table(Groups::Table)
                    .add_column(big_integer_null(Groups::AreaId))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("UPDATE groups SET area_id = id WHERE kind = 'COUNCIL'")
            .await?;
        db.execute_unprepared("UPDATE groups SET area_id = parent_id WHERE kind = 'DISTRICT'")
            .await?;
        db.execute_unprepared(
            "UPDATE groups SET area_id = (SELECT p.parent_id FROM groups p WHERE p.id = groups.parent_id) \
             WHERE kind = 'PPG'",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("groups_area")
                    .table(Groups::Table)
                    .col(Groups::AreaId)
                    .col(Groups::Id)
                    .to_owned(),
            )
            .await?;

        // Every item's area (items never leave the area they were raised in).
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .add_column(big_integer_null(Items::AreaId))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE items SET area_id = (SELECT g.area_id FROM groups g WHERE g.id = items.origin_group_id)",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("items_area")
                    .table(Items::Table)
                    .col(Items::AreaId)
                    .col(Items::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .add_column(boolean(Items::ShareName).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .add_column(string_len_null(Items::SubmissionHash, 64))
                    .to_owned(),
            )
            .await?;

        // Organisation roles, held in an area.
        manager
            .create_table(
                Table::create()
                    .table(AreaRoles::Table)
                    .col(big_pk_auto(AreaRoles::Id))
                    .col(big_integer(AreaRoles::MemberId))
                    .col(big_integer(AreaRoles::AreaId))
                    .col(string_len(AreaRoles::Role, 16))
                    .col(timestamp_with_time_zone(AreaRoles::Since))
                    .col(timestamp_with_time_zone_null(AreaRoles::Until))
                    .col(big_integer_null(AreaRoles::GrantedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AreaRoles::Table, AreaRoles::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AreaRoles::Table, AreaRoles::AreaId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX area_roles_one_current \
             ON area_roles (member_id, area_id, role) WHERE until IS NULL",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("area_roles_area")
                    .table(AreaRoles::Table)
                    .col(AreaRoles::AreaId)
                    .col(AreaRoles::Id)
                    .to_owned(),
            )
            .await?;
        for (flag, role) in [
            ("administrator", "ADMINISTRATOR"),
            ("commissioner", "COMMISSIONER"),
        ] {
            db.execute_unprepared(&format!(
                "INSERT INTO area_roles (member_id, area_id, role, since) \
                 SELECT m.id, g.id, '{role}', m.created_at FROM members m, groups g \
                 WHERE m.{flag} AND g.kind = 'COUNCIL'"
            ))
            .await?;
        }
        for column in [Members::Administrator, Members::Commissioner] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Members::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }

        // Safety concerns raised before this reached every tier above their PPG.
        for ancestor in [
            "g.parent_id",
            "(SELECT d.parent_id FROM groups d WHERE d.id = g.parent_id)",
        ] {
            db.execute_unprepared(&format!(
                "INSERT INTO item_groups (item_id, group_id, reached_at) \
                 SELECT i.id, {ancestor}, i.created_at FROM items i JOIN groups g ON g.id = i.origin_group_id \
                 WHERE i.safety_concern AND {ancestor} IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM item_groups r WHERE r.item_id = i.id AND r.group_id = {ancestor})"
            ))
            .await?;
        }

        // Newsletter entries that need a look before publishing.
        manager
            .alter_table(
                Table::alter()
                    .table(NewsletterEntries::Table)
                    .add_column(boolean(NewsletterEntries::NeedsReview).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(NewsletterEntries::Table)
                    .add_column(string_len_null(NewsletterEntries::ReviewWords, 400))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(NewsletterEntries::Table)
                    .add_column(big_integer_null(NewsletterEntries::ReviewedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(NewsletterEntries::Table)
                    .add_column(timestamp_with_time_zone_null(NewsletterEntries::ReviewedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for column in [
            NewsletterEntries::ReviewedAt,
            NewsletterEntries::ReviewedBy,
            NewsletterEntries::ReviewWords,
            NewsletterEntries::NeedsReview,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(NewsletterEntries::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Members::Administrator, Members::Commissioner] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Members::Table)
                        .add_column(boolean(column).default(false))
                        .to_owned(),
                )
                .await?;
        }
        for (flag, role) in [
            ("administrator", "ADMINISTRATOR"),
            ("commissioner", "COMMISSIONER"),
        ] {
            db.execute_unprepared(&format!(
                "UPDATE members SET {flag} = TRUE WHERE id IN \
                 (SELECT member_id FROM area_roles WHERE role = '{role}' AND until IS NULL)"
            ))
            .await?;
        }
        manager
            .drop_table(Table::drop().table(AreaRoles::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("items_area")
                    .table(Items::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Items::SubmissionHash, Items::ShareName, Items::AreaId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Items::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("groups_area")
                    .table(Groups::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Groups::Table)
                    .drop_column(Groups::AreaId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    AreaId,
}

#[derive(DeriveIden)]
enum Items {
    Table,
    Id,
    AreaId,
    ShareName,
    SubmissionHash,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    Administrator,
    Commissioner,
}

#[derive(DeriveIden)]
enum AreaRoles {
    Table,
    Id,
    MemberId,
    AreaId,
    Role,
    Since,
    Until,
    GrantedBy,
}

#[derive(DeriveIden)]
enum NewsletterEntries {
    Table,
    NeedsReview,
    ReviewWords,
    ReviewedBy,
    ReviewedAt,
}
