//! Items answered directly from what their page's statement read.
//!
//! A dashboard of fifty items resolves about six hundred fields; through `#[Object]` each is a
//! boxed future, a lookup of the field's name among the type's forty, and for every relation a
//! `load_one` on a loader primed with the page's neighbours (`services::items::related`). That
//! machinery was most of the server's time on the key queries. Here an item whose selection
//! uses only the fields of the key queries (`GLANCE_FIELDS` and the arms of `Walk`) is read as a
//! glance with glances of its neighbours (`related::Glances`), and written as a GraphQL value in
//! one synchronous walk of its selection set.
//! Anything else (another field, a directive, a repeated response key, a neighbour that was not
//! read) is answered by `ItemNode`'s resolvers, as before, so this decides nothing: every value
//! comes from the same data through the same conversions (the same enums, scalars and global
//! ids) as the resolver of that field, and nothing here filters or checks who may see what. A
//! test runs each key query both ways for every kind of caller and compares the answers.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, InputType, Name, OutputType, Positioned, ServerResult, Value,
};

use super::RequestContext;
use super::ids;
use super::items::{ItemEventKind, ItemNode, ItemStatus};
use super::types::GroupKind;
use crate::domain::GroupId;
use crate::error::AppError;
use crate::services::items::related::{EventGlance, Glance, Glances, GroupGlance, Neighbours};

/// Whether items are answered directly (`Settings::direct_answers`); without it in the
/// schema's data, they are.
pub struct DirectAnswers(pub bool);

/// Whether this request's items may be answered directly.
pub fn direct_answers<T>(ctx: &async_graphql::context::ContextBase<'_, T>) -> bool {
    ctx.data_opt::<DirectAnswers>().is_none_or(|d| d.0)
}

/// What one page's statement read beside its items, shared by the page's items.
pub enum PageReads {
    /// Whole rows, handed to the loaders (once, `primed`) for the items' resolvers.
    Rows {
        neighbours: Neighbours,
        primed: tokio::sync::OnceCell<()>,
    },
    /// Glances, for the walk. They are not whole rows, so the loaders are not primed with
    /// them: an item the walk cannot answer is read whole by its resolvers.
    Glances(Glances),
}

impl PageReads {
    pub fn rows(neighbours: Neighbours) -> Arc<Self> {
        Arc::new(Self::Rows {
            neighbours,
            primed: tokio::sync::OnceCell::new(),
        })
    }

    pub fn glances(glances: Glances) -> Arc<Self> {
        Arc::new(Self::Glances(glances))
    }
}

/// What a page holds of one of its items.
pub enum Shown {
    /// All of it, for the resolvers (a selection that needs more than a glance).
    Item(ItemNode),
    /// What the key queries show (`related::glance_with`, `glance_by_reference_with`), for
    /// the walk; the rest is read again when a field asks for it.
    Glance(Glance),
}

/// An `Item` of a page: answered directly when its selection allows, else by its resolvers.
pub struct ItemView {
    pub shown: Shown,
    pub reads: Arc<PageReads>,
}

impl OutputType for ItemView {
    fn type_name() -> Cow<'static, str> {
        <ItemNode as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <ItemNode as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if direct_answers(ctx)
            && let (Shown::Glance(glance), PageReads::Glances(reads)) = (&self.shown, &*self.reads)
        {
            let walk = Walk {
                fragments: &ctx.query_env.fragments,
                reads,
            };
            if let Some(value) = walk.item(glance, ctx.item) {
                return Ok(value);
            }
        }
        let request = ctx.data_unchecked::<RequestContext>();
        if let PageReads::Rows { neighbours, primed } = &*self.reads {
            primed
                .get_or_init(|| request.loaders.prime(neighbours.clone()))
                .await;
        }
        match &self.shown {
            Shown::Item(node) => <ItemNode as OutputType>::resolve(node, ctx, field).await,
            Shown::Glance(glance) => {
                let item = request
                    .loaders
                    .items
                    .load_one(glance.id)
                    .await
                    .map_err(|e| async_graphql::Error::from(e).into_server_error(field.pos))?
                    .ok_or_else(|| {
                        // Hidden or gone between the page's statement and this one (a
                        // membership ended in between): said with a code, like every error.
                        async_graphql::Error::from(AppError::NotFound(
                            "An item of this page could no longer be read: ask for the page again."
                                .to_owned(),
                        ))
                        .into_server_error(field.pos)
                    })?;
                <ItemNode as OutputType>::resolve(&ItemNode(item), ctx, field).await
            }
        }
    }
}

