//! `GET /graphql`: GraphiQL for a browser, GraphQL subscriptions for a WebSocket client
//! (graphql-ws or the older subscriptions-transport-ws protocol).

use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_poem::GraphQLProtocol;
use poem::web::Data;
use poem::web::websocket::WebSocket;
use poem::{IntoResponse, Response, handler};

use super::bearer;
use crate::app::{AppState, Shutdown};
use crate::domain::authz::Actor;
use crate::error::AppError;
use crate::graphql::RequestContext;
use crate::services::tokens::{self, Credential};

/// GraphiQL for a browser; GraphQL subscriptions for a WebSocket client (graphql-ws or the
/// older subscriptions-transport-ws protocol). A WebSocket client signs in by sending
/// `{"Authorization": "Bearer <token>"}` as its connection_init payload; a bad token is
/// refused there, and a socket whose token is revoked later is closed with code 4403.
#[handler]
pub(super) fn graphiql_or_subscription(
    Data(state): Data<&AppState>,
    websocket: Option<WebSocket>,
    protocol: Option<GraphQLProtocol>,
) -> Response {
    let (Some(websocket), Some(protocol)) = (websocket, protocol) else {
        return crate::graphiql::page();
    };
    let schema = state.live_schema.clone();
    let db = state.read.clone();
    let shutdown = state.shutdown.clone();
    websocket
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let sessions = shutdown.clone();
            sessions.session(serve_subscriptions(stream, schema, db, protocol, shutdown))
        })
        .into_response()
}

/// How often an open socket checks that its token still stands.
const REVOCATION_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// How often a quiet socket is pinged, well inside the server's idle timeout, so a live feed
/// with nothing to say is not closed as idle.
const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs the GraphQL WebSocket protocol over one socket (as async-graphql-poem's
/// `GraphQLWebSocket` does), closes the socket when the token it signed in with is revoked
/// (4403), and says "going away" (1001) when the server stops.
async fn serve_subscriptions(
    socket: poem::web::websocket::WebSocketStream,
    schema: crate::graphql::AppSchema,
    db: sea_orm::DatabaseConnection,
    protocol: GraphQLProtocol,
    shutdown: Shutdown,
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
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.going_away() => {
                let _ = sink
                    .send(Message::close_with(1001u16, "Pyramid is restarting: connect again in a moment."))
                    .await;
                break;
            }
            _ = ping.tick() => {
                if sink.send(Message::Ping(Vec::new())).await.is_err() {
                    break;
                }
            }
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
