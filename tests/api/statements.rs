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

// The key queries: the council dashboard, the district review queue and one item by
// reference, as `pyramid-bench` and the PostGraphile comparison send them.

const DASHBOARD: &str = "query($council: ID!) { items(filter: { heldAt: $council }, orderBy: RECENTLY_UPDATED, first: 50) { edges { node { reference title status originGroup { name parent { name } } provider { name } latestEvent { kind at group { name } } } } } }";
const QUEUE: &str = "query($district: ID!) { items(filter: { heldAt: $district, statuses: [AT_DISTRICT] }, first: 50) { edges { node { reference title originGroup { name } provider { name } } } } }";
const ITEM: &str = "query($ref: String!) { item(reference: $ref) { reference title events { kind at group { name } fromGroup { name } } } }";

const ESCALATE: &str =
    "mutation($input: EscalateItemInput!) { escalateItem(input: $input) { item { status } } }";

/// A small pyramid of items: twelve raised in North A (eight taken to the district, four of
/// them on to the council), six in North B (three to the district) and four in South A that
/// stay there, hidden from the North. Half name a provider from the register.
/// One caller of each kind the visibility rules tell apart, named for failure messages.
fn callers_at_every_tier(p: &Pyramid) -> [(&'static str, &crate::helpers::Person); 5] {
    [
        ("commissioner", &p.commissioner),
        ("council member", &p.council_chair),
        ("district officer", &p.district_secretary),
        ("PPG member", &p.ppg_member),
        ("member in the other district", &p.south_member),
    ]
}

async fn items_on_their_way(app: &TestApp, p: &Pyramid) -> Vec<String> {
    let provider = app
        .graphql(p.admin.token(), r#"mutation { createProvider(input: { name: "Trentvale Hospitals NHS Trust", kind: ACUTE_TRUST }) { provider { id } } }"#, json!({}))
        .await
        .ok()["createProvider"]["provider"]["id"]
        .clone();
    let mut references = Vec::new();
    let plan: [(
        &crate::helpers::Person,
        usize,
        usize,
        Option<&crate::helpers::Person>,
        usize,
    ); 3] = [
        (&p.ppg_member, 0, 12, Some(&p.ppg_chair), 8),
        (&p.north_b_chair, 1, 6, Some(&p.north_b_chair), 3),
        (&p.south_member, 2, 4, None, 0),
    ];
    let groups = [p.ppgs[0][0], p.ppgs[0][1], p.ppgs[1][0]];
    for (who, group, count, officer, escalated) in plan {
        for n in 0..count {
            let mut input = crate::items::soft_intelligence(
                groups[group].0,
                &format!("Report {group}-{n}"),
                "Something happened.",
            );
            if n % 2 == 0 {
                input["providerId"] = provider.clone();
                input["providerName"] = serde_json::Value::Null;
            }
            let raised = crate::items::raise(app, who.token(), input).await;
            references.push(raised["item"]["reference"].as_str().unwrap().to_owned());
            let id = raised["item"]["id"].clone();
            if let Some(officer) = officer
                && n < escalated
            {
                app.graphql(
                    officer.token(),
                    ESCALATE,
                    json!({ "input": { "itemId": id } }),
                )
                .await
                .ok();
                if group == 0 && n < 4 {
                    app.graphql(
                        p.district_secretary.token(),
                        ESCALATE,
                        json!({ "input": { "itemId": id } }),
                    )
                    .await
                    .ok();
                }
            }
        }
    }
    references
}

/// Each key query costs two statements at most, the token and the page with what it shows,
/// whatever the runtime's scheduling: nothing is left for a loader to batch. On PostgreSQL a
/// token the server has seen costs none (`sign_ins.rs`), so the page is all.
async fn key_queries_cost_two_statements() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let references = items_on_their_way(&app, &p).await;
    app.seen(p.commissioner.token()).await;
    app.seen(p.district_secretary.token()).await;
    let expected = 1 + app.sign_in_statements();
    let cost = async |token, query, variables| {
        let before = app.statements();
        let data = app.graphql(token, query, variables).await.ok();
        (app.statements() - before, data)
    };
    let (dashboard, page) = cost(
        p.commissioner.token(),
        DASHBOARD,
        json!({ "council": gid("Group", p.council.0) }),
    )
    .await;
    let edges = page["items"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 4);
    assert_eq!(edges[0]["node"]["originGroup"]["parent"]["name"], "North");
    assert_eq!(edges[0]["node"]["latestEvent"]["group"]["name"], "Council");
    let (queue, page) = cost(
        p.district_secretary.token(),
        QUEUE,
        json!({ "district": gid("Group", p.districts[0].0) }),
    )
    .await;
    assert_eq!(page["items"]["edges"].as_array().unwrap().len(), 4 + 3);
    let (item, found) = cost(
        p.commissioner.token(),
        ITEM,
        json!({ "ref": references[0] }),
    )
    .await;
    let events = found["item"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2]["fromGroup"]["name"], "North");
    assert_eq!(events[2]["group"]["name"], "Council");
    assert_eq!(
        (dashboard, queue, item),
        (expected, expected, expected),
        "statements for the dashboard, the queue and the item"
    );
}

