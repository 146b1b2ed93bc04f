//! Relay cursor connections over the services' keyset pages.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};

use super::ids;
use crate::domain::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::domain::page::{Page, PageRequest};
use crate::error::AppResult;

pub type IdConnection<N> = Connection<String, N>;

/// What a page costs in the query's complexity: its items' fields once per item asked for,
/// so a page of a hundred costs a hundred times one item, and many aliased pages add up.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(DEFAULT_PAGE_SIZE, |n| (n.max(1) as u64).min(MAX_PAGE_SIZE)) as usize;
    1 + items.saturating_mul(child_complexity)
}

pub fn page_request(first: Option<i32>, after: Option<String>) -> AppResult<PageRequest> {
    let after = after.as_deref().map(ids::decode_cursor).transpose()?;
    Ok(PageRequest::parse(first, after)?)
}

/// Turns a page into a connection; each edge's cursor is its row's id.
pub fn connection<T, N: OutputType>(
    page: Page<T>,
    request: PageRequest,
    row_id: impl Fn(&T) -> i64,
    node: impl Fn(T) -> N,
) -> IdConnection<N> {
    let mut connection = Connection::new(request.after.is_some(), page.has_next_page);
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(ids::encode_cursor(row_id(&item)), node(item))),
    );
    connection
}
