//! Trust, tried the way an information-governance lead would: free text never stored with
//! identifiers in it, linking that cannot move or disclose an item, safety concerns seen by
//! every tier, each role acting only where the pyramid says, areas that cannot see each
//! other, "sign in" instead of "nothing there", revoked tokens and ended memberships taking
//! effect on a live feed, idempotency keys that cannot swallow a different report, and the
//! submitter's name shown only where they agreed.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pyramid::domain::authz::{Actor, OrgRole};
use pyramid::domain::group::GroupKind;
use pyramid::domain::member::Role;
use pyramid::services::{groups, members};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Person, Pyramid, TestApp, gid};
use crate::items::{RAISE, raise, soft_intelligence};

const ESCALATE: &str = r#"mutation($id: ID!, $note: String, $links: [ID!]! = []) {
  escalateItem(input: { itemId: $id, note: $note, linkItemIds: $links }) { item { status currentGroup { name } } }
}"#;
const LINK: &str = r#"mutation($lead: ID!, $others: [ID!]!) {
  linkItems(input: { leadItemId: $lead, itemIds: $others }) { item { reference } }
}"#;
const SEES: &str =
    r#"query($r: String!) { item(reference: $r) { reference currentGroup { name } } }"#;

async fn raise_in(app: &TestApp, person: &Person, group: i64, title: &str) -> Value {
    raise(
        app,
        person.token(),
        soft_intelligence(group, title, "What happened."),
    )
    .await
}

async fn sees(app: &TestApp, person: &Person, item: &Value) -> bool {
    let found = app
        .graphql(
            person.token(),
            SEES,
            json!({ "r": item["item"]["reference"] }),
        )
        .await
        .ok();
    found["item"].is_object()
}

async fn escalate(app: &TestApp, person: &Person, item: &Value) {
    app.graphql(
        person.token(),
        ESCALATE,
        json!({ "id": item["item"]["id"] }),
    )
    .await
    .ok();
}

/// A member added to a group as `role`, with a token.
async fn person(app: &TestApp, name: &str, group: pyramid::domain::GroupId, role: Role) -> Person {
    let membership = members::add_member(
        &app.db,
        &Actor::System,
        members::AddMember {
            group_id: group,
            member: members::MemberRef::New {
                name: name.into(),
                email: Some(format!("{}@trust.example", name.replace(' ', "."))),
            },
            role,
            since: None,
        },
    )
    .await
    .unwrap();
    Person {
        id: membership.member_id,
        token: app.token_for(membership.member_id).await,
    }
}

