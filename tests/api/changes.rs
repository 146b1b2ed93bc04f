//! A planned change is followed until it is made: an answer with ACTION_PLANNED names the
//! owner and the due date, the item comes back to the referring tier on that day ("was it
//! done?"), and the owner or a commissioner records it made, gives a new date, or abandons it.

use chrono::{Duration, NaiveDate, Utc};
use pyramid::domain::clock::uk_date;
use pyramid::entities::outbox;
use pyramid::services::changes;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Pyramid, TestApp, gid};
use crate::items::{raise, soft_intelligence};

const ESCALATE: &str =
    r#"mutation($id: ID!) { escalateItem(input: { itemId: $id }) { item { status } } }"#;

const RESPOND: &str = r#"
mutation($input: RespondToItemInput!) {
  respondToItem(input: $input) {
    item { status plannedChange { owner ownerMember { name } dueOn state overdue returnedAt madeOn } }
  }
}"#;

const CHANGE: &str = r#"
query($reference: String!) {
  item(reference: $reference) {
    status
    plannedChange { owner dueOn state overdue returnedAt madeOn }
    events { kind toStatus group { name } note }
    linkedItems { reference plannedChange { state } events { kind } }
  }
}"#;

const MADE: &str = r#"
mutation($input: RecordChangeMadeInput!) {
  recordChangeMade(input: $input) { item { plannedChange { state madeOn } } }
}"#;

const RESCHEDULE: &str = r#"
mutation($input: RescheduleChangeInput!) {
  rescheduleChange(input: $input) { item { plannedChange { state dueOn returnedAt } } }
}"#;

const ABANDON: &str = r#"
mutation($input: AbandonChangeInput!) {
  abandonChange(input: $input) { item { plannedChange { state } } }
}"#;

fn today() -> NaiveDate {
    uk_date(Utc::now())
}

/// An item raised at North A and referred by the council to the commissioners; returns its
/// id and reference.
async fn referred(app: &TestApp, p: &Pyramid, title: &str) -> (Value, String) {
    let raised = raise(
        app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, title, "Waited six hours for a call-back."),
    )
    .await;
    let id = raised["item"]["id"].clone();
    for who in [&p.ppg_chair, &p.district_secretary, &p.council_chair] {
        app.graphql(who.token(), ESCALATE, json!({ "id": id }))
            .await
            .ok();
    }
    (id, raised["item"]["reference"].as_str().unwrap().to_owned())
}

fn plan(id: &Value, due_on: NaiveDate) -> Value {
    json!({ "input": {
        "itemId": id,
        "answer": "The provider will add evening call-back clinicians.",
        "outcome": "ACTION_PLANNED",
        "change": { "owner": "the out-of-hours provider's clinical lead", "dueOn": due_on.to_string() },
    }})
}

