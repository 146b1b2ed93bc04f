//! The demo pyramid, modelled on the reference area: one Patients' Council, its five District
//! Groups and a few PPGs each, members, representatives, providers, and API tokens for one
//! person in each role. Seeding again changes nothing but the tokens, which are re-issued
//! (a token is only ever shown when it is made).

mod activity;
mod consultations;
mod history;
mod people;

use sea_orm::DatabaseConnection;

use crate::domain::authz::{Actor, OrgRole};
use crate::domain::feedback::{Month, Source};
use crate::domain::group::GroupKind;
use crate::domain::member::Role;
use crate::domain::provider::ProviderKind;
use crate::domain::{GroupId, MemberId};
use crate::error::AppError;
use crate::error::AppResult;
use crate::services::{feedback, members, tokens};

use activity::seed_activity;
use people::{
    current_representative_on, find_or_create_group, find_or_create_provider, join, person,
    represent,
};

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
#[tracing::instrument(skip_all)]
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
    let mut ppg_chair = None;
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
        ppg_chair.get_or_insert(chair);
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
    grant_once(db, administrator, council.id, OrgRole::Administrator).await?;
    let commissioner = person(
        db,
        "Quality team commissioner",
        "quality@commissioner.example",
    )
    .await?;
    grant_once(db, commissioner, council.id, OrgRole::Commissioner).await?;

    seed_activity(
        db,
        &ppgs,
        districts.first().map(|d| d.id),
        council_chair,
        commissioner,
    )
    .await?;
    history::seed_history(db, council.id, &ppgs, council_chair, commissioner).await?;
    import_samples(db, council.id).await?;
    publish_monthly_report(db, council.id).await?;
    consultations::seed_consultations(db, council.id, &districts, &ppgs, commissioner).await?;

    let holders = [
        ("admin", Some(administrator)),
        ("commissioner", Some(commissioner)),
        ("district-secretary", district_secretary),
        ("council-chair", Some(council_chair)),
        ("council-member", Some(council_member)),
        ("ppg-chair", ppg_chair),
        ("ppg-member", ppg_member),
    ];
    // One person can hold two demo roles (the first PPG's chair also represents it on the
    // district and the council): revoke every earlier demo token first, then give each person
    // one token, printed for each of their roles.
    for member in holders.iter().filter_map(|(_, m)| *m) {
        tokens::revoke_labelled(db, member, TOKEN_LABEL).await?;
    }
    let mut secrets: Vec<(MemberId, String)> = Vec::new();
    let mut issued = Vec::new();
    for (role, member) in holders {
        let Some(member) = member else { continue };
        let secret = match secrets.iter().find(|(m, _)| *m == member) {
            Some((_, secret)) => secret.clone(),
            None => {
                let token = tokens::create(db, &actor, member, TOKEN_LABEL).await?;
                secrets.push((member, token.secret.clone()));
                token.secret
            }
        };
        issued.push(DemoToken { role, secret });
    }
    Ok(issued)
}

/// The repository's sample files (`samples/feedback/`), in the order they must go in.
const SAMPLES: [(Source, &str, &str); 5] = [
    (
        Source::OdsRegister,
        "ods-register.csv",
        include_str!("../../../samples/feedback/ods-register.csv"),
    ),
    (
        Source::Fft,
        "fft.csv",
        include_str!("../../../samples/feedback/fft.csv"),
    ),
    (
        Source::Complaints,
        "complaints.csv",
        include_str!("../../../samples/feedback/complaints.csv"),
    ),
    (
        Source::Pals,
        "pals.csv",
        include_str!("../../../samples/feedback/pals.csv"),
    ),
    (
        Source::CareOpinion,
        "care-opinion.csv",
        include_str!("../../../samples/feedback/care-opinion.csv"),
    ),
];

/// The months the sample files cover, in order.
const SAMPLE_MONTHS: [&str; 3] = ["2026-09", "2026-10", "2026-11"];

/// Imports the sample files as the last three whole months, so the demo's triangulation and
/// reports show a full quarter beside its items whenever it is run. A file imported already
/// is left as it is.
async fn import_samples(db: &DatabaseConnection, area: GroupId) -> AppResult<()> {
    let this_month = Month::of(crate::services::today());
    let months = [
        this_month.previous().previous().previous(),
        this_month.previous().previous(),
        this_month.previous(),
    ];
    for (source, name, text) in SAMPLES {
        let mut content = text.to_owned();
        // Placeholders first, so a month moved onto another sample month is not moved twice.
        for (n, sample) in SAMPLE_MONTHS.iter().enumerate() {
            content = content.replace(sample, &format!("@MONTH{n}@"));
        }
        for (n, month) in months.iter().enumerate() {
            content = content.replace(&format!("@MONTH{n}@"), &month.code());
        }
        let file = feedback::ImportFile {
            area,
            source,
            file_name: format!("samples/feedback/{name}"),
            content: content.into_bytes(),
            dry_run: false,
        };
        match feedback::import_file(db, &Actor::System, file).await {
            Ok(_) | Err(AppError::Conflict(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Publishes the area's monthly report for the last whole month, unless it is published.
async fn publish_monthly_report(db: &DatabaseConnection, area: GroupId) -> AppResult<()> {
    let month = Month::of(crate::services::today()).previous();
    let now = crate::services::now();
    match crate::services::reports::monthly::publish(db, &Actor::System, area, month, now).await {
        Ok(_) | Err(AppError::Conflict(_)) => Ok(()),
        Err(error) => Err(error),
    }
}

/// Gives a demo person a role in the demo area unless they hold it already.
async fn grant_once(
    db: &DatabaseConnection,
    member: MemberId,
    area: GroupId,
    role: OrgRole,
) -> AppResult<()> {
    match members::grant_area_role(db, &Actor::System, member, area, role).await {
        Ok(_) | Err(crate::error::AppError::Conflict(_)) => Ok(()),
        Err(error) => Err(error),
    }
}