#[tokio::test]
async fn every_free_text_field_is_stored_redacted() {
    use pyramid::entities::{api_token, audit_event, item_tag, meeting, newsletter};
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let secretary = p.district_secretary.token();
    let district = gid("Group", p.districts[0].0);
    let today = chrono::Utc::now().date_naive();
    // A meeting title and an agenda line.
    app.graphql(
        secretary,
        r#"mutation($g: ID!, $d: Date!) { scheduleMeeting(input: { groupId: $g, heldOn: $d, title: "Call 07700 900123 to attend", otherBusiness: ["Speaker: jo@example.org"] }) { meeting { id } } }"#,
        json!({ "g": district, "d": today.to_string() }),
    )
    .await
    .ok();
    // A newsletter title.
    let compiled = app
        .graphql(
            secretary,
            r#"mutation($g: ID!, $s: Date!, $e: Date!) { compileNewsletter(input: { groupId: $g, periodStart: $s, periodEnd: $e }) { newsletter { id } } }"#,
            json!({ "g": district, "s": today.to_string(), "e": today.to_string() }),
        )
        .await
        .ok();
    let id = compiled["compileNewsletter"]["newsletter"]["id"].clone();
    app.graphql(
        secretary,
        r#"mutation($id: ID!) { updateNewsletter(input: { id: $id, title: "Newsletter for NHS 943 476 5919" }) { newsletter { title } } }"#,
        json!({ "id": id }),
    )
    .await
    .ok();
    // A token label, which is also copied into the audit trail.
    app.graphql(
        p.ppg_member.token(),
        r#"mutation($m: ID!) { createApiToken(input: { memberId: $m, label: "laptop, ring 07700 900123" }) { token { label } } }"#,
        json!({ "m": p.ppg_member.gid() }),
    )
    .await
    .ok();
    // A tag cannot hold identifiers at all.
    let mut input = soft_intelligence(p.ppgs[0][0].0, "Parking", "No spaces.");
    input["tags"] = json!(["call 07700 900123"]);
    let refused = app
        .graphql(p.ppg_member.token(), RAISE, json!({ "input": input }))
        .await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "tags")
    );
    assert_eq!(
        item_tag::Entity::find().all(&app.db).await.unwrap().len(),
        0
    );

    let mut stored = String::new();
    for m in meeting::Entity::find().all(&app.db).await.unwrap() {
        stored.push_str(&format!("{} {}\n", m.title.as_str(), m.agenda));
    }
    for n in newsletter::Entity::find().all(&app.db).await.unwrap() {
        stored.push_str(&format!("{}\n", n.title.as_str()));
    }
    for t in api_token::Entity::find().all(&app.db).await.unwrap() {
        stored.push_str(&format!("{}\n", t.label.as_str()));
    }
    for a in audit_event::Entity::find().all(&app.db).await.unwrap() {
        stored.push_str(&format!("{}\n", a.details));
    }
    for personal in ["07700", "900123", "943 476 5919", "jo@example.org"] {
        assert!(
            !stored.contains(personal),
            "{personal} stored in:\n{stored}"
        );
    }
    for marker in [
        "[phone number removed]",
        "[NHS number removed]",
        "[email address removed]",
    ] {
        assert!(stored.contains(marker), "{marker} missing in:\n{stored}");
    }
}

#[tokio::test]
async fn linking_never_moves_an_item_down_or_sideways_and_never_discloses_it() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    // The chair of North A also sits on the district as its representative.
    p.nominate(&app, p.ppgs[0][0], &p.ppg_chair).await;
    // North B's item reached the district; North A's is still at North A.
    let at_district = raise_in(&app, &p.north_b_chair, p.ppgs[0][1].0, "North B call-backs").await;
    escalate(&app, &p.north_b_chair, &at_district).await;
    let at_ppg = raise_in(&app, &p.ppg_member, p.ppgs[0][0].0, "North A call-backs").await;
    assert!(
        sees(&app, &p.ppg_chair, &at_district).await,
        "the chair sits on the district"
    );

    // 1. Linking the district's item to North A's item would move it down into North A, where
    //    every North A member could read it: refused, and nothing moved.
    let down = app
        .graphql(
            p.ppg_chair.token(),
            LINK,
            json!({ "lead": at_ppg["item"]["id"], "others": [at_district["item"]["id"]] }),
        )
        .await;
    assert_eq!(down.code(), "CONFLICT", "{:?}", down.errors);
    assert!(down.message().contains("not below"), "{}", down.message());
    assert!(!sees(&app, &p.ppg_member, &at_district).await);
    let where_now = app
        .graphql(
            p.district_secretary.token(),
            SEES,
            json!({ "r": at_district["item"]["reference"] }),
        )
        .await
        .ok();
    assert_eq!(where_now["item"]["currentGroup"]["name"], "North");

    // 2. Sideways, across districts: a commissioner cannot link South's item to North's.
    let south = raise_in(&app, &p.south_member, p.ppgs[1][0].0, "South call-backs").await;
    let south_rep = person(&app, "South Chair", p.ppgs[1][0], Role::Chair).await;
    escalate(&app, &south_rep, &south).await;
    let sideways = app
        .graphql(
            p.commissioner.token(),
            LINK,
            json!({ "lead": at_district["item"]["id"], "others": [south["item"]["id"]] }),
        )
        .await;
    assert!(
        ["CONFLICT", "FORBIDDEN"].contains(&sideways.code()),
        "{:?}",
        sideways.errors
    );
    assert!(
        !sees(&app, &p.district_secretary, &south).await,
        "South's item stays South's"
    );

    // 3. Up its own path: someone who runs both the district and North A takes North A's item
    //    up to join the district's, as escalating it would; it reaches the district and
    //    nobody beyond.
    let both = person(&app, "Dee Both", p.districts[0], Role::Secretary).await;
    members::add_member(
        &app.db,
        &Actor::System,
        members::AddMember {
            group_id: p.ppgs[0][0],
            member: members::MemberRef::Existing(both.id),
            role: Role::Chair,
            since: None,
        },
    )
    .await
    .unwrap();
    let up = app
        .graphql(
            both.token(),
            LINK,
            json!({ "lead": at_district["item"]["id"], "others": [at_ppg["item"]["id"]] }),
        )
        .await;
    assert!(up.errors.is_empty(), "{:?}", up.errors);
    assert!(sees(&app, &p.district_secretary, &at_ppg).await);
    assert!(!sees(&app, &p.council_chair, &at_ppg).await);
    assert!(!sees(&app, &p.south_member, &at_ppg).await);
}

