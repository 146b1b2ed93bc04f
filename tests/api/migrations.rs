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

#[tokio::test]
async fn deliveries_queued_before_e_mail_keep_their_group_and_are_chat() {
    use pyramid::entities::outbox;
    use sea_orm::EntityTrait;

    let app = TestApp::spawn().await;
    let p = crate::helpers::Pyramid::build(&app).await;
    let raised = crate::items::raise(
        &app,
        p.ppg_member.token(),
        crate::items::soft_intelligence(p.ppgs[0][0].0, "Call-backs", "Waited six hours."),
    )
    .await;
    app.graphql(
        p.ppg_chair.token(),
        "mutation($id: ID!) { escalateItem(input: { itemId: $id }) { item { status } } }",
        json!({ "id": raised["item"]["id"] }),
    )
    .await
    .ok();
    // As an older build left it: the e-mail migration undone, then applied again.
    Migrator::down(&app.db, Some(1)).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    let rows = outbox::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].channel, "CHAT");
    assert_eq!(
        rows[0].group_id,
        Some(p.ppgs[0][0].0),
        "the PPG it was raised in"
    );
    assert_eq!(rows[0].status, "FAILED");
    assert!(rows[0].given_up_at.is_some());
}
