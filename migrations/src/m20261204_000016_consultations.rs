//! The register of consultations and engagement exercises: what the commissioners asked,
//! whom, when and how, what they heard, the decision it informed and what it did to that
//! decision (the annual consultation report is made from it). The groups involved (PPGs,
//! districts, the council) decide who besides the council and the commissioners may read an
//! entry; items and newsletters can be linked to it. Every free-text column is redacted
//! before it is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Consultations::Table)
                    .col(big_pk_auto(Consultations::Id))
                    .col(big_integer(Consultations::AreaId))
                    .col(string_len(Consultations::Title, 200))
                    .col(date(Consultations::StartsOn))
                    .col(date(Consultations::EndsOn))
                    .col(string_len(Consultations::Method, 24))
                    .col(integer_null(Consultations::PeopleInvolved))
                    .col(text(Consultations::WhoWasInvolved))
                    .col(text_null(Consultations::WhatWasHeard))
                    .col(text_null(Consultations::Decision))
                    .col(text_null(Consultations::Influence))
                    .col(string_len_null(Consultations::InfluenceLevel, 16))
                    .col(big_integer_null(Consultations::CreatedBy))
                    .col(timestamp_with_time_zone(Consultations::CreatedAt))
                    .col(timestamp_with_time_zone(Consultations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Consultations::Table, Consultations::AreaId)
                            .to(Groups::Table, Groups::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // An area's register is listed by id; a year's by its dates.
        manager
            .create_index(
                Index::create()
                    .name("consultations_area")
                    .table(Consultations::Table)
                    .col(Consultations::AreaId)
                    .col(Consultations::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("consultations_area_dates")
                    .table(Consultations::Table)
                    .col(Consultations::AreaId)
                    .col(Consultations::StartsOn)
                    .col(Consultations::EndsOn)
                    .to_owned(),
            )
            .await?;
        for (table, column, target, target_id, index) in [
            (
                ConsultationLinks::ConsultationGroups,
                ConsultationLinks::GroupId,
                ConsultationLinks::Groups,
                ConsultationLinks::Id,
                "consultation_groups_group",
            ),
            (
                ConsultationLinks::ConsultationItems,
                ConsultationLinks::ItemId,
                ConsultationLinks::Items,
                ConsultationLinks::Id,
                "consultation_items_item",
            ),
            (
                ConsultationLinks::ConsultationNewsletters,
                ConsultationLinks::NewsletterId,
                ConsultationLinks::Newsletters,
                ConsultationLinks::Id,
                "consultation_newsletters_newsletter",
            ),
        ] {
            manager
                .create_table(
                    Table::create()
                        .table(table)
                        .col(big_integer(ConsultationLinks::ConsultationId))
                        .col(big_integer(column))
                        .primary_key(
                            Index::create()
                                .col(ConsultationLinks::ConsultationId)
                                .col(column),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(table, ConsultationLinks::ConsultationId)
                                .to(Consultations::Table, Consultations::Id)
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(table, column)
                                .to(target, target_id),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(index)
                        .table(table)
                        .col(column)
                        .col(ConsultationLinks::ConsultationId)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ConsultationLinks::ConsultationNewsletters,
            ConsultationLinks::ConsultationItems,
            ConsultationLinks::ConsultationGroups,
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Consultations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
    AreaId,
    Title,
    StartsOn,
    EndsOn,
    Method,
    PeopleInvolved,
    WhoWasInvolved,
    WhatWasHeard,
    Decision,
    Influence,
    InfluenceLevel,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

/// The three link tables, their columns and the tables they point to.
#[derive(DeriveIden, Clone, Copy)]
enum ConsultationLinks {
    ConsultationGroups,
    ConsultationItems,
    ConsultationNewsletters,
    ConsultationId,
    GroupId,
    ItemId,
    NewsletterId,
    Groups,
    Items,
    Newsletters,
    Id,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}
