//! The monthly patient-experience report of an area: its facts gathered from the items, the
//! patterns, the planned changes and the imported figures in a handful of reads, compiled by
//! `domain::monthly`, and published (rendered once, kept as it was) for everyone to read.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};

use crate::domain::authz::{self, Actor};
use crate::domain::change::{ChangeState, PlannedChange};
use crate::domain::clock::uk_date;
use crate::domain::feedback::triangulation::{self, SoftReport, Stored};
use crate::domain::feedback::{Count, Measure, Month, Source, report_day};
use crate::domain::group::GroupKind;
use crate::domain::item::{EventKind, Outcome, Sentiment, Status};
use crate::domain::monthly::{
    self, ChangeTally, Coverage, Facts, ItemFact, MonthlyReport, OrganisationSides, PatternChange,
    PatternFact, Tier,
};
use crate::domain::pattern::PatternEventKind;
use crate::domain::report::{Report, ReportKind};
use crate::domain::theme::Polarity;
use crate::domain::{GroupId, ThemeId};
use crate::entities::{
    external_feedback, feedback_import, group, item, item_classification, item_event, pattern,
    pattern_event, provider,
};
use crate::error::{AppError, AppResult};
use crate::services::{corrupt, groups, themes};

/// Reads `2026-11` (or any way a file writes a month) as the report's month.
pub fn parse_month(raw: &str) -> AppResult<Month> {
    Month::parse(raw).ok_or_else(|| {
        AppError::bad_input(
            "month",
            "Write the month as year and month, such as 2026-11.",
        )
    })
}

/// The area's report for `month`, made at `now`: the month's reports (by the month of the
/// experience, as triangulation counts them, so a report raised since about the month counts
/// in it) against the months before, and waits and clocks as at today.
#[tracing::instrument(skip_all, fields(area = %area, member = ?actor.member_id()))]
pub async fn monthly(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    area: GroupId,
    month: Month,
    now: DateTime<Utc>,
) -> AppResult<MonthlyReport> {
    let council = groups::area(conn, area).await?;
    authz::may_see_monthly_report(actor, area)?;
    let today = uk_date(now);
    if month > Month::of(today) {
        return Err(AppError::bad_input(
            "month",
            "That month has not begun: a report covers a month up to today at the latest.",
        ));
    }
    let facts = gather(conn, area, council.name.as_str(), month, now).await?;
    Ok(monthly::compile(facts))
}

/// Publishes the area's report for a month that is over: rendered once in each form and kept
/// as it is today, at `/reports/{id}`. A month is published once.
#[tracing::instrument(skip_all, fields(area = %area, member = ?actor.member_id()))]
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    area: GroupId,
    month: Month,
    now: DateTime<Utc>,
) -> AppResult<Report> {
    groups::area(db, area).await?;
    authz::may_publish_monthly_report(actor, area)?;
    if month >= Month::of(uk_date(now)) {
        return Err(AppError::bad_input(
            "month",
            "A month's report is published once the month is over, so its figures are whole.",
        ));
    }
    let txn = db.begin().await?;
    let report = monthly(&txn, actor, area, month, now).await?;
    let published_on = uk_date(now);
    let stored = super::store_with(
        &txn,
        actor,
        area,
        ReportKind::Monthly,
        &month.code(),
        &report.title(),
        |id| crate::render::monthly::render(&report, id, published_on),
    )
    .await?;
    txn.commit().await?;
    Ok(stored)
}

