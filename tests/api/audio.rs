//! A published newsletter's audio version: made once through the outbox from its plain text,
//! kept in the database, served at `/newsletters/{id}.ogg` and linked from its page; when
//! the synthesiser is missing, the issuing group's officers see why.

use std::sync::Arc;

use chrono::Utc;
use pyramid::speech::{Programs, SpeechCourier, ogg_opus_duration};
use pyramid::workers::{OutboxWorker, Router};
use serde_json::{Value, json};

use crate::helpers::{Pyramid, TestApp, gid};
use crate::newsletters::{COMPILE, PUBLISH, busy_quarter, period};

fn speech_worker(app: &TestApp, programs: Programs) -> OutboxWorker {
    OutboxWorker::new(
        app.db.clone(),
        Arc::new(Router {
            chat: None,
            email: None,
            audio: Some(Arc::new(SpeechCourier::with_programs(
                app.db.clone(),
                programs,
            ))),
        }),
    )
}

/// The council's newsletter of a busy quarter, published; its number.
pub(crate) async fn published(app: &TestApp, p: &Pyramid) -> i64 {
    busy_quarter(app, p).await;
    let mut input = period();
    input["groupId"] = json!(gid("Group", p.council.0));
    let compiled = app
        .graphql(p.council_chair.token(), COMPILE, json!({ "input": input }))
        .await
        .ok();
    let id = compiled["compileNewsletter"]["newsletter"]["id"].clone();
    let published = app
        .graphql(p.council_chair.token(), PUBLISH, json!({ "id": id }))
        .await
        .ok();
    assert_eq!(
        published["publishNewsletter"]["newsletter"]["status"],
        "PUBLISHED"
    );
    let number: Value = app
        .graphql(
            p.council_chair.token(),
            "query($id: ID!) { node(id: $id) { ... on Newsletter { urls { html audio } } } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    let urls = &number["node"]["urls"];
    let html = urls["html"].as_str().expect("an address");
    assert_eq!(urls["audio"].as_str(), Some(format!("{html}.ogg").as_str()));
    html.trim_start_matches("/newsletters/")
        .parse()
        .expect("a newsletter number")
}

fn espeak_installed() -> bool {
    std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && std::process::Command::new("opusenc")
            .arg("--version")
            .output()
            .is_ok()
}

#[tokio::test]
async fn a_published_newsletter_is_read_aloud_once_and_linked_from_its_page() {
    if !espeak_installed() {
        eprintln!(
            "skipped: espeak-ng or opusenc is not installed (apt-get install espeak-ng opus-tools; CI installs them)"
        );
        return;
    }
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let number = published(&app, &p).await;
    let audio_path = format!("/newsletters/{number}.ogg");

    // Until it is made there is nothing to hear, and the page does not offer it.
    assert_eq!(app.get(&audio_path).await.status(), 404);
    let page = app.get(&format!("/newsletters/{number}")).await;
    let page = page.text().await.unwrap();
    assert!(!page.contains("Listen (audio)"), "{page}");
    assert!(page.contains("as audio on request"), "{page}");

    let worker = speech_worker(&app, Programs::default());
    let made = worker.drain(Utc::now()).await.unwrap();
    assert_eq!((made.delivered, made.failed), (1, 0));
    let again = worker
        .drain(Utc::now() + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(again.delivered, 0, "made once");

    let audio = app.get(&audio_path).await;
    assert_eq!(audio.status(), 200);
    assert_eq!(audio.headers()["content-type"], "audio/ogg; codecs=opus");
    let bytes = audio.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"OggS");
    assert!(
        bytes[..100].windows(8).any(|w| w == b"OpusHead"),
        "an Opus stream"
    );
    let text = app
        .get(&format!("/newsletters/{number}.txt"))
        .await
        .text()
        .await
        .unwrap();
    let words = text.split_whitespace().count() as f64;
    let seconds = ogg_opus_duration(&bytes).unwrap().as_secs_f64();
    assert!(
        seconds >= 0.2 * words && seconds <= 1.5 * words,
        "{seconds} s for {words} words"
    );

    let page = app
        .get(&format!("/newsletters/{number}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "<a href=\"/newsletters/{number}.ogg\" type=\"audio/ogg\">Listen (audio)</a>"
        )),
        "{page}"
    );
    assert!(!page.contains("as audio on request"), "{page}");
}