/// Whether a page's items can all be answered from a `Glance` and the neighbours the page
/// reads (`related_under`): every field selected under `edges { node }` and `nodes` is one
/// `Walk` answers from them. Only what the page reads depends on this; an item the walk
/// cannot answer after all is read again and answered by its resolvers.
pub fn page_answers_from_glances(items: &Field, fragments: &Fragments) -> bool {
    let Some(fields) = selected(fragments, &items.selection_set.node) else {
        return false;
    };
    fields
        .iter()
        .all(|(_, field)| match field.name.node.as_str() {
            "edges" => selected(fragments, &field.selection_set.node).is_some_and(|edge| {
                edge.iter().all(|(_, f)| {
                    f.name.node.as_str() != "node"
                        || fits(fragments, &f.selection_set.node, &GLANCE_FIELDS)
                })
            }),
            "nodes" => fits(fragments, &field.selection_set.node, &GLANCE_FIELDS),
            _ => true,
        })
}

/// Whether `item(reference:)` can be answered from a `Glance`, the item's trail and the
/// neighbours its statement reads: every field selected is a glance's, or `events` (which the
/// one item's statement reads, a page's does not). As for a page, only what is read depends
/// on this.
pub fn item_answers_from_glance(item: &Field, fragments: &Fragments) -> bool {
    fits_with(
        fragments,
        &item.selection_set.node,
        &GLANCE_FIELDS,
        &[("events", Some(&EVENT_FIELDS))],
    )
}

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// The fields `Walk` answers, by type, each with the type of its value when it is an object:
/// what `page_answers_from_glances` checks a selection against. `events` is not among a
/// glance's: a page of items does not read their trails.
struct Shape(&'static [(&'static str, Option<&'static Shape>)]);
static GLANCE_FIELDS: Shape = Shape(&[
    ("__typename", None),
    ("id", None),
    ("reference", None),
    ("title", None),
    ("status", None),
    ("raisedAt", None),
    ("updatedAt", None),
    ("originGroup", Some(&GROUP_FIELDS)),
    ("currentGroup", Some(&GROUP_FIELDS)),
    ("provider", Some(&PROVIDER_FIELDS)),
    ("latestEvent", Some(&EVENT_FIELDS)),
]);
static GROUP_FIELDS: Shape = Shape(&[
    ("__typename", None),
    ("id", None),
    ("name", None),
    ("kind", None),
    ("parent", Some(&GROUP_FIELDS)),
]);
static PROVIDER_FIELDS: Shape = Shape(&[("__typename", None), ("id", None), ("name", None)]);
static EVENT_FIELDS: Shape = Shape(&[
    ("__typename", None),
    ("kind", None),
    ("at", None),
    ("toStatus", None),
    ("fromStatus", None),
    ("group", Some(&GROUP_FIELDS)),
    ("fromGroup", Some(&GROUP_FIELDS)),
]);

/// Whether every field of `set` (through its fragments) is in `shape`, and so on down.
fn fits(fragments: &Fragments, set: &SelectionSet, shape: &Shape) -> bool {
    fits_with(fragments, set, shape, &[])
}

/// `fits`, with the fields of `also` allowed beside `shape`'s at the top.
fn fits_with(
    fragments: &Fragments,
    set: &SelectionSet,
    shape: &Shape,
    also: &[(&'static str, Option<&'static Shape>)],
) -> bool {
    selected(fragments, set).is_some_and(|fields| {
        fields.iter().all(|(_, field)| {
            shape
                .0
                .iter()
                .chain(also)
                .find(|(name, _)| *name == field.name.node.as_str())
                .is_some_and(|(_, inner)| {
                    inner.is_none_or(|inner| fits(fragments, &field.selection_set.node, inner))
                })
        })
    })
}

struct Walk<'a> {
    fragments: &'a Fragments,
    reads: &'a Glances,
}

/// An object being written, its fields in selection order.
type Fields = IndexMap<Name, Value>;

