//! Batch loaders: every relation reached from a list goes through one of these, so a page of
//! fifty groups costs one statement for all their parents, not fifty. Built per request,
//! because what a caller may load depends on who they are.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DatabaseConnection;

use crate::domain::authz::Actor;
use crate::domain::group::Group;
use crate::domain::item::{Item, ItemEvent};
use crate::domain::member::{Member, Membership};
use crate::domain::newsletter::Newsletter;
use crate::domain::pattern::Pattern;
use crate::domain::provider::Provider;
use crate::domain::theme::{Classification, Theme};
use crate::domain::{
    GroupId, ItemEventId, ItemId, MemberId, NewsletterId, PatternId, ProviderId, ThemeId,
};
use crate::error::AppError;
use crate::services;
use crate::services::members::AreaRoleHeld;

pub struct Loaders {
    pub groups: DataLoader<GroupLoader, HashMapCache>,
    pub members: DataLoader<MemberLoader>,
    pub providers: DataLoader<ProviderLoader, HashMapCache>,
    pub representatives: DataLoader<RepresentativesLoader>,
    pub memberships_of_member: DataLoader<MembershipsOfMemberLoader>,
    pub area_roles: DataLoader<AreaRolesLoader>,
    pub items: DataLoader<ItemLoader>,
    pub item_events: DataLoader<ItemEventsLoader, HashMapCache>,
    pub event_by_id: DataLoader<EventByIdLoader, HashMapCache>,
    pub followers: DataLoader<FollowersLoader>,
    pub tags: DataLoader<TagsLoader>,
    pub classifications: DataLoader<ClassificationsLoader>,
    pub themes: DataLoader<ThemeLoader>,
    pub patterns: DataLoader<PatternLoader>,
    pub patterns_of_item: DataLoader<PatternsOfItemLoader>,
    pub pattern_counts: DataLoader<PatternCountsLoader>,
    pub chat_linked: DataLoader<ChatLinkedLoader>,
    pub mailing_addresses: DataLoader<MailingAddressLoader>,
    pub planned_changes: DataLoader<PlannedChangeLoader>,
    pub newsletters: DataLoader<NewsletterLoader>,
}

/// Starts a batch once the request has had its turns to ask for every key of this round.
///
/// async-graphql's loaders wait a fixed time (1 ms by default) before loading, which both adds
/// a millisecond per level of the query and, when resolving a long list takes longer than
/// that, splits one round of keys into two batches. Instead, the batch waits a few turns of
/// the scheduler: the resolvers waiting to run (including a list that yielded half-way) run
/// first, so a round's keys arrive together and the number of statements per request does not
/// depend on timing.
fn spawn_batch<F>(batch: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        batch.await;
    });
}

fn loader<T>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, spawn_batch).delay(std::time::Duration::ZERO)
}

/// A loader that can be primed with rows a page's statement already read (`Loaders::prime`).
/// Its cache starts off, so a mutation never reads back a value cached before it wrote; only a
/// query that primes it turns it on.
fn cached<T: Send + Sync + 'static>(loader: T) -> DataLoader<T, HashMapCache> {
    let loader = DataLoader::with_cache(loader, spawn_batch, HashMapCache::default())
        .delay(std::time::Duration::ZERO);
    loader.enable_all_cache(false);
    loader
}

impl Loaders {
    pub fn new(db: DatabaseConnection, actor: Actor) -> Self {
        let source = || Source {
            db: db.clone(),
            actor: actor.clone(),
        };
        Self {
            groups: cached(GroupLoader(source())),
            members: loader(MemberLoader(source())),
            providers: cached(ProviderLoader(source())),
            representatives: loader(RepresentativesLoader(source())),
            memberships_of_member: loader(MembershipsOfMemberLoader(source())),
            area_roles: loader(AreaRolesLoader(source())),
            items: loader(ItemLoader(source())),
            item_events: cached(ItemEventsLoader(source())),
            event_by_id: cached(EventByIdLoader(source())),
            followers: loader(FollowersLoader(source())),
            tags: loader(TagsLoader(source())),
            classifications: loader(ClassificationsLoader(source())),
            themes: loader(ThemeLoader(source())),
            patterns: loader(PatternLoader(source())),
            patterns_of_item: loader(PatternsOfItemLoader(source())),
            pattern_counts: loader(PatternCountsLoader(source())),
            chat_linked: loader(ChatLinkedLoader(source())),
            mailing_addresses: loader(MailingAddressLoader(source())),
            planned_changes: loader(PlannedChangeLoader(source())),
            newsletters: loader(NewsletterLoader(source())),
        }
    }
}

