//! Finding items: the filtered, ordered, keyset-paged list (with full-text search) that
//! dashboards and review queues read, and the items waiting at a group for its next meeting.

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::rows::{from_model, reached_any, visible};
use crate::domain::authz::{self, Actor, Visibility};
use crate::domain::change::ChangeState;
use crate::domain::group::Group;
use crate::domain::item::{Item, ItemKind, Sentiment, Status};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{GroupId, ItemEventId, ItemId, MemberId, ProviderId};
use crate::entities::{item as db, item_classification, item_tag, planned_change};
use crate::error::{AppError, AppResult};
use crate::services::groups;

#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Items raised in or that have reached this group...
    pub group: Option<GroupId>,
    /// ...or any group below it.
    pub include_below: bool,
    /// Items held at this group now.
    pub held_at: Option<GroupId>,
    pub statuses: Vec<Status>,
    pub kinds: Vec<ItemKind>,
    pub provider: Option<ProviderId>,
    /// Items with this free tag.
    pub tag: Option<String>,
    /// Items classified under this theme (a heading takes in its subheadings).
    pub theme: Option<crate::domain::ThemeId>,
    pub sentiment: Option<Sentiment>,
    pub safety_concern: Option<bool>,
    /// Raised on or after this day.
    pub raised_from: Option<NaiveDate>,
    /// Raised on or before this day.
    pub raised_to: Option<NaiveDate>,
    pub submitted_by: Option<MemberId>,
    /// Words to find in the title or text.
    pub search: Option<String>,
    /// Raised after this moment (a watch's digest: since the last one).
    pub raised_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Raised at or before this moment.
    pub raised_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Scored at least this severe.
    pub min_severity: Option<crate::domain::item::Severity>,
    /// Referred, unanswered and past the day the answer was due (`Some(true)`), or not.
    pub overdue: Option<bool>,
    /// With a planned change still planned and due by today (`Some(true)`), or not.
    pub change_due: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ItemOrder {
    /// Most recently raised first.
    #[default]
    Newest,
    Oldest,
    /// Most recently moved, answered or noted first.
    RecentlyUpdated,
}

impl ItemOrder {
    /// The value a page's cursor holds for this order.
    pub fn cursor_of(self, item: &Item) -> i64 {
        self.cursor_at(item.id, item.latest_event_id)
    }

    /// The same, from the two columns it is made of.
    pub fn cursor_at(self, id: ItemId, latest_event: Option<ItemEventId>) -> i64 {
        match self {
            ItemOrder::Newest | ItemOrder::Oldest => id.0,
            ItemOrder::RecentlyUpdated => latest_event.map_or(0, |e| e.0),
        }
    }
}

/// The longest search accepted, in characters, and the most words: enough for any search a
/// person types, and a bound on the work one request can ask of the full-text index.
pub const MAX_SEARCH_CHARS: usize = 200;
pub const MAX_SEARCH_WORDS: usize = 10;

fn search_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Checks what a person typed to search for.
fn check_search(text: &str) -> AppResult<()> {
    if text.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::bad_input(
            "search",
            format!("A search can be at most {MAX_SEARCH_CHARS} characters long."),
        ));
    }
    if search_words(text).len() > MAX_SEARCH_WORDS {
        return Err(AppError::bad_input(
            "search",
            format!("Search for at most {MAX_SEARCH_WORDS} words at a time."),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "search",
            "A search cannot contain line breaks or control characters.",
        ));
    }
    Ok(())
}

/// Turns a person's search words into an FTS5 query that cannot be a syntax error: each word
/// quoted, all required, each matching as a prefix.
fn fts5_query(text: &str) -> Option<String> {
    let words: Vec<String> = search_words(text)
        .into_iter()
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// A page of the items the caller may see that match the filter.
#[tracing::instrument(skip_all, fields(group = ?filter.group, held_at = ?filter.held_at))]
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    filter: ItemFilter,
    order: ItemOrder,
    page: PageRequest,
) -> AppResult<Page<Item>> {
    let rows = listing(conn, actor, filter, order, page)
        .await?
        .all(conn)
        .await?;
    let items = rows.into_iter().map(from_model).collect::<AppResult<_>>()?;
    Ok(Page::from_overfetch(items, page))
}

