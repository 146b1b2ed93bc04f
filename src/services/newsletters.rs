//! Newsletters come down: a district's or the council's officers compile a draft from the
//! group's own activity in a period, edit it, and publish it once; publishing cascades it to
//! every group below and queues one delivery per linked chat channel in the same transaction.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::outbox::{self, Destination};
use super::{audit, chat, groups, providers};
use crate::domain::authz::{self, Actor};
use crate::domain::group::GroupKind;
use crate::domain::item::{self as item_rules, EventKind, Outcome, Status};
use crate::domain::newsletter::{
    self as rules, Activity, Entry, Happening, ItemFact, MeetingFact, Newsletter, NewsletterStatus,
    PatternFact, Period, Section,
};
use crate::domain::page::{Page, PageRequest};
use crate::domain::redaction;
use crate::domain::{GroupId, ItemId, ProviderId};
use crate::entities::{
    item, item_event, item_group, meeting, newsletter as db, newsletter_entry as entry_db,
    newsletter_receipt as receipt_db, outbox as outbox_db,
};
use crate::error::{AppError, AppResult};

/// Where a published newsletter can be read, relative to Pyramid's public address.
pub fn path(id: i64) -> String {
    format!("/newsletters/{id}")
}

/// How a delivery of a newsletter to one group's channel is going.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub group_id: GroupId,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn not_found() -> AppError {
    AppError::NotFound("There is no newsletter with that id, or you cannot see it.".to_owned())
}

fn is_officer(actor: &Actor, group: GroupId) -> bool {
    authz::runs_group(actor, group)
}

fn check_officer(actor: &Actor, group: GroupId) -> AppResult<()> {
    Ok(authz::may_run_group(
        actor,
        group,
        "Only the secretary or chair of the issuing group can compile, edit and publish its newsletter.",
    )?)
}

