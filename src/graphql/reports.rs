//! Reports in GraphQL: the monthly patient-experience report of an area (its figures, and a
//! preview of its text, for the council and the commissioners), publishing it, and published
//! reports (public, as their pages are).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::ids;
use super::patterns::ThemeNode;
use super::scalars::Date;
use super::types::GroupNode;
use super::{actor, db, loaders, reader};
use crate::domain::GroupId;
use crate::domain::monthly::{self, MonthlyReport};
use crate::domain::report::{Report, ReportFormat};
use crate::render::document;
use crate::services::reports::{self, monthly as service};

/// What kind of report.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::report::ReportKind")]
pub enum ReportKind {
    /// An area's monthly patient-experience report.
    Monthly,
    /// An area's annual report on consultation and its influence on commissioning decisions.
    Consultations,
}

pub struct PublishedReport(pub Report);

/// A published report, kept as it was published, readable by anyone at its addresses.
#[Object]
impl PublishedReport {
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn kind(&self) -> ReportKind {
        self.0.kind.into()
    }

    async fn area(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.area_id)
            .await?
            .map(GroupNode))
    }

    /// `2026-11` for a month, `2026-27` for a financial year.
    async fn period(&self) -> &str {
        &self.0.period
    }

    async fn title(&self) -> &str {
        &self.0.rendered.title
    }

    async fn published_at(&self) -> DateTime<Utc> {
        self.0.published_at
    }

    /// The page, relative to Pyramid's address.
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

    /// Its audio version (Ogg/Opus), spoken from the plain text once shortly after publishing;
    /// not found until it is made.
    async fn audio_url(&self) -> String {
        ReportFormat::Audio.path(self.0.id)
    }

    /// The report's tables as CSV; `null` for a report without tables.
    async fn csv_url(&self) -> Option<String> {
        self.0
            .rendered
            .csv
            .as_ref()
            .map(|_| ReportFormat::Csv.path(self.0.id))
    }
}

/// Which way a count moved against the months before.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::feedback::triangulation::Movement")]
pub enum Trend {
    Rising,
    Level,
    Falling,
}

/// A tier of the pyramid, for the closed-loop figures.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::monthly::Tier")]
pub enum ReportTier {
    Ppg,
    District,
    Council,
    /// Referred to the commissioners.
    Commissioners,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::monthly::PatternChange")]
pub enum PatternChange {
    Opened,
    TakenUp,
    Dismissed,
}

/// A month of what the pyramid heard.
#[derive(SimpleObject)]
pub struct MonthFigures {
    /// `2026-11`.
    month: String,
    reports: u32,
    reporting_ppgs: u32,
}

/// A run chart's reading (Making Data Count): the mean, the process limits, and each point's
/// signals in words (empty for common cause variation).
#[derive(SimpleObject)]
pub struct RunChart {
    values: Vec<f64>,
    mean: f64,
    upper_limit: f64,
    lower_limit: f64,
    signals: Vec<Vec<String>>,
}

impl From<&crate::domain::spc::Chart> for RunChart {
    fn from(chart: &crate::domain::spc::Chart) -> Self {
        Self {
            values: chart.values.clone(),
            mean: chart.mean,
            upper_limit: chart.upper,
            lower_limit: chart.lower,
            signals: chart
                .signals
                .iter()
                .map(|s| s.iter().map(|s| s.describe().to_owned()).collect())
                .collect(),
        }
    }
}

pub struct ThemeTrendNode(monthly::ThemeTrend);

/// A theme heading's concerns month by month.
#[Object(name = "ThemeTrend")]
impl ThemeTrendNode {
    async fn theme(&self, ctx: &Context<'_>) -> Result<Option<ThemeNode>> {
        Ok(loaders(ctx)
            .themes
            .load_one(self.0.theme)
            .await?
            .map(ThemeNode))
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Concerns under the heading each month (the report's `months`).
    async fn counts(&self) -> &[u32] {
        &self.0.counts
    }

    /// All reports each month: the base the counts are out of.
    async fn bases(&self) -> &[u32] {
        &self.0.bases
    }

    async fn this_month(&self) -> u32 {
        self.0.this_month
    }

    /// The mean of the three months before.
    async fn previous_mean(&self) -> f64 {
        self.0.previous_mean
    }

    async fn trend(&self) -> Trend {
        self.0.movement.into()
    }

    /// The run chart, with six months or more.
    async fn chart(&self) -> Option<RunChart> {
        self.0.chart.as_ref().map(RunChart::from)
    }

    /// The report's month read on the chart, in words, when it signals more concerns.
    async fn signal(&self) -> Option<&'static str> {
        self.0.latest_signal()
    }
}

#[derive(SimpleObject)]
pub struct SourceRise {
    source: &'static str,
    /// The months before the report's month it was compared with (up to three in which the
    /// source has figures), and their monthly mean.
    months_before: u32,
    mean_before: f64,
    /// Negative feedback in the report's month.
    this_month: u32,
}

#[derive(SimpleObject)]
pub struct RisingProvider {
    name: String,
    rises: Vec<SourceRise>,
}

#[derive(SimpleObject)]
pub struct SafetyWait {
    reference: String,
    provider: Option<String>,
    raised_on: Date,
    days_waiting: i64,
    due_on: Option<Date>,
    overdue: bool,
}

#[derive(SimpleObject)]
pub struct PatternFigure {
    change: PatternChange,
    about: String,
    ppgs: u32,
}

/// One tier's closed loop over the twelve months.
#[derive(SimpleObject)]
pub struct TierLoop {
    /// `null` for all tiers together.
    tier: Option<ReportTier>,
    items: u32,
    answered: u32,
    answered_percent: Option<u32>,
    change_planned: u32,
    change_made: u32,
    /// Of the answered, the share that led to a change planned or made.
    changed_percent: Option<u32>,
    median_days_to_answer: Option<i64>,
    p90_days_to_answer: Option<i64>,
    past_response_clock: u32,
}

/// The area's planned changes as at the report's date.
#[derive(SimpleObject)]
pub struct ChangeFigures {
    planned: u32,
    overdue: u32,
    made: u32,
    abandoned: u32,
}

#[derive(SimpleObject)]
pub struct OverdueReferral {
    reference: String,
    provider: Option<String>,
    due_on: Date,
    days_late: i64,
}

pub struct MonthlyReportNode {
    area: GroupId,
    report: MonthlyReport,
}

/// An area's monthly patient-experience report: themes and trends, rising negative feedback
/// across sources, gaps, open safety concerns, patterns and the closed loop.
#[Object(name = "MonthlyReport")]
impl MonthlyReportNode {
    async fn area(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.area)
            .await?
            .map(GroupNode))
    }

