//! Items in GraphQL: the `Item` and `ItemEvent` types, reading items, the mutations that move
//! them, and the live feed of their events.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};

use super::scalars::Date;
use futures_util::Stream;

use super::ids;
use super::pagination::{self, IdConnection};
use super::patterns::{Polarity, ThemeNode, ThemeRuleNode};
use super::types::{GroupNode, MemberNode, ProviderNode};
use super::views::{self, ItemView, PageReads, Shown};
use super::{actor, db, loaders, reader};
use crate::domain::item::{self as domain, Item, ItemEvent, Move};
use crate::domain::theme::Classification;
use crate::domain::{GroupId, ItemId, MemberId, ProviderId, ThemeId};
use crate::error::AppError;
use crate::services::items::related::{self, Related};
use crate::services::items::{self, Action, ItemFilter, RaiseItem, ThemeChoice};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::item::ItemKind")]
pub enum ItemKind {
    SoftIntelligence,
    Concern,
    Suggestion,
    Compliment,
    Question,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::item::Sentiment")]
pub enum Sentiment {
    Positive,
    Negative,
    Mixed,
}

/// Where the information came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::item::InformationSource")]
pub enum InformationSource {
    OwnExperience,
    FamilyOrCarer,
    HeardFromAnotherPatient,
    Other,
}

/// How the item reached Pyramid.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::item::Channel")]
pub enum Channel {
    Graphql,
    Discord,
    Import,
}

/// Where an item is on its journey: RAISED (at its PPG) -> AT_DISTRICT -> AT_COUNCIL ->
/// REFERRED (to the commissioners) -> RESPONDED -> CLOSED. A tier may close an item itself.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::item::Status")]
pub enum ItemStatus {
    Raised,
    AtDistrict,
    AtCouncil,
    Referred,
    Responded,
    Closed,
}

/// What an answer changed: "you said, we did".
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::item::Outcome")]
pub enum Outcome {
    NoAction,
    ActionPlanned,
    ChangeMade,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::item::EventKind")]
pub enum ItemEventKind {
    Raised,
    Escalated,
    Referred,
    SafetyReferred,
    Responded,
    Closed,
    Linked,
    Noted,
    /// A planned change reached its due date and came back to the tier that referred the
    /// item, to ask whether it was done.
    ChangeDue,
    /// The planned change was made.
    ChangeMade,
    /// The planned change was given a new date; the note says why.
    ChangeRescheduled,
    /// The planned change will not be made; the note says why.
    ChangeAbandoned,
}

/// A kind of personal identifier removed from an item's text before it was stored.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::redaction::Identifier")]
pub enum IdentifierKind {
    NhsNumber,
    PhoneNumber,
    Email,
    Postcode,
    DateOfBirth,
    Name,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum ItemOrder {
    /// Most recently raised first.
    #[default]
    Newest,
    Oldest,
    /// Most recently moved, answered or noted first.
    RecentlyUpdated,
}

impl From<ItemOrder> for items::ItemOrder {
    fn from(order: ItemOrder) -> Self {
        match order {
            ItemOrder::Newest => items::ItemOrder::Newest,
            ItemOrder::Oldest => items::ItemOrder::Oldest,
            ItemOrder::RecentlyUpdated => items::ItemOrder::RecentlyUpdated,
        }
    }
}

pub struct ItemNode(pub Item);

/// Soft intelligence, a concern, suggestion, compliment or question, on its way up the
/// pyramid. Its text had personal identifiers removed before it was stored.
#[Object(name = "Item")]
impl ItemNode {
    pub async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    /// The short reference people can say on the phone, such as SI-2026-000123.
    async fn reference(&self) -> &str {
        &self.0.reference
    }

    async fn kind(&self) -> ItemKind {
        self.0.kind.into()
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What happened.
    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn status(&self) -> ItemStatus {
        self.0.status.into()
    }

    /// The provider from the register, when the item names one.
    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<ProviderNode>> {
        let Some(id) = self.0.provider_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).providers.load_one(id).await?.map(ProviderNode))
    }

