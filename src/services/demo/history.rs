//! The demo's year of soft intelligence, so that the monthly report of `serve --demo` is full
//! at once: reports from most PPGs every month about the area's providers (discharge from the
//! hospital trust rising and staying up for seven months, so its run chart flags the run),
//! answers at each tier, an open safety concern and a referral past its response clock; then
//! the report of the last whole month, published.
//!
//! Everything goes through the services a member would use, then the demo moves the items'
//! times back to when their experience happened (raising, each step, the referral, the answer
//! and its due date), which no user action can do, rebuilds the patterns from the moved times
//! and dates what the rebuild found to the latest report of each pattern. Seeded once: a
//! second run finds its first report already raised.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::activity::first_member_of;
use crate::domain::authz::Actor;
use crate::domain::feedback::Month;
use crate::domain::group::Group;
use crate::domain::item::{Channel, InformationSource, ItemKind, Move, Outcome, Sentiment};
use crate::domain::member::Role;
use crate::domain::theme::Polarity;
use crate::domain::{GroupId, ItemId, MemberId, ProviderId};
use crate::entities::{item, item_event, pattern, pattern_event, provider};
use crate::error::{AppError, AppResult};
use crate::services::items::{self, Action, RaiseItem, ThemeChoice};
use crate::services::{members, themes};

/// A stream of reports: its provider, theme, what is said, and how many each month of the
/// year (oldest first).
struct Stream {
    provider: &'static str,
    theme: &'static str,
    sentiment: Sentiment,
    title: &'static str,
    body: &'static str,
    per_month: [u8; 12],
}

const STREAMS: [Stream; 4] = [
    Stream {
        provider: "Trentvale Hospitals NHS Trust",
        theme: "discharge",
        sentiment: Sentiment::Negative,
        title: "Discharged without medication",
        body: "A patient was sent home late in the evening with no tablets and no letter for the GP.",
        per_month: [1, 2, 1, 2, 1, 4, 3, 4, 5, 3, 4, 4],
    },
    Stream {
        provider: "Staffordshire Out-of-Hours GP Service",
        theme: "urgent-out-of-hours",
        sentiment: Sentiment::Negative,
        title: "Long wait for an out-of-hours call-back",
        body: "A family waited most of the evening for a call-back from the out-of-hours service.",
        per_month: [2, 1, 2, 2, 1, 2, 3, 2, 1, 2, 2, 3],
    },
    Stream {
        provider: "Trentvale Hospitals NHS Trust",
        theme: "communication-results",
        sentiment: Sentiment::Negative,
        title: "No one explained the test results",
        body: "A patient left outpatients without anyone explaining what the results meant.",
        per_month: [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1],
    },
    Stream {
        provider: "Midlands Ambulance Service",
        theme: "staff-kindness",
        sentiment: Sentiment::Positive,
        title: "Kind and calm ambulance crew",
        body: "The crew were kind and calm, and explained everything to the family.",
        per_month: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1],
    },
];

/// The PPGs that report: all but the last two, which the report shows as gaps.
const SILENT_PPGS: usize = 2;