impl Loaders {
    /// Hands the loaders what the page's statement read with its items (see
    /// `services::items::related`), so the resolvers of those relations find it there instead
    /// of each asking the database. Only queries call this: the caches stay off otherwise.
    pub async fn prime(&self, read: services::items::related::Neighbours) {
        if !read.groups.is_empty() {
            self.groups.enable_all_cache(true);
            self.groups.feed_many(read.groups).await;
        }
        if !read.providers.is_empty() {
            self.providers.enable_all_cache(true);
            self.providers.feed_many(read.providers).await;
        }
        if !read.events.is_empty() {
            self.event_by_id.enable_all_cache(true);
            self.event_by_id.feed_many(read.events).await;
        }
        if !read.trails.is_empty() {
            self.item_events.enable_all_cache(true);
            self.item_events.feed_many(read.trails).await;
        }
    }
}

pub struct Source {
    db: DatabaseConnection,
    actor: Actor,
}

pub struct GroupLoader(Source);
pub struct MemberLoader(Source);
pub struct ProviderLoader(Source);
pub struct RepresentativesLoader(Source);
pub struct MembershipsOfMemberLoader(Source);
pub struct AreaRolesLoader(Source);
pub struct ItemLoader(Source);
/// Newsletters the caller may see (published ones, and their own group's drafts).
pub struct NewsletterLoader(Source);
/// An item's trail. Only reached from an item the caller could already load.
pub struct ItemEventsLoader(Source);
pub struct EventByIdLoader(Source);
pub struct FollowersLoader(Source);
pub struct TagsLoader(Source);
pub struct ClassificationsLoader(Source);
pub struct ThemeLoader(Source);
pub struct PatternLoader(Source);
pub struct PatternsOfItemLoader(Source);
/// A pattern's counts. Only reached from a pattern the caller could already load.
pub struct PatternCountsLoader(Source);
/// Whether a member has a linked chat account (only asked for members whose delivery
/// settings the caller may see).
pub struct ChatLinkedLoader(Source);
/// A group's confirmed mailing address, for those who may see it.
pub struct MailingAddressLoader(Source);
/// An item's planned change, by the item it was planned on (a lead). Only reached from an
/// item the caller could already load.
pub struct PlannedChangeLoader(Source);

impl Loader<ItemId> for PlannedChangeLoader {
    type Value = crate::domain::change::PlannedChange;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[ItemId],
    ) -> Result<HashMap<ItemId, crate::domain::change::PlannedChange>, AppError> {
        services::changes::of_items(&self.0.db, keys).await
    }
}

impl Loader<GroupId> for GroupLoader {
    type Value = Group;
    type Error = AppError;

    async fn load(&self, keys: &[GroupId]) -> Result<HashMap<GroupId, Group>, AppError> {
        services::groups::get_many(&self.0.db, keys).await
    }
}

impl Loader<MemberId> for MemberLoader {
    type Value = Member;
    type Error = AppError;

    async fn load(&self, keys: &[MemberId]) -> Result<HashMap<MemberId, Member>, AppError> {
        services::members::get_many(&self.0.db, &self.0.actor, keys).await
    }
}

impl Loader<ProviderId> for ProviderLoader {
    type Value = Provider;
    type Error = AppError;

    async fn load(&self, keys: &[ProviderId]) -> Result<HashMap<ProviderId, Provider>, AppError> {
        services::providers::get_many(&self.0.db, keys).await
    }
}

impl Loader<GroupId> for RepresentativesLoader {
    type Value = Vec<Membership>;
    type Error = AppError;

    async fn load(&self, keys: &[GroupId]) -> Result<HashMap<GroupId, Vec<Membership>>, AppError> {
        services::members::current_representatives(&self.0.db, &self.0.actor, keys).await
    }
}

/// All of a member's memberships, ended ones included.
impl Loader<MemberId> for MembershipsOfMemberLoader {
    type Value = Vec<Membership>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[MemberId],
    ) -> Result<HashMap<MemberId, Vec<Membership>>, AppError> {
        services::members::memberships_of_members(&self.0.db, &self.0.actor, keys, true).await
    }
}

impl Loader<MemberId> for AreaRolesLoader {
    type Value = Vec<AreaRoleHeld>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[MemberId],
    ) -> Result<HashMap<MemberId, Vec<AreaRoleHeld>>, AppError> {
        services::members::area_roles_of(&self.0.db, &self.0.actor, keys).await
    }
}

