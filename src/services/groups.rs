//! Setting up the pyramid and looking at it: creating and changing groups, listing them,
//! following a group to its parent, children and ancestors. The structure is public.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde_json::json;

use super::audit::{self, Subject};
use crate::domain::GroupId;
use crate::domain::authz::{self, Actor};
use crate::domain::group::{self, Group, GroupKind, GroupName, PracticeCode};
use crate::domain::page::{Page, PageRequest};
use crate::entities::group as db;
use crate::error::{AppError, AppResult, OnConstraint};

pub struct NewGroup {
    pub kind: GroupKind,
    pub name: String,
    pub parent_id: Option<GroupId>,
    pub practice_code: Option<String>,
}

/// A change to a group; `None` leaves a field as it is. A group's kind never changes.
#[derive(Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub parent_id: Option<GroupId>,
    pub practice_code: Option<String>,
}

#[derive(Default, Clone, Copy)]
pub struct GroupFilter {
    pub kind: Option<GroupKind>,
    pub parent_id: Option<GroupId>,
}

pub(crate) fn from_model(model: db::Model) -> AppResult<Group> {
    let kind = GroupKind::from_db(&model.kind)
        .ok_or_else(|| super::corrupt("groups", model.id, "kind"))?;
    let name =
        GroupName::parse(&model.name).map_err(|_| super::corrupt("groups", model.id, "name"))?;
    let practice_code = model
        .practice_code
        .as_deref()
        .map(PracticeCode::parse)
        .transpose()
        .map_err(|_| super::corrupt("groups", model.id, "practice code"))?;
    let area_id = model
        .area_id
        .ok_or_else(|| super::corrupt("groups", model.id, "area"))?;
    Ok(Group {
        id: GroupId(model.id),
        kind,
        name,
        parent_id: model.parent_id.map(GroupId),
        practice_code,
        area_id: GroupId(area_id),
    })
}

fn duplicate_practice_code(code: Option<&PracticeCode>) -> AppError {
    let code = code.map(PracticeCode::as_str).unwrap_or("with this code");
    AppError::bad_input(
        "practiceCode",
        format!("Practice {code} already has a PPG in Pyramid: each practice has one."),
    )
}

/// Loads a group or says it does not exist.
pub async fn get(conn: &impl ConnectionTrait, id: GroupId) -> AppResult<Group> {
    db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .map(from_model)
        .transpose()?
        .ok_or_else(|| AppError::not_found("group"))
}

/// Loads many groups at once (for batched look-ups of parents).
/// The council an `areaId` names, or the field error saying it names none.
pub async fn area(conn: &impl ConnectionTrait, id: GroupId) -> AppResult<Group> {
    let council = get(conn, id)
        .await
        .map_err(|_| AppError::bad_input("areaId", "There is no area with that id."))?;
    if council.kind != GroupKind::Council {
        return Err(AppError::bad_input(
            "areaId",
            "An area is named by its Patients' Council.",
        ));
    }
    Ok(council)
}

/// Changes some of an area's settings (its pattern rule, its response clock), keeping the
/// others as they are; an area without settings of its own starts from the defaults.
pub(crate) async fn change_area_settings(
    conn: &impl ConnectionTrait,
    area: GroupId,
    change: impl FnOnce(&mut crate::entities::area_setting::Model),
) -> AppResult<()> {
    use crate::entities::area_setting;
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let current = area_setting::Entity::find_by_id(area.0).one(conn).await?;
    let rule = crate::domain::pattern::PatternRule::default();
    let mut settings = current.clone().unwrap_or(area_setting::Model {
        area_id: area.0,
        pattern_min_ppgs: rule.min_ppgs as i32,
        pattern_window_days: rule.window.num_days() as i32,
        response_working_days: crate::domain::clock::DEFAULT_WORKING_DAYS,
        updated_at: crate::services::now(),
    });
    change(&mut settings);
    settings.updated_at = crate::services::now();
    let mut row = settings.into_active_model();
    if current.is_some() {
        row.reset_all().update(conn).await?;
    } else {
        row = row.reset_all();
        row.insert(conn).await?;
    }
    Ok(())
}

