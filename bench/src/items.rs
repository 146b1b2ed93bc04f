//! The synthetic items: five years of them, oldest first, each with its trail of events and
//! the groups it reached, from a fixed seed.

use std::time::Instant;

use chrono::{DateTime, Datelike, Utc};
use pyramid::domain::RedactedText;
use pyramid::domain::item::{self as domain, EventKind, Status};
use pyramid::entities::{item, item_event, item_group};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;

use crate::journey::{Journey, RAISE};
use crate::load::{NextIds, insert_all};
use crate::report::thousands;
use crate::structure::Pyramid;

const TITLES: [&str; 8] = [
    "Long waits for out-of-hours call-backs",
    "Hard to get a same-day appointment",
    "Discharge letter not sent to the practice",
    "Friendly and quick service at the walk-in centre",
    "Confusing letters about a hospital appointment",
    "Prescription not ready when promised",
    "Ambulance took over an hour to arrive",
    "Could the surgery open on Saturday mornings?",
];

const BODIES: [&str; 4] = [
    "A patient told our meeting that they waited most of the evening for a call-back and in the end went to A&E instead.",
    "Several people said the phone line is engaged from eight o'clock and all appointments are gone by half past.",
    "The family were not told what would happen after discharge and the practice had no letter a week later.",
    "Staff were kind and explained everything clearly; the patient would recommend the service to others.",
];