    /// The provider's name as typed, when it is not in the register yet.
    async fn provider_name(&self) -> Option<&str> {
        self.0.provider_name.as_deref()
    }

    /// When the experience happened.
    async fn experienced_on(&self) -> Option<Date> {
        self.0.experienced_on.map(Date)
    }

    async fn sentiment(&self) -> Sentiment {
        self.0.sentiment.into()
    }

    async fn information_source(&self) -> InformationSource {
        self.0.information_source.into()
    }

    async fn raised_with_pals(&self) -> bool {
        self.0.raised_with_pals
    }

    async fn raised_as_complaint(&self) -> bool {
        self.0.raised_as_complaint
    }

    /// Suggests a patient is at risk: referred to the commissioners at once.
    async fn safety_concern(&self) -> bool {
        self.0.safety_concern
    }

    /// Its themes from the vocabulary, each with what the report says about it; suggested
    /// ones (from the keyword rules) are marked until an officer accepts them.
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<ItemThemeNode>> {
        Ok(loaders(ctx)
            .classifications
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ItemThemeNode)
            .collect())
    }

    /// Free tags, beside the themes.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(loaders(ctx)
            .tags
            .load_one(self.0.id)
            .await?
            .unwrap_or_default())
    }

    /// Harm or risk to patients, 0 (none) to 5 (catastrophic), once an officer has scored it.
    async fn severity(&self) -> Option<i32> {
        self.0.severity.map(|s| i32::from(s.value()))
    }

    /// Why it was scored so.
    async fn severity_reason(&self) -> Option<&str> {
        self.0.severity_reason.as_deref()
    }

    /// The patterns of concern it is part of that you may see.
    async fn patterns(&self, ctx: &Context<'_>) -> Result<Vec<super::patterns::PatternNode>> {
        Ok(loaders(ctx)
            .patterns_of_item
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(super::patterns::PatternNode)
            .collect())
    }

    /// The group it was raised in.
    async fn origin_group(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.origin_group_id)
            .await?
            .map(GroupNode))
    }

    /// The group holding it now.
    async fn current_group(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.current_group_id)
            .await?
            .map(GroupNode))
    }

    /// Who raised it.
    /// Who raised it: only for the submitter, their PPG's officers, and anyone who may see
    /// the item when the submitter agreed to share their name; `null` otherwise.
    async fn submitter(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        let Some(id) = self.0.submitter_seen_by(actor(ctx)) else {
            return Ok(None);
        };
        Ok(loaders(ctx).members.load_one(id).await?.map(MemberNode))
    }

    /// Who raised it, in words: their name where it may be shown, else "a member of
    /// <their PPG>".
    async fn raised_by(&self, ctx: &Context<'_>) -> Result<String> {
        if let Some(id) = self.0.submitter_seen_by(actor(ctx))
            && let Some(member) = loaders(ctx).members.load_one(id).await?
        {
            return Ok(member.name.as_str().to_owned());
        }
        let group = loaders(ctx).groups.load_one(self.0.origin_group_id).await?;
        Ok(match group {
            Some(group) => format!("a member of {}", group.name.as_str()),
            None => "a member".to_owned(),
        })
    }

    /// Whether the submitter agreed that their name may travel with the item.
    async fn share_my_name(&self) -> bool {
        self.0.share_name
    }

    async fn channel(&self) -> Channel {
        self.0.channel.into()
    }

    async fn raised_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When it was referred to the commissioners.
    async fn referred_at(&self) -> Option<DateTime<Utc>> {
        self.0.referred_at
    }

    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }

    /// For an item referred to the commissioners: the day its answer is due (the area's
    /// working days after the referral, weekends and England's bank holidays not counted).
    async fn response_due_on(&self) -> Option<super::scalars::Date> {
        self.0.response_due_on.map(super::scalars::Date)
    }

    /// Referred, not yet answered, and past the day its answer was due.
    async fn overdue(&self) -> bool {
        self.0
            .overdue(crate::domain::clock::uk_date(crate::services::now()))
    }

    /// For a referred item: whole hours it waited (or has been waiting) for an answer.
    async fn hours_waiting(&self) -> Option<i64> {
        self.0.hours_waiting(Utc::now())
    }

    /// The trail, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<ItemEventNode>> {
        let events = loaders(ctx)
            .item_events
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(events.into_iter().map(ItemEventNode).collect())
    }

    /// The most recent step of the trail.
    async fn latest_event(&self, ctx: &Context<'_>) -> Result<Option<ItemEventNode>> {
        let Some(id) = self.0.latest_event_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .event_by_id
            .load_one(id)
            .await?
            .map(ItemEventNode))
    }

    /// The answer, once there is one: "you said, we did".
    async fn answer(&self, ctx: &Context<'_>) -> Result<Option<ItemEventNode>> {
        if self.0.responded_at.is_none() {
            return Ok(None);
        }
        let events = loaders(ctx)
            .item_events
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(domain::answer(&events).cloned().map(ItemEventNode))
    }

    /// For an answer that planned a change: who owns it, when it is due, and whether it was
    /// made. A report travelling with another shows its lead's.
    async fn planned_change(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::changes::PlannedChangeNode>> {
        super::changes::of_item(ctx, &self.0).await
    }

    /// The item this one travels with, when several reports are one matter.
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<ItemNode>> {
        let Some(lead) = self.0.lead_item_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).items.load_one(lead).await?.map(ItemNode))
    }

    /// The items linked to this one as one matter.
    async fn linked_items(&self, ctx: &Context<'_>) -> Result<Vec<ItemNode>> {
        let found = loaders(ctx).followers.load_one(self.0.id).await?;
        Ok(found
            .unwrap_or_default()
            .into_iter()
            .map(ItemNode)
            .collect())
    }
}

