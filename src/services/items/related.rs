//! A page of items together with the groups, providers and events the page shows beside them,
//! in one statement. A dashboard of fifty items otherwise costs one statement for the page and
//! one per relation it follows (origin group, its district, provider, latest event, that
//! event's group), each a round trip; PostgreSQL spends more on those round trips than on the
//! work. The rows are exactly those of `list` and `by_reference` (the same statement, the same
//! visibility filter from `authz::visibility`), with their neighbours left-joined: joining a
//! to-one relation adds columns, never rows, so the page and its limit are unchanged.
//!
//! Nothing here decides who may see what. The neighbours joined are the ones the loaders
//! would read for these items (`groups::get_many`, `providers::get_many`, `events_by_id`,
//! `events_of`), none of which filters by caller, decoded by the same functions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult,
    QueryTrait,
};

use super::rows::{bad_stored, event_from_model, from_model, not_found};
use super::search::{ItemFilter, ItemOrder, listing};
use crate::domain::authz::Actor;
use crate::domain::group::{Group, GroupKind, GroupName};
use crate::domain::item::{EventKind, Item, ItemEvent, Status};
use crate::domain::page::{Page, PageRequest};
use crate::domain::provider::{Provider, ProviderName};
use crate::domain::text::RedactedText;
use crate::domain::{GroupId, ItemEventId, ItemId, ProviderId};
use crate::entities::{group as group_db, item as db, item_event as event_db, provider};
use crate::error::AppResult;
use crate::services::{groups, providers};

/// The items table, as the page's statement names it.
const ITEMS: &str = "items";

/// A table joined under an alias, with the names its columns are selected as
/// (`{alias}_{column}`), spelled out once so that reading a row formats no names.
#[derive(Clone, Copy)]
struct Joined {
    alias: &'static str,
    prefix: &'static str,
    /// Its place in `Columns::starts`.
    slot: usize,
}

macro_rules! joined {
    ($alias:literal, $slot:literal) => {
        Joined {
            alias: $alias,
            prefix: concat!($alias, "_"),
            slot: $slot,
        }
    };
}

const OG: Joined = joined!("og", 0);
const OGP: Joined = joined!("ogp", 1);
const CG: Joined = joined!("cg", 2);
const PR: Joined = joined!("pr", 3);
const LE: Joined = joined!("le", 4);
const LEG: Joined = joined!("leg", 5);
const EV: Joined = joined!("ev", 6);
const EVG: Joined = joined!("evg", 7);
const EVF: Joined = joined!("evf", 8);

/// Where each joined table's columns start in the statement's select list, so that a row is
/// read by position: by name, each column of each neighbour of each row cost a formatted
/// name and a lookup, most of a dashboard's time in the server. The first column of each is
/// its id (`Column::iter()` follows the model's fields, the primary key first).
struct Columns {
    next: usize,
    starts: [Option<usize>; 9],
}

impl Columns {
    /// After the `selected` columns of `items`.
    fn after(selected: usize) -> Self {
        Self {
            next: selected,
            starts: [None; 9],
        }
    }

    fn start(&self, joined: Joined) -> usize {
        self.starts[joined.slot].expect("read only what was joined")
    }
}

/// Which of an item's neighbours to read with it: what the GraphQL selection shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Related {
    pub origin_group: bool,
    /// The origin group's parent (a PPG's district).
    pub origin_parent: bool,
    pub current_group: bool,
    pub provider: bool,
    pub latest_event: bool,
    /// The group of the latest event.
    pub latest_event_group: bool,
    /// Every event of the item with the groups it went from and to (one item only: see
    /// `by_reference_with`).
    pub events: bool,
    /// With `events`: the groups each event went from and to.
    pub event_groups: bool,
}

/// What was read with the items, keyed as the loaders key it.
#[derive(Debug, Default, Clone)]
pub struct Neighbours {
    pub groups: HashMap<GroupId, Group>,
    pub providers: HashMap<ProviderId, Provider>,
    pub events: HashMap<ItemEventId, ItemEvent>,
    /// Each item's trail, oldest first, when `Related::events` was asked for.
    pub trails: HashMap<ItemId, Vec<ItemEvent>>,
}

