//! Background work: delivering the outbox. Each delivery is claimed (so that several server
//! instances never send the same one at once), handed to a courier, and marked delivered, or
//! retried later with back-off (respecting a rate limit's `retry_after`), or given up on
//! after too many attempts. Tests call `drain` with a clock of their choosing instead of
//! sleeping.
//!
//! A worker claims only the deliveries its courier can carry (`Courier::media`): `serve`
//! always runs one, with a `Router` that takes e-mail to the mail courier and chat to the
//! Discord courier when the bot runs; without the bot, chat deliveries wait unclaimed, as they
//! always have, and are neither tried nor given up.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::delivery::Medium;
use crate::entities::outbox as db;
use crate::error::AppResult;
use crate::services::outbox::{DELIVERED, Destination, FAILED, Message, PENDING};

/// One delivery handed to a courier.
#[derive(Debug, Clone)]
pub struct Parcel {
    pub id: i64,
    pub destination: Destination,
    pub message: Message,
    /// 1 for the first try.
    pub attempt: i32,
}

impl Parcel {
    /// A value the destination can use to recognise a repeat of this delivery (Discord's
    /// message `nonce` with `enforce_nonce`), so that a crash between sending and recording
    /// the send does not post twice.
    pub fn nonce(&self) -> String {
        format!("pyramid-{}", self.id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Try again later; `after` when the destination said how long to wait.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// It can never be delivered (no channel linked, the member has no chat account).
    GiveUp(String),
}

pub type Delivering<'a> = Pin<Box<dyn Future<Output = Result<(), Failure>> + Send + 'a>>;

/// Something that takes parcels to the outside world (the Discord bot, the mail courier, a
/// `Router` between them; a test's recorder).
pub trait Courier: Send + Sync + 'static {
    fn deliver<'a>(&'a self, parcel: &'a Parcel) -> Delivering<'a>;

    /// The media whose deliveries this courier takes; the worker claims no others.
    fn media(&self) -> Vec<Medium> {
        Medium::ALL.to_vec()
    }
}

/// Hands each parcel to the courier for its destination's medium: chat to the Discord
/// courier (when the bot runs), e-mail to the mail courier, a newsletter's audio version to
/// the speech courier.
pub struct Router {
    pub chat: Option<Arc<dyn Courier>>,
    pub email: Option<Arc<dyn Courier>>,
    pub audio: Option<Arc<dyn Courier>>,
}

impl Router {
    fn courier(&self, medium: Medium) -> Option<&Arc<dyn Courier>> {
        match medium {
            Medium::Chat => self.chat.as_ref(),
            Medium::Email => self.email.as_ref(),
            Medium::Audio => self.audio.as_ref(),
        }
    }
}

impl Courier for Router {
    fn deliver<'a>(&'a self, parcel: &'a Parcel) -> Delivering<'a> {
        match self.courier(parcel.destination.medium()) {
            Some(courier) => courier.deliver(parcel),
            // Not claimed in the first place (see `media`); kept waiting if it ever is.
            None => Box::pin(async {
                Err(Failure::Retry {
                    reason: "no courier for this medium is running".to_owned(),
                    after: None,
                })
            }),
        }
    }

    fn media(&self) -> Vec<Medium> {
        Medium::ALL
            .iter()
            .copied()
            .filter(|m| self.courier(*m).is_some())
            .collect()
    }
}

/// What one drain did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

pub struct OutboxWorker {
    db: DatabaseConnection,
    courier: Arc<dyn Courier>,
    pub max_attempts: i32,
    /// How long a claimed delivery stays claimed before another instance may try it (a
    /// crash mid-delivery leaves it claimed; it is retried after this). Kept well inside the
    /// few minutes in which Discord recognises a repeated nonce, so a resend after a crash is
    /// still recognised as one.
    pub lease: Duration,
}

/// Waits 30 s after the first failure, doubling up to an hour.
pub fn backoff(attempt: i32) -> Duration {
    let exponent = attempt.clamp(1, 8) as u32 - 1;
    Duration::from_secs((30u64 << exponent).min(3_600))
}

impl OutboxWorker {
    pub fn new(db: DatabaseConnection, courier: Arc<dyn Courier>) -> Self {
        Self {
            db,
            courier,
            max_attempts: 10,
            lease: Duration::from_secs(60),
        }
    }