/// The statement behind `list`: the caller's visibility, the filter, the order and one row
/// more than the page (to tell whether there is a next page). `list` runs it as it is; the
/// dashboard's prefetch (`related::list_with`) joins what the query shows to the same rows.
pub(super) async fn listing(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    filter: ItemFilter,
    order: ItemOrder,
    page: PageRequest,
) -> AppResult<sea_orm::Select<db::Entity>> {
    authz::may_see_people(actor)?;
    if let Some(member) = filter.submitted_by
        && actor.member_id() != Some(member)
        && !matches!(actor, Actor::System)
    {
        // Who raised what is not for others to find out by filtering.
        return Err(AppError::bad_input(
            "submitterId",
            "You can list only your own items by submitter: use your own member id.",
        ));
    }
    let visibility = match (authz::visibility(actor), filter.held_at) {
        // Every item held at a group has reached it, so for a caller who sits in that group
        // the visibility check cannot exclude anything; skipping it lets the database use the
        // index on (current group, status, id) alone.
        (Visibility::Scoped { groups, .. }, Some(held)) if groups.contains(&held) => {
            Visibility::Everything
        }
        (visibility, _) => visibility,
    };
    let mut query = visible(db::Entity::find(), &visibility);
    if let Some(group) = filter.group {
        let mut groups = vec![group];
        if filter.include_below {
            groups.extend(groups::descendants(conn, group).await?);
        }
        query = query.filter(db::Column::Id.in_subquery(reached_any(&groups)));
    }
    if let Some(group) = filter.held_at {
        query = query.filter(db::Column::CurrentGroupId.eq(group.0));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(db::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if !filter.kinds.is_empty() {
        query = query.filter(db::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_str())));
    }
    if let Some(provider) = filter.provider {
        query = query.filter(db::Column::ProviderId.eq(provider.0));
    }
    if let Some(tag) = &filter.tag {
        query = query.filter(
            db::Column::Id.in_subquery(
                Query::select()
                    .column(item_tag::Column::ItemId)
                    .from(item_tag::Entity)
                    .and_where(item_tag::Column::Tag.eq(tag.trim().to_lowercase()))
                    .to_owned(),
            ),
        );
    }
    if let Some(theme) = filter.theme {
        let under_theme = Query::select()
            .column(crate::entities::theme::Column::Id)
            .from(crate::entities::theme::Entity)
            .cond_where(
                sea_orm::Condition::any()
                    .add(crate::entities::theme::Column::Id.eq(theme.0))
                    .add(crate::entities::theme::Column::ParentId.eq(theme.0)),
            )
            .to_owned();
        query = query.filter(
            db::Column::Id.in_subquery(
                Query::select()
                    .column(item_classification::Column::ItemId)
                    .from(item_classification::Entity)
                    .and_where(item_classification::Column::ThemeId.in_subquery(under_theme))
                    .to_owned(),
            ),
        );
    }
    if let Some(sentiment) = filter.sentiment {
        query = query.filter(db::Column::Sentiment.eq(sentiment.as_str()));
    }
    if let Some(safety) = filter.safety_concern {
        query = query.filter(db::Column::SafetyConcern.eq(safety));
    }
    if let Some(overdue) = filter.overdue {
        let today = crate::domain::clock::uk_date(crate::services::now());
        let late = sea_orm::Condition::all()
            .add(db::Column::Status.eq(crate::domain::item::Status::Referred.as_str()))
            .add(db::Column::ResponseDueOn.lt(today));
        query = query.filter(if overdue { late } else { late.not() });
    }
    if let Some(due) = filter.change_due {
        let today = crate::domain::clock::uk_date(crate::services::now());
        let changes = Query::select()
            .column(planned_change::Column::ItemId)
            .from(planned_change::Entity)
            .and_where(planned_change::Column::State.eq(ChangeState::Planned.as_str()))
            .and_where(planned_change::Column::DueOn.lte(today))
            .to_owned();
        query = query.filter(if due {
            db::Column::Id.in_subquery(changes)
        } else {
            db::Column::Id.not_in_subquery(changes)
        });
    }
    if let Some(from) = filter.raised_from {
        query =
            query.filter(db::Column::CreatedAt.gte(from.and_hms_opt(0, 0, 0).map(|t| t.and_utc())));
    }
    if let Some(to) = filter.raised_to {
        let next_day = to
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        query = query.filter(db::Column::CreatedAt.lt(next_day));
    }
    if let Some(member) = filter.submitted_by {
        query = query.filter(db::Column::SubmitterId.eq(member.0));
    }
    if let Some(after) = filter.raised_after {
        query = query.filter(db::Column::CreatedAt.gt(after));
    }
    if let Some(until) = filter.raised_until {
        query = query.filter(db::Column::CreatedAt.lte(until));
    }
    if let Some(severity) = filter.min_severity {
        query = query.filter(db::Column::Severity.gte(i16::from(severity.value())));
    }
    if let Some(text) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        check_search(text)?;
        query = match conn.get_database_backend() {
            DatabaseBackend::Sqlite => match fts5_query(text) {
                Some(fts) => query.filter(Expr::cust_with_values(
                    "items.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)",
                    [fts],
                )),
                None => query,
            },
            _ => query.filter(Expr::cust_with_values(
                "items.search @@ websearch_to_tsquery('english', $1)",
                [text.to_owned()],
            )),
        };
    }
    let key = match order {
        ItemOrder::Newest | ItemOrder::Oldest => db::Column::Id,
        ItemOrder::RecentlyUpdated => db::Column::LatestEventId,
    };
    query = match (order, page.after) {
        (ItemOrder::Oldest, Some(after)) => query.filter(key.gt(after)),
        (_, Some(after)) => query.filter(key.lt(after)),
        (_, None) => query,
    };
    query = match order {
        ItemOrder::Oldest => query.order_by_asc(key),
        _ => query.order_by_desc(key),
    };
    Ok(query.limit(page.first + 1))
}

