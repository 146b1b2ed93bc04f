//! Builds the running application: database, migrations, GraphQL schema and HTTP server.
//! Tests build it on port 0 and talk to it over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::app::AppState;
use crate::configuration::{DatabaseUrl, Settings};
use crate::graphql;
use crate::http;
use crate::metrics::{GraphqlMetrics, Metrics};

pub struct Application {
    port: u16,
    acceptor: TcpAcceptor,
    state: AppState,
    statements: Arc<AtomicU64>,
}

/// Connects to the database, counting every statement into `statements`.
pub async fn connect(
    url: &DatabaseUrl,
    statements: Arc<AtomicU64>,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.expose());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.is_sqlite() {
        // One connection: SQLite serialises writers anyway, and a single connection avoids
        // "database is locked" when a read transaction turns into a write.
        options.max_connections(1).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(16).min_connections(1);
    }
    let mut db = Database::connect(options)
        .await
        .with_context(|| format!("could not connect to the database at {url}"))?;
    db.set_metric_callback(move |info| {
        statements.fetch_add(1, Ordering::Relaxed);
        // `RUST_LOG=pyramid::sql=trace` shows every statement (item text in them is already
        // redacted; tokens appear only as hashes).
        tracing::trace!(target: "pyramid::sql", elapsed = ?info.elapsed, sql = %info.statement.sql);
    });
    Ok(db)
}

/// Brings the schema up to date, so a database made by an older build just works.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("could not bring the database schema up to date")
}

impl Application {
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let statements = Arc::new(AtomicU64::new(0));
        let db = connect(&settings.database_url, statements.clone()).await?;
        migrate(&db).await?;
        Self::build_with_database(settings, db, statements).await
    }

    /// Builds on a database that is already connected and migrated.
    pub async fn build_with_database(
        settings: &Settings,
        db: DatabaseConnection,
        statements: Arc<AtomicU64>,
    ) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new(statements.clone()));
        let schema = graphql::build_schema(db.clone(), GraphqlMetrics(metrics.clone()));
        let acceptor = TcpListener::bind(settings.listen)
            .into_acceptor()
            .await
            .with_context(|| format!("could not listen on {}", settings.listen))?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr().map(|a| a.port()))
            .context("the listener has no address")?;
        Ok(Self {
            port,
            acceptor,
            state: AppState {
                db,
                schema,
                metrics,
            },
            statements,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// A counter of every SQL statement run so far (tests use it to count per request).
    pub fn statement_counter(&self) -> Arc<AtomicU64> {
        self.statements.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        poem::Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                http::routes(self.state),
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
                Some(Duration::from_secs(10)),
            )
            .await
    }
}
