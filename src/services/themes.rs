//! The theme vocabulary and its keyword rules: reading them, extending them (administrators),
//! and suggesting themes for a report's text.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Subject};
use crate::domain::authz::{self, Actor};
use crate::domain::theme::{self, CqcKeyQuestion, Rule, Theme};
use crate::domain::{RuleId, ThemeId};
use crate::entities::{theme as db, theme_rule as rule_db};
use crate::error::{AppError, AppResult, OnConstraint};

fn from_model(model: db::Model) -> AppResult<Theme> {
    let cqc = model
        .cqc_key_question
        .as_deref()
        .map(|q| {
            CqcKeyQuestion::from_db(q)
                .ok_or_else(|| super::corrupt("themes", model.id, "CQC key question"))
        })
        .transpose()?;
    Ok(Theme {
        id: ThemeId(model.id),
        parent_id: model.parent_id.map(ThemeId),
        slug: model.slug,
        name: model.name,
        ko41_subject: model.ko41_subject,
        cqc_key_question: cqc,
    })
}

fn rule_from_model(model: rule_db::Model) -> Rule {
    Rule {
        id: RuleId(model.id),
        theme_id: ThemeId(model.theme_id),
        phrase: model.phrase,
    }
}

/// The whole vocabulary, headings first then each heading's subheadings, in the order they
/// were added. (It is small: a few dozen themes.)
pub async fn all(conn: &impl ConnectionTrait) -> AppResult<Vec<Theme>> {
    db::Entity::find()
        .order_by_asc(db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// Themes by id.
pub async fn get_many(
    conn: &impl ConnectionTrait,
    ids: &[ThemeId],
) -> AppResult<HashMap<ThemeId, Theme>> {
    db::Entity::find()
        .filter(db::Column::Id.is_in(ids.iter().map(|t| t.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| from_model(m).map(|t| (t.id, t)))
        .collect()
}

pub async fn get(conn: &impl ConnectionTrait, id: ThemeId) -> AppResult<Theme> {
    get_many(conn, &[id])
        .await?
        .remove(&id)
        .ok_or_else(|| AppError::not_found("theme"))
}

/// A theme by its short machine name ("urgent-out-of-hours").
pub async fn by_slug(conn: &impl ConnectionTrait, slug: &str) -> AppResult<Option<Theme>> {
    db::Entity::find()
        .filter(db::Column::Slug.eq(slug))
        .one(conn)
        .await?
        .map(from_model)
        .transpose()
}

/// Every keyword rule, in the order they were added (the first to fire names a suggestion).
pub async fn rules(conn: &impl ConnectionTrait) -> AppResult<Vec<Rule>> {
    Ok(rule_db::Entity::find()
        .order_by_asc(rule_db::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(rule_from_model)
        .collect())
}

/// The rules of some themes.
pub async fn rules_of(
    conn: &impl ConnectionTrait,
    themes: &[ThemeId],
) -> AppResult<HashMap<ThemeId, Vec<Rule>>> {
    let mut found: HashMap<ThemeId, Vec<Rule>> = HashMap::new();
    for rule in rule_db::Entity::find()
        .filter(rule_db::Column::ThemeId.is_in(themes.iter().map(|t| t.0)))
        .order_by_asc(rule_db::Column::Id)
        .all(conn)
        .await?
    {
        let rule = rule_from_model(rule);
        found.entry(rule.theme_id).or_default().push(rule);
    }
    Ok(found)
}

/// Rules by id (to show which rule suggested a theme).
pub async fn rules_by_id(
    conn: &impl ConnectionTrait,
    ids: &[RuleId],
) -> AppResult<HashMap<RuleId, Rule>> {
    Ok(rule_db::Entity::find()
        .filter(rule_db::Column::Id.is_in(ids.iter().map(|r| r.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            let rule = rule_from_model(m);
            (rule.id, rule)
        })
        .collect())
}

/// The themes the rules suggest for a text, with the rule that fired for each.
pub async fn suggest(conn: &impl ConnectionTrait, text: &str) -> AppResult<Vec<(ThemeId, RuleId)>> {
    Ok(theme::suggest(&rules(conn).await?, text))
}

/// What an administrator adds to the vocabulary.
pub struct NewTheme {
    pub name: String,
    /// The heading it goes under; a new heading when `None`.
    pub parent_id: Option<ThemeId>,
    pub ko41_subject: Option<String>,
    pub cqc_key_question: Option<CqcKeyQuestion>,
}

/// Adds a theme to the vocabulary (the vocabulary is shared by every area, like the
/// providers register, so any area's administrators keep it).
#[tracing::instrument(skip_all, fields(member = ?actor.member_id()))]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewTheme) -> AppResult<Theme> {
    authz::may_manage_providers(actor).map_err(|_| {
        AppError::Forbidden("Only an area's administrator can add to the themes.".to_owned())
    })?;
    let name = theme::parse_theme_name(&input.name)?;
    let ko41 = input
        .ko41_subject
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(theme::parse_theme_name)
        .transpose()?;
    let txn = db.begin().await?;
    if let Some(parent) = input.parent_id {
        let parent = get(&txn, parent)
            .await
            .map_err(|_| AppError::bad_input("parentId", "There is no theme with that id."))?;
        if parent.parent_id.is_some() {
            return Err(AppError::bad_input(
                "parentId",
                "Themes have two levels: put a subheading under a heading.",
            ));
        }
    }
    let model = db::ActiveModel {
        parent_id: Set(input.parent_id.map(|p| p.0)),
        slug: Set(theme::slug(&name)),
        name: Set(name),
        ko41_subject: Set(ko41),
        cqc_key_question: Set(input.cqc_key_question.map(|q| q.as_str().to_owned())),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique_violation(|| {
        AppError::bad_input("name", "There is a theme with that name already.")
    })?;
    audit::record(
        &txn,
        actor,
        "theme.created",
        Subject::Theme(model.id),
        json!({ "name": model.name, "parent_id": model.parent_id }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

/// Adds a keyword rule to a theme.
#[tracing::instrument(skip_all, fields(theme = %theme, member = ?actor.member_id()))]
pub async fn add_rule(
    db: &DatabaseConnection,
    actor: &Actor,
    theme: ThemeId,
    phrase: &str,
) -> AppResult<Rule> {
    authz::may_manage_providers(actor).map_err(|_| {
        AppError::Forbidden("Only an area's administrator can change the theme rules.".to_owned())
    })?;
    let phrase = theme::parse_phrase(phrase)?;
    let txn = db.begin().await?;
    get(&txn, theme)
        .await
        .map_err(|_| AppError::bad_input("themeId", "There is no theme with that id."))?;
    let model = rule_db::ActiveModel {
        theme_id: Set(theme.0),
        phrase: Set(phrase),
        created_by: Set(actor.member_id().map(|m| m.0)),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique_violation(|| AppError::Conflict("This theme already has that rule.".to_owned()))?;
    audit::record(
        &txn,
        actor,
        "theme.rule_added",
        Subject::Theme(theme.0),
        json!({ "rule_id": model.id, "phrase": model.phrase }),
    )
    .await?;
    txn.commit().await?;
    Ok(rule_from_model(model))
}

/// Removes a keyword rule (the themes it suggested stay on their items).
#[tracing::instrument(skip_all, fields(rule = %rule, member = ?actor.member_id()))]
pub async fn remove_rule(db: &DatabaseConnection, actor: &Actor, rule: RuleId) -> AppResult<()> {
    authz::may_manage_providers(actor).map_err(|_| {
        AppError::Forbidden("Only an area's administrator can change the theme rules.".to_owned())
    })?;
    let txn = db.begin().await?;
    let model = rule_db::Entity::find_by_id(rule.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("theme rule"))?;
    rule_db::Entity::delete_by_id(rule.0).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        "theme.rule_removed",
        Subject::Theme(model.theme_id),
        json!({ "rule_id": model.id, "phrase": model.phrase }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
