//! Recording a consultation in the register, changing it as it goes on (what was heard, the
//! decision, its influence come later) and removing one recorded by mistake. The
//! commissioners of the area do this; every text is redacted before it is stored, and the
//! payload says what was removed. Groups linked must be of the area; items and newsletters
//! linked must be ones the commissioner may see.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use super::{load, not_found};
use crate::domain::authz::{self, Actor};
use crate::domain::consultation::{self, Consultation, InfluenceLevel, Method};
use crate::domain::redaction::{Identifier, Redacted};
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::{ConsultationId, GroupId, ItemId, NewsletterId};
use crate::entities::{
    consultation as db, consultation_group as group_db, consultation_item as item_db,
    consultation_newsletter as newsletter_db,
};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Subject};
use crate::services::{groups, items, newsletters};

/// What a commissioner fills in to record a consultation.
#[derive(Debug, Clone)]
pub struct NewConsultation {
    pub area_id: GroupId,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub method: Method,
    pub people_involved: Option<i32>,
    pub who_was_involved: String,
    pub what_was_heard: Option<String>,
    pub decision: Option<String>,
    pub influence: Option<String>,
    pub influence_level: Option<InfluenceLevel>,
    pub group_ids: Vec<GroupId>,
    pub item_ids: Vec<ItemId>,
    pub newsletter_ids: Vec<NewsletterId>,
}

/// A change to a consultation: a field left `None` stays as it is; for the optional ones,
/// `Some(None)` clears it. A list given replaces the links of its kind.
#[derive(Debug, Clone, Default)]
pub struct ConsultationChanges {
    pub title: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub method: Option<Method>,
    pub people_involved: Option<Option<i32>>,
    pub who_was_involved: Option<String>,
    pub what_was_heard: Option<Option<String>>,
    pub decision: Option<Option<String>>,
    pub influence: Option<Option<String>>,
    pub influence_level: Option<Option<InfluenceLevel>>,
    pub group_ids: Option<Vec<GroupId>>,
    pub item_ids: Option<Vec<ItemId>>,
    pub newsletter_ids: Option<Vec<NewsletterId>>,
}

/// A consultation as stored, with what was removed from its text.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub consultation: Consultation,
    pub removed: Vec<(Identifier, usize)>,
    pub notice: Option<String>,
}

/// The most links of each kind one consultation may have.
const MAX_LINKS: usize = 100;

/// Parses one optional text field: empty text clears it.
fn optional_text(
    field: &'static str,
    label: &str,
    raw: Option<&str>,
    rule: text::TextRule,
    removed: &mut Vec<Identifier>,
) -> AppResult<Option<RedactedText>> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        Some(raw) => Ok(Some(parse_redacted(field, label, raw, rule, removed)?)),
        None => Ok(None),
    }
}

fn title(raw: &str, removed: &mut Vec<Identifier>) -> AppResult<RedactedText> {
    Ok(parse_redacted(
        "title",
        "The title",
        raw,
        text::TITLE,
        removed,
    )?)
}

fn who(raw: &str, removed: &mut Vec<Identifier>) -> AppResult<RedactedText> {
    Ok(parse_redacted(
        "whoWasInvolved",
        "Who was involved",
        raw,
        text::NOTE,
        removed,
    )?)
}

fn heard(raw: Option<&str>, removed: &mut Vec<Identifier>) -> AppResult<Option<RedactedText>> {
    optional_text("whatWasHeard", "What was heard", raw, text::BODY, removed)
}

fn decision(raw: Option<&str>, removed: &mut Vec<Identifier>) -> AppResult<Option<RedactedText>> {
    optional_text(
        "decision",
        "The decision it informed",
        raw,
        text::NOTE,
        removed,
    )
}

fn influence(raw: Option<&str>, removed: &mut Vec<Identifier>) -> AppResult<Option<RedactedText>> {
    optional_text(
        "influence",
        "Its influence on the decision",
        raw,
        text::NOTE,
        removed,
    )
}

fn people(count: Option<i32>) -> AppResult<Option<i32>> {
    match count {
        Some(n) => {
            consultation::check_people_involved(n)?;
            Ok(Some(n))
        }
        None => Ok(None),
    }
}

fn summarise(removed: Vec<Identifier>) -> (Vec<(Identifier, usize)>, Option<String>) {
    let redacted = Redacted {
        text: String::new(),
        removed,
    };
    (redacted.summary(), redacted.notice())
}

