//! The database schema of Pyramid, one migration per file. Migrations are append-only:
//! once one has landed on `main` it is never edited; change the schema with a new file.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_structure;
mod m20261122_000002_providers_tokens_audit;
mod m20261122_000003_items;
mod m20261122_000004_newsletters_chat;
mod m20261122_000005_dashboard_index;
mod m20261201_000006_areas_and_trust;
mod m20261201_000007_patterns;
mod m20261201_000009_email;
mod m20261202_000010_pattern_windows;
mod m20261203_000011_feedback;
mod m20261203_000012_response_clock;
mod m20261204_000014_reports;
mod m20261204_000015_planned_changes;
mod m20261204_000016_consultations;
mod m20261205_000017_newsletter_audio;
mod m20261205_000018_newsletter_translations;
mod m20261205_000019_newsletter_easy_read;
mod m20261206_000020_report_audio;
mod m20261207_000021_sign_in_notices;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_structure::Migration),
            Box::new(m20261122_000002_providers_tokens_audit::Migration),
            Box::new(m20261122_000003_items::Migration),
            Box::new(m20261122_000004_newsletters_chat::Migration),
            Box::new(m20261122_000005_dashboard_index::Migration),
            Box::new(m20261201_000006_areas_and_trust::Migration),
            Box::new(m20261201_000007_patterns::Migration),
            Box::new(m20261201_000009_email::Migration),
            Box::new(m20261202_000010_pattern_windows::Migration),
            Box::new(m20261203_000011_feedback::Migration),
            Box::new(m20261203_000012_response_clock::Migration),
            Box::new(m20261204_000014_reports::Migration),
            Box::new(m20261204_000015_planned_changes::Migration),
            Box::new(m20261204_000016_consultations::Migration),
            Box::new(m20261205_000017_newsletter_audio::Migration),
            Box::new(m20261205_000018_newsletter_translations::Migration),
            Box::new(m20261205_000019_newsletter_easy_read::Migration),
            Box::new(m20261206_000020_report_audio::Migration),
            Box::new(m20261207_000021_sign_in_notices::Migration),
        ]
    }
}
