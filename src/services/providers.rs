//! The register of providers (organisations and their services) that items are about.
//! The register is public information; administrators keep it.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Subject};
use crate::domain::ProviderId;
use crate::domain::authz::{self, Actor};
use crate::domain::page::{Page, PageRequest};
use crate::domain::provider::{self, OdsCode, Provider, ProviderKind, ProviderName};
use crate::entities::provider as db;
use crate::error::{AppError, AppResult, OnConstraint};

pub struct NewProvider {
    pub name: String,
    pub kind: ProviderKind,
    pub ods_code: Option<String>,
    pub parent_id: Option<ProviderId>,
}

#[derive(Default)]
pub struct ProviderChanges {
    pub name: Option<String>,
    pub ods_code: Option<String>,
}

pub(crate) fn from_model(model: db::Model) -> AppResult<Provider> {
    let corrupt = |what| super::corrupt("providers", model.id, what);
    Ok(Provider {
        id: ProviderId(model.id),
        name: ProviderName::parse(&model.name).map_err(|_| corrupt("name"))?,
        kind: ProviderKind::from_db(&model.kind).ok_or_else(|| corrupt("kind"))?,
        ods_code: model
            .ods_code
            .as_deref()
            .map(OdsCode::parse)
            .transpose()
            .map_err(|_| corrupt("ODS code"))?,
        parent_id: model.parent_id.map(ProviderId),
    })
}

fn duplicate() -> AppError {
    AppError::bad_input(
        "name",
        "A provider with this name or ODS code is already in the register.",
    )
}

pub async fn get_many(
    conn: &impl ConnectionTrait,
    ids: &[ProviderId],
) -> AppResult<HashMap<ProviderId, Provider>> {
    db::Entity::find()
        .filter(db::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| from_model(m).map(|p| (p.id, p)))
        .collect()
}

pub async fn get(conn: &impl ConnectionTrait, id: ProviderId) -> AppResult<Provider> {
    get_many(conn, &[id])
        .await?
        .remove(&id)
        .ok_or_else(|| AppError::not_found("provider"))
}

/// Lists providers: the organisations (no parent), or the services of one organisation.
pub async fn list(
    conn: &impl ConnectionTrait,
    parent: Option<ProviderId>,
    page: PageRequest,
) -> AppResult<Page<Provider>> {
    let query = match parent {
        Some(parent) => db::Entity::find().filter(db::Column::ParentId.eq(parent.0)),
        None => db::Entity::find().filter(db::Column::ParentId.is_null()),
    };
    let rows = super::keyset_page(query, db::Column::Id, page)
        .all(conn)
        .await?;
    let providers = rows.into_iter().map(from_model).collect::<AppResult<_>>()?;
    Ok(Page::from_overfetch(providers, page))
}