/// Checks the groups, items and newsletters to link: groups of the area, items and
/// newsletters the caller may see and of the area (others look missing).
async fn check_links(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    area: GroupId,
    group_ids: Option<&[GroupId]>,
    item_ids: Option<&[ItemId]>,
    newsletter_ids: Option<&[NewsletterId]>,
) -> AppResult<()> {
    let too_many = |field: &'static str| {
        AppError::bad_input(
            field,
            format!("A consultation can be linked to at most {MAX_LINKS} of these."),
        )
    };
    if let Some(ids) = group_ids {
        if ids.len() > MAX_LINKS {
            return Err(too_many("groupIds"));
        }
        let found = groups::get_many(conn, ids).await?;
        for id in ids {
            if found.get(id).is_none_or(|g| g.area_id != area) {
                return Err(AppError::bad_input(
                    "groupIds",
                    format!(
                        "Group {id} is not a group of this area: link the PPGs, districts or council involved."
                    ),
                ));
            }
        }
    }
    if let Some(ids) = item_ids {
        if ids.len() > MAX_LINKS {
            return Err(too_many("itemIds"));
        }
        let found = items::get_many(conn, actor, ids).await?;
        if ids
            .iter()
            .any(|id| found.get(id).is_none_or(|i| i.area_id != area))
        {
            return Err(AppError::NotFound(
                "One of the items to link does not exist, or you cannot see it.".to_owned(),
            ));
        }
    }
    if let Some(ids) = newsletter_ids {
        if ids.len() > MAX_LINKS {
            return Err(too_many("newsletterIds"));
        }
        let found = newsletters::get_many(conn, actor, ids).await?;
        let issuers: Vec<GroupId> = found.values().map(|n| n.group_id).collect();
        let issuers = groups::get_many(conn, &issuers).await?;
        let of_area = |id: &NewsletterId| {
            found
                .get(id)
                .and_then(|n| issuers.get(&n.group_id))
                .is_some_and(|g| g.area_id == area)
        };
        if !ids.iter().all(of_area) {
            return Err(AppError::NotFound(
                "One of the newsletters to link does not exist, or you cannot see it.".to_owned(),
            ));
        }
    }
    Ok(())
}

/// Replaces the links of the kinds given.
async fn write_links(
    conn: &impl ConnectionTrait,
    id: ConsultationId,
    group_ids: Option<&[GroupId]>,
    item_ids: Option<&[ItemId]>,
    newsletter_ids: Option<&[NewsletterId]>,
) -> AppResult<()> {
    fn unique<T: Ord + Copy>(ids: &[T]) -> Vec<T> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        ids
    }
    // Each list given replaces the links of its kind (one table per kind of link).
    macro_rules! replace_links {
        ($ids:expr, $table:ident, $column:ident) => {
            if let Some(ids) = $ids {
                $table::Entity::delete_many()
                    .filter($table::Column::ConsultationId.eq(id.0))
                    .exec(conn)
                    .await?;
                let rows: Vec<_> = unique(ids)
                    .into_iter()
                    .map(|linked| $table::ActiveModel {
                        consultation_id: Set(id.0),
                        $column: Set(linked.0),
                    })
                    .collect();
                if !rows.is_empty() {
                    $table::Entity::insert_many(rows).exec(conn).await?;
                }
            }
        };
    }
    replace_links!(group_ids, group_db, group_id);
    replace_links!(item_ids, item_db, item_id);
    replace_links!(newsletter_ids, newsletter_db, newsletter_id);
    Ok(())
}

