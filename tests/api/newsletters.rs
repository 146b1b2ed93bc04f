//! Newsletters come down: compiled from a tier's own activity, edited, published once,
//! received by every group below, delivered once per chat channel, readable by everyone.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{Duration, Utc};
use pyramid::domain::delivery::Medium;
use pyramid::services::outbox::Destination;
use pyramid::workers::{Courier, Delivering, Failure, OutboxWorker, Parcel};
use serde_json::{Value, json};

use crate::helpers::{Pyramid, TestApp, gid};

/// The month the test's items were raised and moved in, as a newsletter names it.
fn this_month() -> String {
    pyramid::domain::clock::uk_date(Utc::now())
        .format("%B")
        .to_string()
}
use crate::items::{raise, soft_intelligence};

/// A courier that records what it delivered and fails on request.
#[derive(Default)]
pub struct RecordingCourier {
    pub delivered: Mutex<Vec<Parcel>>,
    pub failures: Mutex<HashMap<String, usize>>,
}

impl RecordingCourier {
    pub fn fail_next(&self, destination: &Destination, times: usize) {
        self.failures
            .lock()
            .unwrap()
            .insert(destination.as_string(), times);
    }

    pub fn delivered_to(&self) -> Vec<String> {
        let mut to: Vec<String> = self
            .delivered
            .lock()
            .unwrap()
            .iter()
            .map(|p| p.destination.as_string())
            .collect();
        to.sort();
        to
    }
}

impl Courier for RecordingCourier {
    /// It stands in for Discord and the mail server; recordings are the speech courier's.
    fn media(&self) -> Vec<Medium> {
        vec![Medium::Chat, Medium::Email]
    }

    fn deliver<'a>(&'a self, parcel: &'a Parcel) -> Delivering<'a> {
        Box::pin(async move {
            let key = parcel.destination.as_string();
            if let Some(left) = self
                .failures
                .lock()
                .unwrap()
                .get_mut(&key)
                .filter(|n| **n > 0)
            {
                *left -= 1;
                return Err(Failure::Retry {
                    reason: "Discord answered 500".into(),
                    after: None,
                });
            }
            self.delivered.lock().unwrap().push(parcel.clone());
            Ok(())
        })
    }
}

pub(crate) const COMPILE: &str = r#"
mutation($input: CompileNewsletterInput!) {
  compileNewsletter(input: $input) { newsletter { id title status entries { id position section heading body item { reference } } } }
}"#;

pub(crate) const PUBLISH: &str = r#"
mutation($id: ID!) { publishNewsletter(input: { id: $id }) { publishedNow newsletter { status receivedBy { name } } } }
"#;

const ESCALATE: &str =
    r#"mutation($id: ID!) { escalateItem(input: { itemId: $id }) { item { status } } }"#;

pub(crate) fn period() -> Value {
    let today = Utc::now().date_naive();
    json!({ "periodStart": (today - Duration::days(90)).to_string(), "periodEnd": today.to_string() })
}

/// A quarter at the North district: items came up from its PPGs, one went on to the council
/// and was answered, one was closed at the district, one is a safety concern, one waits.
pub(crate) async fn busy_quarter(app: &TestApp, p: &Pyramid) {
    let north_a = p.ppgs[0][0].0;
    let came_up = raise(
        app,
        p.ppg_member.token(),
        soft_intelligence(
            north_a,
            "Long waits for call-backs",
            "Six hours for a call-back.",
        ),
    )
    .await;
    let went_on = raise(
        app,
        p.ppg_member.token(),
        soft_intelligence(north_a, "Pharmacy closed early", "Closed at 4pm twice."),
    )
    .await;
    let closed = raise(
        app,
        p.ppg_member.token(),
        soft_intelligence(north_a, "Signage", "Hard to find the entrance."),
    )
    .await;
    let mut safety = soft_intelligence(
        north_a,
        "Wrong medication",
        "Given someone else's tablets. Patient on 07700 900123.",
    );
    safety["safetyConcern"] = json!(true);
    raise(app, p.ppg_member.token(), safety).await;
    for item in [&came_up, &went_on, &closed] {
        app.graphql(
            p.ppg_chair.token(),
            ESCALATE,
            json!({ "id": item["item"]["id"] }),
        )
        .await
        .ok();
    }
    app.graphql(
        p.district_secretary.token(),
        ESCALATE,
        json!({ "id": went_on["item"]["id"] }),
    )
    .await
    .ok();
    app.graphql(
        p.council_chair.token(),
        ESCALATE,
        json!({ "id": went_on["item"]["id"] }),
    )
    .await
    .ok();
    app.graphql(
        p.commissioner.token(),
        "mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: \"Opening hours restored to 6pm.\", outcome: CHANGE_MADE }) { item { status } } }",
        json!({ "id": went_on["item"]["id"] }),
    )
    .await
    .ok();
    app.graphql(
        p.district_secretary.token(),
        "mutation($id: ID!) { closeItem(input: { itemId: $id, note: \"New signs are up.\" }) { item { status } } }",
        json!({ "id": closed["item"]["id"] }),
    )
    .await
    .ok();
}