pub struct ItemThemeNode(pub Classification);

/// A theme on an item, and what the item says about it.
#[Object(name = "ItemTheme")]
impl ItemThemeNode {
    async fn theme(&self, ctx: &Context<'_>) -> Result<Option<ThemeNode>> {
        Ok(loaders(ctx)
            .themes
            .load_one(self.0.theme_id)
            .await?
            .map(ThemeNode))
    }

    async fn polarity(&self) -> Polarity {
        self.0.polarity.into()
    }

    /// Suggested by a keyword rule and not yet accepted by a person.
    async fn suggested(&self) -> bool {
        self.0.suggested
    }

    /// The keyword rule that suggested it: so anyone can see why.
    async fn suggested_by(&self, ctx: &Context<'_>) -> Result<Option<ThemeRuleNode>> {
        let Some(rule) = self.0.rule_id else {
            return Ok(None);
        };
        Ok(crate::services::themes::rules_by_id(reader(ctx), &[rule])
            .await?
            .remove(&rule)
            .map(ThemeRuleNode))
    }
}

pub struct ItemEventNode(pub ItemEvent);

/// One step of an item's trail: who did what, when, from which group to which, and why.
#[Object(name = "ItemEvent")]
impl ItemEventNode {
    async fn kind(&self) -> ItemEventKind {
        self.0.kind.into()
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who did it (`null` for the system).
    /// Who made this step. Raising an item is the submitter's step, so it is named only where
    /// the item's `submitter` is.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        if matches!(
            self.0.kind,
            domain::EventKind::Raised | domain::EventKind::SafetyReferred
        ) {
            let item = loaders(ctx).items.load_one(self.0.item_id).await?;
            if item.and_then(|i| i.submitter_seen_by(actor(ctx))) != Some(id) {
                return Ok(None);
            }
        }
        Ok(loaders(ctx).members.load_one(id).await?.map(MemberNode))
    }

    async fn from_status(&self) -> Option<ItemStatus> {
        self.0.from_status.map(Into::into)
    }

    async fn to_status(&self) -> ItemStatus {
        self.0.to_status.into()
    }

    /// For a move up: the group it came from.
    #[allow(clippy::wrong_self_convention)]
    async fn from_group(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        let Some(id) = self.0.from_group_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).groups.load_one(id).await?.map(GroupNode))
    }

    /// The group holding the item after this step.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.group_id)
            .await?
            .map(GroupNode))
    }

    /// Why; for an answer, the answer itself.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn outcome(&self) -> Option<Outcome> {
        self.0.outcome.map(Into::into)
    }

    async fn item(&self, ctx: &Context<'_>) -> Result<Option<ItemNode>> {
        Ok(loaders(ctx)
            .items
            .load_one(self.0.item_id)
            .await?
            .map(ItemNode))
    }
}