/// Records a consultation in an area's register.
#[tracing::instrument(skip_all, fields(area = %input.area_id, member = ?actor.member_id()))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewConsultation,
) -> AppResult<Recorded> {
    authz::may_manage_consultations(actor, input.area_id)?;
    groups::area(db, input.area_id).await?;
    let mut removed = Vec::new();
    let title = title(&input.title, &mut removed)?;
    consultation::check_period(input.starts_on, input.ends_on)?;
    let people_involved = people(input.people_involved)?;
    let who_was_involved = who(&input.who_was_involved, &mut removed)?;
    let what_was_heard = heard(input.what_was_heard.as_deref(), &mut removed)?;
    let decision = decision(input.decision.as_deref(), &mut removed)?;
    let influence = influence(input.influence.as_deref(), &mut removed)?;
    check_links(
        db,
        actor,
        input.area_id,
        Some(&input.group_ids),
        Some(&input.item_ids),
        Some(&input.newsletter_ids),
    )
    .await?;
    let now = crate::services::now();
    let txn = db.begin().await?;
    let model = db::ActiveModel {
        area_id: Set(input.area_id.0),
        title: Set(title),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        method: Set(input.method.as_str().to_owned()),
        people_involved: Set(people_involved),
        who_was_involved: Set(who_was_involved),
        what_was_heard: Set(what_was_heard),
        decision: Set(decision),
        influence: Set(influence),
        influence_level: Set(input.influence_level.map(|l| l.as_str().to_owned())),
        created_by: Set(actor.member_id().map(|m| m.0)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let id = ConsultationId(model.id);
    write_links(
        &txn,
        id,
        Some(&input.group_ids),
        Some(&input.item_ids),
        Some(&input.newsletter_ids),
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "consultation.recorded",
        Subject::Consultation(id.0),
        json!({
            "area": input.area_id.0,
            "method": input.method.as_str(),
            "groups": input.group_ids.len(),
            "items": input.item_ids.len(),
            "newsletters": input.newsletter_ids.len(),
            "removed": removed.len(),
        }),
    )
    .await?;
    let consultation = load(&txn, id).await?;
    txn.commit().await?;
    let (removed, notice) = summarise(removed);
    Ok(Recorded {
        consultation,
        removed,
        notice,
    })
}

/// Changes the fields given of a consultation, leaving the others as they were.
#[tracing::instrument(skip_all, fields(consultation = %id, member = ?actor.member_id()))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ConsultationId,
    changes: ConsultationChanges,
) -> AppResult<Recorded> {
    let current = super::get(db, actor, id).await?;
    authz::may_manage_consultations(actor, current.area_id)?;
    let mut removed = Vec::new();
    let mut row = db::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id.0),
        ..Default::default()
    };
    let mut changed: Vec<&str> = Vec::new();
    if let Some(raw) = &changes.title {
        row.title = Set(title(raw, &mut removed)?);
        changed.push("title");
    }
    let starts_on = changes.starts_on.unwrap_or(current.starts_on);
    let ends_on = changes.ends_on.unwrap_or(current.ends_on);
    consultation::check_period(starts_on, ends_on)?;
    if changes.starts_on.is_some() {
        row.starts_on = Set(starts_on);
        changed.push("startsOn");
    }
    if changes.ends_on.is_some() {
        row.ends_on = Set(ends_on);
        changed.push("endsOn");
    }
    if let Some(method) = changes.method {
        row.method = Set(method.as_str().to_owned());
        changed.push("method");
    }
    if let Some(count) = changes.people_involved {
        row.people_involved = Set(people(count)?);
        changed.push("peopleInvolved");
    }
    if let Some(raw) = &changes.who_was_involved {
        row.who_was_involved = Set(who(raw, &mut removed)?);
        changed.push("whoWasInvolved");
    }
    if let Some(raw) = &changes.what_was_heard {
        row.what_was_heard = Set(heard(raw.as_deref(), &mut removed)?);
        changed.push("whatWasHeard");
    }
    if let Some(raw) = &changes.decision {
        row.decision = Set(decision(raw.as_deref(), &mut removed)?);
        changed.push("decision");
    }
    if let Some(raw) = &changes.influence {
        row.influence = Set(influence(raw.as_deref(), &mut removed)?);
        changed.push("influence");
    }
    if let Some(level) = changes.influence_level {
        row.influence_level = Set(level.map(|l| l.as_str().to_owned()));
        changed.push("influenceLevel");
    }
    check_links(
        db,
        actor,
        current.area_id,
        changes.group_ids.as_deref(),
        changes.item_ids.as_deref(),
        changes.newsletter_ids.as_deref(),
    )
    .await?;
    for (given, name) in [
        (changes.group_ids.is_some(), "groupIds"),
        (changes.item_ids.is_some(), "itemIds"),
        (changes.newsletter_ids.is_some(), "newsletterIds"),
    ] {
        if given {
            changed.push(name);
        }
    }
    row.updated_at = Set(crate::services::now());
    let txn = db.begin().await?;
    row.update(&txn).await?;
    write_links(
        &txn,
        id,
        changes.group_ids.as_deref(),
        changes.item_ids.as_deref(),
        changes.newsletter_ids.as_deref(),
    )
    .await?;
    audit::record(
        &txn,
        actor,
        "consultation.changed",
        Subject::Consultation(id.0),
        json!({ "fields": changed, "removed": removed.len() }),
    )
    .await?;
    let consultation = load(&txn, id).await?;
    txn.commit().await?;
    let (removed, notice) = summarise(removed);
    Ok(Recorded {
        consultation,
        removed,
        notice,
    })
}

/// Removes a consultation recorded by mistake, with its links. A published report that
/// listed it stays as it was published.
#[tracing::instrument(skip_all, fields(consultation = %id, member = ?actor.member_id()))]
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ConsultationId,
) -> AppResult<ConsultationId> {
    let current = super::get(db, actor, id).await?;
    authz::may_manage_consultations(actor, current.area_id)?;
    let txn = db.begin().await?;
    write_links(&txn, id, Some(&[]), Some(&[]), Some(&[])).await?;
    let deleted = db::Entity::delete_by_id(id.0).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(not_found());
    }
    audit::record(
        &txn,
        actor,
        "consultation.removed",
        Subject::Consultation(id.0),
        json!({ "area": current.area_id.0 }),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}
