//! Importing a file: read every line (the domain's `formats`), match its ODS codes to the
//! providers register and its subjects to the vocabulary, refuse the lines that cannot be
//! placed (each with its reason), and store the rest in one transaction, or nothing at all.
//! The same file (by SHA-256 of its content) is imported once while that import stands, and a
//! month of a provider's figures from one source comes from one file, so nothing counts twice.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{file_name, from_model};
use crate::domain::authz::{self, Actor};
use crate::domain::feedback::formats::{self, Parsed};
use crate::domain::feedback::{self as domain, Import, LineError, Month, Record, Source};
use crate::domain::provider::{OdsCode, Provider, ProviderKind, check_provider_parent};
use crate::domain::theme::Crosswalk;
use crate::domain::{GroupId, ProviderId, RedactedText};
use crate::entities::{external_feedback, feedback_import, provider};
use crate::error::{AppError, AppResult, OnConstraint};
use crate::services::audit::{self, Subject};
use crate::services::{groups, providers, themes};

/// The largest file imported (the command line and GraphQL alike): a year of a whole
/// region's FFT results is a few megabytes.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

pub struct ImportFile {
    pub area: GroupId,
    pub source: Source,
    pub file_name: String,
    pub content: Vec<u8>,
    /// Check the file and report what would be imported, storing nothing.
    pub dry_run: bool,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug)]
pub struct ImportReport {
    /// The import stored; `None` for a dry run or a file with no line to import.
    pub import: Option<Import>,
    pub source: Source,
    pub rows_read: u32,
    pub rows_imported: u32,
    /// For the register: organisations already in it, left as they are.
    pub already_known: u32,
    pub rejected: Vec<LineError>,
    pub dry_run: bool,
}

fn content_hash(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tracing::instrument(skip_all, fields(area = %file.area, source = file.source.as_str(), member = ?actor.member_id()))]
pub async fn import_file(
    db: &DatabaseConnection,
    actor: &Actor,
    file: ImportFile,
) -> AppResult<ImportReport> {
    authz::may_import(actor, file.area, file.source == Source::OdsRegister)?;
    groups::area(db, file.area).await?;
    if file.content.len() > MAX_FILE_BYTES {
        return Err(AppError::bad_input(
            "file",
            format!(
                "The file is larger than Pyramid imports ({} MB): split it by month.",
                MAX_FILE_BYTES / 1024 / 1024
            ),
        ));
    }
    let hash = content_hash(&file.content);
    if let Some(earlier) = feedback_import::Entity::find()
        .filter(feedback_import::Column::AreaId.eq(file.area.0))
        .filter(feedback_import::Column::Source.eq(file.source.as_str()))
        .filter(feedback_import::Column::ContentHash.eq(hash.as_str()))
        .filter(feedback_import::Column::UndoneAt.is_null())
        .one(db)
        .await?
    {
        return Err(already_imported(&earlier));
    }
    let today = crate::services::today();
    match file.source {
        Source::OdsRegister => import_register(db, actor, file, hash).await,
        _ => import_feedback(db, actor, file, hash, today).await,
    }
}

fn already_imported(earlier: &feedback_import::Model) -> AppError {
    AppError::Conflict(format!(
        "This file was imported on {} (import {}), so importing it again would add nothing. To replace it, undo that import first.",
        earlier.imported_at.format("%-d %B %Y"),
        earlier.id
    ))
}

/// A line that cannot be placed, and why.
fn refuse(line: usize, reason: String) -> LineError {
    LineError { line, reason }
}

