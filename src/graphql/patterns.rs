//! Themes, patterns of concern and watches in GraphQL: the vocabulary and its rules, the
//! patterns a reader may see (counts, and only the items they may open), what their owners do
//! with them, members' watches, and the live feed of pattern changes.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;

use super::ids;
use super::items::ItemNode;
use super::pagination::{self, IdConnection};
use super::types::{GroupNode, MemberNode, ProviderNode};
use super::{actor, db, loaders, reader};
use crate::domain::pattern::{Pattern, PatternStatus as DomainStatus};
use crate::domain::theme::{Rule, Theme};
use crate::domain::watch::Watch;
use crate::domain::{GroupId, ItemId, PatternId, ProviderId, RuleId, ThemeId, WatchId};
use crate::error::AppError;
use crate::services::patterns::{self, PatternEvent, PatternFilter};
use crate::services::{self, themes, watches};

/// The CQC's five key questions.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::theme::CqcKeyQuestion")]
pub enum CqcKeyQuestion {
    Safe,
    Effective,
    Caring,
    Responsive,
    WellLed,
}

/// Whether what a report says about a theme is good, bad or both.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::theme::Polarity")]
pub enum Polarity {
    Positive,
    Negative,
    Mixed,
}

/// Where a pattern stands. Runs below the area's threshold are never shown.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::pattern::PatternStatus")]
pub enum PatternStatus {
    /// Below the threshold (never returned; listed so the values are complete).
    Watching,
    /// Found, and its group's officers told.
    Open,
    /// Its group's officers have seen it.
    Acknowledged,
    /// Taken up as an item at its group's tier.
    TakenUp,
    /// Judged not to be a pattern, with a reason; it reopens if it grows.
    Dismissed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::pattern::PatternEventKind")]
pub enum PatternEventKind {
    Opened,
    Grew,
    /// It spread to another district: it belongs to the council now.
    Moved,
    Acknowledged,
    TakenUp,
    Dismissed,
    Reopened,
}

/// How often a watch's digest comes.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::watch::Frequency")]
pub enum WatchFrequency {
    Daily,
    Weekly,
}

pub struct ThemeNode(pub Theme);

/// A theme of the vocabulary: a heading, or a subheading under one. Each is mapped to the NHS
/// complaints (KO41a) subject area and the CQC key question it belongs to.
#[Object(name = "Theme")]
impl ThemeNode {
    pub async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short machine name ("urgent-out-of-hours").
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The heading this subheading sits under; `null` for a heading.
    async fn heading(&self, ctx: &Context<'_>) -> Result<Option<ThemeNode>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).themes.load_one(parent).await?.map(ThemeNode))
    }

    /// A heading's subheadings.
    async fn subheadings(&self, ctx: &Context<'_>) -> Result<Vec<ThemeNode>> {
        if self.0.parent_id.is_some() {
            return Ok(Vec::new());
        }
        Ok(themes::all(reader(ctx))
            .await?
            .into_iter()
            .filter(|t| t.parent_id == Some(self.0.id))
            .map(ThemeNode)
            .collect())
    }

    /// The NHS complaints (KO41a) subject area.
    async fn ko41_subject(&self) -> Option<&str> {
        self.0.ko41_subject.as_deref()
    }

    async fn cqc_key_question(&self) -> Option<CqcKeyQuestion> {
        self.0.cqc_key_question.map(Into::into)
    }

    /// The keyword rules that suggest this theme.
    async fn rules(&self, ctx: &Context<'_>) -> Result<Vec<ThemeRuleNode>> {
        Ok(themes::rules_of(reader(ctx), &[self.0.id])
            .await?
            .remove(&self.0.id)
            .unwrap_or_default()
            .into_iter()
            .map(ThemeRuleNode)
            .collect())
    }
}

pub struct ThemeRuleNode(pub Rule);

/// A keyword rule: text holding the phrase as whole words (any case) suggests the theme.
#[Object(name = "ThemeRule")]
impl ThemeRuleNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn phrase(&self) -> &str {
        &self.0.phrase
    }

    async fn theme(&self, ctx: &Context<'_>) -> Result<Option<ThemeNode>> {
        Ok(loaders(ctx)
            .themes
            .load_one(self.0.theme_id)
            .await?
            .map(ThemeNode))
    }
}

/// A theme the keyword rules suggest for a text, and the rule that fired.
#[derive(SimpleObject)]
pub struct ThemeSuggestion {
    pub theme: ThemeNode,
    pub rule: ThemeRuleNode,
}