#[derive(InputObject, Default)]
pub struct ItemFilterInput {
    /// Items raised in, or that have reached, this group.
    pub group_id: Option<ID>,
    /// With `groupId`: also the items of every group below it.
    #[graphql(default = false)]
    pub include_below: bool,
    /// Items held at this group now.
    pub held_at: Option<ID>,
    pub statuses: Option<Vec<ItemStatus>>,
    pub kinds: Option<Vec<ItemKind>>,
    pub provider_id: Option<ID>,
    /// Items classified under this theme (a heading takes in its subheadings).
    pub theme_id: Option<ID>,
    /// Items with this free tag.
    pub tag: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub safety_concern: Option<bool>,
    /// Items scored at least this severe (0 to 5).
    pub min_severity: Option<i32>,
    /// Raised on or after this day.
    pub raised_from: Option<Date>,
    /// Raised on or before this day.
    pub raised_to: Option<Date>,
    pub submitter_id: Option<ID>,
    /// Words to find in the title or text.
    pub search: Option<String>,
    /// Referred to the commissioners, not yet answered, and past the day the answer was due.
    pub overdue: Option<bool>,
    /// Answered with a planned change that is still planned and due (today or earlier, so
    /// back at the tier that referred it): "was it done?". `false`: all the others.
    pub change_due: Option<bool>,
}

impl ItemFilterInput {
    fn into_filter(self) -> Result<ItemFilter, AppError> {
        Ok(ItemFilter {
            group: self
                .group_id
                .map(|id| ids::from_global::<GroupId>(&id, "groupId"))
                .transpose()?,
            include_below: self.include_below,
            held_at: self
                .held_at
                .map(|id| ids::from_global::<GroupId>(&id, "heldAt"))
                .transpose()?,
            statuses: self
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            kinds: self
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            provider: self
                .provider_id
                .map(|id| ids::from_global::<ProviderId>(&id, "providerId"))
                .transpose()?,
            theme: self
                .theme_id
                .map(|id| ids::from_global::<ThemeId>(&id, "themeId"))
                .transpose()?,
            tag: self.tag,
            min_severity: self
                .min_severity
                .map(crate::domain::item::Severity::parse)
                .transpose()?,
            sentiment: self.sentiment.map(Into::into),
            safety_concern: self.safety_concern,
            raised_from: self.raised_from.map(|d| d.0),
            raised_to: self.raised_to.map(|d| d.0),
            submitted_by: self
                .submitter_id
                .map(|id| ids::from_global::<MemberId>(&id, "submitterId"))
                .transpose()?,
            search: self.search,
            overdue: self.overdue,
            change_due: self.change_due,
            ..Default::default()
        })
    }
}

#[derive(InputObject)]
pub struct SetResponseClockInput {
    /// The area (its council).
    pub area_id: ID,
    /// 1 to 120.
    pub working_days: i32,
}

/// An area's response clock: referred items are due an answer this many working days after
/// their referral (weekends and England's bank holidays are not working days).
#[derive(SimpleObject)]
pub struct ResponseClock {
    pub working_days: i32,
}

#[derive(Default)]
pub struct ItemQuery;

