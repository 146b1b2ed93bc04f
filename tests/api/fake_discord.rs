//! A fake Discord, served inside the test process on 127.0.0.1, that the real serenity client can
//! talk to: REST under `/api/v10/...` and the gateway websocket at `/gateway`.
//!
//! ```ignore
//! let fake = FakeDiscord::start().await;
//! let http = HttpBuilder::new("fake-token")
//!     .proxy(fake.base_url())
//!     .ratelimiter_disabled(true) // without this, requests bypass the proxy
//!     .build();
//! let mut client = ClientBuilder::new_with_http(http, GatewayIntents::empty())
//!     .event_handler(MyHandler)
//!     .await?;
//! let shard_manager = client.shard_manager.clone();
//! let bot = tokio::spawn(async move { client.start().await });
//! fake.ready().await;
//! fake.interaction(FakeDiscord::interaction_fixture("interaction_slash_guild.json")).await;
//! let reply = fake.wait_for("the reply", |r| r.path.ends_with("/callback")).await;
//! shard_manager.shutdown_all().await;
//! ```
//!
//! What it does:
//! * records every REST request ([`FakeDiscord::requests`], [`FakeDiscord::wait_for`]) and answers
//!   with objects serenity's strict deserializer accepts, built from the real payloads in
//!   `../shared/discord-payloads/` where one fits;
//! * can make the next matching requests fail ([`FakeDiscord::fail_next`],
//!   [`FakeDiscord::rate_limit_next`]);
//! * speaks enough of the gateway for one bot: HELLO, IDENTIFY → READY, heartbeat ACKs,
//!   RESUME → RESUMED, and dispatches with an increasing `s` ([`FakeDiscord::dispatch`],
//!   [`FakeDiscord::interaction`]); [`FakeDiscord::close_gateway`] drops the connection with a
//!   close code (4000 makes serenity RESUME).
//!
//! Every wait is bounded by [`WAIT_TIMEOUT`] and panics with what it was waiting for and what the
//! fake had seen so far. Nothing here sleeps.

// A shared test helper: not every test uses every part of it.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::web::websocket::{Message, WebSocket, WebSocketStream};
use poem::{Body, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How long any wait on the fake lasts before it panics.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The heartbeat interval (ms) sent in HELLO. Long enough that a short test never heartbeats.
pub const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

/// The `retry_after` (seconds) in the body of 429 answers made by [`FakeDiscord::fail_next`]:
/// the user and global examples' value in Discord's documentation. Nothing waits for it (tests
/// drain the outbox with a clock of their choosing), and it is longer than the outbox's first
/// back-off (30 s), so a courier that ignored it would show.
pub const RETRY_AFTER_SECS: f64 = 64.57;

/// The directory of the real Discord payloads (`../shared/discord-payloads` beside the repo).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/discord-payloads"
    ))
}

/// Reads one fixture from `../shared/discord-payloads/` (e.g. `"interaction_slash_guild.json"`),
/// unchanged. Panics with the path if it is missing or not JSON.
pub fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read Discord fixture {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("Discord fixture {} is not JSON: {e}", path.display()))
}

/// One REST request the fake received, with what it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the query string, e.g. `/api/v10/channels/123/messages`.
    pub path: String,
    /// The query string, if any (e.g. `with_response=false`).
    pub query: Option<String>,
    /// The JSON body; `Value::Null` when empty. For multipart uploads this is the `payload_json`
    /// part; a body that is not JSON is kept as a `Value::String`.
    pub body: Value,
    /// The `Authorization` header as sent (serenity sends `Bot <token>`).
    pub authorization: Option<String>,
    /// The status the fake answered with (e.g. 200, 204, or the one set by `fail_next`).
    pub status: u16,
    /// True when the answer was an injected failure (`fail_next` / `rate_limit_next`).
    pub injected_failure: bool,
}

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        write!(f, " -> {}", self.status)?;
        if self.injected_failure {
            write!(f, " (injected)")?;
        }
        if !self.body.is_null() {
            write!(f, " {}", self.body)?;
        }
        Ok(())
    }
}

