//! Meetings: a group schedules one, its agenda is built from the items waiting at the group
//! (with "Patient experience" as a standing item), and its minutes record what was decided
//! about each item, which moves the items through the same rules as anywhere else.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::items::{self, Action};
use super::{audit, groups};
use crate::domain::authz::{self, Actor};
use crate::domain::group::Group;
use crate::domain::item::{EventKind, Move, Outcome};
use crate::domain::meeting::{AgendaEntry, Decision, Meeting, STANDING_AGENDA};
use crate::domain::page::{Page, PageRequest};
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::{GroupId, ItemEventId, ItemId, MeetingId, MemberId};
use crate::entities::{item_event, meeting as db, member as member_db};
use crate::error::{AppError, AppResult};

pub struct NewMeeting {
    pub group_id: GroupId,
    pub held_on: NaiveDate,
    pub title: Option<String>,
    pub attendees: Vec<MemberId>,
    /// Further agenda lines (a speaker, a consultation).
    pub other_business: Vec<String>,
}

pub struct Minute {
    pub item_id: ItemId,
    pub decision: Decision,
    pub note: Option<String>,
    pub outcome: Option<Outcome>,
    /// For RESPOND with ACTION_PLANNED: who owns the change and when it is due.
    pub change: Option<crate::services::changes::ChangeInput>,
}

fn from_model(m: db::Model) -> AppResult<Meeting> {
    let bad = |what| super::corrupt("meetings", m.id, what);
    let attendees: Vec<i64> = serde_json::from_str(&m.attendees).map_err(|_| bad("attendees"))?;
    Ok(Meeting {
        id: MeetingId(m.id),
        group_id: GroupId(m.group_id),
        held_on: m.held_on,
        title: m.title,
        attendees: attendees.into_iter().map(MemberId).collect(),
        agenda: serde_json::from_str(&m.agenda).map_err(|_| bad("agenda"))?,
        minutes_recorded: m.minutes_recorded,
    })
}

/// Officers of the group, and administrators, run its meetings.
fn check_officer(actor: &Actor, group: GroupId) -> AppResult<()> {
    Ok(authz::may_run_group(
        actor,
        group,
        "Only the group's secretary or chair can schedule its meetings and record their minutes.",
    )?)
}

/// A meeting the caller may not see does not exist for them.
fn check_member(actor: &Actor, group: &Group) -> AppResult<()> {
    if authz::may_see_meetings_of(actor, group.id, group.area_id) {
        Ok(())
    } else {
        Err(AppError::not_found("meeting"))
    }
}

