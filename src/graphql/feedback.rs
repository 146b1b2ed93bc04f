//! Other sources of feedback in GraphQL: importing a file (a multipart upload), an area's
//! imports and undoing one, and triangulation for a provider.

use std::io::Read;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, NaiveDate, Utc};

use super::ids;
use super::pagination::{self, IdConnection};
use super::patterns::ThemeNode;
use super::scalars::Date;
use super::types::{GroupNode, MemberNode, ProviderNode};
use super::{actor, db, loaders, reader};
use crate::domain::feedback::triangulation::{Side, Tally as DomainTally, ThemeRow};
use crate::domain::feedback::{Import, LineError, Month};
use crate::domain::{FeedbackImportId, GroupId, ProviderId};
use crate::error::AppError;
use crate::services::feedback::{self, ImportReport, ProviderTriangulation};

/// Where a file of feedback comes from.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::feedback::Source")]
pub enum FeedbackSource {
    /// Friends and Family Test monthly results (NHS England's published layout).
    Fft,
    /// Complaints in the KO41a / KO41b shape.
    Complaints,
    /// PALS contacts.
    Pals,
    /// Care Opinion postings (an export).
    CareOpinion,
    /// The register of organisations and sites (an ODS extract).
    OdsRegister,
}

pub struct FeedbackImportNode(pub Import);

/// A file imported into an area.
#[Object(name = "FeedbackImport")]
impl FeedbackImportNode {
    pub async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    /// The import's number, as `pyramid imports` lists it.
    async fn number(&self) -> i64 {
        self.0.id.0
    }

    async fn area(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.area_id)
            .await?
            .map(GroupNode))
    }

    async fn source(&self) -> FeedbackSource {
        self.0.source.into()
    }

    async fn file_name(&self) -> &str {
        self.0.file_name.as_str()
    }

    async fn rows_imported(&self) -> u32 {
        self.0.rows_imported
    }

    async fn rows_rejected(&self) -> u32 {
        self.0.rows_rejected
    }

    /// The first month its figures cover, as `2026-10` (none for the register).
    async fn first_month(&self) -> Option<String> {
        self.0.first_month.map(Month::code)
    }

    async fn last_month(&self) -> Option<String> {
        self.0.last_month.map(Month::code)
    }

    /// Who imported it; `null` for the command line.
    async fn imported_by(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        match self.0.imported_by {
            Some(id) => Ok(loaders(ctx).members.load_one(id).await?.map(MemberNode)),
            None => Ok(None),
        }
    }

    async fn imported_at(&self) -> DateTime<Utc> {
        self.0.imported_at
    }

    /// When it was undone; `null` while it stands.
    async fn undone_at(&self) -> Option<DateTime<Utc>> {
        self.0.undone_at
    }
}

/// A line of a file that was not imported, and why.
#[derive(SimpleObject)]
pub struct RejectedLine {
    /// The line in the file (the header is line 1).
    line: u32,
    reason: String,
}

impl From<&LineError> for RejectedLine {
    fn from(error: &LineError) -> Self {
        Self {
            line: u32::try_from(error.line).unwrap_or(u32::MAX),
            reason: error.reason.clone(),
        }
    }
}

pub struct ImportPayload(ImportReport);

/// What an import did, or for a dry run would do.
#[Object(name = "ImportFeedbackPayload")]
impl ImportPayload {
    /// The import stored; `null` for a dry run, or when no line could be used.
    async fn import(&self) -> Option<FeedbackImportNode> {
        self.0.import.clone().map(FeedbackImportNode)
    }

    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }

    /// Lines read (the header aside).
    async fn rows_read(&self) -> u32 {
        self.0.rows_read
    }

    /// Lines imported (for the register: organisations and sites added).
    async fn rows_imported(&self) -> u32 {
        self.0.rows_imported
    }

    /// For the register: organisations already in it, left as they were.
    async fn already_in_register(&self) -> u32 {
        self.0.already_known
    }

    /// Each line not imported, with why.
    async fn rejected(&self) -> Vec<RejectedLine> {
        self.0.rejected.iter().map(RejectedLine::from).collect()
    }
}

#[derive(InputObject)]
pub struct ImportFeedbackInput {
    /// The area (its council) the figures belong to.
    area_id: ID,
    source: FeedbackSource,
    /// Check the file and report what would be imported, storing nothing.
    #[graphql(default = false)]
    dry_run: bool,
}