async fn import_feedback(
    db: &DatabaseConnection,
    actor: &Actor,
    file: ImportFile,
    hash: String,
    today: NaiveDate,
) -> AppResult<ImportReport> {
    let Parsed {
        records,
        mut errors,
    } = formats::read_feedback(file.source, &file.content, today)?;
    let rows_read = (records.len() + errors.len()) as u32;

    let register = providers_by_code(
        db,
        codes_of(
            records
                .iter()
                .flat_map(|r| std::iter::once(&r.ods_code).chain(r.parent_code.as_ref())),
        ),
    )
    .await?;
    let vocabulary = themes::all(db).await?;
    let rules = themes::rules(db).await?;
    let crosswalk = Crosswalk::new(&vocabulary, &rules);

    // Where each line's figures go, or why they cannot.
    let mut placed: Vec<(&Record, &Provider, ProviderId)> = Vec::new();
    for record in &records {
        match place(record, &register) {
            Ok((provider, organisation)) => placed.push((record, provider, organisation)),
            Err(reason) => errors.push(refuse(record.line, reason)),
        }
    }

    // A month of a provider's figures from this source comes from one file.
    let covered = covered_months(db, file.area, file.source, &placed).await?;
    let mut kept = Vec::with_capacity(placed.len());
    for (record, provider, organisation) in placed {
        match covered.get(&(provider.id, record.month)) {
            Some(import) => errors.push(refuse(
                record.line,
                format!(
                    "{} for {} in {} are already imported (import {import}): undo that import first to replace them.",
                    capitalised(file.source.label()),
                    record.ods_code.as_str(),
                    record.month.label()
                ),
            )),
            None => kept.push((record, provider, organisation)),
        }
    }
    errors.sort_by_key(|e| e.line);

    let first_month = kept.iter().map(|(r, ..)| r.month).min();
    let last_month = kept.iter().map(|(r, ..)| r.month).max();
    let mut report = ImportReport {
        import: None,
        source: file.source,
        rows_read,
        rows_imported: kept.len() as u32,
        already_known: 0,
        rejected: errors,
        dry_run: file.dry_run,
    };
    if file.dry_run || kept.is_empty() {
        return Ok(report);
    }

    let txn = db.begin().await?;
    let import = insert_import(
        &txn,
        actor,
        &file,
        hash,
        &report,
        first_month.zip(last_month),
    )
    .await?;
    let mut rows = Vec::new();
    for (record, provider, organisation) in kept {
        let service_area = match &record.body {
            domain::Body::Complaints { service_area, .. } => {
                service_area.as_deref().map(|s| RedactedText::redact(s).0)
            }
            _ => None,
        };
        for figure in domain::figures(&record.body, |label| crosswalk.heading_of(label)) {
            rows.push(external_feedback::ActiveModel {
                import_id: Set(import.id.0),
                line: Set(i32::try_from(record.line).unwrap_or(i32::MAX)),
                area_id: Set(file.area.0),
                source: Set(file.source.as_str().to_owned()),
                provider_id: Set(provider.id.0),
                organisation_id: Set(organisation.0),
                month: Set(record.month.first_day()),
                theme_id: Set(figure.theme.map(|t| t.0)),
                service_area: Set(service_area.clone()),
                measure: Set(figure.measure.as_str().to_owned()),
                value: Set(figure.value.to_db()),
                ..Default::default()
            });
        }
    }
    // Bounded batches: SQLite takes at most 32,766 values in one statement.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(1000).collect();
        external_feedback::Entity::insert_many(batch)
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        actor,
        "feedback_import.imported",
        Subject::FeedbackImport(import.id.0),
        json!({
            "source": file.source,
            "rows_imported": report.rows_imported,
            "rows_rejected": report.rejected.len(),
        }),
    )
    .await?;
    txn.commit().await?;
    report.import = Some(import);
    Ok(report)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The provider a line is about and the organisation its figures count under (itself, or the
/// organisation a site belongs to), or why it cannot be placed.
fn place<'a>(
    record: &Record,
    register: &'a HashMap<String, Provider>,
) -> Result<(&'a Provider, ProviderId), String> {
    let code = record.ods_code.as_str();
    let provider = register.get(code).ok_or_else(|| {
        format!(
            "{code} is not in the providers register: import the ODS register with it first (pyramid import ods FILE), or add it."
        )
    })?;
    if let Some(parent_code) = &record.parent_code {
        let parent = register.get(parent_code.as_str());
        let belongs = match (provider.parent_id, parent) {
            (Some(parent_id), Some(parent)) => parent.id == parent_id,
            // The line names an organisation as its own parent, as published files do for a
            // trust's whole-trust line.
            (None, Some(parent)) => parent.id == provider.id,
            (_, None) => false,
        };
        if !belongs {
            return Err(format!(
                "The register does not have {code} under {}: check the parent organisation code, or the register.",
                parent_code.as_str()
            ));
        }
    }
    Ok((provider, provider.parent_id.unwrap_or(provider.id)))
}

