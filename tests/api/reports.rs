//! The monthly patient-experience report, tried as a commissioner and a council chair would:
//! its figures checked by value on seeded reports and the sample files (the themes and their
//! trend, a run of months that must be flagged, rising negative feedback across sources, the
//! PPGs that said nothing, open safety concerns, the closed loop), who may read it before it
//! is published, and publishing it once, read at its addresses in every form.

use serde_json::{Value, json};

use crate::feedback::{imported, provider_id, raise_about, theme_id};
use crate::helpers::{Person, Pyramid, TestApp, gid};

const REPORT: &str = r#"
query($area: ID!, $month: String!) {
  monthlyReport(areaId: $area, month: $month) {
    month title summary ppgCount
    months { month reports reportingPpgs }
    themes { theme { slug } name counts bases thisMonth previousMean trend signal chart { mean upperLimit lowerLimit signals } }
    risingProviders { name rises { source monthsBefore meanBefore thisMonth } }
    silentPpgs
    safetyConcerns { reference provider daysWaiting overdue }
    closedLoop { tier items answered answeredPercent changePlanned changeMade changedPercent medianDaysToAnswer p90DaysToAnswer pastResponseClock }
    markdown
    published { id }
  }
}"#;

const PUBLISH: &str = r#"
mutation($input: PublishMonthlyReportInput!) {
  publishMonthlyReport(input: $input) {
    report { id kind period title htmlUrl largePrintUrl textUrl markdownUrl csvUrl }
  }
}"#;

async fn report(app: &TestApp, who: Option<&str>, area: i64, month: &str) -> crate::helpers::Gql {
    app.graphql(
        who,
        REPORT,
        json!({ "area": gid("Group", area), "month": month }),
    )
    .await
}

async fn raise_many(
    app: &TestApp,
    who: &Person,
    group: i64,
    provider: &str,
    theme: &str,
    months: &[(&str, usize)],
) {
    for (month, n) in months {
        for k in 0..*n {
            raise_about(
                app,
                who,
                group,
                provider,
                theme,
                &format!("{month}-{:02}", 3 + k),
            )
            .await;
        }
    }
}

#[tokio::test]
async fn the_monthly_report_counts_themes_gaps_and_rising_sources_by_value() {
    let (app, p) = imported().await;
    let out_of_hours = provider_id(
        &app,
        &p.commissioner,
        "Staffordshire Out-of-Hours GP Service",
    )
    .await;
    let urgent = theme_id(&app, "urgent-out-of-hours").await;
    raise_many(
        &app,
        &p.ppg_member,
        p.ppgs[0][0].0,
        &out_of_hours,
        &urgent,
        &[("2026-09", 1), ("2026-10", 1), ("2026-11", 5)],
    )
    .await;

    let r = report(&app, p.commissioner.token(), p.council.0, "2026-11")
        .await
        .ok()["monthlyReport"]
        .clone();
    assert_eq!(
        r["title"],
        "Patient experience report, November 2026: Council"
    );
    assert_eq!(r["ppgCount"], 4);
    // Months from the area's first report: September to November.
    assert_eq!(
        r["months"],
        json!([
            { "month": "2026-09", "reports": 1, "reportingPpgs": 1 },
            { "month": "2026-10", "reports": 1, "reportingPpgs": 1 },
            { "month": "2026-11", "reports": 5, "reportingPpgs": 1 },
        ])
    );
    assert_eq!(
        r["summary"][0],
        "In November 2026 the pyramid heard 5 reports from 1 of its 4 PPGs."
    );
    // The three PPGs that raised nothing in November.
    assert_eq!(r["silentPpgs"], json!(["North B", "South A", "South B"]));

    let themes = r["themes"].as_array().unwrap();
    assert_eq!(themes.len(), 1, "{themes:#?}");
    assert_eq!(themes[0]["theme"]["slug"], "urgent");
    assert_eq!(themes[0]["counts"], json!([1, 1, 5]));
    assert_eq!(themes[0]["bases"], json!([1, 1, 5]));
    assert_eq!(themes[0]["previousMean"], 1.0);
    assert_eq!(themes[0]["trend"], "RISING");
    // Three months are too few for a run chart.
    assert_eq!(themes[0]["chart"], Value::Null);

    // The out-of-hours service: soft intelligence 5 against a mean of 1, and complaints 9 in
    // November (complaints.csv, RX3: 7 appointments + 2 communications) against 2 and 2.
    // Its PALS contacts (1, 2, 2), FFT poor answers (29, 37, 46) and Care Opinion tags (2, 2)
    // did not rise by enough; the trust's complaints (14, 12, 12) did not rise at all.
    assert_eq!(
        r["risingProviders"],
        json!([{
            "name": "Staffordshire Out-of-Hours GP Service",
            "rises": [
                { "source": "soft intelligence concerns", "monthsBefore": 2, "meanBefore": 1.0, "thisMonth": 5 },
                { "source": "complaints", "monthsBefore": 2, "meanBefore": 2.0, "thisMonth": 9 },
            ]
        }])
    );
    let markdown = r["markdown"].as_str().unwrap();
    assert!(
        markdown.contains(
            "| Staffordshire Out-of-Hours GP Service | complaints | 2.0 (over 2 months) | 9 |"
        ),
        "{markdown}"
    );
    assert_eq!(r["published"], Value::Null);
}