pub(super) async fn seed_history(
    db: &DatabaseConnection,
    area: GroupId,
    ppgs: &[Group],
    council_chair: MemberId,
    commissioner: MemberId,
) -> AppResult<()> {
    let today = crate::services::today();
    let this_month = Month::of(today);
    let mut first = this_month;
    for _ in 0..12 {
        first = first.previous();
    }
    let months = first.through(this_month.previous());
    let reporting = &ppgs[..ppgs.len().saturating_sub(SILENT_PPGS).max(1)];
    let as_member = |id: MemberId| async move {
        members::principal(db, id)
            .await?
            .map(Actor::Member)
            .ok_or_else(|| AppError::not_found("member"))
    };
    let commissioner = as_member(commissioner).await?;
    let council_chair = as_member(council_chair).await?;

    let mut n = 0usize;
    let mut timed: Vec<(ItemId, DateTime<Utc>)> = Vec::new();
    for stream in &STREAMS {
        let provider = provider::Entity::find()
            .filter(provider::Column::Name.eq(stream.provider))
            .one(db)
            .await?
            .map(|p| ProviderId(p.id));
        let theme = themes::by_slug(db, stream.theme).await?;
        for (index, month) in months.iter().enumerate() {
            for k in 0..stream.per_month[index] {
                n += 1;
                let ppg = &reporting[n % reporting.len()];
                let Some(submitter) = first_member_of(db, ppg.id, Role::Member).await? else {
                    continue;
                };
                let day = (3 + 7 * u32::from(k) + n as u32 % 5).min(27);
                let experienced = month.first_day().with_day(day).unwrap_or(month.first_day());
                let raised = items::raise(
                    db,
                    &as_member(submitter).await?,
                    RaiseItem {
                        group_id: ppg.id,
                        kind: ItemKind::SoftIntelligence,
                        title: stream.title.to_owned(),
                        body: stream.body.to_owned(),
                        provider_id: provider,
                        provider_name: None,
                        experienced_on: Some(experienced),
                        sentiment: stream.sentiment,
                        information_source: InformationSource::OwnExperience,
                        raised_with_pals: false,
                        raised_as_complaint: false,
                        safety_concern: false,
                        themes: theme
                            .iter()
                            .map(|t| ThemeChoice {
                                theme_id: t.id,
                                polarity: if stream.sentiment == Sentiment::Positive {
                                    Polarity::Positive
                                } else {
                                    Polarity::Negative
                                },
                            })
                            .collect(),
                        tags: Vec::new(),
                        idempotency_key: Some(format!("demo-history-{n}")),
                        channel: Channel::Graphql,
                        share_name: false,
                    },
                )
                .await?;
                if !raised.created {
                    // Seeded before.
                    return Ok(());
                }
                let id = raised.item.id;
                // What happened to it: older reports were answered, at the PPG, at the
                // district or by the commissioners; the last two months' are still on their way.
                let age = months.len() - index;
                if age > 2 {
                    let secretary = first_member_of(db, ppg.id, Role::Secretary).await?;
                    match n % 3 {
                        0 => {
                            if let Some(secretary) = secretary {
                                answer(
                                    db,
                                    &as_member(secretary).await?,
                                    id,
                                    "The practice manager has raised it with the provider's patient experience team.",
                                    Outcome::NoAction,
                                )
                                .await?;
                            }
                        }
                        _ => {
                            if let Some(chair) = first_member_of(db, ppg.id, Role::Chair).await? {
                                items::act(
                                    db,
                                    &as_member(chair).await?,
                                    id,
                                    Action::new(Move::Escalate),
                                )
                                .await?;
                            }
                            let district_secretary = match ppg.parent_id {
                                Some(district) => {
                                    first_member_of(db, district, Role::Secretary).await?
                                }
                                None => None,
                            };
                            let Some(district_secretary) = district_secretary else {
                                continue;
                            };
                            let district_secretary = as_member(district_secretary).await?;
                            if n % 3 == 1 {
                                answer(
                                    db,
                                    &district_secretary,
                                    id,
                                    "The district raised it at the provider's quarterly meeting; the provider has changed its leaflet.",
                                    Outcome::ChangeMade,
                                )
                                .await?;
                            } else {
                                // Up to the council, which refers it to the commissioners;
                                // most are answered, some wait past their response clock.
                                items::act(
                                    db,
                                    &district_secretary,
                                    id,
                                    Action::new(Move::Escalate),
                                )
                                .await?;
                                items::act(db, &council_chair, id, Action::new(Move::Escalate))
                                    .await?;
                                if !n.is_multiple_of(4) {
                                    answer(
                                        db,
                                        &commissioner,
                                        id,
                                        "Raised at the CQRM with the provider, which has changed how it works.",
                                        if n.is_multiple_of(2) {
                                            Outcome::ChangeMade
                                        } else {
                                            Outcome::NoAction
                                        },
                                    )
                                    .await?;
                                }
                            }
                        }
                    }
                }
                timed.push((id, at_ten(experienced + Days::new(2))));
            }
        }
    }
    // A safety concern raised a fortnight ago, still waiting for the commissioners.
    if let Some(ppg) = reporting.first()
        && let Some(submitter) = first_member_of(db, ppg.id, Role::Member).await?
    {
        let experienced = today - Days::new(16);
        let raised = items::raise(
            db,
            &as_member(submitter).await?,
            RaiseItem {
                group_id: ppg.id,
                kind: ItemKind::Concern,
                title: "Ambulance did not come for a fall".to_owned(),
                body: "An elderly patient lay on the floor for hours after a fall before an ambulance came.".to_owned(),
                provider_id: provider::Entity::find()
                    .filter(provider::Column::Name.eq("Midlands Ambulance Service"))
                    .one(db)
                    .await?
                    .map(|p| ProviderId(p.id)),
                provider_name: None,
                experienced_on: Some(experienced),
                sentiment: Sentiment::Negative,
                information_source: InformationSource::FamilyOrCarer,
                raised_with_pals: false,
                raised_as_complaint: false,
                safety_concern: true,
                themes: Vec::new(),
                tags: Vec::new(),
                idempotency_key: Some("demo-history-safety".to_owned()),
                channel: Channel::Graphql,
                share_name: false,
            },
        )
        .await?;
        timed.push((raised.item.id, at_ten(experienced + Days::new(2))));
    }
    let working_days = items::clock::working_days(db, area).await?;
    backdate(db, &timed, working_days).await?;
    crate::services::patterns::rebuild(db, &Actor::System).await?;
    // The rebuild records what it found as happening now; the demo's happened when the
    // pattern's latest report came in.
    for found in pattern::Entity::find()
        .filter(pattern::Column::AreaId.eq(area.0))
        .all(db)
        .await?
    {
        pattern_event::Entity::update_many()
            .col_expr(pattern_event::Column::At, Expr::value(found.last_seen))
            .filter(pattern_event::Column::PatternId.eq(found.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

async fn answer(
    db: &DatabaseConnection,
    actor: &Actor,
    id: ItemId,
    note: &str,
    outcome: Outcome,
) -> AppResult<()> {
    items::act(
        db,
        actor,
        id,
        Action {
            note: Some(note.to_owned()),
            outcome: Some(outcome),
            ..Action::new(Move::Respond)
        },
    )
    .await?;
    Ok(())
}

fn at_ten(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(10, 0, 0).unwrap_or_default().and_utc()
}

/// Moves each item's raise to `raised`, each later step nine days after the one before, and
/// its referral, answer and due date with them.
async fn backdate(
    db: &DatabaseConnection,
    items: &[(ItemId, DateTime<Utc>)],
    working_days: i32,
) -> AppResult<()> {
    for (id, raised) in items {
        let events = item_event::Entity::find()
            .filter(item_event::Column::ItemId.eq(id.0))
            .order_by_asc(item_event::Column::Id)
            .all(db)
            .await?;
        let mut referred_at = None;
        let mut responded_at = None;
        for (step, event) in events.iter().enumerate() {
            let at = *raised + chrono::Duration::days(9 * step as i64);
            match event.kind.as_str() {
                "REFERRED" | "SAFETY_REFERRED" => referred_at = Some(at),
                "RESPONDED" => responded_at = Some(at),
                _ => {}
            }
            item_event::Entity::update_many()
                .col_expr(item_event::Column::At, Expr::value(at))
                .filter(item_event::Column::Id.eq(event.id))
                .exec(db)
                .await?;
        }
        let last = *raised + chrono::Duration::days(9 * events.len().saturating_sub(1) as i64);
        let mut update = item::Entity::update_many()
            .col_expr(item::Column::CreatedAt, Expr::value(*raised))
            .col_expr(item::Column::UpdatedAt, Expr::value(last))
            .filter(item::Column::Id.eq(id.0));
        if let Some(at) = referred_at {
            let due = crate::domain::clock::due_on(crate::domain::clock::uk_date(at), working_days);
            update = update
                .col_expr(item::Column::ReferredAt, Expr::value(at))
                .col_expr(item::Column::ResponseDueOn, Expr::value(due));
        }
        if let Some(at) = responded_at {
            update = update.col_expr(item::Column::RespondedAt, Expr::value(at));
        }
        update.exec(db).await?;
    }
    Ok(())
}
