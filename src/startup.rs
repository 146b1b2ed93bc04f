//! Builds the running application: database, migrations, GraphQL schema and HTTP server.
//! Tests build it on port 0 and talk to it over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::app::{AppState, Shutdown};
use crate::configuration::{DatabaseUrl, Limits, Settings};
use crate::graphql;
use crate::http;
use crate::limits::{LimitedAcceptor, RateLimits, Turns};
use crate::metrics::{GraphqlMetrics, Metrics};
use crate::sign_ins::SignIns;

pub struct Application {
    port: u16,
    acceptor: LimitedAcceptor<TcpAcceptor>,
    state: AppState,
    statements: Arc<AtomicU64>,
    limits: Limits,
}

/// Connects to the database with the default limits, counting every statement into
/// `statements` (for the command line and tools).
pub async fn connect(
    url: &DatabaseUrl,
    statements: Arc<AtomicU64>,
) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, &Limits::default(), statements).await
}

/// The pool the server writes with. On SQLite it is one connection (SQLite serialises writers
/// anyway, and one connection avoids "database is locked" when a read turns into a write), so
/// it waits longer for its turn than PostgreSQL's pool does.
pub async fn connect_with(
    url: &DatabaseUrl,
    limits: &Limits,
    statements: Arc<AtomicU64>,
) -> anyhow::Result<DatabaseConnection> {
    let wait = Duration::from_millis(limits.database_timeout_ms.max(1));
    let mut options = ConnectOptions::new(if url.is_sqlite() {
        url.expose().to_owned()
    } else {
        without_tls_on_loopback(url.expose())
    });
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(wait);
    if url.is_sqlite() {
        options
            .max_connections(1)
            .acquire_timeout(wait * 5)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            })
            .map_sqlx_sqlite_pool_opts(stable_plans);
    } else {
        options.max_connections(16).min_connections(1);
    }
    let db = Database::connect(options)
        .await
        .with_context(|| format!("could not connect to the database at {url}"))?;
    Ok(counted(db, statements))
}

/// A PostgreSQL URL to this machine that does not say `sslmode`, with `sslmode=disable`.
/// sqlx's default, `prefer`, negotiates TLS even on loopback, where it protects nothing and
/// cost the item query about a third of its throughput (BENCHMARKS.md). A URL that names
/// `sslmode`, or another host, is left as it is.
fn without_tls_on_loopback(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1" | "");
    if !loopback || url.contains("sslmode=") {
        return url.to_owned();
    }
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}sslmode=disable")
}

/// The connections the server reads with: on SQLite a few read-only connections beside the
/// writer (WAL lets them read while it writes), so one slow read cannot block everyone; on
/// PostgreSQL the writer's pool itself. (A read replica would plug in here.)
pub async fn connect_readers(
    url: &DatabaseUrl,
    limits: &Limits,
    writer: &DatabaseConnection,
    statements: Arc<AtomicU64>,
) -> anyhow::Result<DatabaseConnection> {
    if !url.is_sqlite() || limits.sqlite_readers == 0 || url.expose().contains(":memory:") {
        return Ok(writer.clone());
    }
    let read_only = match url.expose().split_once("mode=") {
        Some((before, after)) => {
            let rest = after.split_once('&').map_or("", |(_, rest)| rest);
            let joiner = if rest.is_empty() { "" } else { "&" };
            format!("{before}mode=ro{joiner}{rest}")
        }
        None if url.expose().contains('?') => format!("{}&mode=ro", url.expose()),
        None => format!("{}?mode=ro", url.expose()),
    };
    let mut options = ConnectOptions::new(read_only);
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_millis(limits.database_timeout_ms.max(1)) * 5)
        .max_connections(limits.sqlite_readers)
        .map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::from_secs(10)))
        .map_sqlx_sqlite_pool_opts(stable_plans);
    let db = Database::connect(options)
        .await
        .with_context(|| format!("could not open read connections to the database at {url}"))?;
    Ok(counted(db, statements))
}

/// Each SQLite connection plans a statement once, whatever is later bound to it (the query
/// planner stability guarantee, `SQLITE_DBCONFIG_ENABLE_QPSG`). Without it, SQLite 3.51 looks
/// at the value bound to every `LIMIT ?` while planning, so each execution of a paged
/// statement with a new binding is parsed and planned again: 13% of the server's CPU on the
/// dashboard (BENCHMARKS.md). Our plans never depended on those values: there are no
/// statistics tables, no partial index on the items, and the one `LIKE ?` (provider search)
/// is on `lower(name)`, which no index serves whatever the pattern.
fn stable_plans(
    pool: sea_orm::sqlx::pool::PoolOptions<sea_orm::sqlx::Sqlite>,
) -> sea_orm::sqlx::pool::PoolOptions<sea_orm::sqlx::Sqlite> {
    pool.after_connect(|connection, _| {
        Box::pin(async move {
            let mut handle = connection.lock_handle().await?;
            let db = handle.as_raw_handle().as_ptr();
            let mut now: std::ffi::c_int = 0;
            // SAFETY: `db` is this connection's open handle, which sqlx's worker thread does not
            // use while `handle` is locked; the call takes an int and an int pointer, as passed.
            let rc = unsafe {
                libsqlite3_sys::sqlite3_db_config(
                    db,
                    libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                    1 as std::ffi::c_int,
                    &mut now as *mut std::ffi::c_int,
                )
            };
            if rc != libsqlite3_sys::SQLITE_OK || now != 1 {
                tracing::warn!(
                    rc,
                    "SQLite did not take the query planner stability guarantee"
                );
            }
            Ok(())
        })
    })
}

