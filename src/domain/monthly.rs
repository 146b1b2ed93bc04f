//! The monthly patient-experience report of an area: what the commissioners and the council
//! read each month. Pure: the service gathers the facts (`Facts`), `compile` turns them into
//! the report's figures, and `render/monthly.rs` lays them out. "Where themes, trends and gaps
//! are discussed": themes against the previous months (with run charts, `spc`), providers
//! whose negative feedback rises across sources, gaps (PPGs that said nothing, providers no
//! source mentioned), open safety concerns and how long each has waited, patterns, and the
//! closed loop per tier (answered, changed, time to an answer, past the response clock).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::change::ChangeState;
use super::feedback::triangulation::{Movement, Side};
use super::feedback::{Month, Source};
use super::group::GroupKind;
use super::item::Outcome;
use super::spc::Chart;
use super::theme::Polarity;
use super::{GroupId, ThemeId};

/// Months of history a report reads: the report's month and the eleven before it.
pub const HISTORY_MONTHS: usize = 12;
/// Months each side of the comparison of sources for rising negative feedback.
pub const COMPARE_MONTHS: usize = 3;
/// Run charts are drawn for the headings with most concerns, this many at most.
pub const CHARTED_HEADINGS: usize = 5;
/// A run chart needs this many months before its signals are read (as in triangulation).
pub const CHART_MONTHS: usize = 6;

/// The months a report for `month` covers, oldest first.
pub fn history(month: Month) -> Vec<Month> {
    let mut first = month;
    for _ in 1..HISTORY_MONTHS {
        first = first.previous();
    }
    first.through(month)
}

/// Who holds an item at the end of its journey so far: the tier whose loop it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Ppg,
    District,
    Council,
    /// Referred to the commissioners (answered by them, or waiting for them).
    Commissioners,
}

impl Tier {
    pub const ALL: [Tier; 4] = [
        Tier::Ppg,
        Tier::District,
        Tier::Council,
        Tier::Commissioners,
    ];

    pub fn of(holder: GroupKind, referred: bool) -> Self {
        match (referred, holder) {
            (true, _) => Tier::Commissioners,
            (false, GroupKind::Ppg) => Tier::Ppg,
            (false, GroupKind::District) => Tier::District,
            (false, GroupKind::Council) => Tier::Council,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Ppg => "PPGs",
            Tier::District => "District Groups",
            Tier::Council => "Patients' Council",
            Tier::Commissioners => "Commissioners",
        }
    }
}

/// One report (item) of the area, as the monthly report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFact {
    pub reference: String,
    pub origin: GroupId,
    pub provider_name: Option<String>,
    /// The month it counts in: the month of the experience it reports where the reporter
    /// gave it, else the month it was raised (`feedback::report_day`, the rule triangulation
    /// uses beside complaints, PALS and the FFT).
    pub month: Month,
    /// The UK day it was raised (its wait and its time to an answer count from it).
    pub raised_on: NaiveDate,
    /// Its theme headings, each with what it says.
    pub headings: Vec<(ThemeId, Polarity)>,
    pub safety_concern: bool,
    pub open: bool,
    pub tier: Tier,
    /// The UK day it was answered, when it has been.
    pub answered_on: Option<NaiveDate>,
    pub outcome: Option<Outcome>,
    /// What became of the change its answer planned (a linked report shares its lead's).
    pub change: Option<ChangeState>,
    /// For a referred item: when its answer is due.
    pub due_on: Option<NaiveDate>,
    /// Waiting at the commissioners past its due date (as at the report's date).
    pub overdue: bool,
}

/// The state of the area's planned changes as at the report's date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeTally {
    /// Planned and not yet due.
    pub planned: u32,
    /// Planned and past the date they were due.
    pub overdue: u32,
    pub made: u32,
    pub abandoned: u32,
}

/// What happened to a pattern in the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PatternChange {
    Opened,
    TakenUp,
    Dismissed,
}

/// A pattern that changed in the month: what it is about and how many PPGs it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternFact {
    pub change: PatternChange,
    pub about: String,
    pub ppgs: u32,
}

/// An organisation's sources side by side, and which of them the earlier months can be
/// compared on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationSides {
    pub name: String,
    pub months: Vec<(Month, Side)>,
    pub coverage: Coverage,
}

