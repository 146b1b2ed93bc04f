//! The register of consultations and the annual consultation report, tried as a
//! commissioner, a council member, PPG members and a district officer would: recording,
//! changing and removing an entry with names and NHS numbers kept out, who sees which entry,
//! financial years written wrongly, and the report for a year previewed, published once and
//! read at its address in every format.

use serde_json::{Value, json};

use crate::helpers::{Pyramid, TestApp, gid};
use crate::items::{raise, soft_intelligence};

const CREATE: &str = r#"
mutation($input: CreateConsultationInput!) {
  createConsultation(input: $input) {
    consultation {
      id title startsOn endsOn status financialYear method peopleInvolved whoWasInvolved
      whatWasHeard decision influence influenceLevel
      groups { name } items { reference } newsletters { title }
      createdBy { name }
    }
    removedIdentifiers { kind count }
    notice
  }
}"#;

const UPDATE: &str = r#"
mutation($input: UpdateConsultationInput!) {
  updateConsultation(input: $input) {
    consultation { id title startsOn endsOn method peopleInvolved whatWasHeard decision influence influenceLevel groups { name } }
    removedIdentifiers { kind count }
  }
}"#;

const LIST: &str = r#"
query($area: ID!, $year: String) {
  consultations(areaId: $area, financialYear: $year, first: 50) {
    edges { node { title groups { name } items { reference } } }
    pageInfo { hasNextPage }
  }
}"#;

const PUBLISH: &str = r#"
mutation($input: PublishConsultationReportInput!) {
  publishConsultationReport(input: $input) {
    report { id title period htmlUrl largePrintUrl textUrl markdownUrl csvUrl publishedAt }
  }
}"#;

const PREVIEW: &str = r#"
query($area: ID!, $year: String!) {
  consultationReport(areaId: $area, financialYear: $year) { financialYear title consultations markdown text }
}"#;

fn consultation(p: &Pyramid, title: &str, starts: &str, ends: &str, groups: &[i64]) -> Value {
    json!({
        "areaId": gid("Group", p.council.0),
        "title": title,
        "startsOn": starts,
        "endsOn": ends,
        "method": "SURVEY",
        "whoWasInvolved": "Patients of the practices involved",
        "groupIds": groups.iter().map(|g| gid("Group", *g)).collect::<Vec<_>>(),
    })
}

async fn create(app: &TestApp, p: &Pyramid, input: Value) -> Value {
    app.graphql(p.commissioner.token(), CREATE, json!({ "input": input }))
        .await
        .ok()["createConsultation"]
        .clone()
}

