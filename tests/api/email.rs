//! Reaching members by e-mail: confirming addresses, choosing how to hear, newsletters for
//! groups' mailing addresses, unsubscribing, and deliveries that were given up. E-mail goes
//! to an SMTP server inside the test (`fake_smtp.rs`, on 127.0.0.1) or into a folder.

use std::sync::Arc;

use chrono::{Duration, Utc};
use pyramid::configuration::{DEFAULT_MAIL_FROM, MailConfig, MailTransport, SmtpUrl};
use pyramid::entities::{email_confirmation, email_link, outbox};
use pyramid::mail::MailCourier;
use pyramid::workers::{OutboxWorker, Router};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fake_smtp::{Email, FakeSmtp};
use crate::helpers::{Person, Pyramid, TestApp, gid};
use crate::items::{raise, soft_intelligence};

const REQUEST: &str = r#"mutation($a: String) { requestEmailConfirmation(input: { address: $a }) { address expiresAt member { email emailConfirmed } } }"#;
const PREFER: &str = r#"mutation($p: DeliveryPreference!) { setDeliveryPreference(input: { preference: $p }) { member { deliveryPreference } hearing { by sentence } } }"#;
const ME: &str = r#"{ me { email emailConfirmed deliveryPreference hearing { by } } }"#;
const RESPOND: &str = r#"mutation($id: ID!) { respondToItem(input: { itemId: $id, answer: "The practice has added two evening call-back slots.", outcome: CHANGE_MADE }) { item { status } } }"#;
const SET_GROUP_ADDRESS: &str = r#"mutation($g: ID!, $a: String!) { setGroupMailingAddress(input: { groupId: $g, address: $a }) { address expiresAt group { name } } }"#;
const GROUP_ADDRESS: &str =
    r#"query($g: ID!) { node(id: $g) { ... on Group { mailingAddress } } }"#;
const FAILED: &str = r#"query($g: ID!) { node(id: $g) { ... on Group { failedDeliveries(first: 10) { edges { node { kind channel what to member { name } item { reference } reason attempts queuedAt gaveUpAt } } } } } }"#;

/// The e-mail side of Pyramid in a test: a fake SMTP server and a worker that sends through
/// it (chat deliveries are left alone, as when the bot is off).
struct Mail {
    smtp: FakeSmtp,
    worker: OutboxWorker,
    base: String,
}

fn worker_with(app: &TestApp, transport: MailTransport) -> OutboxWorker {
    let config = MailConfig {
        transport,
        from: DEFAULT_MAIL_FROM.to_owned(),
        public_url: app.address.clone(),
    };
    let courier = MailCourier::new(app.db.clone(), &config).expect("a mail courier");
    OutboxWorker::new(
        app.db.clone(),
        Arc::new(Router {
            chat: None,
            email: Some(Arc::new(courier)),
            audio: None,
        }),
    )
}

impl Mail {
    async fn start(app: &TestApp) -> Mail {
        let smtp = FakeSmtp::start().await;
        let worker = worker_with(app, MailTransport::Smtp(SmtpUrl::new(smtp.url()).unwrap()));
        Mail {
            smtp,
            worker,
            base: app.address.clone(),
        }
    }

    /// The last e-mail to `address`, read back.
    fn last_to(&self, address: &str) -> Email {
        let received = self.smtp.to(address);
        let last = received
            .last()
            .unwrap_or_else(|| panic!("nothing was sent to {address}"));
        Email::parse(&last.data)
    }

    /// Asks for `person`'s address to be confirmed, delivers the e-mail and follows its link.
    async fn confirm(&self, app: &TestApp, person: &Person, address: &str) {
        app.graphql(person.token(), REQUEST, json!({ "a": address }))
            .await
            .ok();
        self.worker.drain(Utc::now()).await.unwrap();
        let link = self.last_to(address).link(&self.base, "/email/confirm/");
        assert_eq!(app.get(&link).await.status(), 200);
    }
}

