use sea_orm::entity::prelude::*;

/// A delivery to the outside world, written in the same transaction as the change that
/// causes it and delivered later by a worker. `dedupe_key` is unique: the same delivery is
/// never queued twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub destination: String,
    pub dedupe_key: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    /// The medium that carries it (`CHAT`, `EMAIL`): a worker claims only what its couriers
    /// can deliver.
    pub channel: String,
    /// The group whose officers see it if it is given up.
    pub group_id: Option<i64>,
    pub given_up_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