#[tokio::test]
async fn a_safety_concern_is_seen_by_every_tier_above_its_ppg_at_once() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut input = soft_intelligence(p.ppgs[0][0].0, "Wrong tablets", "Given the wrong dose.");
    input["safetyConcern"] = json!(true);
    let raised = raise(&app, p.ppg_member.token(), input).await;
    assert_eq!(raised["item"]["status"], "REFERRED");
    for person in [&p.district_secretary, &p.council_chair, &p.commissioner] {
        assert!(sees(&app, person, &raised).await);
        let listed = app
            .graphql(
                person.token(),
                "{ items(filter: { safetyConcern: true }) { edges { node { reference hoursWaiting } } } }",
                json!({}),
            )
            .await
            .ok();
        let edges = listed["items"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1, "{listed}");
        assert_eq!(edges[0]["node"]["reference"], raised["item"]["reference"]);
    }
    // Not the other district, and not anyone outside the pyramid.
    assert!(!sees(&app, &p.south_member, &raised).await);
    // Only the quality team answers it; the tiers watch.
    let answer = json!({ "id": raised["item"]["id"] });
    let by_council = app
        .graphql(
            p.council_chair.token(),
            r#"mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: "Done.", outcome: NO_ACTION }) { item { status } } }"#,
            answer,
        )
        .await;
    assert_eq!(by_council.code(), "FORBIDDEN");
}

#[tokio::test]
async fn each_role_acts_only_where_the_pyramid_says_and_is_told_the_rule_that_applies() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let item = raise_in(&app, &p.ppg_member, p.ppgs[0][0].0, "Long waits").await;
    let id = item["item"]["id"].clone();
    let act = |person: &Person, mutation: &'static str| {
        let (app, id, token) = (&app, id.clone(), person.token.clone());
        async move {
            app.graphql(Some(&token), mutation, json!({ "id": id }))
                .await
        }
    };
    const UP: &str =
        r#"mutation($id: ID!) { escalateItem(input: { itemId: $id }) { item { status } } }"#;
    const ANSWER: &str = r#"mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: "x", outcome: NO_ACTION }) { item { status } } }"#;
    const CLOSE: &str =
        r#"mutation($id: ID!) { closeItem(input: { itemId: $id }) { item { status } } }"#;

    // At the PPG: neither the commissioners nor the area's administrators move it.
    for mutation in [UP, ANSWER, CLOSE] {
        assert_eq!(act(&p.commissioner, mutation).await.code(), "FORBIDDEN");
        assert_eq!(
            act(&p.admin, mutation).await.code(),
            "NOT_FOUND",
            "admins do not read items"
        );
    }
    let refused = act(&p.ppg_member, UP).await;
    assert_eq!(
        refused.message(),
        "Only the PPG's representative, secretary or chair can take its items to the district."
    );
    assert!(act(&p.ppg_chair, UP).await.errors.is_empty());
    // At the district: still not the commissioners'.
    for mutation in [UP, ANSWER, CLOSE] {
        assert_eq!(act(&p.commissioner, mutation).await.code(), "FORBIDDEN");
    }
    assert!(act(&p.district_secretary, UP).await.errors.is_empty());
    // At the council, a representative is told that only officers refer.
    let rep = person(&app, "Council Rep", p.districts[0], Role::Member).await;
    p.nominate(&app, p.districts[0], &rep).await;
    let by_rep = act(&rep, UP).await;
    assert_eq!(by_rep.code(), "FORBIDDEN");
    assert_eq!(
        by_rep.message(),
        "At the Patients' Council only the secretary or chair can refer items to the commissioners."
    );
    assert!(act(&p.council_chair, UP).await.errors.is_empty());
    // Referred: now it is the quality team's, and only theirs.
    assert_eq!(act(&p.council_chair, ANSWER).await.code(), "FORBIDDEN");
    assert!(act(&p.commissioner, ANSWER).await.errors.is_empty());
}