async fn delivery_id(app: &TestApp, destination: &str, kind: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Destination.eq(destination))
        .filter(outbox::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_confirmation_link_works_once_and_expires() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mail = Mail::start(&app).await;
    let me = app.graphql(p.ppg_member.token(), ME, json!({})).await.ok();
    assert_eq!(
        me["me"],
        json!({ "email": "pat.member@test.example", "emailConfirmed": false, "deliveryPreference": null, "hearing": { "by": "NOT_SET_UP" } })
    );

    // Confirming the address Pyramid has.
    let requested = app
        .graphql(p.ppg_member.token(), REQUEST, json!({}))
        .await
        .ok();
    let requested = &requested["requestEmailConfirmation"];
    assert_eq!(requested["address"], "pat.member@test.example");
    let expires: chrono::DateTime<Utc> = requested["expiresAt"].as_str().unwrap().parse().unwrap();
    let hours = (expires - Utc::now()).num_minutes() as f64 / 60.0;
    assert!((47.9..=48.0).contains(&hours), "{hours}");
    assert_eq!(mail.worker.drain(Utc::now()).await.unwrap().delivered, 1);
    let letter = mail.last_to("pat.member@test.example");
    assert_eq!(
        letter.header("Subject").unwrap(),
        "Confirm your e-mail address for Pyramid"
    );
    assert!(
        letter
            .part("text/plain")
            .contains("Pat Member asked Pyramid to write to pat.member@test.example")
    );
    let link = letter.link(&mail.base, "/email/confirm/");
    // Only the token's hash is kept.
    let token = link.trim_start_matches("/email/confirm/");
    let stored = email_link::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].token_hash.len(), 64);
    assert!(!stored[0].token_hash.contains(token) && token.len() >= 43);

    let page = app.get(&link).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page = page.text().await.unwrap();
    assert!(page.contains("<html lang=\"en-GB\">"), "{page}");
    assert!(
        page.contains("<h1>Your e-mail address is confirmed</h1>"),
        "{page}"
    );
    let me = app.graphql(p.ppg_member.token(), ME, json!({})).await.ok();
    assert_eq!(me["me"]["emailConfirmed"], true);
    assert_eq!(
        me["me"]["hearing"]["by"], "EMAIL",
        "e-mail is the default without chat"
    );

    // The link works once.
    let again = app.get(&link).await;
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("Already confirmed"));
    assert_eq!(
        app.graphql(p.ppg_member.token(), REQUEST, json!({}))
            .await
            .code(),
        "CONFLICT",
        "an address already confirmed"
    );

    // A new address: until it is confirmed, the old one stands; its link expires after 48 h.
    let requested = app
        .graphql(
            p.ppg_member.token(),
            REQUEST,
            json!({ "a": "Pat@New.Example" }),
        )
        .await
        .ok();
    assert_eq!(
        requested["requestEmailConfirmation"]["member"],
        json!({ "email": "pat.member@test.example", "emailConfirmed": true })
    );
    mail.worker.drain(Utc::now()).await.unwrap();
    let link = mail
        .last_to("pat@new.example")
        .link(&mail.base, "/email/confirm/");
    email_confirmation::Entity::update_many()
        .col_expr(
            email_confirmation::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let expired = app.get(&link).await;
    assert_eq!(expired.status(), 410);
    assert!(
        expired
            .text()
            .await
            .unwrap()
            .contains("This link has expired")
    );
    let me = app.graphql(p.ppg_member.token(), ME, json!({})).await.ok();
    assert_eq!(me["me"]["email"], "pat.member@test.example");

    // Nobody else's address, and nothing that is not one.
    let taken = app
        .graphql(
            p.ppg_member.token(),
            REQUEST,
            json!({ "a": "sam.member@test.example" }),
        )
        .await;
    assert_eq!((taken.code(), taken.field()), ("BAD_USER_INPUT", "address"));
    assert_eq!(
        app.graphql(p.ppg_member.token(), REQUEST, json!({ "a": "pat at home" }))
            .await
            .field(),
        "address"
    );
    assert_eq!(app.get("/email/confirm/not-a-token").await.status(), 404);
    assert_eq!(
        app.graphql(None, REQUEST, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn a_member_who_chose_email_hears_the_answer_by_email_and_can_stop_it() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mail = Mail::start(&app).await;
    let address = "pat.member@test.example";
    mail.confirm(&app, &p.ppg_member, address).await;
    let chose = app
        .graphql(p.ppg_member.token(), PREFER, json!({ "p": "EMAIL" }))
        .await
        .ok();
    assert_eq!(
        chose["setDeliveryPreference"]["member"]["deliveryPreference"],
        "EMAIL"
    );
    assert_eq!(chose["setDeliveryPreference"]["hearing"]["by"], "EMAIL");

    let raised = app
        .graphql(
            p.ppg_member.token(),
            r#"mutation($input: RaiseItemInput!) { raiseItem(input: $input) { item { id reference } howYouWillHear { by sentence } } }"#,
            json!({ "input": soft_intelligence(p.ppgs[0][0].0, "Call-backs", "Waited six hours for a call-back.") }),
        )
        .await
        .ok();
    let raised = &raised["raiseItem"];
    assert_eq!(
        raised["howYouWillHear"],
        json!({ "by": "EMAIL", "sentence": "Pyramid will e-mail you when it moves or is answered." })
    );
    let reference = raised["item"]["reference"].as_str().unwrap().to_owned();
    app.graphql(
        p.ppg_chair.token(),
        RESPOND,
        json!({ "id": raised["item"]["id"] }),
    )
    .await
    .ok();
    assert_eq!(mail.worker.drain(Utc::now()).await.unwrap().delivered, 1);

    let member = format!("member-email:{}", p.ppg_member.id.0);
    let rows = delivery_id(&app, &member, "ITEM_UPDATE").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        delivery_id(
            &app,
            &format!("member:{}", p.ppg_member.id.0),
            "ITEM_UPDATE"
        )
        .await
        .len(),
        0,
        "no chat message for someone who chose e-mail"
    );
    let letter = mail.last_to(address);
    assert_eq!(
        letter.header("Subject").unwrap(),
        format!("Your item {reference} has been answered")
    );
    assert_eq!(
        letter.header("Message-ID").unwrap(),
        format!("<pyramid-delivery-{}@127.0.0.1>", rows[0].id)
    );
    assert!(letter.header("From").unwrap().contains("pyramid@localhost"));
    assert_eq!(letter.header("Auto-Submitted").unwrap(), "auto-generated");
    assert!(
        letter
            .header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    let text = letter.part("text/plain");
    assert!(
        text.contains("The answer:\nThe practice has added two evening call-back slots."),
        "{text}"
    );
    let html = letter.part("text/html");
    assert!(html.contains("<html lang=\"en-GB\">") && html.contains("<h2>The answer</h2>"));
    let unsubscribe = letter.header("List-Unsubscribe").unwrap();
    assert!(
        unsubscribe.starts_with(&format!("<{}/email/unsubscribe/", mail.base)),
        "{unsubscribe}"
    );
    assert_eq!(
        letter.header("List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    let link = letter.link(&mail.base, "/email/unsubscribe/");
    assert_eq!(format!("<{}{link}>", mail.base), unsubscribe);
    // The link names no member: it is a random token, kept only as a hash.
    let token = link.trim_start_matches("/email/unsubscribe/");
    assert_eq!(token.len(), 43, "{token}");
    assert_eq!(mail.smtp.to(address)[1].from, "pyramid@localhost");

    // Opening the link only asks; the button stops the e-mails.
    let asked = app.get(&link).await;
    assert_eq!(asked.status(), 200);
    let asked = asked.text().await.unwrap();
    assert!(
        asked.contains("<h1>Stop these e-mails?</h1>") && asked.contains("<form method=\"post\">")
    );
    let me = app.graphql(p.ppg_member.token(), ME, json!({})).await.ok();
    assert_eq!(me["me"]["deliveryPreference"], "EMAIL");
    let stopped = reqwest::Client::new()
        .post(format!("{}{link}", mail.base))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), 200);
    assert!(
        stopped
            .text()
            .await
            .unwrap()
            .contains("<h1>No more of these e-mails</h1>")
    );
    let me = app.graphql(p.ppg_member.token(), ME, json!({})).await.ok();
    assert_eq!(me["me"]["deliveryPreference"], "NONE");
    assert_eq!(me["me"]["hearing"]["by"], "NOT_AT_ALL");

    // Nothing more is sent, and the next raise says how they will (not) hear.
    let next = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Parking", "No disabled spaces free."),
    )
    .await;
    app.graphql(
        p.ppg_chair.token(),
        RESPOND,
        json!({ "id": next["item"]["id"] }),
    )
    .await
    .ok();
    assert_eq!(mail.worker.drain(Utc::now()).await.unwrap().delivered, 0);
    assert_eq!(
        mail.smtp.to(address).len(),
        2,
        "the confirmation and one answer"
    );
}

#[tokio::test]
async fn a_member_with_both_gets_each_medium_once_and_chat_waits_without_the_bot() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mail = Mail::start(&app).await;
    mail.confirm(&app, &p.ppg_member, "pat.member@test.example")
        .await;
    // Link a Discord account the way the bot does.
    let code = pyramid::services::chat::create_link_code(
        &app.db,
        &pyramid::services::tokens::authenticate(&app.db, &p.ppg_member.token)
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    pyramid::services::chat::link_account(&app.db, "DISCORD", "4242", &code.code)
        .await
        .unwrap();
    let me = app.graphql(p.ppg_member.token(), ME, json!({})).await.ok();
    assert_eq!(
        me["me"]["hearing"]["by"], "CHAT",
        "chat is the default once linked"
    );
    app.graphql(p.ppg_member.token(), PREFER, json!({ "p": "BOTH" }))
        .await
        .ok();
    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Call-backs", "Waited six hours."),
    )
    .await;
    app.graphql(
        p.ppg_chair.token(),
        RESPOND,
        json!({ "id": raised["item"]["id"] }),
    )
    .await
    .ok();
    let drained = mail.worker.drain(Utc::now()).await.unwrap();
    assert_eq!(
        (drained.delivered, drained.retrying, drained.failed),
        (1, 0, 0)
    );
    let chat = delivery_id(
        &app,
        &format!("member:{}", p.ppg_member.id.0),
        "ITEM_UPDATE",
    )
    .await;
    assert_eq!(chat.len(), 1);
    assert_eq!(
        (chat[0].status.as_str(), chat[0].attempts),
        ("PENDING", 0),
        "without the bot, chat waits untouched"
    );
    assert_eq!(chat[0].channel, "CHAT");
    let by_email = delivery_id(
        &app,
        &format!("member-email:{}", p.ppg_member.id.0),
        "ITEM_UPDATE",
    )
    .await;
    assert_eq!(
        (by_email[0].status.as_str(), by_email[0].channel.as_str()),
        ("DELIVERED", "EMAIL")
    );
    assert_ne!(chat[0].dedupe_key, by_email[0].dedupe_key);
}

