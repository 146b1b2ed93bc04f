//! Meetings: the agenda comes from the items waiting at the group; the minutes move them.

use serde_json::json;

use crate::helpers::{Pyramid, TestApp, gid};
use crate::items::{raise, soft_intelligence};

const SCHEDULE: &str = r#"
mutation($input: ScheduleMeetingInput!) {
  scheduleMeeting(input: $input) { meeting { id title agenda { title standing item { reference } } attendees { name } } }
}"#;

const MINUTES: &str = r#"
mutation($input: RecordMinutesInput!) {
  recordMinutes(input: $input) { meeting { minutesRecorded decisions { kind note item { reference status } } } }
}"#;

#[tokio::test]
async fn a_meetings_agenda_is_built_from_waiting_items_and_its_minutes_move_them() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let ppg = p.ppgs[0][0].0;
    let a = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(ppg, "Car park", "Full by 9am."),
    )
    .await;
    let b = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(ppg, "Late letters", "Results letters arrive late."),
    )
    .await;
    let c = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(ppg, "New chairs", "Waiting room chairs replaced."),
    )
    .await;

    let input = json!({ "input": {
        "groupId": gid("Group", ppg),
        "heldOn": "2026-12-03",
        "attendeeIds": [p.ppg_chair.gid(), p.ppg_member.gid()],
        "otherBusiness": ["Flu clinic volunteers"],
    } });
    assert_eq!(
        app.graphql(p.ppg_member.token(), SCHEDULE, input.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    let scheduled = app.graphql(p.ppg_chair.token(), SCHEDULE, input).await.ok();
    let meeting = &scheduled["scheduleMeeting"]["meeting"];
    assert_eq!(meeting["title"], "Meeting of 3 December 2026");
    let agenda: Vec<(String, bool)> = meeting["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["title"].as_str().unwrap().to_owned(),
                e["standing"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(agenda.len(), 5);
    assert_eq!(agenda[0], ("Patient experience".to_owned(), true));
    assert!(agenda[1].0.ends_with("Car park"));
    assert_eq!(agenda[4], ("Flu clinic volunteers".to_owned(), false));
    assert_eq!(
        meeting["attendees"],
        json!([{ "name": "Chris Chair" }, { "name": "Pat Member" }])
    );

    let minutes = json!({ "input": { "meetingId": meeting["id"], "minutes": [
        { "itemId": a["item"]["id"], "decision": "ESCALATE", "note": "Affects every practice in the district." },
        { "itemId": b["item"]["id"], "decision": "NOTED", "note": "Practice manager to look into it." },
        { "itemId": c["item"]["id"], "decision": "RESPOND", "note": "Thanked the practice.", "outcome": "NO_ACTION" },
    ] } });
    assert_eq!(
        app.graphql(p.ppg_member.token(), MINUTES, minutes.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    let recorded = app
        .graphql(p.ppg_chair.token(), MINUTES, minutes.clone())
        .await
        .ok();
    let meeting = &recorded["recordMinutes"]["meeting"];
    assert_eq!(meeting["minutesRecorded"], true);
    let decisions: Vec<(String, String)> = meeting["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["item"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        vec![
            ("ESCALATED".into(), "AT_DISTRICT".into()),
            ("NOTED".into(), "RAISED".into()),
            ("RESPONDED".into(), "RESPONDED".into())
        ]
    );
    assert_eq!(
        app.graphql(p.ppg_chair.token(), MINUTES, minutes)
            .await
            .code(),
        "CONFLICT",
        "minutes are recorded once"
    );

    let meetings = app
        .graphql(p.ppg_member.token(), "query($id: ID!) { node(id: $id) { ... on Group { meetings { edges { node { title minutesRecorded } } } } } }", json!({ "id": gid("Group", ppg) }))
        .await
        .ok();
    assert_eq!(
        meetings["node"]["meetings"]["edges"][0]["node"]["minutesRecorded"],
        true
    );
}

#[tokio::test]
async fn minutes_that_break_a_rule_change_nothing() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let ppg = p.ppgs[0][0].0;
    let a = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(ppg, "One", "First."),
    )
    .await;
    let b = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(ppg, "Two", "Second."),
    )
    .await;
    let scheduled = app
        .graphql(
            p.ppg_chair.token(),
            SCHEDULE,
            json!({ "input": { "groupId": gid("Group", ppg), "heldOn": "2026-12-03" } }),
        )
        .await
        .ok();
    let meeting = scheduled["scheduleMeeting"]["meeting"]["id"].clone();
    // The second minute is an answer without an outcome: the whole minutes are refused.
    let refused = app
        .graphql(
            p.ppg_chair.token(),
            MINUTES,
            json!({ "input": { "meetingId": meeting, "minutes": [
            { "itemId": a["item"]["id"], "decision": "ESCALATE" },
            { "itemId": b["item"]["id"], "decision": "RESPOND", "note": "Answered." },
        ] } }),
        )
        .await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "outcome")
    );
    let first = app
        .graphql(
            p.ppg_chair.token(),
            "query($r: String!) { item(reference: $r) { status events { kind } } }",
            json!({ "r": a["item"]["reference"] }),
        )
        .await
        .ok();
    assert_eq!(
        first["item"]["status"], "RAISED",
        "the first minute was rolled back too"
    );
    assert_eq!(first["item"]["events"].as_array().unwrap().len(), 1);
}
