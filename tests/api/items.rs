//! Items travel up: raising, redaction, moves and who may make them, who sees what, linking,
//! search, the safety fast path, and the cost of a dashboard page.

use serde_json::{Value, json};

use crate::helpers::{Pyramid, TestApp, gid};

pub const RAISE: &str = r#"
mutation($input: RaiseItemInput!) {
  raiseItem(input: $input) {
    item { id reference status title body safetyConcern currentGroup { name } originGroup { name } hoursWaiting referredAt }
    removedIdentifiers { kind count }
    notice
    duplicate
  }
}"#;

const ESCALATE: &str = r#"
mutation($input: EscalateItemInput!) {
  escalateItem(input: $input) { item { status currentGroup { name } } }
}"#;

const RESPOND: &str = r#"
mutation($input: RespondToItemInput!) {
  respondToItem(input: $input) { item { status answer { note outcome } } }
}"#;

const CLOSE: &str = r#"
mutation($input: CloseItemInput!) { closeItem(input: $input) { item { status } } }
"#;

const TRAIL: &str = r#"
query($reference: String!) {
  item(reference: $reference) {
    status
    currentGroup { name }
    answer { note outcome actor { name } }
    events { kind fromStatus toStatus fromGroup { name } group { name } note actor { name } }
  }
}"#;

pub fn soft_intelligence(group: i64, title: &str, body: &str) -> Value {
    json!({
        "groupId": gid("Group", group),
        "kind": "SOFT_INTELLIGENCE",
        "title": title,
        "body": body,
        "providerName": "Staffordshire Out-of-Hours GP Service",
        "experiencedOn": "2026-11-01",
        "sentiment": "NEGATIVE",
        "informationSource": "HEARD_FROM_ANOTHER_PATIENT",
        "tags": ["Out of hours", "access"],
    })
}

pub async fn raise(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    let raised = app
        .graphql(token, RAISE, json!({ "input": input }))
        .await
        .ok();
    raised["raiseItem"].clone()
}

