//! The `pyramid` command line: serve (the default), migrate, seed, schema, token.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context;
use clap::{Parser, Subcommand};
use migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::configuration::Settings;
use crate::domain::ApiTokenId;
use crate::domain::authz::Actor;
use crate::error::AppError;
use crate::services;
use crate::startup::{self, Application};

#[derive(Debug, Parser)]
#[command(
    name = "pyramid",
    version,
    about = "Patient engagement networks: PPGs, District Groups and a Patients' Council"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the GraphQL server (the default). The database is created and migrated first.
    Serve {
        /// Load the demo pyramid first and print its API tokens.
        #[arg(long)]
        demo: bool,
    },
    /// Look at or change the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Load data.
    Seed {
        #[command(subcommand)]
        what: SeedWhat,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
    /// Run the Discord bot and the outbox worker (chat and e-mail) alone, without the HTTP
    /// server.
    Bot,
    /// Issue or revoke API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Set up an area: a Patients' Council, everything under it its own (an ICB).
    Area {
        #[command(subcommand)]
        action: AreaAction,
    },
    /// Give someone the administrator role in an area, and print a token for them.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Patterns of concern.
    Patterns {
        #[command(subcommand)]
        action: PatternsAction,
    },
    /// Import a file (CSV with a header row) into an area: fft, complaints, pals or
    /// care-opinion figures, or the ods register. The README lists each layout's columns.
    Import {
        /// fft, complaints, pals, care-opinion or ods.
        #[arg(value_parser = parse_source)]
        source: crate::domain::feedback::Source,
        /// The CSV file.
        file: std::path::PathBuf,
        /// The area's council, by name or number.
        #[arg(long)]
        area: String,
        /// Check the file and report what would be imported, storing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write an area's anonymised counts (month x provider x theme x source) as CSV to
    /// standard output; counts from 1 to 4 are suppressed (*).
    Export {
        /// The area's council, by name or number.
        #[arg(long)]
        area: String,
        /// The first day of the first month, such as 2026-09-01.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// A day of the last month, such as 2026-11-30.
        #[arg(long)]
        to: chrono::NaiveDate,
    },
    /// Print an area's monthly patient-experience report as Markdown (nothing published), or
    /// publish it (for a month that is over; once) and print where it is read. A monthly job
    /// can run `pyramid monthly-report --area 1 --month <last month> --publish`.
    MonthlyReport {
        /// The area's council, by name or number.
        #[arg(long)]
        area: String,
        /// The month, such as 2026-11.
        #[arg(long)]
        month: String,
        /// Publish it: it is kept as it is now, and a month is published once.
        #[arg(long, default_value_t = false)]
        publish: bool,
    },
    /// Print an area's annual consultation report for a financial year as Markdown (a draft,
    /// nothing published), or publish it and print where it is read.
    ConsultationReport {
        /// The area's council, by name or number.
        #[arg(long)]
        area: String,
        /// The financial year, such as 2026-27 (1 April 2026 to 31 March 2027).
        #[arg(long)]
        year: String,
        /// Publish it: it is kept as it is now, and a year's report is published once.
        #[arg(long, default_value_t = false)]
        publish: bool,
    },
    /// List or undo an area's imports.
    Imports {
        #[command(subcommand)]
        action: ImportsAction,
    },
}

fn parse_source(text: &str) -> Result<crate::domain::feedback::Source, String> {
    crate::domain::feedback::Source::from_command_word(text)
        .ok_or_else(|| "choose one of fft, complaints, pals, care-opinion or ods".to_owned())
}

#[derive(Debug, Subcommand)]
pub enum ImportsAction {
    /// List an area's imports, oldest first.
    List {
        /// The area's council, by name or number.
        #[arg(long)]
        area: String,
    },
    /// Undo an import by its number: its figures are taken out (the same file may then be
    /// imported again).
    Undo { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum PatternsAction {
    /// Work every pattern out again from the items (after a PPG moved district, or to check
    /// the incremental detection); what people did with patterns still there is kept.
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the newest migrations.
    Down {
        /// How many to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
        /// Roll back all of them (this deletes all data).
        #[arg(long, conflicts_with = "steps")]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum SeedWhat {
    /// The demo pyramid of the reference area; prints one `role<TAB>token` line per role.
    Demo,
}

#[derive(Debug, Subcommand)]
pub enum AreaAction {
    /// Create an area's Patients' Council and print its id.
    Create {
        /// The council's name, such as "Staffordshire Patients' Council".
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Make a person (new, or known by e-mail) an administrator of an area and print a token
    /// for them (shown once).
    Add {
        /// The area's council, by name or number.
        #[arg(long)]
        area: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Issue a token for a member and print it (it is shown only this once).
    Create {
        /// The member's id or e-mail address.
        #[arg(long)]
        member: String,
        /// What the token is for.
        #[arg(long, default_value = "command line")]
        label: String,
    },
    /// Revoke a token by its id (as listed in the member's apiTokens).
    Revoke {
        /// The token's number, or its GraphQL id.
        id: String,
    },
}

/// Parses the command line, reporting a bad flag or environment variable in one line.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.use_stderr() => {
            let message = error.to_string();
            let first = message.lines().next().unwrap_or("invalid arguments");
            eprintln!("{first}");
            return ExitCode::from(2);
        }
        Err(help) => {
            let _ = help.print();
            return ExitCode::SUCCESS;
        }
    };
    init_tracing(&cli.settings.log);
    crate::startup::configure_sqlite();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    startup::connect(&settings.database_url, Arc::new(AtomicU64::new(0))).await
}

fn grace(settings: &Settings) -> std::time::Duration {
    std::time::Duration::from_secs(settings.limits.shutdown_grace_secs)
}

/// Service errors at the command line: the same sentence a GraphQL client would see.
fn cli_error(error: AppError) -> anyhow::Error {
    anyhow::anyhow!("{} ({})", error.message(), error.code())
}

async fn find_area(
    db: &DatabaseConnection,
    area: &str,
) -> anyhow::Result<crate::domain::group::Group> {
    match area.trim().parse::<i64>() {
        Ok(id) => services::groups::get(db, crate::domain::GroupId(id)).await,
        Err(_) => services::groups::find(db, area).await,
    }
    .map_err(cli_error)
}

/// One sentence on what an import did.
fn import_summary(report: &services::feedback::ImportReport) -> String {
    let refused = match report.rejected.len() {
        0 => String::new(),
        1 => " 1 line was refused (above).".to_owned(),
        n => format!(" {n} lines were refused (above)."),
    };
    let known = if report.already_known > 0 {
        format!(" {} were in the register already.", report.already_known)
    } else {
        String::new()
    };
    let what = if report.source == crate::domain::feedback::Source::OdsRegister {
        "organisations and sites added"
    } else {
        "lines imported"
    };
    match (&report.import, report.dry_run) {
        (_, true) => format!(
            "Checked {} lines: {} would be {what}; nothing was stored (dry run).{known}{refused}",
            report.rows_read, report.rows_imported
        ),
        (Some(import), false) if report.source == crate::domain::feedback::Source::OdsRegister => {
            format!(
                "Import {} (the ODS register): {} {what}.{known}{refused}",
                import.id, report.rows_imported
            )
        }
        (Some(import), false) => format!(
            "Import {} ({}): {} of {} {what}.{refused}",
            import.id,
            report.source.label(),
            report.rows_imported,
            report.rows_read,
        ),
        (None, false) => {
            format!("Nothing was imported: no line of the file could be used.{known}{refused}")
        }
    }
}

async fn seed_demo(db: &DatabaseConnection) -> anyhow::Result<()> {
    let tokens = services::demo::seed(db).await.map_err(cli_error)?;
    for token in tokens {
        println!("{}\t{}", token.role, token.secret);
    }
    Ok(())
}

/// The outbox worker and its couriers: e-mail always, chat through the Discord bot when a
/// token is configured (without one, chat deliveries wait in the outbox; nothing is lost).
/// The worker stops, after finishing its current round, when `stop` says the server is
/// going away.
struct Deliveries {
    bot: Option<crate::chat::BotHandle>,
    worker: tokio::task::JoinHandle<()>,
}

impl Deliveries {
    async fn stop(self, grace: std::time::Duration) {
        if tokio::time::timeout(grace, self.worker).await.is_err() {
            tracing::warn!("the outbox worker did not finish within the grace period");
        }
        if let Some(bot) = self.bot {
            bot.stop().await;
        }
    }
}

async fn start_deliveries(
    settings: &Settings,
    db: &DatabaseConnection,
    stop: crate::app::Shutdown,
) -> anyhow::Result<Deliveries> {
    use crate::workers::{Courier, OutboxWorker, Router};
    let mail = crate::mail::MailCourier::new(db.clone(), &settings.mail())?;
    tracing::info!("E-mails are sent {}.", mail.describe());
    let (bot, chat) = match settings.bot() {
        None => {
            tracing::info!(
                "The Discord bot is off (set PYRAMID_DISCORD_TOKEN to start it); chat deliveries wait in the outbox."
            );
            (None, None)
        }
        Some(config) => {
            let bot = crate::chat::start(db.clone(), config.clone()).await?;
            let courier: Arc<dyn Courier> = Arc::new(bot.courier(db.clone(), &config));
            tracing::info!("The Discord bot is starting");
            (Some(bot), Some(courier))
        }
    };
    let router = Router {
        chat,
        email: Some(Arc::new(mail)),
        audio: Some(Arc::new(crate::speech::SpeechCourier::new(db.clone()))),
    };
    let worker = OutboxWorker::new(db.clone(), Arc::new(router));
    let worker = tokio::spawn(worker.run(std::time::Duration::from_secs(5), stop));
    Ok(Deliveries { bot, worker })
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let app = Application::build(&settings).await?;
            if demo {
                seed_demo(app.db()).await?;
            }
            let deliveries = start_deliveries(&settings, app.db(), app.shutdown()).await?;
            tracing::info!(
                "Pyramid is listening on http://{}:{}/graphql (database: {})",
                settings.listen.ip(),
                app.port(),
                settings.database_url
            );
            let served = app.run_until_stopped().await.context("the server stopped");
            deliveries.stop(grace(&settings)).await;
            tracing::info!("Pyramid has stopped");
            served
        }
        Command::Bot => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            if settings.bot().is_none() {
                anyhow::bail!(
                    "PYRAMID_DISCORD_TOKEN is not set: the bot needs a Discord bot token"
                );
            }
            let stop = crate::app::Shutdown::default();
            let deliveries = start_deliveries(&settings, &db, stop.clone()).await?;
            stop.requested_by_signal_or_call().await;
            stop.announce();
            deliveries.stop(grace(&settings)).await;
            Ok(())
        }
        Command::Migrate { action } => {
            let db = database(&settings).await?;
            match action {
                MigrateAction::Up => startup::migrate(&db).await,
                MigrateAction::Down { steps, all } => {
                    Migrator::down(&db, if all { None } else { Some(steps) })
                        .await
                        .context("could not roll back")
                }
                MigrateAction::Status => {
                    for migration in Migrator::get_migration_with_status(&db).await? {
                        println!("{}\t{:?}", migration.name(), migration.status());
                    }
                    Ok(())
                }
            }
        }
        Command::Seed {
            what: SeedWhat::Demo,
        } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            seed_demo(&db).await
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Area {
            action: AreaAction::Create { name },
        } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            let council = services::groups::create(
                &db,
                &Actor::System,
                services::groups::NewGroup {
                    kind: crate::domain::group::GroupKind::Council,
                    name,
                    parent_id: None,
                    practice_code: None,
                },
            )
            .await
            .map_err(cli_error)?;
            eprintln!(
                "Area {} created. Next: pyramid admin add --area {} --name ... --email ...",
                council.name.as_str(),
                council.id
            );
            println!("{}", council.id);
            Ok(())
        }
        Command::Admin {
            action: AdminAction::Add { area, name, email },
        } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            let area = find_area(&db, &area).await?;
            let member = services::members::find_or_create(&db, &Actor::System, &name, &email)
                .await
                .map_err(cli_error)?;
            match services::members::grant_area_role(
                &db,
                &Actor::System,
                member.id,
                area.id,
                crate::domain::authz::OrgRole::Administrator,
            )
            .await
            {
                Ok(_) | Err(AppError::Conflict(_)) => {}
                Err(error) => return Err(cli_error(error)),
            }
            let issued = services::tokens::create(&db, &Actor::System, member.id, "administrator")
                .await
                .map_err(cli_error)?;
            eprintln!(
                "{} administers {}. Their token (shown once; keep it safe):",
                member.name.as_str(),
                area.name.as_str()
            );
            println!("{}", issued.secret);
            Ok(())
        }
        Command::Patterns {
            action: PatternsAction::Rebuild,
        } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            let summary = services::patterns::rebuild(&db, &Actor::System)
                .await
                .map_err(cli_error)?;
            eprintln!(
                "Patterns rebuilt for {} providers: {} patterns of concern.",
                summary.providers, summary.patterns
            );
            Ok(())
        }
        Command::Import {
            source,
            file,
            area,
            dry_run,
        } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            let area = find_area(&db, &area).await?;
            let content = std::fs::read(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let report = services::feedback::import_file(
                &db,
                &Actor::System,
                services::feedback::ImportFile {
                    area: area.id,
                    source,
                    file_name: file.display().to_string(),
                    content,
                    dry_run,
                },
            )
            .await
            .map_err(cli_error)?;
            for refused in &report.rejected {
                println!("line {}: {}", refused.line, refused.reason);
            }
            eprintln!("{}", import_summary(&report));
            Ok(())
        }
        Command::Export { area, from, to } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            let area = find_area(&db, &area).await?;
            let csv = services::feedback::export(&db, &Actor::System, area.id, from, to)
                .await
                .map_err(cli_error)?;
            print!("{csv}");
            Ok(())
        }
        Command::MonthlyReport {
            area,
            month,
            publish,
        } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            let area = find_area(&db, &area).await?;
            let month = services::reports::monthly::parse_month(&month).map_err(cli_error)?;
            let now = chrono::Utc::now();
            if publish {
                let report =
                    services::reports::monthly::publish(&db, &Actor::System, area.id, month, now)
                        .await
                        .map_err(cli_error)?;
                print_published(&report);
            } else {
                let report =
                    services::reports::monthly::monthly(&db, &Actor::System, area.id, month, now)
                        .await
                        .map_err(cli_error)?;
                let doc = crate::render::monthly::document(&report, None, None);
                print!("{}", crate::render::document::markdown(&doc));
            }
            Ok(())
        }
        Command::ConsultationReport {
            area,
            year,
            publish,
        } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            let area = find_area(&db, &area).await?;
            let year = crate::domain::consultation::FinancialYear::parse("--year", &year)
                .map_err(|e| cli_error(e.into()))?;
            if publish {
                let report =
                    services::consultations::publish_report(&db, &Actor::System, area.id, year)
                        .await
                        .map_err(cli_error)?;
                print_published(&report);
            } else {
                let draft =
                    services::consultations::preview_report(&db, &Actor::System, area.id, year)
                        .await
                        .map_err(cli_error)?;
                print!("{}", draft.rendered.markdown);
            }
            Ok(())
        }
        Command::Imports { action } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            match action {
                ImportsAction::List { area } => {
                    let area = find_area(&db, &area).await?;
                    let mut after = None;
                    loop {
                        let page = services::feedback::list(
                            &db,
                            &Actor::System,
                            area.id,
                            crate::domain::page::PageRequest { first: 100, after },
                        )
                        .await
                        .map_err(cli_error)?;
                        for import in &page.items {
                            println!(
                                "{}\t{}\t{}\t{} rows\t{} refused\t{}\t{}",
                                import.id,
                                import.imported_at.format("%Y-%m-%d %H:%M"),
                                import.source.command_word(),
                                import.rows_imported,
                                import.rows_rejected,
                                import.file_name.as_str(),
                                match import.undone_at {
                                    Some(at) => format!("undone {}", at.format("%Y-%m-%d")),
                                    None => "in force".to_owned(),
                                }
                            );
                        }
                        match (page.has_next_page, page.items.last()) {
                            (true, Some(last)) => after = Some(last.id.0),
                            _ => break,
                        }
                    }
                    Ok(())
                }
                ImportsAction::Undo { id } => {
                    let import = services::feedback::undo(
                        &db,
                        &Actor::System,
                        crate::domain::FeedbackImportId(id),
                    )
                    .await
                    .map_err(cli_error)?;
                    eprintln!(
                        "Import {} ({}, {}) is undone; the same file may be imported again.",
                        import.id,
                        import.source.label(),
                        import.file_name.as_str()
                    );
                    Ok(())
                }
            }
        }
        Command::Token { action } => {
            let db = database(&settings).await?;
            startup::migrate(&db).await?;
            match action {
                TokenAction::Create { member, label } => {
                    let member = services::members::find_by_id_or_email(&db, &member)
                        .await
                        .map_err(cli_error)?;
                    let issued = services::tokens::create(&db, &Actor::System, member.id, &label)
                        .await
                        .map_err(cli_error)?;
                    eprintln!(
                        "Token {} for {} (shown once; keep it safe):",
                        issued.token.id,
                        member.name.as_str()
                    );
                    println!("{}", issued.secret);
                    Ok(())
                }
                TokenAction::Revoke { id } => {
                    let number = id.trim().parse::<i64>().ok().or_else(|| {
                        crate::graphql::ids::decode_any(&id)
                            .filter(|(kind, _)| *kind == crate::graphql::ids::NodeType::ApiToken)
                            .map(|(_, n)| n)
                    });
                    let number = number.context("that is not a token id")?;
                    services::tokens::revoke(&db, &Actor::System, ApiTokenId(number))
                        .await
                        .map_err(cli_error)?;
                    eprintln!("Token {number} is revoked.");
                    Ok(())
                }
            }
        }
    }
}

/// What publishing a report prints: its title and the addresses it is read at.
fn print_published(report: &crate::domain::report::Report) {
    println!("Published: {}", report.rendered.title);
    for format in crate::domain::report::ReportFormat::ALL {
        if report.rendered.in_format(format).is_some() {
            println!("{}", format.path(report.id));
        }
    }
}