#[tokio::test]
async fn two_areas_in_one_instance_cannot_see_each_other() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    // A second area, set up by the operator, with its own district, PPG, people and roles.
    let council = groups::create(
        &app.db,
        &Actor::System,
        groups::NewGroup {
            kind: GroupKind::Council,
            name: "Shropshire Patients' Council".into(),
            parent_id: None,
            practice_code: None,
        },
    )
    .await
    .unwrap();
    let district = groups::create(
        &app.db,
        &Actor::System,
        groups::NewGroup {
            kind: GroupKind::District,
            name: "Telford".into(),
            parent_id: Some(council.id),
            practice_code: None,
        },
    )
    .await
    .unwrap();
    let ppg = groups::create(
        &app.db,
        &Actor::System,
        groups::NewGroup {
            kind: GroupKind::Ppg,
            name: "Wellington PPG".into(),
            parent_id: Some(district.id),
            practice_code: Some("M00001".into()),
        },
    )
    .await
    .unwrap();
    let member = person(&app, "Wyn Member", ppg.id, Role::Member).await;
    let their_commissioner = person(&app, "Telford Quality", council.id, Role::Staff).await;
    members::grant_area_role(
        &app.db,
        &Actor::System,
        their_commissioner.id,
        council.id,
        OrgRole::Commissioner,
    )
    .await
    .unwrap();
    let theirs = raise_in(&app, &member, ppg.id.0, "Telford waits").await;
    let ours = raise_in(&app, &p.ppg_member, p.ppgs[0][0].0, "North waits").await;

    // Each area's commissioners see their own area's items and nothing of the other's.
    assert!(sees(&app, &p.commissioner, &ours).await);
    assert!(!sees(&app, &p.commissioner, &theirs).await);
    assert!(sees(&app, &their_commissioner, &theirs).await);
    assert!(!sees(&app, &their_commissioner, &ours).await);
    let listed = app
        .graphql(
            p.commissioner.token(),
            "{ items(first: 100) { edges { node { reference } } } }",
            json!({}),
        )
        .await
        .ok();
    assert!(
        !listed
            .to_string()
            .contains(theirs["item"]["reference"].as_str().unwrap())
    );
    // Nor may one area's commissioner answer, or its administrator set up, the other's.
    let refer = |item: &Value| json!({ "id": item["item"]["id"] });
    let answer = app
        .graphql(
            p.commissioner.token(),
            r#"mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: "x", outcome: NO_ACTION }) { item { status } } }"#,
            refer(&theirs),
        )
        .await;
    assert_eq!(answer.code(), "NOT_FOUND");
    let foreign = app
        .graphql(
            p.admin.token(),
            r#"mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }"#,
            json!({ "input": { "kind": "PPG", "name": "Planted", "parentId": gid("Group", district.id.0), "practiceCode": "M00002" } }),
        )
        .await;
    assert_eq!(foreign.code(), "FORBIDDEN");
    // And people: the member list and e-mail addresses stay within an area.
    let people = app
        .graphql(
            p.admin.token(),
            "{ members(first: 100) { edges { node { name email } } } }",
            json!({}),
        )
        .await
        .ok();
    let people = people.to_string();
    assert!(!people.contains("Wyn Member"), "{people}");
    assert!(
        people.contains("pat.member@test.example"),
        "the admin's own area: {people}"
    );
}