#[tokio::test]
async fn an_answer_that_plans_a_change_says_who_owns_it_and_when_it_is_due() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let (id, reference) = referred(&app, &p, "Long waits for call-backs").await;
    let commissioner = p.commissioner.token();

    // Without a change, a plan is refused, and says what to give.
    let mut input = plan(&id, today());
    input["input"].as_object_mut().unwrap().remove("change");
    let refused = app.graphql(commissioner, RESPOND, input).await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.field(), "change");
    assert!(
        refused.message().contains("who owns it"),
        "{}",
        refused.message()
    );

    // A change with another outcome is refused too.
    let mut input = plan(&id, today());
    input["input"]["outcome"] = json!("NO_ACTION");
    let refused = app.graphql(commissioner, RESPOND, input).await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "change")
    );

    // A due date already gone is not a plan.
    let refused = app
        .graphql(
            commissioner,
            RESPOND,
            plan(&id, today() - Duration::days(1)),
        )
        .await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "change.dueOn")
    );

    // Nothing was answered by the refusals.
    let shown = app
        .graphql(commissioner, CHANGE, json!({ "reference": reference }))
        .await
        .ok();
    assert_eq!(shown["item"]["status"], "REFERRED");
    assert_eq!(shown["item"]["plannedChange"], Value::Null);

    // With the owner (a member) and the date, it is stored and shown.
    let due = today() + Duration::days(30);
    let mut input = plan(&id, due);
    input["input"]["change"]["ownerMemberId"] = json!(p.commissioner.gid());
    let answered = app.graphql(commissioner, RESPOND, input).await.ok();
    assert_eq!(
        answered["respondToItem"]["item"],
        json!({
            "status": "RESPONDED",
            "plannedChange": {
                "owner": "the out-of-hours provider's clinical lead",
                "ownerMember": { "name": "Commissioner" },
                "dueOn": due.to_string(),
                "state": "PLANNED",
                "overdue": false,
                "returnedAt": null,
                "madeOn": null,
            }
        })
    );
    // Whoever may see the item sees its change: the member who raised it too.
    let seen = app
        .graphql(
            p.ppg_member.token(),
            CHANGE,
            json!({ "reference": reference }),
        )
        .await
        .ok();
    assert_eq!(seen["item"]["plannedChange"]["state"], "PLANNED");
    // Someone in another district cannot see the item, nor its change.
    let hidden = app
        .graphql(
            p.south_member.token(),
            CHANGE,
            json!({ "reference": reference }),
        )
        .await
        .ok();
    assert_eq!(hidden["item"], Value::Null);
}

/// The CHANGE_DUE events of an item.
fn due_events(shown: &Value) -> Vec<Value> {
    shown["item"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "CHANGE_DUE")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_change_comes_back_to_the_referring_tier_once_on_its_due_date() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    app.graphql(
        p.admin.token(),
        "mutation($g: ID!) { linkChatChannel(input: { groupId: $g, channelId: \"555\" }) { group { name } } }",
        json!({ "g": gid("Group", p.council.0) }),
    )
    .await
    .ok();
    let (id, reference) = referred(&app, &p, "Long waits for call-backs").await;
    let due = today() + Duration::days(10);
    app.graphql(p.commissioner.token(), RESPOND, plan(&id, due))
        .await
        .ok();

    let now = Utc::now();
    assert_eq!(changes::return_due(&app.db, now).await.unwrap(), 0);
    let at_due = now + Duration::days(10);
    assert_eq!(changes::return_due(&app.db, at_due).await.unwrap(), 1);
    assert_eq!(
        changes::return_due(&app.db, at_due + Duration::hours(1))
            .await
            .unwrap(),
        0,
        "a change comes back once"
    );

    let shown = app
        .graphql(
            p.council_chair.token(),
            CHANGE,
            json!({ "reference": reference }),
        )
        .await
        .ok();
    let events = due_events(&shown);
    assert_eq!(events.len(), 1, "{shown:#}");
    assert_eq!(events[0]["group"]["name"], "Council");
    assert_eq!(events[0]["toStatus"], "RESPONDED");
    assert!(
        events[0]["note"]
            .as_str()
            .unwrap()
            .ends_with("Was it done?"),
        "{}",
        events[0]["note"]
    );
    assert!(shown["item"]["plannedChange"]["returnedAt"].is_string());

    // One message, to the council's channel, asking whether it was done.
    let asked = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("CHANGE_DUE"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].destination,
        format!("group-channel:{}", p.council.0)
    );
    let expected = format!(
        "{reference}: the change planned by the out-of-hours provider's clinical lead was due on {}. Was it done?",
        due.format("%-d %B %Y")
    );
    assert!(
        asked[0]
            .payload
            .contains(&format!("\"reference\":\"{reference}\""))
    );
    assert_eq!(
        pyramid::chat::reply::change_due(
            &pyramid::services::outbox::Message::from_stored(
                &asked[0].kind,
                &asked[0].dedupe_key,
                &asked[0].payload
            )
            .unwrap(),
            "https://pyramid.example"
        )
        .split(" If you know")
        .next(),
        Some(expected.as_str())
    );
}

