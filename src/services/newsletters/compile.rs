//! Compiling a draft: what the issuing group did and received in the period is loaded once
//! (`load`), turned into facts without further I/O (`activity`, using the rules in
//! `domain::newsletter`), and composed into entries.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use super::{check_officer, edit::insert_entry, load};
use crate::domain::authz::Actor;
use crate::domain::clock::uk_date;
use crate::domain::group::{Group, GroupKind};
use crate::domain::item::{EventKind, Item, ItemEvent, Outcome, Status};
use crate::domain::meeting::Meeting;
use crate::domain::newsletter::{
    self as rules, Activity, DecisionFact, Happening, ItemFact, Meaning, MeetingFact, Newsletter,
    NewsletterStatus, Onward, PatternFact, Period,
};
use crate::domain::{GroupId, ItemId, MeetingId, ProviderId, RedactedText};
use crate::entities::{item, item_event, newsletter as db};
use crate::error::{AppError, AppResult};
use crate::services::{self, audit, groups, items, meetings, providers};

/// Compiles a draft from the group's activity in the period.
#[tracing::instrument(skip_all, fields(group = %group_id, member = ?actor.member_id()))]
pub async fn compile(
    db: &DatabaseConnection,
    actor: &Actor,
    group_id: GroupId,
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
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
    let loaded = load_period(&txn, &group, period).await?;
    let entries = rules::compose(&activity(&group, &loaded, services::now()));
    let now = services::now();
    let model = db::ActiveModel {
        group_id: Set(group.id.0),
        period_start: Set(period.start),
        period_end: Set(period.end),
        title: Set(RedactedText::scrub(&format!(
            "{} newsletter, {}",
            group.name.as_str(),
            period.describe()
        ))),
        introduction: Set(RedactedText::default()),
        status: Set(NewsletterStatus::Draft.as_str().to_owned()),
        created_by: Set(actor.member_id().map(|m| m.0)),
        created_at: Set(now),
        published_by: Set(None),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let id = crate::domain::NewsletterId(model.id);
    for (index, entry) in entries.iter().enumerate() {
        insert_entry(&txn, id, index as i32 + 1, entry).await?;
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
    load(db, id).await
}

/// Everything a newsletter may report about the issuing group's period, as loaded.
struct Loaded {
    /// Moves at or from the group, and answers and links of items that reached it.
    events: Vec<ItemEvent>,
    /// Safety concerns that reached the group, referred in the period.
    safety: Vec<ItemId>,
    /// Items waiting at the group now.
    waiting: Vec<ItemId>,
    /// Lead items of reports linked in the period, and their followers.
    leads: Vec<ItemId>,
    followers: Vec<Item>,
    meetings: Vec<Meeting>,
    /// The events the meetings' minutes made.
    minuted: Vec<ItemEvent>,
    items: HashMap<ItemId, Item>,
    /// The planned changes of those items.
    changes: Vec<crate::domain::change::PlannedChange>,
    group_names: HashMap<GroupId, String>,
    provider_names: HashMap<ProviderId, String>,
}

fn bounds(period: Period) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let from = period.start.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let to = period
        .end
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    (from, to)
}

async fn load_period(
    conn: &impl ConnectionTrait,
    group: &Group,
    period: Period,
) -> AppResult<Loaded> {
    let (from, to) = bounds(period);
    let reached = items::reached_any(&[group.id]);
    let events = item_event::Entity::find()
        .filter(item_event::Column::At.gte(from))
        .filter(item_event::Column::At.lt(to))
        .filter(
            Expr::col(item_event::Column::GroupId)
                .eq(group.id.0)
                .or(Expr::col(item_event::Column::FromGroupId).eq(group.id.0))
                .or(Expr::col(item_event::Column::Kind)
                    .is_in([
                        EventKind::Responded.as_str(),
                        EventKind::Linked.as_str(),
                        EventKind::ChangeMade.as_str(),
                        EventKind::ChangeRescheduled.as_str(),
                        EventKind::ChangeAbandoned.as_str(),
                    ])
                    .and(Expr::col(item_event::Column::ItemId).in_subquery(reached.clone()))),
        )
        .order_by_asc(item_event::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(items::event_from_model)
        .collect::<AppResult<Vec<_>>>()?;
    let safety: Vec<ItemId> = item::Entity::find()
        .filter(item::Column::SafetyConcern.eq(true))
        .filter(item::Column::Id.in_subquery(reached))
        .filter(item::Column::ReferredAt.gte(from))
        .filter(item::Column::ReferredAt.lt(to))
        .order_by_asc(item::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| ItemId(m.id))
        .collect();
    let waiting = items::waiting_at(conn, group).await?;
    let linked: Vec<ItemId> = events
        .iter()
        .filter(|e| e.kind == EventKind::Linked)
        .map(|e| e.item_id)
        .collect();
    let leads: BTreeSet<ItemId> = stored_items(conn, &linked)
        .await?
        .into_values()
        .filter_map(|i| i.lead_item_id)
        .collect();
    let leads: Vec<ItemId> = leads.into_iter().collect();
    let followers = item::Entity::find()
        .filter(item::Column::LeadItemId.is_in(leads.iter().map(|i| i.0)))
        .order_by_asc(item::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(items::from_model)
        .collect::<AppResult<Vec<_>>>()?;
    let meetings = meetings::held_in(conn, group.id, period.start, period.end).await?;
    let meeting_ids: Vec<MeetingId> = meetings.iter().map(|m| m.id).collect();
    let minuted = items::events_at_meetings(conn, &meeting_ids).await?;

    // Everything the entries name, loaded once.
    let mut ids: BTreeSet<ItemId> = events.iter().map(|e| e.item_id).collect();
    ids.extend(&safety);
    ids.extend(&leads);
    ids.extend(minuted.iter().map(|e| e.item_id));
    let mut items = stored_items(conn, &ids.into_iter().collect::<Vec<_>>()).await?;
    let waiting_ids = waiting.iter().map(|i| i.id).collect();
    items.extend(waiting.into_iter().map(|i| (i.id, i)));
    items.extend(followers.iter().map(|i| (i.id, i.clone())));
    let item_ids: Vec<ItemId> = items.keys().copied().collect();
    let mut changes: Vec<_> = services::changes::of_items(conn, &item_ids)
        .await?
        .into_values()
        .collect();
    changes.sort_by_key(|c| c.item_id);
    let mut group_ids: BTreeSet<GroupId> = items.values().map(|i| i.origin_group_id).collect();
    group_ids.extend(events.iter().map(|e| e.group_id));
    group_ids.extend(events.iter().filter_map(|e| e.from_group_id));
    let group_names = groups::get_many(conn, &group_ids.into_iter().collect::<Vec<_>>())
        .await?
        .into_iter()
        .map(|(id, g)| (id, g.name.as_str().to_owned()))
        .collect();
    let provider_ids: Vec<ProviderId> = items.values().filter_map(|i| i.provider_id).collect();
    let provider_names = providers::get_many(conn, &provider_ids)
        .await?
        .into_iter()
        .map(|(id, p)| (id, p.name.as_str().to_owned()))
        .collect();
    Ok(Loaded {
        events,
        safety,
        waiting: waiting_ids,
        leads,
        followers,
        meetings,
        minuted,
        items,
        changes,
        group_names,
        provider_names,
    })
}

/// Items by id as stored (the issuing group's officers compile from what reached them).
async fn stored_items(
    conn: &impl ConnectionTrait,
    ids: &[ItemId],
) -> AppResult<HashMap<ItemId, Item>> {
    item::Entity::find()
        .filter(item::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| items::from_model(m).map(|i| (i.id, i)))
        .collect()
}

/// What the loaded period says, as the facts a newsletter is composed from.
fn activity(group: &Group, loaded: &Loaded, now: DateTime<Utc>) -> Activity {
    let issuer = group.id;
    let name_of = |id: GroupId| {
        loaded
            .group_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "another group".to_owned())
    };
    let fact = |item: &Item| ItemFact {
        id: item.id,
        reference: item.reference.clone(),
        title: item.title.clone(),
        provider: item
            .provider_id
            .and_then(|p| loaded.provider_names.get(&p).cloned())
            .or_else(|| item.provider_name.as_deref().map(str::to_owned)),
        status: item.status,
        safety_concern: item.safety_concern,
        origin_group: name_of(item.origin_group_id),
        raised_on: uk_date(item.created_at),
        hours_waiting: item.hours_waiting(now),
    };
    let facts = |ids: &[ItemId]| -> Vec<ItemFact> {
        ids.iter()
            .filter_map(|id| loaded.items.get(id))
            .map(fact)
            .collect()
    };
    let mut known_names: Vec<String> = loaded.group_names.values().cloned().collect();
    known_names.extend(loaded.provider_names.values().cloned());
    known_names.extend(
        loaded
            .items
            .values()
            .filter_map(|i| i.provider_name.as_deref().map(str::to_owned)),
    );
    known_names.push(group.name.as_str().to_owned());
    let mut activity = Activity {
        safety: facts(&loaded.safety),
        waiting: facts(&loaded.waiting),
        changes: loaded.changes.clone(),
        known_names,
        ..Default::default()
    };
    for event in &loaded.events {
        let Some(item) = loaded.items.get(&event.item_id) else {
            continue;
        };
        let on = uk_date(event.at);
        let happening = match rules::meaning(issuer, event, item.lead_item_id.is_some()) {
            Some(Meaning::Received { from }) => Happening::Received {
                item: fact(item),
                from: name_of(from),
                on,
            },
            Some(Meaning::TakenUp { to }) => Happening::TakenUp {
                item: fact(item),
                to: match to {
                    Onward::Group(group) => name_of(group),
                    Onward::Commissioners => "the commissioners".to_owned(),
                },
                on,
            },
            Some(Meaning::Answered) => Happening::Answered {
                item: fact(item),
                answer: event.note.clone().unwrap_or_default(),
                outcome: event.outcome.unwrap_or(Outcome::NoAction),
                // An answer to a referred item is the commissioners'; otherwise the group
                // that held it answered.
                by: if event.from_status == Some(Status::Referred) {
                    Some("the commissioners".to_owned())
                } else if event.group_id == issuer {
                    None
                } else {
                    Some(name_of(event.group_id))
                },
                on,
            },
            Some(Meaning::Closed) => Happening::Closed {
                item: fact(item),
                note: event.note.clone(),
                on,
            },
            Some(Meaning::ChangeFollowed(step)) => Happening::ChangeFollowed {
                item: fact(item),
                step,
                note: event.note.clone(),
                on,
            },
            None => continue,
        };
        activity.happenings.push(happening);
    }
    for lead in &loaded.leads {
        let Some(item) = loaded.items.get(lead) else {
            continue;
        };
        let reports: Vec<&Item> = loaded
            .followers
            .iter()
            .filter(|f| f.lead_item_id == Some(*lead))
            .collect();
        let mut groups: Vec<String> = std::iter::once(item)
            .chain(reports.iter().copied())
            .map(|i| name_of(i.origin_group_id))
            .collect();
        groups.sort();
        groups.dedup();
        activity.patterns.push(PatternFact {
            lead: fact(item),
            followers: reports.iter().map(|r| r.id).collect(),
            reports: reports.len() + 1,
            groups,
            raised: std::iter::once(item)
                .chain(reports.iter().copied())
                .map(|i| uk_date(i.created_at))
                .collect(),
        });
    }
    for meeting in &loaded.meetings {
        let decisions = loaded
            .minuted
            .iter()
            .filter(|e| e.meeting_id == Some(meeting.id))
            .filter_map(|e| {
                let item = loaded.items.get(&e.item_id)?;
                Some(DecisionFact {
                    title: item.title.clone(),
                    reference: item.reference.clone(),
                    what: rules::decided(e.kind),
                })
            })
            .collect();
        activity.meetings.push(MeetingFact {
            title: meeting.title.clone(),
            held_on: meeting.held_on,
            decisions,
        });
    }
    activity
}
