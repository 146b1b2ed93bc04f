//! Finding what the queries ask for in a loaded database (the council, the district, item
//! references, the members whose tokens are used), and counting what the database holds.

use anyhow::Context;
use pyramid::domain::MemberId;
use pyramid::domain::authz::Actor;
use pyramid::domain::group::GroupKind;
use pyramid::entities::{group, member};
use pyramid::error::AppError;
use pyramid::services;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};

/// Names that identify the bench's own rows when a loaded database is used again.
pub const COUNCIL_NAME: &str = "Bench Council 1";
pub const DISTRICT_NAME: &str = "Bench District 1";
pub const COMMISSIONER_EMAIL: &str = "commissioner@bench.example.org";
pub const SECRETARY_EMAIL: &str = "district-secretary@bench.example.org";
const TOKEN_LABEL: &str = "bench";
/// How many references of items that reached the council the item query cycles through.
const REFERENCE_SAMPLE: usize = 2_000;
/// How many PPGs of the queried district raise reports in the raise benchmark.
const REPORTING_PPGS: usize = 20;

/// What the queries need from a loaded database, and what it holds.
pub struct Fixture {
    pub council: i64,
    pub district: i64,
    pub commissioner: i64,
    pub secretary: i64,
    pub references: Vec<String>,
    /// (member, PPG) pairs of the queried district, who raise reports in the raise benchmark.
    pub reporters: Vec<(i64, i64)>,
    /// The register entry the raise benchmark reports on (as many items name it as any other).
    pub provider: i64,
    pub councils: u64,
    pub districts: u64,
    pub ppgs: u64,
    pub items: u64,
    pub events: u64,
    pub held_at_council: u64,
    pub waiting_at_district: u64,
}

impl Fixture {
    pub async fn find(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let missing = || {
            anyhow::anyhow!(
                "this database holds items but not the bench's pyramid: give `pyramid-bench` an empty database"
            )
        };
        let group_named = |name: &'static str, kind: GroupKind| {
            group::Entity::find()
                .filter(group::Column::Name.eq(name))
                .filter(group::Column::Kind.eq(kind.as_str()))
                .one(db)
        };
        let council = group_named(COUNCIL_NAME, GroupKind::Council)
            .await?
            .ok_or_else(missing)?
            .id;
        let district = group_named(DISTRICT_NAME, GroupKind::District)
            .await?
            .ok_or_else(missing)?
            .id;
        let member_with = |email: &'static str| {
            member::Entity::find()
                .filter(member::Column::Email.eq(email))
                .one(db)
        };
        let commissioner = member_with(COMMISSIONER_EMAIL)
            .await?
            .ok_or_else(missing)?
            .id;
        let secretary = member_with(SECRETARY_EMAIL).await?.ok_or_else(missing)?.id;
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT i.reference AS reference FROM items i \
                     JOIN item_groups g ON g.item_id = i.id \
                     WHERE g.group_id = {council} ORDER BY random() LIMIT {REFERENCE_SAMPLE}"
                ),
            ))
            .await?;
        let mut references = rows
            .iter()
            .map(|row| row.try_get::<String>("", "reference"))
            .collect::<Result<Vec<_>, _>>()?;
        references.sort();
        references.shuffle(&mut SmallRng::seed_from_u64(7));
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT m.member_id AS member, m.group_id AS ppg FROM memberships m \
                     JOIN groups g ON g.id = m.group_id \
                     WHERE g.parent_id = {district} AND m.role = 'MEMBER' \
                     ORDER BY g.id LIMIT {REPORTING_PPGS}"
                ),
            ))
            .await?;
        let reporters = rows
            .iter()
            .map(|row| Ok((row.try_get("", "member")?, row.try_get("", "ppg")?)))
            .collect::<Result<Vec<(i64, i64)>, sea_orm::DbErr>>()?;
        let kind_count = |kind: GroupKind| {
            format!(
                "SELECT COUNT(*) AS n FROM groups WHERE kind = '{}'",
                kind.as_str()
            )
        };
        Ok(Self {
            council,
            district,
            commissioner,
            secretary,
            references,
            reporters,
            provider: count(db, "SELECT MIN(id) AS n FROM providers").await? as i64,
            councils: count(db, &kind_count(GroupKind::Council)).await?,
            districts: count(db, &kind_count(GroupKind::District)).await?,
            ppgs: count(db, &kind_count(GroupKind::Ppg)).await?,
            items: count(db, "SELECT COUNT(*) AS n FROM items").await?,
            events: count(db, "SELECT COUNT(*) AS n FROM item_events").await?,
            held_at_council: count(
                db,
                &format!("SELECT COUNT(*) AS n FROM items WHERE current_group_id = {council}"),
            )
            .await?,
            waiting_at_district: count(
                db,
                &format!(
                    "SELECT COUNT(*) AS n FROM items WHERE current_group_id = {district} AND status = 'AT_DISTRICT'"
                ),
            )
            .await?,
        })
    }
}

/// A fresh token for one of the bench's members (earlier bench tokens are revoked).
pub async fn issue_token(db: &DatabaseConnection, member: i64) -> anyhow::Result<String> {
    let member = MemberId(member);
    let failed = |e: AppError| anyhow::anyhow!("{} ({})", e.message(), e.code());
    services::tokens::revoke_labelled(db, member, TOKEN_LABEL)
        .await
        .map_err(failed)?;
    let issued = services::tokens::create(db, &Actor::System, member, TOKEN_LABEL)
        .await
        .map_err(failed)?;
    Ok(issued.secret)
}

/// The `n` column of the one row `sql` returns.
pub async fn count(conn: &impl ConnectionTrait, sql: &str) -> anyhow::Result<u64> {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?
        .context("a count returned no row")?;
    let n: i64 = row.try_get("", "n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The database's name and version, as the report's first line shows them.
pub async fn describe_database(conn: &impl ConnectionTrait) -> String {
    let backend = match conn.get_database_backend() {
        DatabaseBackend::Postgres => "PostgreSQL",
        DatabaseBackend::Sqlite => "SQLite",
        _ => "other",
    };
    let version = server_version(conn).await.unwrap_or_default();
    format!("{backend} {version}")
}

async fn server_version(conn: &impl ConnectionTrait) -> anyhow::Result<String> {
    let sql = match conn.get_database_backend() {
        DatabaseBackend::Postgres => "SELECT current_setting('server_version') AS v",
        _ => "SELECT sqlite_version() AS v",
    };
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await?
        .context("no version")?;
    Ok(row.try_get("", "v")?)
}
