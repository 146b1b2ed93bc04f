//! The annual report on consultation and its influence on commissioning decisions: made from
//! the register for a financial year (the year's consultations, last year's, and those
//! planned for next year), previewed by the officer drafting it, and published once, after
//! which it stays as it was (`services::reports`).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use super::of_year;
use crate::domain::GroupId;
use crate::domain::ReportId;
use crate::domain::authz::{self, Actor};
use crate::domain::clock::uk_date;
use crate::domain::consultation::{self, Consultation, FinancialYear};
use crate::domain::report::{Rendered, Report, ReportKind};
use crate::error::AppResult;
use crate::render::consultations::{self as render, ReportView};
use crate::services::{groups, reports};

/// The report as it would be published today.
#[derive(Debug, Clone)]
pub struct ReportDraft {
    pub year: FinancialYear,
    /// How many consultations of the year it lists.
    pub consultations: usize,
    pub rendered: Rendered,
}

/// What the report is made of: the area's name, the year's consultations, last year's and
/// next year's, and the names of the groups involved.
struct Contents {
    area_name: String,
    this_year: Vec<Consultation>,
    last_year: Vec<Consultation>,
    next_year: Vec<Consultation>,
    group_names: HashMap<GroupId, String>,
}

async fn contents(
    conn: &impl ConnectionTrait,
    area: GroupId,
    year: FinancialYear,
) -> AppResult<Contents> {
    let council = groups::area(conn, area).await?;
    let this_year = of_year(conn, area, year).await?;
    let last_year = of_year(conn, area, year.previous()).await?;
    let next_year = of_year(conn, area, year.next()).await?;
    let mut involved: Vec<GroupId> = this_year
        .iter()
        .flat_map(|c| c.group_ids.iter().copied())
        .collect();
    involved.sort();
    involved.dedup();
    let group_names = groups::get_many(conn, &involved)
        .await?
        .into_iter()
        .map(|(id, group)| (id, group.name.as_str().to_owned()))
        .collect();
    Ok(Contents {
        area_name: council.name.as_str().to_owned(),
        this_year,
        last_year,
        next_year,
        group_names,
    })
}

/// The report of `contents` rendered today: published under `id`, or a draft.
fn rendered(contents: &Contents, year: FinancialYear, id: Option<ReportId>) -> Rendered {
    render::render(
        &ReportView {
            area_name: &contents.area_name,
            year,
            this_year: &contents.this_year,
            last_year: &contents.last_year,
            next_year: &contents.next_year,
            group_names: &contents.group_names,
            today: uk_date(crate::services::now()),
            published: id.is_some(),
        },
        id,
    )
}

/// The report for a year as it would be published now, for the commissioners to read
/// before publishing.
#[tracing::instrument(skip_all, fields(area = %area, member = ?actor.member_id()))]
pub async fn preview_report(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    area: GroupId,
    year: FinancialYear,
) -> AppResult<ReportDraft> {
    authz::may_manage_consultations(actor, area)?;
    let contents = contents(conn, area, year).await?;
    Ok(ReportDraft {
        year,
        consultations: contents.this_year.len(),
        rendered: rendered(&contents, year, None),
    })
}

/// Publishes the report for a year: rendered once, now, and kept as it is. A year's report
/// is published once (a second attempt is a conflict).
#[tracing::instrument(skip_all, fields(area = %area, member = ?actor.member_id()))]
pub async fn publish_report(
    db: &DatabaseConnection,
    actor: &Actor,
    area: GroupId,
    year: FinancialYear,
) -> AppResult<Report> {
    authz::may_manage_consultations(actor, area)?;
    consultation::check_reportable(year, uk_date(crate::services::now()))?;
    let txn = db.begin().await?;
    let contents = contents(&txn, area, year).await?;
    // Rendered under the id it is stored with, so that its pages link to each other.
    let report = reports::store_with(
        &txn,
        actor,
        area,
        ReportKind::Consultations,
        &year.code(),
        &render::title(&contents.area_name, year),
        |id| rendered(&contents, year, Some(id)),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}
