//! The register of consultations in GraphQL: recording, changing and removing one (the
//! commissioners), an area's register by financial year, the annual consultation report's
//! preview and publishing it.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::ids;
use super::items::{ItemNode, RemovedIdentifier};
use super::newsletters::NewsletterNode;
use super::pagination::{self, IdConnection};
use super::reports::PublishedReport;
use super::scalars::Date;
use super::types::{GroupNode, MemberNode};
use super::{actor, db, loaders, reader};
use crate::domain::clock::uk_date;
use crate::domain::consultation::{Consultation, FinancialYear};
use crate::domain::{ConsultationId, GroupId, ItemId, NewsletterId};
use crate::error::AppError;
use crate::services::consultations::{self, ConsultationChanges, NewConsultation, Recorded};

/// How people were asked.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::consultation::Method")]
pub enum ConsultationMethod {
    Survey,
    PublicMeeting,
    FocusGroup,
    Workshop,
    /// An online questionnaire, forum or event.
    Online,
    /// Discussed at PPG, district or council meetings.
    PpgDiscussion,
    Other,
}

/// What what was heard did to the decision it informed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::consultation::InfluenceLevel")]
pub enum InfluenceLevel {
    /// The decision was changed because of what people said.
    Changed,
    /// Its details, timing or how it is carried out were shaped by what was heard.
    Shaped,
    /// What was heard supported the decision as proposed.
    Confirmed,
    /// The decision has not been made yet.
    NotYetKnown,
}

/// Where a consultation is today (by the UK date).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::consultation::ConsultationStatus")]
pub enum ConsultationStatus {
    /// It has not started yet.
    Planned,
    /// It is open today.
    Running,
    /// It has ended.
    Closed,
}

pub struct ConsultationNode(pub Consultation);

/// A consultation or engagement exercise in an area's register. Its text had personal
/// identifiers removed before it was stored.
#[Object(name = "Consultation")]
impl ConsultationNode {
    pub async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn area(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.area_id)
            .await?
            .map(GroupNode))
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }

    /// Its last day.
    async fn ends_on(&self) -> Date {
        Date(self.0.ends_on)
    }

    /// PLANNED before it starts, RUNNING until the end of its last day, then CLOSED.
    async fn status(&self) -> ConsultationStatus {
        self.0.status(uk_date(Utc::now())).into()
    }

    /// The financial year it starts in, as `2026-27`.
    async fn financial_year(&self) -> String {
        FinancialYear::of(self.0.starts_on).code()
    }

    async fn method(&self) -> ConsultationMethod {
        self.0.method.into()
    }

    /// How many people took part, when known.
    async fn people_involved(&self) -> Option<u32> {
        self.0.people_involved
    }

    /// Who was involved, in words.
    async fn who_was_involved(&self) -> &str {
        &self.0.who_was_involved
    }

    async fn what_was_heard(&self) -> Option<&str> {
        self.0.what_was_heard.as_deref()
    }

    /// The commissioning decision it informed.
    async fn decision(&self) -> Option<&str> {
        self.0.decision.as_deref()
    }

    /// How what was heard changed, shaped or confirmed the decision.
    async fn influence(&self) -> Option<&str> {
        self.0.influence.as_deref()
    }

    async fn influence_level(&self) -> Option<InfluenceLevel> {
        self.0.influence_level.map(Into::into)
    }

    /// The PPGs, districts or council involved.
    async fn groups(&self, ctx: &Context<'_>) -> Result<Vec<GroupNode>> {
        let found = loaders(ctx)
            .groups
            .load_many(self.0.group_ids.iter().copied())
            .await?;
        Ok(self
            .0
            .group_ids
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .map(GroupNode)
            .collect())
    }

    /// The items linked to it that you may see.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<ItemNode>> {
        let found = loaders(ctx)
            .items
            .load_many(self.0.item_ids.iter().copied())
            .await?;
        Ok(self
            .0
            .item_ids
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .map(ItemNode)
            .collect())
    }

    /// The newsletters linked to it that you may see.
    async fn newsletters(&self, ctx: &Context<'_>) -> Result<Vec<NewsletterNode>> {
        let found = loaders(ctx)
            .newsletters
            .load_many(self.0.newsletter_ids.iter().copied())
            .await?;
        Ok(self
            .0
            .newsletter_ids
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .map(NewsletterNode)
            .collect())
    }

    /// Who recorded it.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        match self.0.created_by {
            Some(id) => Ok(loaders(ctx).members.load_one(id).await?.map(MemberNode)),
            None => Ok(None),
        }
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A financial year as typed (`2026-27`), or the field error saying how to write one.
fn parse_year(text: &str) -> Result<FinancialYear, AppError> {
    Ok(FinancialYear::parse("financialYear", text)?)
}