#[tokio::test]
async fn each_key_query_costs_two_statements() {
    key_queries_cost_two_statements().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_key_query_costs_two_statements_on_several_threads() {
    key_queries_cost_two_statements().await;
}

/// The response lists fields in the order the query asks for them (the GraphQL spec's
/// "ordered map"), however their resolvers finish: `latestEvent` waits on a loader in the
/// general path, `provider` may not.
#[tokio::test]
async fn a_dashboard_answers_in_the_order_of_the_query() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    items_on_their_way(&app, &p).await;
    // latestEvent.actor is not read with the page, so it goes through a loader.
    let query = "query($council: ID!) { items(filter: { heldAt: $council }, orderBy: RECENTLY_UPDATED, first: 50) { edges { node { reference title status originGroup { name parent { name } } provider { name } latestEvent { kind at actor { name } group { name } } } } } }";
    let body = app
        .post_raw(
            json!({ "query": query, "variables": { "council": gid("Group", p.council.0) } })
                .to_string(),
            Some("application/json"),
            p.commissioner.token(),
        )
        .await
        .text()
        .await
        .unwrap();
    let at = |key: &str| {
        body.find(&format!("\"{key}\""))
            .unwrap_or_else(|| panic!("{key} in {body}"))
    };
    let keys = [
        "reference",
        "title",
        "status",
        "originGroup",
        "provider",
        "latestEvent",
        "kind",
        "at",
        "actor",
    ];
    let places: Vec<usize> = keys.iter().map(|k| at(k)).collect();
    assert!(
        places.windows(2).all(|w| w[0] < w[1]),
        "keys out of query order in {body}"
    );
    // And after the actor, the event's group: the last key of the first node.
    let first_node = &body[..body.find("}}},").unwrap_or(body.len())];
    assert!(
        first_node.rfind("\"group\"") > first_node.rfind("\"actor\""),
        "{first_node}"
    );
}

/// The page read with its neighbours in one statement (`services::items::related`, what the
/// key queries use) and the general path (`items::list` or `by_reference`, then each relation
/// through the loaders' service functions) give the same items and the same neighbours, for
/// callers at every tier, hidden items included.
#[tokio::test]
async fn the_one_statement_page_and_the_general_path_agree_for_every_caller() {
    use pyramid::domain::page::PageRequest;
    use pyramid::services::items::related::{self, Related};
    use pyramid::services::items::{self, ItemFilter, ItemOrder};
    use pyramid::services::{groups, providers, tokens};

    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let references = items_on_their_way(&app, &p).await;
    let all = Related {
        origin_group: true,
        origin_parent: true,
        current_group: true,
        provider: true,
        latest_event: true,
        latest_event_group: true,
        events: true,
        event_groups: true,
    };
    let filters = [
        ItemFilter::default(),
        ItemFilter {
            held_at: Some(p.council),
            ..Default::default()
        },
        ItemFilter {
            held_at: Some(p.districts[0]),
            statuses: vec![pyramid::domain::item::Status::AtDistrict],
            ..Default::default()
        },
        ItemFilter {
            group: Some(p.districts[0]),
            include_below: true,
            ..Default::default()
        },
    ];
    let callers = callers_at_every_tier(&p);
    let mut seen_by = Vec::new();
    for (who, person) in callers {
        let credential = tokens::credential(&person.token).unwrap();
        let actor = tokens::authenticate_credential(&app.db, &credential)
            .await
            .unwrap();
        let mut visible = 0;
        for filter in &filters {
            for order in [ItemOrder::Newest, ItemOrder::RecentlyUpdated] {
                for first in [3, 50] {
                    let page = PageRequest::parse(Some(first), None).unwrap();
                    let general = items::list(&app.db, &actor, filter.clone(), order, page)
                        .await
                        .unwrap();
                    let (fast, read) =
                        related::list_with(&app.db, &actor, filter.clone(), order, page, all)
                            .await
                            .unwrap();
                    assert_eq!(fast.items, general.items, "{who}: {filter:?} {order:?}");
                    assert_eq!(fast.has_next_page, general.has_next_page, "{who}");
                    let mut group_ids = Vec::new();
                    for item in &general.items {
                        group_ids.push(item.origin_group_id);
                        group_ids.push(item.current_group_id);
                    }
                    let mut wanted = groups::get_many(&app.db, &group_ids).await.unwrap();
                    let parents: Vec<_> = general
                        .items
                        .iter()
                        .filter_map(|i| wanted[&i.origin_group_id].parent_id)
                        .collect();
                    let event_ids: Vec<_> = general
                        .items
                        .iter()
                        .filter_map(|i| i.latest_event_id)
                        .collect();
                    let events = items::events_by_id(&app.db, &event_ids).await.unwrap();
                    let at: Vec<_> = events.values().map(|e| e.group_id).collect();
                    wanted.extend(groups::get_many(&app.db, &parents).await.unwrap());
                    wanted.extend(groups::get_many(&app.db, &at).await.unwrap());
                    assert_eq!(read.groups, wanted, "{who}: groups");
                    assert_eq!(read.events, events, "{who}: latest events");
                    let provider_ids: Vec<_> =
                        general.items.iter().filter_map(|i| i.provider_id).collect();
                    assert_eq!(
                        read.providers,
                        providers::get_many(&app.db, &provider_ids).await.unwrap(),
                        "{who}: providers"
                    );
                    if first == 50 && filter.held_at.is_none() && filter.group.is_none() {
                        visible = general.items.len();
                    }
                }
            }
        }
        for reference in &references {
            let general = items::by_reference(&app.db, &actor, reference).await;
            let fast = related::by_reference_with(&app.db, &actor, reference, all).await;
            match (general, fast) {
                (Ok(general), Ok((fast, read))) => {
                    assert_eq!(fast, general, "{who}: {reference}");
                    let trail = items::events_of(&app.db, &[general.id]).await.unwrap();
                    assert_eq!(read.trails, trail, "{who}: the trail of {reference}");
                }
                (Err(_), Err(_)) => {}
                (general, fast) => panic!(
                    "{who} asked for {reference}: the general path found {:?}, the page {:?}",
                    general.is_ok(),
                    fast.is_ok()
                ),
            }
        }
        seen_by.push((who, visible));
    }
    // The callers see different things, so the comparison covered hidden items.
    assert_eq!(
        seen_by,
        vec![
            ("commissioner", 22),
            ("council member", 4),
            ("district officer", 11),
            ("PPG member", 12),
            ("member in the other district", 4),
        ]
    );
}