#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Imports a CSV file (sent as a GraphQL multipart upload): FFT results, complaints, PALS
    /// contacts or Care Opinion postings for the area's commissioners; the ODS register for
    /// its administrators. The valid lines are imported together, or none; each refused line
    /// is listed with its reason; the same file is not imported twice.
    async fn import_feedback(
        &self,
        ctx: &Context<'_>,
        input: ImportFeedbackInput,
        file: Upload,
    ) -> Result<ImportPayload> {
        let area = ids::from_global::<GroupId>(&input.area_id, "areaId")?;
        let upload = file.value(ctx).map_err(|_| {
            AppError::bad_input(
                "file",
                "The file did not arrive: send it as a multipart upload.",
            )
        })?;
        let file_name = upload.filename.clone();
        let mut content = Vec::new();
        upload
            .into_read()
            .take(feedback::MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut content)
            .map_err(|_| AppError::bad_input("file", "The file could not be read."))?;
        let report = feedback::import_file(
            db(ctx),
            actor(ctx),
            feedback::ImportFile {
                area,
                source: input.source.into(),
                file_name,
                content,
                dry_run: input.dry_run,
            },
        )
        .await?;
        Ok(ImportPayload(report))
    }

    /// Undoes an import: its figures are taken out (for the register, the providers it added,
    /// if nothing uses them yet). The same file may then be imported again.
    async fn undo_feedback_import(&self, ctx: &Context<'_>, id: ID) -> Result<FeedbackImportNode> {
        let id = ids::from_global::<FeedbackImportId>(&id, "id")?;
        Ok(FeedbackImportNode(
            feedback::undo(db(ctx), actor(ctx), id).await?,
        ))
    }
}

#[derive(Default)]
pub struct FeedbackQuery;

#[Object]
impl FeedbackQuery {
    /// An area's imports, oldest first (its commissioners and administrators).
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn feedback_imports(
        &self,
        ctx: &Context<'_>,
        area_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<FeedbackImportNode>> {
        let area = ids::from_global::<GroupId>(&area_id, "areaId")?;
        let request = pagination::page_request(first, after)?;
        let page = feedback::list(reader(ctx), actor(ctx), area, request).await?;
        Ok(pagination::connection(
            page,
            request,
            |i| i.id.0,
            FeedbackImportNode,
        ))
    }

    /// The area's counts as CSV (month, provider, theme heading, source, measure, count) from
    /// `from` to `to` (whole months, at most 36), anonymised for open data: counts from 1 to 4
    /// are `*`, as NHS England suppresses them. For the area's commissioners and council.
    async fn feedback_export(
        &self,
        ctx: &Context<'_>,
        area_id: ID,
        from: Date,
        to: Date,
    ) -> Result<String> {
        let area = ids::from_global::<GroupId>(&area_id, "areaId")?;
        Ok(feedback::export(reader(ctx), actor(ctx), area, from.0, to.0).await?)
    }

    /// A provider's soft intelligence beside complaints, PALS, the Friends and Family Test and
    /// Care Opinion, month by month from `from` to `to` (whole months, at most 36), overall and
    /// per theme heading, with what a reader should notice where the sources disagree. An
    /// organisation's figures include its sites' and services'. `areaId` may be left out by
    /// someone who belongs to one area.
    async fn triangulation(
        &self,
        ctx: &Context<'_>,
        provider_id: ID,
        from: Date,
        to: Date,
        area_id: Option<ID>,
    ) -> Result<TriangulationNode> {
        let provider = ids::from_global::<ProviderId>(&provider_id, "providerId")?;
        let area = area_id
            .map(|id| ids::from_global::<GroupId>(&id, "areaId"))
            .transpose()?;
        let (from, to): (NaiveDate, NaiveDate) = (from.0, to.0);
        Ok(TriangulationNode(
            feedback::triangulation(reader(ctx), actor(ctx), provider, area, from, to).await?,
        ))
    }
}

pub struct TriangulationNode(ProviderTriangulation);

/// A provider's sources side by side.
#[Object(name = "Triangulation")]
impl TriangulationNode {
    async fn provider(&self) -> ProviderNode {
        ProviderNode(self.0.provider.clone())
    }