/// A fake Discord on 127.0.0.1. Dropping it stops the server.
pub struct FakeDiscord {
    inner: Arc<Inner>,
    server: JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeDiscord {
    /// The application's ID: READY's `application.id`, so serenity uses it in
    /// `/applications/{id}/commands` and `/webhooks/{id}/{token}`.
    pub const APPLICATION_ID: u64 = 1_187_000_000_000_000_001;
    /// The bot user's ID (READY's `user.id`, `GET /users/@me`, the author of messages it posts).
    /// Deliberately different from `APPLICATION_ID` (on real Discord they are usually equal), so a
    /// mix-up shows.
    pub const BOT_USER_ID: u64 = 1_187_000_000_000_000_002;
    /// A guild ID tests may use in the interactions they build.
    pub const GUILD_ID: u64 = 1_187_000_000_000_000_003;
    /// The channel of follow-up messages whose interaction the fake did not dispatch itself.
    pub const DEFAULT_CHANNEL_ID: u64 = 1_187_000_000_000_000_005;
    /// The owner of the application in `GET /oauth2/applications/@me`.
    pub const OWNER_USER_ID: u64 = 1_187_000_000_000_000_004;
    /// Added to a user ID to make the ID of the DM channel `POST /users/@me/channels` opens.
    pub const DM_CHANNEL_OFFSET: u64 = 1_000;

    /// Binds 127.0.0.1:0 and serves the REST API and the gateway until dropped.
    pub async fn start() -> FakeDiscord {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("the fake Discord cannot listen on 127.0.0.1");
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr().map(|a| a.port()))
            .expect("the fake Discord's listener has no address");
        let (changed, _) = watch::channel(0u64);
        let inner = Arc::new(Inner {
            port,
            next_id: AtomicU64::new(1),
            changed,
            state: Mutex::new(State::default()),
        });
        let app = Route::new()
            .at("/gateway", get(gateway_ws))
            .at("/*path", rest_api)
            .data(inner.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = poem::Server::new_with_acceptor(acceptor).run(app).await {
                panic!("the fake Discord's server failed: {e}");
            }
        });
        FakeDiscord { inner, server }
    }

    /// `http://127.0.0.1:PORT`: what serenity's `HttpBuilder::proxy()` gets.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.inner.port)
    }

    /// `ws://127.0.0.1:PORT/gateway`: the gateway URL `GET /gateway` hands out.
    pub fn gateway_url(&self) -> String {
        self.inner.gateway_url()
    }

    /// The ID of the DM channel the fake opens for `user_id`.
    pub fn dm_channel_id(user_id: u64) -> u64 {
        user_id.wrapping_add(Self::DM_CHANNEL_OFFSET)
    }

    /// A fixture from `../shared/discord-payloads/` with its `application_id` set to
    /// [`Self::APPLICATION_ID`], ready for [`Self::interaction`]. Nothing else is changed.
    pub fn interaction_fixture(name: &str) -> Value {
        let mut interaction = fixture(name);
        interaction["application_id"] = json!(Self::APPLICATION_ID.to_string());
        interaction
    }

    /// Waits until a bot has IDENTIFIED (or RESUMED) on the current connection and been sent
    /// READY (or RESUMED). Panics after [`WAIT_TIMEOUT`].
    pub async fn ready(&self) {
        self.inner
            .wait_until("a bot to IDENTIFY and be sent READY", |state| {
                state.session.as_ref().filter(|s| s.ready).map(|_| ())
            })
            .await;
    }

    /// Sends `{"op":0,"t":event_name,"s":<next seq>,"d":data}` to the connected bot, waiting first
    /// (bounded) for [`Self::ready`].
    pub async fn dispatch(&self, event_name: &str, data: Value) {
        self.ready().await;
        let mut state = self.inner.lock();
        let session = state
            .session
            .clone()
            .filter(|s| s.ready)
            .expect("the bot disconnected before the dispatch could be sent");
        if event_name == "INTERACTION_CREATE"
            && let (Some(token), Some(channel)) =
                (data["token"].as_str(), data["channel_id"].as_str())
        {
            state
                .interaction_channels
                .insert(token.to_owned(), channel.to_owned());
        }
        state.seq += 1;
        let payload = json!({"op": 0, "t": event_name, "s": state.seq, "d": data});
        state.sent.push(payload.clone());
        // A send error means the connection just closed; the test's wait will report it.
        let _ = session.tx.send(Outbound::Text(payload.to_string()));
    }

    /// Sends an INTERACTION_CREATE. serenity **silently drops** an interaction it cannot parse:
    /// it becomes an `UnknownEvent`, logged only at DEBUG by `serenity::client::dispatch` ("An
    /// unknown event was received"), and no handler runs. So always wait for the bot's reply.
    /// `serde_json::from_value::<serenity::all::Interaction>(payload)` shows the parse error.
    pub async fn interaction(&self, interaction: Value) {
        self.dispatch("INTERACTION_CREATE", interaction).await;
    }

    /// Closes the bot's gateway connection with `code` (4000 makes serenity RESUME on a new
    /// connection; [`Self::ready`] then waits for it).
    pub fn close_gateway(&self, code: u16) {
        let session = self.inner.lock().session.take();
        self.inner.bump();
        if let Some(session) = session {
            let _ = session.tx.send(Outbound::Close(code));
        }
    }

    /// Every REST request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().requests.clone()
    }

    /// Every gateway payload received from the bot (IDENTIFY, RESUME, heartbeats, ...), in order.
    pub fn gateway_received(&self) -> Vec<Value> {
        self.inner.lock().received.clone()
    }

    /// Every gateway payload sent to the bot (HELLO, READY, dispatches, ACKs, ...), in order.
    pub fn gateway_sent(&self) -> Vec<Value> {
        self.inner.lock().sent.clone()
    }

    /// Waits (bounded) for the first REST request matching `pred` (including ones received
    /// before the call) and returns it. Panics with `what` and the requests received so far.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Recorded) -> bool) -> Recorded {
        self.inner
            .wait_until(what, |state| {
                state.requests.iter().find(|r| pred(r)).cloned()
            })
            .await
    }

    /// Waits (bounded) until `count` REST requests match `pred`, and returns the first `count`.
    pub async fn wait_for_count(
        &self,
        what: &str,
        count: usize,
        pred: impl Fn(&Recorded) -> bool,
    ) -> Vec<Recorded> {
        self.inner
            .wait_until(what, |state| {
                let found: Vec<_> = state
                    .requests
                    .iter()
                    .filter(|r| pred(r))
                    .take(count)
                    .cloned()
                    .collect();
                (found.len() == count).then_some(found)
            })
            .await
    }

    /// Waits (bounded) for the first gateway payload from the bot matching `pred`.
    pub async fn wait_for_gateway(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.inner
            .wait_until(what, |state| {
                state.received.iter().find(|v| pred(v)).cloned()
            })
            .await
    }

    /// The next `times` requests whose method is `method` (any case) and whose path starts with
    /// `path_prefix` (e.g. `"/api/v10/channels/"`) are answered with `status` instead:
    /// 500 → `{"message":"Internal Server Error","code":0}`; 429 → a shared-scope rate limit (see
    /// [`Self::rate_limit_next`]); anything else → `{"message":<reason>,"code":0}`. The failed
    /// requests are recorded with `injected_failure: true`.
    pub fn fail_next(&self, method: &str, path_prefix: &str, status: u16, times: usize) {
        let kind = if status == 429 {
            FailureKind::RateLimit(RateLimitScope::Shared)
        } else {
            FailureKind::Status(status)
        };
        self.push_failure(method, path_prefix, kind, times);
    }

    /// Like `fail_next(.., 429, ..)` with the scope chosen: the body and headers come from
    /// `rate_limit_429_{user,shared,global}.json`, with `retry_after` = [`RETRY_AFTER_SECS`],
    /// `X-RateLimit-Reset-After` to match, and `Retry-After` in whole seconds rounded up ("65"),
    /// as Discord sends it. A global limit carries `X-RateLimit-Global: true`.
    pub fn rate_limit_next(
        &self,
        method: &str,
        path_prefix: &str,
        scope: RateLimitScope,
        times: usize,
    ) {
        self.push_failure(method, path_prefix, FailureKind::RateLimit(scope), times);
    }

    fn push_failure(&self, method: &str, path_prefix: &str, kind: FailureKind, times: usize) {
        if times == 0 {
            return;
        }
        self.inner.lock().failures.push_back(Failure {
            method: method.to_ascii_uppercase(),
            path_prefix: path_prefix.to_owned(),
            kind,
            remaining: times,
        });
    }
}

