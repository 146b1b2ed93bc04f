//! Sign-ins remembered per instance (`src/sign_ins.rs`): a token seen before costs no
//! statement on PostgreSQL, and a revocation or a membership ended anywhere (another
//! instance, the command line, the database itself) is refused by every instance at once.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{Pyramid, TestApp};

const ME: &str = "{ me { name } }";

#[tokio::test]
async fn a_token_seen_before_costs_no_statement_on_postgresql() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let cost = async || {
        let before = app.statements();
        app.graphql(p.ppg_member.token(), "{ __typename }", json!({}))
            .await
            .ok();
        app.statements() - before
    };
    let (first, again) = (cost().await, cost().await);
    if app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        assert!(
            app.remembers_sign_ins(),
            "PostgreSQL's notifications are heard"
        );
        assert_eq!(
            (first, again),
            (1, 0),
            "statements for a new token, then a seen one"
        );
    } else {
        assert_eq!((first, again), (1, 1), "SQLite reads the token every time");
    }
}

/// What `app` answers `me` with `token`: "OK" or the error's code.
async fn me(app: &TestApp, token: Option<&str>) -> String {
    let answer = app.graphql(token, ME, json!({})).await;
    if answer.errors.is_empty() {
        "OK".to_owned()
    } else {
        answer.code().to_owned()
    }
}

#[tokio::test]
async fn a_token_revoked_in_the_database_is_refused_by_every_instance() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_on(a.database()).await;
    let p = Pyramid::build(&a).await;
    let token = p.ppg_member.token();
    for app in [&a, &b] {
        for _ in 0..2 {
            assert_eq!(
                app.graphql(token, ME, json!({})).await.ok()["me"]["name"],
                "Pat Member"
            );
        }
    }
    // As `pyramid token revoke` or an administrator's SQL would: not through either server.
    a.db.execute_unprepared(&format!(
        "UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE member_id = {}",
        p.ppg_member.id.0
    ))
    .await
    .unwrap();
    // Each server refuses it as soon as it has heard the change (`settle` waits for that, and
    // returns at once on SQLite, which remembers nothing).
    for app in [&a, &b] {
        app.settle().await;
        assert_eq!(me(app, token).await, "UNAUTHENTICATED");
    }
    // Someone else's token is still good.
    assert_eq!(me(&b, p.other_member.token()).await, "OK");
}

#[tokio::test]
async fn a_membership_ended_elsewhere_takes_its_items_out_of_sight_on_every_instance() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_on(a.database()).await;
    let p = Pyramid::build(&a).await;
    let raised = crate::items::raise(
        &a,
        p.ppg_chair.token(),
        crate::items::soft_intelligence(p.ppgs[0][0].0, "Phone lines", "Nobody answers at 8am."),
    )
    .await;
    let reference = raised["item"]["reference"].as_str().unwrap().to_owned();
    let query = "query($r: String!) { item(reference: $r) { reference } }";
    let sees = async |app: &TestApp| {
        let answer = app
            .graphql(p.ppg_member.token(), query, json!({ "r": reference }))
            .await;
        !answer.data["item"].is_null()
    };
    assert!(
        sees(&a).await && sees(&b).await,
        "a member of the PPG sees its item"
    );
    a.db.execute_unprepared(&format!(
        "UPDATE memberships SET until = CURRENT_TIMESTAMP WHERE member_id = {} AND until IS NULL",
        p.ppg_member.id.0
    ))
    .await
    .unwrap();
    for app in [&a, &b] {
        app.settle().await;
        assert!(
            !sees(app).await,
            "the item is still shown after its member left"
        );
    }
}