impl Loader<ItemId> for ItemLoader {
    type Value = Item;
    type Error = AppError;

    async fn load(&self, keys: &[ItemId]) -> Result<HashMap<ItemId, Item>, AppError> {
        services::items::get_many(&self.0.db, &self.0.actor, keys).await
    }
}

impl Loader<ItemId> for ItemEventsLoader {
    type Value = Vec<ItemEvent>;
    type Error = AppError;

    async fn load(&self, keys: &[ItemId]) -> Result<HashMap<ItemId, Vec<ItemEvent>>, AppError> {
        services::items::events_of(&self.0.db, keys).await
    }
}

impl Loader<ItemEventId> for EventByIdLoader {
    type Value = ItemEvent;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[ItemEventId],
    ) -> Result<HashMap<ItemEventId, ItemEvent>, AppError> {
        services::items::events_by_id(&self.0.db, keys).await
    }
}

impl Loader<ItemId> for FollowersLoader {
    type Value = Vec<Item>;
    type Error = AppError;

    async fn load(&self, keys: &[ItemId]) -> Result<HashMap<ItemId, Vec<Item>>, AppError> {
        services::items::followers_of(&self.0.db, &self.0.actor, keys).await
    }
}

impl Loader<ItemId> for TagsLoader {
    type Value = Vec<String>;
    type Error = AppError;

    async fn load(&self, keys: &[ItemId]) -> Result<HashMap<ItemId, Vec<String>>, AppError> {
        services::items::tags_of(&self.0.db, keys).await
    }
}

impl Loader<ItemId> for ClassificationsLoader {
    type Value = Vec<Classification>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[ItemId],
    ) -> Result<HashMap<ItemId, Vec<Classification>>, AppError> {
        services::items::classifications_of(&self.0.db, keys).await
    }
}

impl Loader<ThemeId> for ThemeLoader {
    type Value = Theme;
    type Error = AppError;

    async fn load(&self, keys: &[ThemeId]) -> Result<HashMap<ThemeId, Theme>, AppError> {
        services::themes::get_many(&self.0.db, keys).await
    }
}

impl Loader<PatternId> for PatternLoader {
    type Value = Pattern;
    type Error = AppError;

    async fn load(&self, keys: &[PatternId]) -> Result<HashMap<PatternId, Pattern>, AppError> {
        services::patterns::get_many(&self.0.db, &self.0.actor, keys).await
    }
}

impl Loader<ItemId> for PatternsOfItemLoader {
    type Value = Vec<Pattern>;
    type Error = AppError;

    async fn load(&self, keys: &[ItemId]) -> Result<HashMap<ItemId, Vec<Pattern>>, AppError> {
        services::patterns::of_items(&self.0.db, &self.0.actor, keys).await
    }
}

impl Loader<PatternId> for PatternCountsLoader {
    type Value = services::patterns::Counts;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[PatternId],
    ) -> Result<HashMap<PatternId, services::patterns::Counts>, AppError> {
        let patterns = services::patterns::get_many(&self.0.db, &self.0.actor, keys).await?;
        let patterns: Vec<Pattern> = patterns.into_values().collect();
        services::patterns::counts(&self.0.db, &patterns).await
    }
}

impl Loader<MemberId> for ChatLinkedLoader {
    type Value = bool;
    type Error = AppError;

    async fn load(&self, keys: &[MemberId]) -> Result<HashMap<MemberId, bool>, AppError> {
        let linked =
            services::chat::linked_accounts(&self.0.db, services::chat::DISCORD, keys).await?;
        Ok(keys.iter().map(|k| (*k, linked.contains(k))).collect())
    }
}

impl Loader<GroupId> for MailingAddressLoader {
    type Value = String;
    type Error = AppError;

    async fn load(&self, keys: &[GroupId]) -> Result<HashMap<GroupId, String>, AppError> {
        Ok(
            services::email::group_addresses(&self.0.db, &self.0.actor, keys)
                .await?
                .into_iter()
                .map(|(group, address)| (group, address.as_str().to_owned()))
                .collect(),
        )
    }
}

impl Loader<NewsletterId> for NewsletterLoader {
    type Value = Newsletter;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[NewsletterId],
    ) -> Result<HashMap<NewsletterId, Newsletter>, AppError> {
        services::newsletters::get_many(&self.0.db, &self.0.actor, keys).await
    }
}