#[tokio::test]
async fn without_the_synthesiser_the_issuing_groups_officers_see_why_there_is_no_audio() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let number = published(&app, &p).await;
    let mut worker = speech_worker(
        &app,
        Programs {
            speak: "/nonexistent/espeak-ng".to_owned(),
            encode: "opusenc".to_owned(),
        },
    );
    worker.max_attempts = 2;
    let now = Utc::now();
    let first = worker.drain(now).await.unwrap();
    assert_eq!(
        first.retrying, 1,
        "tried again later, in case it is installed"
    );
    let last = worker
        .drain(now + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(last.failed, 1);
    assert_eq!(
        app.get(&format!("/newsletters/{number}.ogg"))
            .await
            .status(),
        404
    );
    let failed = app
        .graphql(
            p.council_chair.token(),
            "query($g: ID!) { node(id: $g) { ... on Group { failedDeliveries(first: 10) { edges { node { id kind channel what to reason attempts } } } } } }",
            json!({ "g": gid("Group", p.council.0) }),
        )
        .await
        .ok();
    let edges = &failed["node"]["failedDeliveries"]["edges"];
    assert_eq!(edges.as_array().unwrap().len(), 1, "{edges:#?}");
    let node = &edges[0]["node"];
    assert_eq!(node["kind"], "NEWSLETTER_AUDIO");
    assert_eq!(node["channel"], "AUDIO");
    assert_eq!(node["attempts"], 2);
    assert_eq!(
        node["what"],
        format!("The audio version of newsletter {number}")
    );
    let reason = node["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("/nonexistent/espeak-ng is not installed on this server"),
        "{reason}"
    );

    // Once the synthesiser is installed, an officer tries it again.
    let delivery = node["id"].as_str().expect("an id").to_owned();
    const RETRY: &str = "mutation($id: ID!) { retryDelivery(input: { deliveryId: $id }) { group { name failedDeliveries(first: 10) { edges { node { id } } } } } }";
    let refused = app
        .graphql(p.ppg_member.token(), RETRY, json!({ "id": delivery }))
        .await;
    assert_eq!(refused.code(), "NOT_FOUND", "a member of another group");
    let retried = app
        .graphql(p.council_chair.token(), RETRY, json!({ "id": delivery }))
        .await
        .ok();
    assert_eq!(
        retried["retryDelivery"]["group"]["failedDeliveries"]["edges"],
        json!([]),
        "{retried:#?}"
    );
    let twice = app
        .graphql(p.council_chair.token(), RETRY, json!({ "id": delivery }))
        .await;
    assert_eq!(twice.code(), "CONFLICT", "queued once, however often asked");
    let later = now + chrono::Duration::hours(3);
    if espeak_installed() {
        let made = speech_worker(&app, Programs::default())
            .drain(later)
            .await
            .unwrap();
        assert_eq!((made.delivered, made.failed), (1, 0));
        let audio = app.get(&format!("/newsletters/{number}.ogg")).await;
        assert_eq!(audio.status(), 200);
    } else {
        // From its first attempt again: still missing, it waits to be tried once more.
        assert_eq!(worker.drain(later).await.unwrap().retrying, 1);
    }
}

#[tokio::test]
async fn a_published_report_is_read_aloud_once_from_its_plain_text() {
    if !espeak_installed() {
        eprintln!(
            "skipped: espeak-ng or opusenc is not installed (apt-get install espeak-ng opus-tools; CI installs them)"
        );
        return;
    }
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    crate::items::raise(
        &app,
        p.ppg_member.token(),
        crate::items::soft_intelligence(p.ppgs[0][0].0, "Long waits for call-backs", "Four hours."),
    )
    .await;
    let published = app
        .graphql(
            p.council_chair.token(),
            "mutation($input: PublishMonthlyReportInput!) { publishMonthlyReport(input: $input) { report { htmlUrl textUrl audioUrl } } }",
            json!({ "input": { "areaId": gid("Group", p.council.0), "month": "2026-11" } }),
        )
        .await
        .ok();
    let report = &published["publishMonthlyReport"]["report"];
    let html_url = report["htmlUrl"].as_str().unwrap();
    let audio_url = report["audioUrl"].as_str().unwrap();
    assert_eq!(audio_url, format!("{html_url}.ogg"));

    // The page links it from the start; until it is made the address says so.
    let page = app.get(html_url).await.text().await.unwrap();
    assert!(
        page.contains(&format!("<a href=\"{audio_url}\">Listen (audio)</a>")),
        "{page}"
    );
    let not_yet = app.get(audio_url).await;
    assert_eq!(not_yet.status(), 404);
    assert!(
        not_yet
            .text()
            .await
            .unwrap()
            .contains("The audio version is not ready")
    );

    let worker = speech_worker(&app, Programs::default());
    let made = worker.drain(Utc::now()).await.unwrap();
    assert_eq!((made.delivered, made.failed), (1, 0));
    let again = worker
        .drain(Utc::now() + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(again.delivered, 0, "made once");

    let audio = app.get(audio_url).await;
    assert_eq!(audio.status(), 200);
    assert_eq!(audio.headers()["content-type"], "audio/ogg; codecs=opus");
    let bytes = audio.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"OggS");
    let text = app
        .get(report["textUrl"].as_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    let words = text.split_whitespace().count() as f64;
    let seconds = ogg_opus_duration(&bytes).unwrap().as_secs_f64();
    assert!(
        words > 50.0 && seconds >= 0.2 * words && seconds <= 1.5 * words,
        "{seconds} s for {words} words"
    );
}
