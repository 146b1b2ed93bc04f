//! Published reports, kept as they were published: storing one (each kind's service decides
//! who may publish it and renders it) and reading one back. `monthly`: the monthly
//! patient-experience report. A published report is public,
//! like a published newsletter: it is what the area chose to tell everyone.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

pub mod monthly;

use super::audit::{self, Subject};
use super::outbox::{self, Destination, Message};
use crate::domain::authz::Actor;
use crate::domain::report::{Rendered, Report, ReportKind};
use crate::domain::{GroupId, MemberId, ReportId};
use crate::entities::report as db;
use crate::error::{AppError, AppResult};

/// Stores a report of `kind` for `area` and `period`, rendered, with its audit event and the
/// delivery that makes its audio version, in the caller's transaction. A second report for the same area, kind and period is refused: what
/// was published stays what it was.
pub async fn store(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    area: GroupId,
    kind: ReportKind,
    period: &str,
    rendered: Rendered,
) -> AppResult<Report> {
    let title = rendered.title.clone();
    store_with(txn, actor, area, kind, period, &title, |_| rendered).await
}

/// `store`, for a report whose pages link to each other: `render` is given the report's id.
pub async fn store_with(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    area: GroupId,
    kind: ReportKind,
    period: &str,
    title: &str,
    render: impl FnOnce(ReportId) -> Rendered,
) -> AppResult<Report> {
    let inserted = db::ActiveModel {
        area_id: Set(area.0),
        kind: Set(kind.as_str().to_owned()),
        period: Set(period.to_owned()),
        title: Set(title.to_owned()),
        html: Set(String::new()),
        large_print: Set(String::new()),
        plain_text: Set(String::new()),
        markdown: Set(String::new()),
        csv: Set(None),
        published_by: Set(actor.member_id().map(|m| m.0)),
        published_at: Set(super::now()),
        ..Default::default()
    }
    .insert(txn)
    .await;
    let model = match inserted {
        Ok(model) => model,
        Err(error)
            if matches!(
                error.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            return Err(AppError::Conflict(format!(
                "{title} has already been published; a published report stays as it was."
            )));
        }
        Err(error) => return Err(error.into()),
    };
    let rendered = render(ReportId(model.id));
    let mut row: db::ActiveModel = model.into();
    row.title = Set(rendered.title);
    row.html = Set(rendered.html);
    row.large_print = Set(rendered.large_print);
    row.plain_text = Set(rendered.text);
    row.markdown = Set(rendered.markdown);
    row.csv = Set(rendered.csv);
    let model = row.update(txn).await?;
    // Its audio version is made after the commit, once, by the speech courier.
    let id = ReportId(model.id);
    outbox::enqueue(
        txn,
        Destination::ReportAudio(id),
        Message::ReportAudio {
            report_id: id,
            group_id: area,
        },
    )
    .await?;
    audit::record(
        txn,
        actor,
        "report.published",
        Subject::Report(model.id),
        serde_json::json!({ "area": area.0, "kind": kind.as_str(), "period": period }),
    )
    .await?;
    from_model(model)
}

/// A published report. Anyone may read one.
pub async fn get(conn: &impl ConnectionTrait, id: ReportId) -> AppResult<Report> {
    let model = db::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no published report with this id.".into()))?;
    from_model(model)
}

/// The reports of one kind published for an area, newest period first.
pub async fn list(
    conn: &impl ConnectionTrait,
    area: GroupId,
    kind: ReportKind,
) -> AppResult<Vec<Report>> {
    db::Entity::find()
        .filter(db::Column::AreaId.eq(area.0))
        .filter(db::Column::Kind.eq(kind.as_str()))
        .order_by_desc(db::Column::Period)
        .all(conn)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// The report of a kind for an area and period, when it has been published.
pub async fn find(
    conn: &impl ConnectionTrait,
    area: GroupId,
    kind: ReportKind,
    period: &str,
) -> AppResult<Option<Report>> {
    db::Entity::find()
        .filter(db::Column::AreaId.eq(area.0))
        .filter(db::Column::Kind.eq(kind.as_str()))
        .filter(db::Column::Period.eq(period))
        .one(conn)
        .await?
        .map(from_model)
        .transpose()
}

fn from_model(model: db::Model) -> AppResult<Report> {
    let kind = ReportKind::from_db(&model.kind)
        .ok_or_else(|| super::corrupt("reports", model.id, "kind"))?;
    Ok(Report {
        id: ReportId(model.id),
        area_id: GroupId(model.area_id),
        kind,
        period: model.period,
        published_by: model.published_by.map(MemberId),
        published_at: model.published_at,
        rendered: Rendered {
            title: model.title,
            html: model.html,
            large_print: model.large_print,
            text: model.plain_text,
            markdown: model.markdown,
            csv: model.csv,
        },
    })
}
