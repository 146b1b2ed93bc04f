//! Patterns of concern: when reports about one provider (optionally one theme heading) come
//! from several PPGs close together in time, the pyramid sees the whole jigsaw.
//!
//! The rule, deterministic whatever order reports arrive in: sort a provider's (or a
//! provider-and-theme's) reports of concern by time; a report joins the run before it when it
//! came within the area's window (default 90 days) of the run's latest report, else it starts a
//! new run. A run with reports from at least the area's number of PPGs (default 2) is a
//! pattern. It belongs to the lowest group covering all its PPGs: their district, or the
//! council when they span districts.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, Utc};

use super::{GroupId, ItemId, PatternId};

/// An area's pattern rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternRule {
    /// PPGs a run must come from to be a pattern.
    pub min_ppgs: usize,
    /// Longest gap between a run's reports.
    pub window: Duration,
}

impl Default for PatternRule {
    fn default() -> Self {
        Self {
            min_ppgs: 2,
            window: Duration::days(90),
        }
    }
}

impl PatternRule {
    pub fn new(min_ppgs: i32, window_days: i32) -> Self {
        Self {
            min_ppgs: min_ppgs.max(1) as usize,
            window: Duration::days(i64::from(window_days.max(1))),
        }
    }
}

/// One report of concern as patterns see it: which PPG it came from, that PPG's district,
/// and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Report {
    pub at: DateTime<Utc>,
    pub item: ItemId,
    pub ppg: GroupId,
    pub district: GroupId,
}

/// A run of reports (see the module's rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// In time order.
    pub reports: Vec<Report>,
}

impl Run {
    pub fn first_seen(&self) -> DateTime<Utc> {
        self.reports.first().map(|r| r.at).unwrap_or_default()
    }

    pub fn last_seen(&self) -> DateTime<Utc> {
        self.reports.last().map(|r| r.at).unwrap_or_default()
    }

    pub fn ppgs(&self) -> BTreeSet<GroupId> {
        self.reports.iter().map(|r| r.ppg).collect()
    }

    /// Whether some stretch of the area's window holds reports from enough PPGs. (The
    /// stretch ends at one of the reports, so a new report need only look back one window.)
    pub fn is_pattern(&self, rule: PatternRule) -> bool {
        self.reports.iter().enumerate().any(|(end, last)| {
            let ppgs: BTreeSet<GroupId> = self.reports[..=end]
                .iter()
                .rev()
                .take_while(|r| last.at - r.at <= rule.window)
                .map(|r| r.ppg)
                .collect();
            ppgs.len() >= rule.min_ppgs
        })
    }

    /// Whether a report at `at` joins this run.
    pub fn takes(&self, at: DateTime<Utc>, rule: PatternRule) -> bool {
        at - self.last_seen() <= rule.window
    }

    /// The lowest group covering every PPG: their district, or the area's council.
    pub fn owner(&self, council: GroupId) -> GroupId {
        let districts: BTreeSet<GroupId> = self.reports.iter().map(|r| r.district).collect();
        match districts.iter().next() {
            Some(district) if districts.len() == 1 => *district,
            _ => council,
        }
    }
}

/// Reports in the latest window up to `now` against the window before it.
pub fn trend(raised: &[DateTime<Utc>], window: Duration, now: DateTime<Utc>) -> Trend {
    let recent = raised.iter().filter(|at| now - **at < window).count();
    let earlier = raised
        .iter()
        .filter(|at| now - **at >= window && now - **at < window * 2)
        .count();
    Trend { recent, earlier }
}

/// How a pattern is moving: reports in the latest window against the window before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Trend {
    pub recent: usize,
    pub earlier: usize,
}

/// Which way a pattern is going: more reports in the latest window than the one before, fewer,
/// or as many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Rising,
    Steady,
    Falling,
}

impl Trend {
    pub fn direction(self) -> Direction {
        match self.recent.cmp(&self.earlier) {
            std::cmp::Ordering::Greater => Direction::Rising,
            std::cmp::Ordering::Less => Direction::Falling,
            std::cmp::Ordering::Equal => Direction::Steady,
        }
    }

    pub fn words(self) -> &'static str {
        match self.direction() {
            Direction::Rising => "rising",
            Direction::Falling => "falling",
            Direction::Steady => "steady",
        }
    }
}