fn sections(newsletter: &Value) -> Vec<String> {
    newsletter["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["section"].as_str().unwrap().to_owned())
        .collect()
}

async fn link_channels(app: &TestApp, p: &Pyramid, groups: &[(i64, &str)]) {
    for (group, channel) in groups {
        app.graphql(
            p.admin.token(),
            "mutation($g: ID!, $c: String!) { linkChatChannel(input: { groupId: $g, channelId: $c }) { group { name } } }",
            json!({ "g": gid("Group", *group), "c": channel }),
        )
        .await
        .ok();
    }
}

#[tokio::test]
async fn a_district_newsletter_is_compiled_edited_published_and_delivered_once_to_each_ppg() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    busy_quarter(&app, &p).await;
    let secretary = p.district_secretary.token();
    let mut input = period();
    input["groupId"] = json!(gid("Group", p.districts[0].0));

    // Only the district's officers compile; a PPG cannot issue one.
    assert_eq!(
        app.graphql(p.ppg_member.token(), COMPILE, json!({ "input": input }))
            .await
            .code(),
        "FORBIDDEN"
    );
    let mut ppg_input = input.clone();
    ppg_input["groupId"] = json!(gid("Group", p.ppgs[0][0].0));
    assert_eq!(
        app.graphql(p.ppg_chair.token(), COMPILE, json!({ "input": ppg_input }))
            .await
            .field(),
        "groupId"
    );

    let compiled = app
        .graphql(secretary, COMPILE, json!({ "input": input }))
        .await
        .ok();
    let draft = &compiled["compileNewsletter"]["newsletter"];
    assert_eq!(draft["status"], "DRAFT");
    assert!(
        draft["title"]
            .as_str()
            .unwrap()
            .starts_with("North newsletter, ")
    );
    assert_eq!(
        sections(draft),
        ["SAFETY", "ANSWERS", "RECEIVED", "CLOSED"],
        "one entry per matter, where it ended up: {draft:#}"
    );
    let all = draft["entries"].as_array().unwrap();
    // No matter is told twice: each reference appears once in the whole newsletter.
    let mut references: Vec<String> = all
        .iter()
        .flat_map(|e| {
            let text = format!("{} {}", e["heading"], e["body"]);
            text.match_indices("SI-2026-")
                .map(|(at, _)| text[at..at + 14].to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let told = references.len();
    references.sort();
    references.dedup();
    assert_eq!(references.len(), told, "{references:?}");
    assert_eq!(told, 4);
    // The safety concern raised at a PPG reached the district at once; the newsletter gives
    // its reference, status and how long it has waited, not what it says.
    let safety = &all[0];
    assert!(
        safety["heading"]
            .as_str()
            .unwrap()
            .starts_with("Safety concern SI-2026-")
    );
    assert!(
        safety["body"]
            .as_str()
            .unwrap()
            .contains("waiting for their answer for"),
        "{safety}"
    );
    let entries = &all[1..];
    assert_eq!(
        entries[0]["heading"],
        "Pharmacy closed early (Staffordshire Out-of-Hours GP Service)"
    );
    // Everything happened this month, so the month is said once; the answer to a referred
    // item is the commissioners'.
    let month = this_month();
    assert!(
        entries[0]["body"].as_str().unwrap().starts_with(&format!(
            "Brought to us by North A in {month}. We took it to Council. The commissioners answered: Opening hours restored to 6pm. (Change made.)"
        )),
        "what happened across the period: {}",
        entries[0]["body"]
    );
    assert!(
        entries[2]["body"]
            .as_str()
            .unwrap()
            .contains("Resolved: New signs are up.")
    );
    assert!(
        entries[1]["body"]
            .as_str()
            .unwrap()
            .contains("we will discuss it at our next meeting")
    );
    // No personal data: no names of members, nothing the redactor removed.
    let text = draft.to_string();
    for personal in ["Pat Member", "Chris Chair", "North Secretary", "07700"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    // The safety concern is there by reference only: not its title, not its text.
    assert!(!text.contains("Wrong medication"));
    assert!(!text.contains("tablets"));

    // The draft is the officers' alone.
    let id = draft["id"].clone();
    let peek = app
        .graphql(
            p.ppg_member.token(),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(peek["node"], Value::Null);
    let number = String::from_utf8(base64_decode(id.as_str().unwrap()))
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get(&format!("/newsletters/{number}")).await.status(),
        404
    );

    // The secretary edits: an introduction, a rewrite, a removal, a move and a free entry.
    let edit = |query: &'static str, variables: Value| {
        let app = &app;
        async move { app.graphql(secretary, query, variables).await.ok() }
    };
    edit("mutation($id: ID!) { updateNewsletter(input: { id: $id, introduction: \"Thank you to every PPG that sent us feedback.\" }) { newsletter { id } } }", json!({ "id": id })).await;
    edit("mutation($e: ID!) { updateNewsletterEntry(input: { entryId: $e, body: \"Three PPGs told us about long waits; we took it to the council.\" }) { newsletter { id } } }", json!({ "e": entries[1]["id"] })).await;
    edit(
        "mutation($e: ID!) { removeNewsletterEntry(input: { entryId: $e }) { newsletter { id } } }",
        json!({ "e": all[0]["id"] }),
    )
    .await;
    edit("mutation($e: ID!) { moveNewsletterEntry(input: { entryId: $e, position: 1 }) { newsletter { id } } }", json!({ "e": entries[2]["id"] })).await;
    let edited = edit(
        "mutation($id: ID!) { addNewsletterEntry(input: { newsletterId: $id, heading: \"Have your say\", body: \"The consultation on GP opening hours is open until 31 January.\", position: 2 }) { newsletter { introduction entries { section heading body } } } }",
        json!({ "id": id }),
    )
    .await;
    let edited = &edited["addNewsletterEntry"]["newsletter"];
    assert_eq!(
        edited["introduction"],
        "Thank you to every PPG that sent us feedback."
    );
    assert_eq!(
        sections(edited),
        ["CLOSED", "NOTICE", "ANSWERS", "RECEIVED"]
    );
    assert_eq!(
        edited["entries"][3]["body"],
        "Three PPGs told us about long waits; we took it to the council."
    );

    // Two of the district's PPGs have chat channels; the other district's PPG has one too.
    link_channels(
        &app,
        &p,
        &[
            (p.ppgs[0][0].0, "1001"),
            (p.ppgs[0][1].0, "1002"),
            (p.ppgs[1][0].0, "2001"),
        ],
    )
    .await;
    let published = app
        .graphql(secretary, PUBLISH, json!({ "id": id }))
        .await
        .ok();
    let published = &published["publishNewsletter"];
    assert_eq!(published["publishedNow"], true);
    assert_eq!(
        published["newsletter"]["receivedBy"],
        json!([{ "name": "North A" }, { "name": "North B" }])
    );
    let again = app
        .graphql(secretary, PUBLISH, json!({ "id": id }))
        .await
        .ok();
    assert_eq!(
        again["publishNewsletter"]["publishedNow"], false,
        "a double click publishes once"
    );
    assert_eq!(
        app.graphql(secretary, "mutation($id: ID!) { removeNewsletterEntry(input: { entryId: $id }) { newsletter { id } } }", json!({ "id": entries[1]["id"] })).await.code(),
        "CONFLICT",
        "a published newsletter is frozen"
    );

    // Each PPG received it, and lists it.
    let received = app
        .graphql(p.ppg_member.token(), "query($g: ID!) { newsletters(groupId: $g, received: true) { edges { node { title status } } } }", json!({ "g": gid("Group", p.ppgs[0][0].0) }))
        .await
        .ok();
    assert_eq!(
        received["newsletters"]["edges"].as_array().unwrap().len(),
        1
    );
    let south = app
        .graphql(None, "query($g: ID!) { newsletters(groupId: $g, received: true) { edges { node { title } } } }", json!({ "g": gid("Group", p.ppgs[1][0].0) }))
        .await
        .ok();
    assert_eq!(south["newsletters"]["edges"], json!([]));

    // Delivery: one post per linked PPG channel, once, with a failure retried.
    let courier = std::sync::Arc::new(RecordingCourier::default());
    courier.fail_next(&Destination::GroupChannel(p.ppgs[0][1]), 1);
    let worker = OutboxWorker::new(app.db.clone(), courier.clone());
    let now = Utc::now();
    let newsletter_posts = || -> Vec<String> {
        courier
            .delivered
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.message.kind() == "NEWSLETTER")
            .map(|p| p.destination.as_string())
            .collect()
    };
    // (The outbox also holds the members' notices about their items; they go too.)
    let first = worker.drain(now).await.unwrap();
    assert_eq!(first.retrying, 1);
    assert_eq!(
        newsletter_posts(),
        vec![format!("group-channel:{}", p.ppgs[0][0].0)]
    );
    let idle = worker.drain(now).await.unwrap();
    assert_eq!(
        (idle.delivered, idle.retrying),
        (0, 0),
        "the retry waits its back-off"
    );
    let retried = worker.drain(now + Duration::hours(1)).await.unwrap();
    assert_eq!(retried.delivered, 1);
    assert_eq!(
        worker
            .drain(now + Duration::days(1))
            .await
            .unwrap()
            .delivered,
        0,
        "nothing is sent twice"
    );
    assert_eq!(
        newsletter_posts(),
        vec![
            format!("group-channel:{}", p.ppgs[0][0].0),
            format!("group-channel:{}", p.ppgs[0][1].0)
        ]
    );
    let status = app
        .graphql(secretary, "query($id: ID!) { node(id: $id) { ... on Newsletter { deliveries { group { name } status attempts } } } }", json!({ "id": id }))
        .await
        .ok();
    assert_eq!(
        status["node"]["deliveries"],
        json!([{ "group": { "name": "North A" }, "status": "DELIVERED", "attempts": 1 }, { "group": { "name": "North B" }, "status": "DELIVERED", "attempts": 2 }])
    );

    // Published, it is a public document in every format.
    let html = app.get(&format!("/newsletters/{number}")).await;
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(html.contains("<html lang=\"en-GB\" dir=\"ltr\">"));
    assert!(html.contains("<h2 id=\"section-0\">Resolved</h2>"));
    assert!(html.contains("<h2 id=\"section-1\">Notices</h2>"));
    assert!(html.contains("<h3>Have your say</h3>"));
    assert!(html.contains("<p>Thank you to every PPG that sent us feedback.</p>"));
    let large = app
        .get(&format!("/newsletters/{number}?format=large-print"))
        .await
        .text()
        .await
        .unwrap();
    assert!(large.contains("(large print)") && large.contains("font-size: 1.5rem"));
    let text = app.get(&format!("/newsletters/{number}.txt")).await;
    assert_eq!(text.headers()["content-type"], "text/plain; charset=utf-8");
    let text = text.text().await.unwrap();
    assert!(text.contains(&format!("\n\nYou said, we did\n\n1. Pharmacy closed early (Staffordshire Out-of-Hours GP Service).\nBrought to us by North A in {}. We took it to Council. The commissioners answered: Opening hours restored to 6pm. (Change made.) Reference SI-2026-", this_month())), "{text}");
    let markdown = app
        .get(&format!("/newsletters/{number}.md"))
        .await
        .text()
        .await
        .unwrap();
    assert!(markdown.contains("## Notices\n\n- **Have your say**: The consultation on GP opening hours is open until 31 January.\n"), "{markdown}");
}

#[tokio::test]
async fn a_council_newsletter_reaches_every_district_and_ppg_below() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut input = period();
    input["groupId"] = json!(gid("Group", p.council.0));
    let compiled = app
        .graphql(p.council_chair.token(), COMPILE, json!({ "input": input }))
        .await
        .ok();
    let id = compiled["compileNewsletter"]["newsletter"]["id"].clone();
    link_channels(
        &app,
        &p,
        &[
            (p.districts[0].0, "3001"),
            (p.ppgs[1][1].0, "3002"),
            (p.council.0, "3003"),
        ],
    )
    .await;
    let published = app
        .graphql(p.council_chair.token(), PUBLISH, json!({ "id": id }))
        .await
        .ok();
    let mut names: Vec<String> = published["publishNewsletter"]["newsletter"]["receivedBy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["North", "North A", "North B", "South", "South A", "South B"]
    );
    for group in [p.districts[1], p.ppgs[0][1]] {
        let received = app
            .graphql(None, "query($g: ID!) { newsletters(groupId: $g, received: true) { edges { node { issuer { name } } } } }", json!({ "g": gid("Group", group.0) }))
            .await
            .ok();
        assert_eq!(
            received["newsletters"]["edges"][0]["node"]["issuer"]["name"],
            "Council"
        );
    }
    let courier = std::sync::Arc::new(RecordingCourier::default());
    OutboxWorker::new(app.db.clone(), courier.clone())
        .drain(Utc::now())
        .await
        .unwrap();
    assert_eq!(
        courier.delivered_to(),
        vec![
            format!("group-channel:{}", p.districts[0].0),
            format!("group-channel:{}", p.ppgs[1][1].0)
        ],
        "every linked channel below the council, and not the council's own"
    );
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}