/// The months each source has figures for: a source first imported this month has not
/// "risen" from nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Months the area had reports of its own in.
    pub soft: BTreeSet<Month>,
    pub imported: BTreeMap<Source, BTreeSet<Month>>,
}

impl Coverage {
    /// Whether `source` (`None`: the pyramid's own reports) has figures for `month`.
    pub fn covers(&self, source: Option<Source>, month: Month) -> bool {
        match source {
            None => self.soft.contains(&month),
            Some(source) => self
                .imported
                .get(&source)
                .is_some_and(|m| m.contains(&month)),
        }
    }
}

/// Everything the report is made from.
#[derive(Debug, Clone)]
pub struct Facts {
    pub area_name: String,
    pub month: Month,
    /// The day the report is made: waits and clocks are as at this day, and reports raised
    /// since the month about an experience in it count in it.
    pub as_at: NaiveDate,
    pub items: Vec<ItemFact>,
    pub ppgs: Vec<(GroupId, String)>,
    pub heading_names: BTreeMap<ThemeId, String>,
    /// Each organisation's months side by side (from `triangulation::triangulate`): the
    /// report's month and the `COMPARE_MONTHS` before it, for those any source mentioned in
    /// the history.
    pub organisations: Vec<OrganisationSides>,
    /// Organisations any source mentioned in the history, or the area's register holds, with
    /// whether any source mentioned them in the report's month.
    pub known_organisations: Vec<(String, bool)>,
    /// Organisations of the area's register that no source mentioned in the history.
    pub unmentioned_in_register: u32,
    pub patterns: Vec<PatternFact>,
    pub changes: ChangeTally,
}

/// A heading's concerns month by month.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeTrend {
    pub theme: ThemeId,
    pub name: String,
    /// Concerns under the heading per month of the history (from the area's first report).
    pub counts: Vec<u32>,
    /// All reports of each month (the base the counts are out of).
    pub bases: Vec<u32>,
    /// The report's month.
    pub this_month: u32,
    /// The mean of the `COMPARE_MONTHS` before it.
    pub previous_mean: f64,
    pub movement: Movement,
    /// The run chart, with six months or more.
    pub chart: Option<Chart>,
}

impl ThemeTrend {
    /// What the chart says about the report's month, in words ("above the upper process
    /// limit"), when it signals special cause variation upwards.
    pub fn latest_signal(&self) -> Option<&'static str> {
        let chart = self.chart.as_ref()?;
        chart
            .signals
            .last()?
            .iter()
            .find(|s| s.is_high())
            .map(|s| s.describe())
    }
}

/// A source whose negative feedback about an organisation rose.
#[derive(Debug, Clone, PartialEq)]
pub struct Rise {
    pub source: &'static str,
    /// The months before the report's month it was compared with, and their mean.
    pub months_before: u32,
    pub mean_before: f64,
    /// The report's month.
    pub after: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RisingProvider {
    pub name: String,
    pub rises: Vec<Rise>,
}

/// An open safety concern and how long it has waited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyWait {
    pub reference: String,
    pub provider: Option<String>,
    pub raised_on: NaiveDate,
    pub days_waiting: i64,
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
}

/// An item past its response clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub reference: String,
    pub provider: Option<String>,
    pub due_on: NaiveDate,
    pub days_late: i64,
}

/// One tier's closed loop over the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loop {
    /// `None` for all tiers together.
    pub tier: Option<Tier>,
    pub items: u32,
    pub answered: u32,
    pub change_planned: u32,
    pub change_made: u32,
    /// Days from raising to the answer, over the answered items.
    pub median_days: Option<i64>,
    pub p90_days: Option<i64>,
    /// Past the response clock (only referrals have one).
    pub overdue: u32,
}

impl Loop {
    pub fn answered_percent(&self) -> Option<u32> {
        percent(self.answered, self.items)
    }

    /// Of the answered, the share that led to a change planned or made.
    pub fn changed_percent(&self) -> Option<u32> {
        percent(self.change_planned + self.change_made, self.answered)
    }
}

fn percent(part: u32, base: u32) -> Option<u32> {
    (base > 0).then(|| ((u64::from(part) * 100 + u64::from(base) / 2) / u64::from(base)) as u32)
}