/// What SQLite is told once per process, before it opens anything: allocate with mimalloc, the
/// allocator the rest of the server uses, rather than the system's malloc, and keep no memory
/// statistics (which take a process-wide lock around every allocation). sqlx copies every value
/// of every row it reads, so the SQLite dashboard allocates a few thousand times per request
/// from several connection threads at once (BENCHMARKS.md). `sqlite3_config` must not run
/// while another thread uses SQLite, so the binaries call this in `main` before the runtime
/// (or anything else that could open a database) starts; SQLite keeps its defaults where it
/// is not called (the tests' harness) and with `PYRAMID_SQLITE_DEFAULTS=1`.
pub fn configure_sqlite() {
    if std::env::var_os("PYRAMID_SQLITE_DEFAULTS").is_some_and(|v| v == "1") {
        return;
    }
    use libsqlite3_sys as ffi;
    use std::ffi::{c_int, c_void};
    unsafe extern "C" fn malloc(n: c_int) -> *mut c_void {
        // SAFETY: mimalloc's malloc takes any size; SQLite asks for n > 0.
        unsafe { libmimalloc_sys::mi_malloc(n.max(0) as usize) }
    }
    unsafe extern "C" fn free(p: *mut c_void) {
        // SAFETY: SQLite frees only what `malloc` or `realloc` above gave it.
        unsafe { libmimalloc_sys::mi_free(p) }
    }
    unsafe extern "C" fn realloc(p: *mut c_void, n: c_int) -> *mut c_void {
        // SAFETY: as for `free`.
        unsafe { libmimalloc_sys::mi_realloc(p, n.max(0) as usize) }
    }
    unsafe extern "C" fn size(p: *mut c_void) -> c_int {
        // SAFETY: as for `free`; SQLite's allocations are below 2 GiB.
        unsafe { libmimalloc_sys::mi_usable_size(p) as c_int }
    }
    unsafe extern "C" fn roundup(n: c_int) -> c_int {
        // SAFETY: a pure function of the size.
        let rounded = unsafe { libmimalloc_sys::mi_good_size(n.max(0) as usize) };
        c_int::try_from(rounded).unwrap_or(n)
    }
    unsafe extern "C" fn init(_: *mut c_void) -> c_int {
        ffi::SQLITE_OK
    }
    unsafe extern "C" fn shutdown(_: *mut c_void) {}
    let methods = ffi::sqlite3_mem_methods {
        xMalloc: Some(malloc),
        xFree: Some(free),
        xRealloc: Some(realloc),
        xSize: Some(size),
        xRoundup: Some(roundup),
        xInit: Some(init),
        xShutdown: Some(shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: called before any thread uses SQLite (see above); SQLite copies `methods` before
    // `sqlite3_config` returns; the second call takes an int, as passed.
    let (allocator, statistics) = unsafe {
        (
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const _),
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int),
        )
    };
    if allocator != ffi::SQLITE_OK || statistics != ffi::SQLITE_OK {
        tracing::warn!(
            allocator,
            statistics,
            "SQLite kept its own allocator settings (it was in use already)"
        );
    }
}

fn counted(mut db: DatabaseConnection, statements: Arc<AtomicU64>) -> DatabaseConnection {
    db.set_metric_callback(move |info| {
        statements.fetch_add(1, Ordering::Relaxed);
        // `RUST_LOG=pyramid::sql=trace` shows every statement (item text in them is already
        // redacted; tokens appear only as hashes).
        tracing::trace!(target: "pyramid::sql", elapsed = ?info.elapsed, sql = %info.statement.sql);
    });
    db
}

/// Brings the schema up to date, so a database made by an older build just works.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("could not bring the database schema up to date")
}

