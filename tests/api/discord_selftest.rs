//! Proves the fake Discord (`fake_discord.rs`) against the real serenity client: gateway
//! handshake, command registration, interactions replayed from real payloads, replies, resume,
//! and injected REST failures.

use std::sync::Arc;

use serde_json::Value;
use serenity::all::{
    ActionRowComponent, ChannelId, Client, ClientBuilder, Command, Context, CreateCommand,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    EditInteractionResponse, EventHandler, GatewayIntents, Http, HttpBuilder, Interaction, Message,
    Ready, ShardManager,
};
use tokio::task::JoinHandle;

use crate::fake_discord::{FakeDiscord, RETRY_AFTER_SECS, RateLimitScope, WAIT_TIMEOUT, fixture};

/// A minimal bot: registers `/ping` on READY, answers it with an ephemeral "pong", and answers a
/// modal submit with an ephemeral deferral, an edit of `@original` describing what serenity
/// parsed, and an ephemeral follow-up.
struct PingBot;

#[serenity::async_trait]
impl EventHandler for PingBot {
    async fn ready(&self, ctx: Context, _ready: Ready) {
        Command::set_global_commands(
            &ctx.http,
            vec![CreateCommand::new("ping").description("Replies pong")],
        )
        .await
        .expect("registering the global command failed");
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(command) => {
                command
                    .create_response(
                        &ctx.http,
                        CreateInteractionResponse::Message(
                            CreateInteractionResponseMessage::new()
                                .content("pong")
                                .ephemeral(true),
                        ),
                    )
                    .await
                    .expect("answering the command failed");
            }
            Interaction::Modal(modal) => {
                modal
                    .create_response(
                        &ctx.http,
                        CreateInteractionResponse::Defer(
                            CreateInteractionResponseMessage::new().ephemeral(true),
                        ),
                    )
                    .await
                    .expect("deferring the modal failed");
                let rows: Vec<String> = modal
                    .data
                    .components
                    .iter()
                    .map(|row| {
                        let inputs: Vec<String> = row
                            .components
                            .iter()
                            .map(|c| match c {
                                ActionRowComponent::InputText(t) => {
                                    format!("{}={}", t.custom_id, t.value.as_deref().unwrap_or(""))
                                }
                                other => format!("{other:?}"),
                            })
                            .collect();
                        format!("{:?}[{}]", row.kind, inputs.join(","))
                    })
                    .collect();
                let summary = format!("{}: {}", modal.data.custom_id, rows.join(" "));
                modal
                    .edit_response(&ctx.http, EditInteractionResponse::new().content(summary))
                    .await
                    .expect("editing @original failed");
                modal
                    .create_followup(
                        &ctx.http,
                        CreateInteractionResponseFollowup::new()
                            .content("thanks")
                            .ephemeral(true),
                    )
                    .await
                    .expect("the follow-up failed");
            }
            _ => {}
        }
    }
}

/// The HTTP client every test uses: proxied to the fake, rate limiter off.
fn fake_http(fake: &FakeDiscord) -> Http {
    HttpBuilder::new("fake-token")
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build()
}

/// A serenity client running in a task against the fake.
struct RunningBot {
    shard_manager: Arc<ShardManager>,
    task: JoinHandle<Result<(), serenity::Error>>,
}

impl RunningBot {
    async fn start(fake: &FakeDiscord) -> RunningBot {
        let mut client: Client =
            ClientBuilder::new_with_http(fake_http(fake), GatewayIntents::empty())
                .event_handler(PingBot)
                .await
                .expect("building the serenity client failed");
        let shard_manager = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start().await });
        RunningBot {
            shard_manager,
            task,
        }
    }

    /// Closes the shards and waits (bounded) for `client.start()` to return.
    async fn stop(self) {
        self.shard_manager.shutdown_all().await;
        tokio::time::timeout(WAIT_TIMEOUT, self.task)
            .await
            .expect("the serenity client did not stop")
            .expect("the serenity client task panicked")
            .expect("the serenity client ended with an error");
    }
}

async fn command_registered(fake: &FakeDiscord) {
    let put = fake
        .wait_for("the global command registration", |r| {
            r.method == "PUT"
                && r.path
                    == format!(
                        "/api/v10/applications/{}/commands",
                        FakeDiscord::APPLICATION_ID
                    )
        })
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.body[0]["name"], "ping");
    assert_eq!(put.body[0]["description"], "Replies pong");
}

