//! Triangulation for one provider over a run of months: the area's soft intelligence about it
//! (items, by the month of the experience they report, under their theme headings) beside
//! the figures imported into the area for it. An organisation's figures include its sites' and
//! services'.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::authz::{self, Actor, OrgRole};
use crate::domain::feedback::triangulation::{self, SoftReport, Stored, Triangulation};
use crate::domain::feedback::{Count, Measure, Month};
use crate::domain::group::GroupKind;
use crate::domain::item::Sentiment;
use crate::domain::provider::Provider;
use crate::domain::theme::{Polarity, Theme};
use crate::domain::{GroupId, ProviderId, ThemeId};
use crate::entities::{external_feedback, item, item_classification, provider};
use crate::error::{AppError, AppResult};
use crate::services::{groups, providers, themes};

/// At most three years side by side.
const MAX_MONTHS: usize = 36;

pub struct ProviderTriangulation {
    pub provider: Provider,
    pub area: GroupId,
    pub from: Month,
    pub to: Month,
    pub figures: Triangulation,
}

#[tracing::instrument(skip_all, fields(provider = %provider_id, member = ?actor.member_id()))]
pub async fn triangulation(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    provider_id: ProviderId,
    area: Option<GroupId>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<ProviderTriangulation> {
    authz::may_see_people(actor)?;
    let (from, to) = (Month::of(from), Month::of(to));
    if from > to {
        return Err(AppError::bad_input("to", "'to' is before 'from'."));
    }
    let months = from.through(to);
    if months.len() > MAX_MONTHS {
        return Err(AppError::bad_input(
            "to",
            format!("Triangulation covers at most {MAX_MONTHS} months at a time."),
        ));
    }
    let provider = providers::get(conn, provider_id).await?;
    let mut ids = vec![provider.id.0];
    if provider.parent_id.is_none() {
        let services: Vec<i64> = provider::Entity::find()
            .select_only()
            .column(provider::Column::Id)
            .filter(provider::Column::ParentId.eq(provider.id.0))
            .into_tuple()
            .all(conn)
            .await?;
        ids.extend(services);
    }
    let area = match area {
        Some(area) => area,
        None => only_area(conn, actor).await?,
    };
    if authz::may_triangulate(actor, area, &[]).is_err() {
        let districts = reporting_districts(conn, area, &ids).await?;
        authz::may_triangulate(actor, area, &districts)?;
    }

    let start = from.first_day();
    let end = to.next().first_day();
    let vocabulary = themes::all(conn).await?;
    let heading: HashMap<ThemeId, &Theme> = vocabulary.iter().map(|t| (t.id, t)).collect();
    let reports = soft_reports(conn, area, &ids, start, end, &heading).await?;

    let rows = external_feedback::Entity::find()
        .filter(external_feedback::Column::AreaId.eq(area.0))
        .filter(external_feedback::Column::ProviderId.is_in(ids.clone()))
        .filter(external_feedback::Column::Month.gte(start))
        .filter(external_feedback::Column::Month.lt(end))
        .all(conn)
        .await?;
    let mut figures = Vec::with_capacity(rows.len());
    for row in rows {
        let measure = Measure::from_db(&row.measure)
            .ok_or_else(|| crate::services::corrupt("external_feedback", row.id, "measure"))?;
        figures.push(Stored {
            record: (row.import_id, row.line),
            month: Month::of(row.month),
            theme: row.theme_id.map(ThemeId),
            measure,
            value: Count::from_db(row.value),
        });
    }
    let figures = triangulation::triangulate(&months, &reports, &figures, |id| {
        heading
            .get(&id)
            .map_or_else(|| "a theme".to_owned(), |t| t.name.to_lowercase())
    });
    Ok(ProviderTriangulation {
        provider,
        area,
        from,
        to,
        figures,
    })
}

/// The caller's one area, when they did not name one.
async fn only_area(conn: &impl ConnectionTrait, actor: &Actor) -> AppResult<GroupId> {
    let mut areas: BTreeSet<GroupId> = actor
        .areas_where(OrgRole::Commissioner)
        .into_iter()
        .collect();
    let seats: Vec<GroupId> = actor.seats().iter().map(|s| s.group).collect();
    for group in groups::get_many(conn, &seats).await?.values() {
        if group.kind != GroupKind::Ppg {
            areas.insert(group.area_id);
        }
    }
    let mut areas = areas.into_iter();
    match (areas.next(), areas.next()) {
        (Some(area), None) => Ok(area),
        (Some(_), Some(_)) => Err(AppError::bad_input(
            "areaId",
            "You belong to more than one area: say which with areaId.",
        )),
        (None, _) => Err(AppError::Forbidden(
            "Triangulation for a provider is seen by the council and the commissioners of the area, and by districts whose PPGs have reported the provider.".to_owned(),
        )),
    }
}

/// The districts of the area whose PPGs have raised an item about any of `providers`.
async fn reporting_districts(
    conn: &impl ConnectionTrait,
    area: GroupId,
    providers: &[i64],
) -> AppResult<Vec<GroupId>> {
    let origins: Vec<i64> = item::Entity::find()
        .select_only()
        .column(item::Column::OriginGroupId)
        .distinct()
        .filter(item::Column::AreaId.eq(area.0))
        .filter(item::Column::ProviderId.is_in(providers.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    let origins: Vec<GroupId> = origins.into_iter().map(GroupId).collect();
    Ok(groups::get_many(conn, &origins)
        .await?
        .values()
        .filter_map(|g| g.parent_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

async fn soft_reports(
    conn: &impl ConnectionTrait,
    area: GroupId,
    providers: &[i64],
    start: NaiveDate,
    end: NaiveDate,
    heading: &HashMap<ThemeId, &Theme>,
) -> AppResult<Vec<SoftReport>> {
    // A report counts in the month the patient's experience happened, where the reporter
    // gave it (as complaints count by when they were made, and the FFT by when it was
    // answered), else the month it was raised in (in the UK: a day either side is read, then
    // the UK date decides).
    let from = start.pred_opt().unwrap_or(start).and_hms_opt(0, 0, 0);
    let until = end.succ_opt().unwrap_or(end).and_hms_opt(0, 0, 0);
    let (Some(from), Some(until)) = (from, until) else {
        return Ok(Vec::new());
    };
    let when = sea_orm::Condition::any()
        .add(
            sea_orm::Condition::all()
                .add(item::Column::ExperiencedOn.gte(start))
                .add(item::Column::ExperiencedOn.lt(end)),
        )
        .add(
            sea_orm::Condition::all()
                .add(item::Column::ExperiencedOn.is_null())
                .add(item::Column::CreatedAt.gte(from.and_utc()))
                .add(item::Column::CreatedAt.lt(until.and_utc())),
        );
    let rows: Vec<(
        i64,
        Option<NaiveDate>,
        chrono::DateTime<chrono::Utc>,
        String,
    )> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .column(item::Column::ExperiencedOn)
        .column(item::Column::CreatedAt)
        .column(item::Column::Sentiment)
        .filter(item::Column::AreaId.eq(area.0))
        .filter(item::Column::ProviderId.is_in(providers.iter().copied()))
        .filter(when)
        .into_tuple()
        .all(conn)
        .await?;
    let mut reports: HashMap<i64, SoftReport> = HashMap::new();
    for (id, experienced_on, created_at, sentiment) in rows {
        let day = crate::domain::feedback::report_day(experienced_on, created_at);
        if day < start || day >= end {
            continue;
        }
        let sentiment = Sentiment::from_db(&sentiment)
            .ok_or_else(|| crate::services::corrupt("items", id, "sentiment"))?;
        reports.insert(
            id,
            SoftReport {
                month: Month::of(day),
                concern: Polarity::from(sentiment).is_concern(),
                themes: Vec::new(),
            },
        );
    }
    let ids: Vec<i64> = reports.keys().copied().collect();
    for chunk in ids.chunks(500) {
        let classifications = item_classification::Entity::find()
            .filter(item_classification::Column::ItemId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        for c in classifications {
            let (Some(report), Some(theme), Some(polarity)) = (
                reports.get_mut(&c.item_id),
                heading.get(&ThemeId(c.theme_id)),
                Polarity::from_db(&c.polarity),
            ) else {
                continue;
            };
            let heading = theme.heading();
            match report.themes.iter_mut().find(|(t, _)| *t == heading) {
                // A heading and its subheading on one item count once, as a concern if
                // either is.
                Some((_, existing)) if polarity.is_concern() => *existing = polarity,
                Some(_) => {}
                None => report.themes.push((heading, polarity)),
            }
        }
    }
    Ok(reports.into_values().collect())
}