/// The report's figures.
#[derive(Debug, Clone)]
pub struct MonthlyReport {
    pub area_name: String,
    pub month: Month,
    pub as_at: NaiveDate,
    /// The months of the history the area has reports in (from its first), oldest first.
    pub months: Vec<Month>,
    /// Reports per month, and how many PPGs they came from.
    pub reports: Vec<u32>,
    pub reporting_ppgs: Vec<u32>,
    pub reports_chart: Option<Chart>,
    pub themes: Vec<ThemeTrend>,
    pub rising: Vec<RisingProvider>,
    pub silent_ppgs: Vec<String>,
    pub ppg_count: u32,
    pub quiet_organisations: Vec<String>,
    pub unmentioned_in_register: u32,
    pub safety: Vec<SafetyWait>,
    pub patterns: Vec<PatternFact>,
    pub loops: Vec<Loop>,
    pub changes: ChangeTally,
    pub overdue: Vec<Overdue>,
}

impl MonthlyReport {
    pub fn title(&self) -> String {
        format!(
            "Patient experience report, {}: {}",
            self.month.label(),
            self.area_name
        )
    }

    /// The month's figures in a few sentences, for the top of every form of the report.
    pub fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        let this = self.reports.last().copied().unwrap_or(0);
        let ppgs = self.reporting_ppgs.last().copied().unwrap_or(0);
        out.push(format!(
            "In {} the pyramid heard {} from {} of its {} PPGs.",
            self.month.label(),
            plural(this, "report", "reports"),
            ppgs,
            self.ppg_count
        ));
        let signalled: Vec<&str> = self
            .themes
            .iter()
            .filter(|t| t.latest_signal().is_some())
            .map(|t| t.name.as_str())
            .collect();
        if !signalled.is_empty() {
            out.push(format!(
                "Concerns about {} show special cause variation this month: look at their run charts.",
                join_words(&signalled)
            ));
        }
        if !self.rising.is_empty() {
            let names: Vec<&str> = self.rising.iter().map(|r| r.name.as_str()).collect();
            out.push(format!(
                "Negative feedback is rising for {}.",
                join_words(&names)
            ));
        }
        if !self.safety.is_empty() {
            out.push(format!(
                "{} open, the longest waiting {}.",
                plural(
                    self.safety.len() as u32,
                    "safety concern is",
                    "safety concerns are"
                ),
                plural(
                    self.safety
                        .iter()
                        .map(|s| s.days_waiting)
                        .max()
                        .unwrap_or(0)
                        .max(0) as u32,
                    "day",
                    "days"
                )
            ));
        }
        if !self.overdue.is_empty() {
            out.push(format!(
                "{} past {} response clock.",
                plural(self.overdue.len() as u32, "referral is", "referrals are"),
                if self.overdue.len() == 1 {
                    "its"
                } else {
                    "their"
                }
            ));
        }
        out
    }
}

/// "1 report", "3 reports".
pub fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "a", "a and b", "a, b and c".
pub fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The middle value (the lower of the middle two for an even count would hide a half day, so
/// their mean is rounded half up).
fn median(sorted: &[i64]) -> Option<i64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2] + 1) / 2),
    }
}

/// Which way a month's count moved against the mean of the months before. Small counts move
/// by chance, so a move counts only when it is at least three and at least half the mean (the
/// rule of `triangulation::movement`, for one month against a mean).
pub fn against_mean(mean: f64, latest: u32) -> Movement {
    let latest = f64::from(latest);
    let threshold = (mean / 2.0).max(3.0);
    if latest >= mean + threshold {
        Movement::Rising
    } else if latest <= mean - threshold {
        Movement::Falling
    } else {
        Movement::Level
    }
}