/// Which of Discord's three kinds of 429 to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitScope {
    User,
    Shared,
    Global,
}

impl RateLimitScope {
    fn fixture_name(self) -> &'static str {
        match self {
            RateLimitScope::User => "rate_limit_429_user.json",
            RateLimitScope::Shared => "rate_limit_429_shared.json",
            RateLimitScope::Global => "rate_limit_429_global.json",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum FailureKind {
    Status(u16),
    RateLimit(RateLimitScope),
}

#[derive(Debug)]
struct Failure {
    method: String,
    path_prefix: String,
    kind: FailureKind,
    remaining: usize,
}

enum Outbound {
    Text(String),
    Close(u16),
}

#[derive(Clone)]
struct Session {
    connection: u64,
    tx: mpsc::UnboundedSender<Outbound>,
    ready: bool,
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    failures: VecDeque<Failure>,
    received: Vec<Value>,
    sent: Vec<Value>,
    /// The connection dispatches go to (the newest one).
    session: Option<Session>,
    connections: u64,
    seq: u64,
    session_id: Option<String>,
    global_commands: Vec<Value>,
    /// Interaction token → channel ID, for the messages of follow-ups and `@original` edits.
    interaction_channels: HashMap<String, String>,
}

struct Inner {
    port: u16,
    next_id: AtomicU64,
    /// Bumped on every change of `state`, so waits can re-check their condition.
    changed: watch::Sender<u64>,
    state: Mutex<State>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the fake's state from the others.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    fn gateway_url(&self) -> String {
        format!("ws://127.0.0.1:{}/gateway", self.port)
    }

    /// A fresh snowflake-like ID.
    fn fresh_id(&self) -> u64 {
        1_400_000_000_000_000_000 + self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    async fn wait_until<T>(&self, what: &str, check: impl Fn(&State) -> Option<T>) -> T {
        let mut changes = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + WAIT_TIMEOUT;
        loop {
            if let Some(found) = check(&self.lock()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!("{}", self.timeout_report(what));
            }
        }
    }

    fn timeout_report(&self, what: &str) -> String {
        let state = self.lock();
        let mut report = format!(
            "fake Discord: gave up after {} s waiting for {what}\nREST requests received ({}):",
            WAIT_TIMEOUT.as_secs(),
            state.requests.len()
        );
        for request in &state.requests {
            let _ = write!(report, "\n  {request}");
        }
        let _ = write!(
            report,
            "\ngateway payloads from the bot ({}):",
            state.received.len()
        );
        for payload in &state.received {
            let _ = write!(report, "\n  {}", redact_token(payload));
        }
        let sent: Vec<String> = state
            .sent
            .iter()
            .filter(|p| p["op"] != 11)
            .map(|p| match (p["t"].as_str(), p["op"].as_u64()) {
                (Some(t), _) => format!("{t} s={}", p["s"]),
                (None, Some(10)) => "HELLO".to_owned(),
                (None, op) => format!("op {op:?}"),
            })
            .collect();
        let _ = write!(
            report,
            "\ngateway payloads sent to the bot: {}",
            sent.join(", ")
        );
        if sent.iter().any(|s| s.starts_with("INTERACTION_CREATE")) {
            report.push_str(
                "\n(serenity turns an INTERACTION_CREATE it cannot parse into an UnknownEvent, \
                 logged only at DEBUG, and runs no handler: try \
                 serde_json::from_value::<serenity::all::Interaction>(payload) to see why)",
            );
        }
        let _ = write!(
            report,
            "\ngateway connection: {}",
            match &state.session {
                Some(s) if s.ready => "connected and ready",
                Some(_) => "connected, not ready (no IDENTIFY/RESUME yet)",
                None => "none",
            }
        );
        report
    }

    fn bot_user(&self) -> Value {
        let mut user = fixture("gateway_ready.json")["d"]["user"].take();
        user["id"] = json!(FakeDiscord::BOT_USER_ID.to_string());
        user["username"] = json!("pyramid-test-bot");
        user
    }

    fn plain_user(id: &str, username: &str) -> Value {
        json!({
            "id": id,
            "username": username,
            "discriminator": "0",
            "global_name": null,
            "avatar": null,
        })
    }

    /// A message object serenity accepts, from `create_message_response.json`.
    fn message(&self, channel_id: &str, request: &Value, webhook: bool) -> Value {
        let mut message = fixture("create_message_response.json");
        message["id"] = json!(self.fresh_id().to_string());
        message["channel_id"] = json!(channel_id);
        message["author"] = self.bot_user();
        message["content"] = request.get("content").cloned().unwrap_or(json!(""));
        message["mentions"] = json!([]);
        message["tts"] = request.get("tts").cloned().unwrap_or(json!(false));
        if let Some(embeds) = request.get("embeds").filter(|e| e.is_array()) {
            message["embeds"] = embeds.clone();
        }
        if let Some(flags) = request.get("flags").filter(|f| f.is_u64()) {
            message["flags"] = flags.clone();
        }
        if let Some(nonce) = request.get("nonce") {
            message["nonce"] = nonce.clone();
        }
        if webhook {
            let app = FakeDiscord::APPLICATION_ID.to_string();
            message["webhook_id"] = json!(app);
            message["application_id"] = json!(app);
            message["type"] = json!(20); // CHAT_INPUT_COMMAND
        }
        message
    }

    fn ready_payload(&self, identify: &Value) -> Value {
        let mut ready = fixture("gateway_ready.json");
        ready["s"] = json!(1);
        let d = &mut ready["d"];
        d["v"] = json!(10);
        d["user"] = self.bot_user();
        d["guilds"] = json!([]);
        d["session_id"] = json!(format!("fake-session-{}", self.fresh_id()));
        d["resume_gateway_url"] = json!(self.gateway_url());
        d["application"]["id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        match identify["d"].get("shard") {
            Some(shard) => d["shard"] = shard.clone(),
            None => {
                if let Some(d) = d.as_object_mut() {
                    d.remove("shard");
                }
            }
        }
        ready
    }

    fn command(&self, app: &str, guild: Option<&str>, mut command: Value) -> Value {
        command["id"] = json!(self.fresh_id().to_string());
        command["application_id"] = json!(app);
        command["version"] = json!(self.fresh_id().to_string());
        if command.get("type").is_none_or(Value::is_null) {
            command["type"] = json!(1);
        }
        if command.get("description").is_none_or(Value::is_null) {
            command["description"] = json!("");
        }
        if command.get("name").is_none() {
            command["name"] = json!("");
        }
        if let Some(guild) = guild {
            command["guild_id"] = json!(guild);
        }
        command
    }

    /// The normal answer to a REST request.
    fn answer(&self, method: &str, path: &str, body: &Value) -> (u16, Option<Value>) {
        let Some(rest) = path.strip_prefix("/api/v10/") else {
            return not_found();
        };
        let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        let app = FakeDiscord::APPLICATION_ID.to_string();
        match (method, segments.as_slice()) {
            ("GET", ["gateway"]) => (200, Some(json!({"url": self.gateway_url()}))),
            ("GET", ["gateway", "bot"]) => (
                200,
                Some(json!({
                    "url": self.gateway_url(),
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 14_400_000,
                        "max_concurrency": 1
                    }
                })),
            ),
            ("GET", ["users", "@me"]) => (200, Some(self.bot_user())),
            ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => (
                200,
                Some(json!({
                    "id": app,
                    "name": "Pyramid (fake Discord)",
                    "icon": null,
                    "description": "",
                    "rpc_origins": [],
                    "bot_public": false,
                    "bot_require_code_grant": false,
                    "bot": self.bot_user(),
                    "owner": Self::plain_user(&FakeDiscord::OWNER_USER_ID.to_string(), "owner"),
                    "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
                    "team": null,
                    "flags": 0,
                    "role_connections_verification_url": null,
                    "redirect_uris": [],
                    "interactions_endpoint_url": null,
                    "approximate_guild_count": 1
                })),
            ),
            ("PUT", ["applications", app_id, "commands"]) => {
                let commands: Vec<Value> = body
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| self.command(app_id, None, c))
                    .collect();
                self.lock().global_commands = commands.clone();
                (200, Some(Value::Array(commands)))
            }
            ("GET", ["applications", _, "commands"]) => {
                (200, Some(Value::Array(self.lock().global_commands.clone())))
            }
            ("POST", ["applications", app_id, "commands"]) => {
                (201, Some(self.command(app_id, None, body.clone())))
            }
            ("PUT", ["applications", app_id, "guilds", guild, "commands"]) => {
                let commands: Vec<Value> = body
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| self.command(app_id, Some(guild), c))
                    .collect();
                (200, Some(Value::Array(commands)))
            }
            ("POST", ["applications", app_id, "guilds", guild, "commands"]) => {
                (201, Some(self.command(app_id, Some(guild), body.clone())))
            }
            ("POST", ["interactions", _, _, "callback"]) => (204, None),
            ("POST", ["webhooks", _, token]) => {
                let channel = self.interaction_channel(token);
                (200, Some(self.message(&channel, body, true)))
            }
            ("GET" | "PATCH", ["webhooks", _, token, "messages", _]) => {
                let channel = self.interaction_channel(token);
                (200, Some(self.message(&channel, body, true)))
            }
            ("DELETE", ["webhooks", _, _, "messages", _]) => (204, None),
            ("POST", ["users", "@me", "channels"]) => {
                let recipient = match &body["recipient_id"] {
                    Value::String(s) => s.parse::<u64>().ok(),
                    other => other.as_u64(),
                };
                match recipient {
                    Some(user) => (
                        200,
                        Some(json!({
                            "id": FakeDiscord::dm_channel_id(user).to_string(),
                            "type": 1,
                            "last_message_id": null,
                            "flags": 0,
                            "recipients": [Self::plain_user(&user.to_string(), &format!("user{user}"))]
                        })),
                    ),
                    None => (
                        400,
                        Some(json!({"message": "Invalid Form Body", "code": 50035})),
                    ),
                }
            }
            ("POST", ["channels", channel, "messages"]) => {
                (200, Some(self.message(channel, body, false)))
            }
            ("PATCH", ["channels", channel, "messages", message_id]) => {
                let mut message = self.message(channel, body, false);
                message["id"] = json!(message_id);
                (200, Some(message))
            }
            ("DELETE", ["channels", _, "messages", _]) => (204, None),
            _ => not_found(),
        }
    }

    /// The channel of the interaction with this token (as the fake dispatched it).
    fn interaction_channel(&self, token: &str) -> String {
        self.lock()
            .interaction_channels
            .get(token)
            .cloned()
            .unwrap_or_else(|| FakeDiscord::DEFAULT_CHANNEL_ID.to_string())
    }

    fn take_failure(&self, method: &str, path: &str) -> Option<FailureKind> {
        let mut state = self.lock();
        let index = state
            .failures
            .iter()
            .position(|f| f.method == method && path.starts_with(&f.path_prefix))?;
        let failure = &mut state.failures[index];
        failure.remaining -= 1;
        let kind = failure.kind;
        if failure.remaining == 0 {
            state.failures.remove(index);
        }
        Some(kind)
    }
}