fn trail_kinds(trail: &Value) -> Vec<(String, String)> {
    trail["item"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["group"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn an_item_travels_from_a_ppg_to_the_commissioners_and_the_answer_comes_back_down() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    // Sam represents the PPG on the district.
    p.nominate(&app, p.ppgs[0][0], &p.other_member).await;

    // A PPG member raises soft intelligence.
    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(
            p.ppgs[0][0].0,
            "Long waits for call-backs",
            "Three patients told us they waited over six hours for a call-back.",
        ),
    )
    .await;
    let item = &raised["item"];
    let reference = item["reference"].as_str().unwrap().to_owned();
    assert!(
        reference.starts_with("SI-2026-") || reference.starts_with("SI-20"),
        "{reference}"
    );
    assert_eq!(item["status"], "RAISED");
    let id = item["id"].clone();
    let trail = app
        .graphql(
            p.ppg_member.token(),
            TRAIL,
            json!({ "reference": reference }),
        )
        .await
        .ok();
    assert_eq!(trail_kinds(&trail), pairs(&[("RAISED", "North A")]));
    assert_eq!(trail["item"]["events"][0]["actor"]["name"], "Pat Member");

    // The PPG's representative takes it to the district, saying why.
    let up = app
        .graphql(p.other_member.token(), ESCALATE, json!({ "input": { "itemId": id, "note": "Raised at three PPG meetings this quarter." } }))
        .await
        .ok();
    assert_eq!(
        up["escalateItem"]["item"],
        json!({ "status": "AT_DISTRICT", "currentGroup": { "name": "North" } })
    );

    // The district secretary takes it to the council.
    let up = app
        .graphql(
            p.district_secretary.token(),
            ESCALATE,
            json!({ "input": { "itemId": id } }),
        )
        .await
        .ok();
    assert_eq!(
        up["escalateItem"]["item"],
        json!({ "status": "AT_COUNCIL", "currentGroup": { "name": "Council" } })
    );

    // The council refers it to the commissioners.
    let up = app
        .graphql(
            p.council_chair.token(),
            ESCALATE,
            json!({ "input": { "itemId": id, "note": "For the CQRM with the provider." } }),
        )
        .await
        .ok();
    assert_eq!(
        up["escalateItem"]["item"],
        json!({ "status": "REFERRED", "currentGroup": { "name": "Council" } })
    );

    // A commissioner answers.
    let answered = app
        .graphql(p.commissioner.token(), RESPOND, json!({ "input": { "itemId": id, "answer": "The provider has added two call-back clinicians in the evening.", "outcome": "CHANGE_MADE" } }))
        .await
        .ok();
    assert_eq!(answered["respondToItem"]["item"]["status"], "RESPONDED");

    // The answer is visible at the PPG that raised it, with the whole trail.
    let trail = app
        .graphql(
            p.ppg_member.token(),
            TRAIL,
            json!({ "reference": reference }),
        )
        .await
        .ok();
    assert_eq!(
        trail["item"]["answer"],
        json!({ "note": "The provider has added two call-back clinicians in the evening.", "outcome": "CHANGE_MADE", "actor": { "name": "Commissioner" } })
    );
    assert_eq!(
        trail_kinds(&trail),
        pairs(&[
            ("RAISED", "North A"),
            ("ESCALATED", "North"),
            ("ESCALATED", "Council"),
            ("REFERRED", "Council"),
            ("RESPONDED", "Council")
        ])
    );
    let events = trail["item"]["events"].as_array().unwrap();
    assert_eq!(events[1]["fromGroup"]["name"], "North A");
    assert_eq!(
        events[1]["note"],
        "Raised at three PPG meetings this quarter."
    );
    assert_eq!(events[1]["actor"]["name"], "Sam Member");
    assert_eq!(
        (
            events[3]["fromStatus"].as_str(),
            events[3]["toStatus"].as_str()
        ),
        (Some("AT_COUNCIL"), Some("REFERRED"))
    );

    // The person who raised it is told, through the outbox: once per move, not per retry.
    use pyramid::entities::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let queued = outbox::Entity::find()
        .filter(outbox::Column::Destination.eq(format!("member:{}", p.ppg_member.id.0)))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(queued.len(), 4, "three moves up and the answer");
    assert!(
        queued
            .last()
            .unwrap()
            .payload
            .contains("two call-back clinicians")
    );
}

#[tokio::test]
async fn moves_are_allowed_only_to_the_right_people_in_the_right_order() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Parking", "No disabled spaces free."),
    )
    .await;
    let id = raised["item"]["id"].clone();
    let input = json!({ "input": { "itemId": id } });

    // A plain member may not take it up or close it; the district cannot see it yet.
    assert_eq!(
        app.graphql(p.ppg_member.token(), ESCALATE, input.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.graphql(p.ppg_member.token(), CLOSE, input.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.graphql(p.district_secretary.token(), ESCALATE, input.clone())
            .await
            .code(),
        "NOT_FOUND"
    );
    // Anonymous callers are told to sign in, not that there is nothing there.
    let anonymous = app.graphql(None, ESCALATE, input.clone()).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    assert!(
        anonymous.message().contains("Bearer"),
        "{}",
        anonymous.message()
    );

    // The PPG chair takes it up; now the PPG chair may not move it further.
    app.graphql(p.ppg_chair.token(), ESCALATE, input.clone())
        .await
        .ok();
    assert_eq!(
        app.graphql(p.ppg_chair.token(), ESCALATE, input.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    app.graphql(p.district_secretary.token(), ESCALATE, input.clone())
        .await
        .ok();
    app.graphql(p.council_chair.token(), ESCALATE, input.clone())
        .await
        .ok();

    // Referred: only commissioners answer or close; it cannot go further up.
    assert_eq!(
        app.graphql(p.council_chair.token(), ESCALATE, input.clone())
            .await
            .code(),
        "CONFLICT"
    );
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string();
    let answer = json!({ "input": { "itemId": id, "answer": "Two more bays are planned.", "outcome": "ACTION_PLANNED", "change": { "owner": "the hospital's estates team", "dueOn": due } } });
    assert_eq!(
        app.graphql(p.council_chair.token(), RESPOND, answer.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    let missing_outcome = app
        .graphql(p.commissioner.token(), "mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: \"  \", outcome: NO_ACTION }) { item { status } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        (missing_outcome.code(), missing_outcome.field()),
        ("BAD_USER_INPUT", "answer")
    );
    app.graphql(p.commissioner.token(), RESPOND, answer.clone())
        .await
        .ok();
    assert_eq!(
        app.graphql(p.commissioner.token(), RESPOND, answer)
            .await
            .code(),
        "CONFLICT"
    );
    // Answered, it is back with the tier holding it: the council closes it, not the
    // commissioners.
    assert_eq!(
        app.graphql(p.commissioner.token(), CLOSE, input.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    let closed = app
        .graphql(p.council_chair.token(), CLOSE, input.clone())
        .await
        .ok();
    assert_eq!(closed["closeItem"]["item"]["status"], "CLOSED");
    assert_eq!(
        app.graphql(p.council_chair.token(), CLOSE, input)
            .await
            .code(),
        "CONFLICT"
    );
}

#[tokio::test]
async fn a_tier_can_resolve_an_item_itself() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Hand gel", "Dispensers empty in reception."),
    )
    .await;
    let id = raised["item"]["id"].clone();
    let answered = app
        .graphql(p.ppg_chair.token(), RESPOND, json!({ "input": { "itemId": id, "answer": "The practice manager refilled them and added a weekly check.", "outcome": "CHANGE_MADE" } }))
        .await
        .ok();
    assert_eq!(answered["respondToItem"]["item"]["status"], "RESPONDED");
    let closed = app
        .graphql(
            p.ppg_chair.token(),
            CLOSE,
            json!({ "input": { "itemId": id, "note": "Done." } }),
        )
        .await
        .ok();
    assert_eq!(closed["closeItem"]["item"]["status"], "CLOSED");
}

#[tokio::test]
async fn each_tier_sees_what_was_raised_in_it_or_reached_it_and_nothing_else() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Reception", "Rude on the phone."),
    )
    .await;
    let reference = raised["item"]["reference"].as_str().unwrap().to_owned();
    let id = raised["item"]["id"].clone();
    let sees = |token: Option<&str>| {
        let (app, reference) = (&app, reference.clone());
        let token = token.map(str::to_owned);
        async move {
            let by_reference = app
                .graphql(
                    token.as_deref(),
                    "query($r: String!) { item(reference: $r) { reference } }",
                    json!({ "r": reference }),
                )
                .await
                .ok();
            let listed = app
                .graphql(
                    token.as_deref(),
                    "{ items { edges { node { reference } } } }",
                    json!({}),
                )
                .await
                .ok();
            let in_list = listed["items"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["node"]["reference"] == reference.as_str());
            assert_eq!(
                by_reference["item"].is_object(),
                in_list,
                "item(reference:) and items agree"
            );
            in_list
        }
    };
    // At the PPG: its members; not the district, not another district, not anonymous.
    assert!(sees(p.ppg_member.token()).await);
    assert!(sees(p.ppg_chair.token()).await);
    assert!(!sees(p.district_secretary.token()).await);
    assert!(!sees(p.south_member.token()).await);
    assert!(!sees(p.council_chair.token()).await);
    assert!(sees(p.commissioner.token()).await);
    // Administrators run the area's structure; they read items only where they sit.
    assert!(!sees(p.admin.token()).await);
    // Without a token: "sign in", for the list and the look-up alike.
    let anonymous = app
        .graphql(
            None,
            "{ items { edges { node { reference } } } }",
            json!({}),
        )
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let anonymous = app
        .graphql(
            None,
            "query($r: String!) { item(reference: $r) { reference } }",
            json!({ "r": reference }),
        )
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    // A hidden item by id looks missing too.
    let node = app
        .graphql(
            p.district_secretary.token(),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(node["node"], Value::Null);

    // Taken up to the district, the district sees it; the PPG still does.
    app.graphql(
        p.ppg_chair.token(),
        ESCALATE,
        json!({ "input": { "itemId": id } }),
    )
    .await
    .ok();
    assert!(sees(p.district_secretary.token()).await);
    assert!(sees(p.ppg_member.token()).await);
    assert!(!sees(p.south_member.token()).await);
    assert!(!sees(p.council_chair.token()).await);
    // At the council, everyone on its path sees it.
    app.graphql(
        p.district_secretary.token(),
        ESCALATE,
        json!({ "input": { "itemId": id } }),
    )
    .await
    .ok();
    assert!(sees(p.council_chair.token()).await);
    assert!(sees(p.district_secretary.token()).await);
    assert!(sees(p.ppg_member.token()).await);
    assert!(!sees(p.south_member.token()).await);
}

#[tokio::test]
async fn personal_identifiers_are_removed_before_the_item_is_stored() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let body = "Mrs X (NHS no 943 476 5919, DOB 12/03/1956, tel 07700 900123, jo@example.org, lives at ST16 3SA) \
                waited 4 hours at Trentvale Hospitals NHS Trust on 12/03/2026. Ref 1234567890 was on her letter.";
    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Call 07700 900124 back", body),
    )
    .await;
    let stored = raised["item"]["body"].as_str().unwrap();
    for gone in [
        "943 476 5919",
        "12/03/1956",
        "07700 900123",
        "jo@example.org",
        "ST16 3SA",
        "Mrs X",
    ] {
        assert!(!stored.contains(gone), "{gone} was kept: {stored}");
    }
    for marker in [
        "[NHS number removed]",
        "[date of birth removed]",
        "[phone number removed]",
        "[email address removed]",
        "[postcode removed]",
        "Mrs [name removed]",
    ] {
        assert!(stored.contains(marker), "{marker} missing: {stored}");
    }
    for kept in [
        "waited 4 hours",
        "Trentvale Hospitals NHS Trust",
        "on 12/03/2026",
        "1234567890",
    ] {
        assert!(stored.contains(kept), "{kept} was removed: {stored}");
    }
    assert_eq!(raised["item"]["title"], "Call [phone number removed] back");
    let removed: Vec<(String, i64)> = raised["removedIdentifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_owned(),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        removed,
        vec![
            ("NHS_NUMBER".into(), 1),
            ("PHONE_NUMBER".into(), 2),
            ("EMAIL".into(), 1),
            ("POSTCODE".into(), 1),
            ("DATE_OF_BIRTH".into(), 1),
            ("NAME".into(), 1)
        ]
    );
    assert!(raised["notice"].as_str().unwrap().contains("NHS number"));

    // Nothing identifying reached the database, in any table.
    use pyramid::entities::{item, item_event};
    use sea_orm::EntityTrait;
    let rows = item::Entity::find().all(&app.db).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| !r.body.contains("9434765919") && !r.body.contains("943 476 5919"))
    );
    let events = item_event::Entity::find().all(&app.db).await.unwrap();
    assert!(
        events
            .iter()
            .all(|e| e.note.as_deref().is_none_or(|n| !n.contains("07700")))
    );
}

