//! Faults a reliability engineer would keep trying: a real `pyramid serve` killed with
//! SIGKILL in the middle of a burst of submissions, a database outage (through a proxy of the
//! test's own: the machine's PostgreSQL is never touched), two instances on one database, and
//! SIGTERM. Each asserts what was lost (nothing) and what clients saw (coded errors). Every
//! loop is bounded in count and time; only 127.0.0.1 is used; processes started are ended.

use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use pyramid::workers::OutboxWorker;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Pyramid, TestApp, TestDatabase, gid};
use crate::items::{RAISE, soft_intelligence};
use crate::newsletters::RecordingCourier;

/// A free port on 127.0.0.1 (bound and released; the server binds it next).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real `pyramid serve` on `database`, once its health check answers.
async fn serve(database: &TestDatabase, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_pyramid"))
        .arg("serve")
        .env("DATABASE_URL", database.url.expose())
        .env("PYRAMID_LISTEN", format!("127.0.0.1:{port}"))
        .env("PYRAMID_REQUESTS_PER_MINUTE", "1000000")
        .env("PYRAMID_WRITES_PER_MINUTE", "1000000")
        .env("PYRAMID_SHUTDOWN_GRACE_SECS", "5")
        // Its e-mail worker writes nothing here, but never into the checkout if it did.
        .env(
            "PYRAMID_MAIL_DIR",
            std::env::temp_dir().join("pyramid-fault-mail"),
        )
        .env(
            "RUST_LOG",
            std::env::var("FAULT_LOG").unwrap_or_else(|_| "error".into()),
        )
        .stdout(Stdio::null())
        .stderr(if std::env::var("FAULT_LOG").is_ok() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .expect("the pyramid binary starts");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let health = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .timeout(Duration::from_secs(1))
            .send()
            .await;
        if health.is_ok_and(|r| r.status().is_success()) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("pyramid serve did not become healthy on port {port}");
}

#[tokio::test]
async fn a_server_killed_mid_burst_loses_no_acknowledged_submission_and_stores_none_twice() {
    const SUBMISSIONS: usize = 120;
    const KILL_AFTER: usize = 40;
    let database = TestDatabase::create().await;
    let setup = TestApp::spawn_on(database.share()).await;
    let p = Pyramid::build(&setup).await;
    let port = free_port();
    let server = Arc::new(tokio::sync::Mutex::new(serve(&database, port).await));
    let address = Arc::new(Mutex::new(format!("http://127.0.0.1:{port}")));
    let acked: Arc<Mutex<BTreeMap<String, Value>>> = Arc::default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    // Six clients each send their share; every submission is retried until acknowledged.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut clients = Vec::new();
    for worker in 0..6 {
        let (client, address, acked, token) = (
            client.clone(),
            address.clone(),
            acked.clone(),
            p.ppg_member.token.clone(),
        );
        let ppg = p.ppgs[0][0].0;
        clients.push(tokio::spawn(async move {
            for n in (worker..SUBMISSIONS).step_by(6) {
                let key = format!("burst-{n:03}");
                let mut input =
                    soft_intelligence(ppg, &format!("Burst {n}"), "Submitted in a burst.");
                input["idempotencyKey"] = json!(key);
                let body = json!({ "query": RAISE, "variables": { "input": input } });
                loop {
                    assert!(Instant::now() < deadline, "{key} never acknowledged");
                    let url = format!("{}/graphql", address.lock().unwrap());
                    let answer = client
                        .post(url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    if let Ok(answer) = answer
                        && let Ok(value) = answer.json::<Value>().await
                        && let Some(id) = value["data"]["raiseItem"]["item"]["id"].as_str()
                    {
                        acked.lock().unwrap().insert(key, json!(id));
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    // Kill -9 once enough are acknowledged, then start again on another port.
    while acked.lock().unwrap().len() < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "the burst stalled before the kill"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.lock().await.start_kill().unwrap();
    let _ = server.lock().await.wait().await;
    let port = free_port();
    *server.lock().await = serve(&database, port).await;
    *address.lock().unwrap() = format!("http://127.0.0.1:{port}");
    for handle in clients {
        handle.await.unwrap();
    }
    server.lock().await.start_kill().unwrap();

    let stored = pyramid::entities::item::Entity::find()
        .all(&setup.db)
        .await
        .unwrap();
    let mut by_key: HashMap<String, Vec<i64>> = HashMap::new();
    for item in &stored {
        if let Some(key) = &item.idempotency_key {
            by_key.entry(key.clone()).or_default().push(item.id);
        }
    }
    let acked = acked.lock().unwrap();
    assert_eq!(
        acked.len(),
        SUBMISSIONS,
        "every submission was acknowledged in the end"
    );
    assert_eq!(
        by_key.len(),
        SUBMISSIONS,
        "every acknowledged submission is stored"
    );
    assert!(
        by_key.values().all(|ids| ids.len() == 1),
        "none stored twice"
    );
    for (key, id) in acked.iter() {
        assert_eq!(
            gid("Item", by_key[key][0]),
            id.as_str().unwrap(),
            "{key} is the item its client was told about"
        );
    }
}

/// A TCP proxy of the test's own between Pyramid and PostgreSQL, which it can cut (closing every
/// connection and refusing new ones) and restore.
struct Proxy {
    port: u16,
    cut: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(to: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (is_cut, connections) = (cut.clone(), open.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", to)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy {
            port,
            cut,
            open,
            accept,
        }
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

#[tokio::test]
async fn a_database_outage_fails_fast_with_a_code_and_recovers_without_a_restart() {
    let database = TestDatabase::create().await;
    if !database.is_postgres() {
        // The outage is staged on PostgreSQL's network connection; SQLite has none.
        return;
    }
    let proxy = Proxy::start(5432).await;
    let app = TestApp::spawn_on(database.through_port(proxy.port)).await;
    let p = Pyramid::build(&app).await;
    let token = p.ppg_member.token.clone();
    let me = || app.graphql(Some(&token), "{ me { name } }", json!({}));
    assert!(me().await.errors.is_empty());

    proxy.cut();
    // Clients are told the service is unavailable (not INTERNAL, not a hang), and so is the
    // load balancer.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap();
    for _ in 0..3 {
        let answer: Value = client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&p.ppg_member.token)
            .json(&json!({ "query": "{ me { name } }" }))
            .send()
            .await
            .expect("an answer within the client's timeout")
            .json()
            .await
            .unwrap();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "UNAVAILABLE",
            "{answer}"
        );
    }
    let health = client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("the health check answers");
    assert_eq!(health.status().as_u16(), 503);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if me().await.errors.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery after the outage");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn two_instances_share_one_database_without_sending_twice_or_missing_events() {
    let database = TestDatabase::create().await;
    let first = TestApp::spawn_on(database.share()).await;
    let second = TestApp::spawn_on(database.share()).await;
    let p = Pyramid::build(&first).await;

    // A subscription on the second instance sees what is raised on the first.
    let url = second.address.replace("http://", "ws://") + "/graphql";
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |value: Value| Message::Text(value.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", p.ppg_chair.token) } })))
        .await
        .unwrap();
    socket.next().await.unwrap().unwrap();
    socket
        .send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { itemEvents { item { title } } }" } })))
        .await
        .unwrap();
    let mut seen = false;
    for n in 0..20 {
        let input = soft_intelligence(
            p.ppgs[0][0].0,
            &format!("From the first {n}"),
            "Raised on one.",
        );
        first
            .graphql(p.ppg_member.token(), RAISE, json!({ "input": input }))
            .await
            .ok();
        if let Ok(Some(Ok(message))) =
            tokio::time::timeout(Duration::from_millis(800), socket.next()).await
            && message
                .to_text()
                .is_ok_and(|t| t.contains("From the first"))
        {
            seen = true;
            break;
        }
    }
    assert!(
        seen,
        "the second instance's subscriber saw the first's events"
    );

    // A newsletter published on the first is delivered once per channel, however many
    // instances' workers drain at the same moment.
    for (group, channel) in [(p.ppgs[0][0], "8001"), (p.ppgs[0][1], "8002")] {
        first
            .graphql(
                p.admin.token(),
                "mutation($g: ID!, $c: String!) { linkChatChannel(input: { groupId: $g, channelId: $c }) { group { name } } }",
                json!({ "g": gid("Group", group.0), "c": channel }),
            )
            .await
            .ok();
    }
    let today = Utc::now().date_naive().to_string();
    let compiled = first
        .graphql(
            p.district_secretary.token(),
            "mutation($g: ID!, $s: Date!, $e: Date!) { compileNewsletter(input: { groupId: $g, periodStart: $s, periodEnd: $e }) { newsletter { id entries { id needsReview } } } }",
            json!({ "g": gid("Group", p.districts[0].0), "s": today, "e": today }),
        )
        .await
        .ok();
    let draft = &compiled["compileNewsletter"]["newsletter"];
    for entry in draft["entries"].as_array().unwrap() {
        if entry["needsReview"] == true {
            first.graphql(p.district_secretary.token(), "mutation($e: ID!) { markNewsletterEntryReviewed(input: { entryId: $e }) { newsletter { id } } }", json!({ "e": entry["id"] })).await.ok();
        }
    }
    second
        .graphql(
            p.district_secretary.token(),
            "mutation($id: ID!) { publishNewsletter(input: { id: $id }) { publishedNow } }",
            json!({ "id": draft["id"] }),
        )
        .await
        .ok();
    let (one, two) = (
        Arc::new(RecordingCourier::default()),
        Arc::new(RecordingCourier::default()),
    );
    let (a, b) = (
        OutboxWorker::new(first.db.clone(), one.clone()),
        OutboxWorker::new(second.db.clone(), two.clone()),
    );
    let now = Utc::now();
    let (x, y) = tokio::join!(a.drain(now), b.drain(now));
    x.unwrap();
    y.unwrap();
    let mut posts: Vec<String> = one
        .delivered_to()
        .into_iter()
        .chain(two.delivered_to())
        .filter(|d| d.starts_with("group-channel:"))
        .collect();
    posts.sort();
    assert_eq!(
        posts,
        vec![
            format!("group-channel:{}", p.ppgs[0][0].0),
            format!("group-channel:{}", p.ppgs[0][1].0)
        ],
        "each channel once, across both instances"
    );
}

#[tokio::test]
async fn sigterm_lets_the_server_finish_and_tells_live_subscribers_it_is_going_away() {
    let database = TestDatabase::create().await;
    let setup = TestApp::spawn_on(database.share()).await;
    let p = Pyramid::build(&setup).await;
    let port = free_port();
    let mut server = serve(&database, port).await;

    let url = format!("ws://127.0.0.1:{port}/graphql");
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(Message::Text(
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", p.ppg_member.token) } })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    socket.next().await.unwrap().unwrap();

    let pid = server.id().expect("a running server").to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(signalled.success());
    let frame = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("the socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("told within the grace period");
    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1001), "going away");
    let status = tokio::time::timeout(Duration::from_secs(15), server.wait())
        .await
        .expect("the server stops by itself")
        .unwrap();
    assert!(status.success(), "a clean stop: {status:?}");
}

#[tokio::test]
async fn a_server_started_during_an_outage_waits_for_the_database() {
    let database = TestDatabase::create().await;
    if !database.is_postgres() {
        return;
    }
    let proxy = Proxy::start(5432).await;
    proxy.cut();
    let reached = database.through_port(proxy.port);
    let settings = pyramid::configuration::Settings::local(
        reached.url.clone(),
        "127.0.0.1:0".parse().unwrap(),
    );
    let starting =
        tokio::spawn(async move { pyramid::startup::Application::build(&settings).await });
    // It keeps trying rather than exiting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !starting.is_finished(),
        "it gave up while the database was away"
    );
    proxy.restore();
    let app = tokio::time::timeout(Duration::from_secs(30), starting)
        .await
        .expect("it started once the database was back")
        .unwrap()
        .expect("the app builds");
    assert!(app.port() > 0);
}

/// A token revoked while the server could not hear the database (its listener cut off with
/// everything else) is refused once the database is back: the server forgot the sign-ins it
/// remembered when it lost the listener, and reads them afresh (`src/sign_ins.rs`).
#[tokio::test]
async fn a_token_revoked_during_an_outage_is_refused_once_the_database_is_back() {
    let database = TestDatabase::create().await;
    if !database.is_postgres() {
        return; // SQLite remembers no sign-ins
    }
    let proxy = Proxy::start(5432).await;
    let app = TestApp::spawn_on(database.through_port(proxy.port)).await;
    let p = Pyramid::build(&app).await;
    let me = || app.graphql(p.ppg_member.token(), "{ me { name } }", json!({}));
    assert!(me().await.errors.is_empty());
    assert!(app.remembers_sign_ins());

    proxy.cut();
    let direct = sea_orm::Database::connect(database.url.expose())
        .await
        .unwrap();
    direct
        .execute_unprepared(&format!(
            "UPDATE api_tokens SET revoked_at = now() WHERE member_id = {}",
            p.ppg_member.id.0
        ))
        .await
        .unwrap();
    assert_eq!(
        me().await.code(),
        "UNAVAILABLE",
        "while the database is away"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("\npyramid_sign_ins_remembering 0\n"),
        "an operator sees that sign-ins are not remembered while the listener is away: {metrics}"
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = me().await;
        assert!(
            !answer.errors.is_empty(),
            "the revoked token was let in: {:?}",
            answer.data
        );
        if answer.code() == "UNAUTHENTICATED" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery after the outage: {}",
            answer.code()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