fn not_found() -> (u16, Option<Value>) {
    (404, Some(json!({"message": "Unknown", "code": 0})))
}

fn json_response(status: u16, body: Option<Value>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match body {
        Some(body) => Response::builder()
            .status(status)
            .content_type("application/json")
            .body(body.to_string()),
        None => Response::builder().status(status).finish(),
    }
}

fn failure_response(kind: FailureKind) -> (Response, u16, Value) {
    match kind {
        FailureKind::Status(500) => {
            let body = json!({"message": "Internal Server Error", "code": 0});
            (json_response(500, Some(body.clone())), 500, body)
        }
        FailureKind::Status(status) => {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            let body = json!({"message": format!("{status}: {reason}"), "code": 0});
            (json_response(status, Some(body.clone())), status, body)
        }
        FailureKind::RateLimit(scope) => {
            let example = fixture(scope.fixture_name());
            let mut body = example["body"].clone();
            body["retry_after"] = json!(RETRY_AFTER_SECS);
            let mut response = Response::builder().status(StatusCode::TOO_MANY_REQUESTS);
            let headers = example["headers"].as_object().cloned().unwrap_or_default();
            for (name, value) in headers {
                let value = value.as_str().unwrap_or_default().to_owned();
                let value = match name.to_ascii_lowercase().as_str() {
                    "retry-after" => format!("{}", RETRY_AFTER_SECS.ceil() as u64),
                    "x-ratelimit-reset-after" => RETRY_AFTER_SECS.to_string(),
                    "x-ratelimit-reset" => {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap_or_default()
                            .as_secs_f64();
                        format!("{:.3}", now + RETRY_AFTER_SECS)
                    }
                    _ => value,
                };
                response = response.header(name.to_ascii_lowercase(), value);
            }
            let response = response.body(body.to_string());
            (response, 429, body)
        }
    }
}