#[tokio::test]
async fn the_commissioner_and_the_owner_follow_a_change_and_a_ppg_member_cannot() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let (id, reference) = referred(&app, &p, "Long waits for call-backs").await;
    let due = today() + Duration::days(10);
    let mut input = plan(&id, due);
    // The owner is the district secretary (a member, say the provider's lay partner).
    input["input"]["change"]["ownerMemberId"] = json!(p.district_secretary.gid());
    app.graphql(p.commissioner.token(), RESPOND, input)
        .await
        .ok();

    // A PPG member (who sees the item: they raised it) cannot record it.
    let refused = app
        .graphql(
            p.ppg_member.token(),
            MADE,
            json!({ "input": { "itemId": id, "note": "Done." } }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");

    // Rescheduling needs a reason.
    let later = today() + Duration::days(40);
    let refused = app
        .graphql(
            p.commissioner.token(),
            RESCHEDULE,
            json!({ "input": { "itemId": id, "dueOn": later.to_string(), "reason": " " } }),
        )
        .await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "reason")
    );

    // It came back at its due date; a new date clears that, and it comes back at the new one.
    assert_eq!(
        changes::return_due(&app.db, Utc::now() + Duration::days(10))
            .await
            .unwrap(),
        1
    );
    let moved = app
        .graphql(
            p.commissioner.token(),
            RESCHEDULE,
            json!({ "input": { "itemId": id, "dueOn": later.to_string(), "reason": "The new rota starts in the new year." } }),
        )
        .await
        .ok();
    assert_eq!(
        moved["rescheduleChange"]["item"]["plannedChange"],
        json!({ "state": "PLANNED", "dueOn": later.to_string(), "returnedAt": null })
    );
    assert_eq!(
        changes::return_due(&app.db, Utc::now() + Duration::days(20))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        changes::return_due(&app.db, Utc::now() + Duration::days(40))
            .await
            .unwrap(),
        1
    );

    // The owner member records it made.
    let made = app
        .graphql(
            p.district_secretary.token(),
            MADE,
            json!({ "input": { "itemId": id, "note": "Two evening clinicians since Monday." } }),
        )
        .await
        .ok();
    assert_eq!(
        made["recordChangeMade"]["item"]["plannedChange"],
        json!({ "state": "MADE", "madeOn": today().to_string() })
    );
    // Once made, it is no longer followed.
    let again = app
        .graphql(
            p.commissioner.token(),
            ABANDON,
            json!({ "input": { "itemId": id, "reason": "Changed our minds." } }),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT");
    let shown = app
        .graphql(
            p.ppg_member.token(),
            CHANGE,
            json!({ "reference": reference }),
        )
        .await
        .ok();
    let kinds: Vec<&str> = shown["item"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds[kinds.len() - 5..],
        [
            "RESPONDED",
            "CHANGE_DUE",
            "CHANGE_RESCHEDULED",
            "CHANGE_DUE",
            "CHANGE_MADE"
        ]
    );

    // The member who raised it is told the change was made.
    let told = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("ITEM_UPDATE"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        told.iter()
            .any(|row| row.payload.contains("\"event\":\"CHANGE_MADE\"")
                && row.payload.contains("Two evening clinicians since Monday.")),
        "{told:#?}"
    );
}

