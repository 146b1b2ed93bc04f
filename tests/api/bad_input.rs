//! Bad input of each kind gets its code, the offending field and a sentence.

use serde_json::json;

use crate::helpers::{Pyramid, TestApp, gid};

const ADD_MEMBER: &str =
    r#"mutation($input: AddMemberInput!) { addMember(input: $input) { membership { id } } }"#;

#[tokio::test]
async fn each_kind_of_bad_input_names_its_field() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let admin = p.admin.token();
    let ppg = gid("Group", p.ppgs[0][0].0);
    let cases = [
        (
            "empty name",
            json!({ "groupId": ppg, "member": { "new": { "name": "   " } } }),
            "name",
        ),
        (
            "bad e-mail",
            json!({ "groupId": ppg, "member": { "new": { "name": "Jo", "email": "jo-at-example" } } }),
            "email",
        ),
        (
            "taken e-mail",
            json!({ "groupId": ppg, "member": { "new": { "name": "Jo", "email": "PAT.MEMBER@test.example" } } }),
            "email",
        ),
        (
            "a member id where a group id goes",
            json!({ "groupId": p.ppg_member.gid(), "member": { "id": p.ppg_member.gid() } }),
            "groupId",
        ),
        (
            "an id that is not ours",
            json!({ "groupId": "42", "member": { "id": p.ppg_member.gid() } }),
            "groupId",
        ),
        (
            "representative by the back door",
            json!({ "groupId": ppg, "member": { "id": p.district_secretary.gid() }, "role": "REPRESENTATIVE" }),
            "role",
        ),
    ];
    for (case, input, field) in cases {
        let response = app
            .graphql(admin, ADD_MEMBER, json!({ "input": input }))
            .await;
        assert_eq!(
            response.code(),
            "BAD_USER_INPUT",
            "{case}: {:?}",
            response.errors
        );
        assert_eq!(response.field(), field, "{case}");
        assert!(
            response.message().ends_with('.'),
            "{case}: a sentence: {}",
            response.message()
        );
    }
}

#[tokio::test]
async fn conflicts_and_missing_things_have_their_codes() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let admin = p.admin.token();
    let again = app
        .graphql(admin, ADD_MEMBER, json!({ "input": { "groupId": gid("Group", p.ppgs[0][0].0), "member": { "id": p.ppg_member.gid() } } }))
        .await;
    assert_eq!(again.code(), "CONFLICT", "already a current member");

    let missing = app
        .graphql(admin, r#"mutation { updateGroup(input: { id: "R3JvdXA6OTk5OTk", name: "X" }) { group { id } } }"#, json!({}))
        .await;
    assert_eq!(missing.code(), "NOT_FOUND");
    let nothing = app
        .graphql(
            admin,
            r#"query($id: ID!) { node(id: $id) { id } }"#,
            json!({ "id": gid("Group", 99999) }),
        )
        .await
        .ok();
    assert_eq!(nothing["node"], json!(null));
}

#[tokio::test]
async fn errors_from_the_graphql_engine_carry_codes_too() {
    let app = TestApp::spawn().await;
    for (case, query) in [
        ("syntax", "{ groups { "),
        ("unknown field", "{ groups { edges { node { colour } } } }"),
        (
            "wrong argument type",
            "{ groups(first: \"ten\") { edges { cursor } } }",
        ),
        (
            "unknown enum value",
            "{ groups(kind: HOSPITAL) { edges { cursor } } }",
        ),
    ] {
        let response = app.graphql(None, query, json!({})).await;
        assert!(!response.errors.is_empty(), "{case}");
        for error in &response.errors {
            assert!(error["extensions"]["code"].is_string(), "{case}: {error}");
        }
    }
}
