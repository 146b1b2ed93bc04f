//! `/healthz` and `/metrics`.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_checks_the_database() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok\n");
}

#[tokio::test]
async fn metrics_count_requests_errors_and_latency_per_operation_type() {
    let app = TestApp::spawn().await;
    app.graphql(None, "{ groups { edges { cursor } } }", json!({}))
        .await
        .ok();
    app.graphql(None, "{ groups { edges { cursor } } }", json!({}))
        .await
        .ok();
    let refused = app
        .graphql(
            None,
            r#"mutation { createGroup(input: { kind: COUNCIL, name: "X" }) { group { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "UNAUTHENTICATED");

    let text = app.get("/metrics").await.text().await.unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
    };
    assert_eq!(
        value("pyramid_graphql_requests_total{operation=\"query\"}"),
        2.0
    );
    assert_eq!(
        value("pyramid_graphql_requests_total{operation=\"mutation\"}"),
        1.0
    );
    assert_eq!(
        value("pyramid_graphql_errors_total{operation=\"query\"}"),
        0.0
    );
    assert_eq!(
        value("pyramid_graphql_errors_total{operation=\"mutation\"}"),
        1.0
    );
    assert_eq!(
        value("pyramid_graphql_request_duration_seconds_count{operation=\"query\"}"),
        2.0
    );
    assert_eq!(
        value("pyramid_graphql_request_duration_seconds_bucket{operation=\"query\",le=\"+Inf\"}"),
        2.0
    );
    assert!(value("pyramid_db_statements_total") > 0.0);
    assert!(value("pyramid_http_requests_total") >= 3.0);
}

/// An operator can see whether an instance remembers sign-ins: on PostgreSQL once its listener
/// hears, never on SQLite (where each request reads its token).
#[tokio::test]
async fn metrics_say_whether_sign_ins_are_remembered() {
    let app = TestApp::spawn().await;
    let postgres = sea_orm::ConnectionTrait::get_database_backend(&app.db)
        == sea_orm::DatabaseBackend::Postgres;
    if postgres {
        app.hears_sign_ins_within(std::time::Duration::from_secs(10))
            .await;
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    let expected = if postgres { 1 } else { 0 };
    assert!(
        text.lines()
            .any(|line| line == format!("pyramid_sign_ins_remembering {expected}")),
        "{text}"
    );
}
