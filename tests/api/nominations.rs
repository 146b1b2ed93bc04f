//! Nominations: a PPG's representative on its district, a district's on the council, with
//! history.

use serde_json::{Value, json};

use crate::helpers::{Pyramid, TestApp, gid};

const NOMINATE: &str = r#"
mutation($input: NominateRepresentativeInput!) {
  nominateRepresentative(input: $input) {
    nomination { id role current since until member { name } group { name } represents { name } }
  }
}"#;

const END: &str = r#"
mutation($input: EndNominationInput!) {
  endNomination(input: $input) { nomination { current until } }
}"#;

const REPRESENTATIVES: &str = r#"
query($id: ID!) { node(id: $id) { ... on Group {
  representatives { member { name } group { name } }
  nominations(includeEnded: true) { edges { node { member { name } current until } } }
} } }"#;

fn nominate(group: i64, member: &str) -> Value {
    json!({ "input": { "groupId": gid("Group", group), "memberId": member } })
}

#[tokio::test]
async fn a_ppg_nominates_its_representative_and_the_history_is_kept() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let secretary = p.district_secretary.token();
    let ppg = p.ppgs[0][0].0;

    let made = app
        .graphql(secretary, NOMINATE, nominate(ppg, &p.ppg_member.gid()))
        .await
        .ok();
    let nomination = &made["nominateRepresentative"]["nomination"];
    assert_eq!(nomination["role"], "REPRESENTATIVE");
    assert_eq!(
        nomination["group"]["name"], "North",
        "the representative sits on the district"
    );
    assert_eq!(nomination["represents"]["name"], "North A");
    assert_eq!(nomination["member"]["name"], "Pat Member");
    let nomination_id = nomination["id"].clone();

    let seen = app
        .graphql(
            secretary,
            REPRESENTATIVES,
            json!({ "id": gid("Group", ppg) }),
        )
        .await
        .ok();
    assert_eq!(
        seen["node"]["representatives"],
        json!([{ "member": { "name": "Pat Member" }, "group": { "name": "North" } }])
    );

    // One representative per PPG at a time.
    let second = app
        .graphql(secretary, NOMINATE, nominate(ppg, &p.other_member.gid()))
        .await;
    assert_eq!(second.code(), "CONFLICT");

    let ended = app
        .graphql(
            secretary,
            END,
            json!({ "input": { "nominationId": nomination_id, "until": "2030-01-31" } }),
        )
        .await
        .ok();
    assert_eq!(
        ended["endNomination"]["nomination"],
        json!({ "current": false, "until": "2030-01-31" })
    );
    let again = app
        .graphql(
            secretary,
            END,
            json!({ "input": { "nominationId": nomination_id } }),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT", "a nomination ends once");

    app.graphql(secretary, NOMINATE, nominate(ppg, &p.other_member.gid()))
        .await
        .ok();
    let seen = app
        .graphql(
            secretary,
            REPRESENTATIVES,
            json!({ "id": gid("Group", ppg) }),
        )
        .await
        .ok();
    assert_eq!(
        seen["node"]["representatives"][0]["member"]["name"],
        "Sam Member"
    );
    assert_eq!(
        seen["node"]["nominations"]["edges"],
        json!([
            { "node": { "member": { "name": "Pat Member" }, "current": false, "until": "2030-01-31" } },
            { "node": { "member": { "name": "Sam Member" }, "current": true, "until": null } },
        ]),
        "ending a nomination keeps the record"
    );
}

#[tokio::test]
async fn only_members_of_the_group_can_represent_it() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    // The district secretary is not a member of the PPG.
    let response = app
        .graphql(
            p.admin.token(),
            NOMINATE,
            nominate(p.ppgs[0][0].0, &p.district_secretary.gid()),
        )
        .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "memberId")
    );
}

#[tokio::test]
async fn districts_send_representatives_to_the_council_and_the_council_sends_none() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let admin = p.admin.token();
    let made = app
        .graphql(
            admin,
            NOMINATE,
            nominate(p.districts[0].0, &p.district_secretary.gid()),
        )
        .await
        .ok();
    assert_eq!(
        made["nominateRepresentative"]["nomination"]["group"]["name"],
        "Council"
    );

    let top = app
        .graphql(admin, NOMINATE, nominate(p.council.0, &p.admin.gid()))
        .await;
    assert_eq!((top.code(), top.field()), ("BAD_USER_INPUT", "groupId"));
}

#[tokio::test]
async fn leaving_a_ppg_ends_the_nomination_that_represents_it() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let admin = p.admin.token();
    app.graphql(
        admin,
        NOMINATE,
        nominate(p.ppgs[0][0].0, &p.ppg_member.gid()),
    )
    .await
    .ok();

    let memberships = app
        .graphql(admin, r#"query($id: ID!) { node(id: $id) { ... on Member { memberships { id group { name } } } } }"#, json!({ "id": p.ppg_member.gid() }))
        .await
        .ok();
    let ppg_membership = memberships["node"]["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["group"]["name"] == "North A")
        .unwrap()["id"]
        .clone();
    app.graphql(
        admin,
        r#"mutation($input: EndMembershipInput!) { endMembership(input: $input) { membership { current } } }"#,
        json!({ "input": { "membershipId": ppg_membership } }),
    )
    .await
    .ok();
    let seen = app
        .graphql(
            admin,
            REPRESENTATIVES,
            json!({ "id": gid("Group", p.ppgs[0][0].0) }),
        )
        .await
        .ok();
    assert_eq!(seen["node"]["representatives"], json!([]));
    assert_eq!(
        seen["node"]["nominations"]["edges"][0]["node"]["current"],
        false
    );
}