pub async fn get_many(
    conn: &impl ConnectionTrait,
    ids: &[GroupId],
) -> AppResult<HashMap<GroupId, Group>> {
    let models = db::Entity::find()
        .filter(db::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(conn)
        .await?;
    models
        .into_iter()
        .map(|m| from_model(m).map(|g| (g.id, g)))
        .collect()
}

pub async fn list(
    conn: &impl ConnectionTrait,
    filter: GroupFilter,
    page: PageRequest,
) -> AppResult<Page<Group>> {
    let mut query = db::Entity::find();
    if let Some(kind) = filter.kind {
        query = query.filter(db::Column::Kind.eq(kind.as_str()));
    }
    if let Some(parent) = filter.parent_id {
        query = query.filter(db::Column::ParentId.eq(parent.0));
    }
    let rows = super::keyset_page(query, db::Column::Id, page)
        .all(conn)
        .await?;
    let groups = rows.into_iter().map(from_model).collect::<AppResult<_>>()?;
    Ok(Page::from_overfetch(groups, page))
}

/// The groups above this one, nearest first (a PPG's district, then the council).
pub async fn ancestors(conn: &impl ConnectionTrait, id: GroupId) -> AppResult<Vec<Group>> {
    let mut ancestors = Vec::new();
    let mut next = get(conn, id).await?.parent_id;
    while let Some(parent_id) = next {
        let parent = get(conn, parent_id).await?;
        next = parent.parent_id;
        ancestors.push(parent);
        // The kinds' parent rule keeps the pyramid three tiers high; stop rather than loop
        // forever if the stored data were ever changed behind Pyramid's back.
        if ancestors.len() > GroupKind::ALL.len() {
            return Err(super::corrupt("groups", id.0, "parent chain"));
        }
    }
    Ok(ancestors)
}

/// The group's id followed by its ancestors' ids: what authorisation rules look along.
pub async fn path(conn: &impl ConnectionTrait, id: GroupId) -> AppResult<Vec<GroupId>> {
    let mut path = vec![id];
    path.extend(ancestors(conn, id).await?.into_iter().map(|g| g.id));
    Ok(path)
}

async fn parent_of(
    conn: &impl ConnectionTrait,
    parent_id: Option<GroupId>,
) -> AppResult<Option<Group>> {
    match parent_id {
        None => Ok(None),
        Some(id) => match get(conn, id).await {
            Ok(parent) => Ok(Some(parent)),
            Err(AppError::NotFound(_)) => Err(AppError::bad_input(
                "parentId",
                "The parent group does not exist.",
            )),
            Err(e) => Err(e),
        },
    }
}

#[tracing::instrument(skip_all, fields(member = ?actor.member_id()))]
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewGroup) -> AppResult<Group> {
    authz::may_see_people(actor)?;
    let name = GroupName::parse(&input.name)?;
    let practice_code = input
        .practice_code
        .as_deref()
        .map(PracticeCode::parse)
        .transpose()?;
    let txn = db.begin().await?;
    let parent = parent_of(&txn, input.parent_id).await?;
    group::check_group(
        input.kind,
        parent.as_ref().map(|p| p.kind),
        practice_code.as_ref(),
    )?;
    // A council is a new area; anything else joins its parent's.
    authz::may_manage_structure(actor, parent.as_ref().map(|p| p.area_id))?;
    let now = super::now();
    let mut model = db::ActiveModel {
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(name.as_str().to_owned()),
        parent_id: Set(input.parent_id.map(|p| p.0)),
        practice_code: Set(practice_code.as_ref().map(|c| c.as_str().to_owned())),
        area_id: Set(parent.as_ref().map(|p| p.area_id.0)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .on_unique_violation(|| duplicate_practice_code(practice_code.as_ref()))?;
    if model.area_id.is_none() {
        let own = model.id;
        let mut council: db::ActiveModel = model.into();
        council.area_id = Set(Some(own));
        model = council.update(&txn).await?;
    }
    audit::record(
        &txn,
        actor,
        "group.created",
        Subject::Group(model.id),
        json!({ "kind": model.kind, "name": model.name, "parent_id": model.parent_id, "practice_code": model.practice_code }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

#[tracing::instrument(skip_all, fields(group = %id, member = ?actor.member_id()))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: GroupId,
    changes: GroupChanges,
) -> AppResult<Group> {
    authz::may_see_people(actor)?;
    let name = changes.name.as_deref().map(GroupName::parse).transpose()?;
    let practice_code = changes
        .practice_code
        .as_deref()
        .map(PracticeCode::parse)
        .transpose()?;
    let txn = db.begin().await?;
    let current = get(&txn, id).await?;
    authz::may_manage_structure(actor, Some(current.area_id))?;
    let parent_id = changes.parent_id.or(current.parent_id);
    let parent = parent_of(&txn, parent_id).await?;
    if parent
        .as_ref()
        .is_some_and(|p| p.area_id != current.area_id)
    {
        return Err(AppError::bad_input(
            "parentId",
            "A group cannot move to another area: its items belong to this one.",
        ));
    }
    group::check_group(
        current.kind,
        parent.as_ref().map(|p| p.kind),
        practice_code.as_ref().or(current.practice_code.as_ref()),
    )?;
    let mut model: db::ActiveModel = db::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("group"))?
        .into();
    if let Some(name) = &name {
        model.name = Set(name.as_str().to_owned());
    }
    model.parent_id = Set(parent_id.map(|p| p.0));
    if let Some(code) = &practice_code {
        model.practice_code = Set(Some(code.as_str().to_owned()));
    }
    model.updated_at = Set(super::now());
    let model = model
        .update(&txn)
        .await
        .on_unique_violation(|| duplicate_practice_code(practice_code.as_ref()))?;
    audit::record(
        &txn,
        actor,
        "group.updated",
        Subject::Group(model.id),
        json!({ "name": model.name, "parent_id": model.parent_id, "practice_code": model.practice_code }),
    )
    .await?;
    txn.commit().await?;
    from_model(model)
}

/// Every group below this one (children and their children).
pub async fn descendants(conn: &impl ConnectionTrait, id: GroupId) -> AppResult<Vec<GroupId>> {
    let mut found = Vec::new();
    let mut frontier = vec![id.0];
    // The pyramid is three tiers high: at most two levels below any group.
    for _ in 0..2 {
        if frontier.is_empty() {
            break;
        }
        let children: Vec<i64> = db::Entity::find()
            .filter(db::Column::ParentId.is_in(frontier))
            .all(conn)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect();
        found.extend(children.iter().map(|c| GroupId(*c)));
        frontier = children;
    }
    Ok(found)
}

/// Finds a group by its practice code or its exact name (for people typing in chat).
pub async fn find(conn: &impl ConnectionTrait, text: &str) -> AppResult<Group> {
    let text = text.trim();
    let by_code = match PracticeCode::parse(text) {
        Ok(code) => {
            db::Entity::find()
                .filter(db::Column::PracticeCode.eq(code.as_str()))
                .one(conn)
                .await?
        }
        Err(_) => None,
    };
    let found = match by_code {
        Some(group) => Some(group),
        None => {
            db::Entity::find()
                .filter(db::Column::Name.eq(text))
                .one(conn)
                .await?
        }
    };
    found.map(from_model).transpose()?.ok_or_else(|| {
        AppError::bad_input(
            "group",
            format!("There is no group called '{text}': use its exact name or its practice code."),
        )
    })
}
