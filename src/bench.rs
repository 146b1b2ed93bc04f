//! `pyramid bench`: a reproducible load test of the three key queries of DESIGN.md ("Scale to
//! plan for"). When the configured database holds no items it is loaded with a synthetic
//! pyramid (multi-row INSERTs in one transaction, not the services, which write one item per
//! transaction). Then the real application is started in this process on 127.0.0.1 and each
//! query is driven by concurrent clients over keep-alive HTTP/1.1 connections (a plain tokio
//! `TcpStream`: no HTTP client crate). See BENCHMARKS.md for how to read the numbers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Utc};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::configuration::Settings;
use crate::domain::MemberId;
use crate::domain::authz::Actor;
use crate::domain::group::GroupKind;
use crate::domain::item::{EventKind, Status};
use crate::domain::member::Role;
use crate::domain::provider::ProviderKind;
use crate::entities::{group, item, item_event, item_group, member, membership, provider};
use crate::graphql::ids;
use crate::services;
use crate::startup::{self, Application};

/// `pyramid bench`'s own flags (the database is the global `--database-url`).
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// How big a pyramid to load when the database holds no items yet.
    #[arg(long, value_enum, default_value_t = Scale::Small)]
    pub scale: Scale,
    /// Clients sending requests at once, each over its own keep-alive connection.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// How long each query is measured, in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// How long each query runs, unmeasured, before it is measured, in seconds.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Measure only this query (repeat the flag for several; default: all three).
    #[arg(long = "query", value_enum)]
    pub queries: Vec<QueryName>,
    /// Load the data (when the database holds no items), report what is there, and stop.
    #[arg(long)]
    pub load_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// 1 council, 5 districts, 75 PPGs, 20,000 items (the reference area).
    Small,
    /// 1 council, 20 districts, 300 PPGs, 150,000 items (one big area).
    Medium,
    /// 42 councils, 200 districts, 6,300 PPGs, 1,500,000 items (England).
    National,
}

/// How many of each thing a scale loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub councils: usize,
    pub districts: usize,
    pub ppgs: usize,
    pub items: usize,
}

impl Scale {
    pub fn shape(self) -> Shape {
        match self {
            Scale::Small => Shape {
                councils: 1,
                districts: 5,
                ppgs: 75,
                items: 20_000,
            },
            Scale::Medium => Shape {
                councils: 1,
                districts: 20,
                ppgs: 300,
                items: 150_000,
            },
            Scale::National => Shape {
                councils: 42,
                districts: 200,
                ppgs: 6_300,
                items: 1_500_000,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryName {
    /// The 50 most recently updated items held at the council.
    Dashboard,
    /// 50 items waiting at a district, as its secretary.
    District,
    /// One item by reference with its events and their groups.
    Item,
    /// Not a key query: `{ __typename }` with no token, so no SQL at all. The floor that HTTP,
    /// GraphQL and this load generator cost on this machine.
    Floor,
}

const ALL_QUERIES: [QueryName; 3] = [QueryName::Dashboard, QueryName::District, QueryName::Item];

impl QueryName {
    fn label(self) -> &'static str {
        match self {
            QueryName::Dashboard => "council dashboard",
            QueryName::District => "district review queue",
            QueryName::Item => "one item by reference",
            QueryName::Floor => "floor: { __typename }, no token",
        }
    }

    /// The target in DESIGN.md (national scale, PostgreSQL 15, 32 clients, 2 cores).
    fn target(self) -> &'static str {
        match self {
            QueryName::Dashboard => ">= 2,100 req/s, p99 <= 40 ms",
            QueryName::District => ">= 3,400 req/s",
            QueryName::Item => ">= 8,000 req/s",
            QueryName::Floor => "(no target: no database work)",
        }
    }

    fn document(self) -> &'static str {
        match self {
            QueryName::Dashboard => DASHBOARD,
            QueryName::District => DISTRICT,
            QueryName::Item => ITEM,
            QueryName::Floor => FLOOR,
        }
    }

    /// A byte string every good answer contains (a non-empty list, a found item).
    fn expect(self) -> &'static [u8] {
        match self {
            QueryName::Dashboard | QueryName::District => b"\"edges\":[{\"node\"",
            QueryName::Item => b"\"item\":{\"reference\"",
            QueryName::Floor => b"\"__typename\":\"",
        }
    }
}

const DASHBOARD: &str = "query Dashboard($council: ID!) { items(filter: { heldAt: $council }, orderBy: RECENTLY_UPDATED, first: 50) { edges { node { reference title status originGroup { name parent { name } } provider { name } latestEvent { kind at group { name } } } } } }";
const DISTRICT: &str = "query ReviewQueue($district: ID!) { items(filter: { heldAt: $district, statuses: [AT_DISTRICT] }, first: 50) { edges { node { reference title originGroup { name } provider { name } } } } }";
const FLOOR: &str = "{ __typename }";
const ITEM: &str = "query Item($ref: String!) { item(reference: $ref) { reference title events { kind at group { name } fromGroup { name } } } }";

/// Names that identify the bench's own rows when a loaded database is used again.
const COUNCIL_NAME: &str = "Bench Council 1";
const DISTRICT_NAME: &str = "Bench District 1";
const COMMISSIONER_EMAIL: &str = "commissioner@bench.example.org";
const SECRETARY_EMAIL: &str = "district-secretary@bench.example.org";
const TOKEN_LABEL: &str = "bench";
/// How many references of items that reached the council the item query cycles through.
const REFERENCE_SAMPLE: usize = 2_000;

