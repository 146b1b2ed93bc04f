//! The chat bot end to end: the real serenity client against a fake Discord on 127.0.0.1,
//! replaying real interaction payloads. Each test asserts what the fake received.

use std::sync::Arc;

use chrono::{Duration, SubsecRound, Utc};
use pyramid::chat::BotHandle;
use pyramid::configuration::BotConfig;
use pyramid::configuration::Secret;
use pyramid::services::outbox::{DELIVERED, FAILED};
use pyramid::workers::{Drained, OutboxWorker};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::fake_discord::{FakeDiscord, RETRY_AFTER_SECS, RateLimitScope, Recorded};
use crate::helpers::{Person, Pyramid, TestApp, gid};
use crate::items::{raise, soft_intelligence};

/// Discord's permission bit for Manage Channels.
const MANAGE_CHANNELS: &str = "16";
const PUBLIC_URL: &str = "https://pyramid.example";

struct World {
    app: TestApp,
    p: Pyramid,
    fake: FakeDiscord,
    bot: Option<BotHandle>,
    config: BotConfig,
}

impl World {
    async fn start() -> World {
        let app = TestApp::spawn().await;
        let p = Pyramid::build(&app).await;
        let fake = FakeDiscord::start().await;
        let config = BotConfig {
            token: Secret::new("fake-token"),
            api_base: Some(fake.base_url()),
            guild: None,
            public_url: PUBLIC_URL.to_owned(),
            quality_channel: Some(9_999),
        };
        let bot = pyramid::chat::start(app.db.clone(), config.clone())
            .await
            .expect("the bot starts");
        fake.ready().await;
        let registered = fake
            .wait_for("the commands registered", |r| {
                r.method == "PUT" && r.path.ends_with("/commands")
            })
            .await;
        let names: Vec<&str> = registered
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "link",
                "report",
                "Report as soft intelligence",
                "status",
                "mine",
                "newsletter",
                "pyramid"
            ]
        );
        World {
            app,
            p,
            fake,
            bot: Some(bot),
            config,
        }
    }

    async fn stop(mut self) {
        if let Some(bot) = self.bot.take() {
            bot.stop().await;
        }
    }

    fn worker(&self) -> OutboxWorker {
        let courier = self
            .bot
            .as_ref()
            .unwrap()
            .courier(self.app.db.clone(), &self.config);
        OutboxWorker::new(self.app.db.clone(), Arc::new(courier))
    }

    /// Sends an interaction and returns the bot's reply to it.
    async fn send(&self, interaction: Value) -> Recorded {
        let id = interaction["id"].as_str().unwrap().to_owned();
        let token = interaction["token"].as_str().unwrap().to_owned();
        self.fake.interaction(interaction).await;
        let path = format!("/api/v10/interactions/{id}/{token}/callback");
        self.fake
            .wait_for(&format!("the reply to interaction {id}"), |r| {
                r.path == path
            })
            .await
    }

    /// Links `person`'s Discord account (user id `discord`) with a code from GraphQL.
    async fn link(&self, person: &Person, discord: u64) {
        let code = self
            .app
            .graphql(
                person.token(),
                "mutation { createChatLinkCode { code expiresAt } }",
                json!({}),
            )
            .await
            .ok();
        let code = code["createChatLinkCode"]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let reply = self
            .send(slash(
                &format!("link-{discord}"),
                "link",
                json!([{ "type": 3, "name": "code", "value": code }]),
                discord,
            ))
            .await;
        assert!(content(&reply).contains("now linked"), "{reply}");
    }

    async fn items(&self) -> u64 {
        pyramid::entities::item::Entity::find()
            .count(&self.app.db)
            .await
            .unwrap()
    }
}

fn content(reply: &Recorded) -> String {
    reply.body["data"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn with_user(mut interaction: Value, id: &str, user: u64, channel: u64) -> Value {
    interaction["id"] = json!(id_number(id));
    interaction["token"] = json!(format!("token-{id}"));
    interaction["member"]["user"]["id"] = json!(user.to_string());
    interaction["member"]["permissions"] = json!("0");
    interaction["channel_id"] = json!(channel.to_string());
    if let Some(channel_object) = interaction.get_mut("channel") {
        channel_object["id"] = json!(channel.to_string());
    }
    interaction
}

/// A stable numeric snowflake for a test's name for an interaction.
fn id_number(id: &str) -> String {
    let hash = id.bytes().fold(1_469_598_103_934_665_603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211)
    });
    (hash % 9_000_000_000_000_000_000 + 100_000_000_000_000_000).to_string()
}

/// A slash command in the default channel, replayed from the documented payload.
fn slash(id: &str, name: &str, options: Value, user: u64) -> Value {
    let mut interaction = with_user(
        FakeDiscord::interaction_fixture("interaction_slash_guild.json"),
        id,
        user,
        FakeDiscord::DEFAULT_CHANNEL_ID,
    );
    interaction["data"]["name"] = json!(name);
    interaction["data"]["options"] = options;
    interaction
}