#[tokio::test]
async fn the_same_idempotency_key_gives_the_same_item() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut input = soft_intelligence(p.ppgs[0][0].0, "Once", "Sent twice by a flaky connection.");
    input["idempotencyKey"] = json!("form-7f3a");
    let first = raise(&app, p.ppg_member.token(), input.clone()).await;
    let second = raise(&app, p.ppg_member.token(), input.clone()).await;
    assert_eq!(first["item"]["id"], second["item"]["id"]);
    assert_eq!(
        (first["duplicate"].as_bool(), second["duplicate"].as_bool()),
        (Some(false), Some(true))
    );
    // Another member's key is their own.
    let other = raise(&app, p.other_member.token(), input).await;
    assert_ne!(other["item"]["id"], first["item"]["id"]);
    let listed = app
        .graphql(
            p.ppg_chair.token(),
            "{ items { edges { node { title } } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(listed["items"]["edges"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_safety_concern_goes_straight_to_the_commissioners_and_stays_visible_to_its_tiers() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut input = soft_intelligence(
        p.ppgs[0][0].0,
        "Medication error",
        "A patient was given the wrong dose twice.",
    );
    input["safetyConcern"] = json!(true);
    let raised = raise(&app, p.ppg_member.token(), input).await;
    let item = &raised["item"];
    assert_eq!(item["status"], "REFERRED");
    assert_eq!(
        item["currentGroup"]["name"], "North A",
        "it stays with its tier"
    );
    assert_eq!(item["hoursWaiting"], 0);
    assert!(item["referredAt"].is_string());
    let reference = item["reference"].as_str().unwrap();

    let trail = app
        .graphql(
            p.ppg_chair.token(),
            TRAIL,
            json!({ "reference": reference }),
        )
        .await
        .ok();
    assert_eq!(
        trail_kinds(&trail),
        pairs(&[("RAISED", "North A"), ("SAFETY_REFERRED", "North A")])
    );
    let queue = app
        .graphql(p.commissioner.token(), "{ items(filter: { safetyConcern: true, statuses: [REFERRED] }) { edges { node { reference hoursWaiting } } } }", json!({}))
        .await
        .ok();
    assert_eq!(queue["items"]["edges"][0]["node"]["reference"], reference);

    use pyramid::entities::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let alerts = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("SAFETY_ALERT"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].destination, "quality-team");

    // The PPG cannot answer it for the commissioners; the commissioners can.
    let answer = json!({ "input": { "itemId": item["id"], "answer": "The pharmacy has reviewed its checks.", "outcome": "CHANGE_MADE" } });
    assert_eq!(
        app.graphql(p.ppg_chair.token(), RESPOND, answer.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    app.graphql(p.commissioner.token(), RESPOND, answer)
        .await
        .ok();
}

#[tokio::test]
async fn several_reports_of_one_matter_travel_together_without_losing_any() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    // Two PPGs of the district report the same service; both reach the district.
    let a = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(
            p.ppgs[0][0].0,
            "No doctor overnight",
            "Waited until morning.",
        ),
    )
    .await;
    let add = pyramid::services::members::AddMember {
        group_id: p.ppgs[0][1],
        member: pyramid::services::members::MemberRef::Existing(p.ppg_member.id),
        role: pyramid::domain::member::Role::Chair,
        since: None,
    };
    pyramid::services::members::add_member(&app.db, &pyramid::domain::authz::Actor::System, add)
        .await
        .unwrap();
    app.settle().await;
    let b = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(
            p.ppgs[0][1].0,
            "Out of hours unreachable",
            "Phone rang out.",
        ),
    )
    .await;
    let c = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(
            p.ppgs[0][1].0,
            "111 sent us nowhere",
            "No appointment offered.",
        ),
    )
    .await;
    for (item, chair) in [
        (&a, &p.ppg_chair),
        (&b, &p.north_b_chair),
        (&c, &p.north_b_chair),
    ] {
        app.graphql(
            chair.token(),
            ESCALATE,
            json!({ "input": { "itemId": item["item"]["id"] } }),
        )
        .await
        .ok();
    }
    // The district takes them up as one matter.
    let up = app
        .graphql(
            p.district_secretary.token(),
            ESCALATE,
            json!({ "input": { "itemId": a["item"]["id"], "note": "Three PPGs, one service.", "linkItemIds": [b["item"]["id"], c["item"]["id"]] } }),
        )
        .await
        .ok();
    assert_eq!(up["escalateItem"]["item"]["status"], "AT_COUNCIL");
    let lead = app
        .graphql(p.council_chair.token(), "query($r: String!) { item(reference: $r) { linkedItems { status currentGroup { name } lead { reference } } } }", json!({ "r": a["item"]["reference"] }))
        .await
        .ok();
    let linked = lead["item"]["linkedItems"].as_array().unwrap();
    assert_eq!(linked.len(), 2, "none lost");
    for follower in linked {
        assert_eq!(follower["status"], "AT_COUNCIL");
        assert_eq!(follower["currentGroup"]["name"], "Council");
        assert_eq!(follower["lead"]["reference"], a["item"]["reference"]);
    }
    // A follower moves with its lead, not on its own.
    let alone = app
        .graphql(
            p.council_chair.token(),
            ESCALATE,
            json!({ "input": { "itemId": b["item"]["id"] } }),
        )
        .await;
    assert_eq!(alone.code(), "CONFLICT");
    app.graphql(
        p.council_chair.token(),
        ESCALATE,
        json!({ "input": { "itemId": a["item"]["id"] } }),
    )
    .await
    .ok();
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string();
    app.graphql(p.commissioner.token(), RESPOND, json!({ "input": { "itemId": a["item"]["id"], "answer": "Service under investigation.", "outcome": "ACTION_PLANNED", "change": { "owner": "the provider's medical director", "dueOn": due } } })).await.ok();
    let follower = app
        .graphql(
            p.ppg_member.token(),
            TRAIL,
            json!({ "reference": c["item"]["reference"] }),
        )
        .await
        .ok();
    assert_eq!(follower["item"]["status"], "RESPONDED");
    assert_eq!(
        follower["item"]["answer"]["note"],
        "Service under investigation."
    );
}