/// Each code a file names, once.
fn codes_of<'a>(codes: impl Iterator<Item = &'a OdsCode>) -> Vec<String> {
    codes
        .map(|c| c.as_str().to_owned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect()
}

/// The register's entries for these codes.
async fn providers_by_code(
    conn: &impl ConnectionTrait,
    codes: Vec<String>,
) -> AppResult<HashMap<String, Provider>> {
    let mut found = HashMap::new();
    for chunk in codes.chunks(500) {
        let rows = provider::Entity::find()
            .filter(provider::Column::OdsCode.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?;
        for row in rows {
            let provider = providers::from_model(row)?;
            if let Some(code) = &provider.ods_code {
                found.insert(code.as_str().to_owned(), provider);
            }
        }
    }
    Ok(found)
}

/// The provider-months of this source already imported into the area, with their import.
async fn covered_months(
    conn: &impl ConnectionTrait,
    area: GroupId,
    source: Source,
    placed: &[(&Record, &Provider, ProviderId)],
) -> AppResult<HashMap<(ProviderId, Month), i64>> {
    let ids: Vec<i64> = placed
        .iter()
        .map(|(_, p, _)| p.id.0)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (Some(first), Some(last)) = (
        placed.iter().map(|(r, ..)| r.month).min(),
        placed.iter().map(|(r, ..)| r.month).max(),
    ) else {
        return Ok(HashMap::new());
    };
    let mut covered = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, NaiveDate, i64)> = external_feedback::Entity::find()
            .select_only()
            .column(external_feedback::Column::ProviderId)
            .column(external_feedback::Column::Month)
            .column(external_feedback::Column::ImportId)
            .distinct()
            .filter(external_feedback::Column::AreaId.eq(area.0))
            .filter(external_feedback::Column::Source.eq(source.as_str()))
            .filter(external_feedback::Column::ProviderId.is_in(chunk.iter().copied()))
            .filter(external_feedback::Column::Month.gte(first.first_day()))
            .filter(external_feedback::Column::Month.lte(last.first_day()))
            .into_tuple()
            .all(conn)
            .await?;
        for (provider, month, import) in rows {
            covered.insert((ProviderId(provider), Month::of(month)), import);
        }
    }
    Ok(covered)
}

