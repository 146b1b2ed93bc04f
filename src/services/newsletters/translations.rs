//! Human translations of a newsletter (Welsh, Polish, Urdu, Bengali, Punjabi, Gujarati,
//! Arabic): the issuing group's officers add or replace one language's title, introduction
//! and entries, while it is a draft or after it is published (translations often arrive after
//! the English is out; the English itself stays frozen). Every text is redacted like any
//! other, though the redactor is written for English: it still finds NHS numbers, phone
//! numbers, e-mail addresses, postcodes and dates, but a name after a Welsh or Urdu honorific
//! is not recognised, so a translator must leave names out as the English does.

use std::collections::HashSet;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::json;

use super::{check_officer, get};
use crate::domain::authz::Actor;
use crate::domain::language::Language;
use crate::domain::newsletter::{EntryTranslation, Translation};
use crate::domain::text::{self, RedactedText, parse_redacted};
use crate::domain::{NewsletterEntryId, NewsletterId};
use crate::entities::{
    newsletter_entry as entry_db, newsletter_entry_translation as entry_tr_db,
    newsletter_translation as db,
};
use crate::error::{AppError, AppResult};
use crate::services::audit;

/// One entry's translation as typed.
#[derive(Debug, Clone)]
pub struct EntryText {
    pub entry_id: NewsletterEntryId,
    pub heading: String,
    pub body: String,
}

/// Reads a language code as given (`cy`, `ur`): one Pyramid knows, and not English.
pub fn parse_language(code: &str) -> AppResult<Language> {
    match Language::parse(code) {
        Some(Language::English) => Err(AppError::BadUserInput {
            field: "language".to_owned(),
            message: "English is the newsletter itself: choose the language of the translation."
                .to_owned(),
        }),
        Some(language) => Ok(language),
        None => Err(AppError::BadUserInput {
            field: "language".to_owned(),
            message: format!(
                "Pyramid does not know the language '{}'. Use one of: {}.",
                code.chars().take(20).collect::<String>(),
                Language::ALL
                    .iter()
                    .filter(|l| **l != Language::English)
                    .map(|l| format!("{} ({})", l.as_str(), l.english_name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// Adds a translation, or replaces the one in that language (entries left out are shown in
/// English).
#[tracing::instrument(skip_all, fields(newsletter = %id, language = language.as_str(), member = ?actor.member_id()))]
pub async fn set_translation(
    db: &DatabaseConnection,
    actor: &Actor,
    id: NewsletterId,
    language: Language,
    title: &str,
    introduction: &str,
    entries: &[EntryText],
) -> AppResult<Translation> {
    let txn = db.begin().await?;
    let newsletter = get(&txn, actor, id).await?;
    check_officer(actor, newsletter.group_id)?;
    let own: HashSet<NewsletterEntryId> = newsletter.entries.iter().filter_map(|e| e.id).collect();
    let mut removed = Vec::new();
    let title = parse_redacted("title", "The title", title, text::TITLE, &mut removed)?;
    let introduction = if introduction.trim().is_empty() {
        RedactedText::default()
    } else {
        parse_redacted(
            "introduction",
            "The introduction",
            introduction,
            text::NOTE,
            &mut removed,
        )?
    };
    let mut translated = Vec::new();
    let mut seen = HashSet::new();
    for entry in entries {
        if !own.contains(&entry.entry_id) || !seen.insert(entry.entry_id) {
            return Err(AppError::BadUserInput {
                field: "entries".to_owned(),
                message: "Each entry translated must be an entry of this newsletter, once."
                    .to_owned(),
            });
        }
        translated.push(EntryTranslation {
            entry_id: entry.entry_id,
            heading: parse_redacted(
                "heading",
                "An entry's heading",
                &entry.heading,
                text::HEADING,
                &mut removed,
            )?,
            body: parse_redacted(
                "body",
                "An entry's text",
                &entry.body,
                text::NOTE,
                &mut removed,
            )?,
        });
    }
    let now = crate::services::now();
    db::Entity::delete_many()
        .filter(db::Column::NewsletterId.eq(id.0))
        .filter(db::Column::Language.eq(language.as_str()))
        .exec(&txn)
        .await?;
    if !own.is_empty() {
        entry_tr_db::Entity::delete_many()
            .filter(entry_tr_db::Column::EntryId.is_in(own.iter().map(|e| e.0)))
            .filter(entry_tr_db::Column::Language.eq(language.as_str()))
            .exec(&txn)
            .await?;
    }
    db::Entity::insert(db::ActiveModel {
        newsletter_id: Set(id.0),
        language: Set(language.as_str().to_owned()),
        title: Set(title.clone()),
        introduction: Set(introduction.clone()),
        updated_by: Set(actor.member_id().map(|m| m.0)),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    if !translated.is_empty() {
        entry_tr_db::Entity::insert_many(translated.iter().map(|t| entry_tr_db::ActiveModel {
            entry_id: Set(t.entry_id.0),
            language: Set(language.as_str().to_owned()),
            heading: Set(t.heading.clone()),
            body: Set(t.body.clone()),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record(
        &txn,
        actor,
        "newsletter.translated",
        audit::Subject::Newsletter(id.0),
        json!({ "language": language.as_str(), "entries": translated.len(), "redacted": removed.len() }),
    )
    .await?;
    txn.commit().await?;
    Ok(Translation {
        language,
        title,
        introduction,
        entries: translated,
    })
}

/// The languages a newsletter is translated into, in Pyramid's order of languages.
pub async fn languages(conn: &impl ConnectionTrait, id: NewsletterId) -> AppResult<Vec<Language>> {
    let rows = db::Entity::find()
        .filter(db::Column::NewsletterId.eq(id.0))
        .all(conn)
        .await?;
    let mut languages = rows
        .iter()
        .map(|r| {
            Language::from_db(&r.language).ok_or_else(|| {
                crate::services::corrupt("newsletter_translations", id.0, "language")
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    languages.sort();
    Ok(languages)
}

/// A newsletter's translation into one language, if there is one. The caller has already
/// checked that they may see the newsletter.
pub async fn translation(
    conn: &impl ConnectionTrait,
    id: NewsletterId,
    language: Language,
) -> AppResult<Option<Translation>> {
    let Some(row) = db::Entity::find_by_id((id.0, language.as_str().to_owned()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let entry_ids: Vec<i64> = entry_db::Entity::find()
        .filter(entry_db::Column::NewsletterId.eq(id.0))
        .all(conn)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    let entries = if entry_ids.is_empty() {
        Vec::new()
    } else {
        entry_tr_db::Entity::find()
            .filter(entry_tr_db::Column::EntryId.is_in(entry_ids))
            .filter(entry_tr_db::Column::Language.eq(language.as_str()))
            .order_by_asc(entry_tr_db::Column::EntryId)
            .all(conn)
            .await?
            .into_iter()
            .map(|e| EntryTranslation {
                entry_id: NewsletterEntryId(e.entry_id),
                heading: e.heading,
                body: e.body,
            })
            .collect()
    };
    Ok(Some(Translation {
        language,
        title: row.title,
        introduction: row.introduction,
        entries,
    }))
}