#[tokio::test]
async fn a_commissioner_abandons_a_change_with_a_reason_and_due_changes_are_listed() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let (first, _) = referred(&app, &p, "Long waits for call-backs").await;
    let (second, second_ref) = referred(&app, &p, "Pharmacy closed early").await;
    app.graphql(p.commissioner.token(), RESPOND, plan(&first, today()))
        .await
        .ok();
    app.graphql(
        p.commissioner.token(),
        RESPOND,
        plan(&second, today() + Duration::days(5)),
    )
    .await
    .ok();
    let due = app
        .graphql(
            p.commissioner.token(),
            "{ items(filter: { changeDue: true }) { edges { node { id } } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(due["items"]["edges"], json!([{ "node": { "id": first } }]));

    let refused = app
        .graphql(
            p.commissioner.token(),
            ABANDON,
            json!({ "input": { "itemId": second, "reason": "" } }),
        )
        .await;
    assert_eq!(refused.field(), "reason");
    let abandoned = app
        .graphql(
            p.commissioner.token(),
            ABANDON,
            json!({ "input": { "itemId": second, "reason": "The service is being recommissioned." } }),
        )
        .await
        .ok();
    assert_eq!(
        abandoned["abandonChange"]["item"]["plannedChange"]["state"],
        "ABANDONED"
    );
    // An abandoned change never comes back.
    assert_eq!(
        changes::return_due(&app.db, Utc::now() + Duration::days(6))
            .await
            .unwrap(),
        1,
        "only the first"
    );
    let shown = app
        .graphql(
            p.commissioner.token(),
            CHANGE,
            json!({ "reference": second_ref }),
        )
        .await
        .ok();
    assert!(due_events(&shown).is_empty());
    let area = changes::for_area(&app.db, p.council).await.unwrap();
    let states: Vec<&str> = area.iter().map(|c| c.state.as_str()).collect();
    assert_eq!(states, ["PLANNED", "ABANDONED"]);
}

const COMPILE: &str = r#"
mutation($input: CompileNewsletterInput!) {
  compileNewsletter(input: $input) { newsletter { entries { section heading body } } }
}"#;

