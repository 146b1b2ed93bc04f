//! Audio versions of what is published (newsletters, reports): made once by the speech
//! courier (`src/speech.rs`, queued through the outbox when the document is published), kept
//! in the database beside the document (so every `serve` instance serves the same file) and
//! read back for its page. One rule for both: the first recording stays; a second one for the
//! same document (a retry after a crash between storing and marking done) is ignored.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};

use crate::domain::{NewsletterId, ReportId};
use crate::error::AppResult;
use crate::speech::Recording;

/// What a recording is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Newsletter(NewsletterId),
    Report(ReportId),
}

impl Recorded {
    /// The table its recording is kept in (`newsletter_audio`, `report_audio`, each with a
    /// foreign key to its document), the key column, and the key.
    fn row(self) -> (Alias, Alias, i64) {
        match self {
            Recorded::Newsletter(id) => (
                Alias::new("newsletter_audio"),
                Alias::new("newsletter_id"),
                id.0,
            ),
            Recorded::Report(id) => (Alias::new("report_audio"), Alias::new("report_id"), id.0),
        }
    }
}

/// A recording as it is served.
#[derive(Debug, Clone)]
pub struct Audio {
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub duration_ms: i64,
}

/// The audio version, once it is made.
pub async fn get(conn: &impl ConnectionTrait, of: Recorded) -> AppResult<Option<Audio>> {
    let (table, key, id) = of.row();
    let query = Query::select()
        .columns([
            Alias::new("media_type"),
            Alias::new("bytes"),
            Alias::new("duration_ms"),
        ])
        .from(table)
        .and_where(Expr::col(key).eq(id))
        .to_owned();
    let Some(row) = conn.query_one(&query).await? else {
        return Ok(None);
    };
    Ok(Some(Audio {
        media_type: row.try_get("", "media_type")?,
        bytes: row.try_get("", "bytes")?,
        duration_ms: row.try_get("", "duration_ms")?,
    }))
}

/// Whether the audio version is made, without reading it.
pub async fn exists(conn: &impl ConnectionTrait, of: Recorded) -> AppResult<bool> {
    let (table, key, id) = of.row();
    let query = Query::select()
        .column(key.clone())
        .from(table)
        .and_where(Expr::col(key).eq(id))
        .to_owned();
    Ok(conn.query_one(&query).await?.is_some())
}

/// Keeps a recording; a second one for the same document is ignored (the first stays).
pub async fn store(
    conn: &impl ConnectionTrait,
    of: Recorded,
    media_type: &str,
    recording: &Recording,
) -> AppResult<()> {
    let (table, key, id) = of.row();
    let duration_ms = i64::try_from(recording.duration.as_millis()).unwrap_or(i64::MAX);
    let query = Query::insert()
        .into_table(table)
        .columns([
            key.clone(),
            Alias::new("media_type"),
            Alias::new("bytes"),
            Alias::new("duration_ms"),
            Alias::new("created_at"),
        ])
        .values_panic([
            id.into(),
            media_type.into(),
            recording.bytes.clone().into(),
            duration_ms.into(),
            crate::services::now().into(),
        ])
        .on_conflict(OnConflict::column(key).do_nothing().to_owned())
        .to_owned();
    conn.execute(&query).await?;
    Ok(())
}