fn decode_all<T: ids::GlobalId>(list: &[ID], field: &'static str) -> Result<Vec<T>> {
    Ok(list
        .iter()
        .map(|id| ids::from_global::<T>(id, field))
        .collect::<Result<Vec<T>, _>>()?)
}

#[derive(InputObject)]
pub struct CreateConsultationInput {
    /// The area (its council) whose register it goes in.
    area_id: ID,
    title: String,
    starts_on: Date,
    /// Its last day (the same as `startsOn` for a one-day event).
    ends_on: Date,
    method: ConsultationMethod,
    /// How many people took part, when known.
    people_involved: Option<i32>,
    /// Who was involved, in words: "patients of 12 practices, the carers' forum".
    who_was_involved: String,
    what_was_heard: Option<String>,
    /// The commissioning decision it informed.
    decision: Option<String>,
    /// How what was heard changed, shaped or confirmed the decision.
    influence: Option<String>,
    influence_level: Option<InfluenceLevel>,
    /// The PPGs, districts or council involved; their members may read it.
    #[graphql(default)]
    group_ids: Vec<ID>,
    #[graphql(default)]
    item_ids: Vec<ID>,
    #[graphql(default)]
    newsletter_ids: Vec<ID>,
}

/// A change to a consultation: only the fields given change; `null` clears an optional one;
/// a list given replaces that kind of link.
#[derive(InputObject)]
pub struct UpdateConsultationInput {
    id: ID,
    title: Option<String>,
    starts_on: Option<Date>,
    ends_on: Option<Date>,
    method: Option<ConsultationMethod>,
    people_involved: MaybeUndefined<i32>,
    who_was_involved: Option<String>,
    what_was_heard: MaybeUndefined<String>,
    decision: MaybeUndefined<String>,
    influence: MaybeUndefined<String>,
    influence_level: MaybeUndefined<InfluenceLevel>,
    group_ids: Option<Vec<ID>>,
    item_ids: Option<Vec<ID>>,
    newsletter_ids: Option<Vec<ID>>,
}

/// `None` when not given, `Some(None)` when set to null.
fn change<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// A consultation as stored, with what was removed from its text.
#[derive(SimpleObject)]
pub struct ConsultationPayload {
    consultation: ConsultationNode,
    /// Personal identifiers and names removed from the text before it was stored.
    removed_identifiers: Vec<RemovedIdentifier>,
    /// A sentence saying what was removed.
    notice: Option<String>,
}

impl From<Recorded> for ConsultationPayload {
    fn from(recorded: Recorded) -> Self {
        Self {
            consultation: ConsultationNode(recorded.consultation),
            removed_identifiers: recorded
                .removed
                .into_iter()
                .map(|(kind, count)| RemovedIdentifier {
                    kind: kind.into(),
                    count: i32::try_from(count).unwrap_or(i32::MAX),
                })
                .collect(),
            notice: recorded.notice,
        }
    }
}

#[derive(SimpleObject)]
pub struct DeleteConsultationPayload {
    /// The id of the consultation removed.
    deleted_id: ID,
}

#[derive(InputObject)]
pub struct PublishConsultationReportInput {
    area_id: ID,
    /// The financial year, as `2026-27` (1 April 2026 to 31 March 2027).
    financial_year: String,
}

#[derive(SimpleObject)]
pub struct PublishConsultationReportPayload {
    report: PublishedReport,
}

/// The annual consultation report as it would be published now.
#[derive(SimpleObject)]
pub struct ConsultationReportPreview {
    /// The financial year, as `2026-27`.
    financial_year: String,
    title: String,
    /// How many consultations of the year it lists.
    consultations: u32,
    markdown: String,
    text: String,
}

#[derive(Default)]
pub struct ConsultationMutation;

#[Object]
impl ConsultationMutation {
    /// Records a consultation or engagement exercise in an area's register (its
    /// commissioners). Personal identifiers and names are removed from the text first; the
    /// payload says what was removed.
    async fn create_consultation(
        &self,
        ctx: &Context<'_>,
        input: CreateConsultationInput,
    ) -> Result<ConsultationPayload> {
        let new = NewConsultation {
            area_id: ids::from_global::<GroupId>(&input.area_id, "areaId")?,
            title: input.title,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.0,
            method: input.method.into(),
            people_involved: input.people_involved,
            who_was_involved: input.who_was_involved,
            what_was_heard: input.what_was_heard,
            decision: input.decision,
            influence: input.influence,
            influence_level: input.influence_level.map(Into::into),
            group_ids: decode_all::<GroupId>(&input.group_ids, "groupIds")?,
            item_ids: decode_all::<ItemId>(&input.item_ids, "itemIds")?,
            newsletter_ids: decode_all::<NewsletterId>(&input.newsletter_ids, "newsletterIds")?,
        };
        Ok(consultations::create(db(ctx), actor(ctx), new)
            .await?
            .into())
    }