/// The submitted report form, in the action-row layout the bot sends its forms in. (The
/// documented payload lacks `locale`, which serenity requires and Discord always sends.)
fn form_submit(
    id: &str,
    custom_id: &str,
    fields: &[(&str, &str)],
    user: u64,
    channel: u64,
) -> Value {
    let mut interaction = with_user(
        FakeDiscord::interaction_fixture("interaction_modal_submit_actionrow.json"),
        id,
        user,
        channel,
    );
    interaction["locale"] = json!("en-GB");
    interaction["data"]["custom_id"] = json!(custom_id);
    interaction["data"]["components"] = json!(
        fields
            .iter()
            .enumerate()
            .map(|(n, (field, value))| json!({ "type": 1, "id": n * 2 + 1, "components": [{ "type": 4, "id": n * 2 + 2, "custom_id": field, "value": value }] }))
            .collect::<Vec<_>>()
    );
    interaction
}

fn form_fields(reply: &Recorded) -> Vec<(String, Option<String>)> {
    reply.body["data"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let input = &row["components"][0];
            (
                input["custom_id"].as_str().unwrap().to_owned(),
                input["value"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

const MEMBER: u64 = 510_000_000_000_000_001;
const STRANGER: u64 = 510_000_000_000_000_002;
const CHAIR: u64 = 510_000_000_000_000_003;
const SOUTH: u64 = 510_000_000_000_000_004;

#[tokio::test]
async fn linking_connects_a_discord_account_with_a_code_that_works_once() {
    let world = World::start().await;
    let code = world
        .app
        .graphql(
            world.p.ppg_member.token(),
            "mutation { createChatLinkCode { code } }",
            json!({}),
        )
        .await
        .ok();
    let code = code["createChatLinkCode"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = world
        .send(slash(
            "link-1",
            "link",
            json!([{ "type": 3, "name": "code", "value": code.to_lowercase() }]),
            MEMBER,
        ))
        .await;
    assert_eq!(reply.body["type"], 4);
    assert_eq!(reply.body["data"]["flags"], 64, "private to the member");
    assert_eq!(
        content(&reply),
        "Thank you, Pat Member: your Discord account is now linked to Pyramid. Use /report to tell us about a patient's experience."
    );
    let again = world
        .send(slash(
            "link-2",
            "link",
            json!([{ "type": 3, "name": "code", "value": code }]),
            STRANGER,
        ))
        .await;
    assert!(
        content(&again).starts_with("That code is not valid"),
        "{again}"
    );
    let linked = pyramid::entities::chat_identity::Entity::find()
        .all(&world.app.db)
        .await
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(
        (linked[0].member_id, linked[0].external_id.as_str()),
        (world.p.ppg_member.id.0, MEMBER.to_string().as_str())
    );
    world.stop().await;
}

#[tokio::test]
async fn a_member_whose_discord_speaks_welsh_is_answered_in_welsh() {
    let world = World::start().await;
    let mut interaction = slash("report-cy", "report", json!([]), STRANGER);
    interaction["locale"] = json!("cy");
    let reply = world.send(interaction).await;
    assert!(
        content(&reply).starts_with("Nid ydych wedi cysylltu â Pyramid eto"),
        "{}",
        content(&reply)
    );
    world.stop().await;
}

#[tokio::test]
async fn someone_not_linked_is_told_how_to_link_and_nothing_is_stored() {
    let world = World::start().await;
    let reply = world
        .send(slash("report-1", "report", json!([]), STRANGER))
        .await;
    assert_eq!(reply.body["data"]["flags"], 64);
    assert!(
        content(&reply).starts_with("You are not linked to Pyramid yet"),
        "{reply}"
    );
    let submitted = world
        .send(form_submit(
            "form-1",
            "report|SOFT_INTELLIGENCE|NEGATIVE|N|OWN_EXPERIENCE",
            &[("title", "Waits"), ("body", "Long waits.")],
            STRANGER,
            FakeDiscord::DEFAULT_CHANNEL_ID,
        ))
        .await;
    assert!(content(&submitted).starts_with("You are not linked"));
    assert_eq!(world.items().await, 0);
    assert_eq!(
        pyramid::entities::chat_identity::Entity::find()
            .count(&world.app.db)
            .await
            .unwrap(),
        0
    );
    world.stop().await;
}

#[tokio::test]
async fn a_report_through_the_form_raises_a_redacted_item_in_the_members_ppg() {
    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    let opened = world
        .send(slash("report-2", "report", json!([{ "type": 3, "name": "sentiment", "value": "NEGATIVE" }, { "type": 5, "name": "safety", "value": false }]), MEMBER))
        .await;
    assert_eq!(opened.body["type"], 9, "a form: {opened}");
    let custom_id = opened.body["data"]["custom_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fields: Vec<String> = form_fields(&opened).into_iter().map(|(id, _)| id).collect();
    assert_eq!(fields, ["title", "body", "provider", "when"]);
    assert_eq!(
        opened.body["data"]["components"][0]["components"][0]["max_length"], 200,
        "Discord refuses what Pyramid would"
    );

    let reply = world
        .send(form_submit(
            "form-2",
            &custom_id,
            &[
                ("title", "Waited all night"),
                (
                    "body",
                    "My neighbour (NHS 943 476 5919) waited all night for the out-of-hours doctor.",
                ),
                ("provider", "Out-of-hours GP service"),
                ("when", "20/11/2026"),
            ],
            MEMBER,
            FakeDiscord::DEFAULT_CHANNEL_ID,
        ))
        .await;
    let text = content(&reply);
    assert_eq!(reply.body["data"]["flags"], 64);
    assert!(
        text.starts_with("Thank you. Your report is saved as SI-"),
        "{text}"
    );
    assert!(text.contains("in North A"));
    assert!(text.contains("We removed an NHS number"), "{text}");
    let stored = pyramid::entities::item::Entity::find()
        .all(&world.app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].body.as_str(),
        "My neighbour (NHS [NHS number removed]) waited all night for the out-of-hours doctor."
    );
    assert_eq!(
        (stored[0].channel.as_str(), stored[0].origin_group_id),
        ("DISCORD", world.p.ppgs[0][0].0)
    );
    assert_eq!(
        stored[0].experienced_on.map(|d| d.to_string()).as_deref(),
        Some("2026-11-20")
    );
    assert!(text.contains(&stored[0].reference));

    // A field Pyramid refuses is named.
    let bad = world
        .send(form_submit(
            "form-3",
            &custom_id,
            &[
                ("title", "Waits"),
                ("body", "Long."),
                ("when", "last Tuesday"),
            ],
            MEMBER,
            FakeDiscord::DEFAULT_CHANNEL_ID,
        ))
        .await;
    assert!(
        content(&bad).starts_with("Your report was not saved. 'last Tuesday' is not a date"),
        "{bad}"
    );
    assert!(content(&bad).contains("(field: When)"));
    assert_eq!(world.items().await, 1);
    world.stop().await;
}

#[tokio::test]
async fn reporting_a_message_opens_the_form_with_its_text() {
    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    let mut command = with_user(
        FakeDiscord::interaction_fixture("interaction_message_command_guild.json"),
        "menu-1",
        MEMBER,
        FakeDiscord::DEFAULT_CHANNEL_ID,
    );
    command["data"]["name"] = json!("Report as soft intelligence");
    let target = command["data"]["target_id"].as_str().unwrap().to_owned();
    command["data"]["resolved"]["messages"][&target]["content"] =
        json!("A patient told me the ward gave her the wrong tablets twice.");
    let opened = world.send(command).await;
    assert_eq!(opened.body["type"], 9);
    let fields = form_fields(&opened);
    assert_eq!(
        fields[1],
        (
            "body".to_owned(),
            Some("A patient told me the ward gave her the wrong tablets twice.".to_owned())
        )
    );
    assert_eq!(
        fields.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["title", "body", "provider", "sentiment", "safety"]
    );

    let reply = world
        .send(form_submit(
            "menu-form-1",
            opened.body["data"]["custom_id"].as_str().unwrap(),
            &[
                ("title", "Wrong tablets"),
                ("body", fields[1].1.as_deref().unwrap()),
                ("provider", ""),
                ("sentiment", "Negative"),
                ("safety", "yes"),
            ],
            MEMBER,
            FakeDiscord::DEFAULT_CHANNEL_ID,
        ))
        .await;
    assert!(
        content(&reply).contains("gone straight to the commissioners' quality team"),
        "{reply}"
    );
    let stored = pyramid::entities::item::Entity::find()
        .one(&world.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            stored.status.as_str(),
            stored.safety_concern,
            stored.information_source.as_str()
        ),
        ("REFERRED", true, "HEARD_FROM_ANOTHER_PATIENT")
    );
    world.stop().await;
}

#[tokio::test]
async fn status_is_shown_only_to_someone_entitled_to_see_the_item() {
    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    world.link(&world.p.south_member, SOUTH).await;
    let raised = raise(
        &world.app,
        world.p.ppg_member.token(),
        soft_intelligence(world.p.ppgs[0][0].0, "Reception hours", "Closed at lunch."),
    )
    .await;
    let reference = raised["item"]["reference"].as_str().unwrap().to_owned();
    world
        .app
        .graphql(
            world.p.ppg_chair.token(),
            "mutation($id: ID!) { escalateItem(input: { itemId: $id }) { item { status } } }",
            json!({ "id": raised["item"]["id"] }),
        )
        .await
        .ok();

    let mine = world
        .send(slash(
            "status-1",
            "status",
            json!([{ "type": 3, "name": "reference", "value": reference }]),
            MEMBER,
        ))
        .await;
    let text = content(&mine);
    assert!(
        text.starts_with(&format!(
            "{reference}: Reception hours\nNow: taken up to North.\nHistory:\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(": raised in North A\n") && text.ends_with(": taken up to North"),
        "{text}"
    );
    let theirs = world
        .send(slash(
            "status-2",
            "status",
            json!([{ "type": 3, "name": "reference", "value": reference }]),
            SOUTH,
        ))
        .await;
    assert_eq!(
        content(&theirs),
        format!(
            "There is no item {reference} that you can see. Check the reference (it looks like SI-2026-000123)."
        )
    );
    let list = world.send(slash("mine-1", "mine", json!([]), MEMBER)).await;
    assert!(content(&list).contains(&reference));
    world.stop().await;
}

#[tokio::test]
async fn a_duplicated_interaction_raises_one_item() {
    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    let submit = form_submit(
        "form-twice",
        "report|SOFT_INTELLIGENCE|NEGATIVE|N|OWN_EXPERIENCE",
        &[
            ("title", "Once only"),
            ("body", "Delivered twice by Discord."),
        ],
        MEMBER,
        FakeDiscord::DEFAULT_CHANNEL_ID,
    );
    let first = world.send(submit.clone()).await;
    world.fake.interaction(submit).await;
    let path = first.path.clone();
    let replies = world
        .fake
        .wait_for_count("both replies", 2, |r| r.path == path)
        .await;
    assert_eq!(world.items().await, 1);
    let reference = pyramid::entities::item::Entity::find()
        .one(&world.app.db)
        .await
        .unwrap()
        .unwrap()
        .reference;
    assert!(content(&replies[0]).contains(&reference));
    assert!(
        content(&replies[1])
            .starts_with(&format!("We already have this report: it is {reference}.")),
        "{}",
        replies[1]
    );
    world.stop().await;
}

#[tokio::test]
async fn when_the_database_fails_the_member_is_told_the_report_was_not_saved() {
    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    world
        .app
        .db
        .execute_unprepared("ALTER TABLE items RENAME TO items_unavailable")
        .await
        .unwrap();
    let reply = world
        .send(form_submit(
            "form-down",
            "report|SOFT_INTELLIGENCE|NEGATIVE|N|OWN_EXPERIENCE",
            &[("title", "Lost?"), ("body", "Must not be half-saved.")],
            MEMBER,
            FakeDiscord::DEFAULT_CHANNEL_ID,
        ))
        .await;
    world
        .app
        .db
        .execute_unprepared("ALTER TABLE items_unavailable RENAME TO items")
        .await
        .unwrap();
    assert_eq!(
        content(&reply),
        "Your report was not saved: Pyramid could not store it just now, and nothing was kept. Please try again in a few minutes."
    );
    assert_eq!(world.items().await, 0, "nothing half-written");
    assert_eq!(
        pyramid::entities::item_event::Entity::find()
            .count(&world.app.db)
            .await
            .unwrap(),
        0
    );
    world.stop().await;
}

#[tokio::test]
async fn a_newsletter_is_posted_once_to_each_linked_channel_across_a_discord_failure() {
    let world = World::start().await;
    let p = &world.p;
    for (group, channel) in [(p.ppgs[0][0], "7001"), (p.ppgs[0][1], "7002")] {
        world.app.graphql(p.admin.token(), "mutation($g: ID!, $c: String!) { linkChatChannel(input: { groupId: $g, channelId: $c }) { group { name } } }", json!({ "g": gid("Group", group.0), "c": channel })).await.ok();
    }
    let today = Utc::now().date_naive();
    let compiled = world
        .app
        .graphql(
            p.district_secretary.token(),
            "mutation($g: ID!, $s: Date!, $e: Date!) { compileNewsletter(input: { groupId: $g, periodStart: $s, periodEnd: $e }) { newsletter { id title } } }",
            json!({ "g": gid("Group", p.districts[0].0), "s": (today - Duration::days(30)).to_string(), "e": today.to_string() }),
        )
        .await
        .ok();
    let newsletter = &compiled["compileNewsletter"]["newsletter"];
    world
        .app
        .graphql(
            p.district_secretary.token(),
            "mutation($id: ID!) { publishNewsletter(input: { id: $id }) { publishedNow } }",
            json!({ "id": newsletter["id"] }),
        )
        .await
        .ok();
    world
        .app
        .graphql(
            p.district_secretary.token(),
            "mutation($id: ID!) { publishNewsletter(input: { id: $id }) { publishedNow } }",
            json!({ "id": newsletter["id"] }),
        )
        .await
        .ok();

    world
        .fake
        .fail_next("POST", "/api/v10/channels/7002/messages", 500, 1);
    let worker = world.worker();
    let now = Utc::now();
    let first = worker.drain(now).await.unwrap();
    assert_eq!((first.delivered, first.retrying), (1, 1));
    let second = worker.drain(now + Duration::hours(1)).await.unwrap();
    assert_eq!((second.delivered, second.retrying), (1, 0));
    assert_eq!(
        worker
            .drain(now + Duration::days(1))
            .await
            .unwrap()
            .delivered,
        0
    );

    let posts: Vec<Recorded> = world
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/v10/channels/"))
        .collect();
    let delivered: Vec<&str> = posts
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        delivered,
        [
            "/api/v10/channels/7001/messages",
            "/api/v10/channels/7002/messages"
        ],
        "exactly once each: {posts:?}"
    );
    assert_eq!(posts.iter().filter(|r| r.injected_failure).count(), 1);
    let number = String::from_utf8(base64_decode(newsletter["id"].as_str().unwrap()))
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap()
        .to_owned();
    let message = &posts.last().unwrap().body;
    assert!(
        message["content"]
            .as_str()
            .unwrap()
            .contains(newsletter["title"].as_str().unwrap())
    );
    assert!(
        message["content"]
            .as_str()
            .unwrap()
            .contains(&format!("{PUBLIC_URL}/newsletters/{number}"))
    );
    assert_eq!(
        message["enforce_nonce"], true,
        "a resend after a crash is recognised by Discord"
    );
    assert!(message["nonce"].as_str().unwrap().starts_with("pyramid-"));

    // /newsletter in a linked channel shows it.
    let mut asked = slash("newsletter-1", "newsletter", json!([]), STRANGER);
    asked["channel_id"] = json!("7001");
    world.link(&p.ppg_member, MEMBER).await;
    asked["member"]["user"]["id"] = json!(MEMBER.to_string());
    let shown = world.send(asked).await;
    assert!(
        content(&shown).contains(newsletter["title"].as_str().unwrap()),
        "{shown}"
    );
    world.stop().await;
}

#[tokio::test]
async fn an_answer_reaches_the_member_who_raised_it_by_direct_message() {
    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    let raised = raise(
        &world.app,
        world.p.ppg_member.token(),
        soft_intelligence(world.p.ppgs[0][0].0, "Hand gel", "Dispensers empty."),
    )
    .await;
    world
        .app
        .graphql(
            world.p.ppg_chair.token(),
            "mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: \"Refilled, and checked weekly now.\", outcome: CHANGE_MADE }) { item { status } } }",
            json!({ "id": raised["item"]["id"] }),
        )
        .await
        .ok();
    world.worker().drain(Utc::now()).await.unwrap();
    let dm = world
        .fake
        .wait_for("a DM channel opened", |r| {
            r.path == "/api/v10/users/@me/channels"
        })
        .await;
    assert_eq!(dm.body["recipient_id"], MEMBER.to_string());
    let channel = FakeDiscord::dm_channel_id(MEMBER);
    let message = world
        .fake
        .wait_for("the direct message", |r| {
            r.path == format!("/api/v10/channels/{channel}/messages")
        })
        .await;
    let reference = raised["item"]["reference"].as_str().unwrap();
    assert_eq!(
        message.body["content"],
        format!(
            "Your item {reference} (Hand gel) has been answered (a change was made):\nRefilled, and checked weekly now.\nThank you for raising it."
        )
    );
    world.stop().await;
}

#[tokio::test]
async fn linking_a_channel_needs_manage_channels_and_a_role_in_the_group() {
    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    world.link(&world.p.ppg_chair, CHAIR).await;
    let command = |id: &str, user: u64, permissions: &str| {
        let mut interaction = slash(
            id,
            "pyramid",
            json!([{ "type": 1, "name": "link-channel", "options": [{ "type": 3, "name": "group", "value": "A00001" }] }]),
            user,
        );
        interaction["member"]["permissions"] = json!(permissions);
        interaction
    };
    let without = world.send(command("channel-1", CHAIR, "0")).await;
    assert_eq!(
        content(&without),
        "Linking a channel needs Discord's Manage Channels permission in this server."
    );
    let not_officer = world
        .send(command("channel-2", MEMBER, MANAGE_CHANNELS))
        .await;
    assert!(
        content(&not_officer)
            .starts_with("Only an administrator or the group's secretary or chair"),
        "{not_officer}"
    );
    let linked = world
        .send(command("channel-3", CHAIR, MANAGE_CHANNELS))
        .await;
    assert!(
        content(&linked).starts_with("This channel is now linked to North A"),
        "{linked}"
    );
    let channels = pyramid::entities::chat_channel::Entity::find()
        .all(&world.app.db)
        .await
        .unwrap();
    assert_eq!(channels.len(), 1);
    assert_eq!(
        (channels[0].group_id, channels[0].external_id.clone()),
        (
            world.p.ppgs[0][0].0,
            FakeDiscord::DEFAULT_CHANNEL_ID.to_string()
        )
    );

    // Reports made in a linked channel are raised in its group.
    world.link(&world.p.district_secretary, STRANGER).await;
    let reply = world
        .send(form_submit(
            "form-in-channel",
            "report|SOFT_INTELLIGENCE|NEGATIVE|N|OWN_EXPERIENCE",
            &[
                ("title", "Here"),
                ("body", "Raised in the channel's group."),
            ],
            MEMBER,
            FakeDiscord::DEFAULT_CHANNEL_ID,
        ))
        .await;
    assert!(content(&reply).contains("in North A"), "{reply}");
    world.stop().await;
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

/// Raises an item for `ppg_member` (linked as `MEMBER`) and answers it, so an update waits in the
/// outbox to go to them by direct message.
async fn an_answer_for_the_member(world: &World, title: &str) {
    world.link(&world.p.ppg_member, MEMBER).await;
    let raised = raise(
        &world.app,
        world.p.ppg_member.token(),
        soft_intelligence(world.p.ppgs[0][0].0, title, "Answer me."),
    )
    .await;
    world
        .app
        .graphql(
            world.p.ppg_chair.token(),
            "mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: \"Done.\", outcome: NO_ACTION }) { item { status } } }",
            json!({ "id": raised["item"]["id"] }),
        )
        .await
        .ok();
}

/// The one delivery in the outbox.
async fn the_delivery(world: &World) -> pyramid::entities::outbox::Model {
    let mut rows = pyramid::entities::outbox::Entity::find()
        .all(&world.app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.remove(0)
}

/// A clock the database stores exactly (PostgreSQL keeps microseconds).
fn a_clock() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// `retry_after` as the courier waits it: rounded up to whole seconds.
fn retry_after_rounded_up() -> i64 {
    RETRY_AFTER_SECS.ceil() as i64
}

/// The member's update meets one 429 of `scope` on `POST {limited}`: it is not tried again until
/// `retry_after` is over, says why it waits, and is then delivered exactly once, with the nonce of
/// the refused attempt.
async fn a_rate_limit_is_waited_out(scope: RateLimitScope, on_opening_the_dm: bool) {
    let world = World::start().await;
    an_answer_for_the_member(&world, "Rate limited").await;
    let dm = FakeDiscord::dm_channel_id(MEMBER);
    let post = format!("/api/v10/channels/{dm}/messages");
    let open = "/api/v10/users/@me/channels";
    let limited = if on_opening_the_dm { open } else { &post };
    world.fake.rate_limit_next("POST", limited, scope, 1);
    let worker = world.worker();
    let now = a_clock();

    let first = worker.drain(now).await.unwrap();
    assert_eq!((first.delivered, first.retrying, first.failed), (0, 1, 0));
    let waiting = the_delivery(&world).await;
    let retry_after = Duration::milliseconds((RETRY_AFTER_SECS * 1_000.0).ceil() as i64);
    assert!(
        waiting.next_attempt_at >= now + retry_after,
        "tried again at {} before Discord's retry_after ({RETRY_AFTER_SECS} s after {now})",
        waiting.next_attempt_at
    );
    assert_eq!(
        waiting.next_attempt_at,
        now + Duration::seconds(retry_after_rounded_up()),
        "retry_after rounded up to whole seconds"
    );
    let why = waiting.last_error.clone().unwrap_or_default();
    let scope_word = match scope {
        RateLimitScope::User => "(user limit)",
        RateLimitScope::Shared => "(shared limit)",
        RateLimitScope::Global => "(global limit)",
    };
    assert_eq!(
        why,
        format!(
            "Discord answered 429: rate limited for {} s {scope_word}",
            retry_after_rounded_up()
        )
    );

    // Where the back-off alone would have tried again (30 s), it is still waiting.
    let asked = world.fake.requests().len();
    let inside = worker.drain(now + Duration::seconds(32)).await.unwrap();
    assert_eq!(inside, Drained::default());
    assert_eq!(
        world.fake.requests().len(),
        asked,
        "nothing sent inside the window"
    );

    let later = worker.drain(waiting.next_attempt_at).await.unwrap();
    assert_eq!((later.delivered, later.retrying, later.failed), (1, 0, 0));
    let delivered = the_delivery(&world).await;
    assert_eq!(delivered.status, DELIVERED);
    assert_eq!(delivered.last_error, None);
    assert_eq!(
        worker.drain(now + Duration::days(1)).await.unwrap(),
        Drained::default()
    );

    let requests = world.fake.requests();
    let posts: Vec<&Recorded> = requests.iter().filter(|r| r.path == post).collect();
    let opens: Vec<&Recorded> = requests.iter().filter(|r| r.path == open).collect();
    let statuses = |rs: &[&Recorded]| rs.iter().map(|r| r.status).collect::<Vec<_>>();
    if on_opening_the_dm {
        assert_eq!(statuses(&opens), [429, 200], "{opens:?}");
        assert_eq!(statuses(&posts), [200], "{posts:?}");
    } else {
        assert_eq!(statuses(&opens), [200, 200], "{opens:?}");
        assert_eq!(statuses(&posts), [429, 200], "{posts:?}");
        assert_eq!(
            posts[0].body["nonce"], posts[1].body["nonce"],
            "the resend carries the same nonce"
        );
    }
    let sent = posts.last().unwrap();
    assert_eq!(sent.body["nonce"], format!("pyramid-{}", delivered.id));
    assert_eq!(sent.body["enforce_nonce"], true);
    assert_eq!(sent.body["allowed_mentions"]["parse"], json!([]));
    assert_eq!(
        sent.authorization.as_deref(),
        Some("Bot fake-token"),
        "{sent}"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_rate_limited_delivery_is_retried_later_not_lost() {
    a_rate_limit_is_waited_out(RateLimitScope::User, false).await;
}

#[tokio::test]
async fn a_shared_rate_limit_is_waited_out_before_the_message_is_sent_again() {
    a_rate_limit_is_waited_out(RateLimitScope::Shared, false).await;
}

#[tokio::test]
async fn a_global_rate_limit_is_waited_out_before_the_message_is_sent_again() {
    a_rate_limit_is_waited_out(RateLimitScope::Global, false).await;
}

#[tokio::test]
async fn a_rate_limit_on_opening_the_direct_message_is_waited_out_too() {
    a_rate_limit_is_waited_out(RateLimitScope::Global, true).await;
}

#[tokio::test]
async fn a_delivery_rate_limited_every_time_is_given_up_after_max_attempts() {
    let world = World::start().await;
    an_answer_for_the_member(&world, "Always limited").await;
    let post = format!(
        "/api/v10/channels/{}/messages",
        FakeDiscord::dm_channel_id(MEMBER)
    );
    world
        .fake
        .rate_limit_next("POST", &post, RateLimitScope::User, 10);
    let mut worker = world.worker();
    worker.max_attempts = 3;
    let mut clock = a_clock();
    for attempt in 1..=3 {
        let drained = worker.drain(clock).await.unwrap();
        let row = the_delivery(&world).await;
        assert_eq!(row.attempts, attempt);
        if attempt < 3 {
            assert_eq!((drained.retrying, drained.failed), (1, 0));
            assert_eq!(
                row.next_attempt_at,
                clock + Duration::seconds(retry_after_rounded_up())
            );
            clock = row.next_attempt_at;
        } else {
            assert_eq!((drained.retrying, drained.failed), (0, 1));
            assert_eq!(row.status, FAILED);
            assert!(
                row.last_error
                    .as_deref()
                    .unwrap_or_default()
                    .contains(&format!("rate limited for {} s", retry_after_rounded_up())),
                "{row:?}"
            );
        }
    }
    assert_eq!(
        worker.drain(clock + Duration::days(1)).await.unwrap(),
        Drained::default()
    );
    let posts: Vec<Recorded> = world
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path == post)
        .collect();
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert!(posts.iter().all(|r| r.status == 429), "{posts:?}");
    world.stop().await;
}

#[tokio::test]
async fn a_delivery_discord_refuses_is_given_up_with_discords_message() {
    let world = World::start().await;
    an_answer_for_the_member(&world, "Refused").await;
    let post = format!(
        "/api/v10/channels/{}/messages",
        FakeDiscord::dm_channel_id(MEMBER)
    );
    world.fake.fail_next("POST", &post, 403, 1);
    let worker = world.worker();
    let drained = worker.drain(a_clock()).await.unwrap();
    assert_eq!((drained.delivered, drained.failed), (0, 1));
    let row = the_delivery(&world).await;
    assert_eq!(row.status, FAILED);
    assert_eq!(
        row.last_error.as_deref(),
        Some("Discord answered 403: 403: Forbidden")
    );
    world.stop().await;
}

#[tokio::test]
async fn nothing_the_bot_says_can_ping_everyone() {
    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    // A safety report titled to ping the whole server, sent through the form.
    let reply = world
        .send(form_submit(
            "form-ping",
            "report|SOFT_INTELLIGENCE|NEGATIVE|Y|OWN_EXPERIENCE",
            &[
                ("title", "@everyone wrong tablets <@&1234>"),
                ("body", "@here the ward gave the wrong dose."),
            ],
            MEMBER,
            FakeDiscord::DEFAULT_CHANNEL_ID,
        ))
        .await;
    assert_eq!(
        reply.body["data"]["allowed_mentions"]["parse"],
        json!([]),
        "{reply}"
    );
    // The quality team's alert is posted with mentions switched off too.
    world.worker().drain(Utc::now()).await.unwrap();
    let alert = world
        .fake
        .wait_for("the quality team's alert", |r| {
            r.path == "/api/v10/channels/9999/messages"
        })
        .await;
    assert!(
        alert.body["content"]
            .as_str()
            .unwrap()
            .contains("@everyone wrong tablets"),
        "{alert}"
    );
    assert_eq!(
        alert.body["allowed_mentions"]["parse"],
        json!([]),
        "{alert}"
    );
    assert_eq!(
        alert.body["allowed_mentions"]["roles"],
        json!([]),
        "{alert}"
    );
    assert_eq!(
        alert.body["allowed_mentions"]["users"],
        json!([]),
        "{alert}"
    );
    world.stop().await;
}

/// An autocomplete interaction: the member is typing `value` into the option `name` of
/// `/report` (Discord marks that option `focused`).
fn typing(id: &str, name: &str, value: &str, user: u64) -> Value {
    let mut interaction = slash(
        id,
        "report",
        json!([{ "type": 3, "name": name, "value": value, "focused": true }]),
        user,
    );
    interaction["type"] = json!(4);
    interaction
}

fn suggestions(reply: &Recorded) -> Vec<(String, String)> {
    assert_eq!(reply.body["type"], 8, "an autocomplete result: {reply}");
    reply.body["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn report_offers_themes_and_register_providers_as_the_member_types_and_files_the_choice() {
    use pyramid::domain::authz::Actor;
    use pyramid::domain::provider::ProviderKind;
    use pyramid::services::providers;

    let world = World::start().await;
    world.link(&world.p.ppg_member, MEMBER).await;
    let ooh = providers::create(
        &world.app.db,
        &Actor::System,
        providers::NewProvider {
            name: "Vale Out-of-Hours Service".into(),
            kind: ProviderKind::OutOfHours,
            ods_code: Some("NVX01".into()),
            parent_id: None,
        },
    )
    .await
    .unwrap();

    // Before anything is typed, the headings; then what contains the text.
    let headings = suggestions(&world.send(typing("ac-1", "theme", "", MEMBER)).await);
    assert!(headings.len() >= 10 && headings.len() <= 25, "{headings:?}");
    assert!(headings.iter().all(|(name, _)| !name.contains('›')));
    let typed = suggestions(&world.send(typing("ac-2", "theme", "out-of", MEMBER)).await);
    let (name, theme) = typed
        .iter()
        .find(|(name, _)| name == "Urgent and out-of-hours care › Out-of-hours GP")
        .unwrap_or_else(|| panic!("{typed:?}"))
        .clone();
    assert!(name.len() <= 100);
    let offered = suggestions(&world.send(typing("ac-3", "provider", "nvx", MEMBER)).await);
    assert_eq!(
        offered,
        [(
            "Vale Out-of-Hours Service (NVX01)".to_owned(),
            format!("provider:{}", ooh.id)
        )]
    );

    // Chosen from the lists, the form does not ask for the provider again.
    let opened = world
        .send(slash(
            "report-ac",
            "report",
            json!([
                { "type": 3, "name": "sentiment", "value": "NEGATIVE" },
                { "type": 3, "name": "theme", "value": theme },
                { "type": 3, "name": "provider", "value": format!("provider:{}", ooh.id) },
            ]),
            MEMBER,
        ))
        .await;
    assert_eq!(opened.body["type"], 9, "a form: {opened}");
    let fields: Vec<String> = form_fields(&opened).into_iter().map(|(id, _)| id).collect();
    assert_eq!(fields, ["title", "body", "when"]);
    let reply = world
        .send(form_submit(
            "form-ac",
            opened.body["data"]["custom_id"].as_str().unwrap(),
            &[
                ("title", "Nobody rang back"),
                ("body", "Waited six hours for the doctor to ring back."),
                ("when", ""),
            ],
            MEMBER,
            FakeDiscord::DEFAULT_CHANNEL_ID,
        ))
        .await;
    let text = content(&reply);
    assert!(text.starts_with("Thank you."), "{text}");
    let reference = text
        .split_whitespace()
        .find(|w| w.starts_with("SI-"))
        .unwrap()
        .to_owned();
    let item = world
        .app
        .graphql(
            world.p.ppg_member.token(),
            "query($r: String!) { item(reference: $r) { provider { name } providerName themes { theme { name } polarity suggested } } }",
            json!({ "r": reference }),
        )
        .await
        .ok();
    assert_eq!(
        item["item"]["provider"]["name"], "Vale Out-of-Hours Service",
        "{item}"
    );
    assert_eq!(
        item["item"]["themes"],
        json!([{ "theme": { "name": "Out-of-hours GP" }, "polarity": "NEGATIVE", "suggested": false }]),
        "the member's choice, not a suggestion"
    );

    // A theme typed that is none of the vocabulary is explained, and nothing opens.
    let unknown = world
        .send(slash(
            "report-unknown-theme",
            "report",
            json!([{ "type": 3, "name": "theme", "value": "bedside manner" }]),
            MEMBER,
        ))
        .await;
    assert!(
        content(&unknown).contains("'bedside manner' is not one of Pyramid's themes"),
        "{unknown}"
    );
    // A number typed without choosing is not taken for the provider with that id.
    let number = world
        .send(slash(
            "report-number-provider",
            "report",
            json!([{ "type": 3, "name": "provider", "value": ooh.id.0.to_string() }]),
            MEMBER,
        ))
        .await;
    assert!(
        form_fields(&number).contains(&("provider".to_owned(), Some(ooh.id.0.to_string()))),
        "{number}"
    );
    // A provider typed that matches nothing in the register is offered back to keep.
    let loose = world
        .send(slash(
            "report-loose-provider",
            "report",
            json!([{ "type": 3, "name": "provider", "value": "A pharmacy in town" }]),
            MEMBER,
        ))
        .await;
    assert!(
        form_fields(&loose)
            .contains(&("provider".to_owned(), Some("A pharmacy in town".to_owned()))),
        "{loose}"
    );
    assert_eq!(world.items().await, 1);
    world.stop().await;
}