pub struct PatternNode(pub Pattern);

/// How many reports came from one PPG.
#[derive(SimpleObject)]
pub struct PpgCount {
    pub ppg: GroupNode,
    pub count: i32,
}

/// How many reports came in one month ("2026-10").
#[derive(SimpleObject)]
pub struct MonthCount {
    pub month: String,
    pub count: i32,
}

/// How many of the reports raise one theme heading.
#[derive(SimpleObject)]
pub struct ThemeCount {
    pub theme: ThemeNode,
    pub count: i32,
}

/// Reports in the latest window (up to now) against the window before it.
#[derive(SimpleObject)]
pub struct PatternTrend {
    pub recent: i32,
    pub earlier: i32,
    pub direction: TrendDirection,
}

/// Which way a pattern is going.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::pattern::Direction")]
pub enum TrendDirection {
    /// More reports in the latest window than in the one before.
    Rising,
    Steady,
    Falling,
}

fn n(count: usize) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

impl PatternNode {
    async fn counts(&self, ctx: &Context<'_>) -> Result<patterns::Counts> {
        Ok(loaders(ctx)
            .pattern_counts
            .load_one(self.0.id)
            .await?
            .unwrap_or_default())
    }
}

/// A pattern of concern: reports about one provider (or one provider and theme heading) from
/// several PPGs close together in time. Seen by the group it belongs to, the group above, and
/// the area's commissioners, as counts; `items` holds only the reports the reader may open.
#[Object(name = "Pattern")]
impl PatternNode {
    pub async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    /// What it is about, in words: the provider, and the theme when it has one.
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        let provider = loaders(ctx).providers.load_one(self.0.provider_id).await?;
        let provider =
            provider.map_or_else(|| "A provider".to_owned(), |p| p.name.as_str().to_owned());
        Ok(match self.0.theme_id {
            Some(theme) => match loaders(ctx).themes.load_one(theme).await? {
                Some(theme) => format!("{provider}: {}", theme.name),
                None => provider,
            },
            None => provider,
        })
    }

    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<ProviderNode>> {
        Ok(loaders(ctx)
            .providers
            .load_one(self.0.provider_id)
            .await?
            .map(ProviderNode))
    }

    /// The theme heading, for a pattern about one; `null` for the provider as a whole.
    async fn theme(&self, ctx: &Context<'_>) -> Result<Option<ThemeNode>> {
        let Some(theme) = self.0.theme_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).themes.load_one(theme).await?.map(ThemeNode))
    }

    /// The lowest group covering every PPG involved: their district, or the council.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.owner_group_id)
            .await?
            .map(GroupNode))
    }

    async fn status(&self) -> PatternStatus {
        self.0.status.into()
    }

    async fn first_seen(&self) -> DateTime<Utc> {
        self.0.first_seen
    }

    async fn last_seen(&self) -> DateTime<Utc> {
        self.0.last_seen
    }

    async fn ppg_count(&self) -> i32 {
        n(self.0.ppg_count)
    }

    async fn item_count(&self) -> i32 {
        n(self.0.item_count)
    }

    /// Reports by PPG, most first.
    async fn by_ppg(&self, ctx: &Context<'_>) -> Result<Vec<PpgCount>> {
        let counts = self.counts(ctx).await?;
        let mut rows = Vec::new();
        for (group, count) in counts.by_ppg {
            if let Some(ppg) = loaders(ctx).groups.load_one(group).await? {
                rows.push(PpgCount {
                    ppg: GroupNode(ppg),
                    count: n(count),
                });
            }
        }
        Ok(rows)
    }

    /// Reports by month, oldest first.
    async fn by_month(&self, ctx: &Context<'_>) -> Result<Vec<MonthCount>> {
        Ok(self
            .counts(ctx)
            .await?
            .by_month
            .into_iter()
            .map(|(month, count)| MonthCount {
                month,
                count: n(count),
            })
            .collect())
    }

    /// Reports by theme heading, most first (a report can raise several).
    async fn by_theme(&self, ctx: &Context<'_>) -> Result<Vec<ThemeCount>> {
        let counts = self.counts(ctx).await?;
        let found = loaders(ctx)
            .themes
            .load_many(counts.by_theme.iter().map(|(t, _)| *t))
            .await?;
        Ok(counts
            .by_theme
            .into_iter()
            .filter_map(|(theme, count)| {
                found.get(&theme).map(|t| ThemeCount {
                    theme: ThemeNode(t.clone()),
                    count: n(count),
                })
            })
            .collect())
    }

    async fn trend(&self, ctx: &Context<'_>) -> Result<PatternTrend> {
        let trend = self.counts(ctx).await?.trend;
        Ok(PatternTrend {
            recent: n(trend.recent),
            earlier: n(trend.earlier),
            direction: trend.direction().into(),
        })
    }

    /// The reports in it that you may open; the others are in the counts only.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<ItemNode>> {
        let ids: Vec<ItemId> = self.counts(ctx).await?.items;
        let found = loaders(ctx).items.load_many(ids.iter().copied()).await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| found.get(&id).cloned().map(ItemNode))
            .collect())
    }

    /// Why its officers dismissed it.
    async fn dismissed_reason(&self) -> Option<&str> {
        self.0.dismissed_reason.as_deref()
    }

    /// Why it opened again after a dismissal.
    async fn reopened_because(&self) -> Option<&str> {
        self.0.reopened_because.as_deref()
    }

    /// The item it was taken up as (when you may see it).
    async fn taken_up_as(&self, ctx: &Context<'_>) -> Result<Option<ItemNode>> {
        let Some(item) = self.0.taken_up_item_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).items.load_one(item).await?.map(ItemNode))
    }

    /// What happened to it, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<PatternEventNode>> {
        Ok(patterns::events_of(reader(ctx), &[self.0.id])
            .await?
            .remove(&self.0.id)
            .unwrap_or_default()
            .into_iter()
            .map(PatternEventNode)
            .collect())
    }
}

