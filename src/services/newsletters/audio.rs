//! A published newsletter's audio version: stored once by the speech courier
//! (`src/speech.rs`, queued at publishing) and read back for its page.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::domain::NewsletterId;
use crate::entities::newsletter_audio as db;
use crate::error::AppResult;
use crate::speech::Recording;

/// A recording as it is served.
#[derive(Debug, Clone)]
pub struct Audio {
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub duration_ms: i64,
}

/// The audio version, once it is made. Only published newsletters have one.
pub async fn audio(conn: &impl ConnectionTrait, id: NewsletterId) -> AppResult<Option<Audio>> {
    Ok(db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .map(|row| Audio {
            media_type: row.media_type,
            bytes: row.bytes,
            duration_ms: row.duration_ms,
        }))
}

/// Whether the audio version is made, without reading it.
pub async fn has_audio(conn: &impl ConnectionTrait, id: NewsletterId) -> AppResult<bool> {
    Ok(db::Entity::find()
        .select_only()
        .column(db::Column::NewsletterId)
        .filter(db::Column::NewsletterId.eq(id.0))
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .is_some())
}

/// Keeps a recording; a second one for the same newsletter is ignored (the first stays).
pub async fn store_audio(
    conn: &impl ConnectionTrait,
    id: NewsletterId,
    media_type: &str,
    recording: &Recording,
) -> AppResult<()> {
    let row = db::ActiveModel {
        newsletter_id: Set(id.0),
        media_type: Set(media_type.to_owned()),
        bytes: Set(recording.bytes.clone()),
        duration_ms: Set(i64::try_from(recording.duration.as_millis()).unwrap_or(i64::MAX)),
        created_at: Set(crate::services::now()),
    };
    db::Entity::insert(row)
        .on_conflict(
            OnConflict::column(db::Column::NewsletterId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