#[tokio::test]
async fn a_channel_linked_to_one_group_cannot_be_taken_over_by_another_groups_officer() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    const LINK_CHANNEL: &str = r#"mutation($g: ID!, $c: String!) { linkChatChannel(input: { groupId: $g, channelId: $c }) { group { name } } }"#;
    app.graphql(
        p.north_b_chair.token(),
        LINK_CHANNEL,
        json!({ "g": gid("Group", p.ppgs[0][1].0), "c": "5005" }),
    )
    .await
    .ok();
    let takeover = app
        .graphql(
            p.ppg_chair.token(),
            LINK_CHANNEL,
            json!({ "g": gid("Group", p.ppgs[0][0].0), "c": "5005" }),
        )
        .await;
    assert_eq!(takeover.code(), "FORBIDDEN");
    assert!(
        takeover.message().contains("North B"),
        "{}",
        takeover.message()
    );
    let holder = pyramid::services::chat::group_of_channel(
        &app.db,
        pyramid::services::chat::DISCORD,
        "5005",
    )
    .await
    .unwrap();
    assert_eq!(
        holder,
        Some(p.ppgs[0][1]),
        "the channel stayed with North B"
    );
    // The area's administrator may move it.
    let moved = app
        .graphql(
            p.admin.token(),
            LINK_CHANNEL,
            json!({ "g": gid("Group", p.ppgs[0][0].0), "c": "5005" }),
        )
        .await;
    assert!(moved.errors.is_empty(), "{:?}", moved.errors);
}

#[tokio::test]
async fn an_idempotency_key_returns_the_same_report_and_refuses_another() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut input = soft_intelligence(p.ppgs[0][0].0, "Long waits", "Six hours.");
    input["idempotencyKey"] = json!("form-2026-12-01-01");
    let first = raise(&app, p.ppg_member.token(), input.clone()).await;
    assert_eq!(first["duplicate"], false);
    let again = raise(&app, p.ppg_member.token(), input.clone()).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["item"]["id"], first["item"]["id"]);
    // The same key with other content, even now a safety concern, is not a silent success.
    let mut other = input.clone();
    other["body"] = json!("Eight hours, and she fell.");
    other["safetyConcern"] = json!(true);
    let refused = app
        .graphql(p.ppg_member.token(), RAISE, json!({ "input": other }))
        .await;
    assert_eq!(refused.code(), "CONFLICT");
    assert!(
        refused
            .message()
            .contains("already used for another report"),
        "{}",
        refused.message()
    );
    // A key is a safe word, not free text.
    let mut spaced = input.clone();
    spaced["idempotencyKey"] = json!("Mrs Jane Doe 12/03/1956");
    let bad = app
        .graphql(p.ppg_member.token(), RAISE, json!({ "input": spaced }))
        .await;
    assert_eq!(
        (bad.code(), bad.field()),
        ("BAD_USER_INPUT", "idempotencyKey")
    );
    assert_eq!(
        pyramid::entities::item::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_submitter_is_named_only_where_they_agreed() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    const WHO: &str = r#"query($r: String!) { item(reference: $r) { raisedBy submitter { name } events { kind actor { name } } } }"#;
    let quiet = raise_in(&app, &p.ppg_member, p.ppgs[0][0].0, "Quiet report").await;
    let mut open = soft_intelligence(p.ppgs[0][0].0, "Open report", "Named.");
    open["shareMyName"] = json!(true);
    let open = raise(&app, p.ppg_member.token(), open).await;
    for item in [&quiet, &open] {
        escalate(&app, &p.ppg_chair, item).await;
    }
    let who = |person: &Person, item: &Value| {
        let (app, token, r) = (
            &app,
            person.token.clone(),
            item["item"]["reference"].clone(),
        );
        async move { app.graphql(Some(&token), WHO, json!({ "r": r })).await.ok()["item"].clone() }
    };
    // Beyond the PPG's officers, the quiet one is "a member of North A", in every field.
    let district = who(&p.district_secretary, &quiet).await;
    assert_eq!(district["raisedBy"], "a member of North A");
    assert_eq!(district["submitter"], Value::Null);
    assert!(!district.to_string().contains("Pat Member"), "{district}");
    let commissioner = who(&p.commissioner, &quiet).await;
    assert!(
        !commissioner.to_string().contains("Pat Member"),
        "{commissioner}"
    );
    // The PPG's chair and the submitter know; the open one is named to everyone who sees it.
    assert_eq!(who(&p.ppg_chair, &quiet).await["raisedBy"], "Pat Member");
    assert_eq!(
        who(&p.ppg_member, &quiet).await["submitter"]["name"],
        "Pat Member"
    );
    assert_eq!(
        who(&p.district_secretary, &open).await["raisedBy"],
        "Pat Member"
    );
    // And nobody can find out who raised what by filtering on a member.
    let probe = app
        .graphql(
            p.district_secretary.token(),
            "query($m: ID!) { items(filter: { submitterId: $m }) { edges { node { reference } } } }",
            json!({ "m": p.ppg_member.gid() }),
        )
        .await;
    assert_eq!(probe.code(), "BAD_USER_INPUT");
}