#[Object]
impl ItemQuery {
    /// How many working days an area's commissioners have to answer a referral.
    async fn response_clock(&self, ctx: &Context<'_>, area_id: ID) -> Result<ResponseClock> {
        let area = ids::from_global::<GroupId>(&area_id, "areaId")?;
        let working_days = items::clock::working_days(reader(ctx), area).await?;
        Ok(ResponseClock { working_days })
    }

    /// Items you may see, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn items(
        &self,
        ctx: &Context<'_>,
        filter: Option<ItemFilterInput>,
        #[graphql(default)] order_by: ItemOrder,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<ItemView>> {
        let request = pagination::page_request(first, after)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let order: items::ItemOrder = order_by.into();
        let look = ctx.look_ahead();
        let related = related_under(&[look.field("edges").field("node"), look.field("nodes")]);
        let (db, actor) = (reader(ctx), actor(ctx));
        if views::direct_answers(ctx)
            && views::page_answers_from_glances(&ctx.item.node, &ctx.query_env.fragments)
        {
            let (page, read) =
                related::glance_with(db, actor, filter, order, request, related).await?;
            let reads = PageReads::glances(read);
            return Ok(pagination::connection(
                page,
                request,
                |g| order.cursor_at(g.id, g.latest_event_id),
                |glance| ItemView {
                    shown: Shown::Glance(glance),
                    reads: reads.clone(),
                },
            ));
        }
        let (page, read) = related::list_with(db, actor, filter, order, request, related).await?;
        let reads = PageReads::rows(read);
        Ok(pagination::connection(
            page,
            request,
            |i| order.cursor_of(i),
            |item| ItemView {
                shown: Shown::Item(ItemNode(item)),
                reads: reads.clone(),
            },
        ))
    }

    /// One item by its reference (SI-2026-000123); `null` when there is none you may see.
    async fn item(&self, ctx: &Context<'_>, reference: String) -> Result<Option<ItemView>> {
        let related = related_under(&[ctx.look_ahead()]);
        let (db, actor) = (reader(ctx), actor(ctx));
        let read = if views::direct_answers(ctx)
            && views::item_answers_from_glance(&ctx.item.node, &ctx.query_env.fragments)
        {
            related::glance_by_reference_with(db, actor, &reference, related)
                .await
                .map(|(glance, read)| (Shown::Glance(glance), PageReads::glances(read)))
        } else {
            related::by_reference_with(db, actor, &reference, related)
                .await
                .map(|(item, read)| (Shown::Item(ItemNode(item)), PageReads::rows(read)))
        };
        match read {
            Ok((shown, reads)) => Ok(Some(ItemView { shown, reads })),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

/// Which of an item's neighbours the selection under `nodes` shows, so the page's statement
/// reads them with the items (`services::items::related`). Only the fetching changes: every
/// field is still resolved by its resolver, from what the loaders hold.
fn related_under(nodes: &[async_graphql::Lookahead<'_>]) -> Related {
    let shows = |path: &[&str]| {
        let (first, rest) = path.split_first().expect("a field");
        nodes.iter().any(|node| {
            rest.iter()
                .fold(node.field(first), |at, name| at.field(name))
                .exists()
        })
    };
    Related {
        origin_group: shows(&["originGroup"]),
        origin_parent: shows(&["originGroup", "parent"]),
        current_group: shows(&["currentGroup"]),
        provider: shows(&["provider"]),
        latest_event: shows(&["latestEvent"]),
        latest_event_group: shows(&["latestEvent", "group"]),
        events: shows(&["events"]),
        event_groups: shows(&["events", "group"]) || shows(&["events", "fromGroup"]),
    }
}

#[derive(InputObject)]
pub struct RaiseItemInput {
    /// The group it is raised in: usually your PPG.
    pub group_id: ID,
    pub kind: ItemKind,
    pub title: String,
    /// What happened.
    pub body: String,
    /// The provider or service, from the register...
    pub provider_id: Option<ID>,
    /// ...or its name, when it is not in the register yet.
    pub provider_name: Option<String>,
    /// When it happened.
    pub experienced_on: Option<Date>,
    pub sentiment: Sentiment,
    pub information_source: InformationSource,
    #[graphql(default = false)]
    pub raised_with_pals: bool,
    #[graphql(default = false)]
    pub raised_as_complaint: bool,
    /// Does it suggest a patient is at risk? Then it goes to the commissioners at once.
    #[graphql(default = false)]
    pub safety_concern: bool,
    /// Themes from the vocabulary (see `themes`), each with what the report says about it.
    /// Leave out to have the keyword rules suggest some from the text.
    #[graphql(default)]
    pub themes: Vec<ItemThemeInput>,
    /// Free tags, beside the themes ("winter", "a&e").
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Send the same key again (a retry, a double click) and you get the same item back;
    /// the same key with a different report is refused. Letters, digits and . _ : - only.
    pub idempotency_key: Option<String>,
    /// May your name travel with the item to the district, the council and the
    /// commissioners? By default it does not: beyond your PPG's officers they see "a member
    /// of <your PPG>". Either way the answer comes back to you.
    #[graphql(default = false)]
    pub share_my_name: bool,
}

#[derive(InputObject, Clone)]
pub struct ItemThemeInput {
    pub theme_id: ID,
    pub polarity: Polarity,
}

fn theme_choices(input: &[ItemThemeInput]) -> Result<Vec<ThemeChoice>, AppError> {
    input
        .iter()
        .map(|t| {
            Ok(ThemeChoice {
                theme_id: ids::from_global::<ThemeId>(&t.theme_id, "themes")?,
                polarity: t.polarity.into(),
            })
        })
        .collect()
}

/// What was removed from the text, and how often.
#[derive(SimpleObject)]
pub struct RemovedIdentifier {
    pub kind: IdentifierKind,
    pub count: i32,
}

#[derive(SimpleObject)]
pub struct RaiseItemPayload {
    pub item: ItemNode,
    /// Personal identifiers removed from the text before it was stored.
    pub removed_identifiers: Vec<RemovedIdentifier>,
    /// A sentence saying what was removed, for showing to the person who raised it.
    pub notice: Option<String>,
    /// True when the idempotency key matched an item raised before: nothing new was stored.
    pub duplicate: bool,
    /// When the report joined a pattern of concern, a sentence saying so ("2 other PPGs
    /// reported this provider in the last 90 days; Northside District Group has been told").
    pub pattern_notice: Option<String>,
    /// How you will hear when it moves or is answered; with no way set up, what to do
    /// meanwhile.
    pub how_you_will_hear: super::delivery::HearingNode,
}

#[derive(InputObject)]
pub struct SetItemThemesInput {
    pub item_id: ID,
    /// The item's themes from now on (an empty list removes them all).
    pub themes: Vec<ItemThemeInput>,
}

#[derive(InputObject)]
pub struct SetItemProviderInput {
    pub item_id: ID,
    /// The provider from the register; leave out to unlink it.
    pub provider_id: Option<ID>,
}

#[derive(InputObject)]
pub struct SetItemSeverityInput {
    pub item_id: ID,
    /// 0 (no harm) to 5 (catastrophic harm). 4 and 5 go to the commissioners at once.
    pub severity: i32,
    /// Why; needed for 4 and 5.
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct EscalateItemInput {
    pub item_id: ID,
    /// Why it goes up ("raised at three PPG meetings this quarter").
    pub note: Option<String>,
    /// Other reports of the same matter, to travel with it.
    #[graphql(default)]
    pub link_item_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct RespondToItemInput {
    pub item_id: ID,
    /// What was done, or why nothing will be.
    pub answer: String,
    pub outcome: Outcome,
    /// Required with ACTION_PLANNED (and only then): who owns the change and when it is due.
    pub change: Option<super::changes::PlannedChangeInput>,
}

#[derive(InputObject)]
pub struct CloseItemInput {
    pub item_id: ID,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct LinkItemsInput {
    /// The item the others travel with.
    pub lead_item_id: ID,
    pub item_ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct ItemPayload {
    pub item: ItemNode,
}

#[derive(Default)]
pub struct ItemMutation;

async fn act(ctx: &Context<'_>, id: &ID, action: Action) -> Result<ItemPayload> {
    let id = ids::from_global::<ItemId>(id, "itemId")?;
    let item = items::act(db(ctx), actor(ctx), id, action).await?;
    Ok(ItemPayload {
        item: ItemNode(item),
    })
}

#[Object]
impl ItemMutation {
    /// Sets how many working days an area's commissioners have to answer a referral (its
    /// administrators; 20 unless set). Items referred from now on are due after the new number;
    /// those referred already keep their due date.
    async fn set_response_clock(
        &self,
        ctx: &Context<'_>,
        input: SetResponseClockInput,
    ) -> Result<ResponseClock> {
        let area = ids::from_global::<GroupId>(&input.area_id, "areaId")?;
        let working_days =
            items::clock::set_working_days(db(ctx), actor(ctx), area, input.working_days).await?;
        Ok(ResponseClock { working_days })
    }

    /// Raises an item in a group you belong to. Personal identifiers are removed from the
    /// text first; the payload says what was removed.
    async fn raise_item(
        &self,
        ctx: &Context<'_>,
        input: RaiseItemInput,
    ) -> Result<RaiseItemPayload> {
        let raise = RaiseItem {
            group_id: ids::from_global::<GroupId>(&input.group_id, "groupId")?,
            kind: input.kind.into(),
            title: input.title,
            body: input.body,
            provider_id: input
                .provider_id
                .map(|id| ids::from_global::<ProviderId>(&id, "providerId"))
                .transpose()?,
            provider_name: input.provider_name,
            experienced_on: input.experienced_on.map(|d| d.0),
            sentiment: input.sentiment.into(),
            information_source: input.information_source.into(),
            raised_with_pals: input.raised_with_pals,
            raised_as_complaint: input.raised_as_complaint,
            safety_concern: input.safety_concern,
            themes: theme_choices(&input.themes)?,
            tags: input.tags,
            idempotency_key: input.idempotency_key,
            channel: domain::Channel::Graphql,
            share_name: input.share_my_name,
        };
        let raised = items::raise(db(ctx), actor(ctx), raise).await?;
        let pattern_notice =
            crate::services::patterns::notice(reader(ctx), &raised.patterns).await?;
        Ok(RaiseItemPayload {
            pattern_notice,
            item: ItemNode(raised.item),
            removed_identifiers: raised
                .removed
                .into_iter()
                .map(|(kind, count)| RemovedIdentifier {
                    kind: kind.into(),
                    count: count as i32,
                })
                .collect(),
            notice: raised.notice,
            duplicate: !raised.created,
            how_you_will_hear: raised.hearing.into(),
        })
    }

    /// Takes an item up a tier: a PPG's representative (or officers) to the district, the
    /// district's officers or council representative to the council, the council's officers
    /// to the commissioners.
    async fn escalate_item(
        &self,
        ctx: &Context<'_>,
        input: EscalateItemInput,
    ) -> Result<ItemPayload> {
        let link = input
            .link_item_ids
            .iter()
            .map(|id| ids::from_global::<ItemId>(id, "linkItemIds"))
            .collect::<Result<Vec<_>, _>>()?;
        let action = Action {
            note: input.note,
            link,
            ..Action::new(Move::Escalate)
        };
        act(ctx, &input.item_id, action).await
    }

    /// Records the answer to an item ("you said, we did"). The tier holding it answers, or a
    /// commissioner once it is referred. The person who raised it is told.
    async fn respond_to_item(
        &self,
        ctx: &Context<'_>,
        input: RespondToItemInput,
    ) -> Result<ItemPayload> {
        let action = Action {
            note: Some(input.answer),
            outcome: Some(input.outcome.into()),
            change: input.change.map(|c| c.into_input()).transpose()?,
            ..Action::new(Move::Respond)
        };
        act(ctx, &input.item_id, action).await
    }

    /// Closes an item: resolved, or nothing more to do.
    async fn close_item(&self, ctx: &Context<'_>, input: CloseItemInput) -> Result<ItemPayload> {
        let action = Action {
            note: input.note,
            ..Action::new(Move::Close)
        };
        act(ctx, &input.item_id, action).await
    }

    /// Sets an item's themes (accepting or correcting the suggested ones): the officers of
    /// the group holding it, the commissioners, or whoever raised it while it is at its PPG.
    async fn set_item_themes(
        &self,
        ctx: &Context<'_>,
        input: SetItemThemesInput,
    ) -> Result<ItemPayload> {
        let id = ids::from_global::<ItemId>(&input.item_id, "itemId")?;
        let item =
            items::set_themes(db(ctx), actor(ctx), id, theme_choices(&input.themes)?).await?;
        Ok(ItemPayload {
            item: ItemNode(item),
        })
    }

    /// Links an item to a provider of the register, or unlinks it.
    async fn set_item_provider(
        &self,
        ctx: &Context<'_>,
        input: SetItemProviderInput,
    ) -> Result<ItemPayload> {
        let id = ids::from_global::<ItemId>(&input.item_id, "itemId")?;
        let provider = input
            .provider_id
            .map(|p| ids::from_global::<ProviderId>(&p, "providerId"))
            .transpose()?;
        let item = items::set_provider(db(ctx), actor(ctx), id, provider).await?;
        Ok(ItemPayload {
            item: ItemNode(item),
        })
    }

    /// Scores an item's harm or risk, 0 to 5 (the officers of the group holding it, or the
    /// commissioners). 4 and 5 take the safety fast path.
    async fn set_item_severity(
        &self,
        ctx: &Context<'_>,
        input: SetItemSeverityInput,
    ) -> Result<ItemPayload> {
        let id = ids::from_global::<ItemId>(&input.item_id, "itemId")?;
        let item =
            items::set_severity(db(ctx), actor(ctx), id, input.severity, input.reason).await?;
        Ok(ItemPayload {
            item: ItemNode(item),
        })
    }

    /// Links other reports of the same matter to an item; they travel with it from now on.
    async fn link_items(&self, ctx: &Context<'_>, input: LinkItemsInput) -> Result<ItemPayload> {
        let lead = ids::from_global::<ItemId>(&input.lead_item_id, "leadItemId")?;
        let others = input
            .item_ids
            .iter()
            .map(|id| ids::from_global::<ItemId>(id, "itemIds"))
            .collect::<Result<Vec<_>, _>>()?;
        let item = items::link(db(ctx), actor(ctx), lead, others).await?;
        Ok(ItemPayload {
            item: ItemNode(item),
        })
    }
}

#[derive(Default)]
pub struct ItemSubscription;

#[Subscription]
impl ItemSubscription {
    /// New events on items you may see, as they are committed; with `groupId`, only those of
    /// items at, from or through that group; with `watched`, only those of items your watches
    /// cover.
    async fn item_events(
        &self,
        ctx: &Context<'_>,
        group_id: Option<ID>,
        #[graphql(default = false)] watched: bool,
    ) -> Result<impl Stream<Item = Result<ItemEventNode>>> {
        let group = group_id
            .map(|id| ids::from_global::<GroupId>(&id, "groupId"))
            .transpose()?;
        let watches = if watched {
            Some(crate::services::watches::mine(reader(ctx), actor(ctx)).await?)
        } else {
            None
        };
        let headings = crate::services::patterns::detect::headings(reader(ctx)).await?;
        let feed = ctx.data::<crate::feed::EventFeed>()?;
        let follower = crate::feed::Follower {
            actor: actor(ctx).clone(),
            credential: super::request(ctx).credential.clone(),
        };
        let stream = feed.follow(
            reader(ctx).clone(),
            follower,
            crate::feed::ItemEvents {
                group,
                watches,
                headings,
            },
        )?;
        Ok(futures_util::StreamExt::map(stream, |event| {
            event.map(ItemEventNode).map_err(Into::into)
        }))
    }
}
