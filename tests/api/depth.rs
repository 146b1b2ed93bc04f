//! How deep a query may go: introspection as GraphiQL and code generators send it passes; deep
//! queries of the data, and deep introspection, are refused.

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// graphql-js's `getIntrospectionQuery()`, the query GraphiQL, Apollo and codegen send.
const INTROSPECTION_QUERY: &str = include_str!("introspection_query.graphql");

/// `field { field { … leaf } }`, `field` repeated `times`.
fn nested(field: &str, times: usize, leaf: &str) -> String {
    let mut selection = String::new();
    for _ in 0..times {
        selection.push_str(field);
        selection.push_str(" { ");
    }
    selection.push_str(leaf);
    selection.push_str(&" }".repeat(times));
    selection
}

#[tokio::test]
async fn the_standard_introspection_query_is_answered() {
    let app = TestApp::spawn().await;
    let data = app.graphql(None, INTROSPECTION_QUERY, json!({})).await.ok();
    let schema = &data["__schema"];
    assert_eq!(schema["queryType"]["name"], "QueryRoot");
    let types: Vec<&str> = schema["types"]
        .as_array()
        .expect("a list of types")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in ["Item", "Group", "Member", "QueryRoot", "MutationRoot"] {
        assert!(types.contains(&name), "{name} missing from {types:?}");
    }
    let group = schema["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Group")
        .unwrap();
    assert!(
        group["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "children"),
        "Group has its fields"
    );
}

#[tokio::test]
async fn a_query_of_twelve_levels_is_answered() {
    let app = TestApp::spawn().await;
    // groups edges node parent parent children edges node parent children pageInfo hasNextPage:
    // twelve; `__typename` below the twelfth level is introspection and not counted. (Small
    // pages, so that the complexity limit, which counts page sizes, is not what answers.)
    let query = "{ groups(first: 2) { edges { node { parent { parent { children(first: 2) { edges { node { parent \
                 { children(first: 2) { pageInfo { hasNextPage } edges { node { __typename } } } } } } } } } } } } }";
    app.graphql(None, query, json!({})).await.ok();
}

#[tokio::test]
async fn a_query_nested_deeper_than_twelve_levels_is_refused() {
    let app = TestApp::spawn().await;
    let deep = "{ groups { edges { node { parent { parent { children { edges { node { parent \
                { children { edges { node { name } } } } } } } } } } } } }";
    let refused = app.graphql(None, deep, json!({})).await;
    assert_eq!(refused.code(), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(
        refused.message(),
        "Query is nested too deep: at most 12 levels."
    );
    assert_eq!(refused.data, Value::Null);

    // The same depth through fragments, with introspection beside it: refused just the same.
    let fragments = "{ __schema { queryType { name } } groups { edges { node { ...Up } } } }
        fragment Up on Group { parent { parent { ...Down } } }
        fragment Down on Group { children { edges { node { parent { ... on Group { children {
            edges { node { name } } } } } } } } }";
    let refused = app.graphql(None, fragments, json!({})).await;
    assert_eq!(refused.code(), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(
        refused.message(),
        "Query is nested too deep: at most 12 levels."
    );
}

#[tokio::test]
async fn deep_introspection_is_refused() {
    let app = TestApp::spawn().await;
    // The standard query's deepest path is `__schema types fields args type`, nine `ofType`
    // and a name: fifteen levels. One more is refused.
    let type_ref = |of_types: usize| {
        let of_type = nested("ofType", of_types, "name");
        format!("{{ __schema {{ types {{ fields {{ args {{ type {{ {of_type} }} }} }} }} }} }}")
    };
    app.graphql(None, &type_ref(9), json!({})).await.ok();
    let refused = app.graphql(None, &type_ref(10), json!({})).await;
    assert_eq!(refused.code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(refused.message().contains("nested too deep"), "{refused:?}");

    // Thirty levels of introspection, the kind of query sent to make a server work hard.
    let of_type = nested("ofType", 26, "name");
    let abuse = format!("{{ __schema {{ types {{ fields {{ type {{ {of_type} }} }} }} }} }}");
    let refused = app.graphql(None, &abuse, json!({})).await;
    assert_eq!(refused.code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(refused.message().contains("nested too deep"), "{refused:?}");
}