fn websocket_request(app: &TestApp) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let url = app.address.replace("http://", "ws://") + "/graphql";
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    request
}

#[tokio::test]
async fn a_subscription_without_a_token_is_told_to_sign_in() {
    let app = TestApp::spawn().await;
    let (mut socket, _) = tokio_tungstenite::connect_async(websocket_request(&app))
        .await
        .unwrap();
    let send = |value: Value| Message::Text(value.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": {} })))
        .await
        .unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"));
    socket
        .send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { itemEvents { kind } }" } })))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("an answer, not silence")
        .unwrap()
        .unwrap();
    let answer: Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
    let errors = match answer["type"].as_str() {
        Some("error") => answer["payload"].clone(),
        _ => answer["payload"]["errors"].clone(),
    };
    assert_eq!(
        errors[0]["extensions"]["code"], "UNAUTHENTICATED",
        "{answer}"
    );
    assert!(errors[0]["message"].as_str().unwrap().contains("Bearer"));
}

/// Opens a subscription as `token` and waits until it delivers an event of an item raised
/// by `raise` (which is called until one arrives).
async fn subscribed(
    app: &TestApp,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let (mut socket, _) = tokio_tungstenite::connect_async(websocket_request(app))
        .await
        .unwrap();
    let send = |value: Value| Message::Text(value.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })))
        .await
        .unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack}");
    socket
        .send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { itemEvents { kind item { title } } }" } })))
        .await
        .unwrap();
    socket
}

