//! Easy read: made from a newsletter's entries, one short sentence a line, linked from its
//! page; the issuing group's officers can write their own instead.

use serde_json::json;

use crate::audio::published;
use crate::helpers::{Pyramid, TestApp, gid};

const SET: &str = r#"mutation($input: SetNewsletterEasyReadInput!) {
  setNewsletterEasyRead(input: $input) { newsletter { easyRead easyReadEdited urls { easyRead } } }
}"#;

#[tokio::test]
async fn easy_read_has_one_short_sentence_a_line_and_the_secretary_can_write_their_own() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let number = published(&app, &p).await;
    let path = format!("/newsletters/{number}.easy.txt");

    let made = app.get(&path).await;
    assert_eq!(made.status(), 200);
    assert_eq!(made.headers()["content-type"], "text/plain; charset=utf-8");
    let made = made.text().await.unwrap();
    let plain = app
        .get(&format!("/newsletters/{number}.txt"))
        .await
        .text()
        .await
        .unwrap();
    // The plain text's structure: its title first, its sections in the same order.
    assert_eq!(made.lines().next(), plain.lines().next());
    assert!(made.contains("\n\nYou said, we did\n\n"), "{made}");
    assert!(plain.contains("; "), "the plain text joins ideas: {plain}");
    for line in made.lines() {
        assert!(!line.contains("; "), "one idea a line: {line}");
        assert!(
            !line
                .char_indices()
                .any(|(i, c)| c == '.' && line[i + 1..].starts_with(' ')),
            "one sentence a line: {line}"
        );
    }
    let page = app
        .get(&format!("/newsletters/{number}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("<li><a href=\"{path}\">Easy read</a></li>")));

    let newsletter = gid("Newsletter", number);
    let own = "News from the council.\nWe listened.\nCall us on 07700 900123.";
    assert_eq!(
        app.graphql(
            p.ppg_member.token(),
            SET,
            json!({ "input": { "newsletterId": newsletter, "text": own } })
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    let set = app
        .graphql(
            p.council_chair.token(),
            SET,
            json!({ "input": { "newsletterId": newsletter, "text": own } }),
        )
        .await
        .ok();
    let n = &set["setNewsletterEasyRead"]["newsletter"];
    assert_eq!(n["easyReadEdited"], true);
    assert_eq!(n["urls"]["easyRead"], path);
    let text = app.get(&path).await.text().await.unwrap();
    assert!(
        text.starts_with("News from the council.\nWe listened.\n"),
        "{text}"
    );
    assert!(!text.contains("07700 900123"), "redacted: {text}");

    let reset = app
        .graphql(
            p.council_chair.token(),
            SET,
            json!({ "input": { "newsletterId": newsletter, "text": " " } }),
        )
        .await
        .ok();
    assert_eq!(
        reset["setNewsletterEasyRead"]["newsletter"]["easyReadEdited"],
        false
    );
    assert_eq!(app.get(&path).await.text().await.unwrap(), made);
}
