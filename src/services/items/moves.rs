//! Moving an item on: taking it up a tier or to the commissioners, answering it, closing it,
//! and noting it at a meeting. Every move follows `domain::item::plan_move`; reports linked
//! to an item move with it.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::rows::{bad_stored, from_model, status_of};
use super::trail::{self, NewEvent};
use super::{get, link};
use crate::domain::authz::{self, Actor, Standing};
use crate::domain::item::{
    self, Destination as Towards, EventKind, Item, Move, MoveRefused, Outcome, Status,
};
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::{GroupId, ItemEventId, ItemId, MeetingId, MemberId};
use crate::entities::item as db;
use crate::error::{AppError, AppResult};
use crate::services::changes::{self, ChangeInput};
use crate::services::groups;
use crate::services::outbox::Message;

/// What a person asked to happen to an item.
#[derive(Debug, Clone)]
pub struct Action {
    pub kind: Move,
    /// Why, for the trail ("raised at three PPG meetings this quarter"); the answer itself
    /// for a response.
    pub note: Option<String>,
    pub outcome: Option<Outcome>,
    /// Items to join to this one as one matter (escalations only).
    pub link: Vec<ItemId>,
    pub meeting: Option<MeetingId>,
    /// For an answer with the outcome ACTION_PLANNED: who owns the change and when it is due.
    pub change: Option<ChangeInput>,
}

impl Action {
    pub fn new(kind: Move) -> Self {
        Self {
            kind,
            note: None,
            outcome: None,
            link: Vec::new(),
            meeting: None,
            change: None,
        }
    }
}

/// A move's note, parsed and redacted (`None` when left empty).
pub(crate) fn parse_note(note: Option<&str>) -> AppResult<Option<RedactedText>> {
    let mut removed = Vec::new();
    Ok(note
        .filter(|n| !n.trim().is_empty())
        .map(|n| parse_redacted("note", "The note", n, text::NOTE, &mut removed))
        .transpose()?)
}

/// Takes an item up a tier (or to the commissioners), answers it, or closes it, following the
/// rules in `domain::item::plan_move`. Items linked to it move with it.
#[tracing::instrument(skip_all, fields(item = %id, action = ?action.kind, member = ?actor.member_id()))]
pub async fn act(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    action: Action,
) -> AppResult<Item> {
    let txn = db.begin().await?;
    let item = act_in(&txn, actor, id, action).await?;
    txn.commit().await?;
    Ok(item)
}

/// `act`, inside a transaction the caller owns (meeting minutes act on several items at once).
pub(crate) async fn act_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: ItemId,
    action: Action,
) -> AppResult<Item> {
    let note = parse_note(action.note.as_deref())?;
    if action.kind == Move::Respond {
        if note.is_none() {
            return Err(AppError::bad_input(
                "answer",
                "Write the answer: what was done, or why nothing will be.",
            ));
        }
        if action.outcome.is_none() {
            return Err(AppError::bad_input(
                "outcome",
                "Say what the answer changed: NO_ACTION, ACTION_PLANNED or CHANGE_MADE.",
            ));
        }
    }
    let plans_change =
        action.kind == Move::Respond && action.outcome == Some(Outcome::ActionPlanned);
    let plan = match (&action.change, plans_change) {
        (None, true) => {
            return Err(AppError::bad_input(
                "change",
                "An answer that plans a change says who owns it and when it is due: give change { owner, dueOn }.",
            ));
        }
        (Some(_), false) => {
            return Err(AppError::bad_input(
                "change",
                "Only an answer with the outcome ACTION_PLANNED plans a change: leave change out.",
            ));
        }
        (Some(input), true) => Some(
            changes::parse_plan(
                txn,
                input,
                crate::domain::clock::uk_date(crate::services::now()),
            )
            .await?,
        ),
        (None, false) => None,
    };
    // Load through visibility: an item the caller cannot see is not found.
    let current = get(txn, actor, id).await?;
    if let Some(lead) = current.lead_item_id {
        let lead = db::Entity::find_by_id(lead.0).one(txn).await?;
        let reference = lead.map(|l| l.reference).unwrap_or_default();
        return Err(AppError::Conflict(format!(
            "This item travels with {reference}: act on that item instead."
        )));
    }
    let model = trail::stored(txn, id).await?;
    // Linked reports join the lead where it is now, then travel with it.
    for other in &action.link {
        link::link_in(txn, actor, &model, *other).await?;
    }
    // The group holding it when it is answered is the tier that referred it.
    let holder = GroupId(model.current_group_id);
    let moved = move_one(txn, actor, model, &action, note.clone(), Authority::Own).await?;
    if let Some(plan) = plan {
        changes::plan_in(txn, &moved, holder, plan).await?;
    }
    // Followers travel with their lead.
    let followers = db::Entity::find()
        .filter(db::Column::LeadItemId.eq(moved.id))
        .all(txn)
        .await?;
    for follower in followers {
        if status_of(&follower)?.is_open() || action.kind == Move::Close {
            // An answer to the matter answers every report of it.
            let note = match action.kind {
                Move::Respond => note.clone(),
                _ => Some(RedactedText::scrub(&format!(
                    "Moved with {}.",
                    moved.reference
                ))),
            };
            move_one(txn, actor, follower, &action, note, Authority::Lead).await?;
        }
    }
    from_model(moved)
}