/// The items waiting at a group for it to decide what to do with them, oldest first: held
/// there with the status of that tier, not answered, and not travelling with another item
/// (those are decided with their lead); and the answered items whose planned change came
/// back to this group at its due date and is not yet recorded ("was it done?"). What a
/// meeting's agenda lists and a newsletter's "still waiting" reports.
pub async fn waiting_at(conn: &impl ConnectionTrait, group: &Group) -> AppResult<Vec<Item>> {
    let held = sea_orm::Condition::all()
        .add(db::Column::CurrentGroupId.eq(group.id.0))
        .add(db::Column::Status.eq(Status::held_at(group.kind).as_str()))
        .add(db::Column::LeadItemId.is_null());
    let returned = Query::select()
        .column(planned_change::Column::ItemId)
        .from(planned_change::Entity)
        .and_where(planned_change::Column::ReferringGroupId.eq(group.id.0))
        .and_where(planned_change::Column::State.eq(ChangeState::Planned.as_str()))
        .and_where(planned_change::Column::ReturnedAt.is_not_null())
        .to_owned();
    db::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(held)
                .add(db::Column::Id.in_subquery(returned)),
        )
        .order_by_asc(db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_bounded_and_cannot_be_fts_syntax() {
        assert!(check_search("out of hours call-back").is_ok());
        assert_eq!(
            check_search(&"a".repeat(MAX_SEARCH_CHARS + 1))
                .unwrap_err()
                .field(),
            Some("search")
        );
        let many = ["word"; MAX_SEARCH_WORDS + 1].join(" ");
        assert!(check_search(&many).is_err());
        assert_eq!(
            fts5_query("NEAR(\"a\" OR b*)").as_deref(),
            Some("\"NEAR\"* \"a\"* \"OR\"* \"b\"*")
        );
        assert_eq!(fts5_query("  ** "), None);
    }
}