pub async fn run(settings: &Settings, args: BenchArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be at least 1");
    }
    let statements = Arc::new(AtomicU64::new(0));
    let db = startup::connect(&settings.database_url, statements.clone()).await?;
    startup::migrate(&db).await?;

    let existing = count(&db, "SELECT COUNT(*) AS n FROM items").await?;
    if existing == 0 {
        let shape = args.scale.shape();
        eprintln!(
            "Loading the {:?} pyramid: councils {}, districts {}, PPGs {}, items {} ...",
            args.scale,
            shape.councils,
            shape.districts,
            thousands(shape.ppgs as u64),
            thousands(shape.items as u64)
        );
        let began = Instant::now();
        load(&db, shape).await?;
        eprintln!("Loaded in {:.1} s.", began.elapsed().as_secs_f64());
    } else {
        eprintln!(
            "The database already holds {} items: using them (--scale applies only to an empty database).",
            thousands(existing)
        );
    }
    let fixture = Fixture::find(&db).await?;
    let backend = match db.get_database_backend() {
        DatabaseBackend::Postgres => "PostgreSQL",
        DatabaseBackend::Sqlite => "SQLite",
        _ => "other",
    };
    let version = server_version(&db).await.unwrap_or_default();
    println!(
        "database: {backend} {version} ({}): councils {}, districts {}, PPGs {}, items {}, item events {}",
        settings.database_url,
        fixture.councils,
        fixture.districts,
        thousands(fixture.ppgs),
        thousands(fixture.items),
        thousands(fixture.events)
    );
    println!(
        "queried: {COUNCIL_NAME} holds {} items; {DISTRICT_NAME} has {} waiting (AT_DISTRICT); {} references sampled from items that reached the council",
        thousands(fixture.held_at_council),
        thousands(fixture.waiting_at_district),
        thousands(fixture.references.len() as u64)
    );
    if args.load_only {
        return Ok(());
    }

    let mut server_settings = settings.clone();
    server_settings.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let app =
        Application::build_with_database(&server_settings, db.clone(), statements.clone()).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], app.port()));
    let counter = app.statement_counter();
    tokio::spawn(app.run_until_stopped());

    let commissioner = issue_token(&db, fixture.commissioner).await?;
    let secretary = issue_token(&db, fixture.secretary).await?;
    let queries = if args.queries.is_empty() {
        ALL_QUERIES.to_vec()
    } else {
        args.queries.clone()
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "load: {} clients, {} s per query after {} s warm-up; client and server share this process and its {cpus} CPU(s)",
        args.concurrency, args.seconds, args.warmup
    );

    let mut rows = Vec::new();
    for query in queries {
        let requests = match query {
            QueryName::Dashboard => vec![http_request(
                addr,
                Some(&commissioner),
                &body(
                    query,
                    "council",
                    &ids::to_global(crate::domain::GroupId(fixture.council)).0,
                ),
            )],
            QueryName::District => vec![http_request(
                addr,
                Some(&secretary),
                &body(
                    query,
                    "district",
                    &ids::to_global(crate::domain::GroupId(fixture.district)).0,
                ),
            )],
            QueryName::Item => fixture
                .references
                .iter()
                .map(|r| http_request(addr, Some(&commissioner), &body(query, "ref", r)))
                .collect(),
            QueryName::Floor => {
                let body = serde_json::json!({ "query": FLOOR }).to_string();
                vec![http_request(addr, None, &body)]
            }
        };
        if requests.is_empty() {
            bail!("no item has reached {COUNCIL_NAME}: nothing to look up by reference");
        }
        let requests = Arc::new(requests);

        // Statements for one request at a time, and a look at what comes back.
        let mut single = Vec::new();
        let mut connection = Connection::open(addr).await?;
        for request in requests.iter().take(3) {
            let before = counter.load(Ordering::SeqCst);
            let reply = connection.exchange(request).await?;
            single.push(counter.load(Ordering::SeqCst) - before);
            if !reply.is_good(query.expect()) {
                bail!(
                    "{}: the server answered {} {}",
                    query.label(),
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
        }
        let sample = connection.exchange(&requests[0]).await?;
        eprintln!("{}: {}", query.label(), describe(query, &sample.body));

        if args.warmup > 0 {
            drive(
                addr,
                requests.clone(),
                query.expect(),
                args.concurrency,
                Duration::from_secs(args.warmup),
            )
            .await;
        }
        let before = counter.load(Ordering::SeqCst);
        let run = drive(
            addr,
            requests,
            query.expect(),
            args.concurrency,
            Duration::from_secs(args.seconds),
        )
        .await;
        let under_load = counter.load(Ordering::SeqCst) - before;
        let row = Row::new(query, run, single, under_load);
        eprintln!("{}", row.markdown());
        rows.push(row);
    }
    println!();
    println!("{}", table(&rows));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The synthetic pyramid

/// Where an item's journey ends; `JOURNEYS` says how common each is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journey {
    Raised,
    ClosedAtPpg,
    SafetyReferred,
    AtDistrict,
    RespondedAtDistrict,
    AtCouncil,
    Referred,
    RespondedAtCouncil,
}

/// Items per thousand on each journey: most wait at their PPG, some at a district, fewer at
/// the council, with the commissioners or answered.
const JOURNEYS: [(Journey, u32); 8] = [
    (Journey::Raised, 560),
    (Journey::ClosedAtPpg, 50),
    (Journey::SafetyReferred, 5),
    (Journey::AtDistrict, 190),
    (Journey::RespondedAtDistrict, 15),
    (Journey::AtCouncil, 90),
    (Journey::Referred, 55),
    (Journey::RespondedAtCouncil, 35),
];

/// Tiers: 0 the PPG, 1 its district, 2 the council.
#[derive(Debug, Clone, Copy)]
struct Step {
    kind: EventKind,
    from: Option<Status>,
    to: Status,
    from_tier: Option<usize>,
    tier: usize,
}

const fn step(
    kind: EventKind,
    from: Option<Status>,
    to: Status,
    from_tier: Option<usize>,
    tier: usize,
) -> Step {
    Step {
        kind,
        from,
        to,
        from_tier,
        tier,
    }
}

const RAISE: Step = step(EventKind::Raised, None, Status::Raised, None, 0);
const CLOSE_AT_PPG: Step = step(
    EventKind::Closed,
    Some(Status::Raised),
    Status::Closed,
    None,
    0,
);
const SAFETY: Step = step(
    EventKind::SafetyReferred,
    Some(Status::Raised),
    Status::Referred,
    None,
    0,
);
const TO_DISTRICT: Step = step(
    EventKind::Escalated,
    Some(Status::Raised),
    Status::AtDistrict,
    Some(0),
    1,
);
const ANSWER_AT_DISTRICT: Step = step(
    EventKind::Responded,
    Some(Status::AtDistrict),
    Status::Responded,
    None,
    1,
);
const TO_COUNCIL: Step = step(
    EventKind::Escalated,
    Some(Status::AtDistrict),
    Status::AtCouncil,
    Some(1),
    2,
);
const REFER: Step = step(
    EventKind::Referred,
    Some(Status::AtCouncil),
    Status::Referred,
    None,
    2,
);
const ANSWER_AT_COUNCIL: Step = step(
    EventKind::Responded,
    Some(Status::AtCouncil),
    Status::Responded,
    None,
    2,
);

impl Journey {
    /// The journey of the item that rolled `roll` (0..1000).
    fn of(roll: u32) -> Journey {
        let mut left = roll % 1000;
        for (journey, share) in JOURNEYS {
            if left < share {
                return journey;
            }
            left -= share;
        }
        Journey::Raised
    }

    fn steps(self) -> &'static [Step] {
        match self {
            Journey::Raised => &[RAISE],
            Journey::ClosedAtPpg => &[RAISE, CLOSE_AT_PPG],
            Journey::SafetyReferred => &[RAISE, SAFETY],
            Journey::AtDistrict => &[RAISE, TO_DISTRICT],
            Journey::RespondedAtDistrict => &[RAISE, TO_DISTRICT, ANSWER_AT_DISTRICT],
            Journey::AtCouncil => &[RAISE, TO_DISTRICT, TO_COUNCIL],
            Journey::Referred => &[RAISE, TO_DISTRICT, TO_COUNCIL, REFER],
            Journey::RespondedAtCouncil => &[RAISE, TO_DISTRICT, TO_COUNCIL, ANSWER_AT_COUNCIL],
        }
    }
}

