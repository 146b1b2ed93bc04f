//! Published reports in GraphQL: `PublishedReport` (what publishing a report returns, with
//! the addresses it is read at) and `publishedReports`, an area's published reports of a
//! kind. Published reports are public, like published newsletters.

use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{ids, reader};
use crate::domain::GroupId;
use crate::domain::report::{Report, ReportFormat};
use crate::services::reports;

/// What a report reports on.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::report::ReportKind")]
pub enum ReportKind {
    /// An area's monthly patient-experience report (period `2026-11`).
    Monthly,
    /// An area's annual report on consultation and its influence on commissioning decisions
    /// (period `2026-27`).
    Consultations,
}

pub struct PublishedReport(pub Report);

/// A published report, kept as it was published. The addresses are relative to Pyramid's
/// public address.
#[Object(name = "PublishedReport")]
impl PublishedReport {
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn kind(&self) -> ReportKind {
        self.0.kind.into()
    }

    /// `2026-11` for a month, `2026-27` for a financial year.
    async fn period(&self) -> &str {
        &self.0.period
    }

    async fn title(&self) -> &str {
        &self.0.rendered.title
    }

    async fn html_url(&self) -> String {
        ReportFormat::Html.path(self.0.id)
    }

    async fn large_print_url(&self) -> String {
        ReportFormat::LargePrint.path(self.0.id)
    }

    async fn text_url(&self) -> String {
        ReportFormat::Text.path(self.0.id)
    }

    async fn markdown_url(&self) -> String {
        ReportFormat::Markdown.path(self.0.id)
    }

    /// The report's tables for a spreadsheet; `null` for a report without tables.
    async fn csv_url(&self) -> Option<String> {
        self.0
            .rendered
            .csv
            .as_ref()
            .map(|_| ReportFormat::Csv.path(self.0.id))
    }

    async fn published_at(&self) -> DateTime<Utc> {
        self.0.published_at
    }
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// The reports of a kind published for an area, newest period first. Anyone may read
    /// them (no token needed).
    async fn published_reports(
        &self,
        ctx: &Context<'_>,
        area_id: ID,
        kind: ReportKind,
    ) -> Result<Vec<PublishedReport>> {
        let area = ids::from_global::<GroupId>(&area_id, "areaId")?;
        Ok(reports::list(reader(ctx), area, kind.into())
            .await?
            .into_iter()
            .map(PublishedReport)
            .collect())
    }
}
