//! Who each bearer token signs in as, remembered by this instance so that a request costs no
//! statement for its token, and forgotten as soon as PostgreSQL says that a token, a
//! membership or an area role changed, on every instance at once.
//!
//! Why this stays right (ARCHITECTURE.md, "Invariants"):
//! - Triggers on `api_tokens`, `memberships`, `area_roles` and `members` (migration 21) send a
//!   notification on [`CHANNEL`] with every change they commit, whoever commits it (this
//!   instance, another, the command line, a worker). Each instance listens on a connection of
//!   its own and forgets everything it remembers at each one.
//! - Nothing is remembered, or recalled, unless the listener is known to hear: it sends
//!   itself a beat every [`BEAT`] through the pool, and counts as hearing only while its last
//!   beat came back less than [`HEARING`] ago. Notifications on one connection arrive in commit
//!   order, so a beat heard means every change committed before it was heard too. A lost or
//!   silent connection forgets everything and remembers nothing until a new listener has heard
//!   its first beat; what changed in the gap is read afresh.
//! - A sign-in read before a change is never remembered after it: each read takes a ticket
//!   (the generation) first and is kept only if no change was heard in between.
//! - A mutation is answered only once this instance has heard every change committed before
//!   its answer ([`SignIns::settle`]), so its caller's next request sees what it just did.
//! - Only sign-ins that succeed are remembered: a new token is always read from the database.
//! - A sign-in to remember is read from the primary, never from a replica that may lag behind
//!   the notification.
//!
//! SQLite has no notifications: there every request reads its token, as it always did.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tokio::sync::watch;

use crate::app::Shutdown;
use crate::domain::authz::Actor;
use crate::error::AppResult;
use crate::services::tokens::{self, Credential};

/// The PostgreSQL notification channel the triggers send on.
pub const CHANNEL: &str = "pyramid_sign_ins";
/// How often the listener sends itself a beat.
pub const BEAT: Duration = Duration::from_secs(2);
/// How long after its last beat came back the listener still counts as hearing: the longest a
/// revocation can go unseen if the listener's connection dies without a word.
pub const HEARING: Duration = Duration::from_secs(10);
/// How long a mutation waits to hear its own beat before forgetting everything instead.
const SETTLE: Duration = Duration::from_secs(1);
/// More distinct tokens than this and the memory starts again (a bound, not a working size).
const MOST_REMEMBERED: usize = 100_000;

/// This instance's memory of sign-ins (see the module's notes).
pub struct SignIns {
    memory: Mutex<Memory>,
    /// Where beats are sent; `None` when nothing is remembered (SQLite, or switched off).
    pool: Option<PgPool>,
    /// Names this instance's beats among the other instances'.
    instance: String,
    sent: AtomicU64,
    /// The number of the last beat of ours heard.
    heard: watch::Sender<u64>,
}

#[derive(Default)]
struct Memory {
    /// Goes up with every change heard, so a read that straddles one is not kept.
    generation: u64,
    remembered: HashMap<Credential, Actor>,
    /// Until when the listener counts as hearing; `None` while it is not listening.
    hearing_until: Option<Instant>,
}

impl Memory {
    fn hearing(&self, now: Instant) -> bool {
        self.hearing_until.is_some_and(|until| now < until)
    }

    fn forget(&mut self) {
        self.generation += 1;
        self.remembered.clear();
    }
}

/// Proof that a sign-in was read after every change heard so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

impl SignIns {
    /// A memory that never remembers: every sign-in reads the database.
    pub fn off() -> Arc<Self> {
        Arc::new(Self::new(None))
    }

    fn new(pool: Option<PgPool>) -> Self {
        Self {
            memory: Mutex::new(Memory::default()),
            pool,
            instance: format!("{:016x}", rand::random::<u64>()),
            sent: AtomicU64::new(0),
            heard: watch::channel(0).0,
        }
    }