#[tokio::test]
async fn seven_months_above_the_mean_are_flagged_on_the_run_chart() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let provider = app
        .graphql(
            p.admin.token(),
            "mutation { createProvider(input: { name: \"Northfield Hospital\", kind: ACUTE_TRUST }) { provider { id } } }",
            json!({}),
        )
        .await
        .ok()["createProvider"]["provider"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let discharge = theme_id(&app, "discharge").await;
    raise_many(
        &app,
        &p.ppg_member,
        p.ppgs[0][0].0,
        &provider,
        &discharge,
        &[
            ("2025-12", 1),
            ("2026-01", 2),
            ("2026-02", 1),
            ("2026-03", 2),
            ("2026-04", 1),
            ("2026-05", 4),
            ("2026-06", 3),
            ("2026-07", 4),
            ("2026-08", 5),
            ("2026-09", 3),
            ("2026-10", 4),
            ("2026-11", 4),
        ],
    )
    .await;
    let r = report(&app, p.council_chair.token(), p.council.0, "2026-11")
        .await
        .ok()["monthlyReport"]
        .clone();
    let theme = &r["themes"][0];
    assert_eq!(theme["theme"]["slug"], "discharge");
    assert_eq!(theme["counts"], json!([1, 2, 1, 2, 1, 4, 3, 4, 5, 3, 4, 4]));
    let chart = &theme["chart"];
    // 34 concerns over 12 months: a mean of 2.83; the limits are wide enough that no month
    // is beyond them, but May to November are seven months in a row above the mean.
    assert!((chart["mean"].as_f64().unwrap() - 34.0 / 12.0).abs() < 1e-9);
    let signals = chart["signals"].as_array().unwrap();
    for (month, signal) in signals.iter().enumerate() {
        let expected: Value = if month >= 5 {
            json!(["in a run of 7 or more above the mean"])
        } else {
            json!([])
        };
        assert_eq!(signal, &expected, "month {month}");
    }
    assert_eq!(theme["signal"], "in a run of 7 or more above the mean");
    assert!(
        r["summary"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "Concerns about Discharge and transfers show special cause variation this month: look at their run charts."),
        "{:#}",
        r["summary"]
    );
    // The report-wide chart of all reports reads the same months.
    let markdown = r["markdown"].as_str().unwrap();
    assert!(markdown.contains("*Chart: Concerns about discharge and transfers each month, with the mean and process limits.* Dec 25: 1, Jan 26: 2"), "{markdown}");
}