/// Connects and migrates, trying again with back-off (1 s doubling to 30 s) while the
/// database does not answer, saying so in the log each time: a server started during a
/// database outage waits for it rather than exiting.
async fn connect_patiently(
    settings: &Settings,
    statements: Arc<AtomicU64>,
) -> anyhow::Result<DatabaseConnection> {
    let mut wait = Duration::from_secs(1);
    loop {
        let attempt = async {
            let db =
                connect_with(&settings.database_url, &settings.limits, statements.clone()).await?;
            migrate(&db).await?;
            anyhow::Ok(db)
        };
        match attempt.await {
            Ok(db) => return Ok(db),
            // A database that answers but refuses (a bad URL, a failed migration) will not
            // change by waiting.
            Err(error) if !looks_unreachable(&error) => return Err(error),
            Err(error) => {
                tracing::warn!(
                    "the database at {} does not answer ({error:#}); trying again in {} s",
                    settings.database_url,
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Whether a failure to start is the database not answering (worth waiting for).
fn looks_unreachable(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<sea_orm::DbErr>())
        .any(crate::error::database_is_unreachable)
}

impl Application {
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let statements = Arc::new(AtomicU64::new(0));
        let db = connect_patiently(settings, statements.clone()).await?;
        Self::build_with_database(settings, db, statements).await
    }

    /// Builds on a database that is already connected and migrated.
    pub async fn build_with_database(
        settings: &Settings,
        db: DatabaseConnection,
        statements: Arc<AtomicU64>,
    ) -> anyhow::Result<Self> {
        let read = connect_readers(
            &settings.database_url,
            &settings.limits,
            &db,
            statements.clone(),
        )
        .await?;
        let metrics = Arc::new(Metrics::new(statements.clone()));
        let live_schema = graphql::build_schema(db.clone(), GraphqlMetrics(metrics.clone()));
        let schema = graphql::build_http_schema(db.clone(), settings.direct_answers);
        let acceptor = TcpListener::bind(settings.listen)
            .into_acceptor()
            .await
            .with_context(|| format!("could not listen on {}", settings.listen))?;
        let shutdown = Shutdown::default();
        let sign_ins = if settings.remember_sign_ins {
            SignIns::listen(&db, &shutdown)
        } else {
            SignIns::off()
        };
        // So that the first requests are answered as every later one will be.
        if !settings.database_url.is_sqlite()
            && settings.remember_sign_ins
            && !sign_ins.hearing_within(Duration::from_secs(3)).await
        {
            tracing::warn!(
                "sign-ins are not remembered yet: the database's notifications have not come back"
            );
        }
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr().map(|a| a.port()))
            .context("the listener has no address")?;
        Ok(Self {
            port,
            acceptor: LimitedAcceptor::new(acceptor, &settings.limits),
            state: AppState {
                db,
                read,
                schema,
                documents: Arc::default(),
                live_schema,
                metrics,
                rate: Arc::new(RateLimits::new(&settings.limits)),
                turns: Arc::new(Turns::new(&settings.limits)),
                limits: settings.limits.clone(),
                sign_ins,
                shutdown,
            },
            statements,
            limits: settings.limits.clone(),
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

    /// This server's memory of sign-ins (tests ask whether it is remembering).
    pub fn sign_ins(&self) -> Arc<SignIns> {
        self.state.sign_ins.clone()
    }

    /// The turns GraphQL requests wait for (tests take them, as slow requests would).
    pub fn turns(&self) -> Arc<Turns> {
        self.state.turns.clone()
    }

    /// What tells this server to stop (tests stop a server without a signal).
    pub fn shutdown(&self) -> Shutdown {
        self.state.shutdown.clone()
    }

    /// Serves until Ctrl-C, SIGTERM (what `docker stop` and systemd send) or `shutdown()`:
    /// then stops accepting, lets in-flight requests finish within the grace period, and
    /// closes live subscriptions with "going away".
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let shutdown = self.state.shutdown.clone();
        let rate = self.state.rate.clone();
        let tidy = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                rate.tidy();
            }
        });
        let signalled = shutdown.clone();
        let served = poem::Server::new_with_acceptor(self.acceptor)
            .idle_timeout(Duration::from_secs(self.limits.idle_timeout_secs.max(1)))
            .run_with_graceful_shutdown(
                http::routes(self.state),
                async move {
                    signalled.requested_by_signal_or_call().await;
                    tracing::info!("stopping: finishing the requests in flight");
                    signalled.announce();
                },
                Some(Duration::from_secs(self.limits.shutdown_grace_secs)),
            )
            .await;
        shutdown
            .sessions_closed(Duration::from_secs(self.limits.shutdown_grace_secs))
            .await;
        tidy.abort();
        served
    }
}

#[cfg(test)]
mod tests {
    use super::without_tls_on_loopback as plain;

    #[test]
    fn loopback_postgres_goes_without_tls_unless_the_url_asks_for_it() {
        assert_eq!(
            plain("postgres://postgres@127.0.0.1:5432/pyramid"),
            "postgres://postgres@127.0.0.1:5432/pyramid?sslmode=disable"
        );
        assert_eq!(
            plain("postgres://u:p@localhost/p?application_name=x"),
            "postgres://u:p@localhost/p?application_name=x&sslmode=disable"
        );
        assert_eq!(
            plain("postgres://[::1]:5432/p"),
            "postgres://[::1]:5432/p?sslmode=disable"
        );
        for kept in [
            "postgres://127.0.0.1/p?sslmode=require",
            "postgres://db.example.org/p",
            "postgres://u@10.0.0.5:5432/p",
        ] {
            assert_eq!(plain(kept), kept);
        }
    }
}