/// The JSON of a request body: JSON as is, the `payload_json` part of a multipart upload, or the
/// text itself.
fn parse_body(content_type: Option<&str>, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if let Ok(value) = serde_json::from_slice(bytes) {
        return value;
    }
    let text = String::from_utf8_lossy(bytes).into_owned();
    if content_type.is_some_and(|c| c.starts_with("multipart/form-data")) {
        let payload = text
            .split_once("name=\"payload_json\"")
            .and_then(|(_, rest)| rest.split_once("\r\n\r\n"))
            .and_then(|(_, rest)| rest.split_once("\r\n--"))
            .and_then(|(json, _)| serde_json::from_str(json).ok());
        if let Some(payload) = payload {
            return payload;
        }
    }
    Value::String(text)
}

/// Every REST request: recorded, then answered (or failed on purpose).
#[handler]
async fn rest_api(req: &Request, body: Body, Data(inner): Data<&Arc<Inner>>) -> Response {
    let method = req.method().as_str().to_ascii_uppercase();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    let bytes = body.into_vec().await.unwrap_or_default();
    let body = parse_body(header("content-type").as_deref(), &bytes);

    let (response, status, injected_failure) = match inner.take_failure(&method, &path) {
        Some(kind) => {
            let (response, status, _) = failure_response(kind);
            (response, status, true)
        }
        None => {
            let (status, answer) = inner.answer(&method, &path, &body);
            (json_response(status, answer), status, false)
        }
    };
    inner.lock().requests.push(Recorded {
        method,
        path,
        query,
        body,
        authorization,
        status,
        injected_failure,
    });
    inner.bump();
    response
}

