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
    assert_eq!(pattern["trend"]["direction"], "rising");
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