#[tokio::test]
async fn items_are_found_by_words_and_filters() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let token = p.ppg_member.token();
    raise(
        &app,
        token,
        soft_intelligence(
            p.ppgs[0][0].0,
            "Ambulance delay",
            "The ambulance took two hours to arrive.",
        ),
    )
    .await;
    raise(
        &app,
        token,
        soft_intelligence(
            p.ppgs[0][0].0,
            "Waiting room",
            "Patients waited standing in the corridor.",
        ),
    )
    .await;
    let mut compliment = soft_intelligence(
        p.ppgs[0][0].0,
        "Kind nurses",
        "The ward staff were wonderful.",
    );
    compliment["kind"] = json!("COMPLIMENT");
    compliment["sentiment"] = json!("POSITIVE");
    compliment["tags"] = json!(["staff attitude"]);
    raise(&app, token, compliment).await;

    let commissioner = p.commissioner.token();
    let find = |filter: Value| {
        let app = &app;
        async move {
            let found = app
                .graphql(
                    commissioner,
                    "query($f: ItemFilterInput) { items(filter: $f) { edges { node { title } } } }",
                    json!({ "f": filter }),
                )
                .await
                .ok();
            let mut titles: Vec<String> = found["items"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
                .collect();
            titles.sort();
            titles
        }
    };
    assert_eq!(
        find(json!({ "search": "ambulance" })).await,
        ["Ambulance delay"]
    );
    assert_eq!(
        find(json!({ "search": "waiting" })).await,
        ["Waiting room"],
        "stems match: waiting/waited"
    );
    assert_eq!(
        find(json!({ "search": "corridor patients" })).await,
        ["Waiting room"]
    );
    assert_eq!(
        find(json!({ "search": "\"unbalanced AND (" })).await,
        Vec::<String>::new(),
        "odd input is not an error"
    );
    assert_eq!(
        find(json!({ "kinds": ["COMPLIMENT"] })).await,
        ["Kind nurses"]
    );
    assert_eq!(
        find(json!({ "sentiment": "NEGATIVE" })).await,
        ["Ambulance delay", "Waiting room"]
    );
    assert_eq!(
        find(json!({ "tag": "Staff Attitude" })).await,
        ["Kind nurses"]
    );
    assert_eq!(
        find(json!({ "groupId": gid("Group", p.districts[0].0), "includeBelow": true }))
            .await
            .len(),
        3
    );
    assert_eq!(
        find(json!({ "groupId": gid("Group", p.districts[0].0) }))
            .await
            .len(),
        0,
        "none reached the district"
    );
    assert_eq!(
        find(json!({ "raisedFrom": "2000-01-01", "raisedTo": "2000-12-31" }))
            .await
            .len(),
        0
    );
}