/// The gateway websocket (the query string, e.g. `?v=10`, is ignored).
#[handler]
async fn gateway_ws(ws: WebSocket, Data(inner): Data<&Arc<Inner>>) -> impl IntoResponse {
    let inner = inner.clone();
    ws.on_upgrade(move |socket| gateway_session(inner, socket))
}

async fn gateway_session(inner: Arc<Inner>, socket: WebSocketStream) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let connection = {
        let mut state = inner.lock();
        state.connections += 1;
        let connection = state.connections;
        state.session = Some(Session {
            connection,
            tx: tx.clone(),
            ready: false,
        });
        connection
    };
    inner.bump();
    let hello = json!({
        "op": 10,
        "s": null,
        "t": null,
        "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["[\"fake-discord\",{\"micros\":0.0}]"]}
    });
    inner.lock().sent.push(hello.clone());
    if sink.send(Message::Text(hello.to_string())).await.is_ok() {
        loop {
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(text))) => on_gateway_payload(&inner, connection, &tx, &text),
                    Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                },
                outgoing = rx.recv() => match outgoing {
                    Some(Outbound::Text(text)) => {
                        if sink.send(Message::Text(text)).await.is_err() {
                            break;
                        }
                    }
                    Some(Outbound::Close(code)) => {
                        let _ = sink.send(Message::close_with(code, "fake Discord closed the connection")).await;
                        break;
                    }
                    None => break,
                },
            }
        }
    }
    {
        let mut state = inner.lock();
        if state
            .session
            .as_ref()
            .is_some_and(|s| s.connection == connection)
        {
            state.session = None;
        }
    }
    inner.bump();
    let _ = sink.close().await;
}