#[tokio::test]
async fn a_newsletter_reaches_each_confirmed_group_address_exactly_once_across_a_retry() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mail = Mail::start(&app).await;
    let (north_a, north_b) = (p.ppgs[0][0], p.ppgs[0][1]);

    // Only the group's officers and its area's administrators set its address.
    let refused = app
        .graphql(
            p.ppg_member.token(),
            SET_GROUP_ADDRESS,
            json!({ "g": gid("Group", north_a.0), "a": "north-a@lists.example" }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    for (who, group, address) in [
        (&p.ppg_chair, north_a, "north-a@lists.example"),
        (&p.admin, north_b, "north-b@lists.example"),
    ] {
        let set = app
            .graphql(
                who.token(),
                SET_GROUP_ADDRESS,
                json!({ "g": gid("Group", group.0), "a": address }),
            )
            .await
            .ok();
        assert_eq!(set["setGroupMailingAddress"]["address"], address);
        mail.worker.drain(Utc::now()).await.unwrap();
        let letter = mail.last_to(address);
        assert!(
            letter
                .header("Subject")
                .unwrap()
                .starts_with("Confirm this address for North")
        );
        assert!(letter.header("List-Unsubscribe").is_none());
        let link = letter.link(&mail.base, "/email/confirm/");
        let page = app.get(&link).await.text().await.unwrap();
        assert!(
            page.contains("newsletters will now be e-mailed to"),
            "{page}"
        );
    }
    // A newer address for North B waits for its own confirmation; the confirmed one stands.
    app.graphql(
        p.north_b_chair.token(),
        SET_GROUP_ADDRESS,
        json!({ "g": gid("Group", north_b.0), "a": "north-b-new@lists.example" }),
    )
    .await
    .ok();
    let seen = app
        .graphql(
            p.north_b_chair.token(),
            GROUP_ADDRESS,
            json!({ "g": gid("Group", north_b.0) }),
        )
        .await
        .ok();
    assert_eq!(seen["node"]["mailingAddress"], "north-b@lists.example");
    let hidden = app
        .graphql(
            p.ppg_member.token(),
            GROUP_ADDRESS,
            json!({ "g": gid("Group", north_a.0) }),
        )
        .await
        .ok();
    assert_eq!(hidden["node"]["mailingAddress"], Value::Null);
    mail.worker.drain(Utc::now()).await.unwrap();

    // Publish: the server refuses the first newsletter e-mail with a 451, then accepts.
    let compiled = app
        .graphql(
            p.district_secretary.token(),
            r#"mutation($input: CompileNewsletterInput!) { compileNewsletter(input: $input) { newsletter { id title } } }"#,
            json!({ "input": { "groupId": gid("Group", p.districts[0].0), "periodStart": (Utc::now().date_naive() - Duration::days(90)).to_string(), "periodEnd": Utc::now().date_naive().to_string() } }),
        )
        .await
        .ok();
    let newsletter = &compiled["compileNewsletter"]["newsletter"];
    let title = newsletter["title"].as_str().unwrap().to_owned();
    mail.smtp.delay_next(1);
    let published = app
        .graphql(
            p.district_secretary.token(),
            r#"mutation($id: ID!) { publishNewsletter(input: { id: $id }) { publishedNow } }"#,
            json!({ "id": newsletter["id"] }),
        )
        .await
        .ok();
    assert_eq!(published["publishNewsletter"]["publishedNow"], true);
    let now = Utc::now();
    let first = mail.worker.drain(now).await.unwrap();
    assert_eq!((first.delivered, first.retrying), (1, 1));
    assert_eq!(mail.smtp.refused(), vec!["451 4.3.0 Try again later"]);
    let idle = mail.worker.drain(now).await.unwrap();
    assert_eq!(
        (idle.delivered, idle.retrying),
        (0, 0),
        "the retry waits its back-off"
    );
    assert_eq!(
        mail.worker
            .drain(now + Duration::hours(1))
            .await
            .unwrap()
            .delivered,
        1
    );
    assert_eq!(
        mail.worker
            .drain(now + Duration::days(1))
            .await
            .unwrap()
            .delivered,
        0
    );
    // Publishing again sends nothing again.
    app.graphql(
        p.district_secretary.token(),
        r#"mutation($id: ID!) { publishNewsletter(input: { id: $id }) { publishedNow } }"#,
        json!({ "id": newsletter["id"] }),
    )
    .await
    .ok();
    assert_eq!(
        mail.worker
            .drain(now + Duration::days(2))
            .await
            .unwrap()
            .delivered,
        0
    );

    for (group, address) in [
        (north_a, "north-a@lists.example"),
        (north_b, "north-b@lists.example"),
    ] {
        let newsletters: Vec<Email> = mail
            .smtp
            .to(address)
            .iter()
            .map(|m| Email::parse(&m.data))
            .filter(|e| e.header("Subject").unwrap().contains(&title))
            .collect();
        assert_eq!(newsletters.len(), 1, "exactly one newsletter to {address}");
        let letter = &newsletters[0];
        let row = delivery_id(&app, &format!("group-email:{}", group.0), "NEWSLETTER").await;
        assert_eq!(
            letter.header("Message-ID").unwrap(),
            format!("<pyramid-delivery-{}@127.0.0.1>", row[0].id)
        );
        assert!(
            letter
                .part("text/html")
                .contains(&format!("<h1>{title}</h1>"))
        );
        assert!(
            letter
                .part("text/plain")
                .starts_with(&format!("{title}\n\nFrom North."))
        );
        assert!(letter.header("List-Unsubscribe").is_some());
    }
    assert!(
        mail.smtp
            .to("north-b-new@lists.example")
            .iter()
            .all(|m| !m.data.contains(&title))
    );
    let deliveries = app
        .graphql(
            p.district_secretary.token(),
            "query($id: ID!) { node(id: $id) { ... on Newsletter { deliveries { group { name } channel status attempts } } } }",
            json!({ "id": newsletter["id"] }),
        )
        .await
        .ok();
    let mut deliveries = deliveries["node"]["deliveries"].as_array().unwrap().clone();
    deliveries.sort_by_key(|d| d["group"]["name"].as_str().unwrap().to_owned());
    assert_eq!(deliveries.len(), 2);
    assert!(
        deliveries
            .iter()
            .all(|d| d["channel"] == "EMAIL" && d["status"] == "DELIVERED")
    );
    let attempts: Vec<i64> = deliveries
        .iter()
        .map(|d| d["attempts"].as_i64().unwrap())
        .collect();
    assert_eq!(
        {
            let mut a = attempts.clone();
            a.sort();
            a
        },
        vec![1, 2]
    );

    // North B's readers stop the newsletters with the link in one.
    let letter = mail.last_to("north-b@lists.example");
    let link = letter.link(&mail.base, "/email/unsubscribe/");
    let stopped = reqwest::Client::new()
        .post(format!("{}{link}", mail.base))
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), 200);
    let seen = app
        .graphql(
            p.north_b_chair.token(),
            GROUP_ADDRESS,
            json!({ "g": gid("Group", north_b.0) }),
        )
        .await
        .ok();
    assert_eq!(seen["node"]["mailingAddress"], Value::Null);
}