/// Raises items as `by` until `socket` delivers one; true when one arrived.
async fn delivers(
    app: &TestApp,
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    by: &Person,
    group: i64,
    tries: usize,
) -> bool {
    for n in 0..tries {
        raise_in(app, by, group, &format!("Live {n}")).await;
        if let Ok(Some(Ok(message))) =
            tokio::time::timeout(Duration::from_millis(800), socket.next()).await
            && message.to_text().is_ok_and(|t| t.contains("\"next\""))
        {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn a_member_who_left_stops_receiving_the_groups_items_at_once() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut socket = subscribed(&app, &p.other_member.token).await;
    assert!(delivers(&app, &mut socket, &p.ppg_member, p.ppgs[0][0].0, 20).await);
    // Sam leaves North A.
    let membership = pyramid::entities::membership::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.member_id == p.other_member.id.0)
        .unwrap();
    members::end_membership(
        &app.db,
        &Actor::System,
        pyramid::domain::MembershipId(membership.id),
        None,
    )
    .await
    .unwrap();
    // Drain anything already on its way, then nothing more may arrive.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(600), socket.next()).await {}
    assert!(!delivers(&app, &mut socket, &p.ppg_member, p.ppgs[0][0].0, 4).await);
}

#[tokio::test]
async fn revoking_a_token_closes_its_live_subscription() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut socket = subscribed(&app, &p.ppg_chair.token).await;
    assert!(delivers(&app, &mut socket, &p.ppg_member, p.ppgs[0][0].0, 20).await);
    let tokens = pyramid::services::tokens::list(&app.db, &Actor::System, p.ppg_chair.id)
        .await
        .unwrap();
    pyramid::services::tokens::revoke(&app.db, &Actor::System, tokens[0].id)
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed within seconds");
    let frame = closed.expect("a close frame with a reason");
    assert_eq!(u16::from(frame.code), 4403);
    assert!(frame.reason.contains("revoked"), "{frame:?}");
}

const COMPILE: &str = r#"mutation($g: ID!, $s: Date!, $e: Date!) {
  compileNewsletter(input: { groupId: $g, periodStart: $s, periodEnd: $e }) {
    newsletter { id entries { id heading body needsReview reviewWords reviewed } }
  }
}"#;
const PUBLISH: &str = r#"mutation($id: ID!) { publishNewsletter(input: { id: $id }) { publishedNow newsletter { urls { html largePrint text markdown } } } }"#;

async fn compile_north(app: &TestApp, p: &Pyramid) -> Value {
    let today = chrono::Utc::now().date_naive().to_string();
    let compiled = app
        .graphql(
            p.district_secretary.token(),
            COMPILE,
            json!({ "g": gid("Group", p.districts[0].0), "s": today, "e": today }),
        )
        .await
        .ok();
    compiled["compileNewsletter"]["newsletter"].clone()
}

#[tokio::test]
async fn names_and_identifiers_never_reach_storage_search_or_a_public_page() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(
            p.ppgs[0][0].0,
            "Mr John Smith's discharge letter never arrived",
            "Mrs Jane Doe (NHS 943\u{2013}476\u{2013}5919, tel (+44) 7700 900123, jo\u{FF20}example.org, \
             ST16-3SA, DOB 12-Mar-1956) waited. My neighbour Tom Baker drove her home.",
        ),
    )
    .await;
    let kinds: Vec<&str> = raised["removedIdentifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "NAME",
        "NHS_NUMBER",
        "PHONE_NUMBER",
        "EMAIL",
        "POSTCODE",
        "DATE_OF_BIRTH",
    ] {
        assert!(kinds.contains(&kind), "{kind} not removed: {raised}");
    }
    assert!(
        raised["notice"].as_str().unwrap().contains("name"),
        "{raised}"
    );
    let stored = pyramid::entities::item::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let text = format!("{} {}", stored[0].title.as_str(), stored[0].body.as_str());
    for personal in [
        "Smith",
        "John",
        "Jane",
        "Doe",
        "Tom",
        "Baker",
        "5919",
        "900123",
        "example.org",
        "3SA",
        "1956",
    ] {
        assert!(!text.contains(personal), "{personal} stored: {text}");
    }
    // Nothing to find by the name.
    let found = app
        .graphql(
            p.ppg_member.token(),
            r#"{ items(filter: { search: "Smith" }) { edges { node { reference } } } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(found["items"]["edges"], json!([]));

    // Up to the district, into its newsletter, published: no page says the name.
    escalate(&app, &p.ppg_chair, &raised).await;
    let draft = compile_north(&app, &p).await;
    for entry in draft["entries"].as_array().unwrap() {
        if entry["needsReview"] == true {
            app.graphql(
                p.district_secretary.token(),
                r#"mutation($e: ID!) { markNewsletterEntryReviewed(input: { entryId: $e }) { newsletter { id } } }"#,
                json!({ "e": entry["id"] }),
            )
            .await
            .ok();
        }
    }
    let published = app
        .graphql(
            p.district_secretary.token(),
            PUBLISH,
            json!({ "id": draft["id"] }),
        )
        .await
        .ok();
    let urls = &published["publishNewsletter"]["newsletter"]["urls"];
    for format in ["html", "largePrint", "text", "markdown"] {
        let page = app
            .get(urls[format].as_str().unwrap())
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("discharge letter"), "{format}: {page}");
        for personal in ["Smith", "John", "Jane", "Doe"] {
            assert!(
                !page.contains(personal),
                "{personal} on the {format} page: {page}"
            );
        }
    }
}

