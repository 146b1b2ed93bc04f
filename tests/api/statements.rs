//! Lists reached from lists are batched: the statements one request costs do not grow with
//! the page size.

use serde_json::json;

use crate::helpers::{Pyramid, TestApp, gid};

const PAGE: &str = r#"
query($parent: ID!, $first: Int!) {
  groups(parentId: $parent, first: $first) {
    edges { node {
      name
      parent { name parent { name } }
      ancestors { name }
      representatives { since member { name memberships { role group { name } } } group { name } }
    } }
  }
}"#;

#[tokio::test]
async fn a_page_of_groups_with_parents_and_representatives_costs_the_same_at_any_size() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let admin = p.admin.token();
    let created = app
        .graphql(
            admin,
            r#"mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }"#,
            json!({ "input": { "kind": "DISTRICT", "name": "East", "parentId": gid("Group", p.council.0) } }),
        )
        .await
        .ok();
    let district = created["createGroup"]["group"]["id"].clone();
    // 24 PPGs in the district, each with a representative.
    for n in 0..24 {
        let created = app
            .graphql(
                admin,
                r#"mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }"#,
                json!({ "input": { "kind": "PPG", "name": format!("PPG {n}"), "parentId": district, "practiceCode": format!("C{n:05}") } }),
            )
            .await
            .ok();
        let ppg = created["createGroup"]["group"]["id"].clone();
        let added = app
            .graphql(
                admin,
                r#"mutation($input: AddMemberInput!) { addMember(input: $input) { membership { member { id } } } }"#,
                json!({ "input": { "groupId": ppg, "member": { "new": { "name": format!("Rep {n}") } } } }),
            )
            .await
            .ok();
        let member = added["addMember"]["membership"]["member"]["id"].clone();
        app.graphql(
            admin,
            r#"mutation($input: NominateRepresentativeInput!) { nominateRepresentative(input: $input) { nomination { id } } }"#,
            json!({ "input": { "groupId": ppg, "memberId": member } }),
        )
        .await
        .ok();
    }

    let mut costs = Vec::new();
    for first in [2, 24] {
        let before = app.statements();
        let page = app
            .graphql(admin, PAGE, json!({ "parent": district, "first": first }))
            .await
            .ok();
        costs.push(app.statements() - before);
        let edges = page["groups"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first as usize);
        let last = &edges[first as usize - 1]["node"];
        assert_eq!(last["parent"]["parent"]["name"], "Council");
        let n = first - 1;
        assert_eq!(last["name"], format!("PPG {n}"));
        assert_eq!(
            last["representatives"][0]["member"]["name"],
            format!("Rep {n}")
        );
        assert_eq!(last["representatives"][0]["group"]["name"], "East");
    }
    // The token and the page, then at most one statement per relation the query follows:
    // parent, parent.parent (ancestors ride along), representatives, representatives.group,
    // representatives.member, member.memberships, memberships.group. Loads of one loader
    // from different relations may share a statement when they are ready together, so a
    // request can cost less, never more; an N+1 would cost 24 more. (On the tests'
    // single-threaded runtime; see BENCHMARKS.md for batches splitting under load.)
    const BOUND: u64 = 9;
    assert!(
        costs.iter().all(|c| *c <= BOUND),
        "statements for 2 rows vs 24 rows: {costs:?}"
    );
}
