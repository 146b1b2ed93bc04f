//! The demo pyramid, modelled on the reference area: one Patients' Council, its five District
//! Groups and a few PPGs each, members, representatives, providers, and API tokens for one
//! person in each role. Seeding again changes nothing but the tokens, which are re-issued
//! (a token is only ever shown when it is made).

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::members::{AddMember, MemberRef, Nomination};
use super::{groups, members, providers, tokens};
use crate::domain::authz::Actor;
use crate::domain::group::{Group, GroupKind};
use crate::domain::member::Role;
use crate::domain::provider::ProviderKind;
use crate::domain::{GroupId, MemberId};
use crate::entities::{
    group as group_db, member as member_db, membership as membership_db, provider as provider_db,
};
use crate::error::AppResult;

const COUNCIL: &str = "Staffordshire Patients' Council";
const TOKEN_LABEL: &str = "demo";

/// Districts of the reference area and a few (fictional) PPGs in each.
const DISTRICTS: [(&str, &[(&str, &str)]); 5] = [
    (
        "Stafford Borough",
        &[
            ("Riverside Surgery PPG", "M83001"),
            ("Castle Street Practice PPG", "M83002"),
            ("Weeping Cross Health Centre PPG", "M83003"),
        ],
    ),
    (
        "Cannock Chase",
        &[
            ("Chadsmoor Medical Practice PPG", "M83011"),
            ("Hednesford Valley PPG", "M83012"),
            ("Rugeley Health Centre PPG", "M83013"),
        ],
    ),
    (
        "Seisdon",
        &[
            ("Wombourne Surgery PPG", "M83021"),
            ("Codsall Village Practice PPG", "M83022"),
        ],
    ),
    (
        "Burntwood, Lichfield & Tamworth",
        &[
            ("Cathedral Close Surgery PPG", "M83031"),
            ("Burntwood Health Centre PPG", "M83032"),
            ("Tamworth Castle Practice PPG", "M83033"),
        ],
    ),
    (
        "East Staffordshire",
        &[
            ("Trent Valley Surgery PPG", "M83041"),
            ("Uttoxeter Road Practice PPG", "M83042"),
        ],
    ),
];

const PROVIDERS: [(&str, ProviderKind, &str, &[&str]); 4] = [
    (
        "Trentvale Hospitals NHS Trust",
        ProviderKind::AcuteTrust,
        "RX1",
        &["Emergency Department", "Maternity Unit"],
    ),
    (
        "Chase Mental Health NHS Foundation Trust",
        ProviderKind::MentalHealthTrust,
        "RX2",
        &["Crisis Team"],
    ),
    (
        "Staffordshire Out-of-Hours GP Service",
        ProviderKind::OutOfHours,
        "RX3",
        &[],
    ),
    (
        "Midlands Ambulance Service",
        ProviderKind::AmbulanceTrust,
        "RX4",
        &[],
    ),
];

/// The people who get demo tokens, in the order they are printed.
pub struct DemoToken {
    pub role: &'static str,
    pub secret: String,
}