/// Which sources' negative feedback about an organisation rose in the report's month (the
/// last of `months`) against the mean of up to `COMPARE_MONTHS` months before it in which the
/// source has figures (by `against_mean`, so small counts do not move). A source with no figures before the month is not compared: it has not risen from
/// nothing.
pub fn rises(months: &[(Month, Side)], coverage: &Coverage) -> Vec<Rise> {
    let Some(((month, latest), before)) = months.split_last() else {
        return Vec::new();
    };
    let before = &before[before.len().saturating_sub(COMPARE_MONTHS)..];
    type Reading = (&'static str, Option<Source>, fn(&Side) -> u32);
    let sources: [Reading; 5] = [
        ("soft intelligence concerns", None, |s| s.soft_negative),
        ("complaints", Some(Source::Complaints), |s| {
            s.complaints.count
        }),
        ("PALS contacts", Some(Source::Pals), |s| s.pals),
        (
            "Friends and Family Test poor or very poor answers",
            Some(Source::Fft),
            |s| s.fft.map_or(0, |f| f.negative),
        ),
        (
            "negative Care Opinion tags",
            Some(Source::CareOpinion),
            |s| s.negative_tags,
        ),
    ];
    sources
        .into_iter()
        .filter_map(|(name, source, of)| {
            let earlier: Vec<u32> = before
                .iter()
                .filter(|(m, _)| coverage.covers(source, *m))
                .map(|(_, side)| of(side))
                .collect();
            if earlier.is_empty() || !coverage.covers(source, *month) {
                return None;
            }
            let n = earlier.len() as u32;
            let mean_before = f64::from(earlier.iter().sum::<u32>()) / f64::from(n);
            let after = of(latest);
            (against_mean(mean_before, after) == Movement::Rising).then_some(Rise {
                source: name,
                months_before: n,
                mean_before,
                after,
            })
        })
        .collect()
}

/// Turns the facts into the report.
pub fn compile(facts: Facts) -> MonthlyReport {
    let all_months = history(facts.month);
    let first_reported = facts
        .items
        .iter()
        .map(|i| i.month)
        .filter(|m| all_months.contains(m))
        .min()
        .unwrap_or(facts.month);
    let months: Vec<Month> = all_months
        .into_iter()
        .filter(|m| *m >= first_reported)
        .collect();
    let index = |m: Month| months.iter().position(|x| *x == m);
    let in_history: Vec<&ItemFact> = facts
        .items
        .iter()
        .filter(|i| index(i.month).is_some())
        .collect();

    let mut reports = vec![0u32; months.len()];
    let mut origins: Vec<BTreeSet<GroupId>> = vec![BTreeSet::new(); months.len()];
    let mut concerns: BTreeMap<ThemeId, Vec<u32>> = BTreeMap::new();
    for item in &in_history {
        let Some(i) = index(item.month) else {
            continue;
        };
        reports[i] += 1;
        origins[i].insert(item.origin);
        for (theme, polarity) in &item.headings {
            if polarity.is_concern() {
                concerns
                    .entry(*theme)
                    .or_insert_with(|| vec![0; months.len()])[i] += 1;
            }
        }
    }
    let reporting_ppgs: Vec<u32> = origins.iter().map(|o| o.len() as u32).collect();
    let chart_of = |values: &[u32]| {
        (values.len() >= CHART_MONTHS)
            .then(|| Chart::of(&values.iter().map(|v| f64::from(*v)).collect::<Vec<_>>()))
            .flatten()
    };

    let last = months.len().saturating_sub(1);
    let mut themes: Vec<ThemeTrend> = concerns
        .into_iter()
        .map(|(theme, counts)| {
            let this_month = counts.get(last).copied().unwrap_or(0);
            let before: Vec<u32> = counts[last.saturating_sub(COMPARE_MONTHS)..last].to_vec();
            let previous_mean = if before.is_empty() {
                0.0
            } else {
                f64::from(before.iter().sum::<u32>()) / before.len() as f64
            };
            ThemeTrend {
                theme,
                name: facts
                    .heading_names
                    .get(&theme)
                    .cloned()
                    .unwrap_or_else(|| "Another theme".to_owned()),
                // A heading with less than one concern a month is too rare to chart: its
                // limits sit at zero and every month would signal.
                chart: chart_of(&counts).filter(|c| c.mean >= 1.0),
                bases: reports.clone(),
                this_month,
                previous_mean,
                movement: if before.is_empty() {
                    Movement::Level
                } else {
                    against_mean(previous_mean, this_month)
                },
                counts,
            }
        })
        .collect();
    themes.sort_by(|a, b| {
        b.this_month
            .cmp(&a.this_month)
            .then(
                b.counts
                    .iter()
                    .sum::<u32>()
                    .cmp(&a.counts.iter().sum::<u32>()),
            )
            .then(a.name.cmp(&b.name))
    });

    let mut rising: Vec<RisingProvider> = facts
        .organisations
        .iter()
        .filter_map(|o| {
            let rises = rises(&o.months, &o.coverage);
            (!rises.is_empty()).then(|| RisingProvider {
                name: o.name.clone(),
                rises,
            })
        })
        .collect();
    rising.sort_by(|a, b| b.rises.len().cmp(&a.rises.len()).then(a.name.cmp(&b.name)));

    let heard: BTreeSet<GroupId> = facts
        .items
        .iter()
        .filter(|i| i.month == facts.month)
        .map(|i| i.origin)
        .collect();
    let silent_ppgs: Vec<String> = facts
        .ppgs
        .iter()
        .filter(|(id, _)| !heard.contains(id))
        .map(|(_, name)| name.clone())
        .collect();
    let mut quiet_organisations: Vec<String> = facts
        .known_organisations
        .iter()
        .filter(|(_, mentioned)| !mentioned)
        .map(|(name, _)| name.clone())
        .collect();
    quiet_organisations.sort();

    let mut safety: Vec<SafetyWait> = facts
        .items
        .iter()
        .filter(|i| i.safety_concern && i.open)
        .map(|i| SafetyWait {
            reference: i.reference.clone(),
            provider: i.provider_name.clone(),
            raised_on: i.raised_on,
            days_waiting: (facts.as_at - i.raised_on).num_days().max(0),
            due_on: i.due_on,
            overdue: i.overdue,
        })
        .collect();
    safety.sort_by(|a, b| {
        b.days_waiting
            .cmp(&a.days_waiting)
            .then(a.reference.cmp(&b.reference))
    });

    let mut overdue: Vec<Overdue> = facts
        .items
        .iter()
        .filter(|i| i.overdue)
        .filter_map(|i| {
            let due_on = i.due_on?;
            Some(Overdue {
                reference: i.reference.clone(),
                provider: i.provider_name.clone(),
                due_on,
                days_late: (facts.as_at - due_on).num_days().max(0),
            })
        })
        .collect();
    overdue.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.reference.cmp(&b.reference)));

    let loop_of = |tier: Option<Tier>| {
        let items: Vec<&&ItemFact> = in_history
            .iter()
            .filter(|i| tier.is_none_or(|t| i.tier == t))
            .collect();
        let mut days: Vec<i64> = items
            .iter()
            .filter_map(|i| i.answered_on.map(|on| (on - i.raised_on).num_days().max(0)))
            .collect();
        days.sort_unstable();
        let answered: Vec<&&&ItemFact> = items.iter().filter(|i| i.answered_on.is_some()).collect();
        // A planned change counts as made once it is recorded as made, and not at all once
        // it is abandoned.
        let made = |i: &ItemFact| {
            i.outcome == Some(Outcome::ChangeMade) || i.change == Some(ChangeState::Made)
        };
        let planned = |i: &ItemFact| {
            i.outcome == Some(Outcome::ActionPlanned)
                && !matches!(i.change, Some(ChangeState::Made | ChangeState::Abandoned))
        };
        Loop {
            tier,
            items: items.len() as u32,
            answered: answered.len() as u32,
            change_planned: answered.iter().filter(|i| planned(i)).count() as u32,
            change_made: answered.iter().filter(|i| made(i)).count() as u32,
            median_days: median(&days),
            p90_days: percentile(&days, 90.0),
            overdue: items.iter().filter(|i| i.overdue).count() as u32,
        }
    };
    let mut loops: Vec<Loop> = Tier::ALL.iter().map(|t| loop_of(Some(*t))).collect();
    loops.push(loop_of(None));

    let mut patterns = facts.patterns;
    patterns.sort_by(|a, b| a.change.cmp(&b.change).then(a.about.cmp(&b.about)));

    MonthlyReport {
        area_name: facts.area_name,
        month: facts.month,
        as_at: facts.as_at,
        reports_chart: chart_of(&reports),
        months,
        reports,
        reporting_ppgs,
        themes,
        rising,
        silent_ppgs,
        ppg_count: facts.ppgs.len() as u32,
        quiet_organisations,
        unmentioned_in_register: facts.unmentioned_in_register,
        safety,
        patterns,
        loops,
        changes: facts.changes,
        overdue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::spc::Signal;

    fn month(code: &str) -> Month {
        Month::parse(code).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn item(id: i64, m: &str, origin: i64) -> ItemFact {
        let month = month(m);
        ItemFact {
            reference: format!("SI-2026-{id:06}"),
            origin: GroupId(origin),
            provider_name: Some("Out-of-Hours GP Service".to_owned()),
            month,
            raised_on: month.first_day(),
            headings: vec![(ThemeId(10), Polarity::Negative)],
            safety_concern: false,
            open: true,
            tier: Tier::Ppg,
            answered_on: None,
            outcome: None,
            change: None,
            due_on: None,
            overdue: false,
        }
    }

    fn facts(items: Vec<ItemFact>) -> Facts {
        Facts {
            area_name: "North Region".to_owned(),
            month: month("2026-11"),
            as_at: day(2026, 11, 30),
            items,
            ppgs: vec![
                (GroupId(3), "Riverside PPG".to_owned()),
                (GroupId(4), "Hillside PPG".to_owned()),
            ],
            heading_names: [(ThemeId(10), "Access".to_owned())].into(),
            organisations: Vec::new(),
            known_organisations: Vec::new(),
            unmentioned_in_register: 0,
            patterns: Vec::new(),
            changes: ChangeTally::default(),
        }
    }

    #[test]
    fn the_history_is_twelve_months_ending_with_the_report_month() {
        let months = history(month("2026-11"));
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], month("2025-12"));
        assert_eq!(months[11], month("2026-11"));
    }

    #[test]
    fn a_run_of_seven_months_above_the_mean_is_flagged_on_the_themes_chart() {
        // Five quiet months, then seven busy ones: the run ends in the report's month.
        let mut items = Vec::new();
        let mut id = 0;
        for (m, n) in [
            ("2025-12", 1),
            ("2026-01", 2),
            ("2026-02", 1),
            ("2026-03", 2),
            ("2026-04", 1),
            ("2026-05", 4),
            ("2026-06", 3),
            ("2026-07", 4),
            ("2026-08", 5),
            ("2026-09", 3),
            ("2026-10", 4),
            ("2026-11", 4),
        ] {
            for _ in 0..n {
                id += 1;
                items.push(item(id, m, 3));
            }
        }
        let report = compile(facts(items));
        let access = &report.themes[0];
        assert_eq!(access.counts, vec![1, 2, 1, 2, 1, 4, 3, 4, 5, 3, 4, 4]);
        let chart = access.chart.as_ref().unwrap();
        // Seven points above the mean (34 / 12), none beyond the limits.
        assert!((5..12).all(|i| chart.signals[i] == vec![Signal::RunAbove]));
        assert!((0..5).all(|i| chart.signals[i].is_empty()));
        assert_eq!(
            access.latest_signal(),
            Some("in a run of 7 or more above the mean")
        );
        assert!(
            report.summary()[1].starts_with("Concerns about Access show special cause variation")
        );
        assert_eq!(report.reports[11], 4);
        assert_eq!(report.reporting_ppgs[11], 1);
        assert_eq!(report.silent_ppgs, vec!["Hillside PPG".to_owned()]);
    }

    #[test]
    fn months_before_the_first_report_are_left_out_and_a_short_history_has_no_chart() {
        let report = compile(facts(vec![item(1, "2026-10", 3), item(2, "2026-11", 4)]));
        assert_eq!(report.months, vec![month("2026-10"), month("2026-11")]);
        assert!(report.themes[0].chart.is_none() && report.reports_chart.is_none());
        assert_eq!(report.silent_ppgs, vec!["Riverside PPG".to_owned()]);
    }

    #[test]
    fn closed_loop_figures_per_tier() {
        let answered = |id, days: i64, outcome, tier| {
            let mut i = item(id, "2026-09", 3);
            i.tier = tier;
            i.open = false;
            i.answered_on = Some(i.raised_on + chrono::Days::new(days as u64));
            i.outcome = Some(outcome);
            i
        };
        let mut items = vec![
            answered(1, 10, Outcome::ChangeMade, Tier::Commissioners),
            answered(2, 20, Outcome::ActionPlanned, Tier::Commissioners),
            answered(3, 30, Outcome::NoAction, Tier::Commissioners),
            answered(4, 2, Outcome::NoAction, Tier::Ppg),
        ];
        // Planned at the council and since recorded as made; planned and abandoned.
        let mut made_later = answered(6, 12, Outcome::ActionPlanned, Tier::Council);
        made_later.change = Some(ChangeState::Made);
        let mut abandoned = answered(7, 14, Outcome::ActionPlanned, Tier::Council);
        abandoned.change = Some(ChangeState::Abandoned);
        items.extend([made_later, abandoned]);
        let mut late = item(5, "2026-09", 3);
        late.tier = Tier::Commissioners;
        late.due_on = Some(day(2026, 10, 29));
        late.overdue = true;
        items.push(late);
        let report = compile(facts(items));
        let commissioners = report
            .loops
            .iter()
            .find(|l| l.tier == Some(Tier::Commissioners))
            .unwrap();
        assert_eq!(
            (commissioners.items, commissioners.answered),
            (4, 3),
            "{commissioners:?}"
        );
        assert_eq!(commissioners.answered_percent(), Some(75));
        assert_eq!(
            (commissioners.change_planned, commissioners.change_made),
            (1, 1)
        );
        assert_eq!(commissioners.changed_percent(), Some(67));
        assert_eq!(
            (commissioners.median_days, commissioners.p90_days),
            (Some(20), Some(30))
        );
        assert_eq!(commissioners.overdue, 1);
        let council = report
            .loops
            .iter()
            .find(|l| l.tier == Some(Tier::Council))
            .unwrap();
        assert_eq!(
            (
                council.answered,
                council.change_planned,
                council.change_made
            ),
            (2, 0, 1)
        );
        assert_eq!(council.changed_percent(), Some(50));
        let all = report.loops.last().unwrap();
        assert_eq!((all.tier, all.items, all.answered), (None, 7, 6));
        // 2, 10, 12, 14, 20, 30 days.
        assert_eq!((all.median_days, all.p90_days), (Some(13), Some(30)));
        assert_eq!(report.overdue.len(), 1);
        assert_eq!(report.overdue[0].days_late, 32);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let days: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&days, 90.0), Some(9));
        assert_eq!(percentile(&[5], 90.0), Some(5));
        assert_eq!(median(&days), Some(6));
        assert_eq!(median(&[1, 2, 9]), Some(2));
    }

    #[test]
    fn a_source_rises_only_by_enough_and_only_where_it_has_figures_before() {
        let side = |complaints: u32, pals: u32| Side {
            complaints: super::super::feedback::triangulation::Tally {
                count: complaints,
                suppressed: 0,
            },
            pals,
            ..Side::default()
        };
        let months: Vec<Month> = month("2026-08").through(month("2026-11"));
        let sides: Vec<(Month, Side)> = months
            .iter()
            .copied()
            .zip([side(9, 2), side(2, 2), side(2, 3), side(9, 2)])
            .collect();
        let all: BTreeSet<Month> = months.iter().copied().collect();
        let coverage = Coverage {
            soft: all.clone(),
            imported: [
                (Source::Complaints, all.clone()),
                (Source::Pals, all.clone()),
            ]
            .into(),
        };
        // Complaints: 9 against a mean of 13 / 3; PALS 2 against 7 / 3 has not moved.
        let rose = rises(&sides, &coverage);
        assert_eq!(rose.len(), 1, "{rose:?}");
        assert_eq!(
            (rose[0].source, rose[0].months_before, rose[0].after),
            ("complaints", 3, 9)
        );
        assert!((rose[0].mean_before - 13.0 / 3.0).abs() < 1e-9);
        // Complaints first imported for November have not risen from nothing.
        let november_only = Coverage {
            soft: all.clone(),
            imported: [(Source::Complaints, [month("2026-11")].into())].into(),
        };
        assert!(rises(&sides, &november_only).is_empty());
        // With only October and September to compare: 9 against a mean of 2.
        let two = Coverage {
            soft: all,
            imported: [(
                Source::Complaints,
                [month("2026-09"), month("2026-10"), month("2026-11")].into(),
            )]
            .into(),
        };
        let rose = rises(&sides, &two);
        assert_eq!((rose[0].months_before, rose[0].mean_before), (2, 2.0));
    }
}