async fn gather(
    conn: &impl ConnectionTrait,
    area: GroupId,
    area_name: &str,
    month: Month,
    now: DateTime<Utc>,
) -> AppResult<Facts> {
    let as_at = uk_date(now);
    let months = monthly::history(month);
    let start = months[0].first_day();
    let end = month.next().first_day();
    // A day either side, so that the UK date decides which month a raise is in.
    let from = start
        .pred_opt()
        .unwrap_or(start)
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    let Some(from) = from else {
        return Err(AppError::bad_input("month", "That month is out of range."));
    };

    // The area's groups: each item's tier, and the PPGs that said nothing.
    let groups: Vec<group::Model> = group::Entity::find()
        .filter(group::Column::AreaId.eq(area.0))
        .all(conn)
        .await?;
    let kind_of: HashMap<i64, GroupKind> = groups
        .iter()
        .filter_map(|g| GroupKind::from_db(&g.kind).map(|k| (g.id, k)))
        .collect();
    let mut ppgs: Vec<(GroupId, String)> = groups
        .iter()
        .filter(|g| kind_of.get(&g.id) == Some(&GroupKind::Ppg))
        .map(|g| (GroupId(g.id), g.name.clone()))
        .collect();
    ppgs.sort_by(|a, b| a.1.cmp(&b.1));

    // The items raised in the history, and any still open from before it.
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let rows: Vec<item::Model> = item::Entity::find()
        .filter(item::Column::AreaId.eq(area.0))
        .filter(
            Condition::any()
                .add(item::Column::CreatedAt.gte(from))
                .add(item::Column::Status.is_in(open)),
        )
        .all(conn)
        .await?;
    // The report's month is compared with the months before it.
    let compared: Vec<Month> = months[months.len() - (monthly::COMPARE_MONTHS + 1)..].to_vec();
    let compare_from = compared[0].first_day();
    // The months the area had reports of its own in.
    let soft_covered: BTreeSet<Month> = rows
        .iter()
        .map(|r| Month::of(report_day(r.experienced_on, r.created_at)))
        .filter(|m| compared.contains(m))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();

    let vocabulary = themes::all(conn).await?;
    let heading_of: HashMap<i64, ThemeId> =
        vocabulary.iter().map(|t| (t.id.0, t.heading())).collect();
    let heading_names: BTreeMap<ThemeId, String> = vocabulary
        .iter()
        .filter(|t| t.parent_id.is_none())
        .map(|t| (t.id, t.name.clone()))
        .collect();
    let mut headings: HashMap<i64, Vec<(ThemeId, Polarity)>> = HashMap::new();
    let mut outcomes: HashMap<i64, (i64, Option<String>)> = HashMap::new();
    for chunk in ids.chunks(500) {
        for c in item_classification::Entity::find()
            .filter(item_classification::Column::ItemId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            let (Some(heading), Some(polarity)) =
                (heading_of.get(&c.theme_id), Polarity::from_db(&c.polarity))
            else {
                continue;
            };
            let list = headings.entry(c.item_id).or_default();
            match list.iter_mut().find(|(t, _)| t == heading) {
                // A heading and its subheading on one item count once, as a concern if
                // either is.
                Some((_, existing)) if polarity.is_concern() => *existing = polarity,
                Some(_) => {}
                None => list.push((*heading, polarity)),
            }
        }
        let answers: Vec<(i64, i64, Option<String>)> = item_event::Entity::find()
            .select_only()
            .column(item_event::Column::Id)
            .column(item_event::Column::ItemId)
            .column(item_event::Column::Outcome)
            .filter(item_event::Column::ItemId.is_in(chunk.iter().copied()))
            .filter(item_event::Column::Kind.eq(EventKind::Responded.as_str()))
            .into_tuple()
            .all(conn)
            .await?;
        for (event, item, outcome) in answers {
            // The latest answer stands.
            let entry = outcomes.entry(item).or_insert((event, outcome.clone()));
            if event > entry.0 {
                *entry = (event, outcome);
            }
        }
    }

    // Providers: each item's and figure's organisation, and the register the area imported.
    let imports: Vec<i64> = feedback_import::Entity::find()
        .select_only()
        .column(feedback_import::Column::Id)
        .filter(feedback_import::Column::AreaId.eq(area.0))
        .filter(feedback_import::Column::UndoneAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    let figures: Vec<external_feedback::Model> = external_feedback::Entity::find()
        .filter(external_feedback::Column::AreaId.eq(area.0))
        .filter(external_feedback::Column::Month.gte(start))
        .filter(external_feedback::Column::Month.lt(end))
        .all(conn)
        .await?;
    let mut provider_ids: BTreeSet<i64> = rows.iter().filter_map(|r| r.provider_id).collect();
    provider_ids.extend(figures.iter().map(|f| f.organisation_id));
    let mut providers: HashMap<i64, provider::Model> = HashMap::new();
    let wanted: Vec<i64> = provider_ids.into_iter().collect();
    for chunk in wanted.chunks(500) {
        for p in provider::Entity::find()
            .filter(provider::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            providers.insert(p.id, p);
        }
    }
    let registered: Vec<(i64, String)> = if imports.is_empty() {
        Vec::new()
    } else {
        provider::Entity::find()
            .select_only()
            .column(provider::Column::Id)
            .column(provider::Column::Name)
            .filter(provider::Column::ImportId.is_in(imports))
            .filter(provider::Column::ParentId.is_null())
            .into_tuple()
            .all(conn)
            .await?
    };
    let organisation_of = |id: i64| providers.get(&id).map(|p| p.parent_id.unwrap_or(p.id));
    let name_of = |id: i64| providers.get(&id).map(|p| p.name.clone());

    // The area's planned changes: what became of each, and the tally as at today.
    let planned = crate::services::changes::for_area(conn, area).await?;
    let mut tally = ChangeTally::default();
    for change in &planned {
        match change.state {
            ChangeState::Made => tally.made += 1,
            ChangeState::Abandoned => tally.abandoned += 1,
            ChangeState::Planned if change.overdue(as_at) => tally.overdue += 1,
            ChangeState::Planned => tally.planned += 1,
        }
    }
    let changes: HashMap<i64, PlannedChange> =
        planned.into_iter().map(|c| (c.item_id.0, c)).collect();
    let mut items = Vec::with_capacity(rows.len());
    // Per organisation: the pyramid's reports by the month of the experience, and when it
    // was last heard of by any source.
    let mut soft: BTreeMap<i64, Vec<SoftReport>> = BTreeMap::new();
    let mut mentioned: BTreeMap<i64, bool> = BTreeMap::new();
    for row in &rows {
        let status =
            Status::from_db(&row.status).ok_or_else(|| corrupt("items", row.id, "status"))?;
        let sentiment = Sentiment::from_db(&row.sentiment)
            .ok_or_else(|| corrupt("items", row.id, "sentiment"))?;
        let holder = kind_of
            .get(&row.current_group_id)
            .copied()
            .ok_or_else(|| corrupt("items", row.id, "current_group_id"))?;
        let raised_on = uk_date(row.created_at);
        let concern = Polarity::from(sentiment).is_concern();
        let item_headings = headings.remove(&row.id).unwrap_or_default();
        let organisation = row.provider_id.and_then(organisation_of);
        let day = report_day(row.experienced_on, row.created_at);
        if let Some(org) = organisation
            && day >= start
            && day < end
        {
            *mentioned.entry(org).or_default() |= Month::of(day) == month;
            if day >= compare_from {
                soft.entry(org).or_default().push(SoftReport {
                    month: Month::of(day),
                    concern,
                    themes: item_headings.clone(),
                });
            }
        }
        let outcome = match outcomes.get(&row.id) {
            Some((_, Some(outcome))) => {
                Some(Outcome::from_db(outcome).ok_or_else(|| corrupt("items", row.id, "outcome"))?)
            }
            _ => None,
        };
        let change = changes
            .get(&row.lead_item_id.unwrap_or(row.id))
            .map(|c| c.state);
        items.push(ItemFact {
            reference: row.reference.clone(),
            origin: GroupId(row.origin_group_id),
            provider_name: row.provider_id.and_then(name_of),
            month: Month::of(day),
            raised_on,
            headings: item_headings,
            safety_concern: row.safety_concern,
            open: status.is_open(),
            tier: Tier::of(holder, row.referred_at.is_some()),
            answered_on: row.responded_at.map(uk_date),
            outcome,
            change,
            due_on: row.response_due_on,
            overdue: status == Status::Referred
                && row.response_due_on.is_some_and(|due| due < as_at),
        });
    }

    let mut stored: BTreeMap<i64, Vec<Stored>> = BTreeMap::new();
    let mut covered: BTreeMap<i64, BTreeMap<Source, BTreeSet<Month>>> = BTreeMap::new();
    for figure in &figures {
        let this_month = Month::of(figure.month);
        *mentioned.entry(figure.organisation_id).or_default() |= this_month == month;
        if figure.month < compare_from {
            continue;
        }
        if let Some(source) = Source::from_db(&figure.source) {
            covered
                .entry(figure.organisation_id)
                .or_default()
                .entry(source)
                .or_default()
                .insert(this_month);
        }
        let measure = Measure::from_db(&figure.measure)
            .ok_or_else(|| corrupt("external_feedback", figure.id, "measure"))?;
        stored
            .entry(figure.organisation_id)
            .or_default()
            .push(Stored {
                record: (figure.import_id, figure.line),
                month: this_month,
                theme: figure.theme_id.map(ThemeId),
                measure,
                value: Count::from_db(figure.value),
            });
    }
    let mut organisations = Vec::new();
    for org in mentioned.keys() {
        let reports = soft.remove(org).unwrap_or_default();
        let figures = stored.remove(org).unwrap_or_default();
        if reports.is_empty() && figures.is_empty() {
            continue;
        }
        let sides = triangulation::triangulate(&compared, &reports, &figures, |id| {
            heading_names.get(&id).cloned().unwrap_or_default()
        });
        organisations.push(OrganisationSides {
            name: name_of(*org).unwrap_or_default(),
            months: sides.months,
            coverage: Coverage {
                soft: soft_covered.clone(),
                imported: covered.remove(org).unwrap_or_default(),
            },
        });
    }
    let mut known_organisations: Vec<(String, bool)> = mentioned
        .iter()
        .map(|(org, now)| (name_of(*org).unwrap_or_default(), *now))
        .collect();
    let unmentioned_in_register = registered
        .iter()
        .filter(|(id, _)| !mentioned.contains_key(id))
        .count() as u32;
    known_organisations.sort();

    let patterns = pattern_changes(conn, area, month, &providers, &heading_names).await?;
    Ok(Facts {
        area_name: area_name.to_owned(),
        month,
        as_at,
        items,
        ppgs,
        heading_names,
        organisations,
        known_organisations,
        unmentioned_in_register,
        patterns,
        changes: tally,
    })
}

/// The area's patterns opened (or reopened), taken up and dismissed in the month.
async fn pattern_changes(
    conn: &impl ConnectionTrait,
    area: GroupId,
    month: Month,
    providers: &HashMap<i64, provider::Model>,
    heading_names: &BTreeMap<ThemeId, String>,
) -> AppResult<Vec<PatternFact>> {
    let first = month.first_day().and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let next = month
        .next()
        .first_day()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    let (Some(first), Some(next)) = (first, next) else {
        return Ok(Vec::new());
    };
    let patterns: HashMap<i64, pattern::Model> = pattern::Entity::find()
        .filter(pattern::Column::AreaId.eq(area.0))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    if patterns.is_empty() {
        return Ok(Vec::new());
    }
    let kinds = [
        PatternEventKind::Opened,
        PatternEventKind::Reopened,
        PatternEventKind::TakenUp,
        PatternEventKind::Dismissed,
    ];
    let ids: Vec<i64> = patterns.keys().copied().collect();
    let mut seen: BTreeSet<(i64, PatternChange)> = BTreeSet::new();
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        for event in pattern_event::Entity::find()
            .filter(pattern_event::Column::PatternId.is_in(chunk.iter().copied()))
            .filter(pattern_event::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())))
            .filter(pattern_event::Column::At.gte(first))
            .filter(pattern_event::Column::At.lt(next))
            .all(conn)
            .await?
        {
            let change = match PatternEventKind::from_db(&event.kind) {
                Some(PatternEventKind::TakenUp) => PatternChange::TakenUp,
                Some(PatternEventKind::Dismissed) => PatternChange::Dismissed,
                _ => PatternChange::Opened,
            };
            let Some(p) = patterns.get(&event.pattern_id) else {
                continue;
            };
            if !seen.insert((p.id, change)) {
                continue;
            }
            let provider = providers
                .get(&p.provider_id)
                .map_or_else(|| "a provider".to_owned(), |m| m.name.clone());
            let about = match p.theme_id.and_then(|t| heading_names.get(&ThemeId(t))) {
                Some(theme) => format!("{provider}: {}", theme.to_lowercase()),
                None => provider,
            };
            out.push(PatternFact {
                change,
                about,
                ppgs: p.ppg_count.max(0) as u32,
            });
        }
    }
    Ok(out)
}
