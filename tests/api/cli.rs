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
    assert_eq!(
        app.graphql(Some(&token), "{ me { name } }", json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
}