/// The titles of the consultations a caller sees in the area's register.
async fn titles(
    app: &TestApp,
    p: &Pyramid,
    token: Option<&str>,
    year: Option<&str>,
) -> Vec<String> {
    let data = app
        .graphql(
            token,
            LIST,
            json!({ "area": gid("Group", p.council.0), "year": year }),
        )
        .await
        .ok();
    data["consultations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn commissioners_record_change_and_remove_consultations_without_names_or_nhs_numbers() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut input = consultation(
        &p,
        "Evening GP appointments",
        "2026-05-01",
        "2026-06-12",
        &[p.ppgs[0][0].0, p.districts[0].0],
    );
    input["peopleInvolved"] = json!(240);
    input["whatWasHeard"] = json!(
        "Mrs Jane Smith said evenings matter most; her NHS number 943 476 5919 was on the form."
    );
    input["decision"] = json!("Extended access hours");
    input["influenceLevel"] = json!("NOT_YET_KNOWN");
    let created = create(&app, &p, input).await;
    let c = &created["consultation"];
    assert_eq!(c["title"], "Evening GP appointments");
    assert_eq!(c["status"], "CLOSED");
    assert_eq!(c["financialYear"], "2026-27");
    assert_eq!(c["peopleInvolved"], 240);
    assert_eq!(c["createdBy"]["name"], "Commissioner");
    assert_eq!(
        c["groups"],
        json!([{ "name": "North" }, { "name": "North A" }])
    );
    let heard = c["whatWasHeard"].as_str().unwrap();
    assert!(
        !heard.contains("Smith") && !heard.contains("Jane"),
        "{heard}"
    );
    assert!(!heard.contains("943 476 5919"), "{heard}");
    assert!(heard.contains("evenings matter most"), "{heard}");
    let kinds: Vec<&str> = created["removedIdentifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"NHS_NUMBER") && kinds.contains(&"NAME"),
        "{kinds:?}"
    );
    assert!(created["notice"].as_str().is_some());
    let id = c["id"].as_str().unwrap().to_owned();

    // Only what is given changes; null clears an optional field.
    let changed = app
        .graphql(
            p.commissioner.token(),
            UPDATE,
            json!({ "input": {
                "id": id,
                "influence": "Evening hours were added at four practices, as people asked.",
                "influenceLevel": "CHANGED",
                "decision": null,
                "groupIds": [gid("Group", p.ppgs[1][0].0)],
            } }),
        )
        .await
        .ok();
    let c = &changed["updateConsultation"]["consultation"];
    assert_eq!(c["title"], "Evening GP appointments");
    assert_eq!(c["startsOn"], "2026-05-01");
    assert_eq!(c["peopleInvolved"], 240);
    assert_eq!(c["decision"], Value::Null);
    assert_eq!(c["influenceLevel"], "CHANGED");
    assert_eq!(
        c["influence"],
        "Evening hours were added at four practices, as people asked."
    );
    assert_eq!(c["groups"], json!([{ "name": "South A" }]));
    assert_eq!(c["whatWasHeard"], created["consultation"]["whatWasHeard"]);

    // The period must make sense, whichever end is changed.
    let backwards = app
        .graphql(
            p.commissioner.token(),
            UPDATE,
            json!({ "input": { "id": id, "endsOn": "2026-04-01" } }),
        )
        .await;
    assert_eq!(backwards.code(), "BAD_USER_INPUT");
    assert_eq!(backwards.field(), "endsOn");

    let removed = app
        .graphql(
            p.commissioner.token(),
            "mutation($id: ID!) { deleteConsultation(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(removed["deleteConsultation"]["deletedId"], id.as_str());
    let gone = app
        .graphql(
            p.commissioner.token(),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(gone["node"], Value::Null);
    assert!(
        titles(&app, &p, p.commissioner.token(), None)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn ppg_members_see_only_the_consultations_that_involved_their_group() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let south_item = raise(
        &app,
        p.south_member.token(),
        soft_intelligence(p.ppgs[1][0].0, "Evening clinic closed", "It shut at five."),
    )
    .await;
    let mut north = consultation(
        &p,
        "North survey",
        "2026-05-01",
        "2026-05-30",
        &[p.ppgs[0][0].0],
    );
    north["itemIds"] = json!([south_item["item"]["id"]]);
    create(&app, &p, north).await;
    let south = create(
        &app,
        &p,
        consultation(
            &p,
            "South survey",
            "2026-06-01",
            "2026-06-30",
            &[p.ppgs[1][0].0],
        ),
    )
    .await;
    create(
        &app,
        &p,
        consultation(&p, "Area-wide survey", "2026-07-01", "2026-07-30", &[]),
    )
    .await;

    let everything = vec!["North survey", "South survey", "Area-wide survey"];
    assert_eq!(
        titles(&app, &p, p.commissioner.token(), None).await,
        everything
    );
    assert_eq!(
        titles(&app, &p, p.council_chair.token(), None).await,
        everything
    );
    assert_eq!(
        titles(&app, &p, p.ppg_member.token(), None).await,
        vec!["North survey"]
    );
    assert_eq!(
        titles(&app, &p, p.south_member.token(), None).await,
        vec!["South survey"]
    );
    // The district was not named, so its secretary sees none of them.
    assert!(
        titles(&app, &p, p.district_secretary.token(), None)
            .await
            .is_empty()
    );
    let anonymous = app
        .graphql(None, LIST, json!({ "area": gid("Group", p.council.0) }))
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");

    // The linked item shows only to those who may see it.
    let listed = |data: Value| data["consultations"]["edges"][0]["node"]["items"].clone();
    let area = json!({ "area": gid("Group", p.council.0), "year": "2026-27" });
    let seen_by_north = app
        .graphql(p.ppg_member.token(), LIST, area.clone())
        .await
        .ok();
    assert_eq!(listed(seen_by_north), json!([]));
    let seen_by_commissioner = app.graphql(p.commissioner.token(), LIST, area).await.ok();
    assert_eq!(
        listed(seen_by_commissioner),
        json!([{ "reference": south_item["item"]["reference"] }])
    );

    // Another group's consultation looks missing, by id too.
    let south_id = south["consultation"]["id"].clone();
    let node = app
        .graphql(
            p.ppg_member.token(),
            "query($id: ID!) { node(id: $id) { ... on Consultation { title } } }",
            json!({ "id": south_id }),
        )
        .await
        .ok();
    assert_eq!(node["node"], Value::Null);
    let node = app
        .graphql(
            p.south_member.token(),
            "query($id: ID!) { node(id: $id) { ... on Consultation { title status } } }",
            json!({ "id": south_id }),
        )
        .await
        .ok();
    assert_eq!(
        node["node"],
        json!({ "title": "South survey", "status": "CLOSED" })
    );
    let change = app
        .graphql(
            p.ppg_member.token(),
            UPDATE,
            json!({ "input": { "id": south_id, "title": "Mine now" } }),
        )
        .await;
    assert_eq!(change.code(), "NOT_FOUND");
    // One they can see, they still cannot change.
    let own = app
        .graphql(
            p.south_member.token(),
            UPDATE,
            json!({ "input": { "id": south_id, "title": "Mine now" } }),
        )
        .await;
    assert_eq!(own.code(), "FORBIDDEN");
}

#[tokio::test]
async fn only_the_commissioners_record_consultations_and_link_what_they_may_see() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let input = consultation(&p, "District survey", "2026-05-01", "2026-05-30", &[]);
    for token in [
        p.district_secretary.token(),
        p.council_chair.token(),
        p.admin.token(),
    ] {
        let refused = app
            .graphql(token, CREATE, json!({ "input": input.clone() }))
            .await;
        assert_eq!(refused.code(), "FORBIDDEN");
    }
    let mut unseen = input.clone();
    unseen["itemIds"] = json!([gid("Item", 9999)]);
    let refused = app
        .graphql(p.commissioner.token(), CREATE, json!({ "input": unseen }))
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");
    let mut unseen = input.clone();
    unseen["newsletterIds"] = json!([gid("Newsletter", 9999)]);
    let refused = app
        .graphql(p.commissioner.token(), CREATE, json!({ "input": unseen }))
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");
    let mut negative = input.clone();
    negative["peopleInvolved"] = json!(-3);
    let refused = app
        .graphql(p.commissioner.token(), CREATE, json!({ "input": negative }))
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.field(), "peopleInvolved");
    assert!(
        titles(&app, &p, p.commissioner.token(), None)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_financial_year_written_wrongly_is_refused_with_how_to_write_it() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    for year in ["2026/27", "2026-28", "2026"] {
        let listed = app
            .graphql(
                p.commissioner.token(),
                LIST,
                json!({ "area": gid("Group", p.council.0), "year": year }),
            )
            .await;
        assert_eq!(listed.code(), "BAD_USER_INPUT", "{year}");
        assert_eq!(listed.field(), "financialYear");
        assert!(listed.message().contains("2026-27"), "{}", listed.message());
        let published = app
            .graphql(
                p.commissioner.token(),
                PUBLISH,
                json!({ "input": { "areaId": gid("Group", p.council.0), "financialYear": year } }),
            )
            .await;
        assert_eq!(published.code(), "BAD_USER_INPUT", "{year}");
    }
    // A year still to come has no report yet (it could never be replaced by the real one).
    let future = app
        .graphql(
            p.commissioner.token(),
            PUBLISH,
            json!({ "input": { "areaId": gid("Group", p.council.0), "financialYear": "2099-00" } }),
        )
        .await;
    assert_eq!(future.code(), "BAD_USER_INPUT");
    assert!(
        future.message().starts_with("2099-00 has not begun yet"),
        "{}",
        future.message()
    );
}

#[tokio::test]
async fn the_annual_report_lists_the_years_consultations_and_is_published_once() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mut changed = consultation(
        &p,
        "Evening GP appointments",
        "2026-05-01",
        "2026-06-12",
        &[p.ppgs[0][0].0],
    );
    changed["peopleInvolved"] = json!(240);
    changed["whatWasHeard"] = json!("Evenings matter most to working people.");
    changed["decision"] = json!("Extended access hours");
    changed["influence"] = json!("Hours moved to evenings");
    changed["influenceLevel"] = json!("CHANGED");
    create(&app, &p, changed).await;
    // Overlapping the start of the year: it counts in both years.
    create(
        &app,
        &p,
        consultation(
            &p,
            "Spring pharmacy survey",
            "2026-03-01",
            "2026-04-15",
            &[],
        ),
    )
    .await;
    create(
        &app,
        &p,
        consultation(
            &p,
            "Minor injuries listening",
            "2025-09-01",
            "2025-10-01",
            &[],
        ),
    )
    .await;
    create(
        &app,
        &p,
        consultation(&p, "Crisis care workshops", "2027-05-01", "2027-06-15", &[]),
    )
    .await;
    create(
        &app,
        &p,
        consultation(&p, "Old dental survey", "2024-06-01", "2024-07-01", &[]),
    )
    .await;
    assert_eq!(
        titles(&app, &p, p.commissioner.token(), Some("2026-27")).await,
        vec!["Evening GP appointments", "Spring pharmacy survey"]
    );

    let area = gid("Group", p.council.0);
    let preview = app
        .graphql(
            p.commissioner.token(),
            PREVIEW,
            json!({ "area": area, "year": "2026-27" }),
        )
        .await
        .ok();
    let preview = &preview["consultationReport"];
    assert_eq!(preview["financialYear"], "2026-27");
    assert_eq!(
        preview["title"],
        "Report on consultation and engagement 2026-27, Council"
    );
    assert_eq!(preview["consultations"], 2);
    let markdown = preview["markdown"].as_str().unwrap();
    assert!(markdown.starts_with("# Report on consultation and engagement 2026-27, Council\n"));
    assert!(markdown.contains("Draft: not yet published."));
    assert!(markdown.contains("section 14Z2"));
    // By start date: the spring survey began first.
    let spring = markdown.find("### Spring pharmacy survey").unwrap();
    let evening = markdown.find("### Evening GP appointments").unwrap();
    assert!(spring < evening);
    assert!(markdown.contains(
        "- **Who was involved**: Patients of the practices involved. 240 people took part. Groups involved: North A.\n"
    ), "{markdown}");
    assert!(markdown.contains(
        "- **Its influence on the decision**: Changed the decision. Hours moved to evenings.\n"
    ));
    assert!(markdown.contains(
        "## Last year (2025-26)\n\n- Minor injuries listening: 1 September to 1 October 2025, survey.\n- Spring pharmacy survey: 1 March to 15 April 2026, survey.\n"
    ), "{markdown}");
    assert!(markdown.contains(
        "## Planned for next year (2027-28)\n\n- Crisis care workshops: 1 May to 15 June 2027, survey.\n"
    ));
    assert!(!markdown.contains("Old dental survey"));

    // The district's officer may neither preview nor publish it.
    let refused = app
        .graphql(
            p.district_secretary.token(),
            PREVIEW,
            json!({ "area": area, "year": "2026-27" }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let input = json!({ "input": { "areaId": area, "financialYear": "2026-27" } });
    let refused = app
        .graphql(p.district_secretary.token(), PUBLISH, input.clone())
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");

    let published = app
        .graphql(p.commissioner.token(), PUBLISH, input.clone())
        .await
        .ok();
    let report = published["publishConsultationReport"]["report"].clone();
    assert_eq!(report["period"], "2026-27");
    assert_eq!(
        report["title"],
        "Report on consultation and engagement 2026-27, Council"
    );
    assert_eq!(report["csvUrl"], Value::Null);
    let again = app.graphql(p.commissioner.token(), PUBLISH, input).await;
    assert_eq!(again.code(), "CONFLICT");

    // A change to the register afterwards does not change what was published.
    create(
        &app,
        &p,
        consultation(&p, "Late addition", "2026-09-01", "2026-09-30", &[]),
    )
    .await;

    let html_url = report["htmlUrl"].as_str().unwrap();
    let html = app.get(html_url).await;
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(html.contains("<html lang=\"en-GB\">"));
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(html.contains("<h1>Report on consultation and engagement 2026-27, Council</h1>"));
    assert!(html.contains("<h3>Evening GP appointments</h3>\n<dl>\n<dt>Dates</dt>"));
    // Its other forms are linked by their addresses.
    assert!(html.contains(&format!(
        "<a href=\"{}\">Markdown</a>",
        report["markdownUrl"].as_str().unwrap()
    )));
    assert!(html.contains("Published "));
    assert!(!html.contains("Late addition"));
    let large = app
        .get(report["largePrintUrl"].as_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(large.contains("(large print)</title>") && large.contains("Evening GP appointments"));
    let text = app.get(report["textUrl"].as_str().unwrap()).await;
    assert_eq!(text.headers()["content-type"], "text/plain; charset=utf-8");
    let text = text.text().await.unwrap();
    assert!(text.contains(
        "CONSULTATIONS IN 2026-27\n\nSpring pharmacy survey\n\nDates: 1 March to 15 April 2026 (closed).\n"
    ), "{text}");
    assert!(text.contains("\n\nEvening GP appointments\n\nDates: "));
    let markdown = app.get(report["markdownUrl"].as_str().unwrap()).await;
    assert_eq!(
        markdown.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    assert!(
        markdown
            .text()
            .await
            .unwrap()
            .contains("### Evening GP appointments")
    );
    let number = html_url.trim_start_matches("/reports/");
    assert_eq!(
        app.get(&format!("/reports/{number}.csv")).await.status(),
        404
    );

    // Published reports are public: listed without a token.
    let listed = app
        .graphql(
            None,
            "query($area: ID!) { publishedReports(areaId: $area, kind: CONSULTATIONS) { period htmlUrl } }",
            json!({ "area": area }),
        )
        .await
        .ok();
    assert_eq!(
        listed["publishedReports"],
        json!([{ "period": "2026-27", "htmlUrl": html_url }])
    );
}

#[tokio::test]
async fn a_page_of_the_register_costs_the_same_statements_whatever_its_size() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let item = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Evening clinic closed", "It shut at five."),
    )
    .await;
    for n in 0..12 {
        let mut input = consultation(
            &p,
            &format!("Survey {n}"),
            "2026-05-01",
            "2026-05-30",
            &[p.ppgs[0][0].0, p.districts[0].0],
        );
        input["itemIds"] = json!([item["item"]["id"]]);
        create(&app, &p, input).await;
    }
    const PAGE: &str = r#"
    query($area: ID!, $first: Int!) {
      consultations(areaId: $area, first: $first) {
        edges { node { title area { name } groups { name parent { name } } items { reference } newsletters { title } createdBy { name } } }
      }
    }"#;
    app.seen(p.commissioner.token()).await;
    let mut costs = Vec::new();
    for first in [2, 12] {
        let before = app.statements();
        let page = app
            .graphql(
                p.commissioner.token(),
                PAGE,
                json!({ "area": gid("Group", p.council.0), "first": first }),
            )
            .await
            .ok();
        costs.push(app.statements() - before);
        let edges = page["consultations"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first as usize);
        let last = &edges[first as usize - 1]["node"];
        assert_eq!(last["groups"][1]["parent"]["name"], "North");
        assert_eq!(last["items"][0]["reference"], item["item"]["reference"]);
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for 2 and for 12 consultations"
    );
}