/// What the key queries show of a group (`graphql/views.rs` writes no other field of one).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupGlance {
    pub id: GroupId,
    pub kind: GroupKind,
    pub name: GroupName,
    pub parent_id: Option<GroupId>,
}

/// What the key queries show of a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderGlance {
    pub id: ProviderId,
    pub name: ProviderName,
}

/// What the key queries show of an event: not its note, outcome, meeting or actor.
#[derive(Debug, Clone, PartialEq)]
pub struct EventGlance {
    pub id: ItemEventId,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub from_group_id: Option<GroupId>,
    pub group_id: GroupId,
}

/// `Neighbours`, as glances: what a page answered from glances reads beside its items. These
/// are not whole rows, so they never prime the loaders; an item the walk cannot answer after
/// all is read again whole.
#[derive(Debug, Default, Clone)]
pub struct Glances {
    pub groups: HashMap<GroupId, GroupGlance>,
    pub providers: HashMap<ProviderId, ProviderGlance>,
    pub events: HashMap<ItemEventId, EventGlance>,
    pub trails: HashMap<ItemId, Vec<EventGlance>>,
}

/// How much of each joined table a statement reads: every column (the rows the loaders are
/// primed with), or a glance's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    All,
    Glance,
}

const GROUP_GLANCE: [group_db::Column; 4] = [
    group_db::Column::Id,
    group_db::Column::Kind,
    group_db::Column::Name,
    group_db::Column::ParentId,
];
const PROVIDER_GLANCE: [provider::Column; 2] = [provider::Column::Id, provider::Column::Name];
const EVENT_GLANCE: [event_db::Column; 7] = [
    event_db::Column::Id,
    event_db::Column::At,
    event_db::Column::Kind,
    event_db::Column::FromStatus,
    event_db::Column::ToStatus,
    event_db::Column::FromGroupId,
    event_db::Column::GroupId,
];

/// `list`, with the neighbours `related` names read in the same statement.
pub async fn list_with(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    filter: ItemFilter,
    order: ItemOrder,
    page: PageRequest,
    related: Related,
) -> AppResult<(Page<Item>, Neighbours)> {
    let mut query = listing(conn, actor, filter, order, page)
        .await?
        .into_query();
    let related = Related {
        events: false,
        event_groups: false,
        ..related
    };
    let mut columns = Columns::after(db::Column::iter().count());
    join(&mut query, &mut columns, related, Width::All);
    let rows = conn.query_all(&query).await?;
    let mut neighbours = Neighbours::default();
    let mut items = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        items.push(from_model(db::Model::from_query_result(row, "")?)?);
        // The row past the page only tells there is a next page; its neighbours are not shown.
        if (n as u64) < page.first {
            read(row, &columns, related, &mut neighbours)?;
        }
    }
    Ok((Page::from_overfetch(items, page), neighbours))
}

/// What the key queries show of an item (see `graphql/views.rs`): the ten columns a dashboard
/// or a review queue reads, without the body and the other twenty. The rest of an item, when
/// a field asks for it, is read again by the items' loader.
#[derive(Debug, Clone, PartialEq)]
pub struct Glance {
    pub id: ItemId,
    pub reference: String,
    pub title: RedactedText,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub origin_group_id: GroupId,
    pub current_group_id: GroupId,
    pub provider_id: Option<ProviderId>,
    pub latest_event_id: Option<ItemEventId>,
}

/// The columns of `items` a `Glance` holds, in the order `glance_at` reads them.
const GLANCE: [db::Column; 10] = [
    db::Column::Id,
    db::Column::Reference,
    db::Column::Title,
    db::Column::Status,
    db::Column::CreatedAt,
    db::Column::UpdatedAt,
    db::Column::OriginGroupId,
    db::Column::CurrentGroupId,
    db::Column::ProviderId,
    db::Column::LatestEventId,
];

fn glance_at(row: &QueryResult) -> AppResult<Glance> {
    let id: i64 = row.try_get_by_index(0)?;
    let status: String = row.try_get_by_index(3)?;
    Ok(Glance {
        id: ItemId(id),
        reference: row.try_get_by_index(1)?,
        title: row.try_get_by_index(2)?,
        status: Status::from_db(&status).ok_or_else(|| bad_stored(id, "status"))?,
        created_at: row.try_get_by_index(4)?,
        updated_at: row.try_get_by_index(5)?,
        origin_group_id: GroupId(row.try_get_by_index(6)?),
        current_group_id: GroupId(row.try_get_by_index(7)?),
        provider_id: row.try_get_by_index::<Option<i64>>(8)?.map(ProviderId),
        latest_event_id: row.try_get_by_index::<Option<i64>>(9)?.map(ItemEventId),
    })
}

