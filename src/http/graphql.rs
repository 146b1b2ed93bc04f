//! `POST /graphql`: one GraphQL request, read with limits (size, time, rate), parsed here so
//! that every way a request can be malformed gets a GraphQL-shaped JSON error with a code, then
//! executed as its caller; engine errors get codes and sentences a volunteer can act on.

use std::net::IpAddr;
use std::time::Duration;

use async_graphql::{ErrorExtensionValues, ServerError};
use async_graphql_poem::GraphQLResponse;
use poem::http::{HeaderMap, StatusCode, header};
use poem::web::{Data, RemoteAddr};
use poem::{Body, IntoResponse, Response, handler};

use super::caller;
use crate::app::AppState;
use crate::domain::authz::Actor;
use crate::error::AppError;
use crate::graphql::RequestContext;
use crate::limits::Limited;

/// A request refused before it reached GraphQL: an HTTP status, a stable code and a sentence.
#[derive(Debug)]
pub(super) struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    fn limited(limited: Limited) -> Self {
        let error = AppError::RateLimited {
            retry_after_secs: limited.retry_after_secs(),
        };
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: error.code(),
            message: error.message(),
            retry_after: Some(limited.retry_after_secs()),
        }
    }

    fn busy() -> Self {
        let error = AppError::Busy;
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: error.code(),
            message: error.message(),
            retry_after: Some(2),
        }
    }

    pub(super) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "Send GraphQL queries and mutations with POST (GET opens GraphiQL, or a WebSocket for subscriptions).",
        )
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": self.code } }]
        });
        let mut response = Response::builder()
            .status(self.status)
            .content_type("application/json")
            .body(body.to_string());
        if let Some(seconds) = self.retry_after
            && let Ok(value) = seconds.to_string().parse()
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

#[handler]
pub(super) async fn graphql(
    Data(state): Data<&AppState>,
    headers: &HeaderMap,
    remote: &RemoteAddr,
    body: Body,
) -> Response {
    match answer(state, headers, remote, body).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    remote: &RemoteAddr,
    body: Body,
) -> Result<Response, Refusal> {
    let client = address(headers, remote, state.limits.trust_forwarded_for);
    if let Some(client) = client {
        state.rate.request(client).map_err(Refusal::limited)?;
    }
    let request = read_request(state, headers, body).await?;

    if headers.contains_key(header::AUTHORIZATION)
        && let Some(client) = client
    {
        state
            .rate
            .sign_ins_allowed(client)
            .map_err(Refusal::limited)?;
    }
    // Kept to name the field of an input error the engine reports without one.
    let sent = Sent {
        query: request.query.clone(),
        variables: serde_json::to_value(&request.variables).unwrap_or_default(),
    };
    // Signing in and answering wait their turn (`limits::Turns`); reading the body did not.
    let _turn = state.turns.take().await.map_err(|_| Refusal::busy())?;
    let mut response = match caller(state, headers).await {
        Ok((actor, credential)) => {
            check_writes(state, &actor, &request.query)?;
            let context = RequestContext::new(state.read.clone(), actor, credential);
            execute(state, request.data(context)).await
        }
        Err(error) => {
            if matches!(error, AppError::InvalidToken)
                && let Some(client) = client
            {
                state.rate.failed_sign_in(client);
            }
            async_graphql::Response::from_errors(vec![coded(&error)])
        }
    };
    for error in &mut response.errors {
        explain(error, &sent);
    }
    Ok(GraphQLResponse::from(response).into_response())
}

/// Runs one request on the schema without extensions, doing here, once, what the live
/// schema's extensions do (see `graphql::build_http_schema`): parse once (or not at all, for a
/// query sent before: `graphql::documents`), refuse a document
/// over the depth and alias limits, put the answer in query order, count it in the metrics.
async fn execute(state: &AppState, mut request: async_graphql::Request) -> async_graphql::Response {
    let started = std::time::Instant::now();
    // A request that does not parse goes to the engine as it is, which explains why.
    let prepared = state.documents.prepare(&mut request);
    let kind = prepared.as_ref().and_then(|p| p.kind);
    let response = match prepared.as_ref().and_then(|p| p.refused.clone()) {
        Some(error) => async_graphql::Response::from_errors(vec![error]),
        None => {
            let operation = request.operation_name.clone();
            let mut response = state.schema.execute(request).await;
            // What a mutation changed, its caller's next request must see: wait until every
            // change it committed has been heard (`sign_ins.rs`).
            if prepared.as_ref().is_some_and(|p| p.has_mutation()) {
                state.sign_ins.settle().await;
            }
            if let Some(prepared) = &prepared {
                crate::graphql::in_query_order(
                    &prepared.document,
                    operation.as_deref(),
                    &mut response.data,
                );
            }
            response
        }
    };
    state
        .metrics
        .record_graphql(kind, started.elapsed().as_secs_f64(), response.is_err());
    response
}

