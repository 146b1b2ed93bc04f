//! The structure of the synthetic pyramid: councils, districts and PPGs, a member per PPG, the
//! commissioner and district secretary whose tokens the queries use, and the providers.

use chrono::{DateTime, Utc};
use pyramid::domain::authz::OrgRole;
use pyramid::domain::group::GroupKind;
use pyramid::domain::member::Role;
use pyramid::domain::provider::ProviderKind;
use pyramid::entities::{area_role, group, member, membership, provider};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::ConnectionTrait;

use crate::fixture::{COMMISSIONER_EMAIL, SECRETARY_EMAIL};
use crate::load::{NextIds, Shape, insert_all};

const PROVIDERS: [(&str, ProviderKind); 8] = [
    ("Bench Acute Hospitals NHS Trust", ProviderKind::AcuteTrust),
    (
        "Bench Mental Health NHS Foundation Trust",
        ProviderKind::MentalHealthTrust,
    ),
    (
        "Bench Community Health Services",
        ProviderKind::CommunityTrust,
    ),
    ("Bench Ambulance Service", ProviderKind::AmbulanceTrust),
    ("Bench Out-of-Hours GP Service", ProviderKind::OutOfHours),
    ("Bench Minor Injuries Unit", ProviderKind::Service),
    ("Bench Patient Transport", ProviderKind::Service),
    ("Bench Community Pharmacy Group", ProviderKind::Other),
];

/// The ids of what was loaded before the items, which the items refer to.
pub struct Pyramid {
    pub councils: Vec<i64>,
    pub districts: Vec<i64>,
    pub ppgs: Vec<i64>,
    /// One member per PPG, in the same order, who raises its items.
    pub submitters: Vec<i64>,
    pub providers: Vec<i64>,
}

/// Inserts the groups, members, memberships and providers of `shape`.
pub async fn load(
    txn: &impl ConnectionTrait,
    shape: Shape,
    next: &mut NextIds,
    now: DateTime<Utc>,
) -> anyhow::Result<Pyramid> {
    // The pyramid: councils, their districts, their PPGs (district d is under council
    // d % councils, PPG p under district p % districts).
    let councils: Vec<i64> = (0..shape.councils).map(|n| next.group + n as i64).collect();
    next.group += shape.councils as i64;
    let districts: Vec<i64> = (0..shape.districts)
        .map(|n| next.group + n as i64)
        .collect();
    next.group += shape.districts as i64;
    let ppgs: Vec<i64> = (0..shape.ppgs).map(|n| next.group + n as i64).collect();
    let mut groups = Vec::new();
    for (n, id) in councils.iter().enumerate() {
        let row = GroupRow {
            id: *id,
            kind: GroupKind::Council,
            name: format!("Bench Council {}", n + 1),
            parent: None,
            practice_code: None,
            area: *id,
        };
        groups.push(group_row(row, now));
    }
    let area_of_district = |n: usize| councils[n % councils.len()];
    for (n, id) in districts.iter().enumerate() {
        let row = GroupRow {
            id: *id,
            kind: GroupKind::District,
            name: format!("Bench District {}", n + 1),
            parent: Some(area_of_district(n)),
            practice_code: None,
            area: area_of_district(n),
        };
        groups.push(group_row(row, now));
    }
    for (n, id) in ppgs.iter().enumerate() {
        let row = GroupRow {
            id: *id,
            kind: GroupKind::Ppg,
            name: format!("Bench PPG {}", n + 1),
            parent: Some(districts[n % districts.len()]),
            practice_code: Some(format!("B{:05}", n + 1)),
            area: area_of_district(n % districts.len()),
        };
        groups.push(group_row(row, now));
    }
    insert_all(txn, groups, 2_000).await?;

    // One member per PPG (who raises its items), a commissioner and a district secretary.
    let submitters: Vec<i64> = (0..shape.ppgs).map(|n| next.member + n as i64).collect();
    let commissioner = next.member + shape.ppgs as i64;
    let secretary = commissioner + 1;
    let mut members = Vec::new();
    let mut memberships = Vec::new();
    for (n, id) in submitters.iter().enumerate() {
        members.push(member_row(
            *id,
            format!("Bench Member {}", n + 1),
            format!("member-{}@bench.example.org", n + 1),
            now,
        ));
        memberships.push(membership_row(*id, ppgs[n], Role::Member, now));
    }
    members.push(member_row(
        commissioner,
        "Bench Commissioner".to_owned(),
        COMMISSIONER_EMAIL.to_owned(),
        now,
    ));
    members.push(member_row(
        secretary,
        "Bench District Secretary".to_owned(),
        SECRETARY_EMAIL.to_owned(),
        now,
    ));
    memberships.push(membership_row(
        secretary,
        districts[0],
        Role::Secretary,
        now,
    ));
    insert_all(txn, members, 2_000).await?;
    insert_all(txn, memberships, 2_000).await?;
    // The commissioner is in the quality team of the first area, whose dashboard is measured.
    let role = area_role::ActiveModel {
        id: NotSet,
        member_id: Set(commissioner),
        area_id: Set(councils[0]),
        role: Set(OrgRole::Commissioner.as_str().to_owned()),
        since: Set(now),
        until: Set(None),
        granted_by: Set(None),
    };
    insert_all(txn, vec![role], 1).await?;

    let providers: Vec<i64> = (0..PROVIDERS.len())
        .map(|n| next.provider + n as i64)
        .collect();
    let provider_rows = PROVIDERS
        .iter()
        .zip(&providers)
        .map(|((name, kind), id)| provider::ActiveModel {
            id: Set(*id),
            name: Set((*name).to_owned()),
            kind: Set(kind.as_str().to_owned()),
            ods_code: Set(None),
            parent_id: Set(None),
            created_at: Set(now),
            import_id: Set(None),
        })
        .collect();
    insert_all(txn, provider_rows, 100).await?;

    Ok(Pyramid {
        councils,
        districts,
        ppgs,
        submitters,
        providers,
    })
}

/// A group row in `area` (its council).
struct GroupRow {
    id: i64,
    kind: GroupKind,
    name: String,
    parent: Option<i64>,
    practice_code: Option<String>,
    area: i64,
}

fn group_row(row: GroupRow, now: DateTime<Utc>) -> group::ActiveModel {
    group::ActiveModel {
        id: Set(row.id),
        kind: Set(row.kind.as_str().to_owned()),
        name: Set(row.name),
        parent_id: Set(row.parent),
        practice_code: Set(row.practice_code),
        area_id: Set(Some(row.area)),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn member_row(id: i64, name: String, email: String, now: DateTime<Utc>) -> member::ActiveModel {
    member::ActiveModel {
        id: Set(id),
        name: Set(name),
        email: Set(Some(email)),
        created_at: Set(now),
        email_confirmed_at: NotSet,
        delivery_preference: NotSet,
    }
}

fn membership_row(
    member: i64,
    group: i64,
    role: Role,
    now: DateTime<Utc>,
) -> membership::ActiveModel {
    membership::ActiveModel {
        id: NotSet,
        member_id: Set(member),
        group_id: Set(group),
        role: Set(role.as_str().to_owned()),
        represents_group_id: Set(None),
        since: Set(now.date_naive()),
        until: Set(None),
        created_at: Set(now),
    }
}
