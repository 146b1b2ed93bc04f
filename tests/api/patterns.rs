//! Patterns of concern, tried the way a district secretary, a council member and an
//! information-governance lead would: the reference case (three PPGs report the out-of-hours
//! service; a fourth, in another district, moves the pattern to the council), dismissal and
//! reopening, counts without text for those who may not read the reports, a PPG that reported
//! nothing seeing nothing, themes suggested and corrected, severity's fast path, providers
//! matched from the register, watches' digests, and incremental detection giving what a rebuild
//! from scratch gives.

use pyramid::domain::authz::Actor;
use pyramid::domain::group::GroupKind;
use pyramid::domain::member::Role;
use pyramid::domain::provider::ProviderKind;
use pyramid::domain::{GroupId, ProviderId};
use pyramid::entities::{outbox, pattern};
use pyramid::services::{groups, members, providers};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{Person, Pyramid, TestApp, gid};

const OUT_OF_HOURS: &str = "Staffordshire Out-of-Hours GP Service";

const RAISE: &str = r#"
mutation($input: RaiseItemInput!) {
  raiseItem(input: $input) {
    item { id reference provider { name } themes { theme { slug } polarity suggested suggestedBy { phrase } } }
    patternNotice
  }
}"#;

const PATTERNS: &str = r#"
query($filter: PatternFilterInput) {
  patterns(filter: $filter) { edges { node {
    id title status group { name } ppgCount itemCount
    byPpg { ppg { name } count }
    byMonth { month count }
    trend { recent earlier direction }
    items { reference title }
    dismissedReason reopenedBecause
    events { kind group { name } note }
  } } }
}"#;

const ONE: &str =
    r#"query($id: ID!) { pattern(id: $id) { id status itemCount items { reference } } }"#;

/// The reference area with a third and a fourth PPG in the first district, and the
/// out-of-hours service in the register.
struct World {
    app: TestApp,
    p: Pyramid,
    north_c: Person,
    north_c_group: GroupId,
    /// A member of a fourth PPG of the district, which reports nothing.
    north_d: Person,
    south_b: Person,
    provider: ProviderId,
}

