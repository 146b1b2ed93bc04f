//! The demo's quarter of activity: the reference case from raising to the published newsletter.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::domain::authz::Actor;
use crate::domain::group::Group;
use crate::domain::member::Role;
use crate::domain::{GroupId, MemberId};
use crate::entities::{membership as membership_db, provider as provider_db};
use crate::error::AppResult;
use crate::services::members;

/// A quarter's activity in the first district, modelled on the reference case: three PPGs
/// report the out-of-hours service, the district takes the reports up as one matter, the
/// council refers it, the commissioners answer, and the district publishes its newsletter.
/// Only seeded once (when there are no items yet).
pub(super) async fn seed_activity(
    db: &DatabaseConnection,
    ppgs: &[Group],
    district: Option<GroupId>,
    council_chair: MemberId,
    commissioner: MemberId,
) -> AppResult<()> {
    use crate::domain::item::{Channel, InformationSource, ItemKind, Move, Outcome, Sentiment};
    use crate::services::changes::{self, ChangeInput};
    use crate::services::items::{self, Action, RaiseItem};

    let Some(district) = district else {
        return Ok(());
    };
    if crate::entities::item::Entity::find()
        .one(db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let as_member = |id: MemberId| async move {
        members::principal(db, id)
            .await?
            .map(Actor::Member)
            .ok_or_else(|| crate::error::AppError::not_found("member"))
    };
    let out_of_hours = provider_db::Entity::find()
        .filter(provider_db::Column::Name.eq("Staffordshire Out-of-Hours GP Service"))
        .one(db)
        .await?
        .map(|p| crate::domain::ProviderId(p.id));
    // Each report names its theme: the out-of-hours GP service, a concern.
    let out_of_hours_themes: Vec<items::ThemeChoice> =
        crate::services::themes::by_slug(db, "urgent-out-of-hours")
            .await?
            .map(|theme| items::ThemeChoice {
                theme_id: theme.id,
                polarity: crate::domain::theme::Polarity::Negative,
            })
            .into_iter()
            .collect();
    let reports = [
        (
            "Hours waiting for an out-of-hours call-back",
            "A patient with a high temperature waited five hours overnight for a call-back from the out-of-hours service.",
        ),
        (
            "Out-of-hours doctor unreachable at weekend",
            "Two families told our meeting the out-of-hours line rang out on a Saturday evening.",
        ),
        (
            "No out-of-hours home visit for a frail patient",
            "A carer was told no home visit was possible and to take a frail patient to A&E instead.",
        ),
    ];
    let mut raised = Vec::new();
    for (index, (title, body)) in reports.iter().enumerate() {
        let Some(ppg) = ppgs.get(index) else { break };
        let submitter = first_member_of(db, ppg.id, Role::Member).await?;
        let Some(submitter) = submitter else { continue };
        let input = RaiseItem {
            group_id: ppg.id,
            kind: ItemKind::SoftIntelligence,
            title: (*title).to_owned(),
            body: (*body).to_owned(),
            provider_id: out_of_hours,
            provider_name: None,
            experienced_on: Some(
                crate::services::today() - chrono::Duration::days(30 + index as i64),
            ),
            sentiment: Sentiment::Negative,
            information_source: InformationSource::HeardFromAnotherPatient,
            raised_with_pals: false,
            raised_as_complaint: false,
            safety_concern: false,
            themes: out_of_hours_themes.clone(),
            tags: vec!["winter".to_owned()],
            idempotency_key: Some(format!("demo-{index}")),
            channel: Channel::Graphql,
            share_name: false,
        };
        let item = items::raise(db, &as_member(submitter).await?, input)
            .await?
            .item;
        // Each PPG's chair is its representative and takes the report to the district.
        if let Some(chair) = first_member_of(db, ppg.id, Role::Chair).await? {
            items::act(
                db,
                &as_member(chair).await?,
                item.id,
                Action::new(Move::Escalate),
            )
            .await?;
        }
        raised.push(item.id);
    }
    if let (Some(first), Some(secretary)) = (
        raised.first(),
        first_member_of(db, district, Role::Secretary).await?,
    ) {
        let secretary = as_member(secretary).await?;
        let together = Action {
            note: Some("Three PPGs, one service: taken up together.".to_owned()),
            link: raised[1..].to_vec(),
            ..Action::new(Move::Escalate)
        };
        items::act(db, &secretary, *first, together).await?;
        let refer = Action {
            note: Some("For the CQRM with the provider.".to_owned()),
            ..Action::new(Move::Escalate)
        };
        items::act(db, &as_member(council_chair).await?, *first, refer).await?;
        let commissioner = as_member(commissioner).await?;
        let today = crate::domain::clock::uk_date(crate::services::now());
        // The reference case's answer planned a change, and the change was made: "you said,
        // we did" in the newsletter, told as done because it was recorded so.
        let answer = Action {
            note: Some("The provider will add two evening call-back clinicians and audit weekend call answering every month.".to_owned()),
            outcome: Some(Outcome::ActionPlanned),
            change: Some(ChangeInput {
                owner: "the out-of-hours provider's clinical lead".to_owned(),
                due_on: today + chrono::Duration::days(28),
                owner_member_id: None,
            }),
            ..Action::new(Move::Respond)
        };
        items::act(db, &commissioner, *first, answer).await?;
        changes::record_made(
            db,
            &commissioner,
            *first,
            Some(today),
            Some("Two evening call-back clinicians started this week; the first weekend audit is done.".to_owned()),
        )
        .await?;
        // Two more referred matters whose answers planned changes: one still planned, and one
        // past its due date that has come back to the council to ask whether it was done.
        let council_chair = as_member(council_chair).await?;
        let planned = [
            (
                "Pharmacy closes before its advertised hours",
                "The pharmacy on the high street was shut at 5pm on two weekdays although its sign says 6pm.",
                "The pharmacy will keep its advertised hours and post any change a week ahead.",
                "the pharmacy contracts manager",
                -7,
            ),
            (
                "Test results letters arrive weeks late",
                "Several patients received letters about blood test results three weeks after the test.",
                "The practice will send results by text message and post letters within a week.",
                "the practice manager",
                60,
            ),
        ];
        for (index, (title, body, answer, owner, due_in)) in planned.iter().enumerate() {
            let Some(ppg) = ppgs.get(index) else { break };
            let Some(submitter) = first_member_of(db, ppg.id, Role::Member).await? else {
                continue;
            };
            let input = RaiseItem {
                group_id: ppg.id,
                kind: ItemKind::Concern,
                title: (*title).to_owned(),
                body: (*body).to_owned(),
                provider_id: None,
                provider_name: None,
                experienced_on: Some(crate::services::today() - chrono::Duration::days(20)),
                sentiment: Sentiment::Negative,
                information_source: InformationSource::OwnExperience,
                raised_with_pals: false,
                raised_as_complaint: false,
                safety_concern: false,
                themes: Vec::new(),
                tags: Vec::new(),
                idempotency_key: Some(format!("demo-planned-{index}")),
                channel: Channel::Graphql,
                share_name: false,
            };
            let item = items::raise(db, &as_member(submitter).await?, input)
                .await?
                .item;
            if let Some(chair) = first_member_of(db, ppg.id, Role::Chair).await? {
                items::act(
                    db,
                    &as_member(chair).await?,
                    item.id,
                    Action::new(Move::Escalate),
                )
                .await?;
            }
            items::act(db, &secretary, item.id, Action::new(Move::Escalate)).await?;
            items::act(db, &council_chair, item.id, Action::new(Move::Escalate)).await?;
            let answer = Action {
                note: Some((*answer).to_owned()),
                outcome: Some(Outcome::ActionPlanned),
                change: Some(ChangeInput {
                    owner: (*owner).to_owned(),
                    due_on: today + chrono::Duration::days((*due_in).max(0_i64)),
                    owner_member_id: None,
                }),
                ..Action::new(Move::Respond)
            };
            items::act(db, &commissioner, item.id, answer).await?;
            if *due_in < 0 {
                // The demo's quarter happens today; this answer is shown as given weeks ago,
                // its change due a week ago, so that it comes back now as it would have then.
                changes::backdate_for_demo(db, item.id, today + chrono::Duration::days(*due_in))
                    .await?;
            }
        }
        changes::return_due(db, crate::services::now()).await?;
        let today = crate::services::today();
        let draft = crate::services::newsletters::compile(
            db,
            &secretary,
            district,
            today - chrono::Duration::days(90),
            today,
        )
        .await?;
        crate::services::newsletters::update(
            db,
            &secretary,
            draft.id,
            None,
            Some("Thank you to every PPG that brought us feedback this quarter. Here is what happened to it.".to_owned()),
        )
        .await?;
        // The secretary reads the entries flagged for possible names; the demo's items name
        // nobody, so each is let stand.
        for entry in &draft.entries {
            if let (Some(id), crate::domain::newsletter::Review::Needed(_)) =
                (entry.id, &entry.review)
            {
                crate::services::newsletters::mark_entry_reviewed(db, &secretary, id).await?;
            }
        }
        crate::services::newsletters::publish(db, &secretary, draft.id).await?;
        // Translated by people, as a secretary would have it done: the title and introduction
        // in Welsh and in Urdu (right to left); the entries stay in English, marked so.
        for (language, title, introduction) in [
            (
                crate::domain::language::Language::Welsh,
                "Cylchlythyr y grŵp ardal",
                "Diolch i bob PPG a ddaeth ag adborth i ni y chwarter hwn. Dyma beth ddigwyddodd iddo.",
            ),
            (
                crate::domain::language::Language::Urdu,
                "ڈسٹرکٹ گروپ کا نیوز لیٹر",
                "ہر اس پی پی جی کا شکریہ جس نے اس سہ ماہی ہمیں اپنی رائے دی۔ یہاں بتایا گیا ہے کہ اس کے ساتھ کیا ہوا۔",
            ),
        ] {
            crate::services::newsletters::set_translation(
                db,
                &secretary,
                draft.id,
                language,
                title,
                introduction,
                &[],
            )
            .await?;
        }
    }
    Ok(())
}

/// The first current member of a group in a role.
pub(super) async fn first_member_of(
    db: &DatabaseConnection,
    group: GroupId,
    role: Role,
) -> AppResult<Option<MemberId>> {
    use sea_orm::QueryOrder;
    Ok(membership_db::Entity::find()
        .filter(membership_db::Column::GroupId.eq(group.0))
        .filter(membership_db::Column::Role.eq(role.as_str()))
        .filter(membership_db::Column::Until.is_null())
        .order_by_asc(membership_db::Column::Id)
        .one(db)
        .await?
        .map(|m| MemberId(m.member_id)))
}
