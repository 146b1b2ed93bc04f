//! HTTP routes: `/graphql` (GraphiQL on GET, queries on POST), `/healthz` and `/metrics`.

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{ErrorExtensionValues, ServerError};
use std::sync::Arc;

use async_graphql_poem::{GraphQLProtocol, GraphQLRequest, GraphQLResponse};
use poem::http::{HeaderMap, StatusCode, header};
use poem::web::websocket::WebSocket;
use poem::web::{Data, Html, Path, Query, Redirect};
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler};

use crate::app::{AppState, database_is_up};
use crate::domain::authz::Actor;
use crate::domain::newsletter::PageFormat;
use crate::error::AppError;
use crate::graphql::RequestContext;
use crate::services::tokens::Credential;
use crate::services::{self, tokens};

pub fn routes(state: AppState) -> impl Endpoint {
    let metrics = state.metrics.clone();
    Route::new()
        .at("/", get(index))
        .at("/graphql", get(graphiql_or_subscription).post(graphql))
        .nest("/graphiql", crate::graphiql::assets())
        .at("/healthz", get(healthz))
        .at("/metrics", get(metrics_text))
        .at("/newsletters/:id", get(newsletter_page))
        .data(state)
        .before(move |request| {
            metrics.record_http_request();
            async move { Ok(request) }
        })
}

#[handler]
fn index() -> Redirect {
    Redirect::see_other("/graphql")
}

/// GraphiQL for a browser; GraphQL subscriptions for a WebSocket client (graphql-ws or the
/// older subscriptions-transport-ws protocol). A WebSocket client signs in by sending
/// `{"Authorization": "Bearer <token>"}` as its connection_init payload; a bad token is
/// refused there, and a socket whose token is revoked later is closed with code 4403.
#[handler]
fn graphiql_or_subscription(
    Data(state): Data<&AppState>,
    websocket: Option<WebSocket>,
    protocol: Option<GraphQLProtocol>,
) -> Response {
    let (Some(websocket), Some(protocol)) = (websocket, protocol) else {
        return crate::graphiql::page();
    };
    let schema = state.schema.clone();
    let db = state.db.clone();
    websocket
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| serve_subscriptions(stream, schema, db, protocol))
        .into_response()
}

/// How often an open socket checks that its token still stands.
const REVOCATION_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs the GraphQL WebSocket protocol over one socket (as async-graphql-poem's
/// `GraphQLWebSocket` does), and closes the socket when the token it signed in with is
/// revoked.
async fn serve_subscriptions(
    socket: poem::web::websocket::WebSocketStream,
    schema: crate::graphql::AppSchema,
    db: sea_orm::DatabaseConnection,
    protocol: GraphQLProtocol,
) {
    use futures_util::{SinkExt, StreamExt, future};
    use poem::web::websocket::Message;

    let signed_in: Arc<std::sync::OnceLock<Credential>> = Arc::default();
    let credential = signed_in.clone();
    let init_db = db.clone();
    let (mut sink, incoming) = socket.split();
    let incoming = incoming
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(
                message
                    .ok()
                    .filter(|m| m.is_text() || m.is_binary())
                    .map(Message::into_bytes),
            )
        });
    let outgoing = async_graphql::http::WebSocket::new(schema, incoming, protocol.0)
        .on_connection_init(move |payload| async move {
            let header = payload
                .get("Authorization")
                .or_else(|| payload.get("authorization"))
                .and_then(|v| v.as_str());
            let (actor, token) = match header {
                None => (Actor::Anonymous, None),
                Some(value) => {
                    let token = bearer(value)
                        .ok_or(AppError::InvalidToken)
                        .and_then(tokens::credential)?;
                    let actor = tokens::authenticate_credential(&init_db, &token).await?;
                    let _ = credential.set(token.clone());
                    (actor, Some(token))
                }
            };
            let mut data = async_graphql::Data::default();
            data.insert(RequestContext::new(init_db, actor, token));
            Ok(data)
        })
        .map(|message| match message {
            async_graphql::http::WsMessage::Text(text) => Message::text(text),
            async_graphql::http::WsMessage::Close(code, reason) => {
                Message::close_with(code, reason)
            }
        });
    futures_util::pin_mut!(outgoing);
    let mut check = tokio::time::interval(REVOCATION_CHECK);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = outgoing.next() => {
                let Some(message) = message else { break };
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            _ = check.tick() => {
                let Some(token) = signed_in.get() else { continue };
                if let Err(AppError::InvalidToken) = tokens::authenticate_credential(&db, token).await {
                    let _ = sink
                        .send(Message::close_with(4403u16, "Your API token was revoked: sign in again."))
                        .await;
                    break;
                }
            }
        }
    }
}

