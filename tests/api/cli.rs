//! The `pyramid` command line, run as a person would run it.

use std::process::{Command, Output};

use serde_json::json;

use crate::helpers::{TestApp, TestDatabase};

fn pyramid(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pyramid"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PYRAMID_LISTEN")
        .env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_bad_setting_stops_startup_with_one_line_naming_it() {
    for (variable, value) in [
        ("PYRAMID_LISTEN", "localhost"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("RUST_LOG", "info,[["),
        ("PYRAMID_SMTP_URL", "smtpx://mailer:hunter2@smtp.example"),
        ("PYRAMID_MAIL_FROM", "not a sender"),
    ] {
        let output = pyramid(&["serve"], &[(variable, value)]);
        assert_eq!(output.status.code(), Some(2), "{variable}");
        let message = stderr(&output);
        assert_eq!(
            message.trim_end().lines().count(),
            1,
            "{variable}: {message}"
        );
        assert!(message.contains(variable), "{variable}: {message}");
        assert!(
            !message.contains("hunter2"),
            "a password is never repeated: {message}"
        );
    }
}

#[test]
fn schema_prints_the_sdl() {
    let output = pyramid(&["schema"], &[]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        pyramid::graphql::sdl()
    );
}

#[tokio::test]
async fn seed_demo_is_idempotent_and_its_tokens_work() {
    let database = TestDatabase::create().await;
    let url = database.url.expose().to_owned();
    let env = [("DATABASE_URL", url.as_str())];
    let first = pyramid(&["seed", "demo"], &env);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = pyramid(&["seed", "demo"], &env);
    assert!(second.status.success(), "{}", stderr(&second));

    let tokens: Vec<(String, String)> = String::from_utf8(second.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (role, token) = line.split_once('\t').expect("role<TAB>token");
            (role.to_owned(), token.to_owned())
        })
        .collect();
    let roles: Vec<&str> = tokens.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        roles,
        [
            "admin",
            "commissioner",
            "district-secretary",
            "council-chair",
            "council-member",
            "ppg-chair",
            "ppg-member"
        ]
    );

    let app = TestApp::spawn_on(database).await;
    let districts = app
        .graphql(None, "{ groups(kind: DISTRICT) { edges { node { name children { edges { node { practiceCode } } } } } } }", json!({}))
        .await
        .ok();
    let names: Vec<&str> = districts["groups"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Stafford Borough",
            "Cannock Chase",
            "Seisdon",
            "Burntwood, Lichfield & Tamworth",
            "East Staffordshire"
        ],
        "seeding twice made no second copy"
    );

    let first_admin = String::from_utf8(first.stdout)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .nth(1)
        .unwrap()
        .to_owned();
    let me = "{ me { name areaRoles { role area { kind } } } }";
    assert_eq!(
        app.graphql(Some(&first_admin), me, json!({})).await.code(),
        "UNAUTHENTICATED",
        "re-seeding re-issues tokens"
    );
    let admin = app.graphql(Some(&tokens[0].1), me, json!({})).await.ok();
    assert_eq!(
        admin["me"]["areaRoles"],
        json!([{ "role": "ADMINISTRATOR", "area": { "kind": "COUNCIL" } }])
    );
    let secretary = app
        .graphql(
            Some(&tokens[2].1),
            "{ me { memberships { role group { kind } } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        secretary["me"]["memberships"][0],
        json!({ "role": "SECRETARY", "group": { "kind": "DISTRICT" } })
    );
}

