//! Cursor connections: paging through, the page size cap, and cursors that are not ours.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{Pyramid, TestApp, gid};

const PAGE: &str = r#"
query($parent: ID!, $first: Int, $after: String) {
  groups(parentId: $parent, first: $first, after: $after) {
    edges { cursor node { name } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

#[tokio::test]
async fn pages_follow_each_other_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let district = gid("Group", p.districts[0].0);
    for n in 3..=7 {
        app.graphql(
            p.admin.token(),
            r#"mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }"#,
            json!({ "input": { "kind": "PPG", "name": format!("North {n}"), "parentId": district, "practiceCode": format!("B0000{n}") } }),
        )
        .await
        .ok();
    }
    // The district now has 7 PPGs: pages of 3, 3 and 1.
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    let mut pages = 0;
    loop {
        let page = app
            .graphql(
                None,
                PAGE,
                json!({ "parent": district, "first": 3, "after": after }),
            )
            .await
            .ok();
        let connection = &page["groups"];
        for edge in connection["edges"].as_array().unwrap() {
            seen.push(edge["node"]["name"].as_str().unwrap().to_owned());
        }
        pages += 1;
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
        assert!(pages < 5, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        7,
        "no repeats: {seen:?}"
    );
    assert_eq!(seen[0], "North A");
}

#[tokio::test]
async fn a_page_holds_at_most_one_hundred() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let district = gid("Group", p.districts[0].0);
    let too_many = app
        .graphql(None, PAGE, json!({ "parent": district, "first": 101 }))
        .await;
    assert_eq!(
        (too_many.code(), too_many.field()),
        ("BAD_USER_INPUT", "first")
    );
    assert!(too_many.message().contains("100"));
    let negative = app
        .graphql(None, PAGE, json!({ "parent": district, "first": -1 }))
        .await;
    assert_eq!(
        (negative.code(), negative.field()),
        ("BAD_USER_INPUT", "first")
    );
    app.graphql(None, PAGE, json!({ "parent": district, "first": 100 }))
        .await
        .ok();
}

#[tokio::test]
async fn a_cursor_that_is_not_ours_is_bad_input() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let response = app
        .graphql(
            None,
            PAGE,
            json!({ "parent": gid("Group", p.districts[0].0), "after": "not-a-cursor" }),
        )
        .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "after")
    );
}