#[tokio::test]
async fn serenity_registers_a_command_and_answers_a_slash_command_from_a_real_payload() {
    let fake = FakeDiscord::start().await;
    let bot = RunningBot::start(&fake).await;
    fake.ready().await;

    let identify = fake.wait_for_gateway("IDENTIFY", |p| p["op"] == 2).await;
    assert_eq!(identify["d"]["token"], "Bot fake-token");
    let gateway = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v10/gateway")
        .expect("serenity asks GET /gateway for the websocket URL");
    assert_eq!(gateway.authorization.as_deref(), Some("Bot fake-token"));

    command_registered(&fake).await;

    let interaction = FakeDiscord::interaction_fixture("interaction_slash_guild.json");
    let callback_path = format!(
        "/api/v10/interactions/{}/{}/callback",
        interaction["id"].as_str().unwrap(),
        interaction["token"].as_str().unwrap()
    );
    fake.interaction(interaction).await;
    let reply = fake
        .wait_for("the pong reply", |r| {
            r.method == "POST" && r.path.ends_with("/callback")
        })
        .await;
    assert_eq!(reply.path, callback_path);
    assert_eq!(reply.status, 204);
    assert_eq!(reply.body["type"], 4, "{}", reply.body);
    assert_eq!(reply.body["data"]["content"], "pong", "{}", reply.body);
    assert_eq!(reply.body["data"]["flags"], 64, "{}", reply.body);

    bot.stop().await;
}

#[tokio::test]
async fn serenity_answers_a_modal_submit_in_the_label_layout_but_loses_the_label() {
    let fake = FakeDiscord::start().await;
    let bot = RunningBot::start(&fake).await;
    fake.ready().await;
    command_registered(&fake).await;

    let interaction = FakeDiscord::interaction_fixture("interaction_modal_submit_label.json");
    let token = interaction["token"].as_str().unwrap().to_owned();
    fake.interaction(interaction).await;

    let deferral = fake
        .wait_for("the deferral", |r| {
            r.method == "POST" && r.path.ends_with("/callback")
        })
        .await;
    assert_eq!(deferral.body["type"], 5, "{}", deferral.body);
    assert_eq!(deferral.body["data"]["flags"], 64, "{}", deferral.body);

    let original = format!(
        "/api/v10/webhooks/{}/{token}/messages/@original",
        FakeDiscord::APPLICATION_ID
    );
    let edit = fake
        .wait_for("the edit of @original", |r| {
            r.method == "PATCH" && r.path == original
        })
        .await;
    // serenity 0.12.5 has no Label (type 18): it reads it as an action row of an unknown
    // type with no components, so the string select's value ("two") never reaches the bot.
    assert_eq!(
        edit.body["content"], "fooo: Unknown(18)[] ActionRow[fppp=Fooooo]",
        "{}",
        edit.body
    );

    let followup_path = format!("/api/v10/webhooks/{}/{token}", FakeDiscord::APPLICATION_ID);
    let followup = fake
        .wait_for("the follow-up", |r| {
            r.method == "POST" && r.path == followup_path
        })
        .await;
    assert_eq!(followup.status, 200);
    assert_eq!(followup.body["content"], "thanks");
    assert_eq!(followup.body["flags"], 64);

    bot.stop().await;
}

#[tokio::test]
async fn serenity_resumes_after_close_code_4000_and_keeps_answering() {
    let fake = FakeDiscord::start().await;
    let bot = RunningBot::start(&fake).await;
    fake.ready().await;
    command_registered(&fake).await;
    let session_id = fake
        .gateway_sent()
        .into_iter()
        .find(|p| p["t"] == "READY")
        .expect("READY was sent")["d"]["session_id"]
        .clone();

    fake.close_gateway(4000);
    let resume = fake.wait_for_gateway("RESUME", |p| p["op"] == 6).await;
    assert_eq!(resume["d"]["session_id"], session_id);
    assert_eq!(resume["d"]["seq"], 1, "READY was s=1: {resume}");
    assert_eq!(resume["d"]["token"], "Bot fake-token");
    fake.ready().await;

    fake.interaction(FakeDiscord::interaction_fixture(
        "interaction_slash_dm_with_string_option.derived.json",
    ))
    .await;
    let reply = fake
        .wait_for("the pong reply after the resume", |r| {
            r.method == "POST" && r.path.ends_with("/callback")
        })
        .await;
    assert_eq!(reply.body["data"]["content"], "pong");
    let resumed = fake
        .gateway_sent()
        .into_iter()
        .find(|p| p["t"] == "RESUMED")
        .expect("RESUMED was sent");
    assert_eq!(resumed["s"], 2);

    bot.stop().await;
}