const PROVIDERS: [(&str, ProviderKind); 8] = [
    ("Bench Acute Hospitals NHS Trust", ProviderKind::AcuteTrust),
    (
        "Bench Mental Health NHS Foundation Trust",
        ProviderKind::MentalHealthTrust,
    ),
    (
        "Bench Community Health Services",
        ProviderKind::CommunityTrust,
    ),
    ("Bench Ambulance Service", ProviderKind::AmbulanceTrust),
    ("Bench Out-of-Hours GP Service", ProviderKind::OutOfHours),
    ("Bench Minor Injuries Unit", ProviderKind::Service),
    ("Bench Patient Transport", ProviderKind::Service),
    ("Bench Community Pharmacy Group", ProviderKind::Other),
];

const TITLES: [&str; 8] = [
    "Long waits for out-of-hours call-backs",
    "Hard to get a same-day appointment",
    "Discharge letter not sent to the practice",
    "Friendly and quick service at the walk-in centre",
    "Confusing letters about a hospital appointment",
    "Prescription not ready when promised",
    "Ambulance took over an hour to arrive",
    "Could the surgery open on Saturday mornings?",
];

const BODIES: [&str; 4] = [
    "A patient told our meeting that they waited most of the evening for a call-back and in the end went to A&E instead.",
    "Several people said the phone line is engaged from eight o'clock and all appointments are gone by half past.",
    "The family were not told what would happen after discharge and the practice had no letter a week later.",
    "Staff were kind and explained everything clearly; the patient would recommend the service to others.",
];

/// Ids handed out by the loader: each table continues after its highest id.
struct NextIds {
    group: i64,
    member: i64,
    provider: i64,
    item: i64,
    event: i64,
}

