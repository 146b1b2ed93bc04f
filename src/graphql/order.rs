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
        let mut plan = Plan::of(document, &[&operation.selection_set.node]);
        reorder(document, &mut plan, data);
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

/// The response keys of some selection sets in order, each with the order of what is selected
/// under it, worked out when the response first holds an object there: once for a list of
/// fifty items, not once per item.
struct Plan<'a> {
    fields: Vec<Planned<'a>>,
}

struct Planned<'a> {
    key: &'a Name,
    subs: Vec<&'a SelectionSet>,
    inner: Option<Plan<'a>>,
}

impl<'a> Plan<'a> {
    fn of(document: &'a ExecutableDocument, sets: &[&'a SelectionSet]) -> Self {
        let mut order = Vec::new();
        keys(document, sets, &mut order, 0);
        Plan {
            fields: order
                .into_iter()
                .map(|(key, subs)| Planned {
                    key,
                    subs,
                    inner: None,
                })
                .collect(),
        }
    }

    /// Whether the keys of `map` come in this order already.
    fn holds(&self, map: &IndexMap<Name, Value>) -> bool {
        let mut next = 0;
        for field in &self.fields {
            if let Some(at) = map.get_index_of(field.key) {
                if at != next {
                    return false;
                }
                next += 1;
            }
        }
        next == map.len()
    }
}

/// Puts the maps of `value` in the order of `plan`. A key the selection does not name (there
/// is none in a valid response) keeps its place after those it does.
fn reorder<'a>(document: &'a ExecutableDocument, plan: &mut Plan<'a>, value: &mut Value) {
    match value {
        Value::List(list) => {
            for element in list {
                reorder(document, plan, element);
            }
        }
        Value::Object(map) => {
            if !plan.holds(map) {
                let mut old = std::mem::take(map);
                let mut sorted = IndexMap::with_capacity(old.len());
                for field in &plan.fields {
                    if let Some(child) = old.shift_remove(field.key) {
                        sorted.insert(field.key.clone(), child);
                    }
                }
                sorted.extend(old);
                *map = sorted;
            }
            for field in &mut plan.fields {
                if field.subs.iter().all(|s| s.items.is_empty()) {
                    continue;
                }
                if let Some(child @ (Value::Object(_) | Value::List(_))) = map.get_mut(field.key) {
                    let inner = field
                        .inner
                        .get_or_insert_with(|| Plan::of(document, &field.subs));
                    reorder(document, inner, child);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn ordered(query: &str, mut data: Value) -> String {
        let document = parse_query(query).unwrap();
        in_query_order(&document, None, &mut data);
        serde_json::to_string(&data).unwrap()
    }

    /// Every element of a list is put in the query's order, whether or not the one before it
    /// was already, down through fragments and nested objects; a key no selection names stays
    /// after those it does.
    #[test]
    fn each_map_of_a_list_comes_in_the_order_of_the_query() {
        let query = "{ items { b ...F c { y x } } } fragment F on Item { a }";
        let data = async_graphql::value!({ "items": [
            { "b": 1, "a": 2, "c": { "y": 3, "x": 4 } },
            { "c": { "x": 5, "y": 6 }, "a": 7, "b": 8 },
            { "extra": 0, "a": 9, "b": 10, "c": null },
        ] });
        assert_eq!(
            ordered(query, data),
            r#"{"items":[{"b":1,"a":2,"c":{"y":3,"x":4}},{"b":8,"a":7,"c":{"y":6,"x":5}},{"b":10,"a":9,"c":null,"extra":0}]}"#
        );
    }
}