    /// Changes a consultation: only the fields given change (what was heard, the decision and
    /// its influence are usually added once it has closed).
    async fn update_consultation(
        &self,
        ctx: &Context<'_>,
        input: UpdateConsultationInput,
    ) -> Result<ConsultationPayload> {
        let id = ids::from_global::<ConsultationId>(&input.id, "id")?;
        let changes = ConsultationChanges {
            title: input.title,
            starts_on: input.starts_on.map(|d| d.0),
            ends_on: input.ends_on.map(|d| d.0),
            method: input.method.map(Into::into),
            people_involved: change(input.people_involved),
            who_was_involved: input.who_was_involved,
            what_was_heard: change(input.what_was_heard),
            decision: change(input.decision),
            influence: change(input.influence),
            influence_level: change(input.influence_level).map(|l| l.map(Into::into)),
            group_ids: input
                .group_ids
                .map(|l| decode_all::<GroupId>(&l, "groupIds"))
                .transpose()?,
            item_ids: input
                .item_ids
                .map(|l| decode_all::<ItemId>(&l, "itemIds"))
                .transpose()?,
            newsletter_ids: input
                .newsletter_ids
                .map(|l| decode_all::<NewsletterId>(&l, "newsletterIds"))
                .transpose()?,
        };
        Ok(consultations::update(db(ctx), actor(ctx), id, changes)
            .await?
            .into())
    }

    /// Removes a consultation recorded by mistake. A report already published that lists it
    /// stays as it was published.
    async fn delete_consultation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<DeleteConsultationPayload> {
        let id = ids::from_global::<ConsultationId>(&id, "id")?;
        let deleted = consultations::delete(db(ctx), actor(ctx), id).await?;
        Ok(DeleteConsultationPayload {
            deleted_id: ids::to_global(deleted),
        })
    }

    /// Publishes the annual report on consultation and its influence on commissioning
    /// decisions for a financial year, made from the register now and kept as it is. Each
    /// year's report is published once.
    async fn publish_consultation_report(
        &self,
        ctx: &Context<'_>,
        input: PublishConsultationReportInput,
    ) -> Result<PublishConsultationReportPayload> {
        let area = ids::from_global::<GroupId>(&input.area_id, "areaId")?;
        let year = parse_year(&input.financial_year)?;
        let report = consultations::publish_report(db(ctx), actor(ctx), area, year).await?;
        Ok(PublishConsultationReportPayload {
            report: PublishedReport(report),
        })
    }
}

#[derive(Default)]
pub struct ConsultationQuery;

#[Object]
impl ConsultationQuery {
    /// An area's consultations you may see (all of them for its council and commissioners;
    /// those involving your group for a PPG or district), in the order they were recorded;
    /// with `financialYear` (`2026-27`), those whose dates overlap that year.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn consultations(
        &self,
        ctx: &Context<'_>,
        area_id: ID,
        financial_year: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<ConsultationNode>> {
        let area = ids::from_global::<GroupId>(&area_id, "areaId")?;
        let year = financial_year.as_deref().map(parse_year).transpose()?;
        let request = pagination::page_request(first, after)?;
        let page = consultations::list(reader(ctx), actor(ctx), area, year, request).await?;
        Ok(pagination::connection(
            page,
            request,
            |c| c.id.0,
            ConsultationNode,
        ))
    }

    /// The annual consultation report for a financial year as it would be published now, in
    /// Markdown and plain text, for the commissioners drafting it. Nothing is published.
    async fn consultation_report(
        &self,
        ctx: &Context<'_>,
        area_id: ID,
        financial_year: String,
    ) -> Result<ConsultationReportPreview> {
        let area = ids::from_global::<GroupId>(&area_id, "areaId")?;
        let year = parse_year(&financial_year)?;
        let draft = consultations::preview_report(reader(ctx), actor(ctx), area, year).await?;
        Ok(ConsultationReportPreview {
            financial_year: draft.year.code(),
            title: draft.rendered.title,
            consultations: u32::try_from(draft.consultations).unwrap_or(u32::MAX),
            markdown: draft.rendered.markdown,
            text: draft.rendered.text,
        })
    }
}
