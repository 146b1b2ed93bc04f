//! The register of consultations and engagement exercises: recording, changing and removing
//! one (`record.rs`, the commissioners), reading what the caller may see (here), and the
//! annual consultation report made from it (`report.rs`). The council and the commissioners
//! read the whole of an area's register; the members of a group involved read what involved
//! them; to anyone else an entry looks missing.

mod record;
mod report;

pub use record::{ConsultationChanges, NewConsultation, Recorded, create, delete, update};
pub use report::{ReportDraft, preview_report, publish_report};

use std::collections::HashMap;

use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::authz::{self, Actor};
use crate::domain::consultation::{Consultation, FinancialYear, InfluenceLevel, Method};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{ConsultationId, GroupId, ItemId, MemberId, NewsletterId};
use crate::entities::{
    consultation as db, consultation_group as group_db, consultation_item as item_db,
    consultation_newsletter as newsletter_db,
};
use crate::error::{AppError, AppResult};

fn not_found() -> AppError {
    AppError::not_found("consultation")
}

/// The links of some consultations, read together: three statements whatever their number.
#[derive(Default)]
struct Links {
    groups: HashMap<i64, Vec<GroupId>>,
    items: HashMap<i64, Vec<ItemId>>,
    newsletters: HashMap<i64, Vec<NewsletterId>>,
}

async fn links_of(conn: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Links> {
    let mut links = Links::default();
    if ids.is_empty() {
        return Ok(links);
    }
    for row in group_db::Entity::find()
        .filter(group_db::Column::ConsultationId.is_in(ids.iter().copied()))
        .order_by_asc(group_db::Column::GroupId)
        .all(conn)
        .await?
    {
        links
            .groups
            .entry(row.consultation_id)
            .or_default()
            .push(GroupId(row.group_id));
    }
    for row in item_db::Entity::find()
        .filter(item_db::Column::ConsultationId.is_in(ids.iter().copied()))
        .order_by_asc(item_db::Column::ItemId)
        .all(conn)
        .await?
    {
        links
            .items
            .entry(row.consultation_id)
            .or_default()
            .push(ItemId(row.item_id));
    }
    for row in newsletter_db::Entity::find()
        .filter(newsletter_db::Column::ConsultationId.is_in(ids.iter().copied()))
        .order_by_asc(newsletter_db::Column::NewsletterId)
        .all(conn)
        .await?
    {
        links
            .newsletters
            .entry(row.consultation_id)
            .or_default()
            .push(NewsletterId(row.newsletter_id));
    }
    Ok(links)
}

fn from_model(model: db::Model, links: &mut Links) -> AppResult<Consultation> {
    let corrupt = |what| super::corrupt("consultations", model.id, what);
    Ok(Consultation {
        id: ConsultationId(model.id),
        area_id: GroupId(model.area_id),
        method: Method::from_db(&model.method).ok_or_else(|| corrupt("method"))?,
        influence_level: model
            .influence_level
            .as_deref()
            .map(|l| InfluenceLevel::from_db(l).ok_or_else(|| corrupt("influence level")))
            .transpose()?,
        people_involved: model
            .people_involved
            .map(|n| u32::try_from(n).map_err(|_| corrupt("count of people")))
            .transpose()?,
        group_ids: links.groups.remove(&model.id).unwrap_or_default(),
        item_ids: links.items.remove(&model.id).unwrap_or_default(),
        newsletter_ids: links.newsletters.remove(&model.id).unwrap_or_default(),
        title: model.title,
        starts_on: model.starts_on,
        ends_on: model.ends_on,
        who_was_involved: model.who_was_involved,
        what_was_heard: model.what_was_heard,
        decision: model.decision,
        influence: model.influence,
        created_by: model.created_by.map(MemberId),
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

async fn with_links(
    conn: &impl ConnectionTrait,
    models: Vec<db::Model>,
) -> AppResult<Vec<Consultation>> {
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let mut links = links_of(conn, &ids).await?;
    models
        .into_iter()
        .map(|m| from_model(m, &mut links))
        .collect()
}

/// A consultation as stored, whoever asks (for the services that check the caller).
async fn load(conn: &impl ConnectionTrait, id: ConsultationId) -> AppResult<Consultation> {
    let model = db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    with_links(conn, vec![model])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// A consultation, if the caller may read it (otherwise it looks missing).
pub async fn get(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: ConsultationId,
) -> AppResult<Consultation> {
    authz::may_see_people(actor)?;
    let consultation = load(conn, id).await?;
    if !authz::may_read_consultation(actor, consultation.area_id, &consultation.group_ids) {
        return Err(not_found());
    }
    Ok(consultation)
}

/// The consultations of an area the caller may read, in the order they were recorded;
/// with a financial year, those whose period overlaps it.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    area: GroupId,
    year: Option<FinancialYear>,
    page: PageRequest,
) -> AppResult<Page<Consultation>> {
    authz::may_see_people(actor)?;
    let mut query = db::Entity::find().filter(db::Column::AreaId.eq(area.0));
    if let Some(year) = year {
        query = query.filter(in_year(year));
    }
    if !authz::may_read_consultations_of(actor, area) {
        let mut seats: Vec<i64> = actor.seats().iter().map(|s| s.group.0).collect();
        seats.sort_unstable();
        seats.dedup();
        query = query.filter(
            db::Column::Id.in_subquery(
                Query::select()
                    .column(group_db::Column::ConsultationId)
                    .from(group_db::Entity)
                    .and_where(group_db::Column::GroupId.is_in(seats))
                    .to_owned(),
            ),
        );
    }
    let rows = super::keyset_page(query, db::Column::Id, page)
        .all(conn)
        .await?;
    let consultations = with_links(conn, rows).await?;
    Ok(Page::from_overfetch(consultations, page))
}

/// Whether a consultation's period overlaps the year.
fn in_year(year: FinancialYear) -> Condition {
    Condition::all()
        .add(db::Column::StartsOn.lte(year.ends_on()))
        .add(db::Column::EndsOn.gte(year.starts_on()))
}

/// Every consultation of an area whose period overlaps a year, by start date (for the
/// report, which lists them all; a year's register is tens, not thousands).
async fn of_year(
    conn: &impl ConnectionTrait,
    area: GroupId,
    year: FinancialYear,
) -> AppResult<Vec<Consultation>> {
    let rows = db::Entity::find()
        .filter(db::Column::AreaId.eq(area.0))
        .filter(in_year(year))
        .order_by_asc(db::Column::StartsOn)
        .order_by_asc(db::Column::Id)
        .all(conn)
        .await?;
    with_links(conn, rows).await
}
