//! Importing other sources of feedback and triangulating them, tried as a commissioner and an
//! information-governance lead would: the repository's sample files uploaded through GraphQL
//! (a multipart request, as a browser or a client library sends it), the triangulation figures
//! checked by value against those files, bad lines reported by line and reason, the same file
//! not imported twice, overlapping months refused, dry runs storing nothing, undo, and who may
//! import and see what.

use serde_json::{Value, json};

use crate::helpers::{Person, Pyramid, TestApp, gid};

const IMPORT: &str = r#"
mutation($input: ImportFeedbackInput!, $file: Upload!) {
  importFeedback(input: $input, file: $file) {
    dryRun rowsRead rowsImported alreadyInRegister
    rejected { line reason }
    import { id number source fileName rowsImported rowsRejected firstMonth lastMonth undoneAt }
  }
}"#;

const TRIANGULATION: &str = r#"
query($provider: ID!, $from: Date!, $to: Date!) {
  triangulation(providerId: $provider, from: $from, to: $to) {
    provider { name } from to findings
    months {
      month label softIntelligenceConcerns softIntelligencePositive
      complaints { count suppressed } complaintsUpheld { count suppressed }
      palsContacts palsCompliments
      fft { responses percentPositive percentNegative dontKnow suppressedLines }
      careOpinionStories careOpinionNegativeTags careOpinionResponded careOpinionChangePlanned careOpinionChangeMade
    }
    themes { theme { slug } months { month softIntelligenceConcerns complaints { count suppressed } palsContacts careOpinionStories fft { responses } } }
  }
}"#;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/samples/feedback/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the sample file")
}

/// Sends a GraphQL multipart request (operations, map, one file), as the GraphQL multipart
/// request specification sets it out.
async fn upload(
    app: &TestApp,
    token: Option<&str>,
    source: &str,
    area: i64,
    dry_run: bool,
    file_name: &str,
    content: &[u8],
) -> Value {
    let boundary = "pyramid-test-boundary-7f3a";
    let operations = json!({
        "query": IMPORT,
        "variables": {
            "input": { "areaId": gid("Group", area), "source": source, "dryRun": dry_run },
            "file": null
        }
    });
    let mut body = Vec::new();
    let mut part = |headers: &str, data: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    };
    part(
        "Content-Disposition: form-data; name=\"operations\"",
        operations.to_string().as_bytes(),
    );
    part(
        "Content-Disposition: form-data; name=\"map\"",
        br#"{"0": ["variables.file"]}"#,
    );
    part(
        &format!(
            "Content-Disposition: form-data; name=\"0\"; filename=\"{file_name}\"\r\nContent-Type: text/csv"
        ),
        content,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let response = app
        .post_raw(
            body,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            token,
        )
        .await;
    response.json().await.expect("a JSON answer")
}

