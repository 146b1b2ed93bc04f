//! The live feeds behind the `itemEvents` and `patternChanges` subscriptions. Each subscriber
//! follows the committed events table itself, so the feed is right whichever server instance
//! wrote an event (several instances can share one PostgreSQL), and nothing runs while nobody
//! is subscribed.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures_util::Stream;
use sea_orm::DatabaseConnection;

use crate::domain::authz::{self, Actor};
use crate::domain::item::ItemEvent;
use crate::domain::watch::{Watch, covers_item, covers_pattern};
use crate::domain::{GroupId, ThemeId};
use crate::error::{AppError, AppResult};
use crate::services::items;
use crate::services::patterns::{self, PatternEvent};
use crate::services::tokens::{self, Credential};

/// How often a subscriber looks for new events, and how long it waits for an id that was
/// handed out but not yet committed (PostgreSQL can commit ids out of order) before deciding
/// its transaction rolled back.
#[derive(Clone)]
pub struct EventFeed {
    pub interval: Duration,
    pub gap_patience: Duration,
}

impl Default for EventFeed {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(250),
            gap_patience: Duration::from_secs(10),
        }
    }
}

/// Which event ids a subscriber has seen: everything up to `watermark`, plus `seen` above it.
struct Position {
    watermark: i64,
    seen: BTreeSet<i64>,
    gap_since: Option<Instant>,
}

impl Position {
    /// Records an id; true when it is new.
    fn accept(&mut self, id: i64) -> bool {
        id > self.watermark && self.seen.insert(id)
    }

    /// Moves the watermark over every id seen without a gap, and over a gap that has stayed
    /// open longer than `patience` (an id from a transaction that rolled back).
    fn settle(&mut self, now: Instant, patience: Duration) {
        loop {
            while self.seen.remove(&(self.watermark + 1)) {
                self.watermark += 1;
            }
            let Some(&next) = self.seen.first() else {
                self.gap_since = None;
                return;
            };
            let since = *self.gap_since.get_or_insert(now);
            if now.duration_since(since) < patience {
                return;
            }
            self.watermark = next - 1;
            self.gap_since = None;
        }
    }
}

/// Who follows a feed: the caller as they signed in, and the credential to check again, so
/// that a revoked token or an ended membership takes effect on the next event.
pub struct Follower {
    pub actor: Actor,
    pub credential: Option<Credential>,
}

impl Follower {
    /// The caller as they are now; `InvalidToken` once their token was revoked.
    async fn now(&self, db: &DatabaseConnection) -> AppResult<Actor> {
        match &self.credential {
            Some(credential) => tokens::authenticate_credential(db, credential).await,
            None => Ok(self.actor.clone()),
        }
    }
}

/// A table of events a feed follows: how to find where it ends, read what came after, and
/// decide whether a follower may see one event now.
pub trait Source: Send + Sync + 'static {
    type Event: Send + 'static;

    fn id(event: &Self::Event) -> i64;

    fn latest(db: &DatabaseConnection) -> impl Future<Output = AppResult<i64>> + Send;

    fn after(
        db: &DatabaseConnection,
        id: i64,
        limit: u64,
    ) -> impl Future<Output = AppResult<Vec<Self::Event>>> + Send;

    fn shown(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
        event: &Self::Event,
    ) -> impl Future<Output = bool> + Send;
}

/// Item events, optionally only those of items at, from or through one group, or only those
/// of items the follower's watches cover.
pub struct ItemEvents {
    pub group: Option<GroupId>,
    pub watches: Option<Vec<Watch>>,
    pub headings: HashMap<ThemeId, ThemeId>,
}

impl Source for ItemEvents {
    type Event = ItemEvent;

    fn id(event: &ItemEvent) -> i64 {
        event.id.0
    }

    async fn latest(db: &DatabaseConnection) -> AppResult<i64> {
        items::latest_event_id(db).await
    }

    async fn after(db: &DatabaseConnection, id: i64, limit: u64) -> AppResult<Vec<ItemEvent>> {
        items::events_after(db, id, limit).await
    }

    async fn shown(&self, db: &DatabaseConnection, actor: &Actor, event: &ItemEvent) -> bool {
        let Ok(item) = items::get(db, actor, event.item_id).await else {
            return false;
        };
        let in_group = self.group.is_none_or(|g| {
            event.group_id == g
                || event.from_group_id == Some(g)
                || item.origin_group_id == g
                || item.current_group_id == g
        });
        let Some(watches) = &self.watches else {
            return in_group;
        };
        let themes: Vec<ThemeId> = match items::classifications_of(db, &[item.id]).await {
            Ok(mut found) => found
                .remove(&item.id)
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.theme_id)
                .collect(),
            Err(_) => return false,
        };
        let heading = |t: ThemeId| self.headings.get(&t).copied().unwrap_or(t);
        in_group
            && watches
                .iter()
                .any(|w| covers_item(w, &item, &themes, heading))
    }
}

