//! The GraphQL API: schema, object types, queries, mutations, loaders and pagination.
//! Resolvers are thin: they decode ids and input, call one service function, and wrap the
//! result. Permission checks and rules live in `services/` and `domain/`.

mod changes;
mod consultations;
mod delivery;
mod depth;
pub mod documents;
mod errors;
mod feedback;
pub mod ids;
mod items;
mod loaders;
mod meetings;
mod mutation;
mod newsletters;
mod order;
mod pagination;
mod patterns;
mod query;
mod reports;
mod scalars;
mod types;
mod views;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::domain::authz::Actor;
use crate::services::tokens::Credential;
pub use loaders::Loaders;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    query::StructureQuery,
    items::ItemQuery,
    newsletters::NewsletterQuery,
    patterns::PatternQuery,
    feedback::FeedbackQuery,
    consultations::ConsultationQuery,
    reports::ReportQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    mutation::StructureMutation,
    items::ItemMutation,
    meetings::MeetingMutation,
    changes::ChangeMutation,
    newsletters::NewsletterMutation,
    patterns::PatternMutation,
    delivery::DeliveryMutation,
    feedback::FeedbackMutation,
    reports::ReportMutation,
    consultations::ConsultationMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(items::ItemSubscription, patterns::PatternSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// How deep and how large a query may be: enough for the dashboards people build, not enough
/// to ask the database for the whole country in one request. `MAX_DEPTH` does not count
/// introspection (see `depth.rs`); the engine's own limit, `INTROSPECTION_DEPTH`, is what the
/// standard introspection query needs (`__schema { types { fields { args { type {` and nine
/// levels of `ofType`, as graphql-js sends it) and no more.
const MAX_DEPTH: usize = 12;
const INTROSPECTION_DEPTH: usize = 15;
/// Aliases in one request: enough to ask for a few views side by side.
const MAX_ALIASES: usize = 50;
const MAX_COMPLEXITY: usize = 20_000;

/// The schema live subscriptions run on: the depth limit, the metrics and the response order
/// as extensions, since a subscription's events do not pass through the HTTP handler.
pub fn build_schema(
    db: DatabaseConnection,
    metrics: impl async_graphql::extensions::ExtensionFactory,
) -> AppSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .data(db)
    .data(crate::feed::EventFeed::default())
    // Outside the metrics, so a refused query is still counted under its operation type.
    .extension(DEPTH_LIMIT)
    .extension(metrics)
    .extension(order::SelectionOrder)
    .limit_depth(INTROSPECTION_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .finish()
}

/// The schema `POST /graphql` runs on: the same, without extensions. With any extension,
/// async-graphql wraps every field of every object and list in the extensions' resolve hook
/// (a boxed future each; a dashboard resolves about 600 fields), so the HTTP handler does what
/// the extensions do, once per request: `check_document`, `in_query_order`, and it counts the
/// request in the metrics.
pub fn build_http_schema(db: DatabaseConnection, direct_answers: bool) -> AppSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .data(db)
    .data(views::DirectAnswers(direct_answers))
    .data(crate::feed::EventFeed::default())
    .limit_depth(INTROSPECTION_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .finish()
}

const DEPTH_LIMIT: depth::DepthLimit = depth::DepthLimit {
    levels: MAX_DEPTH,
    aliases: MAX_ALIASES,
};

/// The depth and alias limits on a parsed request (what the extension checks on the live
/// schema).
pub fn check_document(
    document: &async_graphql::parser::types::ExecutableDocument,
) -> Result<(), async_graphql::ServerError> {
    DEPTH_LIMIT.check(document)
}

pub use order::in_query_order;

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let schema = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .finish();
    schema.sdl()
}

/// What every resolver of one request needs: who is asking, where to read, and the
/// request's batch loaders; for a live subscription, also the credential to check again on
/// every event.
pub struct RequestContext {
    pub actor: Actor,
    pub credential: Option<Credential>,
    /// The connections reads go to (SQLite's read-only pool; PostgreSQL's one pool).
    pub read: DatabaseConnection,
    pub loaders: Loaders,
}

impl RequestContext {
    pub fn new(read: DatabaseConnection, actor: Actor, credential: Option<Credential>) -> Self {
        Self {
            loaders: Loaders::new(read.clone(), actor.clone()),
            actor,
            credential,
            read,
        }
    }
}

/// Where writes go: mutations use this.
pub(crate) fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// Where reads go: queries and the fields of what mutations return use this.
pub(crate) fn reader<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    &request(ctx).read
}

pub(crate) fn request<'a>(ctx: &Context<'a>) -> &'a RequestContext {
    ctx.data_unchecked::<RequestContext>()
}

pub(crate) fn actor<'a>(ctx: &Context<'a>) -> &'a Actor {
    &request(ctx).actor
}

pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    &request(ctx).loaders
}