fn on_gateway_payload(
    inner: &Inner,
    connection: u64,
    tx: &mpsc::UnboundedSender<Outbound>,
    text: &str,
) {
    let payload: Value = serde_json::from_str(text).unwrap_or_else(|_| json!({"unparsed": text}));
    let mut state = inner.lock();
    state.received.push(payload.clone());
    let reply = match payload["op"].as_u64() {
        // Heartbeat → heartbeat ACK.
        Some(1) => Some(json!({"op": 11, "s": null, "t": null, "d": null})),
        // IDENTIFY → READY, a new session whose sequence starts again at 1.
        Some(2) => {
            let ready = inner.ready_payload(&payload);
            state.session_id = ready["d"]["session_id"].as_str().map(str::to_owned);
            state.seq = 1;
            mark_ready(&mut state, connection);
            Some(ready)
        }
        // RESUME → RESUMED, the sequence goes on.
        Some(6) => {
            state.seq += 1;
            mark_ready(&mut state, connection);
            Some(json!({
                "op": 0,
                "t": "RESUMED",
                "s": state.seq,
                "d": {"_trace": ["[\"fake-discord\",{\"micros\":0.0}]"]}
            }))
        }
        _ => None,
    };
    if let Some(reply) = reply {
        state.sent.push(reply.clone());
        let _ = tx.send(Outbound::Text(reply.to_string()));
    }
    drop(state);
    inner.bump();
}

fn mark_ready(state: &mut State, connection: u64) {
    if let Some(session) = state
        .session
        .as_mut()
        .filter(|s| s.connection == connection)
    {
        session.ready = true;
    }
}

/// A gateway payload for a panic message, without the bot's token.
fn redact_token(payload: &Value) -> Value {
    let mut payload = payload.clone();
    if let Some(token) = payload.get_mut("d").and_then(|d| d.get_mut("token")) {
        *token = json!("<redacted>");
    }
    payload
}