/// Inserts `total` items spread over `pyramid`'s PPGs and the five years before `now`.
pub async fn load(
    conn: &impl ConnectionTrait,
    pyramid: &Pyramid,
    total: usize,
    next: &mut NextIds,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Pyramid {
        councils,
        districts,
        ppgs,
        submitters,
        providers,
    } = pyramid;
    let mut rng = SmallRng::seed_from_u64(20_261_122);
    // The texts are redacted once, as the items service would redact each.
    let titles: Vec<RedactedText> = TITLES.iter().map(|t| RedactedText::scrub(t)).collect();
    let bodies: Vec<RedactedText> = BODIES.iter().map(|b| RedactedText::scrub(b)).collect();
    let taken_up = RedactedText::scrub("Taken up at the quarterly meeting.");
    let answered = RedactedText::scrub("The provider has added evening call-back clinicians.");
    let span = chrono::Duration::days(5 * 365).num_seconds();
    let start = now - chrono::Duration::seconds(span);
    let began = Instant::now();
    let chunk = 1_000;
    let mut done = 0;
    while done < total {
        let size = chunk.min(total - done);
        let mut items = Vec::with_capacity(size);
        let mut events = Vec::with_capacity(size * 2);
        let mut reached = Vec::with_capacity(size * 2);
        for n in done..done + size {
            let id = next.item;
            next.item += 1;
            let ppg = rng.random_range(0..ppgs.len());
            let tiers = [
                ppgs[ppg],
                districts[ppg % districts.len()],
                councils[(ppg % districts.len()) % councils.len()],
            ];
            let created = start
                + chrono::Duration::seconds(span * n as i64 / total as i64)
                + chrono::Duration::seconds(rng.random_range(0..3_600));
            let journey = Journey::of(rng.random_range(0..1000));
            let mut at = created.min(now);
            let mut referred_at = None;
            let mut responded_at = None;
            let mut last_event = 0;
            let mut deepest = None;
            for (k, step) in journey.steps().iter().enumerate() {
                if k > 0 {
                    at = (at + chrono::Duration::seconds(rng.random_range(86_400..30 * 86_400)))
                        .min(now);
                }
                last_event = next.event;
                next.event += 1;
                events.push(item_event::ActiveModel {
                    id: Set(last_event),
                    item_id: Set(id),
                    at: Set(at),
                    actor_id: Set((k == 0).then_some(submitters[ppg])),
                    kind: Set(step.kind.as_str().to_owned()),
                    from_status: Set(step.from.map(|s| s.as_str().to_owned())),
                    to_status: Set(step.to.as_str().to_owned()),
                    from_group_id: Set(step.from_tier.map(|t| tiers[t])),
                    group_id: Set(tiers[step.tier]),
                    note: Set(match step.kind {
                        EventKind::Escalated => Some(taken_up.clone()),
                        EventKind::Responded => Some(answered.clone()),
                        _ => None,
                    }),
                    outcome: Set(
                        (step.kind == EventKind::Responded).then(|| "CHANGE_MADE".to_owned())
                    ),
                    meeting_id: Set(None),
                });
                // A safety concern reaches every tier above its PPG when it is raised.
                let reaches = if step.kind == EventKind::SafetyReferred {
                    2
                } else {
                    step.tier
                };
                while deepest.is_none_or(|d| reaches > d) {
                    let tier = deepest.map_or(0, |d| d + 1);
                    deepest = Some(tier);
                    reached.push(item_group::ActiveModel {
                        item_id: Set(id),
                        group_id: Set(tiers[tier]),
                        reached_at: Set(at),
                    });
                }
                match step.to {
                    Status::Referred => referred_at = Some(at),
                    Status::Responded => responded_at = Some(at),
                    _ => {}
                }
            }
            let last = journey.steps().last().copied().unwrap_or(RAISE);
            let kind = match rng.random_range(0..10) {
                0..=5 => "SOFT_INTELLIGENCE",
                6 => "CONCERN",
                7 => "SUGGESTION",
                8 => "COMPLIMENT",
                _ => "QUESTION",
            };
            let sentiment = match rng.random_range(0..10) {
                0..=5 => "NEGATIVE",
                6 | 7 => "MIXED",
                _ => "POSITIVE",
            };
            items.push(item::ActiveModel {
                id: Set(id),
                reference: Set(domain::reference(created.year(), id)),
                kind: Set(kind.to_owned()),
                title: Set(titles[rng.random_range(0..titles.len())].clone()),
                body: Set(bodies[rng.random_range(0..bodies.len())].clone()),
                provider_id: Set((rng.random_range(0..10) != 0)
                    .then(|| providers[rng.random_range(0..providers.len())])),
                provider_name: Set(None),
                experienced_on: Set(Some(
                    (created - chrono::Duration::days(rng.random_range(0..14))).date_naive(),
                )),
                sentiment: Set(sentiment.to_owned()),
                information_source: Set("OWN_EXPERIENCE".to_owned()),
                raised_with_pals: Set(false),
                raised_as_complaint: Set(false),
                safety_concern: Set(journey == Journey::SafetyReferred),
                origin_group_id: Set(tiers[0]),
                current_group_id: Set(tiers[last.tier]),
                status: Set(last.to.as_str().to_owned()),
                submitter_id: Set(submitters[ppg]),
                channel: Set(if n % 3 == 0 { "DISCORD" } else { "GRAPHQL" }.to_owned()),
                idempotency_key: Set(None),
                lead_item_id: Set(None),
                latest_event_id: Set(Some(last_event)),
                referred_at: Set(referred_at),
                responded_at: Set(responded_at),
                created_at: Set(created),
                updated_at: Set(at),
                area_id: Set(Some(tiers[2])),
                share_name: Set(false),
                submission_hash: Set(None),
                severity: Set(None),
                severity_reason: Set(None),
                response_due_on: Set(referred_at.map(|at| {
                    pyramid::domain::clock::due_on(
                        at.date_naive(),
                        pyramid::domain::clock::DEFAULT_WORKING_DAYS,
                    )
                })),
            });
        }
        // Keep each statement under SQLite's 32,766 bound parameters.
        insert_all(conn, items, 1_000).await?;
        insert_all(conn, events, 2_500).await?;
        insert_all(conn, reached, 5_000).await?;
        done += size;
        if done.is_multiple_of(100_000) || done == total {
            eprintln!(
                "  {} of {} items ({:.0} s)",
                thousands(done as u64),
                thousands(total as u64),
                began.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