/// Seeds the demo pyramid (idempotent) and issues a fresh token for each demo role.
pub async fn seed(db: &DatabaseConnection) -> AppResult<Vec<DemoToken>> {
    let actor = Actor::System;
    let council = find_or_create_group(db, GroupKind::Council, COUNCIL, None, None).await?;
    let mut districts = Vec::new();
    let mut ppgs = Vec::new();
    for (district_name, practices) in DISTRICTS {
        let district = find_or_create_group(
            db,
            GroupKind::District,
            district_name,
            Some(council.id),
            None,
        )
        .await?;
        for (name, code) in practices {
            ppgs.push(
                find_or_create_group(db, GroupKind::Ppg, name, Some(district.id), Some(code))
                    .await?,
            );
        }
        districts.push(district);
    }
    for (name, kind, ods, services) in PROVIDERS {
        let organisation = find_or_create_provider(db, name, kind, Some(ods), None).await?;
        for service in services {
            find_or_create_provider(db, service, ProviderKind::Service, None, Some(organisation))
                .await?;
        }
    }

    // Every PPG has a chair, a secretary and a few members; its chair represents it.
    let mut ppg_member = None;
    for (index, ppg) in ppgs.iter().enumerate() {
        let chair = person(
            db,
            &format!("PPG chair {}", index + 1),
            &format!("chair{}@ppg.example", index + 1),
        )
        .await?;
        let secretary = person(
            db,
            &format!("PPG secretary {}", index + 1),
            &format!("secretary{}@ppg.example", index + 1),
        )
        .await?;
        join(db, chair, ppg.id, Role::Chair).await?;
        join(db, secretary, ppg.id, Role::Secretary).await?;
        for n in 1..=3 {
            let member = person(
                db,
                &format!("PPG member {}.{n}", index + 1),
                &format!("member{}.{n}@ppg.example", index + 1),
            )
            .await?;
            join(db, member, ppg.id, Role::Member).await?;
            ppg_member.get_or_insert(member);
        }
        represent(db, &actor, chair, ppg.id).await?;
    }

    // Each district has a secretary, and sends its first PPG's chair on to the council.
    let mut district_secretary = None;
    for (index, district) in districts.iter().enumerate() {
        let secretary = person(
            db,
            &format!("District secretary {}", index + 1),
            &format!("secretary@district{}.example", index + 1),
        )
        .await?;
        join(db, secretary, district.id, Role::Secretary).await?;
        district_secretary.get_or_insert(secretary);
        if let Some(first_rep) = current_representative_on(db, district.id).await? {
            represent(db, &actor, first_rep, district.id).await?;
        }
    }
    let council_chair = person(db, "Council chair", "chair@council.example").await?;
    join(db, council_chair, council.id, Role::Chair).await?;
    let council_member = current_representative_on(db, council.id)
        .await?
        .unwrap_or(council_chair);

    let administrator = person(db, "Demo administrator", "admin@pyramid.example").await?;
    members::set_organisation_roles(db, &actor, administrator, Some(true), None).await?;
    let commissioner = person(
        db,
        "Quality team commissioner",
        "quality@commissioner.example",
    )
    .await?;
    members::set_organisation_roles(db, &actor, commissioner, None, Some(true)).await?;

    seed_activity(
        db,
        &ppgs,
        districts.first().map(|d| d.id),
        council_chair,
        commissioner,
    )
    .await?;

    let holders = [
        ("admin", Some(administrator)),
        ("commissioner", Some(commissioner)),
        ("district-secretary", district_secretary),
        ("council-member", Some(council_member)),
        ("ppg-member", ppg_member),
    ];
    let mut issued = Vec::new();
    for (role, member) in holders {
        let Some(member) = member else { continue };
        tokens::revoke_labelled(db, member, TOKEN_LABEL).await?;
        let token = tokens::create(db, &actor, member, TOKEN_LABEL).await?;
        issued.push(DemoToken {
            role,
            secret: token.secret,
        });
    }
    Ok(issued)
}

async fn find_or_create_group(
    db: &DatabaseConnection,
    kind: GroupKind,
    name: &str,
    parent_id: Option<GroupId>,
    practice_code: Option<&str>,
) -> AppResult<Group> {
    let mut query = group_db::Entity::find().filter(group_db::Column::Kind.eq(kind.as_str()));
    query = match practice_code {
        Some(code) => query.filter(group_db::Column::PracticeCode.eq(code)),
        None => query.filter(group_db::Column::Name.eq(name)),
    };
    if let Some(existing) = query.one(db).await? {
        return groups::from_model(existing);
    }
    let new = groups::NewGroup {
        kind,
        name: name.to_owned(),
        parent_id,
        practice_code: practice_code.map(str::to_owned),
    };
    groups::create(db, &Actor::System, new).await
}

async fn find_or_create_provider(
    db: &DatabaseConnection,
    name: &str,
    kind: ProviderKind,
    ods_code: Option<&str>,
    parent: Option<crate::domain::ProviderId>,
) -> AppResult<crate::domain::ProviderId> {
    let existing = provider_db::Entity::find()
        .filter(provider_db::Column::Name.eq(name))
        .one(db)
        .await?;
    if let Some(existing) = existing {
        return Ok(crate::domain::ProviderId(existing.id));
    }
    let new = providers::NewProvider {
        name: name.to_owned(),
        kind,
        ods_code: ods_code.map(str::to_owned),
        parent_id: parent,
    };
    Ok(providers::create(db, &Actor::System, new).await?.id)
}