fn from_models(model: db::Model, entries: Vec<entry_db::Model>) -> AppResult<Newsletter> {
    let bad = |what| super::corrupt("newsletters", model.id, what);
    let entries = entries
        .into_iter()
        .map(|e| {
            Ok(Entry {
                id: Some(e.id),
                section: Section::from_db(&e.section)
                    .ok_or_else(|| super::corrupt("newsletter_entries", e.id, "section"))?,
                item_id: e.item_id.map(ItemId),
                heading: e.heading,
                body: e.body,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Newsletter {
        id: model.id,
        group_id: GroupId(model.group_id),
        period: Period {
            start: model.period_start,
            end: model.period_end,
        },
        title: model.title,
        introduction: model.introduction,
        status: NewsletterStatus::from_db(&model.status).ok_or_else(|| bad("status"))?,
        published_at: model.published_at,
        entries,
    })
}

async fn load(conn: &impl ConnectionTrait, id: i64) -> AppResult<Newsletter> {
    let model = db::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let entries = entry_db::Entity::find()
        .filter(entry_db::Column::NewsletterId.eq(id))
        .order_by_asc(entry_db::Column::Position)
        .order_by_asc(entry_db::Column::Id)
        .all(conn)
        .await?;
    from_models(model, entries)
}

/// A newsletter, if the caller may see it: published ones are public documents; drafts are
/// seen by the issuing group's officers only.
pub async fn get(conn: &impl ConnectionTrait, actor: &Actor, id: i64) -> AppResult<Newsletter> {
    let newsletter = load(conn, id).await?;
    match newsletter.status {
        NewsletterStatus::Published => Ok(newsletter),
        NewsletterStatus::Draft if is_officer(actor, newsletter.group_id) => Ok(newsletter),
        NewsletterStatus::Draft => Err(not_found()),
    }
}

/// The newsletters a group issued (drafts too, for its officers), or those it received.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    group: GroupId,
    received: bool,
    page: PageRequest,
) -> AppResult<Page<Newsletter>> {
    let mut query = db::Entity::find();
    if received {
        query = query.filter(
            db::Column::Id.in_subquery(
                Query::select()
                    .column(receipt_db::Column::NewsletterId)
                    .from(receipt_db::Entity)
                    .and_where(receipt_db::Column::GroupId.eq(group.0))
                    .to_owned(),
            ),
        );
    } else {
        query = query.filter(db::Column::GroupId.eq(group.0));
        if !is_officer(actor, group) {
            query = query.filter(db::Column::Status.eq(NewsletterStatus::Published.as_str()));
        }
    }
    if let Some(after) = page.after {
        query = query.filter(db::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(db::Column::Id)
        .limit(page.first + 1)
        .all(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut entries: HashMap<i64, Vec<entry_db::Model>> = HashMap::new();
    for entry in entry_db::Entity::find()
        .filter(entry_db::Column::NewsletterId.is_in(ids))
        .order_by_asc(entry_db::Column::Position)
        .order_by_asc(entry_db::Column::Id)
        .all(conn)
        .await?
    {
        entries.entry(entry.newsletter_id).or_default().push(entry);
    }
    let newsletters = rows
        .into_iter()
        .map(|row| {
            let own = entries.remove(&row.id).unwrap_or_default();
            from_models(row, own)
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(newsletters, page))
}

/// The latest newsletter a group received or issued (for the chat `/newsletter` command).
pub async fn latest_for(
    conn: &impl ConnectionTrait,
    group: GroupId,
) -> AppResult<Option<Newsletter>> {
    let received = Query::select()
        .column(receipt_db::Column::NewsletterId)
        .from(receipt_db::Entity)
        .and_where(receipt_db::Column::GroupId.eq(group.0))
        .to_owned();
    let latest = db::Entity::find()
        .filter(db::Column::Status.eq(NewsletterStatus::Published.as_str()))
        .filter(
            db::Column::Id
                .in_subquery(received)
                .or(db::Column::GroupId.eq(group.0)),
        )
        .order_by_desc(db::Column::PublishedAt)
        .order_by_desc(db::Column::Id)
        .one(conn)
        .await?;
    match latest {
        Some(model) => Ok(Some(load(conn, model.id).await?)),
        None => Ok(None),
    }
}

/// Compiles a draft from the group's activity in the period.
pub async fn compile(
    db: &DatabaseConnection,
    actor: &Actor,
    group_id: GroupId,
    start: NaiveDate,
    end: NaiveDate,
) -> AppResult<Newsletter> {
    check_officer(actor, group_id)?;
    let period = Period::parse(start, end)?;
    let txn = db.begin().await?;
    let group = groups::get(&txn, group_id).await?;
    if group.kind == GroupKind::Ppg {
        return Err(AppError::bad_input(
            "groupId",
            "PPGs receive newsletters from their district and the council; District Groups and the Patients' Council issue them.",
        ));
    }
    let activity = gather(&txn, group.id, period).await?;
    let entries = rules::compose(&activity);
    let now = super::now();
    let model = db::ActiveModel {
        group_id: Set(group.id.0),
        period_start: Set(period.start),
        period_end: Set(period.end),
        title: Set(format!(
            "{} newsletter, {}",
            group.name.as_str(),
            period.describe()
        )),
        introduction: Set(String::new()),
        status: Set(NewsletterStatus::Draft.as_str().to_owned()),
        created_by: Set(actor.member_id().map(|m| m.0)),
        created_at: Set(now),
        published_by: Set(None),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (index, entry) in entries.iter().enumerate() {
        insert_entry(&txn, model.id, index as i32 + 1, entry).await?;
    }
    audit::record(
        &txn,
        actor,
        "newsletter.compiled",
        audit::Subject::Newsletter(model.id),
        json!({ "group_id": group.id.0, "entries": entries.len() }),
    )
    .await?;
    txn.commit().await?;
    load(db, model.id).await
}

async fn insert_entry(
    conn: &impl ConnectionTrait,
    newsletter: i64,
    position: i32,
    entry: &Entry,
) -> AppResult<entry_db::Model> {
    Ok(entry_db::ActiveModel {
        newsletter_id: Set(newsletter),
        position: Set(position),
        section: Set(entry.section.as_str().to_owned()),
        item_id: Set(entry.item_id.map(|i| i.0)),
        heading: Set(entry.heading.clone()),
        body: Set(entry.body.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// Collects what the group did and received in the period.
async fn gather(
    conn: &impl ConnectionTrait,
    group: GroupId,
    period: Period,
) -> AppResult<Activity> {
    let from = period.start.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let to = period
        .end
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let reached = Query::select()
        .column(item_group::Column::ItemId)
        .from(item_group::Entity)
        .and_where(item_group::Column::GroupId.eq(group.0))
        .to_owned();
    // Moves at or from this group, and answers to items that passed through it.
    let events = item_event::Entity::find()
        .filter(item_event::Column::At.gte(from))
        .filter(item_event::Column::At.lt(to))
        .filter(
            Expr::col(item_event::Column::GroupId)
                .eq(group.0)
                .or(Expr::col(item_event::Column::FromGroupId).eq(group.0))
                .or(Expr::col(item_event::Column::Kind)
                    .is_in([EventKind::Responded.as_str(), EventKind::Linked.as_str()])
                    .and(Expr::col(item_event::Column::ItemId).in_subquery(reached.clone()))),
        )
        .order_by_asc(item_event::Column::Id)
        .all(conn)
        .await?;
    let safety_items = item::Entity::find()
        .filter(item::Column::SafetyConcern.eq(true))
        .filter(item::Column::Id.in_subquery(reached.clone()))
        .filter(item::Column::ReferredAt.gte(from))
        .filter(item::Column::ReferredAt.lt(to))
        .order_by_asc(item::Column::Id)
        .all(conn)
        .await?;
    let waiting_status = Status::held_at(groups::get(conn, group).await?.kind);
    let waiting = item::Entity::find()
        .filter(item::Column::CurrentGroupId.eq(group.0))
        .filter(item::Column::Status.eq(waiting_status.as_str()))
        .filter(item::Column::LeadItemId.is_null())
        .order_by_asc(item::Column::Id)
        .all(conn)
        .await?;
    let linked_leads: BTreeSet<i64> = item::Entity::find()
        .filter(
            item::Column::Id.is_in(
                events
                    .iter()
                    .filter(|e| e.kind == EventKind::Linked.as_str())
                    .map(|e| e.item_id),
            ),
        )
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|i| i.lead_item_id)
        .collect();
    let followers = item::Entity::find()
        .filter(item::Column::LeadItemId.is_in(linked_leads.iter().copied()))
        .all(conn)
        .await?;
    let meetings = meeting::Entity::find()
        .filter(meeting::Column::GroupId.eq(group.0))
        .filter(meeting::Column::HeldOn.gte(period.start))
        .filter(meeting::Column::HeldOn.lte(period.end))
        .order_by_asc(meeting::Column::HeldOn)
        .all(conn)
        .await?;
    let minuted = item_event::Entity::find()
        .filter(item_event::Column::MeetingId.is_in(meetings.iter().map(|m| m.id)))
        .order_by_asc(item_event::Column::Id)
        .all(conn)
        .await?;

    // Everything the entries name, loaded once.
    let mut item_ids: BTreeSet<i64> = events.iter().map(|e| e.item_id).collect();
    item_ids.extend(safety_items.iter().map(|i| i.id));
    item_ids.extend(waiting.iter().map(|i| i.id));
    item_ids.extend(linked_leads.iter().copied());
    item_ids.extend(followers.iter().map(|i| i.id));
    item_ids.extend(minuted.iter().map(|e| e.item_id));
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut group_ids: BTreeSet<GroupId> =
        items.values().map(|i| GroupId(i.origin_group_id)).collect();
    group_ids.extend(events.iter().map(|e| GroupId(e.group_id)));
    group_ids.extend(events.iter().filter_map(|e| e.from_group_id.map(GroupId)));
    let group_names: HashMap<GroupId, String> =
        groups::get_many(conn, &group_ids.into_iter().collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|(id, g)| (id, g.name.as_str().to_owned()))
            .collect();
    let provider_ids: Vec<ProviderId> = items
        .values()
        .filter_map(|i| i.provider_id.map(ProviderId))
        .collect();
    let provider_names: HashMap<ProviderId, String> = providers::get_many(conn, &provider_ids)
        .await?
        .into_iter()
        .map(|(id, p)| (id, p.name.as_str().to_owned()))
        .collect();
    let name_of = |id: GroupId| {
        group_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "another group".to_owned())
    };
    let fact = |model: &item::Model| ItemFact {
        id: ItemId(model.id),
        reference: model.reference.clone(),
        title: model.title.clone(),
        provider: model
            .provider_id
            .and_then(|p| provider_names.get(&ProviderId(p)).cloned())
            .or_else(|| model.provider_name.clone()),
        status: Status::from_db(&model.status).unwrap_or(Status::Raised),
        safety_concern: model.safety_concern,
        origin_group: name_of(GroupId(model.origin_group_id)),
    };

    let mut activity = Activity {
        safety: safety_items.iter().map(fact).collect(),
        waiting: waiting.iter().map(fact).collect(),
        ..Default::default()
    };
    for event in &events {
        let Some(model) = items.get(&event.item_id) else {
            continue;
        };
        // Followers are reported through their lead, as one matter.
        if model.lead_item_id.is_some() && event.kind != EventKind::Linked.as_str() {
            continue;
        }
        let kind = EventKind::from_db(&event.kind);
        let happening = match kind {
            Some(EventKind::Escalated) if event.group_id == group.0 => {
                event.from_group_id.map(|from| Happening::Received {
                    item: fact(model),
                    from: name_of(GroupId(from)),
                })
            }
            Some(EventKind::Escalated) if event.from_group_id == Some(group.0) => {
                Some(Happening::TakenUp {
                    item: fact(model),
                    to: name_of(GroupId(event.group_id)),
                })
            }
            Some(EventKind::Referred) if event.group_id == group.0 => Some(Happening::TakenUp {
                item: fact(model),
                to: "the commissioners".to_owned(),
            }),
            Some(EventKind::Responded) => Some(Happening::Answered {
                item: fact(model),
                answer: event.note.clone().unwrap_or_default(),
                outcome: event
                    .outcome
                    .as_deref()
                    .and_then(Outcome::from_db)
                    .unwrap_or(Outcome::NoAction),
            }),
            Some(EventKind::Closed) if event.group_id == group.0 => Some(Happening::Closed {
                item: fact(model),
                note: event.note.clone(),
            }),
            _ => None,
        };
        activity.happenings.extend(happening);
    }
    for lead in &linked_leads {
        let Some(model) = items.get(lead) else {
            continue;
        };
        let reports: Vec<&item::Model> = followers
            .iter()
            .filter(|f| f.lead_item_id == Some(*lead))
            .collect();
        let mut groups: Vec<String> = std::iter::once(model)
            .chain(reports.iter().copied())
            .map(|i| name_of(GroupId(i.origin_group_id)))
            .collect();
        groups.sort();
        groups.dedup();
        activity.patterns.push(PatternFact {
            lead: fact(model),
            reports: reports.len() + 1,
            groups,
        });
    }
    for meeting in &meetings {
        let decisions = minuted
            .iter()
            .filter(|e| e.meeting_id == Some(meeting.id))
            .filter_map(|e| {
                let item = items.get(&e.item_id)?;
                let what = match EventKind::from_db(&e.kind)? {
                    EventKind::Escalated | EventKind::Referred => "taken further",
                    EventKind::Responded => "answered",
                    EventKind::Closed => "resolved",
                    _ => "discussed",
                };
                Some(format!("{} ({}) {what}.", item.title, item.reference))
            })
            .collect();
        activity.meetings.push(MeetingFact {
            title: meeting.title.clone(),
            held_on: meeting.held_on,
            decisions,
        });
    }
    Ok(activity)
}

async fn load_draft_for_edit(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> AppResult<Newsletter> {
    let newsletter = get(conn, actor, id).await?;
    check_officer(actor, newsletter.group_id)?;
    if newsletter.status != NewsletterStatus::Draft {
        return Err(AppError::Conflict(
            "This newsletter is published: it can no longer be changed.".to_owned(),
        ));
    }
    Ok(newsletter)
}

/// Sets the title and introduction of a draft (`None` leaves one as it is).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    title: Option<String>,
    introduction: Option<String>,
) -> AppResult<Newsletter> {
    let txn = db.begin().await?;
    load_draft_for_edit(&txn, actor, id).await?;
    let mut row: db::ActiveModel = db::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?
        .into();
    if let Some(title) = title {
        row.title = Set(crate::domain::parse_text(
            "title",
            "The title",
            &title,
            200,
        )?);
    }
    if let Some(introduction) = introduction {
        let text = if introduction.trim().is_empty() {
            String::new()
        } else {
            redaction::redact(&item_rules::parse_body(
                "introduction",
                "The introduction",
                &introduction,
                4_000,
            )?)
            .text
        };
        row.introduction = Set(text);
    }
    row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "newsletter.edited",
        audit::Subject::Newsletter(id),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    load(db, id).await
}

async fn entry_and_draft(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    entry: i64,
) -> AppResult<(entry_db::Model, Newsletter)> {
    let row = entry_db::Entity::find_by_id(entry)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("newsletter entry"))?;
    let newsletter = load_draft_for_edit(conn, actor, row.newsletter_id).await?;
    Ok((row, newsletter))
}

/// Rewrites the numbering of a draft's entries as 1, 2, 3... in the given order.
async fn renumber(conn: &impl ConnectionTrait, ids: &[i64]) -> AppResult<()> {
    for (index, id) in ids.iter().enumerate() {
        entry_db::Entity::update_many()
            .col_expr(entry_db::Column::Position, Expr::value(index as i32 + 1))
            .filter(entry_db::Column::Id.eq(*id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Adds a free entry (an event, a consultation to take part in) at `position` (1 is first;
/// the end when left out).
pub async fn add_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    heading: &str,
    body: &str,
    position: Option<i32>,
) -> AppResult<Newsletter> {
    let (heading, body) = rules::parse_entry(heading, body)?;
    let txn = db.begin().await?;
    let draft = load_draft_for_edit(&txn, actor, id).await?;
    let entry = Entry {
        id: None,
        section: Section::Notice,
        item_id: None,
        heading: redaction::redact(&heading).text,
        body: redaction::redact(&body).text,
    };
    let row = insert_entry(&txn, id, i32::MAX, &entry).await?;
    let mut order: Vec<i64> = draft.entries.iter().filter_map(|e| e.id).collect();
    let at = position.map_or(order.len(), |p| {
        (Ord::max(p, 1) as usize - 1).min(order.len())
    });
    order.insert(at, row.id);
    renumber(&txn, &order).await?;
    txn.commit().await?;
    load(db, id).await
}

/// Rewrites an entry's heading and text.
pub async fn update_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: i64,
    heading: Option<String>,
    body: Option<String>,
) -> AppResult<Newsletter> {
    let txn = db.begin().await?;
    let (row, draft) = entry_and_draft(&txn, actor, entry).await?;
    let (heading, body) = rules::parse_entry(
        heading.as_deref().unwrap_or(&row.heading),
        body.as_deref().unwrap_or(&row.body),
    )?;
    let mut active: entry_db::ActiveModel = row.into();
    active.heading = Set(redaction::redact(&heading).text);
    active.body = Set(redaction::redact(&body).text);
    active.update(&txn).await?;
    txn.commit().await?;
    load(db, draft.id).await
}

pub async fn remove_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: i64,
) -> AppResult<Newsletter> {
    let txn = db.begin().await?;
    let (row, draft) = entry_and_draft(&txn, actor, entry).await?;
    entry_db::Entity::delete_by_id(row.id).exec(&txn).await?;
    let order: Vec<i64> = draft
        .entries
        .iter()
        .filter_map(|e| e.id)
        .filter(|id| *id != row.id)
        .collect();
    renumber(&txn, &order).await?;
    txn.commit().await?;
    load(db, draft.id).await
}

/// Moves an entry to `position` (1 is first).
pub async fn move_entry(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: i64,
    position: i32,
) -> AppResult<Newsletter> {
    if position < 1 {
        return Err(AppError::bad_input("position", "Positions start at 1."));
    }
    let txn = db.begin().await?;
    let (row, draft) = entry_and_draft(&txn, actor, entry).await?;
    let mut order: Vec<i64> = draft
        .entries
        .iter()
        .filter_map(|e| e.id)
        .filter(|id| *id != row.id)
        .collect();
    let at = (position as usize - 1).min(order.len());
    order.insert(at, row.id);
    renumber(&txn, &order).await?;
    txn.commit().await?;
    load(db, draft.id).await
}

/// Publishes a draft: freezes it, records every group below as having received it, and
/// queues one delivery per linked chat channel, all in one transaction. Publishing again (a
/// retry, a double click) changes nothing and queues nothing. Returns whether this call
/// published it.
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<(Newsletter, bool)> {
    let txn = db.begin().await?;
    let newsletter = get(&txn, actor, id).await?;
    check_officer(actor, newsletter.group_id)?;
    if newsletter.status == NewsletterStatus::Published {
        return Ok((newsletter, false));
    }
    let now = super::now();
    // Only one publisher wins, even when two requests race on PostgreSQL.
    let claimed = db::Entity::update_many()
        .col_expr(
            db::Column::Status,
            Expr::value(NewsletterStatus::Published.as_str()),
        )
        .col_expr(db::Column::PublishedAt, Expr::value(now))
        .col_expr(
            db::Column::PublishedBy,
            Expr::value(actor.member_id().map(|m| m.0)),
        )
        .filter(db::Column::Id.eq(id))
        .filter(db::Column::Status.eq(NewsletterStatus::Draft.as_str()))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        txn.rollback().await?;
        return Ok((load(db, id).await?, false));
    }
    let receivers = groups::descendants(&txn, newsletter.group_id).await?;
    for group in &receivers {
        receipt_db::ActiveModel {
            newsletter_id: Set(id),
            group_id: Set(group.0),
            received_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let channels = chat::channels_of(&txn, chat::DISCORD, &receivers).await?;
    let issuer = groups::get(&txn, newsletter.group_id).await?;
    let summary = summary(&newsletter);
    for group in &receivers {
        if channels.contains_key(group) {
            outbox::enqueue(
                &txn,
                "NEWSLETTER",
                Destination::GroupChannel(*group),
                format!("newsletter:{id}:group:{}", group.0),
                json!({ "newsletterId": id, "title": newsletter.title, "issuer": issuer.name.as_str(), "summary": summary, "path": path(id) }),
            )
            .await?;
        }
    }
    audit::record(
        &txn,
        actor,
        "newsletter.published",
        audit::Subject::Newsletter(id),
        json!({ "receivers": receivers.len(), "deliveries": channels.len() }),
    )
    .await?;
    txn.commit().await?;
    Ok((load(db, id).await?, true))
}

/// A few lines saying what is in a newsletter (for chat posts).
pub fn summary(newsletter: &Newsletter) -> String {
    let mut counts: Vec<(Section, usize)> = Vec::new();
    for entry in &newsletter.entries {
        match counts.iter_mut().find(|(s, _)| *s == entry.section) {
            Some((_, n)) => *n += 1,
            None => counts.push((entry.section, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(section, n)| format!("{}: {n}", section.title()))
        .collect();
    if parts.is_empty() {
        newsletter.period.describe()
    } else {
        format!("{}. {}.", newsletter.period.describe(), parts.join("; "))
    }
}

/// How each chat delivery of a newsletter is going (for its issuing group's officers).
pub async fn deliveries(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> AppResult<Vec<Delivery>> {
    let newsletter = get(conn, actor, id).await?;
    check_officer(actor, newsletter.group_id)?;
    let prefix = format!("newsletter:{id}:group:");
    let rows = outbox_db::Entity::find()
        .filter(outbox_db::Column::DedupeKey.starts_with(&prefix))
        .order_by_asc(outbox_db::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let group = row.dedupe_key.strip_prefix(&prefix)?.parse().ok()?;
            Some(Delivery {
                group_id: GroupId(group),
                status: row.status,
                attempts: row.attempts,
                last_error: row.last_error,
                delivered_at: row.delivered_at,
            })
        })
        .collect())
}

/// The groups that received a newsletter.
pub async fn receivers(conn: &impl ConnectionTrait, id: i64) -> AppResult<Vec<GroupId>> {
    Ok(receipt_db::Entity::find()
        .filter(receipt_db::Column::NewsletterId.eq(id))
        .order_by_asc(receipt_db::Column::GroupId)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| GroupId(r.group_id))
        .collect())
}