/// The council's newsletter for the last month, as (section, heading and body) lines.
async fn council_newsletter(app: &TestApp, p: &Pyramid) -> Vec<(String, String)> {
    let input = json!({ "input": {
        "groupId": gid("Group", p.council.0),
        "periodStart": (today() - Duration::days(30)).to_string(),
        "periodEnd": today().to_string(),
    }});
    let compiled = app
        .graphql(p.council_chair.token(), COMPILE, input)
        .await
        .ok();
    compiled["compileNewsletter"]["newsletter"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["section"].as_str().unwrap().to_owned(),
                format!(
                    "{} {}",
                    e["heading"].as_str().unwrap(),
                    e["body"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_newsletter_says_done_only_once_the_change_was_recorded_made() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let (id, reference) = referred(&app, &p, "Long waits for call-backs").await;
    let due = today() + Duration::days(30);
    app.graphql(p.commissioner.token(), RESPOND, plan(&id, due))
        .await
        .ok();

    let planned = council_newsletter(&app, &p).await;
    let told: Vec<&(String, String)> = planned
        .iter()
        .filter(|(_, text)| text.contains(&reference))
        .collect();
    assert_eq!(told.len(), 1, "{planned:#?}");
    assert_eq!(told[0].0, "ANSWERS");
    assert!(
        told[0].1.contains(&format!(
            "Planned: the out-of-hours provider's clinical lead is to make the change by {}.",
            due.format("%-d %B %Y")
        )),
        "{}",
        told[0].1
    );
    assert!(!told[0].1.contains("Done"), "{}", told[0].1);
    assert!(!told[0].1.contains("made"), "{}", told[0].1);

    // A new date is told with the reason.
    let later = today() + Duration::days(60);
    app.graphql(
        p.commissioner.token(),
        r#"mutation($input: RescheduleChangeInput!) { rescheduleChange(input: $input) { item { id } } }"#,
        json!({ "input": { "itemId": id, "dueOn": later.to_string(), "reason": "The new rota starts in the new year." } }),
    )
    .await
    .ok();
    let moved = council_newsletter(&app, &p).await;
    let moved = moved
        .iter()
        .find(|(_, text)| text.contains(&reference))
        .unwrap();
    assert!(
        moved.1.contains(&format!(
            "The change has a new date: the out-of-hours provider's clinical lead is now to make it by {}. Why: The new rota starts in the new year.",
            later.format("%-d %B %Y")
        )),
        "{}",
        moved.1
    );
    assert!(!moved.1.contains("Done"), "{}", moved.1);

    app.graphql(
        p.commissioner.token(),
        MADE,
        json!({ "input": { "itemId": id, "note": "Two evening clinicians since Monday." } }),
    )
    .await
    .ok();
    let made = council_newsletter(&app, &p).await;
    let told: Vec<&(String, String)> = made
        .iter()
        .filter(|(_, text)| text.contains(&reference))
        .collect();
    assert_eq!(told.len(), 1, "one story per matter: {made:#?}");
    assert_eq!(told[0].0, "ANSWERS");
    assert!(
        told[0].1.contains(&format!(
            "Done: the change was made on {}. Two evening clinicians since Monday.",
            today().format("%-d %B %Y")
        )),
        "{}",
        told[0].1
    );
    assert_eq!(told[0].1.matches(&reference).count(), 1, "{}", told[0].1);
}

const SCHEDULE: &str = r#"
mutation($input: ScheduleMeetingInput!) {
  scheduleMeeting(input: $input) { meeting { id agenda { title item { reference } } } }
}"#;

const MINUTES: &str = r#"
mutation($input: RecordMinutesInput!) {
  recordMinutes(input: $input) { meeting { minutesRecorded } }
}"#;

#[tokio::test]
async fn minutes_plan_a_change_and_a_returned_change_is_on_the_next_agenda() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let ppg = p.ppgs[0][0].0;
    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(ppg, "Car park", "Full by 9am."),
    )
    .await;
    let reference = raised["item"]["reference"].as_str().unwrap().to_owned();
    let schedule = |held_on: NaiveDate| json!({ "input": { "groupId": gid("Group", ppg), "heldOn": held_on.to_string() } });
    let scheduled = app
        .graphql(p.ppg_chair.token(), SCHEDULE, schedule(today()))
        .await
        .ok();
    let meeting = scheduled["scheduleMeeting"]["meeting"]["id"].clone();
    let minute = |change: Option<Value>| {
        let mut minute = json!({
            "itemId": raised["item"]["id"],
            "decision": "RESPOND",
            "note": "The practice will mark out staff spaces elsewhere.",
            "outcome": "ACTION_PLANNED",
        });
        if let Some(change) = change {
            minute["change"] = change;
        }
        json!({ "input": { "meetingId": meeting, "minutes": [minute] } })
    };
    // The PPG answers its own item at its meeting; a plan needs its owner and date there too.
    let refused = app
        .graphql(p.ppg_chair.token(), MINUTES, minute(None))
        .await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "change")
    );
    let due = today() + Duration::days(14);
    app.graphql(
        p.ppg_chair.token(),
        MINUTES,
        minute(Some(
            json!({ "owner": "the practice manager", "dueOn": due.to_string() }),
        )),
    )
    .await
    .ok();
    let shown = app
        .graphql(
            p.ppg_chair.token(),
            CHANGE,
            json!({ "reference": reference }),
        )
        .await
        .ok();
    assert_eq!(
        shown["item"]["plannedChange"]["owner"],
        "the practice manager"
    );
    assert_eq!(shown["item"]["plannedChange"]["dueOn"], due.to_string());

    // Answered, it is off the agenda; back at its due date, it is on the next one.
    let agenda_titles = |scheduled: &Value| -> Vec<String> {
        scheduled["scheduleMeeting"]["meeting"]["agenda"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !e["item"].is_null())
            .map(|e| e["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let next = app
        .graphql(
            p.ppg_chair.token(),
            SCHEDULE,
            schedule(today() + Duration::days(7)),
        )
        .await
        .ok();
    assert!(agenda_titles(&next).is_empty(), "{next:#}");
    changes::return_due(&app.db, Utc::now() + Duration::days(14))
        .await
        .unwrap();
    let after = app
        .graphql(
            p.ppg_chair.token(),
            SCHEDULE,
            schedule(today() + Duration::days(21)),
        )
        .await
        .ok();
    assert_eq!(
        agenda_titles(&after),
        [format!(
            "{reference}: Car park: was the planned change made?"
        )]
    );
    // The chair of the PPG is not a commissioner and does not own the change: the practice
    // manager's word is recorded by the commissioners.
    let refused = app
        .graphql(
            p.ppg_chair.token(),
            MADE,
            json!({ "input": { "itemId": raised["item"]["id"] } }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    app.graphql(
        p.commissioner.token(),
        MADE,
        json!({ "input": { "itemId": raised["item"]["id"] } }),
    )
    .await
    .ok();
    let last = app
        .graphql(
            p.ppg_chair.token(),
            SCHEDULE,
            schedule(today() + Duration::days(28)),
        )
        .await
        .ok();
    assert!(
        agenda_titles(&last).is_empty(),
        "made, it is off the agenda"
    );
}

#[tokio::test]
async fn a_change_to_a_matter_of_linked_reports_is_followed_once_and_told_to_each_submitter() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    // Two reports from the district's two PPGs, taken up together as one matter.
    let lead = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Long waits", "Six hours for a call-back."),
    )
    .await;
    let follower = raise(
        &app,
        p.north_b_chair.token(),
        soft_intelligence(
            p.ppgs[0][1].0,
            "No call-back",
            "Nobody called back overnight.",
        ),
    )
    .await;
    app.graphql(
        p.ppg_chair.token(),
        ESCALATE,
        json!({ "id": lead["item"]["id"] }),
    )
    .await
    .ok();
    app.graphql(
        p.north_b_chair.token(),
        ESCALATE,
        json!({ "id": follower["item"]["id"] }),
    )
    .await
    .ok();
    app.graphql(
        p.district_secretary.token(),
        "mutation($id: ID!, $other: ID!) { escalateItem(input: { itemId: $id, linkItemIds: [$other] }) { item { status } } }",
        json!({ "id": lead["item"]["id"], "other": follower["item"]["id"] }),
    )
    .await
    .ok();
    app.graphql(
        p.council_chair.token(),
        ESCALATE,
        json!({ "id": lead["item"]["id"] }),
    )
    .await
    .ok();
    let id = lead["item"]["id"].clone();
    app.graphql(
        p.commissioner.token(),
        RESPOND,
        plan(&id, today() + Duration::days(7)),
    )
    .await
    .ok();

    // The follower shows its lead's change; it is followed on the lead only.
    let on_follower = app
        .graphql(
            p.commissioner.token(),
            MADE,
            json!({ "input": { "itemId": follower["item"]["id"] } }),
        )
        .await;
    assert_eq!(on_follower.code(), "CONFLICT");
    assert!(
        on_follower
            .message()
            .contains(lead["item"]["reference"].as_str().unwrap()),
        "{}",
        on_follower.message()
    );

    // Two instances' workers at the same moment bring it back once.
    let at_due = Utc::now() + Duration::days(7);
    let (one, other) = tokio::join!(
        changes::return_due(&app.db, at_due),
        changes::return_due(&app.db, at_due)
    );
    assert_eq!(one.unwrap() + other.unwrap(), 1);

    app.graphql(
        p.commissioner.token(),
        MADE,
        json!({ "input": { "itemId": id, "note": "Two evening clinicians since Monday." } }),
    )
    .await
    .ok();
    // The commissioner sees both reports (a PPG member sees only their own PPG's).
    let shown = app
        .graphql(
            p.commissioner.token(),
            CHANGE,
            json!({ "reference": lead["item"]["reference"] }),
        )
        .await
        .ok();
    let linked = &shown["item"]["linkedItems"][0];
    assert_eq!(linked["plannedChange"]["state"], "MADE");
    let follower_kinds: Vec<&str> = linked["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(follower_kinds.last(), Some(&"CHANGE_MADE"));
    assert_eq!(
        due_events(&shown).len(),
        1,
        "the referring tier is asked once"
    );

    // Each of the two submitters is told that the change was made.
    let told: Vec<i64> = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("ITEM_UPDATE"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.payload.contains("\"event\":\"CHANGE_MADE\""))
        .filter_map(|row| {
            pyramid::services::outbox::Destination::parse(&row.destination)
                .and_then(|d| d.member())
                .map(|m| m.0)
        })
        .collect();
    let mut told = told;
    told.sort();
    told.dedup();
    let mut expected = vec![p.ppg_member.id.0, p.north_b_chair.id.0];
    expected.sort();
    assert_eq!(told, expected);
}
