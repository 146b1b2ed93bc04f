//! What every request handler shares: the database, the GraphQL schema, the metrics, the
//! limits and the shutdown signal. A leaf module, so the HTTP routes and the start-up code
//! both depend on it and not on each other.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::configuration::Limits;
use crate::graphql::AppSchema;
use crate::graphql::documents::Documents;
use crate::limits::{RateLimits, Turns};
use crate::metrics::Metrics;
use crate::sign_ins::SignIns;

/// Everything a request handler needs, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    /// Where writes go (and reads on PostgreSQL).
    pub db: DatabaseConnection,
    /// Where reads go: on SQLite, read-only connections beside the one writer.
    pub read: DatabaseConnection,
    /// What `POST /graphql` executes on (no extensions; see `graphql::build_http_schema`).
    pub schema: AppSchema,
    /// Parsed documents of recent queries (`graphql::documents`).
    pub documents: Arc<Documents>,
    /// What live subscriptions run on (with the extensions).
    pub live_schema: AppSchema,
    pub metrics: Arc<Metrics>,
    pub rate: Arc<RateLimits>,
    /// GraphQL requests worked on at once, the rest waiting in order (`limits::Turns`).
    pub turns: Arc<Turns>,
    pub limits: Limits,
    /// Who each token signs in as, while PostgreSQL tells of every change (`sign_ins.rs`).
    pub sign_ins: Arc<SignIns>,
    pub shutdown: Shutdown,
}

/// Asking the server to stop, and telling its long-lived connections it is going away.
#[derive(Clone, Default)]
pub struct Shutdown {
    requested: CancellationToken,
    going_away: CancellationToken,
    /// Live WebSocket sessions, which the HTTP server does not wait for itself.
    sessions: TaskTracker,
}

impl Shutdown {
    /// Asks the server to stop, as a signal would.
    pub fn request(&self) {
        self.requested.cancel();
    }

    /// Waits for Ctrl-C, SIGTERM or `request()`.
    pub async fn requested_by_signal_or_call(&self) {
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate => {}
            _ = self.requested.cancelled() => {}
        }
    }

    /// Tells live subscriptions to close ("going away") while requests finish.
    pub fn announce(&self) {
        self.going_away.cancel();
    }

    /// Resolves when the server is going away.
    pub async fn going_away(&self) {
        self.going_away.cancelled().await;
    }

    /// Runs a live session (a WebSocket) that stopping waits for.
    pub fn session<F>(&self, session: F) -> tokio_util::task::task_tracker::TrackedFuture<F>
    where
        F: std::future::Future,
    {
        self.sessions.track_future(session)
    }

    /// Waits, at most `grace`, for the live sessions to say goodbye and close.
    pub async fn sessions_closed(&self, grace: Duration) {
        self.sessions.close();
        if tokio::time::timeout(grace, self.sessions.wait())
            .await
            .is_err()
        {
            tracing::warn!("some live subscriptions did not close within the grace period");
        }
    }
}

/// Checks the database answers, within a second (for `/healthz`, whose callers give up after
/// two to five).
pub async fn database_is_up(db: &DatabaseConnection) -> bool {
    let probe = db.execute_unprepared("SELECT 1");
    matches!(
        tokio::time::timeout(Duration::from_millis(800), probe).await,
        Ok(Ok(_))
    )
}