/// `list_with` for a page that shows only what a `Glance` holds: the same statement (the same
/// filter, order, keyset and visibility), selecting those columns of `items` and a glance's of
/// each neighbour, and no others.
pub async fn glance_with(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    filter: ItemFilter,
    order: ItemOrder,
    page: PageRequest,
    related: Related,
) -> AppResult<(Page<Glance>, Glances)> {
    let mut query = listing(conn, actor, filter, order, page)
        .await?
        .into_query();
    query.clear_selects();
    for column in GLANCE {
        query.column((db::Entity, column));
    }
    let related = Related {
        events: false,
        event_groups: false,
        ..related
    };
    let mut columns = Columns::after(GLANCE.len());
    join(&mut query, &mut columns, related, Width::Glance);
    let rows = conn.query_all(&query).await?;
    let mut neighbours = Glances::default();
    let mut items = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        items.push(glance_at(row)?);
        if (n as u64) < page.first {
            read_glances(row, &columns, related, &mut neighbours)?;
        }
    }
    Ok((Page::from_overfetch(items, page), neighbours))
}

/// `by_reference`, with the neighbours `related` names read in the same statement. With
/// `events`, the item comes once per event (its trail is a list, not a to-one relation).
pub async fn by_reference_with(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    reference: &str,
    related: Related,
) -> AppResult<(Item, Neighbours)> {
    let mut query = super::by_reference_query(actor, reference)?.into_query();
    let mut columns = Columns::after(db::Column::iter().count());
    join_one(&mut query, &mut columns, related, Width::All);
    let rows = conn.query_all(&query).await?;
    let Some(first) = rows.first() else {
        return Err(not_found());
    };
    let item = from_model(db::Model::from_query_result(first, "")?)?;
    let mut neighbours = Neighbours::default();
    for row in &rows {
        read(row, &columns, related, &mut neighbours)?;
        if related.events {
            let trail = neighbours.trails.entry(item.id).or_default();
            if let Some(event) = event_in(row, &columns, EV)? {
                trail.push(event);
            }
            if related.event_groups {
                group_in(row, &columns, EVG, &mut neighbours.groups)?;
                group_in(row, &columns, EVF, &mut neighbours.groups)?;
            }
        }
    }
    Ok((item, neighbours))
}

/// `by_reference_with` for an item shown only by what a `Glance` holds, with its trail: the
/// same statement, selecting those columns of `items` and a glance's of each neighbour. Each
/// of the item's rows (one per event) would otherwise carry its body and every other column
/// again.
pub async fn glance_by_reference_with(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    reference: &str,
    related: Related,
) -> AppResult<(Glance, Glances)> {
    let mut query = super::by_reference_query(actor, reference)?.into_query();
    query.clear_selects();
    for column in GLANCE {
        query.column((db::Entity, column));
    }
    let mut columns = Columns::after(GLANCE.len());
    join_one(&mut query, &mut columns, related, Width::Glance);
    let rows = conn.query_all(&query).await?;
    let Some(first) = rows.first() else {
        return Err(not_found());
    };
    let item = glance_at(first)?;
    let mut neighbours = Glances::default();
    for row in &rows {
        read_glances(row, &columns, related, &mut neighbours)?;
        if related.events {
            let trail = neighbours.trails.entry(item.id).or_default();
            if let Some(event) = event_glance_in(row, &columns, EV)? {
                trail.push(event);
            }
            if related.event_groups {
                group_glance_in(row, &columns, EVG, &mut neighbours.groups)?;
                group_glance_in(row, &columns, EVF, &mut neighbours.groups)?;
            }
        }
    }
    Ok((item, neighbours))
}