impl<'a> Walk<'a> {
    fn fields<'s>(&self, set: &'s SelectionSet) -> Option<Vec<(&'s Name, &'s Field)>>
    where
        'a: 's,
    {
        selected(self.fragments, set)
    }

    fn item(&self, item: &Glance, set: &Positioned<SelectionSet>) -> Option<Value> {
        let mut out = Fields::new();
        for (key, field) in self.fields(&set.node)? {
            let value = match field.name.node.as_str() {
                "__typename" => Value::String("Item".to_owned()),
                "id" => Value::String(ids::to_global(item.id).0),
                "reference" => Value::String(item.reference.clone()),
                "title" => Value::String(String::from(&*item.title)),
                "status" => ItemStatus::from(item.status).to_value(),
                "raisedAt" => item.created_at.to_value(),
                "updatedAt" => item.updated_at.to_value(),
                "originGroup" => self.group(Some(item.origin_group_id), field)?,
                "currentGroup" => self.group(Some(item.current_group_id), field)?,
                "provider" => match item.provider_id {
                    None => Value::Null,
                    Some(id) => {
                        let provider = self.reads.providers.get(&id)?;
                        let mut fields = Fields::new();
                        for (key, field) in self.fields(&field.selection_set.node)? {
                            let value = match field.name.node.as_str() {
                                "__typename" => Value::String("Provider".to_owned()),
                                "id" => Value::String(ids::to_global(provider.id).0),
                                "name" => Value::String(provider.name.as_str().to_owned()),
                                _ => return None,
                            };
                            fields.insert(key.clone(), value);
                        }
                        Value::Object(fields)
                    }
                },
                "latestEvent" => match item.latest_event_id {
                    None => Value::Null,
                    Some(id) => self.event(self.reads.events.get(&id)?, field)?,
                },
                "events" => {
                    let trail = self.reads.trails.get(&item.id)?;
                    let mut events = Vec::with_capacity(trail.len());
                    for event in trail {
                        events.push(self.event(event, field)?);
                    }
                    Value::List(events)
                }
                _ => return None,
            };
            out.insert(key.clone(), value);
        }
        Some(Value::Object(out))
    }

    fn event(&self, event: &EventGlance, selected: &Field) -> Option<Value> {
        let mut out = Fields::new();
        for (key, field) in self.fields(&selected.selection_set.node)? {
            let value = match field.name.node.as_str() {
                "__typename" => Value::String("ItemEvent".to_owned()),
                "kind" => ItemEventKind::from(event.kind).to_value(),
                "at" => event.at.to_value(),
                "toStatus" => ItemStatus::from(event.to_status).to_value(),
                "fromStatus" => match event.from_status {
                    Some(status) => ItemStatus::from(status).to_value(),
                    None => Value::Null,
                },
                "group" => self.group(Some(event.group_id), field)?,
                "fromGroup" => self.group(event.from_group_id, field)?,
                _ => return None,
            };
            out.insert(key.clone(), value);
        }
        Some(Value::Object(out))
    }

    /// The group `id` names (`null` for none), when it was read with the page.
    fn group(&self, id: Option<GroupId>, selected: &Field) -> Option<Value> {
        let Some(id) = id else {
            return Some(Value::Null);
        };
        let group: &GroupGlance = self.reads.groups.get(&id)?;
        let mut out = Fields::new();
        for (key, field) in self.fields(&selected.selection_set.node)? {
            let value = match field.name.node.as_str() {
                "__typename" => Value::String("Group".to_owned()),
                "id" => Value::String(ids::to_global(group.id).0),
                "name" => Value::String(group.name.as_str().to_owned()),
                "kind" => GroupKind::from(group.kind).to_value(),
                "parent" => self.group(group.parent_id, field)?,
                _ => return None,
            };
            out.insert(key.clone(), value);
        }
        Some(Value::Object(out))
    }
}

