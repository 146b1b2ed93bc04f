//! `pyramid-bench`: a reproducible load test of the three key queries of DESIGN.md ("Scale to
//! plan for"). When the database holds no items it is loaded with a synthetic pyramid
//! (`load.rs`); then the real application is started in this process on 127.0.0.1 and each
//! query is driven by concurrent clients over keep-alive HTTP/1.1 connections (`client.rs`).
//! See BENCHMARKS.md for how to read the numbers.

/// The same allocator as `pyramid serve` (see src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod client;
mod fixture;
mod items;
mod journey;
mod load;
mod queries;
mod report;
mod structure;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use pyramid::configuration::{DatabaseUrl, Settings};
use pyramid::graphql::ids;
use pyramid::startup::{self, Application};

use crate::client::Connection;
use crate::fixture::{COUNCIL_NAME, DISTRICT_NAME, Fixture};
use crate::load::Scale;
use crate::queries::{ALL_QUERIES, QueryName};
use crate::report::{Row, thousands};

#[derive(Debug, Parser)]
#[command(
    name = "pyramid-bench",
    version,
    about = "Load-test Pyramid's three key queries on a synthetic pyramid (see BENCHMARKS.md)"
)]
struct Cli {
    /// The database to load and query: `sqlite://FILE?mode=rwc` or
    /// `postgres://USER@HOST:PORT/DATABASE`. Use a throw-away one: the bench writes to it.
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        default_value = "sqlite://pyramid.db?mode=rwc",
        value_parser = |raw: &str| DatabaseUrl::new(raw)
    )]
    database_url: DatabaseUrl,
    /// What to log, as a tracing filter: `warn`, `warn,sqlx::pool::acquire=error`.
    #[arg(
        long = "log",
        env = "RUST_LOG",
        value_name = "RUST_LOG",
        default_value = "info",
        value_parser = parse_log_filter
    )]
    log: String,
    #[command(flatten)]
    bench: BenchArgs,
}

#[derive(Debug, Clone, clap::Args)]
struct BenchArgs {
    /// How big a pyramid to load when the database holds no items yet.
    #[arg(long, value_enum, default_value_t = Scale::Small)]
    scale: Scale,
    /// Clients sending requests at once, each over its own keep-alive connection.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// How long each query is measured, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// How long each query runs, unmeasured, before it is measured, in seconds.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Measure only this query (repeat the flag for several; default: all three).
    #[arg(long = "query", value_enum)]
    queries: Vec<QueryName>,
    /// GraphQL requests the server works on at once (`PYRAMID_REQUESTS_AT_ONCE`; default: the
    /// server's default; 0 for no limit).
    #[arg(long)]
    requests_at_once: Option<usize>,
    /// Load the data (when the database holds no items), report what is there, and stop.
    #[arg(long)]
    load_only: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    startup::configure_sqlite();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut settings = Settings::local(cli.database_url, SocketAddr::from(([127, 0, 0, 1], 0)));
    // The load comes from one address, far above what one client is allowed: lift the
    // request rate (its check still runs on every request, so its cost is measured).
    settings.limits.requests_per_minute = u32::MAX;
    settings.limits.writes_per_minute = u32::MAX;
    if let Some(n) = cli.bench.requests_at_once {
        settings.limits.requests_at_once = n;
    }
    match runtime.block_on(run(&settings, cli.bench)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Distinct reports (identical ones would be answered as duplicates) from the reporting PPGs
/// in turn, negative, all about `provider` (so each counts towards its patterns) or none.
fn raise_requests(
    fixture: &Fixture,
    provider: Option<i64>,
    tokens: &[String],
    addr: SocketAddr,
) -> anyhow::Result<Vec<client::GraphqlPost>> {
    const REPORTS: usize = 20_000;
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (0..REPORTS)
        .map(|n| {
            let k = n % fixture.reporters.len().max(1);
            let (_, ppg) = fixture.reporters.get(k).copied().unwrap_or_default();
            let body = QueryName::Raise.body_with(serde_json::json!({ "input": {
                "groupId": ids::to_global(pyramid::domain::GroupId(ppg)).0,
                "kind": "SOFT_INTELLIGENCE",
                "title": format!("Waited for a call-back, report {n} of run {run}{}", if provider.is_some() { "" } else { " (no provider)" }),
                "body": format!("Waited hours for a call-back that never came (bench report {n}, run {run})."),
                "providerId": provider.map(|p| ids::to_global(pyramid::domain::ProviderId(p)).0),
                "sentiment": "NEGATIVE",
                "informationSource": "OWN_EXPERIENCE",
            }}));
            client::GraphqlPost::new(addr, tokens.get(k).map(String::as_str), body)
        })
        .collect()
}

fn parse_log_filter(raw: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| format!("not a log filter ({e}); try `warn` or `pyramid=debug,warn`"))
}

async fn run(settings: &Settings, args: BenchArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be at least 1");
    }
    let statements = Arc::new(AtomicU64::new(0));
    let db = startup::connect(&settings.database_url, statements.clone()).await?;
    startup::migrate(&db).await?;