#[tokio::test]
async fn a_dashboard_page_of_items_costs_the_same_whatever_its_size() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let provider = app
        .graphql(p.admin.token(), r#"mutation { createProvider(input: { name: "Trentvale Hospitals NHS Trust", kind: ACUTE_TRUST }) { provider { id } } }"#, json!({}))
        .await
        .ok();
    let provider = provider["createProvider"]["provider"]["id"].clone();
    for n in 0..50 {
        let mut input =
            soft_intelligence(p.ppgs[0][0].0, &format!("Item {n}"), "Something happened.");
        input["providerId"] = provider.clone();
        input["providerName"] = Value::Null;
        let raised = raise(&app, p.ppg_member.token(), input).await;
        for officer in [&p.ppg_chair, &p.district_secretary] {
            app.graphql(
                officer.token(),
                ESCALATE,
                json!({ "input": { "itemId": raised["item"]["id"] } }),
            )
            .await
            .ok();
        }
    }
    let dashboard = r#"
      query($council: ID!, $first: Int!) {
        items(filter: { heldAt: $council }, orderBy: RECENTLY_UPDATED, first: $first) {
          edges { node {
            reference title status
            originGroup { name parent { name } }
            provider { name }
            latestEvent { kind at actor { name } group { name } }
          } }
        }
      }"#;
    app.seen(p.commissioner.token()).await;
    let mut costs = Vec::new();
    for first in [5, 50] {
        let before = app.statements();
        let page = app
            .graphql(
                p.commissioner.token(),
                dashboard,
                json!({ "council": gid("Group", p.council.0), "first": first }),
            )
            .await
            .ok();
        costs.push(app.statements() - before);
        let edges = page["items"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first as usize);
        assert_eq!(
            edges[0]["node"]["title"], "Item 49",
            "most recently moved first"
        );
        assert_eq!(edges[0]["node"]["originGroup"]["parent"]["name"], "North");
        assert_eq!(
            edges[0]["node"]["provider"]["name"],
            "Trentvale Hospitals NHS Trust"
        );
        assert_eq!(edges[0]["node"]["latestEvent"]["group"]["name"], "Council");
    }
    // One statement for the token (none on PostgreSQL, which remembers it), one for the page
    // with its origin groups, their parents, providers, latest events and their groups
    // (`services/items/related.rs`), and one for the events' actors (members), which the
    // page does not read: an N+1 would cost 50 more.
    let page = 2 + app.sign_in_statements();
    assert_eq!(costs, vec![page, page], "statements for 5 vs 50 items");
}