/// The fields of `set`, flattened through fragments, with their response keys; `None` when
/// a directive or a repeated response key needs the engine's rules (skipping, merging).
fn selected<'s>(
    fragments: &'s Fragments,
    set: &'s SelectionSet,
) -> Option<Vec<(&'s Name, &'s Field)>> {
    let mut out = Vec::new();
    let mut keys = HashSet::new();
    let mut stack = vec![set.items.iter()];
    while let Some(iter) = stack.last_mut() {
        let Some(selection) = iter.next() else {
            stack.pop();
            continue;
        };
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                if !field.directives.is_empty() {
                    return None;
                }
                let key = &field.response_key().node;
                if !keys.insert(key) {
                    return None;
                }
                out.push((key, field));
            }
            Selection::FragmentSpread(spread) => {
                let fragment = fragments.get(&spread.node.fragment_name.node)?;
                if !spread.node.directives.is_empty() || !fragment.node.directives.is_empty() {
                    return None;
                }
                stack.push(fragment.node.selection_set.node.items.iter());
            }
            Selection::InlineFragment(inline) => {
                if !inline.node.directives.is_empty() {
                    return None;
                }
                stack.push(inline.node.selection_set.node.items.iter());
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;
    use chrono::Utc;

    use super::*;
    use crate::domain::group::{GroupKind, GroupName};
    use crate::domain::item::{EventKind, Status};
    use crate::domain::provider::ProviderName;
    use crate::domain::{ItemEventId, ItemId, ProviderId};
    use crate::services::items::related::ProviderGlance;

    /// Every field `page_answers_from_glances` lets through, two relations deep.
    fn everything(shape: &Shape, depth: usize) -> String {
        let fields: Vec<String> = shape
            .0
            .iter()
            .filter_map(|(name, inner)| match inner {
                None => Some((*name).to_owned()),
                Some(inner) if depth > 0 => {
                    Some(format!("{name} {{ {} }}", everything(inner, depth - 1)))
                }
                Some(_) => None,
            })
            .collect();
        fields.join(" ")
    }

    fn group(id: i64, kind: GroupKind, parent: Option<i64>) -> GroupGlance {
        GroupGlance {
            id: GroupId(id),
            kind,
            name: GroupName::parse(&format!("Group {id}")).unwrap(),
            parent_id: parent.map(GroupId),
        }
    }

    /// The gate and the walk agree: a page the gate sends down the glance path, with
    /// everything its statement reads, is answered directly, field for field, in the order
    /// asked; a field outside the gate's shapes, a directive or a repeated key is not.
    #[test]
    fn the_walk_answers_every_field_the_gate_lets_through() {
        let mut reads = Glances::default();
        for g in [
            group(1, GroupKind::Council, None),
            group(2, GroupKind::District, Some(1)),
            group(3, GroupKind::Ppg, Some(2)),
        ] {
            reads.groups.insert(g.id, g);
        }
        reads.providers.insert(
            ProviderId(7),
            ProviderGlance {
                id: ProviderId(7),
                name: ProviderName::parse("Trentvale Hospitals").unwrap(),
            },
        );
        reads.events.insert(
            ItemEventId(9),
            EventGlance {
                id: ItemEventId(9),
                at: Utc::now(),
                kind: EventKind::Escalated,
                from_status: Some(Status::AtDistrict),
                to_status: Status::AtCouncil,
                from_group_id: Some(GroupId(2)),
                group_id: GroupId(1),
            },
        );
        let glance = Glance {
            id: ItemId(5),
            reference: "SI-2026-000005".to_owned(),
            title: "Evening call-backs".into(),
            status: Status::AtCouncil,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            origin_group_id: GroupId(3),
            current_group_id: GroupId(1),
            provider_id: Some(ProviderId(7)),
            latest_event_id: Some(ItemEventId(9)),
        };
        let answer = |node: &str| {
            let query = format!("{{ items {{ edges {{ cursor node {{ {node} }} }} }} }}");
            let document = parse_query(&query).unwrap();
            let DocumentOperations::Single(operation) = &document.operations else {
                panic!("one operation");
            };
            let Selection::Field(items) = &operation.node.selection_set.node.items[0].node else {
                panic!("a field");
            };
            let gate = page_answers_from_glances(&items.node, &document.fragments);
            let Selection::Field(edges) = &items.node.selection_set.node.items[0].node else {
                panic!("edges");
            };
            let Selection::Field(node) = &edges.node.selection_set.node.items[1].node else {
                panic!("node");
            };
            let walk = Walk {
                fragments: &document.fragments,
                reads: &reads,
            };
            (gate, walk.item(&glance, &node.node.selection_set))
        };

        let all = everything(&GLANCE_FIELDS, 2);
        let (gate, value) = answer(&all);
        assert!(gate, "{all}");
        let value = value.unwrap_or_else(|| panic!("answered directly: {all}"));
        let json = serde_json::to_string(&value).unwrap();
        assert!(
            json.starts_with(r#"{"__typename":"Item","id":"#),
            "in the order asked: {json}"
        );
        assert!(json.contains(r#""status":"AT_COUNCIL""#), "{json}");
        assert!(
            json.contains(r#""originGroup":{"__typename":"Group","id":"#),
            "{json}"
        );
        assert!(json.contains(r#""fromStatus":"AT_DISTRICT""#), "{json}");

        for outside in [
            "reference body",
            "reference events { kind }",
            "reference originGroup { practiceCode }",
            "reference title @include(if: true)",
            "reference reference",
        ] {
            let (gate, _) = answer(outside);
            assert!(!gate, "{outside}");
        }
        let (_, value) = answer("reference body");
        assert!(value.is_none(), "the resolvers answer the body");
    }

    /// One item by reference may also show its trail from a glance; anything else of the
    /// item, or of its events, sends it to the resolvers.
    #[test]
    fn one_item_is_answered_from_a_glance_with_its_trail_and_nothing_more() {
        let gate = |item: &str| {
            let query = format!("{{ item(reference: \"SI-2026-000001\") {{ {item} }} }}");
            let document = parse_query(&query).unwrap();
            let DocumentOperations::Single(operation) = &document.operations else {
                panic!("one operation");
            };
            let Selection::Field(field) = &operation.node.selection_set.node.items[0].node else {
                panic!("a field");
            };
            item_answers_from_glance(&field.node, &document.fragments)
        };
        let peer = "reference title events { kind at group { name } fromGroup { name } }";
        assert!(gate(peer), "{peer}");
        assert!(gate(&everything(&GLANCE_FIELDS, 2)));
        for outside in [
            "reference body events { kind }",
            "reference events { note }",
            "reference events { group { practiceCode } }",
            "reference events { kind } events { at }",
            "reference ...on Item { submitter { name } }",
        ] {
            assert!(!gate(outside), "{outside}");
        }
    }
}
