//! The demo's register of consultations: a handful across the current financial year (one
//! closed and changed by what was heard, one that shaped a decision, one running, one
//! planned), one from last year and one planned for next year, linked to the demo's groups,
//! its out-of-hours reports and its newsletter; and this year's consultation report,
//! published so it can be read at once. Recorded only once (when the area has none yet).

use chrono::{Duration, NaiveDate};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::authz::Actor;
use crate::domain::consultation::{FinancialYear, InfluenceLevel, Method};
use crate::domain::group::Group;
use crate::domain::newsletter::NewsletterStatus;
use crate::domain::{GroupId, ItemId, MemberId, NewsletterId};
use crate::entities::{
    consultation as consultation_db, item as item_db, newsletter as newsletter_db,
};
use crate::error::{AppError, AppResult};
use crate::services::{consultations, members};

/// One demo consultation: what is typed into the register.
struct Entry {
    title: &'static str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    method: Method,
    people: Option<i32>,
    who: &'static str,
    heard: Option<&'static str>,
    decision: Option<&'static str>,
    influence: Option<&'static str>,
    level: Option<InfluenceLevel>,
    groups: Vec<GroupId>,
    items: Vec<ItemId>,
    newsletters: Vec<NewsletterId>,
}

/// Records the demo consultations (once) and publishes this year's report (once).
pub(super) async fn seed_consultations(
    db: &DatabaseConnection,
    council: GroupId,
    districts: &[Group],
    ppgs: &[Group],
    commissioner: MemberId,
) -> AppResult<()> {
    let actor = members::principal(db, commissioner)
        .await?
        .map(Actor::Member)
        .ok_or_else(|| AppError::not_found("member"))?;
    let today = crate::domain::clock::uk_date(crate::services::now());
    let year = FinancialYear::of(today);
    let recorded = consultation_db::Entity::find()
        .filter(consultation_db::Column::AreaId.eq(council.0))
        .one(db)
        .await?
        .is_some();
    if !recorded {
        for entry in entries(db, council, districts, ppgs, today, year).await? {
            let new = consultations::NewConsultation {
                area_id: council,
                title: entry.title.to_owned(),
                starts_on: entry.starts_on,
                ends_on: entry.ends_on,
                method: entry.method,
                people_involved: entry.people,
                who_was_involved: entry.who.to_owned(),
                what_was_heard: entry.heard.map(str::to_owned),
                decision: entry.decision.map(str::to_owned),
                influence: entry.influence.map(str::to_owned),
                influence_level: entry.level,
                group_ids: entry.groups,
                item_ids: entry.items,
                newsletter_ids: entry.newsletters,
            };
            consultations::create(db, &actor, new).await?;
        }
    }
    match consultations::publish_report(db, &actor, council, year).await {
        Ok(_) | Err(AppError::Conflict(_)) => Ok(()),
        Err(error) => Err(error),
    }
}