/// Finds a demo person by e-mail, or adds them to Pyramid (without a group yet).
async fn person(db: &DatabaseConnection, name: &str, email: &str) -> AppResult<MemberId> {
    let existing = member_db::Entity::find()
        .filter(member_db::Column::Email.eq(email))
        .one(db)
        .await?;
    if let Some(existing) = existing {
        return Ok(MemberId(existing.id));
    }
    let member = crate::entities::member::ActiveModel {
        name: sea_orm::Set(name.to_owned()),
        email: sea_orm::Set(Some(email.to_owned())),
        administrator: sea_orm::Set(false),
        commissioner: sea_orm::Set(false),
        created_at: sea_orm::Set(super::now()),
        ..Default::default()
    };
    let model = sea_orm::ActiveModelTrait::insert(member, db).await?;
    Ok(MemberId(model.id))
}

async fn current_membership(
    db: &DatabaseConnection,
    member: MemberId,
    group: GroupId,
) -> AppResult<bool> {
    Ok(membership_db::Entity::find()
        .filter(membership_db::Column::MemberId.eq(member.0))
        .filter(membership_db::Column::GroupId.eq(group.0))
        .filter(membership_db::Column::Until.is_null())
        .one(db)
        .await?
        .is_some())
}

async fn join(
    db: &DatabaseConnection,
    member: MemberId,
    group: GroupId,
    role: Role,
) -> AppResult<()> {
    if !current_membership(db, member, group).await? {
        let add = AddMember {
            group_id: group,
            member: MemberRef::Existing(member),
            role,
            since: None,
        };
        members::add_member(db, &Actor::System, add).await?;
    }
    Ok(())
}

/// Nominates `member` as the representative of `group` on its parent, unless the group
/// already has one there.
async fn represent(
    db: &DatabaseConnection,
    actor: &Actor,
    member: MemberId,
    group: GroupId,
) -> AppResult<()> {
    let existing = membership_db::Entity::find()
        .filter(membership_db::Column::RepresentsGroupId.eq(group.0))
        .filter(membership_db::Column::Until.is_null())
        .one(db)
        .await?;
    if existing.is_none() {
        let nomination = Nomination {
            group_id: group,
            member_id: member,
            since: None,
        };
        members::nominate(db, actor, nomination).await?;
    }
    Ok(())
}

/// The first current representative sitting on `group`.
async fn current_representative_on(
    db: &DatabaseConnection,
    group: GroupId,
) -> AppResult<Option<MemberId>> {
    Ok(membership_db::Entity::find()
        .filter(membership_db::Column::GroupId.eq(group.0))
        .filter(membership_db::Column::Role.eq(Role::Representative.as_str()))
        .filter(membership_db::Column::Until.is_null())
        .one(db)
        .await?
        .map(|m| MemberId(m.member_id)))
}

/// A quarter's activity in the first district, modelled on the reference case: three PPGs
/// report the out-of-hours service, the district takes the reports up as one matter, the
/// council refers it, the commissioners answer, and the district publishes its newsletter.
/// Only seeded once (when there are no items yet).
async fn seed_activity(
    db: &DatabaseConnection,
    ppgs: &[Group],
    district: Option<GroupId>,
    council_chair: MemberId,
    commissioner: MemberId,
) -> AppResult<()> {
    use super::items::{self, Action, RaiseItem};
    use crate::domain::item::{Channel, InformationSource, ItemKind, Move, Outcome, Sentiment};

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
            experienced_on: Some(super::today() - chrono::Duration::days(30 + index as i64)),
            sentiment: Sentiment::Negative,
            information_source: InformationSource::HeardFromAnotherPatient,
            raised_with_pals: false,
            raised_as_complaint: false,
            safety_concern: false,
            themes: vec!["out of hours".to_owned(), "access".to_owned()],
            idempotency_key: Some(format!("demo-{index}")),
            channel: Channel::Graphql,
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
        let answer = Action {
            note: Some("The provider has added two evening call-back clinicians and now audits weekend call answering every month.".to_owned()),
            outcome: Some(Outcome::ChangeMade),
            ..Action::new(Move::Respond)
        };
        items::act(db, &as_member(commissioner).await?, *first, answer).await?;
        let today = super::today();
        let draft = super::newsletters::compile(
            db,
            &secretary,
            district,
            today - chrono::Duration::days(90),
            today,
        )
        .await?;
        super::newsletters::update(
            db,
            &secretary,
            draft.id,
            None,
            Some("Thank you to every PPG that brought us feedback this quarter. Here is what happened to it.".to_owned()),
        )
        .await?;
        super::newsletters::publish(db, &secretary, draft.id).await?;
    }
    Ok(())
}

/// The first current member of a group in a role.
async fn first_member_of(
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