fn bearer(value: &str) -> Option<&str> {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

/// The caller named by the `Authorization: Bearer <token>` header, with the token's
/// credential; anonymous without one.
async fn caller(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Actor, Option<Credential>), AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok((Actor::Anonymous, None));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(bearer)
        .ok_or(AppError::InvalidToken)
        .and_then(tokens::credential)?;
    let actor = tokens::authenticate_credential(&state.db, &token).await?;
    Ok((actor, Some(token)))
}

#[handler]
async fn graphql(
    Data(state): Data<&AppState>,
    headers: &HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let mut response = match caller(state, headers).await {
        Ok((actor, credential)) => {
            let context = RequestContext::new(state.db.clone(), actor, credential);
            state.schema.execute(request.0.data(context)).await
        }
        Err(error) => {
            let mut server_error = ServerError::new(error.message(), None);
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", error.code());
            server_error.extensions = Some(extensions);
            async_graphql::Response::from_errors(vec![server_error])
        }
    };
    for error in &mut response.errors {
        give_code(error);
    }
    response.into()
}

/// Errors raised by the GraphQL engine itself (a query that does not parse or does not fit
/// the schema, an argument of the wrong type) get codes too, so every error has one.
fn give_code(error: &mut ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        let code = if error.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_USER_INPUT"
        };
        extensions.set("code", code);
    }
}

#[handler]
async fn healthz(Data(state): Data<&AppState>) -> Response {
    if database_is_up(&state.db).await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        tracing::warn!("health check: the database does not answer");
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
    }
}

#[handler]
fn metrics_text(Data(state): Data<&AppState>) -> Response {
    state
        .metrics
        .render()
        .with_content_type("text/plain; version=0.0.4")
        .into_response()
}

#[derive(serde::Deserialize)]
struct PageQuery {
    format: Option<String>,
}

/// A newsletter at its stable address: `/newsletters/7` (HTML), `?format=large-print`,
/// `/newsletters/7.txt` and `/newsletters/7.md`. Published newsletters are public; a draft
/// is shown only to its issuing group's officers (with their bearer token).
#[handler]
async fn newsletter_page(
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: &HeaderMap,
) -> Response {
    let missing = || {
        (
            StatusCode::NOT_FOUND,
            Html("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Not found</title></head><body><main><h1>Newsletter not found</h1><p>There is no published newsletter at this address. Check the link, or ask your PPG for a copy.</p></main></body></html>".to_owned()),
        )
            .into_response()
    };
    let Some((number, format)) = PageFormat::parse(&id, query.format.as_deref()) else {
        return missing();
    };
    let actor = caller(state, headers)
        .await
        .map_or(Actor::Anonymous, |(actor, _)| actor);
    let newsletter = match services::newsletters::get(&state.db, &actor, number).await {
        Ok(newsletter) => newsletter,
        Err(AppError::NotFound(_)) => return missing(),
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response();
        }
    };
    let issuer = match services::groups::get(&state.db, newsletter.group_id).await {
        Ok(group) => group.name.as_str().to_owned(),
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response();
        }
    };
    let view = crate::render::NewsletterView {
        newsletter: &newsletter,
        issuer: &issuer,
    };
    match format {
        PageFormat::Html => Html(crate::render::html(&view, false)).into_response(),
        PageFormat::LargePrint => Html(crate::render::html(&view, true)).into_response(),
        PageFormat::Text => crate::render::text(&view)
            .with_content_type("text/plain; charset=utf-8")
            .into_response(),
        PageFormat::Markdown => crate::render::markdown(&view)
            .with_content_type("text/markdown; charset=utf-8")
            .into_response(),
    }
}
