//! HTTP routes: `/graphql` (GraphiQL or subscriptions on GET, queries on POST), `/healthz`,
//! `/metrics`, the newsletter pages and the pages e-mails link to (`/email/...`). Turns the
//! bearer token into an `Actor`.

mod email;
mod graphql;
mod pages;
mod subscriptions;

use poem::http::{HeaderMap, StatusCode, header};
use poem::web::{Data, Redirect};
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler};

use crate::app::{AppState, database_is_up};
use crate::domain::authz::Actor;
use crate::error::AppError;
use crate::services::tokens::{self, Credential};

pub fn routes(state: AppState) -> impl Endpoint {
    let metrics = state.metrics.clone();
    Route::new()
        .at("/", get(index))
        .at(
            "/graphql",
            get(subscriptions::graphiql_or_subscription)
                .post(graphql::graphql)
                .put(not_allowed)
                .patch(not_allowed)
                .delete(not_allowed),
        )
        .nest("/graphiql", crate::graphiql::assets())
        .at("/healthz", get(healthz))
        .at("/metrics", get(metrics_text))
        .at("/newsletters/:id", get(pages::newsletter_page))
        .at(
            "/newsletters/:id/:language",
            get(pages::translated_newsletter_page),
        )
        .at("/reports/:id", get(pages::report_page))
        .at("/email/confirm/:token", get(email::confirm))
        .at(
            "/email/unsubscribe/:token",
            get(email::unsubscribe_page).post(email::unsubscribe),
        )
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

#[handler]
fn not_allowed() -> Response {
    graphql::Refusal::method_not_allowed().into_response()
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
    let actor = state
        .sign_ins
        .sign_in(&state.db, &state.read, &token)
        .await?;
    Ok((actor, Some(token)))
}

/// Answers within a second whether the database does: `ok` (200) or 503.
#[handler]
async fn healthz(Data(state): Data<&AppState>) -> Response {
    if database_is_up(&state.db).await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        tracing::warn!("health check: the database does not answer within a second");
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
    }
}

#[handler]
fn metrics_text(Data(state): Data<&AppState>) -> Response {
    let mut text = state.metrics.render();
    text.push_str(
        "# HELP pyramid_sign_ins_remembering 1 while this instance remembers sign-ins (it hears \
         every change to tokens and memberships), 0 while each request reads its token.\n\
         # TYPE pyramid_sign_ins_remembering gauge\n",
    );
    text.push_str(&format!(
        "pyramid_sign_ins_remembering {}\n",
        u8::from(state.sign_ins.remembering())
    ));
    text.with_content_type("text/plain; version=0.0.4")
        .into_response()
}
