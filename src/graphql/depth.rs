//! The depth limit on what a query asks of the data: every field counts one level, fragments
//! are followed, and introspection (`__schema`, `__type`, `__typename`) is not counted, so the
//! standard introspection query that GraphiQL and code generators send is not refused by a limit
//! meant for `groups { … parent { children { … } } }`. The engine's own `limit_depth` still bounds
//! introspection.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, ServerError, ServerResult, Variables};

/// Refuses a query whose selections (introspection aside) are nested more than `levels` deep,
/// counted as async-graphql's `limit_depth` counts them, or that uses more than `aliases`
/// aliases (800 aliased copies of one page are 800 pages).
#[derive(Clone, Copy)]
pub struct DepthLimit {
    pub levels: usize,
    pub aliases: usize,
}

impl ExtensionFactory for DepthLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for DepthLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        self.check(&document)?;
        Ok(document)
    }
}

impl DepthLimit {
    /// Refuses a document over the limits.
    pub fn check(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let aliases = aliases(document);
        if aliases > self.aliases {
            return Err(ServerError::new(
                format!(
                    "This query uses {aliases} aliases; at most {} are accepted in one request.",
                    self.aliases
                ),
                None,
            ));
        }
        let deepest = deepest(document);
        if deepest.levels > self.levels {
            return Err(ServerError::new(
                format!("Query is nested too deep: at most {} levels.", self.levels),
                deepest.at,
            ));
        }
        Ok(())
    }
}

/// How many aliased fields the document writes (each counted where it is written).
fn aliases(document: &ExecutableDocument) -> usize {
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + count(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => count(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let in_operations: usize = document
        .operations
        .iter()
        .map(|(_, operation)| count(&operation.node.selection_set.node))
        .sum();
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|fragment| count(&fragment.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

/// How many levels a selection goes down, and where its deepest field is.
#[derive(Clone, Copy, Default)]
struct Deepest {
    levels: usize,
    at: Option<Pos>,
}

/// The deepest of the document's operations, fragments followed, introspection not counted.
fn deepest(document: &ExecutableDocument) -> Deepest {
    let mut walk = Walk {
        document,
        fragments: HashMap::new(),
        entered: HashSet::new(),
    };
    document
        .operations
        .iter()
        .map(|(_, operation)| walk.selection_set(&operation.node.selection_set.node))
        .max_by_key(|deepest| deepest.levels)
        .unwrap_or_default()
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    /// A fragment's depth does not depend on where it is spread, so each is walked once (a
    /// document spreading fragments into each other many times costs no more).
    fragments: HashMap<&'a str, Deepest>,
    /// Fragments being walked, so a cycle ends (validation refuses it later).
    entered: HashSet<&'a str>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Deepest {
        let mut deepest = Deepest::default();
        for selection in &set.items {
            let below = match &selection.node {
                Selection::Field(field) => {
                    if field.node.name.node.starts_with("__") {
                        continue;
                    }
                    let below = self.selection_set(&field.node.selection_set.node);
                    Deepest {
                        levels: below.levels + 1,
                        at: below.at.or(Some(field.pos)),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            };
            if below.levels > deepest.levels {
                deepest = below;
            }
        }
        deepest
    }

    fn fragment(&mut self, name: &'a str) -> Deepest {
        if let Some(known) = self.fragments.get(name) {
            return *known;
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Deepest::default();
        };
        if !self.entered.insert(name) {
            return Deepest::default();
        }
        let deepest = self.selection_set(&fragment.node.selection_set.node);
        self.entered.remove(name);
        self.fragments.insert(name, deepest);
        deepest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(query: &str) -> usize {
        let document = async_graphql::parser::parse_query(query).expect("the query parses");
        deepest(&document).levels
    }

    #[test]
    fn aliases_are_counted_where_they_are_written() {
        let document = async_graphql::parser::parse_query(
            "{ a: me { n: name } ...F } fragment F on QueryRoot { b: me { name } }",
        )
        .unwrap();
        assert_eq!(aliases(&document), 3);
    }

    #[test]
    fn counts_fields_as_limit_depth_does() {
        assert_eq!(levels("{ me }"), 1);
        assert_eq!(levels("{ me { name } }"), 2);
        assert_eq!(
            levels("{ groups { edges { node { parent { name } } } } me { name } }"),
            5
        );
    }

    #[test]
    fn follows_fragments_and_inline_fragments() {
        let query = "
            query { node(id: \"x\") { ... on Group { parent { ...Names } } } }
            fragment Names on Group { name parent { name } }
        ";
        assert_eq!(levels(query), 4);
    }

    #[test]
    fn does_not_count_introspection() {
        assert_eq!(
            levels("{ __schema { types { fields { type { name } } } } }"),
            0
        );
        assert_eq!(levels("{ me { __typename name } }"), 2);
        assert_eq!(
            levels("{ __typename me { memberships { group { __typename } } } }"),
            3
        );
    }

    #[test]
    fn points_at_the_deepest_field() {
        let document =
            async_graphql::parser::parse_query("{ a { b }\n c { d { e } } }").expect("parses");
        let deepest = deepest(&document);
        assert_eq!(deepest.levels, 3);
        assert_eq!(
            deepest.at,
            Some(Pos {
                line: 2,
                column: 10
            })
        );
    }

    #[test]
    fn a_fragment_cycle_ends() {
        let query =
            "{ me { ...A } } fragment A on Member { name ...B } fragment B on Member { ...A }";
        assert_eq!(levels(query), 2);
    }

    #[test]
    fn the_deepest_operation_counts() {
        let query = "query A { me { name } } query B { groups { edges { node { name } } } }";
        assert_eq!(levels(query), 4);
    }
}