#[tokio::test]
async fn a_referral_has_a_response_clock_and_shows_as_overdue_once_past_it() {
    use chrono::{Datelike, Weekday};
    use pyramid::entities::item as item_db;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};

    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let area = gid("Group", p.council.0);
    let mut input = soft_intelligence(p.ppgs[0][0].0, "Wrong dose", "Given the wrong dose twice.");
    input["safetyConcern"] = json!(true);
    let raised = raise(&app, p.ppg_member.token(), input.clone()).await;
    let id = raised["item"]["id"].as_str().unwrap().to_owned();

    const ONE: &str = "query($id: ID!) { node(id: $id) { ... on Item { responseDueOn overdue } } }";
    let item = app
        .graphql(p.commissioner.token(), ONE, json!({ "id": id }))
        .await
        .ok();
    let due: chrono::NaiveDate = item["node"]["responseDueOn"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    // 20 working days: four weeks, and a few days more for any bank holidays on the way.
    let days = (due - today).num_days();
    assert!((27..=36).contains(&days), "due in {days} days");
    assert!(!matches!(due.weekday(), Weekday::Sat | Weekday::Sun));
    assert_eq!(item["node"]["overdue"], false);

    // The clock runs out (as if the weeks had passed).
    let number: i64 = {
        use base64::Engine;
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&id)
            .unwrap();
        String::from_utf8(text)
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let row = item_db::Entity::find_by_id(number)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: item_db::ActiveModel = row.into();
    row.response_due_on = Set(Some(today - chrono::Duration::days(1)));
    row.update(&app.db).await.unwrap();

    const OVERDUE: &str = "{ items(filter: { overdue: true }) { edges { node { id overdue } } } }";
    let late = app
        .graphql(p.commissioner.token(), OVERDUE, json!({}))
        .await
        .ok();
    assert_eq!(late["items"]["edges"][0]["node"]["id"], id.as_str());
    assert_eq!(late["items"]["edges"][0]["node"]["overdue"], true);
    app.graphql(
        p.commissioner.token(),
        "mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: \"A pharmacist now checks every dose.\", outcome: CHANGE_MADE }) { item { status } } }",
        json!({ "id": id }),
    )
    .await
    .ok();
    let late = app
        .graphql(p.commissioner.token(), OVERDUE, json!({}))
        .await
        .ok();
    assert_eq!(
        late["items"]["edges"],
        json!([]),
        "answered, it is no longer overdue"
    );

    // The area's administrators set its clock; the pattern rule leaves it as it is.
    const SET: &str = "mutation($a: ID!, $d: Int!) { setResponseClock(input: { areaId: $a, workingDays: $d }) { workingDays } }";
    let refused = app
        .graphql(p.commissioner.token(), SET, json!({ "a": area, "d": 5 }))
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let bad = app
        .graphql(p.admin.token(), SET, json!({ "a": area, "d": 0 }))
        .await;
    assert_eq!((bad.code(), bad.field()), ("BAD_USER_INPUT", "workingDays"));
    app.graphql(p.admin.token(), SET, json!({ "a": area, "d": 5 }))
        .await
        .ok();
    app.graphql(
        p.admin.token(),
        "mutation($a: ID!) { setPatternRule(input: { areaId: $a, minPpgs: 3, windowDays: 60 }) { rule { minPpgs } } }",
        json!({ "a": area }),
    )
    .await
    .ok();
    let clock = app
        .graphql(
            None,
            "query($a: ID!) { responseClock(areaId: $a) { workingDays } }",
            json!({ "a": area }),
        )
        .await
        .ok();
    assert_eq!(clock["responseClock"]["workingDays"], 5);
    let second = raise(&app, p.ppg_member.token(), input).await;
    let item = app
        .graphql(
            p.commissioner.token(),
            ONE,
            json!({ "id": second["item"]["id"] }),
        )
        .await
        .ok();
    let due: chrono::NaiveDate = item["node"]["responseDueOn"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let days = (due - today).num_days();
    assert!(
        (5..=12).contains(&days),
        "5 working days: due in {days} days"
    );
}
