//! The annual report on consultation and its influence on commissioning decisions: made from
//! the register for a financial year (the year's consultations, last year's, and those
//! planned for next year), previewed by the officer drafting it, and published once, after
//! which it stays as it was (`services::reports`).

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use super::of_year;
use crate::domain::GroupId;
use crate::domain::authz::{self, Actor};
use crate::domain::clock::uk_date;
use crate::domain::consultation::{self, FinancialYear};
use crate::domain::report::{Rendered, Report, ReportKind};
use crate::error::AppResult;
use crate::render_consultations::{self, ReportView};
use crate::services::{groups, reports};

/// The report as it would be published today.
#[derive(Debug, Clone)]
pub struct ReportDraft {
    pub year: FinancialYear,
    /// How many consultations of the year it lists.
    pub consultations: usize,
    pub rendered: Rendered,
}

/// Reads what the report is made of and renders it.
async fn draft(
    conn: &impl ConnectionTrait,
    area: GroupId,
    year: FinancialYear,
    published: bool,
) -> AppResult<ReportDraft> {
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
    let names = groups::get_many(conn, &involved)
        .await?
        .into_iter()
        .map(|(id, group)| (id, group.name.as_str().to_owned()))
        .collect();
    let view = ReportView {
        area_name: council.name.as_str(),
        year,
        this_year: &this_year,
        last_year: &last_year,
        next_year: &next_year,
        group_names: &names,
        today: uk_date(crate::services::now()),
        published,
    };
    Ok(ReportDraft {
        year,
        consultations: this_year.len(),
        rendered: render_consultations::render(&view),
    })
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
    draft(conn, area, year, false).await
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
    let draft = draft(&txn, area, year, true).await?;
    let report = reports::store(
        &txn,
        actor,
        area,
        ReportKind::Consultations,
        &year.code(),
        draft.rendered,
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}