#[tokio::test]
async fn a_newsletter_entry_that_may_still_name_someone_is_looked_at_before_publishing() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    // "Bob" has no honorific and no cue, so the redactor keeps it; the check flags it.
    let raised = raise_in(
        &app,
        &p.ppg_member,
        p.ppgs[0][0].0,
        "Long wait for the call-back, Bob said it was normal",
    )
    .await;
    escalate(&app, &p.ppg_chair, &raised).await;
    let draft = compile_north(&app, &p).await;
    let flagged: Vec<&Value> = draft["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["needsReview"] == true)
        .collect();
    // (The matter is both "raised with us" and "still waiting" this period: each entry quoting
    // the title is flagged.)
    assert!(!flagged.is_empty(), "{draft:#}");
    for entry in &flagged {
        assert_eq!(entry["reviewWords"], json!(["Bob"]), "{entry}");
    }
    // Publishing is refused, naming the entry and the word.
    let refused = app
        .graphql(
            p.district_secretary.token(),
            PUBLISH,
            json!({ "id": draft["id"] }),
        )
        .await;
    assert_eq!(refused.code(), "CONFLICT");
    assert!(
        refused.message().contains("entry 1"),
        "{}",
        refused.message()
    );
    assert!(refused.message().contains("Bob"), "{}", refused.message());
    // Rewriting an entry clears it; marking one reviewed lets it stand as it is.
    let rewritten = app
        .graphql(
            p.district_secretary.token(),
            r#"mutation($e: ID!) { updateNewsletterEntry(input: { entryId: $e, heading: "Long waits for call-backs", body: "Raised by North A." }) { newsletter { entries { id needsReview } } } }"#,
            json!({ "e": flagged[0]["id"] }),
        )
        .await
        .ok();
    let after = &rewritten["updateNewsletterEntry"]["newsletter"]["entries"];
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == flagged[0]["id"] && e["needsReview"] == false)
    );
    for entry in &flagged[1..] {
        let reviewed = app
            .graphql(
                p.district_secretary.token(),
                r#"mutation($e: ID!) { markNewsletterEntryReviewed(input: { entryId: $e }) { newsletter { entries { id needsReview reviewed } } } }"#,
                json!({ "e": entry["id"] }),
            )
            .await
            .ok();
        let entries = reviewed["markNewsletterEntryReviewed"]["newsletter"]["entries"].clone();
        let this = entries
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == entry["id"])
            .unwrap()
            .clone();
        assert_eq!(
            (this["needsReview"].clone(), this["reviewed"].clone()),
            (json!(false), json!(true))
        );
    }
    let published = app
        .graphql(
            p.district_secretary.token(),
            PUBLISH,
            json!({ "id": draft["id"] }),
        )
        .await
        .ok();
    assert_eq!(published["publishNewsletter"]["publishedNow"], true);
    let text = app
        .get(
            published["publishNewsletter"]["newsletter"]["urls"]["text"]
                .as_str()
                .unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
    // The rewritten entry no longer names Bob; one let stand after review still does.
    assert!(text.contains("Long waits for call-backs"), "{text}");
}