/// `join`, and for one item its events (one row each, oldest first) with their groups.
fn join_one(query: &mut SelectStatement, columns: &mut Columns, related: Related, width: Width) {
    join(query, columns, related, width);
    if related.events {
        join_all::<event_db::Entity>(
            query,
            columns,
            EV,
            Expr::col((Alias::new(EV.alias), event_db::Column::ItemId))
                .equals((db::Entity, db::Column::Id)),
            width_of(width, &EVENT_GLANCE),
        );
        if related.event_groups {
            group_of(
                query,
                columns,
                EVG,
                EV.alias,
                event_db::Column::GroupId,
                width,
            );
            group_of(
                query,
                columns,
                EVF,
                EV.alias,
                event_db::Column::FromGroupId,
                width,
            );
        }
        query.order_by((Alias::new(EV.alias), event_db::Column::Id), Order::Asc);
    }
}

/// The columns of `E` a statement of `width` reads: all of them, or `glance`.
fn width_of<C: ColumnTrait + Iterable>(width: Width, glance: &[C]) -> Vec<C> {
    match width {
        Width::All => C::iter().collect(),
        Width::Glance => glance.to_vec(),
    }
}

/// Left-joins `E` as `alias` on `on`, selecting each of `read` (its id first) as
/// `{alias}_{column}`.
fn join_all<E: EntityTrait>(
    query: &mut SelectStatement,
    columns: &mut Columns,
    joined: Joined,
    on: SimpleExpr,
    read: Vec<E::Column>,
) {
    let table = Alias::new(joined.alias);
    query.join_as(JoinType::LeftJoin, E::default(), table.clone(), on);
    columns.starts[joined.slot] = Some(columns.next);
    for column in read {
        query.expr_as(
            Expr::col((table.clone(), column)),
            Alias::new(format!("{}{}", joined.prefix, column.as_str())),
        );
        columns.next += 1;
    }
}

/// Left-joins the group that `from.column` names, as `alias`.
fn group_of(
    query: &mut SelectStatement,
    columns: &mut Columns,
    joined: Joined,
    from: &str,
    column: impl ColumnTrait,
    width: Width,
) {
    join_all::<group_db::Entity>(
        query,
        columns,
        joined,
        Expr::col((Alias::new(joined.alias), group_db::Column::Id))
            .equals((Alias::new(from), column)),
        width_of(width, &GROUP_GLANCE),
    );
}

fn join(query: &mut SelectStatement, columns: &mut Columns, related: Related, width: Width) {
    let items = || Alias::new(ITEMS);
    if related.origin_group || related.origin_parent {
        group_of(query, columns, OG, ITEMS, db::Column::OriginGroupId, width);
    }
    if related.origin_parent {
        group_of(
            query,
            columns,
            OGP,
            OG.alias,
            group_db::Column::ParentId,
            width,
        );
    }
    if related.current_group {
        group_of(query, columns, CG, ITEMS, db::Column::CurrentGroupId, width);
    }
    if related.provider {
        join_all::<provider::Entity>(
            query,
            columns,
            PR,
            Expr::col((Alias::new(PR.alias), provider::Column::Id))
                .equals((items(), db::Column::ProviderId)),
            width_of(width, &PROVIDER_GLANCE),
        );
    }
    if related.latest_event || related.latest_event_group {
        join_all::<event_db::Entity>(
            query,
            columns,
            LE,
            Expr::col((Alias::new(LE.alias), event_db::Column::Id))
                .equals((items(), db::Column::LatestEventId)),
            width_of(width, &EVENT_GLANCE),
        );
    }
    if related.latest_event_group {
        group_of(
            query,
            columns,
            LEG,
            LE.alias,
            event_db::Column::GroupId,
            width,
        );
    }
}

/// The id of the row the left join `joined` found, if it found one.
fn found(row: &QueryResult, columns: &Columns, joined: Joined) -> AppResult<Option<i64>> {
    Ok(row.try_get_by_index::<Option<i64>>(columns.start(joined))?)
}

/// The model of `E` joined as `joined`, read by position from `at`; in debug builds (every
/// test) checked against the same model read by name.
fn model_at<M: FromQueryResult + PartialEq + std::fmt::Debug>(
    row: &QueryResult,
    joined: Joined,
    read: impl FnOnce(&dyn Fn(usize) -> usize) -> Result<M, sea_orm::DbErr>,
    at: usize,
) -> AppResult<M> {
    let model = read(&|n| at + n)?;
    debug_assert_eq!(
        model,
        M::from_query_result(row, joined.prefix)?,
        "{} read by position",
        joined.alias
    );
    Ok(model)
}

