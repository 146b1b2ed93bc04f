//! Other sources of feedback: importing files of them into an area (`import.rs`), listing and
//! undoing imports (here), and putting them beside the pyramid's own soft intelligence
//! (`triangulate.rs`).

mod export;
mod import;
mod triangulate;

pub use export::export;
pub use import::{ImportFile, ImportReport, MAX_FILE_BYTES, import_file};
pub use triangulate::{ProviderTriangulation, triangulation};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Subject};
use crate::domain::authz::{self, Actor};
use crate::domain::feedback::{Import, Month, Source};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{FeedbackImportId, GroupId, MemberId, RedactedText};
use crate::entities::{external_feedback, feedback_import, provider};
use crate::error::{AppError, AppResult};

fn from_model(model: feedback_import::Model) -> AppResult<Import> {
    let corrupt = |what| super::corrupt("feedback_imports", model.id, what);
    Ok(Import {
        id: FeedbackImportId(model.id),
        area_id: GroupId(model.area_id),
        source: Source::from_db(&model.source).ok_or_else(|| corrupt("source"))?,
        file_name: model.file_name,
        rows_imported: u32::try_from(model.rows_imported).map_err(|_| corrupt("row count"))?,
        rows_rejected: u32::try_from(model.rows_rejected).map_err(|_| corrupt("row count"))?,
        first_month: model.first_month.map(Month::of),
        last_month: model.last_month.map(Month::of),
        imported_by: model.imported_by.map(MemberId),
        imported_at: model.imported_at,
        undone_at: model.undone_at,
    })
}

fn not_found() -> AppError {
    AppError::not_found("import")
}

/// An import, for whoever may see the area's imports (others are told it is missing).
pub async fn get(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: FeedbackImportId,
) -> AppResult<Import> {
    authz::may_see_people(actor)?;
    let model = feedback_import::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    if !authz::may_see_imports(actor, GroupId(model.area_id)) {
        return Err(not_found());
    }
    from_model(model)
}

/// An area's imports, oldest first, undone ones included (they say when).
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    area: GroupId,
    page: PageRequest,
) -> AppResult<Page<Import>> {
    authz::may_see_people(actor)?;
    if !authz::may_see_imports(actor, area) {
        return Err(AppError::Forbidden(
            "An area's imports are seen by its commissioners and administrators.".to_owned(),
        ));
    }
    let query = feedback_import::Entity::find().filter(feedback_import::Column::AreaId.eq(area.0));
    let rows = super::keyset_page(query, feedback_import::Column::Id, page)
        .all(conn)
        .await?;
    let imports = rows.into_iter().map(from_model).collect::<AppResult<_>>()?;
    Ok(Page::from_overfetch(imports, page))
}

/// Undoes an import: its figures are taken out (an import of the register takes out the
/// providers it added, if nothing refers to them yet); the record stays, saying when it was
/// undone and by whom, and the same file may then be imported again.
#[tracing::instrument(skip_all, fields(import = %id, member = ?actor.member_id()))]
pub async fn undo(
    db: &DatabaseConnection,
    actor: &Actor,
    id: FeedbackImportId,
) -> AppResult<Import> {
    let import = get(db, actor, id).await?;
    if import.undone_at.is_some() {
        return Err(AppError::Conflict(format!(
            "Import {} was undone already.",
            import.id
        )));
    }
    let txn = db.begin().await?;
    let removed = match import.source {
        Source::OdsRegister => remove_added_providers(&txn, id).await?,
        _ => {
            external_feedback::Entity::delete_many()
                .filter(external_feedback::Column::ImportId.eq(id.0))
                .exec(&txn)
                .await?
                .rows_affected
        }
    };
    let now = super::now();
    // Claimed by the update, so two undos at once cannot both go through.
    let claimed = feedback_import::Entity::update_many()
        .col_expr(
            feedback_import::Column::UndoneAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            feedback_import::Column::UndoneBy,
            sea_orm::sea_query::Expr::value(actor.member_id().map(|m| m.0)),
        )
        .filter(feedback_import::Column::Id.eq(id.0))
        .filter(feedback_import::Column::UndoneAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(AppError::Conflict(format!(
            "Import {} was undone already.",
            import.id
        )));
    }
    audit::record(
        &txn,
        actor,
        "feedback_import.undone",
        Subject::FeedbackImport(id.0),
        json!({ "source": import.source, "removed": removed }),
    )
    .await?;
    txn.commit().await?;
    Ok(Import {
        undone_at: Some(now),
        ..import
    })
}

/// Takes out the providers an import of the register added, refusing if any is now used.
async fn remove_added_providers(
    conn: &impl ConnectionTrait,
    id: FeedbackImportId,
) -> AppResult<u64> {
    let added: Vec<i64> = provider::Entity::find()
        .filter(provider::Column::ImportId.eq(id.0))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if added.is_empty() {
        return Ok(0);
    }
    let used_by_items = crate::entities::item::Entity::find()
        .filter(crate::entities::item::Column::ProviderId.is_in(added.clone()))
        .one(conn)
        .await?
        .is_some();
    let used_by_feedback = external_feedback::Entity::find()
        .filter(external_feedback::Column::ProviderId.is_in(added.clone()))
        .one(conn)
        .await?
        .is_some();
    let parent_of_others = provider::Entity::find()
        .filter(provider::Column::ParentId.is_in(added.clone()))
        .filter(
            sea_orm::Condition::any()
                .add(provider::Column::ImportId.ne(id.0))
                .add(provider::Column::ImportId.is_null()),
        )
        .one(conn)
        .await?
        .is_some();
    if used_by_items || used_by_feedback || parent_of_others {
        return Err(AppError::Conflict(
            "Some of the providers this import added are now used by items, by imported figures or by other providers, so it cannot be undone; correct the register instead.".to_owned(),
        ));
    }
    // Services first, then the organisations they sit under.
    provider::Entity::delete_many()
        .filter(provider::Column::ImportId.eq(id.0))
        .filter(provider::Column::ParentId.is_not_null())
        .exec(conn)
        .await?;
    provider::Entity::delete_many()
        .filter(provider::Column::ImportId.eq(id.0))
        .exec(conn)
        .await?;
    Ok(added.len() as u64)
}

/// The redacted name a file is recorded under.
fn file_name(raw: &str) -> RedactedText {
    let name: String = raw
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(raw)
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let name = if name.trim().is_empty() {
        "(unnamed file)".to_owned()
    } else {
        name
    };
    RedactedText::redact(&name).0
}
