//! Use cases: one function per thing a user does, shared by every transport (GraphQL, chat,
//! the command line). Each function takes the caller (`Actor`), decides whether they may,
//! parses its input into domain values, and does its work in one transaction that also
//! writes the audit event.

pub mod audit;
pub mod changes;
pub mod chat;
pub mod consultations;
pub mod delivery;
pub mod demo;
pub mod email;
pub mod feedback;
pub mod groups;
pub mod items;
pub mod meetings;
pub mod members;
pub mod newsletters;
pub mod outbox;
pub mod patterns;
pub mod providers;
pub mod recordings;
pub mod reports;
pub mod themes;
pub mod tokens;
pub mod watches;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::domain::page::PageRequest;

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Applies a keyset page to a query ordered by its integer primary key.
pub(crate) fn keyset_page<E, C>(query: Select<E>, id_column: C, page: PageRequest) -> Select<E>
where
    E: sea_orm::EntityTrait,
    C: ColumnTrait,
{
    let query = match page.after {
        Some(after) => query.filter(id_column.gt(after)),
        None => query,
    };
    query.order_by_asc(id_column).limit(page.first + 1)
}

/// A row whose stored value the domain does not recognise: the database was changed behind
/// Pyramid's back. Reported as an internal error.
pub(crate) fn corrupt(table: &'static str, id: i64, what: &str) -> crate::error::AppError {
    crate::error::AppError::internal(
        anyhow::anyhow!("{table} row {id} holds an unknown {what}"),
        "reading a stored row",
    )
}
