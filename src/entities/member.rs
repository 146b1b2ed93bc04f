use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub created_at: DateTimeUtc,
    /// When the member confirmed `email` was theirs; nothing is e-mailed to them before.
    pub email_confirmed_at: Option<DateTimeUtc>,
    /// How they chose to hear (`CHAT`, `EMAIL`, `BOTH`, `NONE`); `None` is the default.
    pub delivery_preference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
