//! Responses in the order of the query. The GraphQL spec orders each response map as its
//! selection set, but async-graphql 7 resolves an object's fields concurrently and inserts each
//! into the map as it completes, so a field that waits on a loader (`latestEvent`) can come
//! before one written earlier that did not (`provider`). This extension puts every map of the
//! result back into selection order once execution is done, without changing what is resolved.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Response, ServerResult, Value, Variables};

pub struct SelectionOrder;

impl ExtensionFactory for SelectionOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SelectionOrderExtension {
            document: Mutex::new(None),
        })
    }
}

struct SelectionOrderExtension {
    document: Mutex<Option<ExecutableDocument>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for SelectionOrderExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        *self.document.lock().unwrap_or_else(|e| e.into_inner()) = Some(document.clone());
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let document = self
            .document
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(document) = document {
            in_query_order(&document, operation_name, &mut response.data);
        }
        response
    }
}

/// Puts the maps of an operation's result in the order of its selection sets.
pub fn in_query_order(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    data: &mut Value,
) {
    if let Some(operation) = operation_of(document, operation_name) {
        reorder(document, &[&operation.selection_set.node], data);
    }
}

fn operation_of<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|o| &o.node)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|o| &o.node)
        }
        _ => None,
    }
}

/// The response keys of `sets` in the order they are first written, fragments followed, each
/// with the selection sets written under it (a key may be selected more than once).
fn keys<'a>(
    document: &'a ExecutableDocument,
    sets: &[&'a SelectionSet],
    out: &mut Vec<(&'a Name, Vec<&'a SelectionSet>)>,
    depth: usize,
) {
    // Validation refuses fragment cycles; the bound only keeps a bug from recursing forever.
    if depth > 64 {
        return;
    }
    for set in sets {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    let sub = &field.node.selection_set.node;
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, subs)) => subs.push(sub),
                        None => out.push((key, vec![sub])),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    keys(
                        document,
                        &[&fragment.node.selection_set.node],
                        out,
                        depth + 1,
                    );
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        keys(
                            document,
                            &[&fragment.node.selection_set.node],
                            out,
                            depth + 1,
                        );
                    }
                }
            }
        }
    }
}

/// Puts the maps of `value` in the order of `sets`. A key the selection does not name (there
/// is none in a valid response) keeps its place after those it does.
fn reorder(document: &ExecutableDocument, sets: &[&SelectionSet], value: &mut Value) {
    match value {
        Value::List(list) => {
            for element in list {
                reorder(document, sets, element);
            }
        }
        Value::Object(map) => {
            let mut order = Vec::new();
            keys(document, sets, &mut order, 0);
            let mut old = std::mem::take(map);
            let mut sorted = IndexMap::with_capacity(old.len());
            for (key, subs) in &order {
                if let Some(mut child) = old.shift_remove(*key) {
                    if subs.iter().any(|s| !s.items.is_empty()) {
                        reorder(document, subs, &mut child);
                    }
                    sorted.insert((*key).clone(), child);
                }
            }
            sorted.extend(old);
            *map = sorted;
        }
        _ => {}
    }
}