pub struct PatternEventNode(pub PatternEvent);

/// One thing that happened to a pattern.
#[Object(name = "PatternEvent")]
impl PatternEventNode {
    async fn kind(&self) -> PatternEventKind {
        self.0.kind.into()
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The group it belonged to after this.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.owner_group_id)
            .await?
            .map(GroupNode))
    }

    /// Who did it (`null` when Pyramid did, as reports arrived).
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<MemberNode>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).members.load_one(id).await?.map(MemberNode))
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn pattern(&self, ctx: &Context<'_>) -> Result<Option<PatternNode>> {
        Ok(loaders(ctx)
            .patterns
            .load_one(self.0.pattern_id)
            .await?
            .map(PatternNode))
    }
}

pub struct WatchNode(pub Watch);

/// Something you watch: new items and pattern changes on it reach you as a digest and live.
#[Object(name = "Watch")]
impl WatchNode {
    async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<ProviderNode>> {
        let Some(provider) = self.0.provider_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .providers
            .load_one(provider)
            .await?
            .map(ProviderNode))
    }

    async fn theme(&self, ctx: &Context<'_>) -> Result<Option<ThemeNode>> {
        let Some(theme) = self.0.theme_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).themes.load_one(theme).await?.map(ThemeNode))
    }

    /// Items scored at least this severe.
    async fn min_severity(&self) -> Option<i32> {
        self.0.min_severity.map(|s| i32::from(s.value()))
    }

    async fn frequency(&self) -> WatchFrequency {
        self.0.frequency.into()
    }

    /// The end of the period the last digest covered.
    async fn last_digest_until(&self) -> DateTime<Utc> {
        self.0.last_sent_at
    }

    /// What it is on, in words.
    async fn description(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(watches::describe(reader(ctx), &self.0).await?)
    }
}

/// An area's pattern rule.
#[derive(SimpleObject)]
pub struct PatternRule {
    /// PPGs whose reports must fall within one window.
    pub min_ppgs: i32,
    pub window_days: i32,
}

impl From<crate::domain::pattern::PatternRule> for PatternRule {
    fn from(rule: crate::domain::pattern::PatternRule) -> Self {
        Self {
            min_ppgs: n(rule.min_ppgs),
            window_days: i32::try_from(rule.window.num_days()).unwrap_or(i32::MAX),
        }
    }
}

#[derive(InputObject, Default)]
pub struct PatternFilterInput {
    /// Patterns belonging to this group (a district or the council).
    pub group_id: Option<ID>,
    pub provider_id: Option<ID>,
    /// Patterns of this theme heading.
    pub theme_id: Option<ID>,
    /// Only patterns about a provider as a whole (no theme).
    #[graphql(default = false)]
    pub provider_only: bool,
    /// Any shown status when left out.
    pub statuses: Option<Vec<PatternStatus>>,
}

