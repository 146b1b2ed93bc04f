//! Bulk-loads a synthetic pyramid into an empty database, with multi-row INSERTs in one
//! transaction rather than the services: the groups, members and providers in `structure.rs`,
//! then the items in `items.rs`.

use std::time::Instant;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    TransactionTrait,
};

use crate::fixture::count;
use crate::{items, structure};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// 1 council, 5 districts, 75 PPGs, 20,000 items (the reference area).
    Small,
    /// 1 council, 20 districts, 300 PPGs, 150,000 items (one big area).
    Medium,
    /// 42 councils, 200 districts, 6,300 PPGs, 1,500,000 items (England).
    National,
}

/// How many of each thing a scale loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub councils: usize,
    pub districts: usize,
    pub ppgs: usize,
    pub items: usize,
}

impl Scale {
    pub fn shape(self) -> Shape {
        match self {
            Scale::Small => Shape {
                councils: 1,
                districts: 5,
                ppgs: 75,
                items: 20_000,
            },
            Scale::Medium => Shape {
                councils: 1,
                districts: 20,
                ppgs: 300,
                items: 150_000,
            },
            Scale::National => Shape {
                councils: 42,
                districts: 200,
                ppgs: 6_300,
                items: 1_500_000,
            },
        }
    }
}

/// Ids handed out by the loader: each table continues after its highest id.
pub struct NextIds {
    pub group: i64,
    pub member: i64,
    pub provider: i64,
    pub item: i64,
    pub event: i64,
}

/// Loads a pyramid of `shape` into `db`, after the rows it already holds.
pub async fn load(db: &DatabaseConnection, shape: Shape) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let mut next = NextIds {
        group: max_id(db, "groups").await? + 1,
        member: max_id(db, "members").await? + 1,
        provider: max_id(db, "providers").await? + 1,
        item: max_id(db, "items").await? + 1,
        event: max_id(db, "item_events").await? + 1,
    };
    let now = Utc::now();
    let txn = db.begin().await?;

    let pyramid = structure::load(&txn, shape, &mut next, now).await?;
    let began = Instant::now();
    items::load(&txn, &pyramid, shape.items, &mut next, now).await?;

    if backend == DatabaseBackend::Postgres {
        // Rows were given their ids: move the sequences past them.
        for table in ["groups", "members", "providers", "items", "item_events"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    eprintln!("  committing ({:.0} s) ...", began.elapsed().as_secs_f64());
    txn.commit().await?;
    if backend == DatabaseBackend::Postgres {
        // What autovacuum would do shortly anyway; done now so plans do not change mid-run.
        eprintln!(
            "  VACUUM ANALYZE ({:.0} s) ...",
            began.elapsed().as_secs_f64()
        );
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    Ok(())
}

/// Inserts `rows` with multi-row INSERTs of at most `per_statement` rows.
pub async fn insert_all<A>(
    conn: &impl ConnectionTrait,
    mut rows: Vec<A>,
    per_statement: usize,
) -> anyhow::Result<()>
where
    A: ActiveModelTrait + Send,
{
    while !rows.is_empty() {
        let rest = rows.split_off(per_statement.min(rows.len()));
        <A::Entity as EntityTrait>::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
        rows = rest;
    }
    Ok(())
}

async fn max_id(conn: &impl ConnectionTrait, table: &str) -> anyhow::Result<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) AS n FROM {table}");
    Ok(count(conn, &sql).await? as i64)
}
