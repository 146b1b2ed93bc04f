//! The anonymised aggregate export of an area: month x provider x theme heading x source
//! counts, as CSV, with counts under 5 suppressed (`domain::feedback::export`), for open data
//! and for the commissioners' own analysis.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::authz::{self, Actor};
use crate::domain::feedback::export::{Cells, Column};
use crate::domain::feedback::{Count, Measure, Month};
use crate::domain::item::Sentiment;
use crate::domain::theme::{Polarity, Theme};
use crate::domain::{GroupId, ProviderId, ThemeId};
use crate::entities::{external_feedback, item, item_classification};
use crate::error::{AppError, AppResult};
use crate::services::{groups, providers, themes};

/// An item's id, provider, day of experience, when it was raised, and sentiment.
type ItemRow = (
    i64,
    Option<i64>,
    Option<NaiveDate>,
    chrono::DateTime<chrono::Utc>,
    String,
);

/// At most three years in one file.
const MAX_MONTHS: usize = 36;

/// The CSV of an area's counts from `from` to `to` (whole months), for its commissioners and
/// its council.
#[tracing::instrument(skip_all, fields(area = %area, member = ?actor.member_id()))]
pub async fn export(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    area: GroupId,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<String> {
    authz::may_triangulate(actor, area, &[])?;
    groups::area(conn, area).await?;
    let (from, to) = (Month::of(from), Month::of(to));
    if from > to {
        return Err(AppError::bad_input("to", "'to' is before 'from'."));
    }
    if from.through(to).len() > MAX_MONTHS {
        return Err(AppError::bad_input(
            "to",
            format!("An export covers at most {MAX_MONTHS} months."),
        ));
    }
    let (start, end) = (from.first_day(), to.next().first_day());
    let vocabulary = themes::all(conn).await?;
    let by_id: HashMap<ThemeId, &Theme> = vocabulary.iter().map(|t| (t.id, t)).collect();
    let mut cells = Cells::default();

    let rows = external_feedback::Entity::find()
        .filter(external_feedback::Column::AreaId.eq(area.0))
        .filter(external_feedback::Column::Month.gte(start))
        .filter(external_feedback::Column::Month.lt(end))
        .all(conn)
        .await?;
    for row in rows {
        let measure = Measure::from_db(&row.measure)
            .ok_or_else(|| crate::services::corrupt("external_feedback", row.id, "measure"))?;
        cells.add(
            Month::of(row.month),
            ProviderId(row.organisation_id),
            row.theme_id.map(ThemeId),
            Column::Imported(measure),
            Count::from_db(row.value),
        );
    }

    // The pyramid's own reports about a provider, by the month of the experience (else of
    // the report), once overall and once under each heading they are classified under.
    let items: Vec<ItemRow> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .column(item::Column::ProviderId)
        .column(item::Column::ExperiencedOn)
        .column(item::Column::CreatedAt)
        .column(item::Column::Sentiment)
        .filter(item::Column::AreaId.eq(area.0))
        .filter(item::Column::ProviderId.is_not_null())
        .filter(
            sea_orm::Condition::any()
                .add(item::Column::ExperiencedOn.gte(start))
                .add(
                    item::Column::CreatedAt.gte(
                        start
                            .pred_opt()
                            .unwrap_or(start)
                            .and_hms_opt(0, 0, 0)
                            .map(|t| t.and_utc()),
                    ),
                ),
        )
        .into_tuple()
        .all(conn)
        .await?;
    let provider_ids: Vec<ProviderId> = items
        .iter()
        .filter_map(|(_, p, ..)| p.map(ProviderId))
        .collect();
    let register = providers::get_many(conn, &provider_ids).await?;
    let mut counted: HashMap<i64, (Month, ProviderId, Column)> = HashMap::new();
    for (id, provider, experienced_on, created_at, sentiment) in items {
        let day = crate::domain::feedback::report_day(experienced_on, created_at);
        let (Some(provider), true) = (provider, day >= start && day < end) else {
            continue;
        };
        let Some(provider) = register.get(&ProviderId(provider)) else {
            continue;
        };
        let organisation = provider.parent_id.unwrap_or(provider.id);
        let sentiment = Sentiment::from_db(&sentiment)
            .ok_or_else(|| crate::services::corrupt("items", id, "sentiment"))?;
        let column = if Polarity::from(sentiment).is_concern() {
            Column::SoftIntelligenceConcerns
        } else {
            Column::SoftIntelligencePositive
        };
        let month = Month::of(day);
        cells.add(month, organisation, None, column, Count::Known(1));
        counted.insert(id, (month, organisation, column));
    }
    let ids: Vec<i64> = counted.keys().copied().collect();
    for chunk in ids.chunks(500) {
        let classifications = item_classification::Entity::find()
            .filter(item_classification::Column::ItemId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        let mut seen = std::collections::HashSet::new();
        for c in classifications {
            let (Some(&(month, organisation, column)), Some(theme)) =
                (counted.get(&c.item_id), by_id.get(&ThemeId(c.theme_id)))
            else {
                continue;
            };
            if seen.insert((c.item_id, theme.heading())) {
                cells.add(
                    month,
                    organisation,
                    Some(theme.heading()),
                    column,
                    Count::Known(1),
                );
            }
        }
    }

    let organisations: Vec<ProviderId> = cells.published().map(|(_, p, ..)| p).collect();
    let names = providers::get_many(conn, &organisations).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, record: &[&str]| {
        out.write_record(record)
            .map_err(|e| AppError::internal(anyhow::Error::new(e), "writing the export"))
    };
    write(
        &mut out,
        &[
            "month",
            "provider_ods_code",
            "provider",
            "theme",
            "source",
            "measure",
            "count",
        ],
    )?;
    for (month, provider, theme, column, count) in cells.published() {
        let provider = names.get(&provider);
        let (source, measure) = column.names();
        let count = match count {
            Count::Known(n) => n.to_string(),
            Count::Suppressed => "*".to_owned(),
        };
        write(
            &mut out,
            &[
                &month.code(),
                provider
                    .and_then(|p| p.ods_code.as_ref())
                    .map_or("", |c| c.as_str()),
                provider.map_or("", |p| p.name.as_str()),
                theme
                    .and_then(|t| by_id.get(&t))
                    .map_or("", |t| t.slug.as_str()),
                source,
                measure,
                &count,
            ],
        )?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}"), "writing the export"))?;
    String::from_utf8(bytes)
        .map_err(|e| AppError::internal(anyhow::Error::new(e), "writing the export"))
}
