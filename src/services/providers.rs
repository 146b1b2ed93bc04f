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