#[tracing::instrument(skip_all, fields(member = ?actor.member_id()))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewProvider,
) -> AppResult<Provider> {
    authz::may_manage_providers(actor)?;
    let name = ProviderName::parse(&input.name)?;
    let ods_code = input.ods_code.as_deref().map(OdsCode::parse).transpose()?;
    let txn = db.begin().await?;
    let parent =
        match input.parent_id {
            Some(id) => Some(get(&txn, id).await.map_err(|_| {
                AppError::bad_input("parentId", "There is no provider with that id.")
            })?),
            None => None,
        };
    provider::check_provider_parent(input.kind, parent.as_ref())?;
    let model = db::ActiveModel {
        name: Set(name.as_str().to_owned()),
        kind: Set(input.kind.as_str().to_owned()),
        ods_code: Set(ods_code.as_ref().map(|c| c.as_str().to_owned())),
        parent_id: Set(input.parent_id.map(|p| p.0)),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique_violation(duplicate)?;
    audit::record(
        &txn,
        actor,
        "provider.created",
        Subject::Provider(model.id),
        json!({ "name": model.name, "kind": model.kind, "ods_code": model.ods_code, "parent_id": model.parent_id }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

#[tracing::instrument(skip_all, fields(provider = %id, member = ?actor.member_id()))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ProviderId,
    changes: ProviderChanges,
) -> AppResult<Provider> {
    authz::may_manage_providers(actor)?;
    let name = changes
        .name
        .as_deref()
        .map(ProviderName::parse)
        .transpose()?;
    let ods_code = changes
        .ods_code
        .as_deref()
        .map(OdsCode::parse)
        .transpose()?;
    let txn = db.begin().await?;
    let mut model: db::ActiveModel = db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("provider"))?
        .into();
    if let Some(name) = name {
        model.name = Set(name.as_str().to_owned());
    }
    if let Some(code) = ods_code {
        model.ods_code = Set(Some(code.as_str().to_owned()));
    }
    let model = model.update(&txn).await.on_unique_violation(duplicate)?;
    audit::record(
        &txn,
        actor,
        "provider.updated",
        Subject::Provider(model.id),
        json!({ "name": model.name, "ods_code": model.ods_code }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

/// Register entries whose name contains `text` or whose ODS code starts with it, shortest
/// name first: what raising a report offers as the member types a provider.
pub async fn search(
    conn: &impl ConnectionTrait,
    text: &str,
    limit: u64,
) -> AppResult<Vec<Provider>> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    use sea_orm::{QueryOrder, QuerySelect};
    let needle = text.trim().to_lowercase();
    if needle.is_empty() {
        return Ok(Vec::new());
    }
    let escaped: String = needle
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let rows =
        db::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(Expr::expr(Func::lower(Expr::col(db::Column::Name))).like(
                        sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\'),
                    ))
                    .add(
                        Expr::expr(Func::lower(Expr::col(db::Column::OdsCode))).like(
                            sea_orm::sea_query::LikeExpr::new(format!("{escaped}%")).escape('\\'),
                        ),
                    ),
            )
            .order_by_asc(Expr::expr(Func::char_length(Expr::col(db::Column::Name))))
            .order_by_asc(db::Column::Id)
            .limit(limit)
            .all(conn)
            .await?;
    rows.into_iter().map(from_model).collect()
}

/// The register entry a typed provider name stands for: the one with that name or ODS code
/// (any case), or the only one whose name contains it.
pub async fn match_name(conn: &impl ConnectionTrait, typed: &str) -> AppResult<Option<Provider>> {
    let typed = typed.trim().to_lowercase();
    if typed.chars().count() < 3 {
        return Ok(None);
    }
    let found = search(conn, &typed, 20).await?;
    if let Some(exact) = found.iter().find(|p| {
        p.name.as_str().to_lowercase() == typed
            || p.ods_code
                .as_ref()
                .is_some_and(|c| c.as_str().to_lowercase() == typed)
    }) {
        return Ok(Some(exact.clone()));
    }
    let containing: Vec<&Provider> = found
        .iter()
        .filter(|p| p.name.as_str().to_lowercase().contains(&typed))
        .collect();
    Ok(match containing.as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    })
}

/// The register entry a report's text names, when it names exactly one (its full name, as
/// whole words, or its ODS code).
pub async fn match_text(conn: &impl ConnectionTrait, text: &str) -> AppResult<Option<Provider>> {
    use sea_orm::sea_query::Expr;
    let lower = text.to_lowercase();
    // Placeholders are spelt differently by each database.
    let p = match conn.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    let rows = db::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(Expr::cust_with_values(
                    format!("{p} LIKE '%' || LOWER(name) || '%'"),
                    [lower.clone()],
                ))
                .add(Expr::cust_with_values(
                    format!("ods_code IS NOT NULL AND {p} LIKE '%' || LOWER(ods_code) || '%'"),
                    [lower.clone()],
                )),
        )
        .all(conn)
        .await?;
    let mut named: Vec<Provider> = Vec::new();
    for row in rows {
        let provider = from_model(row)?;
        let by_name =
            crate::domain::theme::contains_words(&lower, &provider.name.as_str().to_lowercase());
        let by_code = provider.ods_code.as_ref().is_some_and(|c| {
            crate::domain::theme::contains_words(&lower, &c.as_str().to_lowercase())
        });
        if by_name || by_code {
            named.push(provider);
        }
    }
    // A service's name usually contains its organisation's: prefer the most specific.
    named.sort_by_key(|p| std::cmp::Reverse(p.name.as_str().len()));
    let specific: Vec<&Provider> = named
        .iter()
        .filter(|p| {
            !named.iter().any(|other| {
                other.id != p.id
                    && other.name.as_str().len() > p.name.as_str().len()
                    && other
                        .name
                        .as_str()
                        .to_lowercase()
                        .contains(&p.name.as_str().to_lowercase())
            })
        })
        .collect();
    Ok(match specific.as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    })
}
