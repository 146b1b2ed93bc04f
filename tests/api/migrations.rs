//! A database made by an older build is migrated on start; migrations roll back.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use migrations::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{TestApp, TestDatabase};

#[tokio::test]
async fn starting_on_an_older_database_migrates_it_and_keeps_its_data() {
    let database = TestDatabase::create().await;
    {
        let db = pyramid::startup::connect(&database.url, Arc::new(AtomicU64::new(0)))
            .await
            .unwrap();
        // What the first build of Pyramid left behind: only the first migration, and a council.
        Migrator::up(&db, Some(1)).await.unwrap();
        db.execute_unprepared(
            "INSERT INTO groups (kind, name, created_at, updated_at) VALUES ('COUNCIL', 'Old Council', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')",
        )
        .await
        .unwrap();
        assert_eq!(
            Migrator::get_pending_migrations(&db).await.unwrap().len(),
            Migrator::migrations().len() - 1
        );
        db.close().await.unwrap();
    }
    let app = TestApp::spawn_on(database).await;
    assert!(
        Migrator::get_pending_migrations(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    let groups = app
        .graphql(
            None,
            "{ groups { edges { node { name kind } } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        groups["groups"]["edges"][0]["node"],
        json!({ "name": "Old Council", "kind": "COUNCIL" })
    );
    // Tables from the newer migration work.
    let providers = app
        .graphql(None, "{ providers { edges { node { name } } } }", json!({}))
        .await
        .ok();
    assert_eq!(providers["providers"]["edges"], json!([]));
}

#[tokio::test]
async fn migrations_roll_back_and_forward_again() {
    let app = TestApp::spawn().await;
    Migrator::down(&app.db, None).await.unwrap();
    assert_eq!(
        Migrator::get_applied_migrations(&app.db)
            .await
            .unwrap()
            .len(),
        0
    );
    assert!(
        app.db
            .execute_unprepared("SELECT id FROM groups")
            .await
            .is_err(),
        "tables are gone"
    );
    Migrator::up(&app.db, None).await.unwrap();
    assert!(
        app.db
            .execute_unprepared("SELECT id FROM groups")
            .await
            .is_ok()
    );
}
