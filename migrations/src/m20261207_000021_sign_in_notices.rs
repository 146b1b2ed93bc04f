//! On PostgreSQL, every committed change to what a sign-in is made of (a token, a membership,
//! an area role, a member removed) notifies `pyramid_sign_ins`, so that each serving instance
//! forgets the sign-ins it remembers (`src/sign_ins.rs`). Statement-level triggers: one
//! notification per statement, and PostgreSQL folds identical ones within a transaction.
//! SQLite has no notifications, and nothing remembers sign-ins there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables, and the changes to them, that can alter who a token signs in as. A token's
/// creation cannot (a token nobody has used is not remembered), nor can a member's details.
const WATCHED: [(&str, &str); 4] = [
    ("api_tokens", "UPDATE OR DELETE OR TRUNCATE"),
    ("memberships", "INSERT OR UPDATE OR DELETE OR TRUNCATE"),
    ("area_roles", "INSERT OR UPDATE OR DELETE OR TRUNCATE"),
    ("members", "DELETE OR TRUNCATE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION pyramid_sign_ins_changed() RETURNS trigger
             LANGUAGE plpgsql AS $$
             BEGIN
               PERFORM pg_notify('pyramid_sign_ins', TG_TABLE_NAME);
               RETURN NULL;
             END $$",
        )
        .await?;
        for (table, changes) in WATCHED {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_sign_ins AFTER {changes} ON {table}
                 FOR EACH STATEMENT EXECUTE FUNCTION pyramid_sign_ins_changed()"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, _) in WATCHED {
            db.execute_unprepared(&format!(
                "DROP TRIGGER IF EXISTS {table}_sign_ins ON {table}"
            ))
            .await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS pyramid_sign_ins_changed()")
            .await?;
        Ok(())
    }
}