/// The group joined as `joined`, unless it was read already (the same PPG, district and
/// council recur down a page).
fn group_in(
    row: &QueryResult,
    columns: &Columns,
    joined: Joined,
    groups: &mut HashMap<GroupId, Group>,
) -> AppResult<()> {
    let Some(id) = found(row, columns, joined)? else {
        return Ok(());
    };
    if groups.contains_key(&GroupId(id)) {
        return Ok(());
    }
    let model = model_at(
        row,
        joined,
        |n| {
            Ok(group_db::Model {
                id,
                kind: row.try_get_by_index(n(1))?,
                name: row.try_get_by_index(n(2))?,
                parent_id: row.try_get_by_index(n(3))?,
                practice_code: row.try_get_by_index(n(4))?,
                created_at: row.try_get_by_index(n(5))?,
                updated_at: row.try_get_by_index(n(6))?,
                area_id: row.try_get_by_index(n(7))?,
            })
        },
        columns.start(joined),
    )?;
    let group = groups::from_model(model)?;
    groups.insert(group.id, group);
    Ok(())
}

fn provider_in(
    row: &QueryResult,
    columns: &Columns,
    into: &mut HashMap<ProviderId, Provider>,
) -> AppResult<()> {
    let Some(id) = found(row, columns, PR)? else {
        return Ok(());
    };
    if into.contains_key(&ProviderId(id)) {
        return Ok(());
    }
    let model = model_at(
        row,
        PR,
        |n| {
            Ok(provider::Model {
                id,
                name: row.try_get_by_index(n(1))?,
                kind: row.try_get_by_index(n(2))?,
                ods_code: row.try_get_by_index(n(3))?,
                parent_id: row.try_get_by_index(n(4))?,
                created_at: row.try_get_by_index(n(5))?,
                import_id: row.try_get_by_index(n(6))?,
            })
        },
        columns.start(PR),
    )?;
    let provider = providers::from_model(model)?;
    into.insert(provider.id, provider);
    Ok(())
}

fn event_in(row: &QueryResult, columns: &Columns, joined: Joined) -> AppResult<Option<ItemEvent>> {
    let Some(id) = found(row, columns, joined)? else {
        return Ok(None);
    };
    let model = model_at(
        row,
        joined,
        |n| {
            Ok(event_db::Model {
                id,
                item_id: row.try_get_by_index(n(1))?,
                at: row.try_get_by_index(n(2))?,
                actor_id: row.try_get_by_index(n(3))?,
                kind: row.try_get_by_index(n(4))?,
                from_status: row.try_get_by_index(n(5))?,
                to_status: row.try_get_by_index(n(6))?,
                from_group_id: row.try_get_by_index(n(7))?,
                group_id: row.try_get_by_index(n(8))?,
                note: row.try_get_by_index(n(9))?,
                outcome: row.try_get_by_index(n(10))?,
                meeting_id: row.try_get_by_index(n(11))?,
            })
        },
        columns.start(joined),
    )?;
    event_from_model(model).map(Some)
}

fn read(
    row: &QueryResult,
    columns: &Columns,
    related: Related,
    into: &mut Neighbours,
) -> AppResult<()> {
    if related.origin_group || related.origin_parent {
        group_in(row, columns, OG, &mut into.groups)?;
    }
    if related.origin_parent {
        group_in(row, columns, OGP, &mut into.groups)?;
    }
    if related.current_group {
        group_in(row, columns, CG, &mut into.groups)?;
    }
    if related.provider {
        provider_in(row, columns, &mut into.providers)?;
    }
    if (related.latest_event || related.latest_event_group)
        && let Some(event) = event_in(row, columns, LE)?
    {
        into.events.insert(event.id, event);
    }
    if related.latest_event_group {
        group_in(row, columns, LEG, &mut into.groups)?;
    }
    Ok(())
}