fn coded(error: &AppError) -> ServerError {
    let mut server_error = ServerError::new(error.message(), None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", error.code());
    server_error.extensions = Some(extensions);
    server_error
}

/// Reads the body within the size and time limits and parses it as one GraphQL request.
async fn read_request(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<async_graphql::Request, Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let json = content_type.as_deref().map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    // A file (an import) comes as a GraphQL multipart request, with room for the file. Only a
    // bearer token signs a request in, which a cross-site form cannot send, so a multipart
    // request needs no further protection against forgery.
    let multipart = json.as_deref() == Some("multipart/form-data");
    let max = if multipart {
        crate::services::feedback::MAX_FILE_BYTES + 64 * 1024
    } else {
        state.limits.max_body_bytes
    };
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("The request is larger than Pyramid accepts ({max} bytes)."),
        )
    };
    match json.as_deref() {
        Some("application/json" | "application/graphql-response+json" | "multipart/form-data")
        | None => {}
        Some(other) => {
            return Err(Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "BAD_REQUEST",
                format!(
                    "Send the request as JSON with `Content-Type: application/json`, or a file as a GraphQL multipart upload (this one was {other})."
                ),
            ));
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let timeout = Duration::from_secs(state.limits.request_timeout_secs.max(1));
    let bytes = match tokio::time::timeout(timeout, body.into_bytes_limit(max)).await {
        Err(_) => {
            return Err(Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                format!(
                    "The request's body did not arrive within {} s.",
                    timeout.as_secs()
                ),
            ));
        }
        Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => return Err(too_large()),
        Ok(Err(_)) => {
            return Err(Refusal::bad_request(
                "The request's body could not be read.",
            ));
        }
        Ok(Ok(bytes)) => bytes,
    };
    if multipart {
        return parse_multipart(content_type.as_deref(), &bytes).await;
    }
    parse_request(&bytes)
}

/// A GraphQL multipart request (the operations, the map and one file).
async fn parse_multipart(
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<async_graphql::Request, Refusal> {
    let options = async_graphql::http::MultipartOptions::default()
        .max_num_files(1)
        .max_file_size(crate::services::feedback::MAX_FILE_BYTES);
    let request = async_graphql::http::receive_body(content_type, bytes, options)
        .await
        .map_err(|error| {
            Refusal::bad_request(match error {
                async_graphql::ParseRequestError::PayloadTooLarge => {
                    "The file is larger than Pyramid imports (20 MB): split it by month.".to_owned()
                }
                async_graphql::ParseRequestError::UnsupportedBatch => {
                    "Send one query per request: batches of queries are not accepted.".to_owned()
                }
                _ => "The multipart request is not one Pyramid can read: send the parts 'operations' (the query and its variables, with the file's variable null), 'map' and the file, as the GraphQL multipart request specification sets out.".to_owned(),
            })
        })?;
    if request.query.contains('\0') {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "Text cannot contain NUL characters (\\u0000).",
        ));
    }
    Ok(request)
}

/// One GraphQL request from a JSON body, or the sentence saying what is wrong with it.
fn parse_request(bytes: &[u8]) -> Result<async_graphql::Request, Refusal> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::bad_request(
            r#"The request has no body: send {"query": "..."} as JSON."#,
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Refusal::bad_request("The request is not valid UTF-8 text."))?;
    // NUL characters are refused in every text input (PostgreSQL cannot store them).
    if text.contains('\0') || text.contains("\\u0000") {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "Text cannot contain NUL characters (\\u0000).",
        ));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Refusal::bad_request(format!(
            "The request is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        ))
    })?;
    if value.is_array() {
        return Err(Refusal::bad_request(
            "Send one query per request: batches of queries are not accepted.",
        ));
    }
    if !value.get("query").is_some_and(serde_json::Value::is_string) {
        return Err(Refusal::bad_request(
            r#"The request needs a "query" string, such as {"query": "{ me { name } }"}."#,
        ));
    }
    serde_json::from_value(value).map_err(|_| {
        Refusal::bad_request(
            r#"The request must be a JSON object with "query" (a string) and, if any, "variables" (an object) and "operationName" (a string)."#,
        )
    })
}

/// Mutations count against the member's writes per minute.
fn check_writes(state: &AppState, actor: &Actor, query: &str) -> Result<(), Refusal> {
    let Some(member) = actor.member_id() else {
        return Ok(());
    };
    // Parsing twice costs; a query without the word cannot be a mutation.
    if !query.contains("mutation") {
        return Ok(());
    }
    let writes = async_graphql::parser::parse_query(query).is_ok_and(|document| {
        document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == async_graphql::parser::types::OperationType::Mutation)
    });
    if writes {
        state.rate.write(member).map_err(Refusal::limited)?;
    }
    Ok(())
}

