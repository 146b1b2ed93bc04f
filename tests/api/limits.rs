//! The work one request or client can cause is bounded, and every way a request can be wrong
//! gets a GraphQL-shaped answer with a code and a sentence: search, complexity, body size,
//! request rates, connection timeouts and caps, malformed transports, and the messages people
//! read.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Pyramid, TestApp, TestDatabase, gid};
use crate::items::{RAISE, soft_intelligence};

fn port_of(app: &TestApp) -> u16 {
    app.address.rsplit(':').next().unwrap().parse().unwrap()
}

async fn body_of(response: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.expect("a JSON answer");
    (status, retry_after, body)
}

#[tokio::test]
async fn searches_are_bounded_in_length_and_words() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let search = |text: String| {
        let app = &app;
        let token = p.ppg_member.token.clone();
        async move {
            app.graphql(
                Some(&token),
                "query($s: String!) { items(filter: { search: $s }) { edges { node { id } } } }",
                json!({ "s": text }),
            )
            .await
        }
    };
    let long = search("waiting ".repeat(2_500)).await;
    assert_eq!((long.code(), long.field()), ("BAD_USER_INPUT", "search"));
    let wordy = search(
        (0..11)
            .map(|n| format!("w{n}"))
            .collect::<Vec<_>>()
            .join(" "),
    )
    .await;
    assert_eq!((wordy.code(), wordy.field()), ("BAD_USER_INPUT", "search"));
    assert!(
        search("out of hours call-back".into())
            .await
            .errors
            .is_empty()
    );
}