/// `read`, for a statement of glances.
fn read_glances(
    row: &QueryResult,
    columns: &Columns,
    related: Related,
    into: &mut Glances,
) -> AppResult<()> {
    if related.origin_group || related.origin_parent {
        group_glance_in(row, columns, OG, &mut into.groups)?;
    }
    if related.origin_parent {
        group_glance_in(row, columns, OGP, &mut into.groups)?;
    }
    if related.current_group {
        group_glance_in(row, columns, CG, &mut into.groups)?;
    }
    if related.provider
        && let Some(id) = found(row, columns, PR)?
        && !into.providers.contains_key(&ProviderId(id))
    {
        let at = columns.start(PR);
        let name: String = row.try_get_by_index(at + 1)?;
        debug_assert_eq!(name, row.try_get::<String>(PR.prefix, "name")?);
        let provider = ProviderGlance {
            id: ProviderId(id),
            name: ProviderName::parse(&name)
                .map_err(|_| crate::services::corrupt("providers", id, "name"))?,
        };
        into.providers.insert(provider.id, provider);
    }
    if (related.latest_event || related.latest_event_group)
        && let Some(event) = event_glance_in(row, columns, LE)?
    {
        into.events.insert(event.id, event);
    }
    if related.latest_event_group {
        group_glance_in(row, columns, LEG, &mut into.groups)?;
    }
    Ok(())
}

/// The group joined as `joined` (`GROUP_GLANCE`'s columns), unless it was read already.
fn group_glance_in(
    row: &QueryResult,
    columns: &Columns,
    joined: Joined,
    groups: &mut HashMap<GroupId, GroupGlance>,
) -> AppResult<()> {
    let Some(id) = found(row, columns, joined)? else {
        return Ok(());
    };
    if groups.contains_key(&GroupId(id)) {
        return Ok(());
    }
    let at = columns.start(joined);
    let corrupt = |what| crate::services::corrupt("groups", id, what);
    let kind: String = row.try_get_by_index(at + 1)?;
    let name: String = row.try_get_by_index(at + 2)?;
    let parent_id: Option<i64> = row.try_get_by_index(at + 3)?;
    debug_assert_eq!(
        (&kind, &name, parent_id),
        (
            &row.try_get::<String>(joined.prefix, "kind")?,
            &row.try_get::<String>(joined.prefix, "name")?,
            row.try_get::<Option<i64>>(joined.prefix, "parent_id")?
        ),
        "{} read by position",
        joined.alias
    );
    let group = GroupGlance {
        id: GroupId(id),
        kind: GroupKind::from_db(&kind).ok_or_else(|| corrupt("kind"))?,
        name: GroupName::parse(&name).map_err(|_| corrupt("name"))?,
        parent_id: parent_id.map(GroupId),
    };
    groups.insert(group.id, group);
    Ok(())
}

/// The event joined as `joined` (`EVENT_GLANCE`'s columns), if the join found one.
fn event_glance_in(
    row: &QueryResult,
    columns: &Columns,
    joined: Joined,
) -> AppResult<Option<EventGlance>> {
    let Some(id) = found(row, columns, joined)? else {
        return Ok(None);
    };
    let at = columns.start(joined);
    let bad = |what| crate::services::corrupt("item_events", id, what);
    let status = |stored: &str| Status::from_db(stored).ok_or_else(|| bad("status"));
    let kind: String = row.try_get_by_index(at + 2)?;
    let from_status: Option<String> = row.try_get_by_index(at + 3)?;
    let to_status: String = row.try_get_by_index(at + 4)?;
    let event = EventGlance {
        id: ItemEventId(id),
        at: row.try_get_by_index(at + 1)?,
        kind: EventKind::from_db(&kind).ok_or_else(|| bad("kind"))?,
        from_status: from_status.as_deref().map(status).transpose()?,
        to_status: status(&to_status)?,
        from_group_id: row.try_get_by_index::<Option<i64>>(at + 5)?.map(GroupId),
        group_id: GroupId(row.try_get_by_index(at + 6)?),
    };
    debug_assert_eq!(
        (event.at, &kind, event.group_id.0),
        (
            row.try_get::<DateTime<Utc>>(joined.prefix, "at")?,
            &row.try_get::<String>(joined.prefix, "kind")?,
            row.try_get::<i64>(joined.prefix, "group_id")?
        ),
        "{} read by position",
        joined.alias
    );
    Ok(Some(event))
}