    /// `2026-11`.
    async fn month(&self) -> String {
        self.report.month.code()
    }

    /// The day the figures are as at.
    async fn as_at(&self) -> Date {
        Date(self.report.as_at)
    }

    async fn title(&self) -> String {
        self.report.title()
    }

    /// The month in a few sentences.
    async fn summary(&self) -> Vec<String> {
        self.report.summary()
    }

    /// The months read, oldest first (from the area's first report, at most twelve).
    async fn months(&self) -> Vec<MonthFigures> {
        self.report
            .months
            .iter()
            .zip(self.report.reports.iter().zip(&self.report.reporting_ppgs))
            .map(|(m, (r, p))| MonthFigures {
                month: m.code(),
                reports: *r,
                reporting_ppgs: *p,
            })
            .collect()
    }

    async fn ppg_count(&self) -> u32 {
        self.report.ppg_count
    }

    /// Reports each month as a run chart (six months or more).
    async fn reports_chart(&self) -> Option<RunChart> {
        self.report.reports_chart.as_ref().map(RunChart::from)
    }

    /// Theme headings with concerns, most this month first.
    async fn themes(&self) -> Vec<ThemeTrendNode> {
        self.report
            .themes
            .iter()
            .cloned()
            .map(ThemeTrendNode)
            .collect()
    }

    async fn rising_providers(&self) -> Vec<RisingProvider> {
        self.report
            .rising
            .iter()
            .map(|p| RisingProvider {
                name: p.name.clone(),
                rises: p
                    .rises
                    .iter()
                    .map(|r| SourceRise {
                        source: r.source,
                        months_before: r.months_before,
                        mean_before: r.mean_before,
                        this_month: r.after,
                    })
                    .collect(),
            })
            .collect()
    }

    /// PPGs that raised nothing in the month.
    async fn silent_ppgs(&self) -> &[String] {
        &self.report.silent_ppgs
    }

    /// Providers heard of in the twelve months that no source mentioned in the month.
    async fn quiet_providers(&self) -> &[String] {
        &self.report.quiet_organisations
    }