async fn load(db: &DatabaseConnection, shape: Shape) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let mut next = NextIds {
        group: max_id(db, "groups").await? + 1,
        member: max_id(db, "members").await? + 1,
        provider: max_id(db, "providers").await? + 1,
        item: max_id(db, "items").await? + 1,
        event: max_id(db, "item_events").await? + 1,
    };
    let now = Utc::now();
    let txn = db.begin().await?;

    // The pyramid: councils, their districts, their PPGs (district d is under council
    // d % councils, PPG p under district p % districts).
    let councils: Vec<i64> = (0..shape.councils).map(|n| next.group + n as i64).collect();
    next.group += shape.councils as i64;
    let districts: Vec<i64> = (0..shape.districts)
        .map(|n| next.group + n as i64)
        .collect();
    next.group += shape.districts as i64;
    let ppgs: Vec<i64> = (0..shape.ppgs).map(|n| next.group + n as i64).collect();
    let mut groups = Vec::new();
    for (n, id) in councils.iter().enumerate() {
        groups.push(group_row(
            *id,
            GroupKind::Council,
            format!("Bench Council {}", n + 1),
            None,
            None,
            now,
        ));
    }
    for (n, id) in districts.iter().enumerate() {
        groups.push(group_row(
            *id,
            GroupKind::District,
            format!("Bench District {}", n + 1),
            Some(councils[n % councils.len()]),
            None,
            now,
        ));
    }
    for (n, id) in ppgs.iter().enumerate() {
        groups.push(group_row(
            *id,
            GroupKind::Ppg,
            format!("Bench PPG {}", n + 1),
            Some(districts[n % districts.len()]),
            Some(format!("B{:05}", n + 1)),
            now,
        ));
    }
    insert_all(&txn, groups, 2_000).await?;

    // One member per PPG (who raises its items), a commissioner and a district secretary.
    let submitters: Vec<i64> = (0..shape.ppgs).map(|n| next.member + n as i64).collect();
    let commissioner = next.member + shape.ppgs as i64;
    let secretary = commissioner + 1;
    let mut members = Vec::new();
    let mut memberships = Vec::new();
    for (n, id) in submitters.iter().enumerate() {
        members.push(member_row(
            *id,
            format!("Bench Member {}", n + 1),
            format!("member-{}@bench.example.org", n + 1),
            false,
            now,
        ));
        memberships.push(membership_row(*id, ppgs[n], Role::Member, now));
    }
    members.push(member_row(
        commissioner,
        "Bench Commissioner".to_owned(),
        COMMISSIONER_EMAIL.to_owned(),
        true,
        now,
    ));
    members.push(member_row(
        secretary,
        "Bench District Secretary".to_owned(),
        SECRETARY_EMAIL.to_owned(),
        false,
        now,
    ));
    memberships.push(membership_row(
        secretary,
        districts[0],
        Role::Secretary,
        now,
    ));
    insert_all(&txn, members, 2_000).await?;
    insert_all(&txn, memberships, 2_000).await?;

    let providers: Vec<i64> = (0..PROVIDERS.len())
        .map(|n| next.provider + n as i64)
        .collect();
    let provider_rows = PROVIDERS
        .iter()
        .zip(&providers)
        .map(|((name, kind), id)| provider::ActiveModel {
            id: Set(*id),
            name: Set((*name).to_owned()),
            kind: Set(kind.as_str().to_owned()),
            ods_code: Set(None),
            parent_id: Set(None),
            created_at: Set(now),
        })
        .collect();
    insert_all(&txn, provider_rows, 100).await?;

    // Items, five years of them, oldest first, each with its trail and the groups it reached.
    let mut rng = SmallRng::seed_from_u64(20_261_122);
    let span = chrono::Duration::days(5 * 365).num_seconds();
    let start = now - chrono::Duration::seconds(span);
    let began = Instant::now();
    let chunk = 1_000;
    let mut done = 0;
    while done < shape.items {
        let size = chunk.min(shape.items - done);
        let mut items = Vec::with_capacity(size);
        let mut events = Vec::with_capacity(size * 2);
        let mut reached = Vec::with_capacity(size * 2);
        for n in done..done + size {
            let id = next.item;
            next.item += 1;
            let ppg = rng.random_range(0..shape.ppgs);
            let tiers = [
                ppgs[ppg],
                districts[ppg % districts.len()],
                councils[(ppg % districts.len()) % councils.len()],
            ];
            let created = start
                + chrono::Duration::seconds(span * n as i64 / shape.items as i64)
                + chrono::Duration::seconds(rng.random_range(0..3_600));
            let journey = Journey::of(rng.random_range(0..1000));
            let mut at = created.min(now);
            let mut referred_at = None;
            let mut responded_at = None;
            let mut last_event = 0;
            let mut deepest = None;
            for (k, step) in journey.steps().iter().enumerate() {
                if k > 0 {
                    at = (at + chrono::Duration::seconds(rng.random_range(86_400..30 * 86_400)))
                        .min(now);
                }
                last_event = next.event;
                next.event += 1;
                events.push(item_event::ActiveModel {
                    id: Set(last_event),
                    item_id: Set(id),
                    at: Set(at),
                    actor_id: Set((k == 0).then_some(submitters[ppg])),
                    kind: Set(step.kind.as_str().to_owned()),
                    from_status: Set(step.from.map(|s| s.as_str().to_owned())),
                    to_status: Set(step.to.as_str().to_owned()),
                    from_group_id: Set(step.from_tier.map(|t| tiers[t])),
                    group_id: Set(tiers[step.tier]),
                    note: Set(match step.kind {
                        EventKind::Escalated => Some("Taken up at the quarterly meeting.".into()),
                        EventKind::Responded => {
                            Some("The provider has added evening call-back clinicians.".into())
                        }
                        _ => None,
                    }),
                    outcome: Set(
                        (step.kind == EventKind::Responded).then(|| "CHANGE_MADE".to_owned())
                    ),
                    meeting_id: Set(None),
                });
                if deepest.is_none_or(|d| step.tier > d) {
                    deepest = Some(step.tier);
                    reached.push(item_group::ActiveModel {
                        item_id: Set(id),
                        group_id: Set(tiers[step.tier]),
                        reached_at: Set(at),
                    });
                }
                match step.to {
                    Status::Referred => referred_at = Some(at),
                    Status::Responded => responded_at = Some(at),
                    _ => {}
                }
            }
            let last = journey.steps().last().copied().unwrap_or(RAISE);
            let kind = match rng.random_range(0..10) {
                0..=5 => "SOFT_INTELLIGENCE",
                6 => "CONCERN",
                7 => "SUGGESTION",
                8 => "COMPLIMENT",
                _ => "QUESTION",
            };
            let sentiment = match rng.random_range(0..10) {
                0..=5 => "NEGATIVE",
                6 | 7 => "MIXED",
                _ => "POSITIVE",
            };
            items.push(item::ActiveModel {
                id: Set(id),
                reference: Set(crate::domain::item::reference(created.year(), id)),
                kind: Set(kind.to_owned()),
                title: Set(TITLES[rng.random_range(0..TITLES.len())].to_owned()),
                body: Set(BODIES[rng.random_range(0..BODIES.len())].to_owned()),
                provider_id: Set((rng.random_range(0..10) != 0)
                    .then(|| providers[rng.random_range(0..providers.len())])),
                provider_name: Set(None),
                experienced_on: Set(Some(
                    (created - chrono::Duration::days(rng.random_range(0..14))).date_naive(),
                )),
                sentiment: Set(sentiment.to_owned()),
                information_source: Set("OWN_EXPERIENCE".to_owned()),
                raised_with_pals: Set(false),
                raised_as_complaint: Set(false),
                safety_concern: Set(journey == Journey::SafetyReferred),
                origin_group_id: Set(tiers[0]),
                current_group_id: Set(tiers[last.tier]),
                status: Set(last.to.as_str().to_owned()),
                submitter_id: Set(submitters[ppg]),
                channel: Set(if n % 3 == 0 { "DISCORD" } else { "GRAPHQL" }.to_owned()),
                idempotency_key: Set(None),
                lead_item_id: Set(None),
                latest_event_id: Set(Some(last_event)),
                referred_at: Set(referred_at),
                responded_at: Set(responded_at),
                created_at: Set(created),
                updated_at: Set(at),
            });
        }
        // Keep each statement under SQLite's 32,766 bound parameters.
        insert_all(&txn, items, 1_000).await?;
        insert_all(&txn, events, 2_500).await?;
        insert_all(&txn, reached, 5_000).await?;
        done += size;
        if done.is_multiple_of(100_000) || done == shape.items {
            eprintln!(
                "  {} of {} items ({:.0} s)",
                thousands(done as u64),
                thousands(shape.items as u64),
                began.elapsed().as_secs_f64()
            );
        }
    }

    if backend == DatabaseBackend::Postgres {
        // Rows were given their ids: move the sequences past them.
        for table in ["groups", "members", "providers", "items", "item_events"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    eprintln!("  committing ({:.0} s) ...", began.elapsed().as_secs_f64());
    txn.commit().await?;
    if backend == DatabaseBackend::Postgres {
        // What autovacuum would do shortly anyway; done now so plans do not change mid-run.
        eprintln!(
            "  VACUUM ANALYZE ({:.0} s) ...",
            began.elapsed().as_secs_f64()
        );
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    Ok(())
}

fn group_row(
    id: i64,
    kind: GroupKind,
    name: String,
    parent: Option<i64>,
    practice_code: Option<String>,
    now: DateTime<Utc>,
) -> group::ActiveModel {
    group::ActiveModel {
        id: Set(id),
        kind: Set(kind.as_str().to_owned()),
        name: Set(name),
        parent_id: Set(parent),
        practice_code: Set(practice_code),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn member_row(
    id: i64,
    name: String,
    email: String,
    commissioner: bool,
    now: DateTime<Utc>,
) -> member::ActiveModel {
    member::ActiveModel {
        id: Set(id),
        name: Set(name),
        email: Set(Some(email)),
        administrator: Set(false),
        commissioner: Set(commissioner),
        created_at: Set(now),
    }
}

fn membership_row(
    member: i64,
    group: i64,
    role: Role,
    now: DateTime<Utc>,
) -> membership::ActiveModel {
    membership::ActiveModel {
        id: NotSet,
        member_id: Set(member),
        group_id: Set(group),
        role: Set(role.as_str().to_owned()),
        represents_group_id: Set(None),
        since: Set(now.date_naive()),
        until: Set(None),
        created_at: Set(now),
    }
}

/// Inserts `rows` with multi-row INSERTs of at most `per_statement` rows.
async fn insert_all<A>(
    conn: &impl ConnectionTrait,
    mut rows: Vec<A>,
    per_statement: usize,
) -> anyhow::Result<()>
where
    A: ActiveModelTrait + Send,
{
    while !rows.is_empty() {
        let rest = rows.split_off(per_statement.min(rows.len()));
        <A::Entity as EntityTrait>::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
        rows = rest;
    }
    Ok(())
}

async fn count(conn: &impl ConnectionTrait, sql: &str) -> anyhow::Result<u64> {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?
        .context("a count returned no row")?;
    let n: i64 = row.try_get("", "n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn max_id(conn: &impl ConnectionTrait, table: &str) -> anyhow::Result<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) AS n FROM {table}");
    Ok(count(conn, &sql).await? as i64)
}

async fn server_version(conn: &impl ConnectionTrait) -> anyhow::Result<String> {
    let sql = match conn.get_database_backend() {
        DatabaseBackend::Postgres => "SELECT current_setting('server_version') AS v",
        _ => "SELECT sqlite_version() AS v",
    };
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?
        .context("no version")?;
    Ok(row.try_get("", "v")?)
}

/// What the queries need from a loaded database, and what it holds.
struct Fixture {
    council: i64,
    district: i64,
    commissioner: i64,
    secretary: i64,
    references: Vec<String>,
    councils: u64,
    districts: u64,
    ppgs: u64,
    items: u64,
    events: u64,
    held_at_council: u64,
    waiting_at_district: u64,
}

impl Fixture {
    async fn find(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let missing = || {
            anyhow::anyhow!(
                "this database holds items but not the bench's pyramid: give `pyramid bench` an empty database"
            )
        };
        let group_named = |name: &'static str, kind: GroupKind| {
            group::Entity::find()
                .filter(group::Column::Name.eq(name))
                .filter(group::Column::Kind.eq(kind.as_str()))
                .one(db)
        };
        let council = group_named(COUNCIL_NAME, GroupKind::Council)
            .await?
            .ok_or_else(missing)?
            .id;
        let district = group_named(DISTRICT_NAME, GroupKind::District)
            .await?
            .ok_or_else(missing)?
            .id;
        let member_with = |email: &'static str| {
            member::Entity::find()
                .filter(member::Column::Email.eq(email))
                .one(db)
        };
        let commissioner = member_with(COMMISSIONER_EMAIL)
            .await?
            .ok_or_else(missing)?
            .id;
        let secretary = member_with(SECRETARY_EMAIL).await?.ok_or_else(missing)?.id;
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT i.reference AS reference FROM items i \
                     JOIN item_groups g ON g.item_id = i.id \
                     WHERE g.group_id = {council} ORDER BY random() LIMIT {REFERENCE_SAMPLE}"
                ),
            ))
            .await?;
        let mut references = rows
            .iter()
            .map(|row| row.try_get::<String>("", "reference"))
            .collect::<Result<Vec<_>, _>>()?;
        references.sort();
        references.shuffle(&mut SmallRng::seed_from_u64(7));
        let kind_count = |kind: GroupKind| {
            format!(
                "SELECT COUNT(*) AS n FROM groups WHERE kind = '{}'",
                kind.as_str()
            )
        };
        Ok(Self {
            council,
            district,
            commissioner,
            secretary,
            references,
            councils: count(db, &kind_count(GroupKind::Council)).await?,
            districts: count(db, &kind_count(GroupKind::District)).await?,
            ppgs: count(db, &kind_count(GroupKind::Ppg)).await?,
            items: count(db, "SELECT COUNT(*) AS n FROM items").await?,
            events: count(db, "SELECT COUNT(*) AS n FROM item_events").await?,
            held_at_council: count(
                db,
                &format!("SELECT COUNT(*) AS n FROM items WHERE current_group_id = {council}"),
            )
            .await?,
            waiting_at_district: count(
                db,
                &format!(
                    "SELECT COUNT(*) AS n FROM items WHERE current_group_id = {district} AND status = 'AT_DISTRICT'"
                ),
            )
            .await?,
        })
    }
}

