//! Prometheus metrics: requests, errors and latency per GraphQL operation type, HTTP requests
//! and SQL statements. Kept in atomics so recording costs no lock; rendered on `/metrics`.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Response, ServerResult, Variables};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
const OPERATIONS: [&str; 4] = ["query", "mutation", "subscription", "invalid"];

#[derive(Default)]
struct OperationMetrics {
    requests: AtomicU64,
    errors: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    sum_micros: AtomicU64,
}

#[derive(Default)]
pub struct Metrics {
    http_requests: AtomicU64,
    statements: Arc<AtomicU64>,
    operations: [OperationMetrics; OPERATIONS.len()],
}

impl Metrics {
    pub fn new(statements: Arc<AtomicU64>) -> Self {
        Self {
            statements,
            ..Default::default()
        }
    }

    pub fn record_http_request(&self) {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one GraphQL request under its operation type (`None`: it did not parse).
    pub fn record_graphql(&self, kind: Option<OperationType>, seconds: f64, failed: bool) {
        self.record_operation(operation_index(kind), seconds, failed);
    }

    fn record_operation(&self, operation: usize, seconds: f64, failed: bool) {
        let m = &self.operations[operation];
        m.requests.fetch_add(1, Ordering::Relaxed);
        if failed {
            m.errors.fetch_add(1, Ordering::Relaxed);
        }
        for (bound, bucket) in BUCKETS.iter().zip(&m.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        m.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP pyramid_http_requests_total HTTP requests received."
        );
        let _ = writeln!(out, "# TYPE pyramid_http_requests_total counter");
        let _ = writeln!(
            out,
            "pyramid_http_requests_total {}",
            load(&self.http_requests)
        );
        let _ = writeln!(
            out,
            "# HELP pyramid_db_statements_total SQL statements executed."
        );
        let _ = writeln!(out, "# TYPE pyramid_db_statements_total counter");
        let _ = writeln!(
            out,
            "pyramid_db_statements_total {}",
            load(&self.statements)
        );
        let _ = writeln!(
            out,
            "# HELP pyramid_graphql_requests_total GraphQL requests by operation type."
        );
        let _ = writeln!(out, "# TYPE pyramid_graphql_requests_total counter");
        for (name, m) in OPERATIONS.iter().zip(&self.operations) {
            let _ = writeln!(
                out,
                "pyramid_graphql_requests_total{{operation=\"{name}\"}} {}",
                load(&m.requests)
            );
        }
        let _ = writeln!(
            out,
            "# HELP pyramid_graphql_errors_total GraphQL requests that returned errors, by operation type."
        );
        let _ = writeln!(out, "# TYPE pyramid_graphql_errors_total counter");
        for (name, m) in OPERATIONS.iter().zip(&self.operations) {
            let _ = writeln!(
                out,
                "pyramid_graphql_errors_total{{operation=\"{name}\"}} {}",
                load(&m.errors)
            );
        }
        let _ = writeln!(
            out,
            "# HELP pyramid_graphql_request_duration_seconds Time to answer a GraphQL request, by operation type."
        );
        let _ = writeln!(
            out,
            "# TYPE pyramid_graphql_request_duration_seconds histogram"
        );
        for (name, m) in OPERATIONS.iter().zip(&self.operations) {
            for (bound, bucket) in BUCKETS.iter().zip(&m.buckets) {
                let _ = writeln!(
                    out,
                    "pyramid_graphql_request_duration_seconds_bucket{{operation=\"{name}\",le=\"{bound}\"}} {}",
                    load(bucket)
                );
            }
            let count = load(&m.requests);
            let _ = writeln!(
                out,
                "pyramid_graphql_request_duration_seconds_bucket{{operation=\"{name}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "pyramid_graphql_request_duration_seconds_sum{{operation=\"{name}\"}} {}",
                load(&m.sum_micros) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "pyramid_graphql_request_duration_seconds_count{{operation=\"{name}\"}} {count}"
            );
        }
        out
    }
}

fn operation_index(kind: Option<OperationType>) -> usize {
    match kind {
        Some(OperationType::Query) => 0,
        Some(OperationType::Mutation) => 1,
        Some(OperationType::Subscription) => 2,
        None => 3,
    }
}

/// The type of a document's operation: its first, when it has several (clients send one).
pub fn operation_kind(document: &ExecutableDocument) -> Option<OperationType> {
    document.operations.iter().next().map(|(_, op)| op.node.ty)
}

/// An async-graphql extension that records each request under its operation type: on the
/// schema of live subscriptions; `POST /graphql` counts in its handler.
pub struct GraphqlMetrics(pub Arc<Metrics>);

impl ExtensionFactory for GraphqlMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GraphqlMetricsExtension {
            metrics: self.0.clone(),
            operation: Mutex::new(None),
        })
    }
}

struct GraphqlMetricsExtension {
    metrics: Arc<Metrics>,
    operation: Mutex<Option<OperationType>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for GraphqlMetricsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        let operation = operation_index(*self.operation.lock().unwrap_or_else(|e| e.into_inner()));
        self.metrics.record_operation(
            operation,
            started.elapsed().as_secs_f64(),
            response.is_err(),
        );
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        // A document with several operations counts as its first; clients send one.
        let kind = operation_kind(&document);
        *self.operation.lock().unwrap_or_else(|e| e.into_inner()) = kind;
        Ok(document)
    }
}
