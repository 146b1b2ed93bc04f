//! The shape of the pyramid: which kind of group sits under which, and how to walk it.

use serde_json::json;

use crate::helpers::{Pyramid, TestApp, gid};

const CREATE: &str = r#"
mutation($input: CreateGroupInput!) {
  createGroup(input: $input) { group { id kind name practiceCode parent { name } } }
}"#;

#[tokio::test]
async fn an_administrator_builds_the_three_tiers() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let admin = p.admin.token();

    let district = app
        .graphql(admin, CREATE, json!({ "input": { "kind": "DISTRICT", "name": "East", "parentId": gid("Group", p.council.0) } }))
        .await
        .ok();
    let district = &district["createGroup"]["group"];
    assert_eq!(district["kind"], "DISTRICT");
    assert_eq!(district["parent"]["name"], "Council");

    let ppg = app
        .graphql(admin, CREATE, json!({ "input": { "kind": "PPG", "name": "  East A  ", "parentId": district["id"], "practiceCode": "e00001" } }))
        .await
        .ok();
    let ppg = &ppg["createGroup"]["group"];
    assert_eq!(ppg["name"], "East A", "names are trimmed");
    assert_eq!(
        ppg["practiceCode"], "E00001",
        "practice codes are upper-cased"
    );
    assert_eq!(ppg["parent"]["name"], "East");

    let walked = app
        .graphql(
            None,
            r#"query($id: ID!) { node(id: $id) { ... on Group { ancestors { name kind } parent { children { edges { node { name } } } } } } }"#,
            json!({ "id": ppg["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        walked["node"]["ancestors"],
        json!([{ "name": "East", "kind": "DISTRICT" }, { "name": "Council", "kind": "COUNCIL" }])
    );
    assert_eq!(
        walked["node"]["parent"]["children"]["edges"],
        json!([{ "node": { "name": "East A" } }])
    );
}

#[tokio::test]
async fn groups_refuse_a_parent_of_the_wrong_kind() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let admin = p.admin.token();
    let cases = [
        (
            "a PPG under the council",
            json!({ "kind": "PPG", "name": "X", "parentId": gid("Group", p.council.0), "practiceCode": "X00001" }),
        ),
        (
            "a district under a PPG",
            json!({ "kind": "DISTRICT", "name": "X", "parentId": gid("Group", p.ppgs[0][0].0) }),
        ),
        (
            "a district with no parent",
            json!({ "kind": "DISTRICT", "name": "X" }),
        ),
        (
            "a council under a district",
            json!({ "kind": "COUNCIL", "name": "X", "parentId": gid("Group", p.districts[0].0) }),
        ),
        (
            "a PPG under a PPG",
            json!({ "kind": "PPG", "name": "X", "parentId": gid("Group", p.ppgs[0][0].0), "practiceCode": "X00001" }),
        ),
    ];
    for (case, input) in cases {
        let response = app.graphql(admin, CREATE, json!({ "input": input })).await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{case}");
        assert_eq!(response.field(), "parentId", "{case}");
        assert!(!response.message().is_empty(), "{case}");
    }

    // Moving a PPG under the council is refused the same way; under another district it works.
    const MOVE: &str = r#"mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { parent { name } } } }"#;
    let ppg = gid("Group", p.ppgs[0][0].0);
    let refused = app
        .graphql(
            admin,
            MOVE,
            json!({ "input": { "id": ppg, "parentId": gid("Group", p.council.0) } }),
        )
        .await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "parentId")
    );
    let moved = app
        .graphql(
            admin,
            MOVE,
            json!({ "input": { "id": ppg, "parentId": gid("Group", p.districts[1].0) } }),
        )
        .await
        .ok();
    assert_eq!(moved["updateGroup"]["group"]["parent"]["name"], "South");
}

#[tokio::test]
async fn practice_codes_are_required_valid_and_unique() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let admin = p.admin.token();
    let district = gid("Group", p.districts[0].0);
    let cases = [
        (
            "missing",
            json!({ "kind": "PPG", "name": "X", "parentId": district }),
        ),
        (
            "malformed",
            json!({ "kind": "PPG", "name": "X", "parentId": district, "practiceCode": "12345" }),
        ),
        (
            "taken",
            json!({ "kind": "PPG", "name": "X", "parentId": district, "practiceCode": "A00001" }),
        ),
        (
            "on a district",
            json!({ "kind": "DISTRICT", "name": "X", "parentId": gid("Group", p.council.0), "practiceCode": "A00009" }),
        ),
    ];
    for (case, input) in cases {
        let response = app.graphql(admin, CREATE, json!({ "input": input })).await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{case}");
        assert_eq!(response.field(), "practiceCode", "{case}");
    }
    let taken = app
        .graphql(admin, CREATE, json!({ "input": { "kind": "PPG", "name": "X", "parentId": district, "practiceCode": "a00001" } }))
        .await;
    assert!(taken.message().contains("A00001"), "{}", taken.message());
}

#[tokio::test]
async fn every_change_is_audited_in_the_same_transaction() {
    use pyramid::entities::audit_event;
    use sea_orm::EntityTrait;

    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let before = audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .len();
    app.graphql(
        p.admin.token(),
        CREATE,
        json!({ "input": { "kind": "DISTRICT", "name": "East", "parentId": gid("Group", p.council.0) } }),
    )
    .await
    .ok();
    // A refused change writes nothing.
    app.graphql(p.admin.token(), CREATE, json!({ "input": { "kind": "DISTRICT", "name": "" , "parentId": gid("Group", p.council.0)} }))
        .await;
    let events = audit_event::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(events.len(), before + 1);
    let last = events.last().unwrap();
    assert_eq!(last.action, "group.created");
    assert_eq!(last.actor_member_id, Some(p.admin.id.0));
}