#[tokio::test]
async fn an_injected_500_fails_one_channel_message_and_the_next_succeeds() {
    let fake = FakeDiscord::start().await;
    let http = fake_http(&fake);
    fake.fail_next("POST", "/api/v10/channels/", 500, 1);

    let first = ChannelId::new(123).say(&http, "hi").await;
    match first {
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e))) => {
            assert_eq!(e.status_code.as_u16(), 500);
            assert_eq!(e.error.message, "Internal Server Error");
        }
        other => panic!("expected a 500, got {other:?}"),
    }
    let second: Message = ChannelId::new(123)
        .say(&http, "hi")
        .await
        .expect("the second message should go through");
    assert_eq!(second.content, "hi");
    assert_eq!(second.channel_id, ChannelId::new(123));
    assert_eq!(second.author.id.get(), FakeDiscord::BOT_USER_ID);

    let posts = fake
        .wait_for_count("both channel posts", 2, |r| {
            r.method == "POST" && r.path == "/api/v10/channels/123/messages"
        })
        .await;
    assert_eq!((posts[0].status, posts[0].injected_failure), (500, true));
    assert_eq!((posts[1].status, posts[1].injected_failure), (200, false));
    assert!(posts.iter().all(|p| p.body["content"] == "hi"));
}

#[tokio::test]
async fn rest_fakes_dm_channels_404s_and_rate_limits_as_discord_does() {
    let fake = FakeDiscord::start().await;
    let http = fake_http(&fake);

    let user = serenity::all::UserId::new(42);
    let dm = user
        .create_dm_channel(&http)
        .await
        .expect("opening a DM failed");
    assert_eq!(dm.id.get(), FakeDiscord::dm_channel_id(42));
    assert_eq!(dm.recipient.id, user);
    let message = dm.say(&http, "hello").await.expect("the DM failed");
    assert_eq!(message.channel_id, dm.id);

    let me = http.get_current_user().await.expect("GET /users/@me");
    assert_eq!(me.id.get(), FakeDiscord::BOT_USER_ID);
    let app = http
        .get_current_application_info()
        .await
        .expect("GET /oauth2/applications/@me");
    assert_eq!(app.id.get(), FakeDiscord::APPLICATION_ID);

    let unknown = http.get_channel(ChannelId::new(5)).await;
    assert!(unknown.is_err());
    let recorded = fake
        .wait_for("the unknown route", |r| r.path == "/api/v10/channels/5")
        .await;
    assert_eq!(recorded.status, 404);

    // Rate limits: the headers are only visible below serenity, so ask with reqwest.
    fake.rate_limit_next("POST", "/api/v10/channels/", RateLimitScope::Global, 1);
    let limited = reqwest::Client::new()
        .post(format!("{}/api/v10/channels/7/messages", fake.base_url()))
        .json(&serde_json::json!({"content": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    let header = |name: &str| limited.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(
        header("retry-after"),
        (RETRY_AFTER_SECS.ceil() as u64).to_string()
    );
    assert_eq!(header("x-ratelimit-global"), "true");
    assert_eq!(header("x-ratelimit-scope"), "global");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["global"], true);
    assert_eq!(body["retry_after"], RETRY_AFTER_SECS);

    // Through serenity (rate limiter off, as when proxied) a 429 keeps only its status: the
    // headers are dropped and the body, which has no `code`, fails to decode. This is why the
    // courier reads Discord's answers itself (src/chat/courier.rs).
    fake.fail_next("POST", "/api/v10/channels/", 429, 1);
    let shared = ChannelId::new(7).say(&http, "x").await;
    match &shared {
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e))) => {
            assert_eq!(e.status_code.as_u16(), 429);
            assert_eq!(e.error.code, -1);
            assert!(
                e.error.message.contains("Could not decode json"),
                "serenity now decodes a 429's body: {e:?}"
            );
        }
        other => panic!("expected a 429, got {other:?}"),
    }
    assert!(ChannelId::new(7).say(&http, "x").await.is_ok());
}

/// Which real payloads serenity 0.12.5's deserializers accept as they are.
#[test]
fn serenity_accepts_the_real_payloads_except_the_legacy_modal_submit() {
    let accepted = [
        "interaction_slash_guild.json",
        "interaction_slash_guild.nyxx_capture.json",
        "interaction_slash_dm.json",
        "interaction_slash_dm_with_string_option.derived.json",
        "interaction_message_command_guild.json",
        "interaction_modal_submit_label.json",
    ];
    for name in accepted {
        if let Err(e) = serde_json::from_value::<Interaction>(fixture(name)) {
            panic!("serenity rejects {name}: {e}");
        }
    }
    // The docs' legacy action-row modal example has no `locale`, which serenity requires.
    let legacy =
        serde_json::from_value::<Interaction>(fixture("interaction_modal_submit_actionrow.json"));
    let error = legacy.expect_err("serenity 0.12.5 now accepts a modal submit without `locale`");
    assert!(error.to_string().contains("locale"), "{error}");

    for name in [
        "gateway_ready.json",
        "gateway_ready.v10_capture_unattributed.json",
    ] {
        if let Err(e) = serde_json::from_value::<Ready>(fixture(name)["d"].clone()) {
            panic!("serenity rejects READY in {name}: {e}");
        }
    }
    if let Err(e) = serde_json::from_value::<Message>(fixture("create_message_response.json")) {
        panic!("serenity rejects create_message_response.json: {e}");
    }
}