/// A fresh token for one of the bench's members (earlier bench tokens are revoked).
async fn issue_token(db: &DatabaseConnection, member: i64) -> anyhow::Result<String> {
    let member = MemberId(member);
    let failed = |e: crate::error::AppError| anyhow::anyhow!("{} ({})", e.message(), e.code());
    services::tokens::revoke_labelled(db, member, TOKEN_LABEL)
        .await
        .map_err(failed)?;
    let issued = services::tokens::create(db, &Actor::System, member, TOKEN_LABEL)
        .await
        .map_err(failed)?;
    Ok(issued.secret)
}

// ---------------------------------------------------------------------------------------------
// The load generator: HTTP/1.1 keep-alive over tokio TcpStreams

fn body(query: QueryName, variable: &str, value: &str) -> String {
    serde_json::json!({
        "query": query.document(),
        "variables": { variable: value },
    })
    .to_string()
}

fn http_request(addr: SocketAddr, token: Option<&str>, body: &str) -> Vec<u8> {
    let authorization = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json\r\n{authorization}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One HTTP response, as far as the bench cares.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    /// 200, no GraphQL errors, and the shape a good answer has.
    fn is_good(&self, expect: &[u8]) -> bool {
        self.status == 200 && !contains(&self.body, b"\"errors\"") && contains(&self.body, expect)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Parses one response from the front of `buf`: `Ok(None)` while it is incomplete, else the
/// reply and how many bytes it took. Understands `Content-Length` and chunked bodies.
fn parse_response(buf: &[u8]) -> anyhow::Result<Option<(Reply, usize)>> {
    let Some(head_end) = find(buf, b"\r\n\r\n", 0) else {
        if buf.len() > 64 * 1024 {
            bail!("no end to the response's headers");
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    let (Some(version), Some(status)) = (parts.next(), parts.next()) else {
        bail!("not an HTTP status line: {status_line:?}");
    };
    if !version.starts_with("HTTP/1.") {
        bail!("not an HTTP/1 response: {status_line:?}");
    }
    let status: u16 = status.parse().context("bad status code")?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            bail!("bad header line {line:?}");
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().context("bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let start = head_end + 4;
    if chunked {
        let mut body = Vec::new();
        let mut at = start;
        loop {
            let Some(line_end) = find(buf, b"\r\n", at) else {
                return Ok(None);
            };
            let size_text = std::str::from_utf8(&buf[at..line_end]).context("bad chunk size")?;
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16).context("bad chunk size")?;
            let data = line_end + 2;
            if size == 0 {
                // No trailers are expected: the body ends with an empty line.
                let Some(end) = find(buf, b"\r\n", data) else {
                    return Ok(None);
                };
                if end != data {
                    bail!("trailers after a chunked body are not supported");
                }
                return Ok(Some((Reply { status, body }, end + 2)));
            }
            if buf.len() < data + size + 2 {
                return Ok(None);
            }
            if &buf[data + size..data + size + 2] != b"\r\n" {
                bail!("a chunk does not end with CRLF");
            }
            body.extend_from_slice(&buf[data..data + size]);
            at = data + size + 2;
        }
    }
    let length = match length {
        Some(length) => length,
        None if status == 204 || status == 304 || (100..200).contains(&status) => 0,
        None => bail!("a response without Content-Length or chunking"),
    };
    if buf.len() < start + length {
        return Ok(None);
    }
    let body = buf[start..start + length].to_vec();
    Ok(Some((Reply { status, body }, start + length)))
}

struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Reply> {
        self.stream.write_all(request).await?;
        loop {
            if let Some((reply, used)) = parse_response(&self.buf)? {
                self.buf.drain(..used);
                return Ok(reply);
            }
            self.buf.reserve(32 * 1024);
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                bail!("the server closed the connection");
            }
        }
    }
}

/// What a measured run saw.
struct Run {
    /// Every request's latency in microseconds, sorted.
    latencies: Vec<u32>,
    errors: u64,
    elapsed: Duration,
}

/// `clients` tasks, each sending `requests` in turn (starting at a different one) over one
/// keep-alive connection until `duration` is up.
async fn drive(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    expect: &'static [u8],
    clients: usize,
    duration: Duration,
) -> Run {
    let began = Instant::now();
    let deadline = began + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            let requests = requests.clone();
            tokio::spawn(client(addr, requests, expect, n * 7919, deadline))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((mut l, e)) => {
                latencies.append(&mut l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = began.elapsed();
    latencies.sort_unstable();
    Run {
        latencies,
        errors,
        elapsed,
    }
}

async fn client(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    expect: &'static [u8],
    first: usize,
    deadline: Instant,
) -> (Vec<u32>, u64) {
    let mut latencies = Vec::with_capacity(16 * 1024);
    let mut errors = 0;
    let mut connection: Option<Connection> = None;
    let mut next = first;
    while Instant::now() < deadline {
        let request = &requests[next % requests.len()];
        next += 1;
        let began = Instant::now();
        let outcome = tokio::time::timeout(Duration::from_secs(30), async {
            if connection.is_none() {
                connection = Some(Connection::open(addr).await?);
            }
            match connection.as_mut() {
                Some(c) => c.exchange(request).await,
                None => bail!("no connection"),
            }
        })
        .await;
        let good = match outcome {
            Ok(Ok(reply)) => reply.is_good(expect),
            _ => {
                connection = None;
                false
            }
        };
        latencies.push(u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX));
        if !good {
            errors += 1;
        }
    }
    (latencies, errors)
}

// ---------------------------------------------------------------------------------------------
// Results

/// The value at percentile `p` (nearest rank) of `sorted`; 0 when it is empty.
fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `1234567` -> `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn millis(micros: u32) -> String {
    format!("{:.1}", f64::from(micros) / 1000.0)
}

struct Row {
    query: QueryName,
    requests: u64,
    per_second: f64,
    p50: u32,
    p99: u32,
    max: u32,
    errors: u64,
    /// Statements for each of a few requests sent one at a time.
    single: Vec<u64>,
    /// Statements per request over the measured run.
    under_load: f64,
}

impl Row {
    fn new(query: QueryName, run: Run, single: Vec<u64>, statements: u64) -> Self {
        let requests = run.latencies.len() as u64;
        Self {
            query,
            requests,
            per_second: requests as f64 / run.elapsed.as_secs_f64().max(f64::EPSILON),
            p50: percentile(&run.latencies, 50.0),
            p99: percentile(&run.latencies, 99.0),
            max: run.latencies.last().copied().unwrap_or(0),
            errors: run.errors,
            single,
            under_load: statements as f64 / requests.max(1) as f64,
        }
    }

    fn statements(&self) -> String {
        let (min, max) = (
            self.single.iter().min().copied().unwrap_or(0),
            self.single.iter().max().copied().unwrap_or(0),
        );
        let single = if min == max {
            min.to_string()
        } else {
            format!("{min}–{max}")
        };
        format!("{single} ({:.2} under load)", self.under_load)
    }

    fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.query.label(),
            thousands(self.requests),
            thousands(self.per_second.round() as u64),
            millis(self.p50),
            millis(self.p99),
            millis(self.max),
            self.errors,
            self.statements(),
            self.query.target()
        )
    }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| query | requests | req/s | p50 ms | p99 ms | max ms | errors | statements/request | target (DESIGN.md) |\n\
         |---|--:|--:|--:|--:|--:|--:|---|---|\n",
    );
    for row in rows {
        out.push_str(&row.markdown());
        out.push('\n');
    }
    out
}

/// A one-line summary of an answer (how many items or events came back).
fn describe(query: QueryName, body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return "the answer is not JSON".to_owned();
    };
    match query {
        QueryName::Dashboard | QueryName::District => {
            let edges = value["data"]["items"]["edges"].as_array();
            let first = edges
                .and_then(|e| e.first())
                .map(|e| e["node"]["reference"].to_string())
                .unwrap_or_default();
            format!(
                "{} items per page, first {first}",
                edges.map_or(0, |e| e.len())
            )
        }
        QueryName::Item => {
            let item = &value["data"]["item"];
            format!(
                "{} with {} events",
                item["reference"],
                item["events"].as_array().map_or(0, |e| e.len())
            )
        }
        QueryName::Floor => value["data"].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&values, 0.0), 1);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(percentile(&[1, 2, 3], 50.0), 2);
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_500_000), "1,500,000");
        assert_eq!(thousands(123_456_789), "123,456,789");
    }

    #[test]
    fn a_response_with_content_length_is_parsed_once_complete() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"data\":{}}HTTP/1.1";
        let (reply, used) = parse_response(raw).unwrap().unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, b"{\"data\":{}}");
        assert_eq!(&raw[used..], b"HTTP/1.1");
        assert!(parse_response(&raw[..raw.len() - 10]).unwrap().is_none());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\ncontent-le")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_chunked_response_is_joined() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n";
        let (reply, used) = parse_response(raw).unwrap().unwrap();
        assert_eq!(reply.body, b"Wikipedia");
        assert_eq!(used, raw.len());
        for cut in [raw.len() - 1, raw.len() - 3, raw.len() - 10] {
            assert!(parse_response(&raw[..cut]).unwrap().is_none(), "cut {cut}");
        }
    }

    #[test]
    fn bad_responses_are_errors() {
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 OK\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\nbody").is_err());
        let (reply, _) = parse_response(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(reply.status, 204);
    }

    #[test]
    fn good_answers_have_no_errors_and_the_expected_shape() {
        let reply = |status, body: &str| Reply {
            status,
            body: body.as_bytes().to_vec(),
        };
        let item = QueryName::Item.expect();
        assert!(reply(200, r#"{"data":{"item":{"reference":"SI-2026-000001"}}}"#).is_good(item));
        assert!(!reply(200, r#"{"data":{"item":null}}"#).is_good(item));
        assert!(
            !reply(
                200,
                r#"{"data":{"item":{"reference":"x"}},"errors":[{"message":"no"}]}"#
            )
            .is_good(item)
        );
        assert!(!reply(500, r#"{"data":{"item":{"reference":"x"}}}"#).is_good(item));
        let list = QueryName::Dashboard.expect();
        assert!(reply(200, r#"{"data":{"items":{"edges":[{"node":{}}]}}}"#).is_good(list));
        assert!(!reply(200, r#"{"data":{"items":{"edges":[]}}}"#).is_good(list));
    }

    #[test]
    fn journeys_cover_every_roll_and_each_trail_is_a_chain() {
        assert_eq!(JOURNEYS.iter().map(|(_, s)| s).sum::<u32>(), 1000);
        assert_eq!(Journey::of(0), Journey::Raised);
        assert_eq!(Journey::of(999), Journey::RespondedAtCouncil);
        for (journey, _) in JOURNEYS {
            let steps = journey.steps();
            assert!((1..=4).contains(&steps.len()), "{journey:?}");
            assert_eq!(steps[0].kind, EventKind::Raised);
            for pair in steps.windows(2) {
                assert_eq!(pair[1].from, Some(pair[0].to), "{journey:?}");
                if let Some(from) = pair[1].from_tier {
                    assert_eq!(from, pair[0].tier, "{journey:?}");
                    assert_eq!(pair[1].tier, from + 1, "{journey:?}");
                } else {
                    assert_eq!(pair[1].tier, pair[0].tier, "{journey:?}");
                }
            }
        }
    }

    #[test]
    fn requests_carry_the_token_and_an_exact_length() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 8080));
        let body = body(QueryName::Item, "ref", "SI-2026-000001");
        let request = String::from_utf8(http_request(addr, Some("pyr_x"), &body)).unwrap();
        assert!(request.starts_with("POST /graphql HTTP/1.1\r\n"));
        assert!(request.contains("\r\nAuthorization: Bearer pyr_x\r\n"));
        let (head, sent) = request.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", sent.len())));
        let json: serde_json::Value = serde_json::from_str(sent).unwrap();
        assert_eq!(json["variables"]["ref"], "SI-2026-000001");
    }
}