/// The key queries' items answered directly from what their statement read
/// (`graphql/views.rs`) and the same queries answered field by field by the resolvers
/// (`PYRAMID_DIRECT_ANSWERS=false`) give the same answer, byte for byte, for callers at every
/// tier, with aliases, fragments, `__typename`, ids, cursors and relations two levels deep,
/// and with fields only the resolvers answer mixed in.
#[tokio::test]
async fn the_direct_answers_and_the_resolvers_agree_for_every_caller() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let references = items_on_their_way(&app, &p).await;
    let general = TestApp::spawn_with(app.database(), |s| s.direct_answers = false).await;
    const WIDE: &str = r#"query($first: Int!, $order: ItemOrder!) {
      items(first: $first, orderBy: $order) {
        edges { cursor node {
          __typename id reference title status raisedAt updatedAt
          heading: title
          ...Where
          provider { __typename id name }
          latestEvent { __typename kind at fromStatus toStatus group { id name kind parent { name } } fromGroup { name } }
          ... on Node { id }
        } }
        pageInfo { hasNextPage endCursor }
      }
    }
    fragment Where on Item { originGroup { __typename id kind name parent { name kind } } currentGroup { name } }"#;
    // `body` and `events` are answered by the resolvers (a list page does not read trails);
    // the rest of each item may still be answered directly.
    const MIXED: &str = r#"query($first: Int!, $order: ItemOrder!) {
      items(first: $first, orderBy: $order) { edges { node { reference body originGroup { name parent { name parent { name } } } events { kind } } } }
    }"#;
    const ONE: &str = r#"query($ref: String!) {
      item(reference: $ref) {
        __typename id reference title status
        events { __typename kind at fromStatus toStatus group { id name kind } fromGroup { name parent { name } } }
        originGroup { name parent { name } }
        latestEvent { kind group { name } }
      }
    }"#;
    let callers = callers_at_every_tier(&p);
    let mut asked = Vec::new();
    for (query, variables) in [
        (DASHBOARD, json!({ "council": gid("Group", p.council.0) })),
        (QUEUE, json!({ "district": gid("Group", p.districts[0].0) })),
        (WIDE, json!({ "first": 50, "order": "NEWEST" })),
        (WIDE, json!({ "first": 3, "order": "RECENTLY_UPDATED" })),
        (MIXED, json!({ "first": 50, "order": "OLDEST" })),
    ] {
        asked.push((query, variables));
    }
    for reference in &references {
        asked.push((ITEM, json!({ "ref": reference })));
        asked.push((ONE, json!({ "ref": reference })));
    }
    let mut items_seen = 0;
    for (who, person) in callers {
        for (query, variables) in &asked {
            let body = json!({ "query": query, "variables": variables }).to_string();
            let mut answers = Vec::new();
            for server in [&app, &general] {
                let response = server
                    .post_raw(body.clone(), Some("application/json"), person.token())
                    .await;
                answers.push(response.text().await.unwrap());
            }
            let (direct, resolved) = (&answers[0], &answers[1]);
            assert_eq!(direct, resolved, "{who} asked {query} with {variables}");
            assert!(!direct.contains("\"errors\""), "{direct}");
            items_seen += direct.matches("\"reference\"").count();
        }
    }
    assert!(items_seen > 100, "the answers held items: {items_seen}");
}