async fn insert_import(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    file: &ImportFile,
    hash: String,
    report: &ImportReport,
    months: Option<(Month, Month)>,
) -> AppResult<Import> {
    let model = feedback_import::ActiveModel {
        area_id: Set(file.area.0),
        source: Set(file.source.as_str().to_owned()),
        file_name: Set(file_name(&file.file_name)),
        content_hash: Set(hash),
        rows_imported: Set(i32::try_from(report.rows_imported).unwrap_or(i32::MAX)),
        rows_rejected: Set(i32::try_from(report.rejected.len()).unwrap_or(i32::MAX)),
        first_month: Set(months.map(|(first, _)| first.first_day())),
        last_month: Set(months.map(|(_, last)| last.first_day())),
        imported_by: Set(actor.member_id().map(|m| m.0)),
        imported_at: Set(crate::services::now()),
        undone_at: Set(None),
        undone_by: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
    .on_unique_violation(|| {
        AppError::Conflict(
            "This file is being imported already (or was just imported): importing it again would add nothing."
                .to_owned(),
        )
    })?;
    from_model(model)
}

/// The register: each organisation or site not yet in it is added (organisations before
/// their sites); those already in it are left as they are and counted.
async fn import_register(
    db: &DatabaseConnection,
    actor: &Actor,
    file: ImportFile,
    hash: String,
) -> AppResult<ImportReport> {
    let Parsed {
        records: mut entries,
        mut errors,
    } = formats::read_register(&file.content)?;
    let rows_read = (entries.len() + errors.len()) as u32;
    // Organisations first, so a site's parent exists when the site is added.
    entries.sort_by_key(|e| (e.parent_code.is_some(), e.line));

    let register = providers_by_code(
        db,
        codes_of(
            entries
                .iter()
                .flat_map(|e| std::iter::once(&e.ods_code).chain(e.parent_code.as_ref())),
        ),
    )
    .await?;
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let mut taken_names: HashSet<String> = HashSet::new();
    for chunk in names.chunks(500) {
        let rows = provider::Entity::find()
            .filter(provider::Column::Name.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        taken_names.extend(rows.into_iter().map(|p| p.name));
    }

    let mut already_known = 0;
    // What will be added, in order; a site's parent is a code already in the register or
    // added before it.
    let mut to_add: Vec<&domain::RegisterEntry> = Vec::new();
    let mut adding: HashSet<&str> = HashSet::new();
    for entry in &entries {
        let code = entry.ods_code.as_str();
        if register.contains_key(code) {
            already_known += 1;
            continue;
        }
        if let Some(parent) = &entry.parent_code {
            let known = match register.get(parent.as_str()) {
                Some(parent) => {
                    check_provider_parent(ProviderKind::Service, Some(parent)).map_err(|_| {
                        format!(
                            "{} is itself a site or service: a site sits under an organisation.",
                            parent.ods_code.as_ref().map_or("", OdsCode::as_str)
                        )
                    })
                }
                None if adding.contains(parent.as_str()) => Ok(()),
                None => Err(format!(
                    "Its parent {} is neither in the register nor in this file.",
                    parent.as_str()
                )),
            };
            if let Err(reason) = known {
                errors.push(refuse(entry.line, reason));
                continue;
            }
        }
        if !taken_names.insert(entry.name.clone()) {
            errors.push(refuse(
                entry.line,
                format!(
                    "Another provider is already named '{}' (provider names are unique): give that one its ODS code {code}, or rename one.",
                    entry.name
                ),
            ));
            continue;
        }
        adding.insert(code);
        to_add.push(entry);
    }
    errors.sort_by_key(|e| e.line);
    let mut report = ImportReport {
        import: None,
        source: Source::OdsRegister,
        rows_read,
        rows_imported: to_add.len() as u32,
        already_known,
        rejected: errors,
        dry_run: file.dry_run,
    };
    if file.dry_run || to_add.is_empty() {
        return Ok(report);
    }

    let txn = db.begin().await?;
    let import = insert_import(&txn, actor, &file, hash, &report, None).await?;
    let mut ids: HashMap<String, i64> = register
        .iter()
        .map(|(code, p)| (code.clone(), p.id.0))
        .collect();
    let now = crate::services::now();
    for entry in to_add {
        let parent_id = entry
            .parent_code
            .as_ref()
            .and_then(|code| ids.get(code.as_str()).copied());
        let added = provider::ActiveModel {
            name: Set(entry.name.clone()),
            kind: Set(entry.kind.as_str().to_owned()),
            ods_code: Set(Some(entry.ods_code.as_str().to_owned())),
            parent_id: Set(parent_id),
            created_at: Set(now),
            import_id: Set(Some(import.id.0)),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .on_unique_violation(|| {
            AppError::Conflict(format!(
                "{} was added to the register while this file was being imported: import the file again.",
                entry.ods_code.as_str()
            ))
        })?;
        ids.insert(entry.ods_code.as_str().to_owned(), added.id);
    }
    audit::record(
        &txn,
        actor,
        "feedback_import.imported",
        Subject::FeedbackImport(import.id.0),
        json!({
            "source": Source::OdsRegister,
            "providers_added": report.rows_imported,
            "already_known": already_known,
            "rows_rejected": report.rejected.len(),
        }),
    )
    .await?;
    txn.commit().await?;
    report.import = Some(import);
    Ok(report)
}