#[tokio::test]
async fn complexity_counts_page_sizes_so_aliased_pages_cannot_add_up() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let aliases: String = (0..800)
        .map(|n| format!("a{n}: items(first: 100) {{ edges {{ node {{ id title }} }} }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let before = app.statements();
    let refused = app
        .graphql(
            p.commissioner.token(),
            &format!("{{ {aliases} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        refused.code(),
        "GRAPHQL_VALIDATION_FAILED",
        "{:?}",
        refused.errors
    );
    // Refused before it runs: nothing is read beyond signing the caller in.
    assert!(
        app.statements() - before <= 1,
        "{} statements",
        app.statements() - before
    );
    // One full page of a dashboard is fine.
    let dashboard = app
        .graphql(
            p.commissioner.token(),
            "query($c: ID!) { items(filter: { heldAt: $c }, first: 100) { edges { node { reference title status originGroup { name parent { name } } provider { name } latestEvent { kind at group { name } } } } } }",
            json!({ "c": gid("Group", p.council.0) }),
        )
        .await;
    assert!(dashboard.errors.is_empty(), "{:?}", dashboard.errors);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    let big = format!(
        r#"{{"query": "{{ __typename }}", "variables": {{ "x": "{}" }} }}"#,
        "a".repeat(2 << 20)
    );
    let (status, _, body) = body_of(app.post_raw(big, Some("application/json"), None).await).await;
    assert_eq!(status, 413);
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn every_malformed_request_gets_a_coded_json_answer() {
    let app = TestApp::spawn().await;
    let cases: [(&str, Vec<u8>, Option<&str>, &str); 6] = [
        (
            "empty body",
            b"".to_vec(),
            Some("application/json"),
            "BAD_REQUEST",
        ),
        (
            "truncated JSON",
            br#"{"query": "{ me"#.to_vec(),
            Some("application/json"),
            "BAD_REQUEST",
        ),
        (
            "a batch",
            br#"[{"query": "{ __typename }"}]"#.to_vec(),
            Some("application/json"),
            "BAD_REQUEST",
        ),
        (
            "a form",
            b"query=%7B__typename%7D".to_vec(),
            Some("application/x-www-form-urlencoded"),
            "BAD_REQUEST",
        ),
        (
            "not UTF-8",
            vec![b'{', 0xff, 0xfe, b'}'],
            Some("application/json"),
            "BAD_REQUEST",
        ),
        (
            "a NUL",
            br#"{"query": "{ item(reference: \"\u0000\") { id } }"}"#.to_vec(),
            Some("application/json"),
            "BAD_USER_INPUT",
        ),
    ];
    for (case, body, content_type, code) in cases {
        let (status, _, answer) = body_of(app.post_raw(body, content_type, None).await).await;
        assert!((400..500).contains(&status), "{case}: {status}");
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], code,
            "{case}: {answer}"
        );
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(!message.contains("untagged enum"), "{case}: {message}");
        assert!(message.ends_with('.'), "{case}: {message}");
    }
    let put = reqwest::Client::new()
        .put(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    let (status, _, answer) = body_of(put).await;
    assert_eq!(status, 405);
    assert_eq!(
        answer["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );
}

#[tokio::test]
async fn messages_say_what_is_wrong_in_a_volunteers_words() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let member = p.ppg_member.token();
    // A British date names the field and how to write it.
    let mut input = soft_intelligence(p.ppgs[0][0].0, "Waits", "Long.");
    input["experiencedOn"] = json!("01/11/2026");
    let date = app.graphql(member, RAISE, json!({ "input": input })).await;
    assert_eq!(
        (date.code(), date.field()),
        ("BAD_USER_INPUT", "experiencedOn")
    );
    assert!(date.message().contains("2026-11-01"), "{}", date.message());
    assert!(
        !date.message().contains("occurred while parsing"),
        "{}",
        date.message()
    );
    // Years nobody means.
    for year in ["0000-01-01", "9999-01-01"] {
        let mut input = soft_intelligence(p.ppgs[0][0].0, "Waits", "Long.");
        input["experiencedOn"] = json!(year);
        let refused = app.graphql(member, RAISE, json!({ "input": input })).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{year}");
    }
    // A syntax error is one sentence with its place.
    let syntax = app
        .graphql(member, "{ items(first: 5 { edges } }", json!({}))
        .await;
    assert_eq!(syntax.code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        syntax
            .message()
            .starts_with("The query could not be read at line 1, column"),
        "{}",
        syntax.message()
    );
    assert!(!syntax.message().contains('\n'));
    // The wrong kind of id, in words; an id not found says id.
    let wrong = app
        .graphql(
            member,
            "mutation($i: ID!) { closeItem(input: { itemId: $i }) { item { id } } }",
            json!({ "i": gid("Group", 1) }),
        )
        .await;
    assert_eq!(
        wrong.message(),
        "This is the id of a group, but the id of an item was expected."
    );
    let missing = app
        .graphql(
            member,
            "mutation($i: ID!) { closeItem(input: { itemId: $i }) { item { id } } }",
            json!({ "i": gid("Item", 999_999) }),
        )
        .await;
    assert_eq!(missing.code(), "NOT_FOUND");
    assert!(
        missing.message().contains("with that id"),
        "{}",
        missing.message()
    );
    // A channel id longer than any Discord id; a NUL in a key.
    let channel = app
        .graphql(
            p.ppg_chair.token(),
            r#"mutation($g: ID!) { linkChatChannel(input: { groupId: $g, channelId: "1234567890123456789012345" }) { group { name } } }"#,
            json!({ "g": gid("Group", p.ppgs[0][0].0) }),
        )
        .await;
    assert_eq!(
        (channel.code(), channel.field()),
        ("BAD_USER_INPUT", "channelId")
    );
}

#[tokio::test]
async fn too_many_requests_from_one_client_are_told_when_to_come_back() {
    let app = TestApp::spawn_with(TestDatabase::create().await, |settings| {
        settings.limits.requests_per_minute = 60;
    })
    .await;
    let mut answers = Vec::new();
    for _ in 0..12 {
        let response = app
            .post_raw(
                r#"{"query": "{ __typename }"}"#,
                Some("application/json"),
                None,
            )
            .await;
        answers.push(body_of(response).await);
    }
    assert!(
        answers[..10].iter().all(|(status, _, _)| *status == 200),
        "a burst of ten passes"
    );
    let (status, retry_after, body) = &answers[11];
    assert_eq!(*status, 429);
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(
        retry_after
            .as_deref()
            .is_some_and(|s| s.parse::<u64>().unwrap() >= 1)
    );
}

#[tokio::test]
async fn requests_past_those_at_once_wait_their_turn_and_are_told_when_the_server_is_busy() {
    let app = TestApp::spawn_with(TestDatabase::create().await, |settings| {
        settings.limits.requests_at_once = 2;
        // A request waits five times this for its turn: 2 s.
        settings.limits.database_timeout_ms = 400;
    })
    .await;
    async fn ask(app: &TestApp) -> (u16, Option<String>, Value) {
        let request = r#"{"query": "{ __typename }"}"#;
        body_of(app.post_raw(request, Some("application/json"), None).await).await
    }
    // Both turns taken, as two slow requests would: a third waits, and is answered as soon as
    // one of them ends.
    let first = app.turns.take().await.unwrap();
    let second = app.turns.take().await.unwrap();
    let waiting = ask(&app);
    tokio::pin!(waiting);
    assert!(
        tokio::time::timeout(Duration::from_millis(100), &mut waiting)
            .await
            .is_err(),
        "no turn is free, so the request waits"
    );
    drop(first);
    let (status, _, body) = waiting.await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["__typename"], "QueryRoot");

    // Both taken for longer than a request waits: it is told to come back, nothing done.
    let _first = app.turns.take().await.unwrap();
    let (status, retry_after, body) = ask(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BUSY");
    assert_eq!(
        body["errors"][0]["message"],
        "Pyramid has more requests than it can answer just now, so nothing was done. Please try again in a few seconds."
    );
    assert_eq!(retry_after.as_deref(), Some("2"));
    drop(second);
    let (status, _, _) = ask(&app).await;
    assert_eq!(status, 200, "a turn is free again");
}

#[tokio::test]
async fn a_member_cannot_flood_the_pyramid_with_writes() {
    let app = TestApp::spawn_with(TestDatabase::create().await, |settings| {
        settings.limits.writes_per_minute = 4;
    })
    .await;
    let p = Pyramid::build(&app).await;
    let mut codes = Vec::new();
    for n in 0..4 {
        let input = soft_intelligence(p.ppgs[0][0].0, &format!("Flood {n}"), "Again.");
        let answer = app
            .graphql(p.ppg_member.token(), RAISE, json!({ "input": input }))
            .await;
        codes.push(
            answer
                .errors
                .first()
                .map(|e| e["extensions"]["code"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(
        codes[..2],
        [None, None],
        "bursts of half the minute's writes"
    );
    assert_eq!(codes[3].as_deref(), Some("RATE_LIMITED"));
    // Reading is not writing, and another member is not held up.
    assert!(
        app.graphql(p.ppg_member.token(), "{ me { name } }", json!({}))
            .await
            .errors
            .is_empty()
    );
    let other = soft_intelligence(p.ppgs[0][0].0, "Mine", "Fine.");
    assert!(
        app.graphql(p.other_member.token(), RAISE, json!({ "input": other }))
            .await
            .errors
            .is_empty()
    );
}

#[tokio::test]
async fn guessing_tokens_makes_the_guesser_wait() {
    let app = TestApp::spawn_with(TestDatabase::create().await, |settings| {
        settings.limits.failed_sign_ins_per_minute = 10;
    })
    .await;
    let p = Pyramid::build(&app).await;
    for n in 0..6 {
        let wrong = app
            .graphql(Some(&format!("pyr_guess{n}")), "{ me { name } }", json!({}))
            .await;
        assert_eq!(wrong.code(), "UNAUTHENTICATED");
    }
    // Now even a right token from that address waits; without one the public parts still answer.
    let (status, retry_after, body) = body_of(
        app.post_raw(
            r#"{"query": "{ me { name } }"}"#,
            Some("application/json"),
            Some(&p.ppg_member.token),
        )
        .await,
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(retry_after.is_some());
    assert!(
        app.graphql(None, "{ groups { edges { node { name } } } }", json!({}))
            .await
            .errors
            .is_empty()
    );
}

#[tokio::test]
async fn a_half_sent_request_and_a_silent_connection_are_closed() {
    let app = TestApp::spawn_with(TestDatabase::create().await, |settings| {
        settings.limits.request_timeout_secs = 1;
        settings.limits.idle_timeout_secs = 2;
    })
    .await;
    let port = port_of(&app);
    // Headers promise 100 bytes; ten arrive.
    let mut half = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    half.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":").await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(8), half.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server gave up on the half-sent request");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 408") || answer.is_empty(),
        "{text}"
    );
    // A connection that says nothing is closed after the idle timeout.
    let mut silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(8), silent.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
}

#[tokio::test]
async fn one_client_cannot_hold_every_connection() {
    let app = TestApp::spawn_with(TestDatabase::create().await, |settings| {
        settings.limits.max_connections_per_client = 4;
    })
    .await;
    let port = port_of(&app);
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    // The fifth is closed at once, without an answer.
    let mut extra = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), extra.read_to_end(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?} {buf:?}");
    // When one of them goes, there is room again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), again.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}
