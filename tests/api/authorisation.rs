//! Who may do what: each role, allowed and denied.

use serde_json::json;

use crate::helpers::{Pyramid, TestApp, gid};

const ADD_MEMBER: &str = r#"
mutation($input: AddMemberInput!) {
  addMember(input: $input) { membership { role group { name } member { name email } } }
}"#;

fn new_member(group: i64, name: &str) -> serde_json::Value {
    json!({ "input": { "groupId": gid("Group", group), "member": { "new": { "name": name, "email": format!("{name}@new.example") } } } })
}

#[tokio::test]
async fn anonymous_callers_see_the_structure_and_nothing_else() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let structure = app
        .graphql(
            None,
            "{ groups(kind: DISTRICT) { edges { node { name parent { name } } } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(structure["groups"]["edges"].as_array().unwrap().len(), 2);

    let people = app
        .graphql(None, r#"query($id: ID!) { node(id: $id) { ... on Group { members { edges { node { id } } } } } }"#, json!({ "id": gid("Group", p.ppgs[0][0].0) }))
        .await;
    assert_eq!(people.code(), "UNAUTHENTICATED");
    let members = app
        .graphql(None, "{ members { edges { node { name } } } }", json!({}))
        .await;
    assert_eq!(members.code(), "UNAUTHENTICATED");
    let me = app.graphql(None, "{ me { name } }", json!({})).await.ok();
    assert_eq!(me["me"], json!(null));
    let create = app
        .graphql(
            None,
            "mutation { createGroup(input: { kind: COUNCIL, name: \"X\" }) { group { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(create.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn only_administrators_change_the_structure() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let create =
        r#"mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { name } } }"#;
    let input = json!({ "input": { "kind": "DISTRICT", "name": "East", "parentId": gid("Group", p.council.0) } });
    for (who, token) in [
        ("PPG member", p.ppg_member.token()),
        ("district secretary", p.district_secretary.token()),
        ("commissioner", p.commissioner.token()),
    ] {
        let response = app.graphql(token, create, input.clone()).await;
        assert_eq!(response.code(), "FORBIDDEN", "{who}");
    }
    app.graphql(p.admin.token(), create, input).await.ok();

    let provider = r#"mutation { createProvider(input: { name: "Hospital", kind: ACUTE_TRUST }) { provider { name } } }"#;
    assert_eq!(
        app.graphql(p.ppg_member.token(), provider, json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );
    app.graphql(p.admin.token(), provider, json!({})).await.ok();
}

#[tokio::test]
async fn a_district_secretary_manages_their_district_and_its_ppgs_only() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let secretary = p.district_secretary.token();

    let own_ppg = app
        .graphql(secretary, ADD_MEMBER, new_member(p.ppgs[0][1].0, "Ann"))
        .await
        .ok();
    assert_eq!(
        own_ppg["addMember"]["membership"]["group"]["name"],
        "North B"
    );
    assert_eq!(own_ppg["addMember"]["membership"]["role"], "MEMBER");
    app.graphql(secretary, ADD_MEMBER, new_member(p.districts[0].0, "Bob"))
        .await
        .ok();

    for (target, group) in [
        ("another district's PPG", p.ppgs[1][0]),
        ("another district", p.districts[1]),
        ("the council", p.council),
    ] {
        let response = app
            .graphql(secretary, ADD_MEMBER, new_member(group.0, "Cat"))
            .await;
        assert_eq!(response.code(), "FORBIDDEN", "{target}");
    }
}

#[tokio::test]
async fn ppg_members_and_commissioners_do_not_manage_memberships() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    for (who, token) in [
        ("PPG member", p.ppg_member.token()),
        ("commissioner", p.commissioner.token()),
    ] {
        let response = app
            .graphql(token, ADD_MEMBER, new_member(p.ppgs[0][0].0, "Dan"))
            .await;
        assert_eq!(response.code(), "FORBIDDEN", "{who}");
    }
    // The PPG's own chair may.
    app.graphql(
        p.ppg_chair.token(),
        ADD_MEMBER,
        new_member(p.ppgs[0][0].0, "Eve"),
    )
    .await
    .ok();
}

#[tokio::test]
async fn e_mail_addresses_are_seen_by_their_owner_and_administrators_only() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let query = r#"query($id: ID!) { node(id: $id) { ... on Member { name email } } }"#;
    let id = json!({ "id": p.ppg_member.gid() });
    let own = app
        .graphql(p.ppg_member.token(), query, id.clone())
        .await
        .ok();
    assert_eq!(own["node"]["email"], "pat.member@test.example");
    let admin = app.graphql(p.admin.token(), query, id.clone()).await.ok();
    assert_eq!(admin["node"]["email"], "pat.member@test.example");
    let other = app.graphql(p.other_member.token(), query, id).await.ok();
    assert_eq!(other["node"]["name"], "Pat Member");
    assert_eq!(other["node"]["email"], json!(null));
}

#[tokio::test]
async fn tokens_are_checked_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let me = "{ me { name } }";
    assert_eq!(
        app.graphql(p.ppg_member.token(), me, json!({})).await.ok()["me"]["name"],
        "Pat Member"
    );
    for bad in ["pyr_not-a-real-token", "nonsense"] {
        let response = app.graphql(Some(bad), me, json!({})).await;
        assert_eq!(response.code(), "UNAUTHENTICATED", "{bad}");
    }

    let created = app
        .graphql(p.ppg_member.token(), r#"mutation { createApiToken(input: { label: "laptop" }) { secret token { id label } } }"#, json!({}))
        .await
        .ok();
    let secret = created["createApiToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let token_id = created["createApiToken"]["token"]["id"].clone();
    assert_eq!(
        app.graphql(Some(&secret), me, json!({})).await.ok()["me"]["name"],
        "Pat Member"
    );

    // Someone else cannot revoke it (and cannot tell it exists); its owner can.
    let revoke = r#"mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) { token { revokedAt } } }"#;
    let input = json!({ "input": { "id": token_id } });
    assert_eq!(
        app.graphql(p.other_member.token(), revoke, input.clone())
            .await
            .code(),
        "NOT_FOUND"
    );
    let revoked = app.graphql(p.ppg_member.token(), revoke, input).await.ok();
    assert!(revoked["revokeApiToken"]["token"]["revokedAt"].is_string());
    assert_eq!(
        app.graphql(Some(&secret), me, json!({})).await.code(),
        "UNAUTHENTICATED"
    );

    // Only the hash is stored.
    use pyramid::entities::api_token;
    use sea_orm::EntityTrait;
    let stored = api_token::Entity::find().all(&app.db).await.unwrap();
    assert!(stored.iter().all(|t| !t.token_hash.contains(&secret[4..])));
}