async fn person(app: &TestApp, name: &str, group: GroupId, role: Role) -> Person {
    let membership = members::add_member(
        &app.db,
        &Actor::System,
        members::AddMember {
            group_id: group,
            member: members::MemberRef::New {
                name: name.into(),
                email: Some(format!("{}@patterns.example", name.replace(' ', "."))),
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

async fn ppg(app: &TestApp, name: &str, district: GroupId, code: &str) -> GroupId {
    groups::create(
        &app.db,
        &Actor::System,
        groups::NewGroup {
            kind: GroupKind::Ppg,
            name: name.into(),
            parent_id: Some(district),
            practice_code: Some(code.into()),
        },
    )
    .await
    .unwrap()
    .id
}

impl World {
    async fn build() -> World {
        let app = TestApp::spawn().await;
        let p = Pyramid::build(&app).await;
        let c = ppg(&app, "North C", p.districts[0], "A00005").await;
        let d = ppg(&app, "North D", p.districts[0], "A00006").await;
        let north_c = person(&app, "Cat Member", c, Role::Member).await;
        let north_d = person(&app, "Dee Member", d, Role::Member).await;
        let south_b = person(&app, "Sol Member", p.ppgs[1][1], Role::Member).await;
        let provider = providers::create(
            &app.db,
            &Actor::System,
            providers::NewProvider {
                name: OUT_OF_HOURS.into(),
                kind: ProviderKind::OutOfHours,
                ods_code: Some("NLO01".into()),
                parent_id: None,
            },
        )
        .await
        .unwrap()
        .id;
        World {
            app,
            p,
            north_c,
            north_c_group: c,
            north_d,
            south_b,
            provider,
        }
    }

    /// A report of the out-of-hours service, naming it as a member types it.
    async fn report(&self, who: &Person, group: GroupId, title: &str) -> Value {
        let input = json!({
            "groupId": gid("Group", group.0),
            "kind": "SOFT_INTELLIGENCE",
            "title": title,
            "body": "Waited hours overnight for a call-back; nobody rang.",
            "providerName": "staffordshire out-of-hours",
            "sentiment": "NEGATIVE",
            "informationSource": "HEARD_FROM_ANOTHER_PATIENT",
        });
        let raised = self
            .app
            .graphql(who.token(), RAISE, json!({ "input": input }))
            .await
            .ok();
        raised["raiseItem"].clone()
    }

    async fn patterns(&self, who: &Person, filter: Value) -> Vec<Value> {
        let found = self
            .app
            .graphql(who.token(), PATTERNS, json!({ "filter": filter }))
            .await
            .ok();
        found["patterns"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    }

    /// The provider-wide pattern `who` sees, if any.
    async fn provider_pattern(&self, who: &Person) -> Option<Value> {
        let found = self
            .patterns(
                who,
                json!({ "providerOnly": true, "providerId": gid("Provider", self.provider.0) }),
            )
            .await;
        assert!(found.len() <= 1, "one provider-wide pattern: {found:#?}");
        found.into_iter().next()
    }

    async fn alerts_for(&self, member: &Person) -> Vec<outbox::Model> {
        outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("PATTERN_ALERT"))
            .filter(outbox::Column::Destination.eq(format!("member:{}", member.id.0)))
            .order_by_asc(outbox::Column::Id)
            .all(&self.app.db)
            .await
            .unwrap()
    }
}

fn names(list: &Value, key: &str) -> Vec<(String, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row[key]["name"].as_str().unwrap().to_owned(),
                row["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn kinds(pattern: &Value) -> Vec<String> {
    pattern["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_reference_case_opens_at_the_district_moves_to_the_council_and_reopens() {
    let w = World::build().await;
    let p = &w.p;
    let first = w
        .report(&p.ppg_member, p.ppgs[0][0], "Hours waiting for a call-back")
        .await;
    // The typed name is linked to the register entry.
    assert_eq!(first["item"]["provider"]["name"], OUT_OF_HOURS);
    assert_eq!(
        first["patternNotice"],
        Value::Null,
        "one PPG is not a pattern"
    );
    assert_eq!(w.provider_pattern(&p.district_secretary).await, None);

    let second = w
        .report(
            &p.north_b_chair,
            p.ppgs[0][1],
            "Doctor unreachable at the weekend",
        )
        .await;
    assert_eq!(
        second["patternNotice"],
        "1 other PPG reported this provider in the last 90 days; North has been told."
    );
    let third = w
        .report(
            &w.north_c,
            w.north_c_group,
            "No home visit for a frail patient",
        )
        .await;
    assert_eq!(
        third["patternNotice"],
        "2 other PPGs reported this provider in the last 90 days; North has been told."
    );

    // The district sees one pattern with all three PPGs, as counts: none of the reports
    // has been escalated, so it may open none of them.
    let pattern = w
        .provider_pattern(&p.district_secretary)
        .await
        .expect("a pattern");
    assert_eq!(pattern["title"], OUT_OF_HOURS);
    assert_eq!(pattern["status"], "OPEN");
    assert_eq!(pattern["group"]["name"], "North");
    assert_eq!(
        (pattern["ppgCount"].as_i64(), pattern["itemCount"].as_i64()),
        (Some(3), Some(3))
    );
    let mut by_ppg = names(&pattern["byPpg"], "ppg");
    by_ppg.sort();
    assert_eq!(
        by_ppg,
        vec![
            ("North A".into(), 1),
            ("North B".into(), 1),
            ("North C".into(), 1)
        ]
    );
    assert_eq!(pattern["byMonth"][0]["count"], 3);
    assert_eq!(pattern["trend"]["direction"], "RISING");
    assert_eq!(
        pattern["items"],
        json!([]),
        "counts only, never text it may not read"
    );
    // The district's officers were told, once.
    assert_eq!(w.alerts_for(&p.district_secretary).await.len(), 1);
    let alert = &w.alerts_for(&p.district_secretary).await[0];
    assert!(
        alert.payload.contains("\"change\":\"OPENED\""),
        "{}",
        alert.payload
    );
    assert!(
        !alert.payload.contains("call-back"),
        "no report text in the alert"
    );

    // Once one report is escalated to the district, that one (and only that one) opens.
    let escalated = w
        .app
        .graphql(
            p.ppg_chair.token(),
            r#"mutation($id: ID!) { escalateItem(input: { itemId: $id }) { item { status } } }"#,
            json!({ "id": first["item"]["id"] }),
        )
        .await
        .ok();
    assert_eq!(escalated["escalateItem"]["item"]["status"], "AT_DISTRICT");
    let pattern = w.provider_pattern(&p.district_secretary).await.unwrap();
    assert_eq!(
        pattern["items"],
        json!([{ "reference": first["item"]["reference"], "title": "Hours waiting for a call-back" }])
    );

    // A member of the district's fourth PPG, which reported nothing, sees nothing of it.
    assert_eq!(w.patterns(&w.north_d, json!({})).await, Vec::<Value>::new());
    let hidden = w
        .app
        .graphql(w.north_d.token(), ONE, json!({ "id": pattern["id"] }))
        .await
        .ok();
    assert_eq!(hidden["pattern"], Value::Null);
    // Nor does a plain member of a PPG that did report: patterns are for the tiers above.
    assert_eq!(
        w.patterns(&p.ppg_member, json!({})).await,
        Vec::<Value>::new()
    );

    // A fourth report, from the other district, moves it to the council.
    let fourth = w
        .report(&p.south_member, p.ppgs[1][0], "Call-back never came")
        .await;
    assert_eq!(
        fourth["patternNotice"],
        "3 other PPGs reported this provider in the last 90 days; Council has been told."
    );
    let pattern = w
        .provider_pattern(&p.council_chair)
        .await
        .expect("the council sees it");
    assert_eq!(pattern["group"]["name"], "Council");
    assert_eq!(
        (pattern["ppgCount"].as_i64(), pattern["itemCount"].as_i64()),
        (Some(4), Some(4))
    );
    assert_eq!(kinds(&pattern), ["OPENED", "GREW", "GREW", "MOVED"]);
    assert_eq!(
        w.alerts_for(&p.council_chair).await.len(),
        1,
        "the council's officers are told"
    );
    // The district whose PPGs started it still sees it (its own PPGs are part of it).
    assert!(w.provider_pattern(&p.district_secretary).await.is_some());
    assert!(w.provider_pattern(&w.north_d).await.is_none());

    // Only the owner's officers act on it.
    let refused = w
        .app
        .graphql(
            p.district_secretary.token(),
            r#"mutation($id: ID!) { dismissPattern(input: { patternId: $id, reason: "x" }) { pattern { status } } }"#,
            json!({ "id": pattern["id"] }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");

    // The council dismisses it, with a reason that is stored redacted.
    let dismissed = w
        .app
        .graphql(
            p.council_chair.token(),
            r#"mutation($id: ID!) { dismissPattern(input: { patternId: $id, reason: "Known staffing gap; spoke to the manager on 07700 900123." }) { pattern { status } } }"#,
            json!({ "id": pattern["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        dismissed["dismissPattern"]["pattern"]["status"],
        "DISMISSED"
    );
    let stored = pattern::Entity::find().all(&w.app.db).await.unwrap();
    for row in &stored {
        let reason = row
            .dismissed_reason
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        assert!(!reason.contains("900123"), "{reason}");
    }

    // It grows: it reopens and says why, and the council is told again.
    w.report(&w.south_b, p.ppgs[1][1], "Rang 111 four times")
        .await;
    let pattern = w.provider_pattern(&p.council_chair).await.unwrap();
    assert_eq!(pattern["status"], "OPEN");
    assert_eq!(
        pattern["reopenedBecause"],
        "1 more report since it was dismissed at 4."
    );
    assert!(
        pattern["dismissedReason"]
            .as_str()
            .unwrap()
            .starts_with("Known staffing gap")
    );
    assert_eq!(kinds(&pattern).last().unwrap(), "REOPENED");
    assert_eq!(w.alerts_for(&p.council_chair).await.len(), 2);

    // The council takes it up: a new item at the council with the counts, never the reports.
    let taken = w
        .app
        .graphql(
            p.council_chair.token(),
            r#"mutation($id: ID!) { takeUpPattern(input: { patternId: $id }) { pattern { status takenUpAs { reference status body currentGroup { name } } } } }"#,
            json!({ "id": pattern["id"] }),
        )
        .await
        .ok();
    let taken = &taken["takeUpPattern"]["pattern"];
    assert_eq!(taken["status"], "TAKEN_UP");
    assert_eq!(taken["takenUpAs"]["status"], "AT_COUNCIL");
    assert_eq!(taken["takenUpAs"]["currentGroup"]["name"], "Council");
    let body = taken["takenUpAs"]["body"].as_str().unwrap();
    assert!(body.contains("5 reports from 5 PPGs"), "{body}");
    assert!(
        !body.contains("call-back") && !body.contains("111"),
        "{body}"
    );
    // Taking it up again is refused.
    let again = w
        .app
        .graphql(
            p.council_chair.token(),
            r#"mutation($id: ID!) { takeUpPattern(input: { patternId: $id }) { pattern { status } } }"#,
            json!({ "id": pattern["id"] }),
        )
        .await;
    assert_eq!(again.code(), "CONFLICT");
}

#[tokio::test]
async fn themes_are_suggested_from_the_text_and_officers_correct_them() {
    let w = World::build().await;
    let p = &w.p;
    let raised = w
        .report(&p.ppg_member, p.ppgs[0][0], "Waited for a call-back")
        .await;
    // Suggested from the words, each marked with the rule that fired.
    let themes = raised["item"]["themes"].as_array().unwrap().clone();
    let suggested: Vec<(&str, &str)> = themes
        .iter()
        .map(|t| {
            assert_eq!(t["suggested"], true);
            assert_eq!(t["polarity"], "NEGATIVE");
            (
                t["theme"]["slug"].as_str().unwrap(),
                t["suggestedBy"]["phrase"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(suggested.contains(&("waiting", "waited")), "{suggested:?}");
    assert!(
        suggested.contains(&("urgent", "call-back")),
        "{suggested:?}"
    );

    let vocabulary = w
        .app
        .graphql(None, "{ themes { id slug } }", json!({}))
        .await
        .ok();
    let theme = |slug: &str| {
        vocabulary["themes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["slug"] == slug)
            .unwrap()["id"]
            .clone()
    };
    const SET: &str = r#"mutation($id: ID!, $themes: [ItemThemeInput!]!) { setItemThemes(input: { itemId: $id, themes: $themes }) { item { themes { theme { slug } polarity suggested } } } }"#;
    let themes = json!([
        { "themeId": theme("urgent-out-of-hours"), "polarity": "NEGATIVE" },
        { "themeId": theme("staff-kindness"), "polarity": "POSITIVE" },
    ]);
    // A member of another PPG may not; the PPG's chair may.
    let refused = w
        .app
        .graphql(
            p.south_member.token(),
            SET,
            json!({ "id": raised["item"]["id"], "themes": themes }),
        )
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");
    let set = w
        .app
        .graphql(
            p.ppg_chair.token(),
            SET,
            json!({ "id": raised["item"]["id"], "themes": themes }),
        )
        .await
        .ok();
    // (Listed in the vocabulary's order.)
    assert_eq!(
        set["setItemThemes"]["item"]["themes"],
        json!([
            { "theme": { "slug": "staff-kindness" }, "polarity": "POSITIVE", "suggested": false },
            { "theme": { "slug": "urgent-out-of-hours" }, "polarity": "NEGATIVE", "suggested": false },
        ])
    );
    // Filtering by a heading finds items under its subheadings.
    let found = w
        .app
        .graphql(
            p.ppg_chair.token(),
            r#"query($t: ID!) { items(filter: { themeId: $t }) { edges { node { reference } } } }"#,
            json!({ "t": theme("urgent") }),
        )
        .await
        .ok();
    assert_eq!(found["items"]["edges"].as_array().unwrap().len(), 1);

    // Severity: 4 needs a reason, and takes the safety fast path.
    const SEVERITY: &str = r#"mutation($id: ID!, $s: Int!, $r: String) { setItemSeverity(input: { itemId: $id, severity: $s, reason: $r }) { item { severity severityReason status safetyConcern } } }"#;
    let no_reason = w
        .app
        .graphql(
            p.ppg_chair.token(),
            SEVERITY,
            json!({ "id": raised["item"]["id"], "s": 4 }),
        )
        .await;
    assert_eq!(
        (no_reason.code(), no_reason.field()),
        ("BAD_USER_INPUT", "reason")
    );
    let out_of_range = w
        .app
        .graphql(
            p.ppg_chair.token(),
            SEVERITY,
            json!({ "id": raised["item"]["id"], "s": 9 }),
        )
        .await;
    assert_eq!(
        (out_of_range.code(), out_of_range.field()),
        ("BAD_USER_INPUT", "severity")
    );
    // A plain member may not score it.
    let member = w
        .app
        .graphql(
            p.ppg_member.token(),
            SEVERITY,
            json!({ "id": raised["item"]["id"], "s": 2 }),
        )
        .await;
    assert_eq!(member.code(), "FORBIDDEN");
    let scored = w
        .app
        .graphql(
            p.ppg_chair.token(),
            SEVERITY,
            json!({ "id": raised["item"]["id"], "s": 4, "r": "Frail patient left overnight; call Jo on 07700 900123" }),
        )
        .await
        .ok();
    let item = &scored["setItemSeverity"]["item"];
    assert_eq!(
        (item["severity"].as_i64(), item["status"].as_str()),
        (Some(4), Some("REFERRED"))
    );
    assert_eq!(item["safetyConcern"], true);
    assert!(!item["severityReason"].as_str().unwrap().contains("900123"));
    // The district and the council see it now, as with any safety concern.
    let seen = w
        .app
        .graphql(
            p.council_chair.token(),
            r#"query($r: String!) { item(reference: $r) { severity } }"#,
            json!({ "r": raised["item"]["reference"] }),
        )
        .await
        .ok();
    assert_eq!(seen["item"]["severity"], 4);
    let alerts = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("SAFETY_ALERT"))
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
}

#[tokio::test]
async fn providers_are_matched_from_the_register_when_nobody_picked_one() {
    let w = World::build().await;
    let p = &w.p;
    for (name, ods) in [
        ("Trentvale Hospitals NHS Trust", "RTV"),
        ("Trentvale Hospitals NHS Trust: Ward 12", "RTV12"),
        ("Moorside Pharmacy", "FMP01"),
    ] {
        providers::create(
            &w.app.db,
            &Actor::System,
            providers::NewProvider {
                name: name.into(),
                kind: ProviderKind::Other,
                ods_code: Some(ods.into()),
                parent_id: None,
            },
        )
        .await
        .unwrap();
    }
    // (what the member typed as the provider, the text, the register entry linked)
    let cases: &[(Option<&str>, &str, Option<&str>)] = &[
        (
            Some("Moorside Pharmacy"),
            "Rude at the counter.",
            Some("Moorside Pharmacy"),
        ),
        (
            Some("moorside pharmacy "),
            "Rude at the counter.",
            Some("Moorside Pharmacy"),
        ),
        (
            Some("FMP01"),
            "Rude at the counter.",
            Some("Moorside Pharmacy"),
        ),
        (
            Some("moorside"),
            "Rude at the counter.",
            Some("Moorside Pharmacy"),
        ),
        // Two entries contain "trentvale": ambiguous, left for an officer.
        (Some("Trentvale"), "Long wait.", None),
        (Some("A pharmacy in town"), "Long wait.", None),
        // Named in the text: the most specific entry.
        (
            None,
            "Discharged from Trentvale Hospitals NHS Trust: Ward 12 at 2am.",
            Some("Trentvale Hospitals NHS Trust: Ward 12"),
        ),
        (
            None,
            "Seen at Trentvale Hospitals NHS Trust, kept waiting.",
            Some("Trentvale Hospitals NHS Trust"),
        ),
        (None, "Nobody in the register is named here.", None),
        // Whole words only: "Moorside Pharmacyland" is not the pharmacy.
        (None, "Went to Moorside Pharmacyland.", None),
    ];
    for (typed, body, expected) in cases {
        let raised = w
            .app
            .graphql(
                p.ppg_member.token(),
                RAISE,
                json!({ "input": {
                    "groupId": gid("Group", p.ppgs[0][0].0),
                    "kind": "CONCERN",
                    "title": "A report",
                    "body": body,
                    "providerName": typed,
                    "sentiment": "NEGATIVE",
                    "informationSource": "OWN_EXPERIENCE",
                } }),
            )
            .await
            .ok();
        assert_eq!(
            raised["raiseItem"]["item"]["provider"]["name"].as_str(),
            *expected,
            "typed {typed:?}, text {body:?}"
        );
    }
    // What raising offers as the member types.
    let offered = w
        .app
        .graphql(
            None,
            r#"{ providerSuggestions(text: "trent") { name } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        offered["providerSuggestions"],
        json!([{ "name": "Trentvale Hospitals NHS Trust" }, { "name": "Trentvale Hospitals NHS Trust: Ward 12" }])
    );
    let by_code = w
        .app
        .graphql(
            None,
            r#"{ providerSuggestions(text: "nlo") { name } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        by_code["providerSuggestions"],
        json!([{ "name": OUT_OF_HOURS }])
    );
}

#[tokio::test]
async fn a_watch_sends_one_digest_a_period_with_only_what_its_member_may_see() {
    use pyramid::services::watches;
    let w = World::build().await;
    let p = &w.p;
    // The district secretary watches the out-of-hours service, daily.
    let watched = w
        .app
        .graphql(
            p.district_secretary.token(),
            r#"mutation($p: ID!) { watch(input: { providerId: $p, frequency: DAILY }) { watch { id description frequency } } }"#,
            json!({ "p": gid("Provider", w.provider.0) }),
        )
        .await
        .ok();
    assert_eq!(watched["watch"]["watch"]["description"], OUT_OF_HOURS);
    // A watch on nothing is refused.
    let empty = w
        .app
        .graphql(
            p.district_secretary.token(),
            r#"mutation { watch(input: {}) { watch { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(empty.code(), "BAD_USER_INPUT");

    let seen = w
        .report(&p.ppg_member, p.ppgs[0][0], "Escalated report")
        .await;
    w.app
        .graphql(
            p.ppg_chair.token(),
            r#"mutation($id: ID!) { escalateItem(input: { itemId: $id }) { item { status } } }"#,
            json!({ "id": seen["item"]["id"] }),
        )
        .await
        .ok();
    let unseen = w
        .report(&p.north_b_chair, p.ppgs[0][1], "Kept at its PPG")
        .await;

    let now = chrono::Utc::now();
    assert_eq!(
        watches::send_due(&w.app.db, now).await.unwrap(),
        0,
        "not a day yet"
    );
    let tomorrow = now + chrono::Duration::hours(25);
    assert_eq!(watches::send_due(&w.app.db, tomorrow).await.unwrap(), 1);
    // Another instance (or another tick) makes no second digest for the same day.
    assert_eq!(watches::send_due(&w.app.db, tomorrow).await.unwrap(), 0);
    let digests = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("WATCH_DIGEST"))
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(digests.len(), 1);
    let digest = &digests[0];
    assert_eq!(
        digest.destination,
        format!("member:{}", p.district_secretary.id.0)
    );
    let reference = |v: &Value| v["item"]["reference"].as_str().unwrap().to_owned();
    assert!(
        digest.payload.contains(&reference(&seen)),
        "{}",
        digest.payload
    );
    assert!(
        !digest.payload.contains(&reference(&unseen)),
        "an item it may not see: {}",
        digest.payload
    );
    assert!(
        digest.payload.contains("opened"),
        "the pattern change: {}",
        digest.payload
    );

    let mine = w
        .app
        .graphql(
            p.district_secretary.token(),
            "{ myWatches { id } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(mine["myWatches"].as_array().unwrap().len(), 1);
    // Someone else cannot stop it.
    let theirs = w
        .app
        .graphql(
            p.ppg_member.token(),
            r#"mutation($id: ID!) { unwatch(input: { watchId: $id }) { removed } }"#,
            json!({ "id": watched["watch"]["watch"]["id"] }),
        )
        .await;
    assert_eq!(theirs.code(), "NOT_FOUND");
}

#[tokio::test]
async fn detection_for_one_report_costs_the_same_however_many_came_before() {
    let w = World::build().await;
    let p = &w.p;
    let cost = async |n: usize| {
        let before = w.app.statements();
        w.report(&p.ppg_member, p.ppgs[0][0], &format!("Report {n}"))
            .await;
        w.app.statements() - before
    };
    // Warm up: two PPGs' reports open the patterns, so every later report grows them.
    for n in 0..3 {
        cost(n).await;
        w.report(&p.north_b_chair, p.ppgs[0][1], &format!("Warm-up {n}"))
            .await;
    }
    let early = cost(3).await;
    for n in 4..60 {
        w.report(&p.north_b_chair, p.ppgs[0][1], &format!("More {n}"))
            .await;
    }
    let late = cost(61).await;
    assert_eq!(
        early, late,
        "statements for one report after 4 and after 60"
    );
}

/// Every pattern as stored, without ids: what a rebuild must reproduce.
async fn snapshot(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let mut rows = Vec::new();
    for row in pattern::Entity::find().all(db).await.unwrap() {
        let mut items: Vec<i64> = pyramid::entities::pattern_item::Entity::find()
            .filter(pyramid::entities::pattern_item::Column::PatternId.eq(row.id))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.item_id)
            .collect();
        items.sort();
        rows.push(format!(
            "provider {} theme {:?} owner {} {} {}..{} ppgs {} items {} {:?}",
            row.provider_id,
            row.theme_id,
            row.owner_group_id,
            row.status,
            row.first_seen.timestamp(),
            row.last_seen.timestamp(),
            row.ppg_count,
            row.item_count,
            items
        ));
    }
    rows.sort();
    rows
}

#[tokio::test]
async fn incremental_detection_gives_what_a_rebuild_from_scratch_gives() {
    use chrono::{Duration, Utc};
    use pyramid::domain::ItemId;
    use pyramid::entities::{item, item_classification, item_group, pattern_event, pattern_item};
    use pyramid::services::{items, patterns};
    use rand::{Rng, SeedableRng};
    use sea_orm::{ActiveModelTrait, Set};

    let w = World::build().await;
    let p = &w.p;
    let db = &w.app.db;
    let mut providers = vec![w.provider];
    for n in 0..3 {
        providers.push(
            providers::create(
                db,
                &Actor::System,
                providers::NewProvider {
                    name: format!("Generated Provider {n}"),
                    kind: ProviderKind::Other,
                    ods_code: None,
                    parent_id: None,
                },
            )
            .await
            .unwrap()
            .id,
        );
    }
    let ppgs = [
        p.ppgs[0][0],
        p.ppgs[0][1],
        w.north_c_group,
        p.ppgs[1][0],
        p.ppgs[1][1],
    ];
    let themes = pyramid::services::themes::all(db).await.unwrap();
    let submitter = p.ppg_member.id;
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    // A year and a half of reports, in time order, with quiet spells longer than the window.
    let mut at = Utc::now() - Duration::days(540);
    let mut ids = Vec::new();
    for n in 0..300 {
        at += if rng.random_range(0..40) == 0 {
            Duration::days(rng.random_range(91..150))
        } else {
            Duration::hours(rng.random_range(1..60))
        };
        let ppg = ppgs[rng.random_range(0..ppgs.len())];
        let sentiment = ["NEGATIVE", "NEGATIVE", "MIXED", "POSITIVE"][rng.random_range(0..4)];
        let stored = item::ActiveModel {
            reference: Set(format!("GEN-{n}")),
            kind: Set("SOFT_INTELLIGENCE".into()),
            title: Set(pyramid::domain::RedactedText::scrub("Generated")),
            body: Set(pyramid::domain::RedactedText::scrub("Generated report.")),
            provider_id: Set((rng.random_range(0..8) != 0)
                .then(|| providers[rng.random_range(0..providers.len())].0)),
            provider_name: Set(None),
            experienced_on: Set(None),
            sentiment: Set(sentiment.into()),
            information_source: Set("OWN_EXPERIENCE".into()),
            raised_with_pals: Set(false),
            raised_as_complaint: Set(false),
            safety_concern: Set(false),
            origin_group_id: Set(ppg.0),
            current_group_id: Set(ppg.0),
            area_id: Set(Some(p.council.0)),
            share_name: Set(false),
            submission_hash: Set(None),
            status: Set("RAISED".into()),
            submitter_id: Set(submitter.0),
            channel: Set("IMPORT".into()),
            idempotency_key: Set(None),
            lead_item_id: Set(None),
            latest_event_id: Set(None),
            referred_at: Set(None),
            responded_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            severity: Set(None),
            severity_reason: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        item_group::ActiveModel {
            item_id: Set(stored.id),
            group_id: Set(ppg.0),
            reached_at: Set(at),
        }
        .insert(db)
        .await
        .unwrap();
        for _ in 0..rng.random_range(0..3) {
            let theme = &themes[rng.random_range(0..themes.len())];
            let polarity = ["NEGATIVE", "MIXED", "POSITIVE"][rng.random_range(0..3)];
            let _ = item_classification::ActiveModel {
                item_id: Set(stored.id),
                theme_id: Set(theme.id.0),
                polarity: Set(polarity.into()),
                suggested: Set(false),
                rule_id: Set(None),
                set_by: Set(None),
                set_at: Set(at),
            }
            .insert(db)
            .await;
        }
        patterns::observe(db, ItemId(stored.id)).await.unwrap();
        ids.push(ItemId(stored.id));
        // Now and then an officer corrects an earlier report, which reshapes older runs.
        if n % 50 == 49 {
            let earlier = ids[rng.random_range(0..ids.len())];
            let provider = providers[rng.random_range(0..providers.len())];
            items::set_provider(db, &Actor::System, earlier, Some(provider))
                .await
                .unwrap();
        }
    }
    let incremental = snapshot(db).await;
    let shown = incremental.iter().filter(|r| r.contains(" OPEN ")).count();
    assert!(shown >= 5, "the data makes patterns: {incremental:#?}");
    assert!(
        incremental
            .iter()
            .any(|r| r.contains(&format!("owner {} ", p.council.0))),
        "some span districts"
    );
    assert!(
        incremental.iter().any(|r| r.contains(" WATCHING ")),
        "some stay below the threshold"
    );

    // Rebuilding over what is there changes nothing and says nothing new.
    let events = pattern_event::Entity::find().all(db).await.unwrap().len();
    patterns::rebuild(db, &Actor::System).await.unwrap();
    assert_eq!(snapshot(db).await, incremental);
    assert_eq!(
        pattern_event::Entity::find().all(db).await.unwrap().len(),
        events
    );

    // From scratch, the same patterns.
    pattern_event::Entity::delete_many().exec(db).await.unwrap();
    pattern_item::Entity::delete_many().exec(db).await.unwrap();
    pattern::Entity::delete_many().exec(db).await.unwrap();
    patterns::rebuild(db, &Actor::System).await.unwrap();
    assert_eq!(snapshot(db).await, incremental);
}