fn data(answer: &Value) -> &Value {
    assert!(answer.get("errors").is_none(), "{answer:#}");
    &answer["data"]["importFeedback"]
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error: {answer:#}"))
}

/// The test pyramid with the sample register and the four sample sources imported.
pub(crate) async fn imported() -> (TestApp, Pyramid) {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let council = p.council.0;
    let register = upload(
        &app,
        p.admin.token(),
        "ODS_REGISTER",
        council,
        false,
        "ods-register.csv",
        &sample("ods-register.csv"),
    )
    .await;
    let register = data(&register);
    assert_eq!(register["rowsImported"], 7, "{register:#}");
    assert_eq!(register["alreadyInRegister"], 0);
    for (source, file) in [
        ("FFT", "fft.csv"),
        ("COMPLAINTS", "complaints.csv"),
        ("PALS", "pals.csv"),
        ("CARE_OPINION", "care-opinion.csv"),
    ] {
        let answer = upload(
            &app,
            p.commissioner.token(),
            source,
            council,
            false,
            file,
            &sample(file),
        )
        .await;
        let report = data(&answer);
        assert_eq!(report["rejected"], json!([]), "{file}: {report:#}");
        assert_eq!(report["rowsImported"], report["rowsRead"], "{file}");
        assert_eq!(report["import"]["fileName"], file);
        assert_eq!(report["import"]["firstMonth"], "2026-09");
        assert_eq!(report["import"]["lastMonth"], "2026-11");
    }
    (app, p)
}

pub(crate) async fn provider_id(app: &TestApp, who: &Person, name: &str) -> String {
    let answer = app
        .graphql(
            who.token(),
            "{ providers(first: 50) { nodes { id name } } }",
            json!({}),
        )
        .await
        .ok();
    answer["providers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {answer:#}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn theme_id(app: &TestApp, slug: &str) -> String {
    let answer = app
        .graphql(None, "{ themes { id slug } }", json!({}))
        .await
        .ok();
    answer["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == slug)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn raise_about(
    app: &TestApp,
    who: &Person,
    group: i64,
    provider: &str,
    theme: &str,
    on: &str,
) {
    let input = json!({
        "groupId": gid("Group", group),
        "kind": "SOFT_INTELLIGENCE",
        "title": "Sent home without medication",
        "body": "Discharged late at night with no tablets and no letter for the GP.",
        "providerId": provider,
        "experiencedOn": on,
        "sentiment": "NEGATIVE",
        "informationSource": "OWN_EXPERIENCE",
        "themes": [{ "themeId": theme, "polarity": "NEGATIVE" }],
    });
    app.graphql(
        who.token(),
        "mutation($input: RaiseItemInput!) { raiseItem(input: $input) { item { id } } }",
        json!({ "input": input }),
    )
    .await
    .ok();
}

async fn triangulation(app: &TestApp, who: &Person, provider: &str) -> crate::helpers::Gql {
    app.graphql(
        who.token(),
        TRIANGULATION,
        json!({ "provider": provider, "from": "2026-09-01", "to": "2026-11-30" }),
    )
    .await
}

#[tokio::test]
async fn the_sample_files_triangulate_to_their_own_figures() {
    let (app, p) = imported().await;
    let trust = provider_id(&app, &p.commissioner, "Trentvale Hospitals NHS Trust").await;
    let discharge = theme_id(&app, "discharge").await;
    raise_about(
        &app,
        &p.ppg_member,
        p.ppgs[0][0].0,
        &trust,
        &discharge,
        "2026-10-10",
    )
    .await;

    let t = triangulation(&app, &p.commissioner, &trust).await.ok()["triangulation"].clone();
    assert_eq!(t["provider"]["name"], "Trentvale Hospitals NHS Trust");
    assert_eq!(
        (t["from"].as_str(), t["to"].as_str()),
        (Some("2026-09"), Some("2026-11"))
    );
    let months = t["months"].as_array().unwrap();
    assert_eq!(months.len(), 3);
    let (september, october, november) = (&months[0], &months[1], &months[2]);
    assert_eq!(september["label"], "September 2026");

    // complaints.csv, RX1: 3 + 4 + 2 + 5 new in September; October has a suppressed line.
    assert_eq!(
        september["complaints"],
        json!({ "count": 14, "suppressed": 0 })
    );
    assert_eq!(
        september["complaintsUpheld"],
        json!({ "count": 4, "suppressed": 0 })
    );
    assert_eq!(
        october["complaints"],
        json!({ "count": 12, "suppressed": 1 })
    );
    assert_eq!(
        november["complaints"],
        json!({ "count": 12, "suppressed": 0 })
    );

    // fft.csv: the trust's two sites (RX101: 412 responses, 251 + 104 positive, 14 + 12
    // negative, 10 don't know; RX102: 96, 61 + 22, 3 + 2, 3), never the other trust's unit.
    assert_eq!(
        september["fft"],
        json!({ "responses": 508, "percentPositive": 86, "percentNegative": 6, "dontKnow": 13, "suppressedLines": 0 })
    );

    // pals.csv: two concerns at RX101 in September, and a compliment at RX102.
    assert_eq!(september["palsContacts"], 2);
    assert_eq!(september["palsCompliments"], 1);

    // care-opinion.csv: two stories in September, both responded to; November's says a
    // change was made; October's planned one.
    assert_eq!(september["careOpinionStories"], 2);
    assert_eq!(september["careOpinionResponded"], 2);
    assert_eq!(october["careOpinionChangePlanned"], 1);
    assert_eq!(november["careOpinionChangeMade"], 1);

    // The pyramid's own report, in the month of the experience.
    assert_eq!(september["softIntelligenceConcerns"], 0);
    assert_eq!(october["softIntelligenceConcerns"], 1);

    // Under the discharge heading: KO41 "Admissions and discharges" (3 a month), one PALS
    // contact a month, and one Care Opinion story a month tagged "discharge".
    let row = t["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["theme"]["slug"] == "discharge")
        .expect("a discharge row");
    let by_month: Vec<(i64, i64, i64, i64)> = row["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["softIntelligenceConcerns"].as_i64().unwrap(),
                m["complaints"]["count"].as_i64().unwrap(),
                m["palsContacts"].as_i64().unwrap(),
                m["careOpinionStories"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_month, [(0, 3, 1, 1), (1, 3, 1, 1), (0, 3, 1, 1)]);
    assert!(row["months"][0]["fft"].is_null(), "the FFT has no themes");
}

#[tokio::test]
async fn rising_complaints_the_ppgs_have_not_heard_are_named() {
    let (app, p) = imported().await;
    let ooh = provider_id(
        &app,
        &p.commissioner,
        "Staffordshire Out-of-Hours GP Service",
    )
    .await;
    let t = triangulation(&app, &p.council_chair, &ooh).await.ok()["triangulation"].clone();
    assert_eq!(
        t["findings"],
        json!([
            "Complaints about access and appointments rose from 2 (September 2026) to 7 (November 2026) but soft intelligence did not (0, then 0): PPGs may not be hearing of it."
        ])
    );
}

/// August's FFT for a provider, as the triangulation shows it.
async fn august(app: &TestApp, who: &Person, provider: &str) -> Value {
    app.graphql(
        who.token(),
        "query($p: ID!) { triangulation(providerId: $p, from: \"2026-08-01\", to: \"2026-08-31\") { months { fft { responses suppressedLines } } } }",
        json!({ "p": provider }),
    )
    .await
    .ok()["triangulation"]["months"][0]["fft"]
        .clone()
}

#[tokio::test]
async fn bad_lines_are_reported_and_the_same_file_is_not_imported_twice() {
    let (app, p) = imported().await;
    let council = p.council.0;
    let file = b"Period,Org code,Very good,Good,Neither good nor poor,Poor,Very poor,Don't know,Total responses\n\
2026-08,RX101,10,5,1,1,1,2,20\n\
2026-08,RX999,10,5,1,1,1,2,20\n\
2026-08,RX102,ten,5,1,1,1,2,20\n\
2026-09,RX4,10,5,1,1,1,2,20\n\
2026-08,RX3,*,*,1,1,1,2,20\n";
    let dry = upload(
        &app,
        p.commissioner.token(),
        "FFT",
        council,
        true,
        "august.csv",
        file,
    )
    .await;
    let dry = data(&dry);
    assert_eq!(dry["dryRun"], true);
    assert!(dry["import"].is_null(), "a dry run stores nothing");
    assert_eq!(dry["rowsRead"], 5);
    assert_eq!(dry["rowsImported"], 2);
    let reasons: Vec<(i64, String)> = dry["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0].0, 3);
    assert!(
        reasons[0]
            .1
            .contains("RX999 is not in the providers register")
    );
    assert_eq!(reasons[1].0, 4);
    assert!(reasons[1].1.contains("'Very good' is not a whole number"));
    assert_eq!(reasons[2].0, 5);
    assert!(
        reasons[2].1.contains("already imported (import 2)"),
        "September's FFT for RX4 came in fft.csv: {}",
        reasons[2].1
    );

    let done = upload(
        &app,
        p.commissioner.token(),
        "FFT",
        council,
        false,
        "august.csv",
        file,
    )
    .await;
    let done = data(&done);
    assert_eq!(done["rowsImported"], 2);
    assert_eq!(done["import"]["rowsRejected"], 3);
    let import_id = done["import"]["id"].as_str().unwrap().to_owned();

    let again = upload(
        &app,
        p.commissioner.token(),
        "FFT",
        council,
        false,
        "august-copy.csv",
        file,
    )
    .await;
    assert_eq!(code(&again), "CONFLICT");
    assert!(
        again["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("importing it again would add nothing")
    );

    // August now has the two lines; undone, it has none, and the file may come in again.
    let trust = provider_id(
        &app,
        &p.commissioner,
        "Staffordshire Out-of-Hours GP Service",
    )
    .await;
    assert_eq!(
        august(&app, &p.commissioner, &trust).await,
        json!({ "responses": 0, "suppressedLines": 1 }),
        "RX3's August line is suppressed: left out of the percentages, and said so"
    );
    let undone = app
        .graphql(
            p.commissioner.token(),
            "mutation($id: ID!) { undoFeedbackImport(id: $id) { number undoneAt } }",
            json!({ "id": import_id }),
        )
        .await
        .ok();
    assert!(undone["undoFeedbackImport"]["undoneAt"].is_string());
    assert!(august(&app, &p.commissioner, &trust).await.is_null());
    let twice = app
        .graphql(
            p.commissioner.token(),
            "mutation($id: ID!) { undoFeedbackImport(id: $id) { number } }",
            json!({ "id": import_id }),
        )
        .await;
    assert_eq!(twice.code(), "CONFLICT");
    let back = upload(
        &app,
        p.commissioner.token(),
        "FFT",
        council,
        false,
        "august.csv",
        file,
    )
    .await;
    assert_eq!(data(&back)["rowsImported"], 2);

    let listed = app
        .graphql(
            p.admin.token(),
            "query($a: ID!) { feedbackImports(areaId: $a) { nodes { number source undoneAt } } }",
            json!({ "a": gid("Group", council) }),
        )
        .await
        .ok();
    let listed = listed["feedbackImports"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        listed.len(),
        7,
        "register, four samples, august twice: {listed:#?}"
    );
    assert!(listed[5]["undoneAt"].is_string() && listed[6]["undoneAt"].is_null());
}

#[tokio::test]
async fn a_file_not_in_the_layout_is_refused_with_what_it_needs() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let answer = upload(
        &app,
        p.commissioner.token(),
        "COMPLAINTS",
        p.council.0,
        false,
        "export.csv",
        b"Trust,Month,Count\nRX1,2026-10,4\n",
    )
    .await;
    assert_eq!(code(&answer), "BAD_USER_INPUT");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("'Org code', 'Subject area', 'New'"),
        "{message}"
    );
    assert_eq!(answer["errors"][0]["extensions"]["field"], "file");
}

#[tokio::test]
async fn undoing_the_register_takes_out_what_it_added_unless_it_is_used() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let register = upload(
        &app,
        p.admin.token(),
        "ODS_REGISTER",
        p.council.0,
        false,
        "ods.csv",
        &sample("ods-register.csv"),
    )
    .await;
    let register_id = data(&register)["import"]["id"].as_str().unwrap().to_owned();
    let again = upload(
        &app,
        p.admin.token(),
        "ODS_REGISTER",
        p.council.0,
        false,
        "ods-2.csv",
        b"Organisation code,Name\nRX1,Trentvale Hospitals NHS Trust\nRX9,Kingsmead Hospice\n",
    )
    .await;
    let again = data(&again);
    assert_eq!(
        (
            again["rowsImported"].as_i64(),
            again["alreadyInRegister"].as_i64()
        ),
        (Some(1), Some(1))
    );

    // A report about one of the first file's providers: that import can no longer be undone.
    let trust = provider_id(&app, &p.admin, "Trentvale Hospitals NHS Trust").await;
    let discharge = theme_id(&app, "discharge").await;
    raise_about(
        &app,
        &p.ppg_member,
        p.ppgs[0][0].0,
        &trust,
        &discharge,
        "2026-10-10",
    )
    .await;
    const UNDO: &str = "mutation($id: ID!) { undoFeedbackImport(id: $id) { undoneAt } }";
    let refused = app
        .graphql(p.admin.token(), UNDO, json!({ "id": register_id }))
        .await;
    assert_eq!(refused.code(), "CONFLICT");

    let second = again["import"]["id"].as_str().unwrap().to_owned();
    app.graphql(p.admin.token(), UNDO, json!({ "id": second }))
        .await
        .ok();
    let names = app
        .graphql(
            None,
            "{ providers(first: 50) { nodes { name } } }",
            json!({}),
        )
        .await
        .ok()
        .to_string();
    assert!(!names.contains("Kingsmead Hospice"), "{names}");
    assert!(names.contains("Trentvale Hospitals NHS Trust"));
}

#[tokio::test]
async fn only_the_commissioners_import_and_only_those_the_provider_concerns_see_its_figures() {
    let (app, p) = imported().await;
    let fft = sample("fft.csv");
    for who in [
        &p.ppg_member,
        &p.district_secretary,
        &p.council_chair,
        &p.admin,
    ] {
        let answer = upload(
            &app,
            who.token(),
            "FFT",
            p.council.0,
            false,
            "fft-2.csv",
            &fft,
        )
        .await;
        assert_eq!(code(&answer), "FORBIDDEN", "{answer:#}");
    }
    let anonymous = upload(&app, None, "FFT", p.council.0, false, "fft.csv", &fft).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let listing = app
        .graphql(
            p.ppg_member.token(),
            "query($a: ID!) { feedbackImports(areaId: $a) { nodes { number } } }",
            json!({ "a": gid("Group", p.council.0) }),
        )
        .await;
    assert_eq!(listing.code(), "FORBIDDEN");

    let trust = provider_id(&app, &p.commissioner, "Trentvale Hospitals NHS Trust").await;
    // The council and the commissioners see it; a PPG does not; a district only once one of
    // its PPGs has reported the provider, and the other district still not.
    triangulation(&app, &p.council_chair, &trust).await.ok();
    triangulation(&app, &p.commissioner, &trust).await.ok();
    assert_eq!(
        triangulation(&app, &p.ppg_member, &trust).await.code(),
        "FORBIDDEN"
    );
    assert_eq!(
        triangulation(&app, &p.district_secretary, &trust)
            .await
            .code(),
        "FORBIDDEN"
    );
    let discharge = theme_id(&app, "discharge").await;
    raise_about(
        &app,
        &p.ppg_chair,
        p.ppgs[0][0].0,
        &trust,
        &discharge,
        "2026-11-02",
    )
    .await;
    triangulation(&app, &p.district_secretary, &trust)
        .await
        .ok();
    assert_eq!(
        triangulation(&app, &p.ppg_member, &trust).await.code(),
        "FORBIDDEN"
    );
    assert_eq!(
        triangulation(&app, &p.south_member, &trust).await.code(),
        "FORBIDDEN"
    );
    assert_eq!(
        triangulation(
            &app,
            &Person {
                id: p.admin.id,
                token: "pyr_not-a-token".into()
            },
            &trust
        )
        .await
        .code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn nothing_a_file_says_about_a_person_is_kept() {
    use pyramid::entities::{external_feedback, feedback_import};
    use sea_orm::EntityTrait;

    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    upload(
        &app,
        p.admin.token(),
        "ODS_REGISTER",
        p.council.0,
        false,
        "ods.csv",
        &sample("ods-register.csv"),
    )
    .await;
    // A careless export: a patient's name and NHS number in the file's name, a subject, a
    // service area and a tag.
    let complaints =
        b"Org code,Period,Subject area,Service area,New,Upheld,Partially upheld,Not upheld\n\
RX1,2026-10,Mrs Jane Smith discharge,Ward 3 - Mr Arjun Patel 943 476 5919,1,0,0,1\n";
    let answer = upload(
        &app,
        p.commissioner.token(),
        "COMPLAINTS",
        p.council.0,
        false,
        "complaint from Mrs Jane Smith 943 476 5919.csv",
        complaints,
    )
    .await;
    let stored_name = data(&answer)["import"]["fileName"]
        .as_str()
        .unwrap()
        .to_owned();
    let postings = b"Posted,Service ODS code,Tags,Criticality,Responded\n\
2026-10-04,RX101,-Dr Evans was rude; -discharge,3,yes\n";
    upload(
        &app,
        p.commissioner.token(),
        "CARE_OPINION",
        p.council.0,
        false,
        "co.csv",
        postings,
    )
    .await;

    let mut kept = stored_name.clone();
    for import in feedback_import::Entity::find().all(&app.db).await.unwrap() {
        kept.push_str(import.file_name.as_str());
    }
    for row in external_feedback::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
    {
        kept.push_str(row.service_area.as_ref().map_or("", |s| s.as_str()));
        kept.push_str(&row.measure);
    }
    for identifier in ["Smith", "Patel", "Evans", "943 476 5919", "9434765919"] {
        assert!(!kept.contains(identifier), "{identifier} was kept: {kept}");
    }
    // The figures themselves are there: the complaint under discharge, the tag too.
    let rows = external_feedback::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        rows.iter()
            .any(|r| r.measure == "COMPLAINTS_NEW" && r.value == Some(1))
    );
    assert!(rows.iter().any(|r| r.measure == "CO_TAG_NEGATIVE"));
}

#[tokio::test]
async fn the_export_counts_every_source_and_suppresses_small_counts() {
    let (app, p) = imported().await;
    const EXPORT: &str =
        "query($a: ID!) { feedbackExport(areaId: $a, from: \"2026-09-01\", to: \"2026-11-30\") }";
    let area = json!({ "a": gid("Group", p.council.0) });
    let csv = app
        .graphql(p.commissioner.token(), EXPORT, area.clone())
        .await
        .ok()["feedbackExport"]
        .as_str()
        .unwrap()
        .to_owned();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "month,provider_ods_code,provider,theme,source,measure,count"
    );
    for expected in [
        // fft.csv: the trust's two sites together.
        "2026-09,RX1,Trentvale Hospitals NHS Trust,,FFT,FFT_RESPONSES,508",
        // complaints.csv: five about waiting in A&E are shown, three about discharge are not.
        "2026-09,RX1,Trentvale Hospitals NHS Trust,waiting,COMPLAINTS,COMPLAINTS_NEW,5",
        "2026-09,RX1,Trentvale Hospitals NHS Trust,discharge,COMPLAINTS,COMPLAINTS_NEW,*",
        // Chase Hill Unit's own FFT counts were suppressed at source.
        "2026-09,RX2,Chase Mental Health NHS Foundation Trust,,FFT,FFT_VERY_GOOD,*",
        "2026-11,RX3,Staffordshire Out-of-Hours GP Service,access,COMPLAINTS,COMPLAINTS_NEW,7",
    ] {
        assert!(lines.contains(&expected), "{expected} not in\n{csv}");
    }
    for line in &lines[1..] {
        let count = line.rsplit(',').next().unwrap();
        assert!(
            count == "*" || count == "0" || count.parse::<u32>().unwrap() >= 5,
            "a small count is published: {line}"
        );
    }
    let refused = app.graphql(p.ppg_member.token(), EXPORT, area).await;
    assert_eq!(refused.code(), "FORBIDDEN");
}
