//! Newsletters in GraphQL: compiling a draft, editing it, publishing it, reading what a group
//! issued or received; and linking chat accounts and channels.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::scalars::Date;

use super::ids;
use super::items::ItemNode;
use super::pagination::{self, IdConnection};
use super::types::GroupNode;
use super::{actor, db, loaders, reader};
use crate::domain::newsletter::{Entry, Newsletter, PageFormat, Review};
use crate::domain::{GroupId, ItemId, NewsletterEntryId, NewsletterId};
use crate::error::AppError;
use crate::services::{chat, newsletters};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::newsletter::NewsletterStatus")]
pub enum NewsletterStatus {
    /// Being edited by the issuing group's officers; seen by nobody else.
    Draft,
    /// Frozen, public, and sent to every group below.
    Published,
}

/// The parts of a newsletter, most important first.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::newsletter::Section")]
pub enum NewsletterSection {
    Safety,
    Answers,
    Patterns,
    Received,
    TakenUp,
    Closed,
    Meetings,
    Waiting,
    Notice,
}

pub struct NewsletterNode(pub Newsletter);

/// A district's or the council's newsletter.
#[Object(name = "Newsletter")]
impl NewsletterNode {
    pub async fn id(&self) -> ID {
        ids::to_global(self.0.id)
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn introduction(&self) -> &str {
        &self.0.introduction
    }

    /// The group that issued it.
    async fn issuer(&self, ctx: &Context<'_>) -> Result<Option<GroupNode>> {
        Ok(loaders(ctx)
            .groups
            .load_one(self.0.group_id)
            .await?
            .map(GroupNode))
    }

    async fn period_start(&self) -> Date {
        Date(self.0.period.start)
    }

    async fn period_end(&self) -> Date {
        Date(self.0.period.end)
    }

    async fn status(&self) -> NewsletterStatus {
        self.0.status.into()
    }

    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// In reading order.
    async fn entries(&self) -> Vec<NewsletterEntryNode> {
        self.0
            .entries
            .iter()
            .enumerate()
            .map(|(index, entry)| NewsletterEntryNode(entry.clone(), index as i32 + 1))
            .collect()
    }

    /// Where to read it: accessible HTML, large print, plain text and Markdown, and where
    /// to hear it.
    async fn urls(&self) -> NewsletterUrls {
        let id = self.0.id;
        NewsletterUrls {
            html: PageFormat::Html.path(id),
            large_print: PageFormat::LargePrint.path(id),
            text: PageFormat::Text.path(id),
            markdown: PageFormat::Markdown.path(id),
            audio: PageFormat::Audio.path(id),
            easy_read: PageFormat::EasyRead.path(id),
        }
    }

    /// Its easy-read version (also at `urls.easyRead`): the secretary's own, or else made from
    /// its entries, one short sentence a line.
    async fn easy_read(&self, ctx: &Context<'_>) -> Result<String> {
        if let Some(own) = newsletters::easy_read_override(reader(ctx), self.0.id).await? {
            return Ok(own.as_str().to_owned());
        }
        let issuer = crate::services::groups::get(reader(ctx), self.0.group_id).await?;
        Ok(crate::render::easy_read::easy_read(
            &crate::render::NewsletterView::new(&self.0, issuer.name.as_str()),
        ))
    }

    /// Whether the easy-read version is the secretary's own rather than made from the entries.
    async fn easy_read_edited(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(newsletters::easy_read_override(reader(ctx), self.0.id)
            .await?
            .is_some())
    }

    /// Its human translations, in Pyramid's order of languages (Welsh, Polish, Urdu, ...).
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<NewsletterTranslation>> {
        let mut found = Vec::new();
        for language in newsletters::languages(reader(ctx), self.0.id).await? {
            if let Some(t) = newsletters::translation(reader(ctx), self.0.id, language).await? {
                found.push(NewsletterTranslation::new(self.0.id, t));
            }
        }
        Ok(found)
    }

    /// The groups it reached (every group below the issuer), once published.
    async fn received_by(&self, ctx: &Context<'_>) -> Result<Vec<GroupNode>> {
        let ids = newsletters::receivers(reader(ctx), self.0.id).await?;
        let found = loaders(ctx).groups.load_many(ids.iter().copied()).await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .map(GroupNode)
            .collect())
    }