/// Pattern events on patterns the follower may see, optionally only those of one group's, or
/// only those the follower's watches cover.
pub struct PatternEvents {
    pub group: Option<GroupId>,
    pub watches: Option<Vec<Watch>>,
    pub headings: HashMap<ThemeId, ThemeId>,
}

impl Source for PatternEvents {
    type Event = PatternEvent;

    fn id(event: &PatternEvent) -> i64 {
        event.id
    }

    async fn latest(db: &DatabaseConnection) -> AppResult<i64> {
        patterns::latest_event_id(db).await
    }

    async fn after(db: &DatabaseConnection, id: i64, limit: u64) -> AppResult<Vec<PatternEvent>> {
        patterns::events_after(db, id, limit).await
    }

    async fn shown(&self, db: &DatabaseConnection, actor: &Actor, event: &PatternEvent) -> bool {
        let Ok(pattern) = patterns::get(db, actor, event.pattern_id).await else {
            return false;
        };
        let heading = |t: ThemeId| self.headings.get(&t).copied().unwrap_or(t);
        self.group.is_none_or(|g| event.owner_group_id == g)
            && self
                .watches
                .as_ref()
                .is_none_or(|watches| watches.iter().any(|w| covers_pattern(w, &pattern, heading)))
    }
}

impl EventFeed {
    /// Events committed from now on that the follower may see at the time of each event
    /// (and `source` shows). Ends with `UNAUTHENTICATED` once the follower's token is
    /// revoked; refused at once without one.
    pub fn follow<S: Source>(
        &self,
        db: DatabaseConnection,
        follower: Follower,
        source: S,
    ) -> AppResult<impl Stream<Item = AppResult<S::Event>> + Send + 'static> {
        authz::may_see_people(&follower.actor)?;
        let feed = self.clone();
        let source = std::sync::Arc::new(source);
        let state = (
            db,
            Some(follower),
            None::<Position>,
            Vec::<S::Event>::new(),
            0u32,
        );
        Ok(futures_util::stream::unfold(
            state,
            move |(db, follower, mut position, mut ready, mut idle)| {
                let feed = feed.clone();
                let source = source.clone();
                async move {
                    let follower = follower?;
                    loop {
                        if let Some(event) = ready.pop() {
                            return Some((Ok(event), (db, Some(follower), position, ready, idle)));
                        }
                        let current = match position.as_mut() {
                            Some(position) => position,
                            None => match S::latest(&db).await {
                                Ok(latest) => position.insert(Position {
                                    watermark: latest,
                                    seen: BTreeSet::new(),
                                    gap_since: None,
                                }),
                                Err(_) => {
                                    tokio::time::sleep(feed.interval).await;
                                    continue;
                                }
                            },
                        };
                        tokio::time::sleep(feed.interval).await;
                        let events = match S::after(&db, current.watermark, 200).await {
                            Ok(events) => events,
                            Err(_) => {
                                continue;
                            }
                        };
                        let mut fresh = Vec::new();
                        for event in events {
                            if current.accept(S::id(&event)) {
                                fresh.push(event);
                            }
                        }
                        current.settle(Instant::now(), feed.gap_patience);
                        idle += 1;
                        // Check the caller again before showing anything, and now and then while
                        // nothing happens, so a revoked token ends the feed promptly.
                        if fresh.is_empty() && idle % 8 != 0 {
                            continue;
                        }
                        idle = 0;
                        let actor = match follower.now(&db).await {
                            Ok(actor) => actor,
                            Err(AppError::InvalidToken) => {
                                let ended = AppError::TokenRevoked;
                                return Some((Err(ended), (db, None, position, ready, idle)));
                            }
                            Err(_) => continue,
                        };
                        for event in fresh {
                            if source.shown(&db, &actor, &event).await {
                                ready.push(event);
                            }
                        }
                        // `ready` is popped from the end: oldest last in, so reverse.
                        ready.reverse();
                    }
                }
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_waits_for_gaps_then_gives_up_on_them() {
        let start = Instant::now();
        let patience = Duration::from_secs(10);
        let mut position = Position {
            watermark: 10,
            seen: BTreeSet::new(),
            gap_since: None,
        };
        assert!(position.accept(11));
        assert!(position.accept(13)); // 12 not committed yet
        assert!(!position.accept(11), "seen once");
        position.settle(start, patience);
        assert_eq!(position.watermark, 11);
        assert!(position.accept(12)); // 12 commits late and is still delivered
        position.settle(start + Duration::from_secs(1), patience);
        assert_eq!(position.watermark, 13);
        assert!(position.accept(15)); // 14 rolled back
        position.settle(start + Duration::from_secs(2), patience);
        assert_eq!(position.watermark, 13);
        position.settle(start + Duration::from_secs(13), patience);
        assert_eq!(position.watermark, 15);
    }
}
