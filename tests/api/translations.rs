//! Human translations of a newsletter: added and replaced by the issuing group's officers,
//! redacted like any text, each served in its language and direction and linked from the
//! others by the language's own name.

use serde_json::{Value, json};

use crate::audio::published;
use crate::helpers::{Pyramid, TestApp, gid};

const SET: &str = r#"mutation($input: SetNewsletterTranslationInput!) {
  setNewsletterTranslation(input: $input) { translation { language name direction url largePrintUrl title introduction entries { entryId heading } } }
}"#;

async fn entries(app: &TestApp, p: &Pyramid, number: i64) -> Vec<(String, String)> {
    let found = app
        .graphql(
            p.council_chair.token(),
            "query($id: ID!) { node(id: $id) { ... on Newsletter { entries { id heading } } } }",
            json!({ "id": gid("Newsletter", number) }),
        )
        .await
        .ok();
    found["node"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["heading"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_secretary_adds_welsh_and_urdu_and_each_page_reads_in_its_language_and_direction() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let number = published(&app, &p).await;
    let newsletter = gid("Newsletter", number);
    let entries = entries(&app, &p, number).await;
    assert!(entries.len() >= 2, "{entries:?}");
    let (first, first_heading) = &entries[0];

    let urdu = app
        .graphql(
            p.council_chair.token(),
            SET,
            json!({ "input": {
                "newsletterId": newsletter, "language": "ur",
                "title": "کونسل کا نیوز لیٹر",
                "introduction": "آپ کی رائے کا شکریہ۔",
                "entries": [{ "entryId": first, "heading": "کال بیک کا طویل انتظار", "body": "چھ گھنٹے۔" }]
            } }),
        )
        .await
        .ok();
    let t = &urdu["setNewsletterTranslation"]["translation"];
    assert_eq!(t["name"], "اردو");
    assert_eq!(t["direction"], "rtl");
    assert_eq!(t["url"], format!("/newsletters/{number}/ur"));
    assert_eq!(
        t["largePrintUrl"],
        format!("/newsletters/{number}/ur?format=large-print")
    );
    // Redacted like everything typed, whatever the language.
    let welsh = app
        .graphql(
            p.council_chair.token(),
            SET,
            json!({ "input": { "newsletterId": newsletter, "language": "cy",
                "title": "Cylchlythyr", "introduction": "Ffoniwch 07700 900123." } }),
        )
        .await
        .ok();
    let intro = welsh["setNewsletterTranslation"]["translation"]["introduction"]
        .as_str()
        .unwrap();
    assert!(!intro.contains("07700 900123"), "{intro}");
    // Replaced, not added twice.
    app.graphql(
        p.council_chair.token(),
        SET,
        json!({ "input": { "newsletterId": newsletter, "language": "CY",
            "title": "Cylchlythyr y Cyngor" } }),
    )
    .await
    .ok();
    let listed = app
        .graphql(
            None,
            "query($id: ID!) { node(id: $id) { ... on Newsletter { translations { language name title } } } }",
            json!({ "id": newsletter }),
        )
        .await
        .ok();
    assert_eq!(
        listed["node"]["translations"],
        json!([
            { "language": "cy", "name": "Cymraeg", "title": "Cylchlythyr y Cyngor" },
            { "language": "ur", "name": "اردو", "title": "کونسل کا نیوز لیٹر" }
        ])
    );

    let page = app.get(&format!("/newsletters/{number}/ur")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("<html lang=\"ur\" dir=\"rtl\">"), "{page}");
    assert!(page.contains("<h1>کونسل کا نیوز لیٹر</h1>"));
    assert!(page.contains("<h3>کال بیک کا طویل انتظار</h3>"));
    assert!(!page.contains(&format!("<h3>{first_heading}</h3>")));
    // What is not translated is marked English, for screen readers.
    assert!(page.contains(&format!(
        "<li lang=\"en-GB\" dir=\"ltr\">\n<h3>{}</h3>",
        entries[1].1
    )));
    assert!(page.contains(&format!("<a href=\"/newsletters/{number}/cy\" hreflang=\"cy\" lang=\"cy\" dir=\"ltr\">Cymraeg</a>")), "{page}");
    assert!(page.contains(&format!(
        "<link rel=\"alternate\" hreflang=\"en-GB\" href=\"/newsletters/{number}\">"
    )));
    let english = app
        .get(&format!("/newsletters/{number}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en-GB\" dir=\"ltr\">"));
    assert!(english.contains(&format!(
        "<a href=\"/newsletters/{number}/ur\" hreflang=\"ur\" lang=\"ur\" dir=\"rtl\">اردو</a>"
    )));
    let large = app
        .get(&format!("/newsletters/{number}/cy?format=large-print"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        large.contains("<html lang=\"cy\" dir=\"ltr\">") && large.contains("font-size: 1.5rem")
    );
    assert_eq!(
        app.get(&format!("/newsletters/{number}/pl")).await.status(),
        404,
        "no Polish translation"
    );
    assert_eq!(
        app.get(&format!("/newsletters/{number}/xx")).await.status(),
        404
    );
}

#[tokio::test]
async fn only_the_issuing_officers_translate_and_only_into_a_known_language() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let number = published(&app, &p).await;
    let newsletter = gid("Newsletter", number);
    let input = |language: &str, entries: Value| json!({ "input": { "newsletterId": newsletter, "language": language, "title": "T", "entries": entries } });
    for outsider in [&p.ppg_member, &p.district_secretary] {
        assert_eq!(
            app.graphql(outsider.token(), SET, input("cy", json!([])))
                .await
                .code(),
            "FORBIDDEN"
        );
    }
    for language in ["en", "fr"] {
        let refused = app
            .graphql(p.council_chair.token(), SET, input(language, json!([])))
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT");
    }
    // An entry of another newsletter is not this one's to translate.
    let other = gid("NewsletterEntry", 999_999);
    assert_eq!(
        app.graphql(
            p.council_chair.token(),
            SET,
            input(
                "cy",
                json!([{ "entryId": other, "heading": "H", "body": "B" }])
            )
        )
        .await
        .code(),
        "BAD_USER_INPUT"
    );
}