impl PatternFilterInput {
    fn into_filter(self) -> Result<PatternFilter, AppError> {
        Ok(PatternFilter {
            owner: self
                .group_id
                .map(|id| ids::from_global::<GroupId>(&id, "groupId"))
                .transpose()?,
            provider: self
                .provider_id
                .map(|id| ids::from_global::<ProviderId>(&id, "providerId"))
                .transpose()?,
            theme: self
                .theme_id
                .map(|id| ids::from_global::<ThemeId>(&id, "themeId"))
                .transpose()?,
            provider_only: self.provider_only,
            statuses: self
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(DomainStatus::from)
                .collect(),
        })
    }
}

#[derive(Default)]
pub struct PatternQuery;

#[Object]
impl PatternQuery {
    /// The theme vocabulary: headings, each followed by its subheadings (`headingsOnly` for
    /// the headings alone). Public, like the providers register.
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] headings_only: bool,
    ) -> Result<Vec<ThemeNode>> {
        let all = themes::all(reader(ctx)).await?;
        let mut ordered = Vec::new();
        for heading in all.iter().filter(|t| t.parent_id.is_none()) {
            ordered.push(ThemeNode(heading.clone()));
            if !headings_only {
                ordered.extend(
                    all.iter()
                        .filter(|t| t.parent_id == Some(heading.id))
                        .cloned()
                        .map(ThemeNode),
                );
            }
        }
        Ok(ordered)
    }

    /// The themes the keyword rules suggest for a text, with the rule that fired for each:
    /// what raising a report shows before it is sent.
    async fn suggest_themes(
        &self,
        ctx: &Context<'_>,
        text: String,
    ) -> Result<Vec<ThemeSuggestion>> {
        if text.chars().count() > 10_000 {
            return Err(AppError::bad_input(
                "text",
                "Ask for suggestions on at most 10,000 characters.",
            )
            .into());
        }
        let rules = themes::rules(reader(ctx)).await?;
        let fired = crate::domain::theme::suggest(&rules, &text);
        let mut found = Vec::new();
        for (theme, rule) in fired {
            let theme = loaders(ctx).themes.load_one(theme).await?;
            let rule = rules.iter().find(|r| r.id == rule).cloned();
            if let (Some(theme), Some(rule)) = (theme, rule) {
                found.push(ThemeSuggestion {
                    theme: ThemeNode(theme),
                    rule: ThemeRuleNode(rule),
                });
            }
        }
        Ok(found)
    }

    /// Register entries matching what someone typed (part of a name, or the start of an ODS
    /// code), shortest name first: what raising a report offers.
    async fn provider_suggestions(
        &self,
        ctx: &Context<'_>,
        text: String,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<ProviderNode>> {
        if text.chars().count() > 200 {
            return Err(AppError::bad_input("text", "Type at most 200 characters.").into());
        }
        let first = u64::try_from(first.clamp(1, 25)).unwrap_or(10);
        Ok(services::providers::search(reader(ctx), &text, first)
            .await?
            .into_iter()
            .map(ProviderNode)
            .collect())
    }

    /// Patterns of concern you may see, newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn patterns(
        &self,
        ctx: &Context<'_>,
        filter: Option<PatternFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<PatternNode>> {
        let request = pagination::page_request(first, after)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let page = patterns::list(reader(ctx), actor(ctx), &filter, request).await?;
        Ok(pagination::connection(
            page,
            request,
            |p| p.id.0,
            PatternNode,
        ))
    }

    /// One pattern; `null` when there is none with that id or you may not see it.
    async fn pattern(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PatternNode>> {
        let id = ids::from_global::<PatternId>(&id, "id")?;
        Ok(loaders(ctx).patterns.load_one(id).await?.map(PatternNode))
    }

    /// An area's pattern rule (the area is named by its council).
    async fn pattern_rule(&self, ctx: &Context<'_>, area_id: ID) -> Result<PatternRule> {
        let area = ids::from_global::<GroupId>(&area_id, "areaId")?;
        Ok(patterns::rule_of(reader(ctx), area).await?.into())
    }

    /// Your watches.
    async fn my_watches(&self, ctx: &Context<'_>) -> Result<Vec<WatchNode>> {
        Ok(watches::mine(reader(ctx), actor(ctx))
            .await?
            .into_iter()
            .map(WatchNode)
            .collect())
    }
}

#[derive(InputObject)]
pub struct CreateThemeInput {
    pub name: String,
    /// The heading it goes under; a new heading when left out.
    pub heading_id: Option<ID>,
    pub ko41_subject: Option<String>,
    pub cqc_key_question: Option<CqcKeyQuestion>,
}

#[derive(SimpleObject)]
pub struct ThemePayload {
    pub theme: ThemeNode,
}

#[derive(InputObject)]
pub struct AddThemeRuleInput {
    pub theme_id: ID,
    /// A word or a few; matched as whole words, any case.
    pub phrase: String,
}

#[derive(SimpleObject)]
pub struct ThemeRulePayload {
    pub rule: ThemeRuleNode,
}

#[derive(InputObject)]
pub struct RemoveThemeRuleInput {
    pub rule_id: ID,
}

#[derive(SimpleObject)]
pub struct RemovedPayload {
    pub removed: bool,
}

#[derive(InputObject)]
pub struct PatternActionInput {
    pub pattern_id: ID,
}

#[derive(InputObject)]
pub struct TakeUpPatternInput {
    pub pattern_id: ID,
    /// An item your group holds that the pattern becomes part of; a new item at your tier
    /// (with the pattern's counts) when left out.
    pub item_id: Option<ID>,
}

#[derive(InputObject)]
pub struct DismissPatternInput {
    pub pattern_id: ID,
    /// Why it is not a pattern (kept with it, and shown if it reopens).
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct PatternPayload {
    pub pattern: PatternNode,
}

#[derive(InputObject)]
pub struct SetPatternRuleInput {
    pub area_id: ID,
    pub min_ppgs: i32,
    pub window_days: i32,
}

#[derive(SimpleObject)]
pub struct PatternRulePayload {
    pub rule: PatternRule,
}

#[derive(InputObject)]
pub struct WatchInput {
    pub provider_id: Option<ID>,
    /// A heading takes in its subheadings.
    pub theme_id: Option<ID>,
    /// Items scored at least this severe (0 to 5).
    pub min_severity: Option<i32>,
    #[graphql(default_with = "WatchFrequency::Weekly")]
    pub frequency: WatchFrequency,
}

#[derive(SimpleObject)]
pub struct WatchPayload {
    pub watch: WatchNode,
}

#[derive(InputObject)]
pub struct UnwatchInput {
    pub watch_id: ID,
}

#[derive(Default)]
pub struct PatternMutation;

fn pattern_payload(pattern: Pattern) -> Result<PatternPayload> {
    Ok(PatternPayload {
        pattern: PatternNode(pattern),
    })
}

#[Object]
impl PatternMutation {
    /// Adds a theme to the vocabulary (an area's administrators).
    async fn create_theme(
        &self,
        ctx: &Context<'_>,
        input: CreateThemeInput,
    ) -> Result<ThemePayload> {
        let theme = themes::create(
            db(ctx),
            actor(ctx),
            themes::NewTheme {
                name: input.name,
                parent_id: input
                    .heading_id
                    .map(|id| ids::from_global::<ThemeId>(&id, "headingId"))
                    .transpose()?,
                ko41_subject: input.ko41_subject,
                cqc_key_question: input.cqc_key_question.map(Into::into),
            },
        )
        .await?;
        Ok(ThemePayload {
            theme: ThemeNode(theme),
        })
    }

    /// Adds a keyword rule that suggests a theme (an area's administrators).
    async fn add_theme_rule(
        &self,
        ctx: &Context<'_>,
        input: AddThemeRuleInput,
    ) -> Result<ThemeRulePayload> {
        let theme = ids::from_global::<ThemeId>(&input.theme_id, "themeId")?;
        let rule = themes::add_rule(db(ctx), actor(ctx), theme, &input.phrase).await?;
        Ok(ThemeRulePayload {
            rule: ThemeRuleNode(rule),
        })
    }

    /// Removes a keyword rule; the themes it suggested stay on their items.
    async fn remove_theme_rule(
        &self,
        ctx: &Context<'_>,
        input: RemoveThemeRuleInput,
    ) -> Result<RemovedPayload> {
        let rule = input.rule_id.parse::<i64>().map_err(|_| {
            AppError::bad_input("ruleId", "Use the id of a rule from `Theme.rules`.")
        })?;
        themes::remove_rule(db(ctx), actor(ctx), RuleId(rule)).await?;
        Ok(RemovedPayload { removed: true })
    }

    /// The officers of the group a pattern belongs to have seen it.
    async fn acknowledge_pattern(
        &self,
        ctx: &Context<'_>,
        input: PatternActionInput,
    ) -> Result<PatternPayload> {
        let id = ids::from_global::<PatternId>(&input.pattern_id, "patternId")?;
        pattern_payload(patterns::acknowledge(db(ctx), actor(ctx), id).await?)
    }

    /// Takes a pattern up at its group's tier, as a new item there or into one it holds.
    async fn take_up_pattern(
        &self,
        ctx: &Context<'_>,
        input: TakeUpPatternInput,
    ) -> Result<PatternPayload> {
        let id = ids::from_global::<PatternId>(&input.pattern_id, "patternId")?;
        let item = input
            .item_id
            .map(|i| ids::from_global::<ItemId>(&i, "itemId"))
            .transpose()?;
        pattern_payload(patterns::take_up(db(ctx), actor(ctx), id, item).await?)
    }

    /// Dismisses a pattern, with the reason; it reopens if more reports join it.
    async fn dismiss_pattern(
        &self,
        ctx: &Context<'_>,
        input: DismissPatternInput,
    ) -> Result<PatternPayload> {
        let id = ids::from_global::<PatternId>(&input.pattern_id, "patternId")?;
        pattern_payload(patterns::dismiss(db(ctx), actor(ctx), id, &input.reason).await?)
    }

    /// Changes an area's pattern rule (its administrators); its patterns are worked out again.
    async fn set_pattern_rule(
        &self,
        ctx: &Context<'_>,
        input: SetPatternRuleInput,
    ) -> Result<PatternRulePayload> {
        let area = ids::from_global::<GroupId>(&input.area_id, "areaId")?;
        let rule = patterns::set_rule(db(ctx), actor(ctx), area, input.min_ppgs, input.window_days)
            .await?;
        Ok(PatternRulePayload { rule: rule.into() })
    }

    /// Starts watching a provider, a theme or a severity (or a mix).
    async fn watch(&self, ctx: &Context<'_>, input: WatchInput) -> Result<WatchPayload> {
        let watch = watches::create(
            db(ctx),
            actor(ctx),
            watches::NewWatch {
                provider_id: input
                    .provider_id
                    .map(|id| ids::from_global::<ProviderId>(&id, "providerId"))
                    .transpose()?,
                theme_id: input
                    .theme_id
                    .map(|id| ids::from_global::<ThemeId>(&id, "themeId"))
                    .transpose()?,
                min_severity: input.min_severity,
                frequency: input.frequency.into(),
            },
        )
        .await?;
        Ok(WatchPayload {
            watch: WatchNode(watch),
        })
    }

    /// Stops one of your watches.
    async fn unwatch(&self, ctx: &Context<'_>, input: UnwatchInput) -> Result<RemovedPayload> {
        let id = ids::from_global::<WatchId>(&input.watch_id, "watchId")?;
        watches::remove(db(ctx), actor(ctx), id).await?;
        Ok(RemovedPayload { removed: true })
    }
}

#[derive(Default)]
pub struct PatternSubscription;

#[Subscription]
impl PatternSubscription {
    /// Changes to patterns you may see, as they are committed: opened, grew, moved,
    /// acknowledged, taken up, dismissed, reopened. With `groupId`, only that group's; with
    /// `watched`, only those your watches cover.
    async fn pattern_changes(
        &self,
        ctx: &Context<'_>,
        group_id: Option<ID>,
        #[graphql(default = false)] watched: bool,
    ) -> Result<impl Stream<Item = Result<PatternEventNode>>> {
        let group = group_id
            .map(|id| ids::from_global::<GroupId>(&id, "groupId"))
            .transpose()?;
        let watches = if watched {
            Some(watches::mine(reader(ctx), actor(ctx)).await?)
        } else {
            None
        };
        let feed = ctx.data::<crate::feed::EventFeed>()?;
        let follower = crate::feed::Follower {
            actor: actor(ctx).clone(),
            credential: super::request(ctx).credential.clone(),
        };
        let headings = patterns::detect::headings(reader(ctx)).await?;
        let source = crate::feed::PatternEvents {
            group,
            watches,
            headings,
        };
        let stream = feed.follow(reader(ctx).clone(), follower, source)?;
        Ok(futures_util::StreamExt::map(stream, |event| {
            event.map(PatternEventNode).map_err(Into::into)
        }))
    }
}
