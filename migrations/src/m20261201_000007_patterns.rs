//! Patterns of concern. A two-level theme vocabulary shipped as data (each theme mapped to
//! the NHS complaints (KO41a) subject area and the CQC key question it belongs to), keyword
//! rules that suggest themes from an item's text, items' themes with their own polarity
//! (suggested until accepted), items' severity, the patterns found across PPGs with the items
//! in them and what happened to them, each area's pattern rule, and members' watches.
//! Today's free-text themes become tags (`item_tags`); those that name a theme of the
//! vocabulary are classified under it too.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The vocabulary: heading (slug, name, KO41a subject area, CQC key question), its
/// subheadings (slug, name), and the keyword rules that suggest the heading.
type Heading = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const VOCABULARY: &[Heading] = &[
    (
        "access",
        "Access and appointments",
        "Appointments",
        "RESPONSIVE",
        &[
            ("access-phone", "Getting through by phone"),
            ("access-booking", "Booking an appointment"),
            ("access-online", "Online access"),
            ("access-registration", "Registering with a practice"),
            ("access-home-visits", "Home visits"),
        ],
        &[
            "appointment",
            "appointments",
            "get through",
            "getting through",
            "engaged tone",
            "phone line",
            "booking",
            "register",
            "home visit",
        ],
    ),
    (
        "waiting",
        "Waiting times",
        "Waiting times",
        "RESPONSIVE",
        &[
            ("waiting-appointment", "Waiting for an appointment"),
            ("waiting-on-the-day", "Waiting on the day"),
            ("waiting-referral", "Waiting after a referral"),
            ("waiting-call-back", "Waiting for a call-back"),
        ],
        &[
            "waited",
            "waiting",
            "wait",
            "hours waiting",
            "weeks waiting",
            "delay",
            "delayed",
        ],
    ),
    (
        "communication",
        "Communication and information",
        "Communications",
        "RESPONSIVE",
        &[
            ("communication-listening", "Being listened to"),
            ("communication-information", "Information given"),
            ("communication-results", "Test results"),
            ("communication-letters", "Letters and correspondence"),
            (
                "communication-accessible",
                "Interpreting and accessible information",
            ),
        ],
        &[
            "not told",
            "no information",
            "nobody told",
            "letter",
            "results",
            "explained",
            "interpreter",
            "listen",
            "listened",
        ],
    ),
    (
        "staff",
        "Staff attitude and behaviour",
        "Staff attitude/behaviour",
        "CARING",
        &[
            ("staff-rudeness", "Rudeness"),
            ("staff-kindness", "Kindness and compassion"),
            ("staff-professionalism", "Professionalism"),
        ],
        &[
            "rude",
            "dismissive",
            "unhelpful",
            "attitude",
            "kind",
            "friendly",
            "caring",
            "compassionate",
        ],
    ),
    (
        "clinical",
        "Clinical care and treatment",
        "Clinical treatment",
        "EFFECTIVE",
        &[
            ("clinical-diagnosis", "Diagnosis"),
            ("clinical-treatment", "Treatment"),
            ("clinical-follow-up", "Follow-up"),
            ("clinical-infection", "Infection control"),
        ],
        &[
            "diagnosis",
            "misdiagnosed",
            "treatment",
            "examined",
            "follow-up",
            "follow up",
            "infection",
        ],
    ),
    (
        "medication",
        "Medication and pharmacy",
        "Prescribing",
        "SAFE",
        &[
            ("medication-repeat", "Repeat prescriptions"),
            ("medication-errors", "Medication errors"),
            ("medication-pharmacy", "Pharmacy service"),
            ("medication-supply", "Availability of medicines"),
        ],
        &[
            "prescription",
            "prescriptions",
            "medication",
            "medicine",
            "medicines",
            "tablets",
            "pharmacy",
            "wrong dose",
            "dose",
        ],
    ),
    (
        "discharge",
        "Discharge and transfers",
        "Admissions and discharges",
        "EFFECTIVE",
        &[
            ("discharge-planning", "Discharge planning"),
            ("discharge-letters", "Discharge letters"),
            ("discharge-transfers", "Transfers between services"),
            ("discharge-care-packages", "Care packages"),
        ],
        &[
            "discharge",
            "discharged",
            "sent home",
            "care package",
            "transferred",
        ],
    ),
    (
        "transport",
        "Transport",
        "Transport (ambulances)",
        "RESPONSIVE",
        &[
            ("transport-ambulance", "Ambulance response"),
            ("transport-patient", "Patient transport"),
            ("transport-parking", "Parking and getting there"),
        ],
        &["ambulance", "patient transport", "parking"],
    ),
    (
        "urgent",
        "Urgent and out-of-hours care",
        "Access to treatment or drugs",
        "RESPONSIVE",
        &[
            ("urgent-out-of-hours", "Out-of-hours GP"),
            ("urgent-111", "NHS 111"),
            ("urgent-emergency", "A&E"),
            ("urgent-treatment-centre", "Urgent treatment centres"),
        ],
        &[
            "out-of-hours",
            "out of hours",
            "111",
            "a&e",
            "call-back",
            "callback",
            "urgent care",
            "walk-in",
        ],
    ),
    (
        "environment",
        "Environment and facilities",
        "Facilities",
        "SAFE",
        &[
            ("environment-cleanliness", "Cleanliness"),
            ("environment-accessibility", "Accessible buildings"),
            ("environment-comfort", "Noise and comfort"),
            ("environment-food", "Food and drink"),
        ],
        &[
            "dirty",
            "cleanliness",
            "toilets",
            "wheelchair",
            "building",
            "noisy",
            "food",
        ],
    ),
    (
        "safeguarding",
        "Safeguarding",
        "Safeguarding",
        "SAFE",
        &[
            ("safeguarding-adults", "Adults at risk"),
            ("safeguarding-children", "Children at risk"),
            ("safeguarding-neglect", "Neglect"),
        ],
        &["safeguarding", "neglect", "neglected", "abuse", "unsafe"],
    ),
    (
        "dignity",
        "Dignity and respect",
        "Privacy, dignity and wellbeing",
        "CARING",
        &[
            ("dignity-privacy", "Privacy"),
            ("dignity-dignity", "Dignity"),
            ("dignity-equality", "Equality and discrimination"),
        ],
        &[
            "dignity",
            "privacy",
            "discrimination",
            "discriminated",
            "respect",
        ],
    ),
    (
        "organisation",
        "How services are run",
        "Values and behaviours",
        "WELL_LED",
        &[
            ("organisation-complaints", "Complaints handling"),
            ("organisation-records", "Records and administration"),
            ("organisation-changes", "Changes to services"),
        ],
        &[
            "complaint",
            "complained",
            "records",
            "closure",
            "closed down",
        ],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table(Themes::Table)
                    .col(big_pk_auto(Themes::Id))
                    .col(big_integer_null(Themes::ParentId))
                    .col(string_len_uniq(Themes::Slug, 60))
                    .col(string_len(Themes::Name, 120))
                    .col(string_len_null(Themes::Ko41Subject, 120))
                    .col(string_len_null(Themes::CqcKeyQuestion, 16))
                    .col(timestamp_with_time_zone(Themes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Themes::Table, Themes::ParentId)
                            .to(Themes::Table, Themes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThemeRules::Table)
                    .col(big_pk_auto(ThemeRules::Id))
                    .col(big_integer(ThemeRules::ThemeId))
                    .col(string_len(ThemeRules::Phrase, 80))
                    .col(big_integer_null(ThemeRules::CreatedBy))
                    .col(timestamp_with_time_zone(ThemeRules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ThemeRules::Table, ThemeRules::ThemeId)
                            .to(Themes::Table, Themes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("theme_rules_phrase")
                    .table(ThemeRules::Table)
                    .col(ThemeRules::ThemeId)
                    .col(ThemeRules::Phrase)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The vocabulary, heading by heading.
        for (slug, name, ko41, cqc, subheadings, phrases) in VOCABULARY {
            insert_theme(manager, None, slug, name, Some(ko41), Some(cqc)).await?;
            let heading = theme_id(manager, slug).await?;
            for (sub_slug, sub_name) in *subheadings {
                insert_theme(
                    manager,
                    Some(heading),
                    sub_slug,
                    sub_name,
                    Some(ko41),
                    Some(cqc),
                )
                .await?;
            }
            for phrase in *phrases {
                manager
                    .exec_stmt(
                        Query::insert()
                            .into_table(ThemeRules::Table)
                            .columns([
                                ThemeRules::ThemeId,
                                ThemeRules::Phrase,
                                ThemeRules::CreatedAt,
                            ])
                            .values_panic([
                                heading.into(),
                                (*phrase).into(),
                                Expr::current_timestamp(),
                            ])
                            .to_owned(),
                    )
                    .await?;
            }
        }

        manager
            .create_table(
                Table::create()
                    .table(ItemClassifications::Table)
                    .col(big_integer(ItemClassifications::ItemId))
                    .col(big_integer(ItemClassifications::ThemeId))
                    .col(string_len(ItemClassifications::Polarity, 16))
                    .col(boolean(ItemClassifications::Suggested).default(false))
                    .col(big_integer_null(ItemClassifications::RuleId))
                    .col(big_integer_null(ItemClassifications::SetBy))
                    .col(timestamp_with_time_zone(ItemClassifications::SetAt))
                    .primary_key(
                        Index::create()
                            .col(ItemClassifications::ItemId)
                            .col(ItemClassifications::ThemeId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ItemClassifications::Table, ItemClassifications::ItemId)
                            .to(Items::Table, Items::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ItemClassifications::Table, ItemClassifications::ThemeId)
                            .to(Themes::Table, Themes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("item_classifications_theme")
                    .table(ItemClassifications::Table)
                    .col(ItemClassifications::ThemeId)
                    .col(ItemClassifications::ItemId)
                    .to_owned(),
            )
            .await?;
        // Today's free-text themes that name a theme (by slug or name) are classified under
        // it, with the item's sentiment; every tag stays a tag.
        db.execute_unprepared(
            "INSERT INTO item_classifications (item_id, theme_id, polarity, suggested, set_at) \
             SELECT DISTINCT t.item_id, th.id, i.sentiment, FALSE, CURRENT_TIMESTAMP \
             FROM item_themes t JOIN items i ON i.id = t.item_id \
             JOIN themes th ON LOWER(th.name) = LOWER(t.theme) OR th.slug = LOWER(REPLACE(t.theme, ' ', '-'))",
        )
        .await?;

        manager
            .rename_table(
                Table::rename()
                    .table(ItemThemes::Table, ItemTags::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ItemTags::Table)
                    .rename_column(ItemTags::Theme, ItemTags::Tag)
                    .to_owned(),
            )
            .await?;

        for column in [
            ColumnDef::new(Items::Severity)
                .small_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Items::SeverityReason)
                .text()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Items::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // Patterns find items by provider, newest last.
        manager
            .create_index(
                Index::create()
                    .name("items_area_provider_created")
                    .table(Items::Table)
                    .col(Items::AreaId)
                    .col(Items::ProviderId)
                    .col(Items::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AreaSettings::Table)
                    .col(big_integer(AreaSettings::AreaId).primary_key())
                    .col(integer(AreaSettings::PatternMinPpgs).default(2))
                    .col(integer(AreaSettings::PatternWindowDays).default(90))
                    .col(timestamp_with_time_zone(AreaSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AreaSettings::Table, AreaSettings::AreaId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Patterns::Table)
                    .col(big_pk_auto(Patterns::Id))
                    .col(big_integer(Patterns::AreaId))
                    .col(big_integer(Patterns::ProviderId))
                    .col(big_integer_null(Patterns::ThemeId))
                    .col(big_integer(Patterns::OwnerGroupId))
                    .col(string_len(Patterns::Status, 16))
                    .col(timestamp_with_time_zone(Patterns::FirstSeen))
                    .col(timestamp_with_time_zone(Patterns::LastSeen))
                    .col(integer(Patterns::PpgCount))
                    .col(integer(Patterns::ItemCount))
                    .col(integer_null(Patterns::DismissedAtCount))
                    .col(text_null(Patterns::DismissedReason))
                    .col(text_null(Patterns::ReopenedBecause))
                    .col(big_integer_null(Patterns::TakenUpItemId))
                    .col(timestamp_with_time_zone(Patterns::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("patterns_key")
                    .table(Patterns::Table)
                    .col(Patterns::AreaId)
                    .col(Patterns::ProviderId)
                    .col(Patterns::ThemeId)
                    .col(Patterns::LastSeen)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("patterns_owner")
                    .table(Patterns::Table)
                    .col(Patterns::OwnerGroupId)
                    .col(Patterns::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PatternItems::Table)
                    .col(big_integer(PatternItems::PatternId))
                    .col(big_integer(PatternItems::ItemId))
                    .col(big_integer(PatternItems::PpgId))
                    .col(timestamp_with_time_zone(PatternItems::RaisedAt))
                    .primary_key(
                        Index::create()
                            .col(PatternItems::PatternId)
                            .col(PatternItems::ItemId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PatternItems::Table, PatternItems::PatternId)
                            .to(Patterns::Table, Patterns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("pattern_items_item")
                    .table(PatternItems::Table)
                    .col(PatternItems::ItemId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PatternEvents::Table)
                    .col(big_pk_auto(PatternEvents::Id))
                    .col(big_integer(PatternEvents::PatternId))
                    .col(string_len(PatternEvents::Kind, 16))
                    .col(big_integer(PatternEvents::OwnerGroupId))
                    .col(big_integer_null(PatternEvents::ActorId))
                    .col(text_null(PatternEvents::Note))
                    .col(timestamp_with_time_zone(PatternEvents::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PatternEvents::Table, PatternEvents::PatternId)
                            .to(Patterns::Table, Patterns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Watches::Table)
                    .col(big_pk_auto(Watches::Id))
                    .col(big_integer(Watches::MemberId))
                    .col(big_integer_null(Watches::ProviderId))
                    .col(big_integer_null(Watches::ThemeId))
                    .col(small_integer_null(Watches::MinSeverity))
                    .col(string_len(Watches::Frequency, 16))
                    .col(timestamp_with_time_zone(Watches::LastSentAt))
                    .col(timestamp_with_time_zone(Watches::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Watches::Table, Watches::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("watches_member")
                    .table(Watches::Table)
                    .col(Watches::MemberId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Subheadings first: a heading cannot go while a subheading points at it.
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM themes WHERE parent_id IS NOT NULL")
            .await?;
        for table in [
            Watches::Table.into_iden(),
            PatternEvents::Table.into_iden(),
            PatternItems::Table.into_iden(),
            Patterns::Table.into_iden(),
            AreaSettings::Table.into_iden(),
            ItemClassifications::Table.into_iden(),
            ThemeRules::Table.into_iden(),
            Themes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ItemTags::Table)
                    .rename_column(ItemTags::Tag, ItemTags::Theme)
                    .to_owned(),
            )
            .await?;
        manager
            .rename_table(
                Table::rename()
                    .table(ItemTags::Table, ItemThemes::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("items_area_provider_created")
                    .table(Items::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Items::SeverityReason, Items::Severity] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Items::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

async fn insert_theme(
    manager: &SchemaManager<'_>,
    parent: Option<i64>,
    slug: &str,
    name: &str,
    ko41: Option<&str>,
    cqc: Option<&str>,
) -> Result<(), DbErr> {
    manager
        .exec_stmt(
            Query::insert()
                .into_table(Themes::Table)
                .columns([
                    Themes::ParentId,
                    Themes::Slug,
                    Themes::Name,
                    Themes::Ko41Subject,
                    Themes::CqcKeyQuestion,
                    Themes::CreatedAt,
                ])
                .values_panic([
                    parent.into(),
                    slug.into(),
                    name.into(),
                    ko41.into(),
                    cqc.into(),
                    Expr::current_timestamp(),
                ])
                .to_owned(),
        )
        .await
}

async fn theme_id(manager: &SchemaManager<'_>, slug: &str) -> Result<i64, DbErr> {
    let row = manager
        .get_connection()
        .query_one(
            &Query::select()
                .column(Themes::Id)
                .from(Themes::Table)
                .and_where(Expr::col(Themes::Slug).eq(slug))
                .to_owned(),
        )
        .await?
        .ok_or_else(|| DbErr::Custom(format!("theme {slug} was not inserted")))?;
    row.try_get("", "id")
}

#[derive(DeriveIden)]
enum Themes {
    Table,
    Id,
    ParentId,
    Slug,
    Name,
    Ko41Subject,
    CqcKeyQuestion,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ThemeRules {
    Table,
    Id,
    ThemeId,
    Phrase,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ItemClassifications {
    Table,
    ItemId,
    ThemeId,
    Polarity,
    Suggested,
    RuleId,
    SetBy,
    SetAt,
}

#[derive(DeriveIden)]
enum Items {
    Table,
    Id,
    AreaId,
    ProviderId,
    CreatedAt,
    Severity,
    SeverityReason,
}

#[derive(DeriveIden)]
enum ItemThemes {
    Table,
}

#[derive(DeriveIden)]
enum ItemTags {
    Table,
    Theme,
    Tag,
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
enum AreaSettings {
    Table,
    AreaId,
    PatternMinPpgs,
    PatternWindowDays,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Patterns {
    Table,
    Id,
    AreaId,
    ProviderId,
    ThemeId,
    OwnerGroupId,
    Status,
    FirstSeen,
    LastSeen,
    PpgCount,
    ItemCount,
    DismissedAtCount,
    DismissedReason,
    ReopenedBecause,
    TakenUpItemId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PatternItems {
    Table,
    PatternId,
    ItemId,
    PpgId,
    RaisedAt,
}

#[derive(DeriveIden)]
enum PatternEvents {
    Table,
    Id,
    PatternId,
    Kind,
    OwnerGroupId,
    ActorId,
    Note,
    At,
}

#[derive(DeriveIden)]
enum Watches {
    Table,
    Id,
    MemberId,
    ProviderId,
    ThemeId,
    MinSeverity,
    Frequency,
    LastSentAt,
    CreatedAt,
}