/// Schedules a meeting of a group, its agenda built from what is waiting there.
#[tracing::instrument(skip_all, fields(group = %input.group_id, member = ?actor.member_id()))]
pub async fn schedule(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewMeeting,
) -> AppResult<Meeting> {
    check_officer(actor, input.group_id)?;
    let mut removed = Vec::new();
    let title = match input.title.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(title) => parse_redacted(
            "title",
            "The meeting's title",
            title,
            text::TITLE,
            &mut removed,
        )?,
        None => RedactedText::scrub(&format!("Meeting of {}", input.held_on.format("%-d %B %Y"))),
    };
    let other_business = input
        .other_business
        .iter()
        .map(|line| {
            parse_redacted(
                "otherBusiness",
                "An agenda line",
                line,
                text::TITLE,
                &mut removed,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let txn = db.begin().await?;
    let group = groups::get(&txn, input.group_id).await?;
    let known = member_db::Entity::find()
        .filter(member_db::Column::Id.is_in(input.attendees.iter().map(|m| m.0)))
        .all(&txn)
        .await?;
    if known.len() != input.attendees.len() {
        return Err(AppError::bad_input(
            "attendeeIds",
            "One of the attendees is not a member Pyramid knows.",
        ));
    }
    let waiting = items::waiting_at(&txn, &group).await?;
    let mut agenda: Vec<AgendaEntry> = STANDING_AGENDA
        .iter()
        .map(|title| AgendaEntry {
            title: RedactedText::scrub(title),
            item_id: None,
            standing: true,
        })
        .collect();
    agenda.extend(waiting.iter().map(|item| AgendaEntry {
        // An answered item is waiting only because its planned change came back at its due date.
        title: RedactedText::scrub(&if item.status == crate::domain::item::Status::Responded {
            format!(
                "{}: {}: was the planned change made?",
                item.reference, item.title
            )
        } else {
            format!("{}: {}", item.reference, item.title)
        }),
        item_id: Some(item.id.0),
        standing: false,
    }));
    agenda.extend(other_business.into_iter().map(|title| AgendaEntry {
        title,
        item_id: None,
        standing: false,
    }));
    let model = db::ActiveModel {
        group_id: Set(group.id.0),
        held_on: Set(input.held_on),
        title: Set(title),
        attendees: Set(serde_json::to_string(
            &input.attendees.iter().map(|m| m.0).collect::<Vec<_>>(),
        )
        .unwrap_or_default()),
        agenda: Set(serde_json::to_string(&agenda).unwrap_or_default()),
        minutes_recorded: Set(false),
        created_by: Set(actor.member_id().map(|m| m.0)),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "meeting.scheduled",
        audit::Subject::Meeting(model.id),
        serde_json::json!({ "group_id": group.id.0, "held_on": model.held_on }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

/// Records what the meeting decided about each item on its agenda, in one transaction: every
/// decision becomes an event on its item (moving it where the decision says), or none does.
#[tracing::instrument(skip_all, fields(meeting = %id, member = ?actor.member_id()))]
pub async fn record_minutes(
    db: &DatabaseConnection,
    actor: &Actor,
    id: MeetingId,
    minutes: Vec<Minute>,
) -> AppResult<Meeting> {
    let txn = db.begin().await?;
    let meeting = db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("meeting"))?;
    let meeting = from_model(meeting)?;
    check_member(actor, &groups::get(&txn, meeting.group_id).await?)?;
    check_officer(actor, meeting.group_id)?;
    if meeting.minutes_recorded {
        return Err(AppError::Conflict(
            "The minutes of this meeting are already recorded.".to_owned(),
        ));
    }
    for minute in minutes {
        if !meeting
            .agenda
            .iter()
            .any(|e| e.item_id == Some(minute.item_id.0))
        {
            return Err(AppError::bad_input(
                "minutes",
                "An item in the minutes was not on this meeting's agenda.",
            ));
        }
        let action = Action {
            note: minute.note,
            outcome: minute.outcome,
            meeting: Some(meeting.id),
            change: minute.change,
            ..Action::new(Move::Close)
        };
        match minute.decision.as_move() {
            Some(kind) => {
                items::act_in(&txn, actor, minute.item_id, Action { kind, ..action }).await?;
            }
            None if action.change.is_some() => {
                return Err(AppError::bad_input(
                    "change",
                    "Only an answer with the outcome ACTION_PLANNED plans a change: leave change out.",
                ));
            }
            None => {
                items::note_in(&txn, actor, minute.item_id, action.note, meeting.id).await?;
            }
        }
    }
    let mut row: db::ActiveModel = db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("meeting"))?
        .into();
    row.minutes_recorded = Set(true);
    let model = row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "meeting.minuted",
        audit::Subject::Meeting(model.id),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

pub async fn get_many(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[MeetingId],
) -> AppResult<HashMap<MeetingId, Meeting>> {
    let rows = db::Entity::find()
        .filter(db::Column::Id.is_in(ids.iter().map(|m| m.0)))
        .all(conn)
        .await?;
    let group_ids: Vec<GroupId> = rows.iter().map(|m| GroupId(m.group_id)).collect();
    let groups = groups::get_many(conn, &group_ids).await?;
    let mut found = HashMap::new();
    for row in rows {
        let meeting = from_model(row)?;
        let visible = groups
            .get(&meeting.group_id)
            .is_some_and(|g| check_member(actor, g).is_ok());
        if visible {
            found.insert(meeting.id, meeting);
        }
    }
    Ok(found)
}

/// A group's meetings, most recent first.
pub async fn of_group(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    group: GroupId,
    page: PageRequest,
) -> AppResult<Page<Meeting>> {
    authz::may_see_people(actor)?;
    if check_member(actor, &groups::get(conn, group).await?).is_err() {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
        });
    }
    let mut query = db::Entity::find().filter(db::Column::GroupId.eq(group.0));
    if let Some(after) = page.after {
        query = query.filter(db::Column::Id.lt(after));
    }
    let rows = sea_orm::QuerySelect::limit(query.order_by_desc(db::Column::Id), page.first + 1)
        .all(conn)
        .await?;
    let meetings = rows.into_iter().map(from_model).collect::<AppResult<_>>()?;
    Ok(Page::from_overfetch(meetings, page))
}

/// The events a meeting's minutes made, in order.
pub async fn decisions(
    conn: &impl ConnectionTrait,
    meeting: MeetingId,
) -> AppResult<Vec<ItemEventId>> {
    Ok(item_event::Entity::find()
        .filter(item_event::Column::MeetingId.eq(meeting.0))
        .filter(item_event::Column::Kind.ne(EventKind::Linked.as_str()))
        .order_by_asc(item_event::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| ItemEventId(e.id))
        .collect())
}

/// The meetings a group held in a period, in date order (for its newsletter).
pub async fn held_in(
    conn: &impl ConnectionTrait,
    group: GroupId,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<Meeting>> {
    db::Entity::find()
        .filter(db::Column::GroupId.eq(group.0))
        .filter(db::Column::HeldOn.gte(from))
        .filter(db::Column::HeldOn.lte(to))
        .order_by_asc(db::Column::HeldOn)
        .order_by_asc(db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}