/// Splits reports (in any order) into runs.
pub fn runs(mut reports: Vec<Report>, rule: PatternRule) -> Vec<Run> {
    reports.sort();
    reports.dedup_by_key(|r| r.item);
    let mut runs: Vec<Run> = Vec::new();
    for report in reports {
        match runs.last_mut() {
            Some(run) if run.takes(report.at, rule) => run.reports.push(report),
            _ => runs.push(Run {
                reports: vec![report],
            }),
        }
    }
    runs
}

/// Reports per calendar month ("2026-10"), oldest first.
pub fn by_month(raised: &[DateTime<Utc>]) -> BTreeMap<String, usize> {
    let mut months = BTreeMap::new();
    for at in raised {
        let month = format!("{:04}-{:02}", at.year(), at.month());
        *months.entry(month).or_insert(0) += 1;
    }
    months
}

/// Which patterns a report counts towards: its provider's (`None`) when it is a concern at
/// all, and each theme heading it raises a concern about.
pub fn keys(
    sentiment_is_concern: bool,
    concern_headings: &[super::ThemeId],
) -> Vec<Option<super::ThemeId>> {
    let mut keys = Vec::new();
    if sentiment_is_concern || !concern_headings.is_empty() {
        keys.push(None);
    }
    let headings: BTreeSet<super::ThemeId> = concern_headings.iter().copied().collect();
    keys.extend(headings.into_iter().map(Some));
    keys
}

stored_enum!(
    /// Where a pattern stands.
    PatternStatus {
        /// A run below the area's threshold: kept so the next report can tip it over; shown
        /// to nobody.
        Watching = "WATCHING",
        /// Found, and its owner's officers told.
        Open = "OPEN",
        /// Its owner's officers have seen it.
        Acknowledged = "ACKNOWLEDGED",
        /// Taken up as an item at the owner's tier.
        TakenUp = "TAKEN_UP",
        /// Judged not to be a pattern, with a reason; reopens if it grows.
        Dismissed = "DISMISSED",
    }
);

stored_enum!(
    /// What happened to a pattern.
    PatternEventKind {
        Opened = "OPENED",
        Grew = "GREW",
        /// Its owner changed (it spread to another district: the council's now).
        Moved = "MOVED",
        Acknowledged = "ACKNOWLEDGED",
        TakenUp = "TAKEN_UP",
        Dismissed = "DISMISSED",
        Reopened = "REOPENED",
    }
);

impl PatternStatus {
    /// Whether anyone sees it (a run below the threshold is seen by nobody).
    pub fn is_shown(self) -> bool {
        self != PatternStatus::Watching
    }
}

/// What a change in a run's reports does to its pattern: opening it when it reaches the
/// threshold, reopening it when it grows after a dismissal, hiding it again if a correction
/// takes it below the threshold before anyone acted on it.
pub fn reconcile(
    status: PatternStatus,
    is_pattern: bool,
    items_before: usize,
    items_now: usize,
    dismissed_at: Option<usize>,
) -> (PatternStatus, Option<PatternEventKind>) {
    use PatternStatus::*;
    let grew = items_now > items_before;
    match status {
        Watching if is_pattern => (Open, Some(PatternEventKind::Opened)),
        Open if !is_pattern => (Watching, None),
        Dismissed if grew && dismissed_at.is_some_and(|at| items_now > at) => {
            (Open, Some(PatternEventKind::Reopened))
        }
        Watching | Dismissed => (status, None),
        _ if grew => (status, Some(PatternEventKind::Grew)),
        _ => (status, None),
    }
}