    /// How its delivery to each group's chat channel and mailing address is going (for the
    /// issuing officers).
    async fn deliveries(&self, ctx: &Context<'_>) -> Result<Vec<NewsletterDelivery>> {
        let deliveries = newsletters::deliveries(reader(ctx), actor(ctx), self.0.id).await?;
        let ids: Vec<GroupId> = deliveries.iter().map(|d| d.group_id).collect();
        let groups = loaders(ctx).groups.load_many(ids).await?;
        Ok(deliveries
            .into_iter()
            .map(|d| NewsletterDelivery {
                group: groups.get(&d.group_id).cloned().map(GroupNode),
                channel: d.medium.into(),
                status: d.status,
                attempts: d.attempts,
                last_error: d.last_error,
                delivered_at: d.delivered_at,
            })
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct NewsletterUrls {
    pub html: String,
    pub large_print: String,
    pub text: String,
    pub markdown: String,
    /// The audio version (Ogg/Opus), made once shortly after publishing; not found until
    /// then, and never for a draft.
    pub audio: String,
    /// Easy read, as plain text.
    pub easy_read: String,
}

/// One destination of a newsletter: a group's chat channel or mailing address.
#[derive(SimpleObject)]
pub struct NewsletterDelivery {
    pub group: Option<GroupNode>,
    /// CHAT (the group's channel) or EMAIL (its mailing address).
    pub channel: super::delivery::DeliveryChannel,
    /// PENDING, DELIVERED or FAILED.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

pub struct NewsletterEntryNode(Entry, i32);

#[Object(name = "NewsletterEntry")]
impl NewsletterEntryNode {
    async fn id(&self) -> ID {
        self.0.id.map(ids::to_global).unwrap_or_default()
    }

    /// 1 for the first entry.
    async fn position(&self) -> i32 {
        self.1
    }

    async fn section(&self) -> NewsletterSection {
        self.0.section.into()
    }

    async fn heading(&self) -> &str {
        &self.0.heading
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Whether this entry, made from an item's text, still holds words that could be a
    /// person's name. A draft with such an entry cannot be published until each one is
    /// rewritten (`updateNewsletterEntry`) or marked reviewed (`markNewsletterEntryReviewed`).
    async fn needs_review(&self) -> bool {
        matches!(self.0.review, Review::Needed(_))
    }

    /// The words that could be names, for the secretary to look at.
    async fn review_words(&self) -> Vec<String> {
        match &self.0.review {
            Review::Needed(words) => words.clone(),
            _ => Vec::new(),
        }
    }

    /// A secretary looked at the words and let the entry stand.
    async fn reviewed(&self) -> bool {
        self.0.review == Review::Reviewed
    }

    /// The item it is about, when you may see it.
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<ItemNode>> {
        let Some(id) = self.0.item_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .items
            .load_one(ItemId(id.0))
            .await?
            .map(ItemNode))
    }
}

#[derive(Default)]
pub struct NewsletterQuery;

#[Object]
impl NewsletterQuery {
    /// The newsletters a group issued (its drafts too, for its officers), or with
    /// `received: true` those it received from above. Newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn newsletters(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
        #[graphql(default = false)] received: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<NewsletterNode>> {
        let group = ids::from_global::<GroupId>(&group_id, "groupId")?;
        let request = pagination::page_request(first, after)?;
        let page = newsletters::list(reader(ctx), actor(ctx), group, received, request).await?;
        Ok(pagination::connection(
            page,
            request,
            |n| n.id.0,
            NewsletterNode,
        ))
    }
}

#[derive(InputObject)]
pub struct CompileNewsletterInput {
    /// A District Group or the Patients' Council.
    pub group_id: ID,
    pub period_start: Date,
    pub period_end: Date,
}

#[derive(InputObject)]
pub struct UpdateNewsletterInput {
    pub id: ID,
    pub title: Option<String>,
    pub introduction: Option<String>,
}

#[derive(InputObject)]
pub struct AddNewsletterEntryInput {
    pub newsletter_id: ID,
    pub heading: String,
    pub body: String,
    /// 1 is first; at the end when left out.
    pub position: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateNewsletterEntryInput {
    pub entry_id: ID,
    pub heading: Option<String>,
    pub body: Option<String>,
}

#[derive(InputObject)]
pub struct RemoveNewsletterEntryInput {
    pub entry_id: ID,
}

#[derive(InputObject)]
pub struct MarkNewsletterEntryReviewedInput {
    pub entry_id: ID,
}

#[derive(InputObject)]
pub struct MoveNewsletterEntryInput {
    pub entry_id: ID,
    /// 1 is first.
    pub position: i32,
}

#[derive(InputObject)]
pub struct PublishNewsletterInput {
    pub id: ID,
}

/// One entry's translation.
#[derive(InputObject)]
pub struct EntryTranslationInput {
    pub entry_id: ID,
    pub heading: String,
    pub body: String,
}

#[derive(InputObject)]
pub struct SetNewsletterTranslationInput {
    pub newsletter_id: ID,
    /// The language's code: cy (Welsh), pl (Polish), ur (Urdu), bn (Bengali), pa (Punjabi),
    /// gu (Gujarati) or ar (Arabic).
    pub language: String,
    pub title: String,
    pub introduction: Option<String>,
    /// The entries translated; any left out are shown in English on the translated page.
    #[graphql(default)]
    pub entries: Vec<EntryTranslationInput>,
}

/// A newsletter in another language, translated by a person.
#[derive(SimpleObject)]
pub struct NewsletterTranslation {
    /// Its code, as in `<html lang>`: cy, pl, ur, bn, pa, gu, ar.
    pub language: String,
    /// The language's name in that language ("Cymraeg", "اردو").
    pub name: String,
    /// The language's name in English.
    pub english_name: String,
    /// ltr, or rtl for Urdu and Arabic.
    pub direction: String,
    /// Where it is read: `/newsletters/7/cy`.
    pub url: String,
    pub large_print_url: String,
    pub title: String,
    pub introduction: String,
    pub entries: Vec<TranslatedEntry>,
}

impl NewsletterTranslation {
    fn new(id: NewsletterId, t: crate::domain::newsletter::Translation) -> Self {
        use crate::domain::newsletter::translated_path;
        Self {
            language: t.language.as_str().to_owned(),
            name: t.language.own_name().to_owned(),
            english_name: t.language.english_name().to_owned(),
            direction: t.language.direction().to_owned(),
            url: translated_path(id, t.language, false),
            large_print_url: translated_path(id, t.language, true),
            title: t.title.as_str().to_owned(),
            introduction: t.introduction.as_str().to_owned(),
            entries: t
                .entries
                .into_iter()
                .map(|e| TranslatedEntry {
                    entry_id: ids::to_global(e.entry_id),
                    heading: e.heading.as_str().to_owned(),
                    body: e.body.as_str().to_owned(),
                })
                .collect(),
        }
    }
}

/// One entry's heading and body in a translation.
#[derive(SimpleObject)]
pub struct TranslatedEntry {
    pub entry_id: ID,
    pub heading: String,
    pub body: String,
}

#[derive(SimpleObject)]
pub struct SetNewsletterTranslationPayload {
    pub translation: NewsletterTranslation,
}

#[derive(InputObject)]
pub struct SetNewsletterEasyReadInput {
    pub newsletter_id: ID,
    /// The whole easy-read text, one short sentence a line; empty to go back to the one made
    /// from the entries.
    pub text: String,
}

#[derive(SimpleObject)]
pub struct NewsletterPayload {
    pub newsletter: NewsletterNode,
}

#[derive(SimpleObject)]
pub struct PublishNewsletterPayload {
    pub newsletter: NewsletterNode,
    /// False when it had already been published (a retry or a double click): nothing was
    /// sent again.
    pub published_now: bool,
}

#[derive(SimpleObject)]
pub struct ChatLinkCodePayload {
    /// Type `/link CODE` in Discord within the time below. It works once.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct LinkChatChannelInput {
    pub group_id: ID,
    /// The Discord channel's id (in Discord: right-click the channel, Copy Channel ID).
    pub channel_id: String,
}

#[derive(SimpleObject)]
pub struct LinkChatChannelPayload {
    pub group: GroupNode,
}

#[derive(Default)]
pub struct NewsletterMutation;

#[Object]
impl NewsletterMutation {
    /// Compiles a draft newsletter from the group's activity in the period (its secretary or
    /// chair). Only they see the draft until it is published.
    async fn compile_newsletter(
        &self,
        ctx: &Context<'_>,
        input: CompileNewsletterInput,
    ) -> Result<NewsletterPayload> {
        let group = ids::from_global::<GroupId>(&input.group_id, "groupId")?;
        let newsletter = newsletters::compile(
            db(ctx),
            actor(ctx),
            group,
            input.period_start.0,
            input.period_end.0,
        )
        .await?;
        Ok(NewsletterPayload {
            newsletter: NewsletterNode(newsletter),
        })
    }

    /// Adds a human translation of a newsletter, or replaces the one in that language: the
    /// issuing group's officers, while it is a draft or after it is published. Everything is
    /// redacted as other text is (the redactor is written for English; leave names out).
    async fn set_newsletter_translation(
        &self,
        ctx: &Context<'_>,
        input: SetNewsletterTranslationInput,
    ) -> Result<SetNewsletterTranslationPayload> {
        let id = ids::from_global::<NewsletterId>(&input.newsletter_id, "newsletterId")?;
        let language = newsletters::parse_language(&input.language)?;
        let entries = input
            .entries
            .iter()
            .map(|e| {
                Ok(newsletters::EntryText {
                    entry_id: ids::from_global::<NewsletterEntryId>(&e.entry_id, "entryId")?,
                    heading: e.heading.clone(),
                    body: e.body.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let translation = newsletters::set_translation(
            db(ctx),
            actor(ctx),
            id,
            language,
            &input.title,
            input.introduction.as_deref().unwrap_or_default(),
            &entries,
        )
        .await?;
        Ok(SetNewsletterTranslationPayload {
            translation: NewsletterTranslation::new(id, translation),
        })
    }

    /// Writes the newsletter's easy-read version in place of the one made from its entries
    /// (the issuing group's officers; a draft or published), or with an empty text goes back
    /// to the made one.
    async fn set_newsletter_easy_read(
        &self,
        ctx: &Context<'_>,
        input: SetNewsletterEasyReadInput,
    ) -> Result<NewsletterPayload> {
        let id = ids::from_global::<NewsletterId>(&input.newsletter_id, "newsletterId")?;
        newsletters::set_easy_read(db(ctx), actor(ctx), id, &input.text).await?;
        let newsletter = newsletters::get(db(ctx), actor(ctx), id).await?;
        Ok(NewsletterPayload {
            newsletter: NewsletterNode(newsletter),
        })
    }

    /// Sets a draft's title or introduction.
    async fn update_newsletter(
        &self,
        ctx: &Context<'_>,
        input: UpdateNewsletterInput,
    ) -> Result<NewsletterPayload> {
        let id = ids::from_global::<NewsletterId>(&input.id, "id")?;
        let newsletter =
            newsletters::update(db(ctx), actor(ctx), id, input.title, input.introduction).await?;
        Ok(NewsletterPayload {
            newsletter: NewsletterNode(newsletter),
        })
    }

    /// Adds a free entry to a draft: an event, a consultation to take part in.
    async fn add_newsletter_entry(
        &self,
        ctx: &Context<'_>,
        input: AddNewsletterEntryInput,
    ) -> Result<NewsletterPayload> {
        let id = ids::from_global::<NewsletterId>(&input.newsletter_id, "newsletterId")?;
        let newsletter = newsletters::add_entry(
            db(ctx),
            actor(ctx),
            id,
            &input.heading,
            &input.body,
            input.position,
        )
        .await?;
        Ok(NewsletterPayload {
            newsletter: NewsletterNode(newsletter),
        })
    }

    /// Rewrites an entry of a draft.
    async fn update_newsletter_entry(
        &self,
        ctx: &Context<'_>,
        input: UpdateNewsletterEntryInput,
    ) -> Result<NewsletterPayload> {
        let newsletter = newsletters::update_entry(
            db(ctx),
            actor(ctx),
            ids::from_global::<NewsletterEntryId>(&input.entry_id, "entryId")?,
            input.heading,
            input.body,
        )
        .await?;
        Ok(NewsletterPayload {
            newsletter: NewsletterNode(newsletter),
        })
    }

    /// Says that an entry flagged for possible names was looked at and names nobody, so it
    /// may be published as it is.
    async fn mark_newsletter_entry_reviewed(
        &self,
        ctx: &Context<'_>,
        input: MarkNewsletterEntryReviewedInput,
    ) -> Result<NewsletterPayload> {
        let newsletter = newsletters::mark_entry_reviewed(
            db(ctx),
            actor(ctx),
            ids::from_global::<NewsletterEntryId>(&input.entry_id, "entryId")?,
        )
        .await?;
        Ok(NewsletterPayload {
            newsletter: NewsletterNode(newsletter),
        })
    }

    /// Removes an entry from a draft.
    async fn remove_newsletter_entry(
        &self,
        ctx: &Context<'_>,
        input: RemoveNewsletterEntryInput,
    ) -> Result<NewsletterPayload> {
        let newsletter = newsletters::remove_entry(
            db(ctx),
            actor(ctx),
            ids::from_global::<NewsletterEntryId>(&input.entry_id, "entryId")?,
        )
        .await?;
        Ok(NewsletterPayload {
            newsletter: NewsletterNode(newsletter),
        })
    }

    /// Moves an entry of a draft to another position.
    async fn move_newsletter_entry(
        &self,
        ctx: &Context<'_>,
        input: MoveNewsletterEntryInput,
    ) -> Result<NewsletterPayload> {
        let newsletter = newsletters::move_entry(
            db(ctx),
            actor(ctx),
            ids::from_global::<NewsletterEntryId>(&input.entry_id, "entryId")?,
            input.position,
        )
        .await?;
        Ok(NewsletterPayload {
            newsletter: NewsletterNode(newsletter),
        })
    }

    /// Publishes a draft: it is frozen, reaches every group below the issuer, and is posted
    /// once to each of their linked chat channels and e-mailed once to each of their
    /// confirmed mailing addresses. Publishing again does nothing.
    async fn publish_newsletter(
        &self,
        ctx: &Context<'_>,
        input: PublishNewsletterInput,
    ) -> Result<PublishNewsletterPayload> {
        let id = ids::from_global::<NewsletterId>(&input.id, "id")?;
        let (newsletter, published_now) = newsletters::publish(db(ctx), actor(ctx), id).await?;
        Ok(PublishNewsletterPayload {
            newsletter: NewsletterNode(newsletter),
            published_now,
        })
    }

    /// A one-time code to link your Discord account: type `/link CODE` to the Pyramid bot.
    async fn create_chat_link_code(&self, ctx: &Context<'_>) -> Result<ChatLinkCodePayload> {
        let code = chat::create_link_code(db(ctx), actor(ctx)).await?;
        Ok(ChatLinkCodePayload {
            code: code.code,
            expires_at: code.expires_at,
        })
    }

    /// Links a Discord channel to a group (an administrator or the group's secretary or
    /// chair): its newsletters are posted there and reports made there are raised in it.
    async fn link_chat_channel(
        &self,
        ctx: &Context<'_>,
        input: LinkChatChannelInput,
    ) -> Result<LinkChatChannelPayload> {
        let group = ids::from_global::<GroupId>(&input.group_id, "groupId")?;
        chat::link_channel(db(ctx), actor(ctx), group, chat::DISCORD, &input.channel_id).await?;
        let group = loaders(ctx)
            .groups
            .load_one(group)
            .await?
            .ok_or_else(|| AppError::not_found("group"))?;
        Ok(LinkChatChannelPayload {
            group: GroupNode(group),
        })
    }
}