/// What the client sent, for naming the field of an input error.
struct Sent {
    query: String,
    variables: serde_json::Value,
}

impl Sent {
    /// The input field (or variable) that holds `value` as a string, if one does.
    fn field_holding(&self, value: &str) -> Option<String> {
        fn search(json: &serde_json::Value, value: &str) -> Option<String> {
            match json {
                serde_json::Value::Object(map) => map.iter().find_map(|(key, v)| match v {
                    serde_json::Value::String(s) if s == value => Some(key.clone()),
                    other => search(other, value),
                }),
                serde_json::Value::Array(list) => list.iter().find_map(|v| search(v, value)),
                _ => None,
            }
        }
        search(&self.variables, value).or_else(|| {
            let quoted = format!("\"{value}\"");
            let at = self.query.find(&quoted)?;
            let before = self.query[..at].trim_end().strip_suffix(':')?.trim_end();
            let name: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            (!name.is_empty()).then_some(name)
        })
    }
}

/// Errors raised by the GraphQL engine itself (a query that does not parse or does not fit
/// the schema, an argument of the wrong type) get a code and a plain sentence, so every error
/// has one; a value a scalar refused names the field it was given for.
fn explain(error: &mut ServerError, sent: &Sent) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_some() {
        return;
    }
    let code = if error.path.is_empty() {
        "GRAPHQL_VALIDATION_FAILED"
    } else {
        "BAD_USER_INPUT"
    };
    extensions.set("code", code);
    if let Some(message) = plain(&error.message, error.locations.first()) {
        error.message = message;
    }
    // "'01/11/2026' is not a date ...": find which field was given that value.
    if let Some(value) = error
        .message
        .strip_prefix('\'')
        .and_then(|rest| rest.split_once('\''))
        .map(|(value, _)| value.to_owned())
        && let Some(field) = sent.field_holding(&value)
    {
        error.message = format!("{field}: {}", error.message);
        extensions.set("field", field);
    }
}

/// A plain sentence for an engine message people trip over, or `None` to keep it.
fn plain(message: &str, at: Option<&async_graphql::Pos>) -> Option<String> {
    let where_ = at.map_or(String::new(), |pos| {
        format!(" at line {}, column {}", pos.line, pos.column)
    });
    if message.starts_with(" -->") || message.contains("expected ") && message.contains(" | ") {
        return Some(format!(
            "The query could not be read{where_}: check for a missing or extra bracket, brace or quote there."
        ));
    }
    let mut plain = message
        .split("(occurred while parsing")
        .next()
        .unwrap_or(message)
        .trim();
    if let Some(rest) = plain.strip_prefix("Failed to parse \"")
        && let Some((_, reason)) = rest.split_once("\": ")
    {
        plain = reason;
    }
    (plain != message).then(|| plain.to_owned())
}

/// The client's address for limits, from the connection or, behind a trusted proxy, the first
/// `X-Forwarded-For` entry.
pub(super) fn address(
    headers: &HeaderMap,
    remote: &RemoteAddr,
    trust_forwarded: bool,
) -> Option<IpAddr> {
    if trust_forwarded
        && let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(first);
    }
    remote.as_socket_addr().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bodies_are_refused_with_a_sentence() {
        let refused = |body: &str| parse_request(body.as_bytes()).unwrap_err();
        assert!(refused("").message.contains("no body"));
        assert!(refused("{\"query\": ").message.contains("not valid JSON"));
        assert!(
            refused("[{\"query\": \"{ me { name } }\"}]")
                .message
                .contains("batches")
        );
        assert!(refused("{\"variables\": {}}").message.contains("\"query\""));
        assert_eq!(refused("{\"query\": \"x\\u0000\"}").code, "BAD_USER_INPUT");
        assert!(parse_request(b"{\"query\": \"{ me { name } }\", \"variables\": null}").is_ok());
        assert!(
            parse_request(&[0xff, 0xfe])
                .unwrap_err()
                .message
                .contains("UTF-8")
        );
    }

    #[test]
    fn a_parse_error_is_one_sentence_with_its_place() {
        let pos = async_graphql::Pos { line: 3, column: 7 };
        let dump = " --> 3:7\n  |\n3 | { items(\n  |       ^---\n  |\n  = expected name";
        assert_eq!(
            plain(dump, Some(&pos)).unwrap(),
            "The query could not be read at line 3, column 7: check for a missing or extra bracket, brace or quote there."
        );
        assert_eq!(plain("Unknown field \"x\"", None), None);
    }
}