    /// Delivers everything due at `now`, once each. Deliveries that fail are rescheduled
    /// after `now`, so one drain never tries a delivery twice.
    pub async fn drain(&self, now: DateTime<Utc>) -> AppResult<Drained> {
        let mut drained = Drained::default();
        let media: Vec<&str> = self.courier.media().iter().map(|m| m.as_str()).collect();
        if media.is_empty() {
            return Ok(drained);
        }
        loop {
            let due = db::Entity::find()
                .filter(db::Column::Status.eq(PENDING))
                .filter(db::Column::Channel.is_in(media.iter().copied()))
                .filter(db::Column::NextAttemptAt.lte(now))
                .order_by_asc(db::Column::Id)
                .limit(50)
                .all(&self.db)
                .await?;
            if due.is_empty() {
                return Ok(drained);
            }
            for row in due {
                match self.claim(&row, now).await? {
                    false => continue,
                    true => match self.deliver(row, now).await? {
                        Outcome::Delivered => drained.delivered += 1,
                        Outcome::Retrying => drained.retrying += 1,
                        Outcome::Failed => drained.failed += 1,
                    },
                }
            }
        }
    }

    /// Takes a delivery for this instance; false when another instance got there first.
    async fn claim(&self, row: &db::Model, now: DateTime<Utc>) -> AppResult<bool> {
        let lease = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let claimed = db::Entity::update_many()
            .col_expr(db::Column::NextAttemptAt, Expr::value(lease))
            .col_expr(
                db::Column::Attempts,
                sea_orm::sea_query::ExprTrait::add(Expr::col(db::Column::Attempts), 1),
            )
            .filter(db::Column::Id.eq(row.id))
            .filter(db::Column::Status.eq(PENDING))
            .filter(db::Column::NextAttemptAt.eq(row.next_attempt_at))
            .exec(&self.db)
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    async fn deliver(&self, row: db::Model, now: DateTime<Utc>) -> AppResult<Outcome> {
        let attempt = row.attempts + 1;
        let destination = Destination::parse(&row.destination)
            .ok_or_else(|| format!("unknown destination {}", row.destination));
        let message = Message::from_stored(&row.kind, &row.dedupe_key, &row.payload)
            .map_err(|why| format!("the stored message cannot be read: {why}"));
        let result = match (destination, message) {
            (Err(why), _) | (_, Err(why)) => Err(Failure::GiveUp(why)),
            (Ok(destination), Ok(message)) => {
                let parcel = Parcel {
                    id: row.id,
                    destination,
                    message,
                    attempt,
                };
                self.courier.deliver(&parcel).await
            }
        };
        let update = db::Entity::update_many().filter(db::Column::Id.eq(row.id));
        let (update, outcome) = match result {
            Ok(()) => (
                update
                    .col_expr(db::Column::Status, Expr::value(DELIVERED))
                    .col_expr(db::Column::DeliveredAt, Expr::value(Utc::now()))
                    .col_expr(db::Column::LastError, Expr::value(Option::<String>::None)),
                Outcome::Delivered,
            ),
            Err(Failure::Retry { reason, after }) if attempt < self.max_attempts => {
                let wait = after.map_or_else(
                    || backoff(attempt),
                    |after| after.max(Duration::from_millis(100)),
                );
                let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
                tracing::warn!(delivery = row.id, attempt, %reason, "delivery failed; will retry");
                (
                    update
                        .col_expr(db::Column::NextAttemptAt, Expr::value(next))
                        .col_expr(db::Column::LastError, Expr::value(reason)),
                    Outcome::Retrying,
                )
            }
            Err(Failure::Retry { reason, .. } | Failure::GiveUp(reason)) => {
                tracing::warn!(delivery = row.id, attempt, %reason, "delivery given up");
                (
                    update
                        .col_expr(db::Column::Status, Expr::value(FAILED))
                        .col_expr(db::Column::GivenUpAt, Expr::value(Utc::now()))
                        .col_expr(db::Column::LastError, Expr::value(reason)),
                    Outcome::Failed,
                )
            }
        };
        update.exec(&self.db).await?;
        Ok(outcome)
    }

    /// Drains the outbox every `every` until `stop` says the server is going away. A drain
    /// that has started finishes first, so a claimed delivery is never left half-done.
    pub async fn run(self, every: Duration, stop: crate::app::Shutdown) {
        loop {
            // A failure was logged where it happened; the next round tries again.
            let _ = crate::services::watches::send_due(&self.db, Utc::now()).await;
            // Planned changes whose day has come go back to the tier that referred them.
            let _ = crate::services::changes::return_due(&self.db, Utc::now()).await;
            let _ = self.drain(Utc::now()).await;
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.going_away() => {
                    tracing::info!("the outbox worker has stopped");
                    return;
                }
            }
        }
    }
}

enum Outcome {
    Delivered,
    Retrying,
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(5), Duration::from_secs(480));
        assert_eq!(backoff(9), Duration::from_secs(3_600));
    }
}