    let existing = fixture::count(&db, "SELECT COUNT(*) AS n FROM items").await?;
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
        load::load(&db, shape).await?;
        eprintln!("Loaded in {:.1} s.", began.elapsed().as_secs_f64());
    } else {
        eprintln!(
            "The database already holds {} items: using them (--scale applies only to an empty database).",
            thousands(existing)
        );
    }
    // Loaded rows bypass detection: work the patterns out once, as `pyramid patterns rebuild`
    // does, so that raised reports join patterns as they would in a live database.
    if fixture::count(&db, "SELECT COUNT(*) AS n FROM patterns").await? == 0 {
        let began = Instant::now();
        let summary =
            pyramid::services::patterns::rebuild(&db, &pyramid::domain::authz::Actor::System)
                .await
                .map_err(|e| anyhow::anyhow!("{} ({})", e.message(), e.code()))?;
        eprintln!(
            "Patterns rebuilt for {} providers in {:.1} s: {} patterns of concern.",
            summary.providers,
            began.elapsed().as_secs_f64(),
            summary.patterns
        );
    }
    let fixture = Fixture::find(&db).await?;
    println!(
        "database: {} ({}): councils {}, districts {}, PPGs {}, items {}, item events {}",
        fixture::describe_database(&db).await,
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

    let app = Application::build_with_database(settings, db.clone(), statements.clone()).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], app.port()));
    let counter = app.statement_counter();
    tokio::spawn(app.run_until_stopped());

    let commissioner = fixture::issue_token(&db, fixture.commissioner).await?;
    let secretary = fixture::issue_token(&db, fixture.secretary).await?;
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
        let group = |id| ids::to_global(pyramid::domain::GroupId(id)).0;
        let post = |token: Option<&str>, body| client::GraphqlPost::new(addr, token, body);
        let requests = match query {
            QueryName::Dashboard => vec![post(
                Some(&commissioner),
                query.body("council", &group(fixture.council)),
            )?],
            QueryName::District => vec![post(
                Some(&secretary),
                query.body("district", &group(fixture.district)),
            )?],
            QueryName::Item => fixture
                .references
                .iter()
                .map(|r| post(Some(&commissioner), query.body("ref", r)))
                .collect::<anyhow::Result<_>>()?,
            QueryName::Floor => vec![post(None, query.bare_body())?],
            QueryName::Raise | QueryName::RaiseNoProvider => {
                let mut tokens = Vec::new();
                for (member, _) in &fixture.reporters {
                    tokens.push(fixture::issue_token(&db, *member).await?);
                }
                let provider = (query == QueryName::Raise).then_some(fixture.provider);
                raise_requests(&fixture, provider, &tokens, addr)?
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
        eprintln!(
            "{}: {}",
            query.label(),
            report::describe(query, &sample.body)
        );

        if args.warmup > 0 {
            client::drive(
                addr,
                requests.clone(),
                query.expect(),
                args.concurrency,
                Duration::from_secs(args.warmup),
            )
            .await;
        }
        let before = counter.load(Ordering::SeqCst);
        let run = client::drive(
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
    println!("{}", report::table(&rows));
    Ok(())
}