/// A pattern as the rest of the program sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub id: PatternId,
    pub area_id: GroupId,
    pub provider_id: super::ProviderId,
    pub theme_id: Option<super::ThemeId>,
    pub owner_group_id: GroupId,
    pub status: PatternStatus,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub ppg_count: usize,
    pub item_count: usize,
    pub dismissed_at_count: Option<usize>,
    pub dismissed_reason: Option<super::RedactedText>,
    pub reopened_because: Option<super::RedactedText>,
    pub taken_up_item_id: Option<ItemId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000 + day)
    }

    fn report(item: i64, ppg: i64, district: i64, day: i64) -> Report {
        Report {
            at: at(day),
            item: ItemId(item),
            ppg: GroupId(ppg),
            district: GroupId(district),
        }
    }

    #[test]
    fn reports_close_in_time_are_one_run_and_a_gap_starts_another() {
        let rule = PatternRule::default();
        let reports = vec![
            report(3, 12, 2, 40),
            report(1, 11, 2, 0),
            report(2, 11, 2, 80),
            // 121 days after the previous: a new run.
            report(4, 13, 2, 201),
        ];
        let found = runs(reports, rule);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].reports.len(), 3);
        assert!(found[0].is_pattern(rule), "two PPGs");
        assert!(!found[1].is_pattern(rule), "one PPG");
        assert_eq!(found[0].first_seen(), at(0));
    }

    #[test]
    fn runs_do_not_depend_on_the_order_reports_arrive_in() {
        let rule = PatternRule::new(2, 30);
        let reports: Vec<Report> = (0..40)
            .map(|n| report(n, 10 + n % 4, 2 + n % 2, (n * 7919) % 365))
            .collect();
        let mut reversed = reports.clone();
        reversed.reverse();
        assert_eq!(runs(reports, rule), runs(reversed, rule));
    }

    #[test]
    fn a_pattern_belongs_to_its_district_until_it_spans_districts() {
        let council = GroupId(1);
        let mut run = Run {
            reports: vec![
                report(1, 11, 2, 0),
                report(2, 12, 2, 5),
                report(3, 13, 2, 9),
            ],
        };
        assert_eq!(run.owner(council), GroupId(2));
        run.reports.push(report(4, 21, 3, 12));
        assert_eq!(run.owner(council), council);
    }

    #[test]
    fn growth_opens_and_reopens() {
        use PatternStatus::*;
        assert_eq!(
            reconcile(Watching, true, 1, 2, None),
            (Open, Some(PatternEventKind::Opened))
        );
        assert_eq!(reconcile(Watching, false, 0, 1, None), (Watching, None));
        assert_eq!(
            reconcile(Dismissed, true, 3, 4, Some(3)),
            (Open, Some(PatternEventKind::Reopened))
        );
        assert_eq!(reconcile(Dismissed, true, 3, 3, Some(3)), (Dismissed, None));
        assert_eq!(
            reconcile(Acknowledged, true, 4, 5, None),
            (Acknowledged, Some(PatternEventKind::Grew))
        );
        // A correction that takes an untouched pattern below the threshold hides it again.
        assert_eq!(reconcile(Open, false, 2, 1, None), (Watching, None));
        assert_eq!(
            reconcile(Acknowledged, false, 2, 1, None),
            (Acknowledged, None)
        );
    }

    #[test]
    fn enough_ppgs_must_fall_within_one_window() {
        let rule = PatternRule::new(3, 90);
        // Each report within 90 days of the one before, but no 90 days hold three PPGs.
        let spread = runs(
            vec![
                report(1, 11, 2, 0),
                report(2, 12, 2, 80),
                report(3, 13, 2, 160),
            ],
            rule,
        );
        assert_eq!(spread.len(), 1);
        assert!(!spread[0].is_pattern(rule));
        let close = runs(
            vec![
                report(1, 11, 2, 0),
                report(2, 12, 2, 80),
                report(3, 13, 2, 85),
            ],
            rule,
        );
        assert!(close[0].is_pattern(rule));
    }

    #[test]
    fn a_report_counts_for_its_provider_and_each_heading_of_concern() {
        use crate::domain::ThemeId;
        assert_eq!(keys(false, &[]), Vec::<Option<ThemeId>>::new());
        assert_eq!(keys(true, &[]), vec![None]);
        assert_eq!(
            keys(false, &[ThemeId(9), ThemeId(2), ThemeId(9)]),
            vec![None, Some(ThemeId(2)), Some(ThemeId(9))]
        );
    }

    #[test]
    fn months_and_trend_are_counted_from_the_reports() {
        let rule = PatternRule::new(2, 30);
        let run = Run {
            reports: vec![
                report(1, 11, 2, 0),
                report(2, 12, 2, 20),
                report(3, 12, 2, 45),
                report(4, 13, 2, 50),
                report(5, 14, 2, 70),
            ],
        };
        let raised: Vec<DateTime<Utc>> = run.reports.iter().map(|r| r.at).collect();
        let trend = trend(&raised, rule.window, at(70));
        assert_eq!((trend.recent, trend.earlier), (3, 1));
        assert_eq!(trend.words(), "rising");
        assert_eq!(by_month(&raised).values().sum::<usize>(), 5);
    }
}
