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
    /// Too many requests: try again after this many seconds.
    RateLimited {
        retry_after_secs: u64,
    },
    /// The database (or another service Pyramid needs) does not answer just now.
    Unavailable,
    /// More requests than this server can work on just now: one waited too long for its turn.
    Busy,
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
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unavailable => "UNAVAILABLE",
            AppError::Busy => "BUSY",
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
            AppError::RateLimited { retry_after_secs } => format!(
                "Too many requests from you just now: nothing was done. Please wait {retry_after_secs} s and try again."
            ),
            AppError::Unavailable => "Pyramid cannot reach its database just now, so nothing was changed. Please try again in a minute.".to_owned(),
            AppError::Busy => "Pyramid has more requests than it can answer just now, so nothing was done. Please try again in a few seconds.".to_owned(),
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
        if database_is_unreachable(&error) {
            // Logged here, inside the failing action's span, with its cause: the pool timed
            // out, the connection was refused.
            tracing::error!(error = %error, "{context}");
            return AppError::Unavailable;
        }
        AppError::internal(error, context)
    }
}

/// Whether the database could not be reached at all (rather than refusing a statement):
/// worth telling the caller to try again later.
pub(crate) fn database_is_unreachable(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx_unreachable = |e: &RuntimeErr| {
        matches!(
            e,
            RuntimeErr::SqlxError(e) if matches!(
                **e,
                sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolTimedOut
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::Tls(_)
            )
        )
    };
    match error {
        // No connection to be had: the pool timed out, or connecting failed (refused, reset,
        // the server hung up during the handshake).
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(e) | DbErr::Query(e) => sqlx_unreachable(e),
        _ => false,
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
