//! The one error type users see. Each variant has a stable code (`extensions.code` in
//! GraphQL) and a sentence a volunteer can act on. Internal causes are logged with context
//! by the transport that reports the error and are never shown to the caller.

use std::sync::Arc;

use crate::domain::{InvalidInput, authz::Refusal};

///
/// It deliberately does not implement `Display`: transports render it with [`AppError::message`]
/// and [`AppError::code`], so an error can never reach a client without its code.
#[derive(Debug, Clone)]
pub enum AppError {
    /// No token was given and the action needs one.
    Unauthenticated,
    /// A token was given but is unknown or revoked.
    InvalidToken,
    /// The token a live subscription signed in with was revoked while it was open.
    TokenRevoked,
    Forbidden(String),
    NotFound(String),
    BadUserInput {
        field: String,
        message: String,
    },
    Conflict(String),
    Internal(Arc<anyhow::Error>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated | AppError::InvalidToken | AppError::TokenRevoked => {
                "UNAUTHENTICATED"
            }
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The sentence shown to the user.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated => {
                "Sign in first: send your API token in the Authorization header as `Bearer pyr_…` (in GraphiQL, in the Headers pane). Your group's secretary or your area's administrator can give you one.".to_owned()
            }
            AppError::TokenRevoked => {
                "Your API token was revoked, so this live feed has ended. Sign in again with a current token.".to_owned()
            }
            AppError::InvalidToken => {
                "Your API token was not recognised: it may have been revoked or mistyped. Ask your administrator for a new one.".to_owned()
            }
            AppError::Forbidden(m) | AppError::NotFound(m) | AppError::Conflict(m) => m.clone(),
            AppError::BadUserInput { message, .. } => message.clone(),
            AppError::Internal(_) => "Something went wrong on our side and nothing was changed. Please try again in a moment.".to_owned(),
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::BadUserInput { field, .. } => Some(field),
            _ => None,
        }
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!(
            "There is no {what} with that id, or you cannot see it."
        ))
    }

    /// An internal failure. It is logged here, where it happens, so the log line carries the
    /// span of the user action that failed (`items.raise{group=3 member=Some(7)}`); the caller
    /// sees only the code and sentence.
    pub fn internal(error: impl Into<anyhow::Error>, context: &'static str) -> Self {
        let error = error.into().context(context);
        tracing::error!(error = %format!("{error:#}"), "{context}");
        AppError::Internal(Arc::new(error))
    }
}

impl From<InvalidInput> for AppError {
    fn from(error: InvalidInput) -> Self {
        AppError::BadUserInput {
            field: error.field.to_owned(),
            message: error.message,
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Unauthenticated => AppError::Unauthenticated,
            Refusal::Forbidden(why) => AppError::Forbidden(why.to_owned()),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        let context = describe_database_failure(&error);
        AppError::internal(error, context)
    }
}

/// What kind of database failure this was, for the log.
fn describe_database_failure(error: &sea_orm::DbErr) -> &'static str {
    use sea_orm::{ConnAcquireErr, DbErr};
    match error {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => {
            "the database did not answer in time (no connection free in the pool)"
        }
        DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) => {
            "the connection to the database was closed"
        }
        DbErr::Conn(_) => "could not connect to the database",
        DbErr::Exec(_) | DbErr::Query(_) => "a database statement failed",
        _ => "the database answered something Pyramid did not expect",
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(error: sea_orm::TransactionError<AppError>) -> Self {
        match error {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

/// Turns a unique-constraint violation into the error a user can act on, where it happens
/// (a duplicate practice code is a field error, not an internal one).
pub trait OnConstraint<T> {
    fn on_unique_violation(self, error: impl FnOnce() -> AppError) -> AppResult<T>;
}

impl<T> OnConstraint<T> for Result<T, sea_orm::DbErr> {
    fn on_unique_violation(self, error: impl FnOnce() -> AppError) -> AppResult<T> {
        self.map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => error(),
            _ => e.into(),
        })
    }
}
