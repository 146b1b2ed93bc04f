//! What every request handler shares: the database, the GraphQL schema and the metrics. A leaf
//! module, so the HTTP routes and the start-up code both depend on it and not on each other.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::graphql::AppSchema;
use crate::metrics::Metrics;

/// Everything a request handler needs, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    pub metrics: Arc<Metrics>,
}

/// Checks the database answers (for `/healthz`).
pub async fn database_is_up(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