    /// Remembers sign-ins on PostgreSQL, listening for changes until the server goes away;
    /// on SQLite, does not.
    pub fn listen(db: &DatabaseConnection, shutdown: &Shutdown) -> Arc<Self> {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Self::off();
        }
        let pool = db.get_postgres_connection_pool().clone();
        let sign_ins = Arc::new(Self::new(Some(pool.clone())));
        tokio::spawn(sign_ins.clone().keep_listening(pool, shutdown.clone()));
        sign_ins
    }

    /// Whether sign-ins are being remembered now.
    pub fn remembering(&self) -> bool {
        self.lock().hearing(Instant::now())
    }

    /// Waits at most `wait` for the listener to hear its first beat (the server waits so at
    /// start, so that its first requests already benefit).
    pub async fn hearing_within(&self, wait: Duration) -> bool {
        if self.pool.is_none() {
            return false;
        }
        let mut heard = self.heard.subscribe();
        let _ = tokio::time::timeout(wait, heard.wait_for(|n| *n > 0)).await;
        self.remembering()
    }

    /// The caller a credential signs in as: remembered, or read (from `primary` when it is to
    /// be remembered, from `read` when it is not) and then remembered if nothing changed
    /// meanwhile.
    pub async fn sign_in(
        &self,
        primary: &DatabaseConnection,
        read: &DatabaseConnection,
        credential: &Credential,
    ) -> AppResult<Actor> {
        if let Some(actor) = self.recall(credential, Instant::now()) {
            return Ok(actor);
        }
        let Some(ticket) = self.ticket(Instant::now()) else {
            return tokens::authenticate_credential(read, credential).await;
        };
        let actor = tokens::authenticate_credential(primary, credential).await?;
        self.remember(ticket, credential, &actor, Instant::now());
        Ok(actor)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // The memory holds no invariant a panic elsewhere could break halfway: go on with it.
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn recall(&self, credential: &Credential, now: Instant) -> Option<Actor> {
        let mut memory = self.lock();
        if !memory.hearing(now) {
            if !memory.remembered.is_empty() {
                memory.forget();
            }
            return None;
        }
        memory.remembered.get(credential).cloned()
    }

    fn ticket(&self, now: Instant) -> Option<Ticket> {
        let memory = self.lock();
        memory.hearing(now).then_some(Ticket(memory.generation))
    }

    fn remember(&self, ticket: Ticket, credential: &Credential, actor: &Actor, now: Instant) {
        let mut memory = self.lock();
        if ticket.0 != memory.generation || !memory.hearing(now) {
            return;
        }
        if memory.remembered.len() >= MOST_REMEMBERED {
            memory.remembered.clear();
        }
        memory.remembered.insert(credential.clone(), actor.clone());
    }

    /// Forgets every sign-in remembered.
    pub fn forget_all(&self) {
        self.lock().forget();
    }

    /// Returns once this instance has heard every change committed before the call (by sending
    /// itself a beat and waiting for it); if that takes longer than a second, forgets
    /// everything instead. Called after every mutation, before its answer goes out.
    pub async fn settle(&self) {
        let Some(pool) = &self.pool else { return };
        if !self.remembering() {
            return;
        }
        let mut heard = self.heard.subscribe();
        let settled = match self.beat(pool).await {
            Ok(n) => tokio::time::timeout(SETTLE, heard.wait_for(|h| *h >= n))
                .await
                .is_ok_and(|r| r.is_ok()),
            Err(_) => false,
        };
        if !settled {
            self.forget_all();
        }
    }

    /// Sends this instance a beat; returns its number.
    async fn beat(&self, pool: &PgPool) -> Result<u64, sea_orm::sqlx::Error> {
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        // Through sqlx directly, not sea-orm, so beats stay out of the statement counts.
        sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("beat {} {n}", self.instance))
            .execute(pool)
            .await?;
        Ok(n)
    }

    /// What the listener does with one notification.
    fn heard(&self, payload: &str, now: Instant) {
        match payload.strip_prefix("beat ") {
            Some(beat) => {
                let Some((instance, n)) = beat.split_once(' ') else {
                    return;
                };
                if instance != self.instance {
                    return; // another instance's beat
                }
                let Ok(n) = n.parse::<u64>() else { return };
                self.lock().hearing_until = Some(now + HEARING);
                self.heard.send_if_modified(|last| {
                    let newer = n > *last;
                    if newer {
                        *last = n;
                    }
                    newer
                });
            }
            // A change to a token, a membership, an area role or a member.
            None => self.forget_all(),
        }
    }

    /// Not hearing (the connection is lost or being replaced): forget, remember nothing.
    fn deafen(&self) {
        let mut memory = self.lock();
        memory.hearing_until = None;
        memory.forget();
    }

    /// Listens until the server goes away, connecting again (after 1 s, doubling to 30 s)
    /// whenever the connection is lost or its beats stop coming back.
    async fn keep_listening(self: Arc<Self>, pool: PgPool, shutdown: Shutdown) {
        let mut wait = Duration::from_secs(1);
        loop {
            let connected = async {
                // `try_recv` (not `recv`, which reconnects silently) tells us of a lost
                // connection, so that what changed in the gap is not missed.
                let mut listener = PgListener::connect_with(&pool).await?;
                listener.listen(CHANNEL).await?;
                Ok::<_, sea_orm::sqlx::Error>(listener)
            };
            let listener = tokio::select! {
                connected = connected => connected,
                _ = shutdown.going_away() => return,
            };
            match listener {
                Ok(listener) => {
                    wait = Duration::from_secs(1);
                    self.forget_all();
                    let lost = self
                        .hear_while_beats_return(&pool, listener, &shutdown)
                        .await;
                    self.deafen();
                    if !lost {
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(
                        "sign-ins are not remembered: cannot listen for changes ({error}); trying again in {} s",
                        wait.as_secs()
                    );
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.going_away() => return,
            }
            wait = (wait * 2).min(Duration::from_secs(30));
        }
    }

    /// Hears notifications on `listener` and sends beats, until the connection is lost or a
    /// beat has not come back within [`HEARING`] (true), or the server goes away (false).
    async fn hear_while_beats_return(
        self: &Arc<Self>,
        pool: &PgPool,
        mut listener: PgListener,
        shutdown: &Shutdown,
    ) -> bool {
        let me = self.clone();
        // Receiving runs on its own task, never cancelled halfway through a message.
        let mut hearing = tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(notice)) => me.heard(notice.payload(), Instant::now()),
                    Ok(None) => return "the connection was lost".to_owned(),
                    Err(error) => return error.to_string(),
                }
            }
        });
        let listening_since = Instant::now();
        let mut last_heard = 0;
        let mut heard_at = listening_since;
        loop {
            if let Err(error) = self.beat(pool).await {
                tracing::debug!("a sign-in beat could not be sent: {error}");
            }
            tokio::select! {
                _ = tokio::time::sleep(BEAT) => {}
                ended = &mut hearing => {
                    let why = ended.unwrap_or_else(|e| e.to_string());
                    tracing::warn!("sign-ins are forgotten: the listener stopped ({why}); listening again");
                    return true;
                }
                _ = shutdown.going_away() => {
                    hearing.abort();
                    return false;
                }
            }
            let now = Instant::now();
            let heard = *self.heard.borrow();
            if heard > last_heard {
                (last_heard, heard_at) = (heard, now);
            } else if now.duration_since(heard_at) >= HEARING {
                tracing::warn!(
                    "sign-ins are forgotten: no beat came back for {} s; listening again",
                    HEARING.as_secs()
                );
                hearing.abort();
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::authz::Principal;
    use crate::domain::ids::MemberId;

    fn member(id: i64) -> Actor {
        Actor::Member(Principal {
            member_id: MemberId(id),
            seats: Vec::new(),
            area_roles: Vec::new(),
        })
    }

    fn listening() -> (SignIns, Instant) {
        let sign_ins = SignIns::new(None);
        let now = Instant::now();
        let beat = format!("beat {} 1", sign_ins.instance);
        sign_ins.heard(&beat, now);
        (sign_ins, now)
    }

    #[test]
    fn nothing_is_remembered_before_the_listener_hears_its_own_beat() {
        let sign_ins = SignIns::new(None);
        let now = Instant::now();
        let token = tokens::credential("pyr_a").unwrap();
        assert_eq!(sign_ins.ticket(now), None);
        sign_ins.heard("beat 0123456789abcdef 1", now); // another instance's beat
        assert_eq!(sign_ins.ticket(now), None);
        sign_ins.remember(Ticket(0), &token, &member(1), now);
        assert_eq!(sign_ins.recall(&token, now), None);
    }

    #[test]
    fn a_change_heard_forgets_and_a_read_from_before_it_is_not_kept() {
        let (sign_ins, now) = listening();
        let token = tokens::credential("pyr_a").unwrap();
        let ticket = sign_ins.ticket(now).unwrap();
        sign_ins.remember(ticket, &token, &member(1), now);
        assert_eq!(sign_ins.recall(&token, now), Some(member(1)));

        let before = sign_ins.ticket(now).unwrap();
        sign_ins.heard("api_tokens", now);
        assert_eq!(
            sign_ins.recall(&token, now),
            None,
            "forgotten at the change"
        );
        sign_ins.remember(before, &token, &member(1), now);
        assert_eq!(sign_ins.recall(&token, now), None, "read before the change");
        let after = sign_ins.ticket(now).unwrap();
        sign_ins.remember(after, &token, &member(2), now);
        assert_eq!(sign_ins.recall(&token, now), Some(member(2)));
    }

    #[test]
    fn when_beats_stop_coming_back_nothing_is_recalled() {
        let (sign_ins, now) = listening();
        let token = tokens::credential("pyr_a").unwrap();
        sign_ins.remember(sign_ins.ticket(now).unwrap(), &token, &member(1), now);
        let later = now + HEARING;
        assert_eq!(sign_ins.recall(&token, later), None);
        assert_eq!(sign_ins.ticket(later), None);
        // A beat heard again does not bring back what was remembered before the silence.
        sign_ins.heard(&format!("beat {} 2", sign_ins.instance), later);
        assert_eq!(sign_ins.recall(&token, later), None);
    }

    #[test]
    fn a_lost_connection_forgets() {
        let (sign_ins, now) = listening();
        let token = tokens::credential("pyr_a").unwrap();
        sign_ins.remember(sign_ins.ticket(now).unwrap(), &token, &member(1), now);
        sign_ins.deafen();
        assert_eq!(sign_ins.recall(&token, now), None);
        assert_eq!(sign_ins.ticket(now), None);
    }
}
