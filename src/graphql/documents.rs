//! Parsed documents of recent queries. A dashboard or a review queue sends the same query
//! text again and again with new variables; parsing it (async-graphql's pest parser) was about
//! a twentieth of the server's CPU per dashboard request (BENCHMARKS.md). A document is parsed
//! and checked against the depth and alias limits once, then each request takes a copy.
//!
//! Only queries whose text holds no string literal and no comment are kept: a mutation's or a
//! search's inline text, or a note in a comment, may be about a patient, and nothing about
//! patients is kept beyond its request unless it has been redacted. What is left of a kept
//! query is names (of operations, fields, aliases, variables and fragments), numbers and
//! enum values. Clients that send their values as variables, as GraphiQL and the key pages
//! do, are the ones that repeat their text.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::ServerError;
use async_graphql::parser::types::{ExecutableDocument, OperationType};

/// Documents kept at most, each at most `LONGEST` bytes of text: about 3 MB at worst.
const KEPT: usize = 256;
const LONGEST: usize = 8 * 1024;

/// A parsed document and what the handler needs to know of it.
pub struct Prepared {
    pub document: ExecutableDocument,
    /// The first operation's type (for the metrics).
    pub kind: Option<OperationType>,
    /// Why it is refused (depth or aliases over the limits), if it is.
    pub refused: Option<ServerError>,
}

impl Prepared {
    fn of(document: ExecutableDocument) -> Self {
        Self {
            kind: crate::metrics::operation_kind(&document),
            refused: super::check_document(&document).err(),
            document,
        }
    }

    pub fn has_mutation(&self) -> bool {
        self.document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation)
    }
}

/// The recently used documents, least recently used dropped first.
pub struct Documents {
    kept: Mutex<lru::LruCache<Box<str>, Arc<Prepared>>>,
}

impl Default for Documents {
    fn default() -> Self {
        Self {
            kept: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(KEPT).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl Documents {
    /// The request's document, parsed (or taken from those kept) and set on the request;
    /// `None` when it does not parse (the engine then says why).
    pub fn prepare(&self, request: &mut async_graphql::Request) -> Option<Arc<Prepared>> {
        if let Some(prepared) = self.lock().get(request.query.as_str()).cloned() {
            request.set_parsed_query(prepared.document.clone());
            return Some(prepared);
        }
        let prepared = Arc::new(Prepared::of(request.parsed_query().ok()?.clone()));
        if keepable(&request.query, &prepared) {
            self.lock()
                .put(request.query.as_str().into(), prepared.clone());
        }
        Some(prepared)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<Box<str>, Arc<Prepared>>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn holds(&self, query: &str) -> bool {
        self.lock().contains(query)
    }
}

/// A query (no mutation, no subscription) whose text is short and holds no string literal
/// and no comment.
fn keepable(text: &str, prepared: &Prepared) -> bool {
    text.len() <= LONGEST
        && !text.contains(['"', '#'])
        && prepared
            .document
            .operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepare(documents: &Documents, query: &str) -> Option<Arc<Prepared>> {
        documents.prepare(&mut async_graphql::Request::new(query))
    }

    #[test]
    fn a_query_with_variables_is_parsed_once_and_answered_the_same_way_after() {
        let documents = Documents::default();
        let query = "query Dashboard($first: Int) { items(first: $first) { edges { node { reference } } } }";
        let first = prepare(&documents, query).unwrap();
        assert!(documents.holds(query));
        let mut request = async_graphql::Request::new(query);
        let again = documents.prepare(&mut request).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the kept document is used");
        // The request carries the document, so the engine does not parse it again.
        assert_eq!(
            format!("{:?}", request.parsed_query().unwrap()),
            format!("{:?}", first.document)
        );
        assert_eq!(again.kind, Some(OperationType::Query));
        assert!(again.refused.is_none());
    }

    #[test]
    fn text_that_may_be_about_a_patient_is_never_kept() {
        let documents = Documents::default();
        for query in [
            r#"{ items(search: "Mrs Patel at Oak Lane") { edges { node { reference } } } }"#,
            r#"mutation { raiseItem(input: { body: """Mr Jones waited""" }) { reference } }"#,
            "{ items(first: 5) { edges { node { reference } } } } # for Mrs Patel, Oak Lane",
            "mutation Raise($input: RaiseItemInput!) { raiseItem(input: $input) { reference } }",
            "subscription { itemsReachingMe { reference } }",
        ] {
            assert!(prepare(&documents, query).is_some(), "{query} parses");
            assert!(!documents.holds(query), "{query} is not kept");
        }
        assert!(
            prepare(&documents, "{ nope").is_none(),
            "what does not parse"
        );
        assert!(!documents.holds("{ nope"));
    }

    #[test]
    fn a_query_over_the_limits_is_refused_every_time_it_is_sent() {
        let documents = Documents::default();
        let deep = format!("{{ {}__typename{} }}", "a { ".repeat(20), " }".repeat(20));
        for _ in 0..2 {
            let prepared = prepare(&documents, &deep).unwrap();
            assert!(prepared.refused.is_some());
        }
        assert!(documents.holds(&deep));
    }

    #[test]
    fn only_the_most_recently_used_are_kept() {
        let documents = Documents::default();
        let query = |n: usize| format!("query Q{n} {{ __typename }}");
        for n in 0..=KEPT {
            prepare(&documents, &query(n));
        }
        assert!(!documents.holds(&query(0)), "the oldest went");
        assert!(documents.holds(&query(KEPT)));
        assert_eq!(documents.lock().len(), KEPT);
    }
}