async fn entries(
    db: &DatabaseConnection,
    council: GroupId,
    districts: &[Group],
    ppgs: &[Group],
    today: NaiveDate,
    year: FinancialYear,
) -> AppResult<Vec<Entry>> {
    let first_district = districts.first().map(|d| d.id);
    let of_district = |district: Option<GroupId>| -> Vec<GroupId> {
        district
            .into_iter()
            .chain(
                ppgs.iter()
                    .filter(|p| p.parent_id == district)
                    .map(|p| p.id),
            )
            .collect()
    };
    let out_of_hours_reports: Vec<ItemId> = item_db::Entity::find()
        .filter(item_db::Column::AreaId.eq(council.0))
        .order_by_asc(item_db::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .take(3)
        .map(|i| ItemId(i.id))
        .collect();
    let newsletter: Vec<NewsletterId> = newsletter_db::Entity::find()
        .filter(newsletter_db::Column::Status.eq(NewsletterStatus::Published.as_str()))
        .order_by_asc(newsletter_db::Column::Id)
        .one(db)
        .await?
        .map(|n| NewsletterId(n.id))
        .into_iter()
        .collect();
    let start = year.starts_on();
    let end = year.ends_on();
    let days = Duration::days;
    let running_from = (today - days(20)).max(start);
    Ok(vec![
        Entry {
            title: "Out-of-hours GP service: what patients need from the new contract",
            starts_on: start + days(20),
            ends_on: start + days(62),
            method: Method::Survey,
            people: Some(412),
            who: "Patients of the PPGs in Stafford Borough, the district group, and the carers' forum",
            heard: Some(
                "Long waits for a call-back at night and at weekends were the main worry, above all for parents of young children and for carers of frail people. Many did not know the service could visit at home.",
            ),
            decision: Some("The service specification for the new out-of-hours GP contract."),
            influence: Some(
                "A call-back within two hours for children under five and frail patients was written into the specification, and the provider must publish its call-back times each month.",
            ),
            level: Some(InfluenceLevel::Changed),
            groups: of_district(first_district),
            items: out_of_hours_reports,
            newsletters: newsletter,
        },
        Entry {
            title: "Moving the minor injuries unit to the community hospital",
            starts_on: start + days(100),
            ends_on: start + days(140),
            method: Method::PublicMeeting,
            people: Some(186),
            who: "Residents of Cannock Chase at three public meetings, and the district's PPGs",
            heard: Some(
                "People accepted the move but worried about getting there without a car and about evening opening.",
            ),
            decision: Some("Whether to move the minor injuries unit, and on what terms."),
            influence: Some(
                "The move goes ahead with a bus stop at the entrance and opening until 9 pm, as people asked.",
            ),
            level: Some(InfluenceLevel::Shaped),
            groups: of_district(districts.get(1).map(|d| d.id)),
            items: Vec::new(),
            newsletters: Vec::new(),
        },
        Entry {
            title: "Ordering repeat prescriptions online",
            starts_on: running_from,
            ends_on: (running_from + days(50)).min(end).max(running_from),
            method: Method::Online,
            people: None,
            who: "Patients across the area, through their practices' websites and PPGs",
            heard: None,
            decision: Some("How repeat prescriptions are ordered from next April."),
            influence: None,
            level: Some(InfluenceLevel::NotYetKnown),
            groups: vec![council],
            items: Vec::new(),
            newsletters: Vec::new(),
        },
        Entry {
            title: "Patient transport: who should be eligible",
            starts_on: end - days(55),
            ends_on: end - days(20),
            method: Method::PpgDiscussion,
            people: None,
            who: "Every PPG, through its district group",
            heard: None,
            decision: Some("The eligibility criteria in the next patient transport contract."),
            influence: None,
            level: None,
            groups: districts.iter().map(|d| d.id).collect(),
            items: Vec::new(),
            newsletters: Vec::new(),
        },
        Entry {
            title: "Maternity services listening events",
            starts_on: year.previous().starts_on() + days(150),
            ends_on: year.previous().starts_on() + days(190),
            method: Method::FocusGroup,
            people: Some(64),
            who: "Parents who had a baby at the county's maternity unit in the last two years",
            heard: Some("Continuity of midwife mattered more than anything else."),
            decision: Some("The local maternity plan."),
            influence: Some("The plan kept continuity of carer as its first aim."),
            level: Some(InfluenceLevel::Confirmed),
            groups: vec![council],
            items: Vec::new(),
            newsletters: Vec::new(),
        },
        Entry {
            title: "Crisis support for mental health: what should change",
            starts_on: year.next().starts_on() + days(30),
            ends_on: year.next().starts_on() + days(75),
            method: Method::Workshop,
            people: None,
            who: "People who have used the crisis team, their families, and the council's PPG representatives",
            heard: None,
            decision: Some("The crisis care pathway to be commissioned from 2028."),
            influence: None,
            level: None,
            groups: vec![council],
            items: Vec::new(),
            newsletters: Vec::new(),
        },
    ])
}