    /// Organisations of the area's register no source mentioned in the twelve months.
    async fn unmentioned_in_register(&self) -> u32 {
        self.report.unmentioned_in_register
    }

    async fn safety_concerns(&self) -> Vec<SafetyWait> {
        self.report
            .safety
            .iter()
            .map(|s| SafetyWait {
                reference: s.reference.clone(),
                provider: s.provider.clone(),
                raised_on: Date(s.raised_on),
                days_waiting: s.days_waiting,
                due_on: s.due_on.map(Date),
                overdue: s.overdue,
            })
            .collect()
    }

    /// Patterns opened, taken up and dismissed in the month.
    async fn patterns(&self) -> Vec<PatternFigure> {
        self.report
            .patterns
            .iter()
            .map(|p| PatternFigure {
                change: p.change.into(),
                about: p.about.clone(),
                ppgs: p.ppgs,
            })
            .collect()
    }

    /// Per tier, then all tiers together (`tier: null`).
    async fn closed_loop(&self) -> Vec<TierLoop> {
        self.report
            .loops
            .iter()
            .map(|l| TierLoop {
                tier: l.tier.map(Into::into),
                items: l.items,
                answered: l.answered,
                answered_percent: l.answered_percent(),
                change_planned: l.change_planned,
                change_made: l.change_made,
                changed_percent: l.changed_percent(),
                median_days_to_answer: l.median_days,
                p90_days_to_answer: l.p90_days,
                past_response_clock: l.overdue,
            })
            .collect()
    }

    async fn changes(&self) -> ChangeFigures {
        let c = self.report.changes;
        ChangeFigures {
            planned: c.planned,
            overdue: c.overdue,
            made: c.made,
            abandoned: c.abandoned,
        }
    }

    /// Referrals past their response clock, the longest late first.
    async fn overdue(&self) -> Vec<OverdueReferral> {
        self.report
            .overdue
            .iter()
            .map(|o| OverdueReferral {
                reference: o.reference.clone(),
                provider: o.provider.clone(),
                due_on: Date(o.due_on),
                days_late: o.days_late,
            })
            .collect()
    }

    /// The report as Markdown, as it would be published today.
    async fn markdown(&self) -> String {
        document::markdown(&crate::render::monthly::document(&self.report, None, None))
    }

    /// The report as plain text, as it would be published today.
    async fn text(&self) -> String {
        document::text(&crate::render::monthly::document(&self.report, None, None))
    }

    /// The published report of this month, once it has been published.
    async fn published(&self, ctx: &Context<'_>) -> Result<Option<PublishedReport>> {
        Ok(reports::find(
            reader(ctx),
            self.area,
            crate::domain::report::ReportKind::Monthly,
            &self.report.month.code(),
        )
        .await?
        .map(PublishedReport))
    }
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// An area's monthly patient-experience report for `month` (`2026-11`), as at the month's
    /// end (or today, for the month under way): for the council and the commissioners.
    async fn monthly_report(
        &self,
        ctx: &Context<'_>,
        area_id: ID,
        month: String,
    ) -> Result<MonthlyReportNode> {
        let area = ids::from_global::<GroupId>(&area_id, "areaId")?;
        let month = service::parse_month(&month)?;
        let report =
            service::monthly(reader(ctx), actor(ctx), area, month, crate::services::now()).await?;
        Ok(MonthlyReportNode { area, report })
    }

    /// An area's published reports of one kind, the latest period first. Published reports are
    /// public.
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

#[derive(InputObject)]
pub struct PublishMonthlyReportInput {
    area_id: ID,
    /// A month that is over, as `2026-11`.
    month: String,
}

#[derive(SimpleObject)]
pub struct PublishMonthlyReportPayload {
    report: PublishedReport,
}

#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Publishes an area's monthly report for a month that is over (its commissioners, or the
    /// council's secretary or chair): rendered once, kept as it is today, readable by anyone
    /// at its addresses. A month is published once.
    async fn publish_monthly_report(
        &self,
        ctx: &Context<'_>,
        input: PublishMonthlyReportInput,
    ) -> Result<PublishMonthlyReportPayload> {
        let area = ids::from_global::<GroupId>(&input.area_id, "areaId")?;
        let month = service::parse_month(&input.month)?;
        let report =
            service::publish(db(ctx), actor(ctx), area, month, crate::services::now()).await?;
        Ok(PublishMonthlyReportPayload {
            report: PublishedReport(report),
        })
    }
}