/// On whose authority an item moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Authority {
    /// The caller's own standing at the holding group.
    Own,
    /// It travels with its lead, whose move was already allowed.
    Lead,
}

/// Applies one move to one item: checks the rule, writes the event and the item, records the
/// group it reached, and queues the submitter's notification.
async fn move_one(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    model: db::Model,
    action: &Action,
    note: Option<RedactedText>,
    authority: Authority,
) -> AppResult<db::Model> {
    let from_status = status_of(&model)?;
    let holder = groups::get(txn, GroupId(model.current_group_id)).await?;
    let (deciding, standing) = match authority {
        Authority::Own => (actor, authz::standing(actor, holder.id, holder.area_id)),
        Authority::Lead => (&Actor::System, Standing::FOLLOWING_LEAD),
    };
    let plan = item::plan_move(deciding, standing, from_status, holder.kind, action.kind).map_err(
        |refused| match refused {
            MoveRefused::NotAllowed(why) => AppError::Conflict(why.to_owned()),
            MoveRefused::Refused(refusal) => refusal.into(),
        },
    )?;
    let to_group = match plan.destination {
        Towards::Parent(_) if action.kind == Move::Escalate => Some(
            holder
                .parent_id
                .ok_or_else(|| bad_stored(model.id, "holder without parent"))?,
        ),
        _ => None,
    };
    let kind = match (action.kind, plan.to_status) {
        (Move::Escalate, Status::Referred) => EventKind::Referred,
        (Move::Escalate, _) => EventKind::Escalated,
        (Move::Respond, _) => EventKind::Responded,
        (Move::Close, _) => EventKind::Closed,
    };
    let outcome = action.outcome.filter(|_| action.kind == Move::Respond);
    let event = trail::record(
        txn,
        actor,
        NewEvent {
            to_group,
            note: note.clone(),
            outcome,
            meeting: action.meeting,
            ..NewEvent::new(&model, kind, plan.to_status)
        },
    )
    .await?;
    if let Some(group) = to_group {
        trail::reach(txn, model.id, group).await?;
    }
    let now = crate::services::now();
    let submitter = MemberId(model.submitter_id);
    let due = match (plan.to_status == Status::Referred, model.area_id) {
        (true, Some(area)) => Some(super::clock::due_on(txn, GroupId(area), now).await?),
        _ => None,
    };
    let mut row: db::ActiveModel = model.into();
    row.status = Set(plan.to_status.as_str().to_owned());
    if let Some(group) = to_group {
        row.current_group_id = Set(group.0);
    }
    if plan.to_status == Status::Referred {
        row.referred_at = Set(Some(now));
        row.response_due_on = Set(due);
    }
    if plan.to_status == Status::Responded {
        row.responded_at = Set(Some(now));
    }
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(now);
    let updated = row.update(txn).await?;

    // The person who raised it hears what happened, by each medium they chose (delivered
    // later, through the outbox).
    if matches!(
        kind,
        EventKind::Escalated | EventKind::Referred | EventKind::Responded
    ) {
        let responded = kind == EventKind::Responded;
        crate::services::delivery::tell_member(
            txn,
            submitter,
            Message::ItemUpdate {
                item_id: ItemId(updated.id),
                event_id: ItemEventId(event),
                reference: updated.reference.clone(),
                title: updated.title.clone(),
                event: kind,
                status: plan.to_status,
                group_id: GroupId(updated.current_group_id),
                answer: note.filter(|_| responded),
                outcome: outcome.filter(|_| responded),
                origin_group_id: Some(GroupId(updated.origin_group_id)),
            },
        )
        .await?;
    }
    Ok(updated)
}

/// Records that a meeting discussed an item without moving it.
pub(crate) async fn note_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: ItemId,
    note: Option<String>,
    meeting: MeetingId,
) -> AppResult<()> {
    let note = parse_note(note.as_deref())?;
    get(txn, actor, id).await?;
    let model = trail::stored(txn, id).await?;
    let status = status_of(&model)?;
    let event = trail::record(
        txn,
        actor,
        NewEvent {
            note,
            meeting: Some(meeting),
            ..NewEvent::new(&model, EventKind::Noted, status)
        },
    )
    .await?;
    let mut row: db::ActiveModel = model.into();
    row.latest_event_id = Set(Some(event));
    row.updated_at = Set(crate::services::now());
    row.update(txn).await?;
    Ok(())
}