    async fn area(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.area)
            .await?
            .map(GroupNode))
    }

    /// The first month, as `2026-10`.
    async fn from(&self) -> String {
        self.0.from.code()
    }

    async fn to(&self) -> String {
        self.0.to.code()
    }

    /// Every source, for the provider as a whole, month by month.
    async fn months(&self) -> Vec<SourcesInMonth> {
        self.0
            .figures
            .months
            .iter()
            .map(|(month, side)| SourcesInMonth::new(*month, side, true))
            .collect()
    }

    /// The same per theme heading (the FFT has no themes); `theme` is `null` for figures no
    /// heading of the vocabulary matches.
    async fn themes(&self) -> Vec<SourcesByTheme<'_>> {
        self.0.figures.themes.iter().map(SourcesByTheme).collect()
    }

    /// Where the sources disagree, in plain sentences.
    async fn findings(&self) -> &[String] {
        &self.0.figures.findings
    }
}

pub struct SourcesByTheme<'a>(&'a ThemeRow);

#[Object(name = "TriangulationTheme")]
impl SourcesByTheme<'_> {
    async fn theme(&self, ctx: &Context<'_>) -> Result<Option<ThemeNode>> {
        match self.0.theme {
            Some(id) => Ok(loaders(ctx).themes.load_one(id).await?.map(ThemeNode)),
            None => Ok(None),
        }
    }

    async fn months(&self) -> Vec<SourcesInMonth> {
        self.0
            .months
            .iter()
            .map(|(month, side)| SourcesInMonth::new(*month, side, false))
            .collect()
    }
}

/// A sum of published counts, with how many were suppressed (too small to publish) and so
/// are not in it.
#[derive(SimpleObject)]
pub struct Tally {
    count: u32,
    suppressed: u32,
}

impl From<DomainTally> for Tally {
    fn from(t: DomainTally) -> Self {
        Self {
            count: t.count,
            suppressed: t.suppressed,
        }
    }
}

/// A month of Friends and Family Test results, over the lines whose counts are all published.
#[derive(SimpleObject)]
pub struct FftMonth {
    /// Responses counted: the base of the percentages.
    responses: u32,
    /// Very good and good as a share of all responses ("don't know" included, as NHS England
    /// counts it), in whole percent; `null` without responses.
    percent_positive: Option<u32>,
    percent_negative: Option<u32>,
    dont_know: u32,
    /// Lines left out because a count they need was suppressed.
    suppressed_lines: u32,
}

/// What each source says in one month.
#[derive(SimpleObject)]
pub struct SourcesInMonth {
    /// The month, as `2026-10`.
    month: String,
    /// The month in words: "October 2026".
    label: String,
    /// The pyramid's own reports raised that month: concerns (negative or mixed) and
    /// positive ones.
    soft_intelligence_concerns: u32,
    soft_intelligence_positive: u32,
    complaints: Tally,
    complaints_upheld: Tally,
    pals_contacts: u32,
    pals_compliments: u32,
    /// `null` per theme (the FFT has none) and in a month with no FFT figures.
    fft: Option<FftMonth>,
    care_opinion_stories: u32,
    care_opinion_negative_tags: u32,
    care_opinion_responded: u32,
    care_opinion_change_planned: u32,
    care_opinion_change_made: u32,
}

impl SourcesInMonth {
    fn new(month: Month, side: &Side, overall: bool) -> Self {
        Self {
            month: month.code(),
            label: month.label(),
            soft_intelligence_concerns: side.soft_negative,
            soft_intelligence_positive: side.soft_positive,
            complaints: side.complaints.into(),
            complaints_upheld: side.complaints_upheld.into(),
            pals_contacts: side.pals,
            pals_compliments: side.pals_compliments,
            fft: side.fft.filter(|_| overall).map(|f| FftMonth {
                responses: f.responses,
                percent_positive: f.percent_positive(),
                percent_negative: f.percent_negative(),
                dont_know: f.dont_know,
                suppressed_lines: f.suppressed_lines,
            }),
            care_opinion_stories: side.stories,
            care_opinion_negative_tags: side.negative_tags,
            care_opinion_responded: side.responded,
            care_opinion_change_planned: side.change_planned,
            care_opinion_change_made: side.change_made,
        }
    }
}