#[tokio::test]
async fn a_refused_e_mail_and_a_member_with_no_way_set_up_show_in_the_groups_failed_deliveries() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let mail = Mail::start(&app).await;
    mail.confirm(&app, &p.ppg_member, "pat.member@test.example")
        .await;
    mail.smtp.refuse("pat.member@test.example");

    let raised = raise(
        &app,
        p.ppg_member.token(),
        soft_intelligence(p.ppgs[0][0].0, "Call-backs", "Waited six hours."),
    )
    .await;
    app.graphql(
        p.ppg_chair.token(),
        RESPOND,
        json!({ "id": raised["item"]["id"] }),
    )
    .await
    .ok();
    let drained = mail.worker.drain(Utc::now()).await.unwrap();
    assert_eq!((drained.delivered, drained.failed), (0, 1));

    // Sam has neither chat nor a confirmed address: told at once, and it shows at once.
    let sams = app
        .graphql(
            p.other_member.token(),
            r#"mutation($input: RaiseItemInput!) { raiseItem(input: $input) { item { id reference } howYouWillHear { by sentence } } }"#,
            json!({ "input": soft_intelligence(p.ppgs[0][0].0, "Parking", "No disabled spaces.") }),
        )
        .await
        .ok();
    let sams = &sams["raiseItem"];
    assert_eq!(sams["howYouWillHear"]["by"], "NOT_SET_UP");
    assert_eq!(
        sams["howYouWillHear"]["sentence"],
        "You have no way set up for Pyramid to tell you what happens: link Discord or confirm your e-mail address; meanwhile ask your PPG's secretary, or look it up with its reference."
    );
    app.graphql(
        p.ppg_chair.token(),
        RESPOND,
        json!({ "id": sams["item"]["id"] }),
    )
    .await
    .ok();

    let failed = app
        .graphql(
            p.ppg_chair.token(),
            FAILED,
            json!({ "g": gid("Group", p.ppgs[0][0].0) }),
        )
        .await
        .ok();
    let edges = failed["node"]["failedDeliveries"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(edges.len(), 2, "{edges:#?}");
    let (sam, pat) = (&edges[0]["node"], &edges[1]["node"]);
    assert_eq!(pat["kind"], "ITEM_UPDATE");
    assert_eq!(pat["channel"], "EMAIL");
    assert_eq!(pat["member"]["name"], "Pat Member");
    assert_eq!(pat["to"], "its submitter");
    assert_eq!(pat["attempts"], 1);
    assert!(pat["gaveUpAt"].is_string());
    assert!(
        pat["reason"].as_str().unwrap().contains("550"),
        "{}",
        pat["reason"]
    );
    assert_eq!(
        pat["what"],
        format!(
            "The answer to {}",
            raised["item"]["reference"].as_str().unwrap()
        )
    );
    assert_eq!(sam["channel"], "CHAT");
    assert_eq!(sam["attempts"], 0);
    assert_eq!(sam["member"]["name"], "Sam Member");
    assert_eq!(
        sam["reason"],
        "the member has no linked chat account and no confirmed e-mail address"
    );
    assert_eq!(sam["item"]["reference"], sams["item"]["reference"]);

    // The area's administrators see them too, without who raised them; nobody else sees any.
    let admin = app
        .graphql(
            p.admin.token(),
            FAILED,
            json!({ "g": gid("Group", p.ppgs[0][0].0) }),
        )
        .await
        .ok();
    let admin_edges = admin["node"]["failedDeliveries"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(admin_edges.len(), 2);
    assert_eq!(admin_edges[1]["node"]["member"], Value::Null);
    assert_eq!(admin_edges[1]["node"]["to"], "the member who raised it");
    for outsider in [&p.ppg_member, &p.district_secretary, &p.north_b_chair] {
        let seen = app
            .graphql(
                outsider.token(),
                FAILED,
                json!({ "g": gid("Group", p.ppgs[0][0].0) }),
            )
            .await
            .ok();
        assert_eq!(seen["node"]["failedDeliveries"]["edges"], json!([]));
    }
}

#[tokio::test]
async fn without_an_smtp_server_e_mails_are_written_to_a_folder() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let dir = std::env::temp_dir().join(format!("pyramid-mail-{}", rand::random::<u64>()));
    let worker = worker_with(&app, MailTransport::Files(dir.clone()));
    app.graphql(p.ppg_member.token(), REQUEST, json!({}))
        .await
        .ok();
    assert_eq!(worker.drain(Utc::now()).await.unwrap().delivered, 1);
    let row = delivery_id(
        &app,
        &format!(
            "email-confirmation:{}",
            email_confirmation::Entity::find()
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .id
        ),
        "EMAIL_CONFIRMATION",
    )
    .await;
    let file = dir.join(format!("pyramid-delivery-{}.eml", row[0].id));
    let eml = std::fs::read_to_string(&file).expect("an .eml file");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "no partial files are left behind");
    let letter = Email::parse(&eml);
    assert_eq!(
        letter.header("To").unwrap(),
        "\"Pat Member\" <pat.member@test.example>"
    );
    let link = letter.link(&app.address, "/email/confirm/");
    assert_eq!(app.get(&link).await.status(), 200);
    let me = app.graphql(p.ppg_member.token(), ME, json!({})).await.ok();
    assert_eq!(me["me"]["emailConfirmed"], true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serve_always_delivers_e_mail_even_without_the_bot() {
    use std::process::Stdio;
    let database = crate::helpers::TestDatabase::create().await;
    let setup = TestApp::spawn_on(database.share()).await;
    let p = Pyramid::build(&setup).await;
    let dir = std::env::temp_dir().join(format!("pyramid-serve-mail-{}", rand::random::<u64>()));
    let port = crate::faults::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_pyramid"))
        .arg("serve")
        .env("DATABASE_URL", database.url.expose())
        .env("PYRAMID_LISTEN", format!("127.0.0.1:{port}"))
        .env("PYRAMID_PUBLIC_URL", &base)
        .env("PYRAMID_MAIL_DIR", &dir)
        .env_remove("PYRAMID_SMTP_URL")
        .env_remove("PYRAMID_DISCORD_TOKEN")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the pyramid binary starts");
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut asked = None;
    while std::time::Instant::now() < deadline && asked.is_none() {
        asked = client
            .post(format!("{base}/graphql"))
            .bearer_auth(&p.ppg_member.token)
            .json(&json!({ "query": REQUEST, "variables": {} }))
            .timeout(std::time::Duration::from_secs(2))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success());
        if asked.is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    let answer: Value = asked.expect("the server answers").json().await.unwrap();
    assert_eq!(
        answer["data"]["requestEmailConfirmation"]["address"], "pat.member@test.example",
        "{answer}"
    );
    // The worker runs every few seconds: wait (boundedly) for the file to appear.
    let mut eml = None;
    while std::time::Instant::now() < deadline && eml.is_none() {
        eml = std::fs::read_dir(&dir).ok().and_then(|mut files| {
            files
                .find_map(|f| {
                    f.ok()
                        .filter(|f| f.file_name().to_string_lossy().ends_with(".eml"))
                })
                .map(|f| std::fs::read_to_string(f.path()).unwrap())
        });
        if eml.is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
    let letter = Email::parse(&eml.expect("an .eml file within 30 s"));
    let link = letter.link(&base, "/email/confirm/");
    let page = client.get(format!("{base}{link}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let _ = server.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}