#[tokio::test]
async fn safety_concerns_wait_in_the_report_and_answers_close_the_loop() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let month = chrono::Utc::now().date_naive().format("%Y-%m").to_string();
    let raise = |title: &str, safety: bool| {
        json!({ "input": {
            "groupId": gid("Group", p.ppgs[0][0].0),
            "kind": "CONCERN",
            "title": title,
            "body": "Told at our meeting.",
            "providerName": "Northfield Walk-in Centre",
            "sentiment": "NEGATIVE",
            "informationSource": "OWN_EXPERIENCE",
            "safetyConcern": safety,
        }})
    };
    const RAISE: &str =
        "mutation($input: RaiseItemInput!) { raiseItem(input: $input) { item { id reference } } }";
    let safety = app
        .graphql(
            p.ppg_member.token(),
            RAISE,
            raise("No one checked the oxygen", true),
        )
        .await
        .ok()["raiseItem"]["item"]
        .clone();
    let answered = app
        .graphql(
            p.ppg_member.token(),
            RAISE,
            raise("Chairs in the waiting room", false),
        )
        .await
        .ok()["raiseItem"]["item"]["id"]
        .clone();
    app.graphql(
        p.ppg_chair.token(),
        "mutation($input: RespondToItemInput!) { respondToItem(input: $input) { item { status } } }",
        json!({ "input": { "itemId": answered, "answer": "The practice has ordered new chairs.", "outcome": "CHANGE_MADE" } }),
    )
    .await
    .ok();

    let r = report(&app, p.commissioner.token(), p.council.0, &month)
        .await
        .ok()["monthlyReport"]
        .clone();
    assert_eq!(
        r["safetyConcerns"],
        json!([{ "reference": safety["reference"], "provider": null, "daysWaiting": 0, "overdue": false }])
    );
    let tier = |name: Value| {
        r["closedLoop"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["tier"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        tier(json!("PPG")),
        json!({ "tier": "PPG", "items": 1, "answered": 1, "answeredPercent": 100, "changePlanned": 0, "changeMade": 1, "changedPercent": 100, "medianDaysToAnswer": 0, "p90DaysToAnswer": 0, "pastResponseClock": 0 })
    );
    // The safety concern went to the commissioners at once and waits for their answer.
    let commissioners = tier(json!("COMMISSIONERS"));
    assert_eq!(
        (
            commissioners["items"].as_i64(),
            commissioners["answered"].as_i64()
        ),
        (Some(1), Some(0))
    );
    let all = tier(Value::Null);
    assert_eq!(
        (all["items"].as_i64(), all["answeredPercent"].as_i64()),
        (Some(2), Some(50))
    );
}

#[tokio::test]
async fn the_report_is_read_by_the_council_and_published_once_for_everyone() {
    let (app, p) = imported().await;
    let area = p.council.0;
    // Before it is published: the council and the commissioners only.
    assert_eq!(
        report(&app, None, area, "2026-11").await.code(),
        "UNAUTHENTICATED"
    );
    for who in [&p.ppg_member, &p.district_secretary, &p.ppg_chair] {
        assert_eq!(
            report(&app, who.token(), area, "2026-11").await.code(),
            "FORBIDDEN"
        );
    }
    assert_eq!(
        report(&app, p.council_chair.token(), area, "Novembre")
            .await
            .code(),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        report(&app, p.council_chair.token(), area, "2099-01")
            .await
            .code(),
        "BAD_USER_INPUT"
    );
    // A safety concern in November whose words must never reach the published report.
    let raised = app
        .graphql(
            p.ppg_member.token(),
            "mutation($input: RaiseItemInput!) { raiseItem(input: $input) { item { reference } } }",
            json!({ "input": {
                "groupId": gid("Group", p.ppgs[0][0].0),
                "kind": "CONCERN",
                "title": "Quixotic hoist left unrepaired",
                "body": "The hoist on Ward Zanzibar has been broken for weeks.",
                "experiencedOn": "2026-11-20",
                "sentiment": "NEGATIVE",
                "informationSource": "OWN_EXPERIENCE",
                "safetyConcern": true,
            }}),
        )
        .await
        .ok();
    let reference = raised["raiseItem"]["item"]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let this_month = chrono::Utc::now().date_naive().format("%Y-%m").to_string();
    let publish = |who: &Person, month: &str| {
        let input = json!({ "input": { "areaId": gid("Group", area), "month": month } });
        let token = who.token().map(str::to_owned);
        let app = &app;
        async move { app.graphql(token.as_deref(), PUBLISH, input).await }
    };
    // A month under way is not published; a PPG member publishes nothing.
    assert_eq!(
        publish(&p.council_chair, &this_month).await.code(),
        "BAD_USER_INPUT"
    );
    assert_eq!(publish(&p.ppg_member, "2026-11").await.code(), "FORBIDDEN");

    let published =
        publish(&p.council_chair, "2026-11").await.ok()["publishMonthlyReport"]["report"].clone();
    assert_eq!(published["kind"], "MONTHLY");
    assert_eq!(published["period"], "2026-11");
    let html_url = published["htmlUrl"].as_str().unwrap().to_owned();
    let number = html_url.trim_start_matches("/reports/").to_owned();
    assert_eq!(published["csvUrl"], format!("/reports/{number}.csv"));
    // Once: what was published stays as it was.
    assert_eq!(publish(&p.commissioner, "2026-11").await.code(), "CONFLICT");

    // Anyone reads it, in every form, without a token.
    let page = app.get(&html_url).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Patient experience report, November 2026: Council</h1>"));
    assert!(html.contains("<html lang=\"en-GB\">"));
    assert!(html.contains(&format!("href=\"/reports/{number}.md\"")));
    let large = app.get(published["largePrintUrl"].as_str().unwrap()).await;
    assert!(large.text().await.unwrap().contains("(large print)"));
    let text = app.get(published["textUrl"].as_str().unwrap()).await;
    assert_eq!(text.headers()["content-type"], "text/plain; charset=utf-8");
    let text = text.text().await.unwrap();
    assert!(text.starts_with("Patient experience report, November 2026: Council\n\nFrom Council."));
    assert!(
        text.contains("GAPS\n\n3 PPGs of 4 raised nothing in November 2026:"),
        "{text}"
    );
    let csv = app.get(&format!("/reports/{number}.csv")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("Rising negative feedback by provider and source\r\nProvider,Source,Monthly mean before,November 2026\r\nStaffordshire Out-of-Hours GP Service,complaints,2.0 (over 2 months),9\r\n"), "{csv}");
    let markdown = app.get(published["markdownUrl"].as_str().unwrap()).await;
    assert!(
        markdown
            .text()
            .await
            .unwrap()
            .starts_with("# Patient experience report, November 2026: Council\n")
    );
    assert_eq!(app.get("/reports/999").await.status(), 404);
    // The safety concern is listed by its reference, in every form, and its words nowhere.
    for form in ["", ".txt", ".md", ".csv", "?format=large-print"] {
        let page = app
            .get(&format!("/reports/{number}{form}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains("Quixotic") && !page.contains("Zanzibar"),
            "{form}"
        );
        assert!(page.contains(&reference), "{form}: {page}");
    }

    // The report knows it was published, and the list of published reports is public.
    let r = report(&app, p.commissioner.token(), area, "2026-11")
        .await
        .ok();
    assert_eq!(r["monthlyReport"]["published"]["id"], published["id"]);
    let list = app
        .graphql(
            None,
            "query($area: ID!) { publishedReports(areaId: $area, kind: MONTHLY) { period htmlUrl } }",
            json!({ "area": gid("Group", area) }),
        )
        .await
        .ok();
    assert_eq!(
        list["publishedReports"],
        json!([{ "period": "2026-11", "htmlUrl": html_url }])
    );
}