#[tokio::test]
async fn token_create_and_revoke_from_the_command_line() {
    let database = TestDatabase::create().await;
    let url = database.url.expose().to_owned();
    let env = [("DATABASE_URL", url.as_str())];
    assert!(pyramid(&["seed", "demo"], &env).status.success());
    let created = pyramid(
        &[
            "token",
            "create",
            "--member",
            "quality@commissioner.example",
            "--label",
            "reports",
        ],
        &env,
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let unknown = pyramid(&["token", "create", "--member", "nobody@example.org"], &env);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("nobody@example.org"));

    let app = TestApp::spawn_on(database).await;
    let tokens = app
        .graphql(
            Some(&token),
            "{ me { areaRoles { role } apiTokens { id label } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        tokens["me"]["areaRoles"],
        json!([{ "role": "COMMISSIONER" }])
    );
    let id = tokens["me"]["apiTokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "reports")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = pyramid(&["token", "revoke", &id], &env);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    // The command line is another process: on PostgreSQL the server hears of the revocation by
    // notification a few milliseconds later, as a person typing the next request would find it.
    app.settle().await;
    assert_eq!(
        app.graphql(Some(&token), "{ me { name } }", json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn the_demo_publishes_this_years_consultation_report_and_the_command_line_drafts_one() {
    let database = TestDatabase::create().await;
    let url = database.url.expose().to_owned();
    let env = [("DATABASE_URL", url.as_str())];
    assert!(pyramid(&["seed", "demo"], &env).status.success());
    let again = pyramid(&["seed", "demo"], &env);
    assert!(again.status.success(), "{}", stderr(&again));
    let commissioner = String::from_utf8(again.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("commissioner\t").map(str::to_owned))
        .unwrap();
    let year =
        pyramid::domain::consultation::FinancialYear::of(chrono::Utc::now().date_naive()).code();
    let area = "Staffordshire Patients' Council";

    let draft = pyramid(
        &["consultation-report", "--area", area, "--year", &year],
        &env,
    );
    assert!(draft.status.success(), "{}", stderr(&draft));
    let draft = String::from_utf8(draft.stdout).unwrap();
    assert!(draft.starts_with(&format!(
        "# Report on consultation and engagement {year}, Staffordshire Patients' Council\n"
    )));
    assert!(draft.contains("Draft: not yet published."));
    assert!(
        draft.contains("### Out-of-hours GP service: what patients need from the new contract\n")
    );
    // The demo published this year's report already.
    let publish = pyramid(
        &[
            "consultation-report",
            "--area",
            area,
            "--year",
            &year,
            "--publish",
        ],
        &env,
    );
    assert!(!publish.status.success());
    assert!(
        stderr(&publish).contains("(CONFLICT)"),
        "{}",
        stderr(&publish)
    );
    let bad = pyramid(
        &["consultation-report", "--area", area, "--year", "2026/27"],
        &env,
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("write it as 2026-27"),
        "{}",
        stderr(&bad)
    );

    let app = TestApp::spawn_on(database).await;
    let register = app
        .graphql(
            Some(&commissioner),
            "{ groups(kind: COUNCIL) { edges { node { id } } } }",
            json!({}),
        )
        .await
        .ok();
    let council = register["groups"]["edges"][0]["node"]["id"].clone();
    let listed = app
        .graphql(
            Some(&commissioner),
            "query($a: ID!) { consultations(areaId: $a) { edges { node { title } } } }",
            json!({ "a": council }),
        )
        .await
        .ok();
    let titles: Vec<&str> = listed["consultations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles.len(),
        6,
        "seeding twice records them once: {titles:?}"
    );
    let reports = app
        .graphql(
            None,
            "query($a: ID!) { publishedReports(areaId: $a, kind: CONSULTATIONS) { period htmlUrl } }",
            json!({ "a": council }),
        )
        .await
        .ok();
    assert_eq!(reports["publishedReports"][0]["period"], year.as_str());
    let page = app
        .get(reports["publishedReports"][0]["htmlUrl"].as_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    for title in [
        "Out-of-hours GP service: what patients need from the new contract",
        "Moving the minor injuries unit to the community hospital",
        "Maternity services listening events",
        "Crisis support for mental health: what should change",
    ] {
        assert!(page.contains(title), "{title}");
    }
}

#[tokio::test]
async fn the_command_line_drafts_the_monthly_report_and_publishes_a_month_once() {
    let database = TestDatabase::create().await;
    let url = database.url.expose().to_owned();
    let env = [("DATABASE_URL", url.as_str())];
    assert!(pyramid(&["seed", "demo"], &env).status.success());
    let area = "Staffordshire Patients' Council";
    let today = chrono::Utc::now().date_naive();
    let month = pyramid::domain::feedback::Month::of(today);
    let this_month = month.code();
    let last_month = month.previous().code();
    let before = month.previous().previous();

    // The month under way can be drafted, not published.
    let draft = pyramid(
        &["monthly-report", "--area", area, "--month", &this_month],
        &env,
    );
    assert!(draft.status.success(), "{}", stderr(&draft));
    let draft = String::from_utf8(draft.stdout).unwrap();
    assert!(draft.starts_with(&format!(
        "# Patient experience report, {}: Staffordshire Patients' Council\n",
        month.label()
    )));
    assert!(draft.contains("Draft: not yet published."));
    let refused = pyramid(
        &[
            "monthly-report",
            "--area",
            area,
            "--month",
            &this_month,
            "--publish",
        ],
        &env,
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("once the month is over"),
        "{}",
        stderr(&refused)
    );

    // The demo published last month's; the month before is published here, once.
    let again = pyramid(
        &[
            "monthly-report",
            "--area",
            area,
            "--month",
            &last_month,
            "--publish",
        ],
        &env,
    );
    assert!(stderr(&again).contains("(CONFLICT)"), "{}", stderr(&again));
    let published = pyramid(
        &[
            "monthly-report",
            "--area",
            area,
            "--month",
            &before.code(),
            "--publish",
        ],
        &env,
    );
    assert!(published.status.success(), "{}", stderr(&published));
    let out = String::from_utf8(published.stdout).unwrap();
    assert!(
        out.starts_with(&format!(
            "Published: Patient experience report, {}: Staffordshire Patients' Council\n/reports/",
            before.label()
        )),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("/reports/") && l.ends_with(".csv"))
    );
}
