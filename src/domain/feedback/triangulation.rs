//! Triangulation: for one provider and a run of months, the pyramid's own soft intelligence
//! beside complaints, PALS contacts, the Friends and Family Test and Care Opinion, per month
//! and per theme heading; and, where the sources disagree, what a council member should notice,
//! in plain sentences.

use std::collections::{BTreeMap, BTreeSet};

use super::{Count, Measure, Month};
use crate::domain::ThemeId;
use crate::domain::spc::{Chart, Signal};
use crate::domain::theme::Polarity;

/// A report of the pyramid's own about the provider: its month and its theme headings, each
/// with what it says about it, and its overall sentiment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftReport {
    pub month: Month,
    pub concern: bool,
    pub themes: Vec<(ThemeId, Polarity)>,
}

/// A stored figure, as read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The import and line it came from: a Care Opinion posting is one story however many
    /// headings it counts under.
    pub record: (i64, i32),
    pub month: Month,
    pub theme: Option<ThemeId>,
    pub measure: Measure,
    pub value: Count,
}

/// A sum of counts, with how many of them were suppressed (and so are not in the sum).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u32,
    pub suppressed: u32,
}

impl Tally {
    fn add(&mut self, value: Count) {
        match value {
            Count::Known(n) => self.count = self.count.saturating_add(n),
            Count::Suppressed => self.suppressed += 1,
        }
    }
}

/// A month's Friends and Family Test, over the lines whose counts are all published.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FftSummary {
    /// Responses counted (the base of the percentages).
    pub responses: u32,
    pub positive: u32,
    pub negative: u32,
    pub dont_know: u32,
    /// Lines left out because a count they need was suppressed.
    pub suppressed_lines: u32,
}

impl FftSummary {
    /// Very good and good, as a share of all responses ("don't know" included, as NHS
    /// England counts it), in whole percent; `None` without a base.
    pub fn percent_positive(&self) -> Option<u32> {
        percent(self.positive, self.responses)
    }

    pub fn percent_negative(&self) -> Option<u32> {
        percent(self.negative, self.responses)
    }
}

fn percent(part: u32, base: u32) -> Option<u32> {
    (base > 0).then(|| ((u64::from(part) * 100 + u64::from(base) / 2) / u64::from(base)) as u32)
}

/// An FFT line's positive, negative, don't-know and total counts.
type FftLine = [Option<Count>; 4];

/// What each source says in one month (for the provider as a whole, or under one heading).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Side {
    pub soft_negative: u32,
    pub soft_positive: u32,
    pub complaints: Tally,
    pub complaints_upheld: Tally,
    pub pals: u32,
    pub pals_compliments: u32,
    /// Only for the provider as a whole: the FFT has no themes.
    pub fft: Option<FftSummary>,
    pub stories: u32,
    pub negative_tags: u32,
    pub responded: u32,
    pub change_planned: u32,
    pub change_made: u32,
}

/// One heading's months (`theme: None` for figures no heading of the vocabulary matches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeRow {
    pub theme: Option<ThemeId>,
    pub months: Vec<(Month, Side)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triangulation {
    pub months: Vec<(Month, Side)>,
    pub themes: Vec<ThemeRow>,
    pub findings: Vec<String>,
}

/// Puts the sources side by side for `months`. `heading_name` names a heading in findings.
pub fn triangulate(
    months: &[Month],
    reports: &[SoftReport],
    figures: &[Stored],
    heading_name: impl Fn(ThemeId) -> String,
) -> Triangulation {
    let mut overall: BTreeMap<Month, Side> = months.iter().map(|m| (*m, Side::default())).collect();
    let mut by_theme: BTreeMap<Option<ThemeId>, BTreeMap<Month, Side>> = BTreeMap::new();
    let blank =
        || -> BTreeMap<Month, Side> { months.iter().map(|m| (*m, Side::default())).collect() };

    for report in reports {
        let Some(side) = overall.get_mut(&report.month) else {
            continue;
        };
        if report.concern {
            side.soft_negative += 1;
        } else {
            side.soft_positive += 1;
        }
        for (theme, polarity) in &report.themes {
            let rows = by_theme.entry(Some(*theme)).or_insert_with(blank);
            if let Some(side) = rows.get_mut(&report.month) {
                if polarity.is_concern() {
                    side.soft_negative += 1;
                } else {
                    side.soft_positive += 1;
                }
            }
        }
    }

    // FFT lines, collected whole before they are summed: a line with a suppressed count it
    // needs is left out of the percentages and counted as left out.
    let mut fft_lines: BTreeMap<(i64, i32), (Month, FftLine)> = BTreeMap::new();
    for figure in figures {
        if !overall.contains_key(&figure.month) {
            continue;
        }
        let is_fft = matches!(
            figure.measure,
            Measure::FftVeryGood
                | Measure::FftGood
                | Measure::FftPoor
                | Measure::FftVeryPoor
                | Measure::FftDontKnow
                | Measure::FftResponses
        );
        if is_fft {
            let entry = fft_lines
                .entry(figure.record)
                .or_insert((figure.month, [None; 4]));
            let slot = match figure.measure {
                Measure::FftVeryGood | Measure::FftGood => 0,
                Measure::FftPoor | Measure::FftVeryPoor => 1,
                Measure::FftDontKnow => 2,
                _ => 3,
            };
            entry.1[slot] = Some(match (entry.1[slot], figure.value) {
                (None, value) => value,
                (Some(Count::Known(a)), Count::Known(b)) => Count::Known(a + b),
                _ => Count::Suppressed,
            });
            continue;
        }
        if let Some(side) = by_theme
            .entry(figure.theme)
            .or_insert_with(blank)
            .get_mut(&figure.month)
        {
            add(side, figure.measure, figure.value);
        }
        // A posting's own facts (a story, a response, a change) count once overall, however
        // many headings it is under; they are counted below from distinct postings.
        if !is_posting_fact(figure.measure)
            && let Some(side) = overall.get_mut(&figure.month)
        {
            add(side, figure.measure, figure.value);
        }
    }
    count_postings(&mut overall, figures);

    for (month, counts) in fft_lines.values() {
        let Some(side) = overall.get_mut(month) else {
            continue;
        };
        let summary = side.fft.get_or_insert_with(FftSummary::default);
        match counts {
            [
                Some(Count::Known(positive)),
                Some(Count::Known(negative)),
                Some(Count::Known(dont_know)),
                Some(Count::Known(responses)),
            ] => {
                summary.positive += positive;
                summary.negative += negative;
                summary.dont_know += dont_know;
                summary.responses += responses;
            }
            _ => summary.suppressed_lines += 1,
        }
    }

    let months_of = |rows: BTreeMap<Month, Side>| rows.into_iter().collect::<Vec<_>>();
    let themes: Vec<ThemeRow> = by_theme
        .into_iter()
        .map(|(theme, rows)| ThemeRow {
            theme,
            months: months_of(rows),
        })
        .collect();
    let months = months_of(overall);
    let findings = findings(&months, &themes, &heading_name);
    Triangulation {
        months,
        themes,
        findings,
    }
}

fn add(side: &mut Side, measure: Measure, value: Count) {
    let known = value.known().unwrap_or(0);
    match measure {
        Measure::ComplaintsNew => side.complaints.add(value),
        Measure::ComplaintsUpheld => side.complaints_upheld.add(value),
        Measure::PalsContact => side.pals += known,
        Measure::PalsCompliment => side.pals_compliments += known,
        Measure::CareOpinionStory => side.stories += known,
        Measure::CareOpinionNegativeTag => side.negative_tags += known,
        Measure::CareOpinionResponded => side.responded += known,
        Measure::CareOpinionChangePlanned => side.change_planned += known,
        Measure::CareOpinionChangeMade => side.change_made += known,
        _ => {}
    }
}

fn is_posting_fact(measure: Measure) -> bool {
    matches!(
        measure,
        Measure::CareOpinionStory
            | Measure::CareOpinionResponded
            | Measure::CareOpinionChangePlanned
            | Measure::CareOpinionChangeMade
    )
}

/// Overall, each posting is one story, and its response and change count once.
fn count_postings(overall: &mut BTreeMap<Month, Side>, figures: &[Stored]) {
    let mut seen: BTreeSet<((i64, i32), Measure)> = BTreeSet::new();
    for figure in figures {
        if !is_posting_fact(figure.measure) || !seen.insert((figure.record, figure.measure)) {
            continue;
        }
        if let Some(side) = overall.get_mut(&figure.month) {
            add(side, figure.measure, figure.value);
        }
    }
}

/// Which way a count moved between the earlier and the later half of the period. Small counts
/// move by chance, so a move counts only when it is at least three and at least half the
/// earlier figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Rising,
    Level,
    Falling,
}

pub fn movement(earlier: u32, later: u32) -> Movement {
    let threshold = (earlier / 2).max(3);
    if later >= earlier + threshold {
        Movement::Rising
    } else if earlier >= later + threshold.max(later / 2) {
        Movement::Falling
    } else {
        Movement::Level
    }
}

type Months<'a> = &'a [(Month, Side)];

fn halves(months: Months<'_>) -> Option<(Months<'_>, Months<'_>)> {
    let half = months.len() / 2;
    (half > 0).then(|| (&months[..half], &months[months.len() - half..]))
}

fn span(months: &[(Month, Side)]) -> String {
    match (months.first(), months.last()) {
        (Some((first, _)), Some((last, _))) if first == last => first.label(),
        (Some((first, _)), Some((last, _))) => {
            format!("{} to {}", first.first_day().format("%B"), last.label())
        }
        _ => String::new(),
    }
}

/// Months a run chart needs before its signals are read.
const CHART_MONTHS: usize = 6;

fn latest_signal(
    months: Months<'_>,
    of: fn(&Side) -> u32,
    what: &str,
    name: &str,
) -> Option<String> {
    if months.len() < CHART_MONTHS {
        return None;
    }
    let values: Vec<f64> = months.iter().map(|(_, s)| f64::from(of(s))).collect();
    let chart = Chart::of(&values)?;
    let last = values.len() - 1;
    let signal = chart.signals[last].iter().find(|s| s.is_high())?;
    Some(format!(
        "{what} about {name} in {} ({}) {}: the mean over these {} months is {:.1}.",
        months[last].0.label(),
        values[last],
        match signal {
            Signal::AboveLimit => format!("are above the upper process limit ({:.1})", chart.upper),
            other => format!("are {}", other.describe()),
        },
        values.len(),
        chart.mean
    ))
}

fn findings(
    months: &[(Month, Side)],
    themes: &[ThemeRow],
    heading_name: &impl Fn(ThemeId) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some((earlier, later)) = halves(months) else {
        return out;
    };
    let sum = |rows: &[(Month, Side)], of: &dyn Fn(&Side) -> u32| -> u32 {
        rows.iter().map(|(_, side)| of(side)).sum()
    };
    let complaints_imported = months
        .iter()
        .any(|(_, s)| s.complaints.count > 0 || s.complaints.suppressed > 0);
    let pals_imported = months
        .iter()
        .any(|(_, s)| s.pals > 0 || s.pals_compliments > 0);
    let (earlier_span, later_span) = (span(earlier), span(later));

    for row in themes {
        let Some(theme) = row.theme else { continue };
        let (Some((row_earlier, row_later)), name) = (halves(&row.months), heading_name(theme))
        else {
            continue;
        };
        let soft = |s: &Side| s.soft_negative;
        let complaints = |s: &Side| s.complaints.count;
        let (soft_before, soft_after) = (sum(row_earlier, &soft), sum(row_later, &soft));
        let (c_before, c_after) = (sum(row_earlier, &complaints), sum(row_later, &complaints));
        let soft_moves = movement(soft_before, soft_after);
        let complaints_move = movement(c_before, c_after);
        if soft_moves == Movement::Rising
            && complaints_imported
            && complaints_move != Movement::Rising
        {
            let pals_note = if pals_imported {
                let pals = |s: &Side| s.pals;
                format!(
                    "; PALS contacts about it: {} then {}",
                    sum(row_earlier, &pals),
                    sum(row_later, &pals)
                )
            } else {
                String::new()
            };
            out.push(format!(
                "Concerns about {name} in soft intelligence rose from {soft_before} ({earlier_span}) to {soft_after} ({later_span}) while complaints {} ({c_before}, then {c_after}){pals_note}.",
                match complaints_move {
                    Movement::Falling => "fell",
                    _ => "stayed level",
                }
            ));
        } else if complaints_move == Movement::Rising && soft_moves != Movement::Rising {
            out.push(format!(
                "Complaints about {name} rose from {c_before} ({earlier_span}) to {c_after} ({later_span}) but soft intelligence did not ({soft_before}, then {soft_after}): PPGs may not be hearing of it."
            ));
        } else if soft_moves == Movement::Rising && !complaints_imported {
            out.push(format!(
                "Concerns about {name} in soft intelligence rose from {soft_before} ({earlier_span}) to {soft_after} ({later_span}); no complaints figures for the period have been imported to compare."
            ));
        }
    }

    // Over six months or more, the latest month of each heading is read as a run chart
    // (Making Data Count): special cause variation upwards is worth a sentence of its own.
    for row in themes {
        let Some(theme) = row.theme else { continue };
        let name = heading_name(theme);
        for (what, of) in [
            (
                "Concerns in soft intelligence",
                (|s: &Side| s.soft_negative) as fn(&Side) -> u32,
            ),
            ("Complaints", |s: &Side| s.complaints.count),
        ] {
            if let Some(sentence) = latest_signal(&row.months, of, what, &name) {
                out.push(sentence);
            }
        }
    }

    let fft = months
        .iter()
        .filter_map(|(_, s)| s.fft)
        .fold(FftSummary::default(), |mut all, m| {
            all.responses += m.responses;
            all.positive += m.positive;
            all.negative += m.negative;
            all.dont_know += m.dont_know;
            all.suppressed_lines += m.suppressed_lines;
            all
        });
    let concerns = sum(months, &|s| s.soft_negative);
    let reports = concerns + sum(months, &|s| s.soft_positive);
    if let Some(positive) = fft.percent_positive()
        && fft.responses >= 30
        && positive >= 85
        && reports >= 5
        && concerns * 3 >= reports * 2
    {
        out.push(format!(
            "The Friends and Family Test was {positive}% positive (of {} responses) while {concerns} of {reports} soft-intelligence reports were concerns: the survey may not be reaching the patients PPGs hear from.",
            fft.responses
        ));
    }
    let stories = sum(months, &|s| s.stories);
    let responded = sum(months, &|s| s.responded);
    let made = sum(months, &|s| s.change_made);
    if stories >= 5 && responded * 2 >= stories && made == 0 {
        out.push(format!(
            "The provider responded to {responded} of {stories} Care Opinion stories, and none of its responses says a change was made."
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn month(m: u32) -> Month {
        Month::of(NaiveDate::from_ymd_opt(2026, m, 1).unwrap())
    }

    const DISCHARGE: ThemeId = ThemeId(7);

    fn concern(m: u32) -> SoftReport {
        SoftReport {
            month: month(m),
            concern: true,
            themes: vec![(DISCHARGE, Polarity::Negative)],
        }
    }

    fn stored(line: i32, m: u32, theme: Option<ThemeId>, measure: Measure, value: Count) -> Stored {
        Stored {
            record: (1, line),
            month: month(m),
            theme,
            measure,
            value,
        }
    }

    #[test]
    fn rising_soft_intelligence_beside_level_complaints_is_said_in_a_sentence() {
        let months = month(7).through(month(10));
        let reports: Vec<SoftReport> = [7, 8, 9, 9, 10, 10, 10, 10].map(concern).to_vec();
        let figures: Vec<Stored> = [7, 8, 9, 10]
            .into_iter()
            .enumerate()
            .map(|(n, m)| {
                stored(
                    n as i32,
                    m,
                    Some(DISCHARGE),
                    Measure::ComplaintsNew,
                    Count::Known(2),
                )
            })
            .collect();
        let t = triangulate(&months, &reports, &figures, |_| "discharge".into());
        let row = t
            .themes
            .iter()
            .find(|r| r.theme == Some(DISCHARGE))
            .unwrap();
        let soft: Vec<u32> = row.months.iter().map(|(_, s)| s.soft_negative).collect();
        assert_eq!(soft, [1, 1, 2, 4]);
        assert_eq!(
            t.months[3].1.complaints,
            Tally {
                count: 2,
                suppressed: 0
            }
        );
        assert_eq!(
            t.findings,
            [
                "Concerns about discharge in soft intelligence rose from 2 (July to August 2026) to 6 (September to October 2026) while complaints stayed level (4, then 4)."
            ]
        );
    }

    #[test]
    fn rising_complaints_unheard_by_ppgs_are_said_too() {
        let months = month(9).through(month(10));
        let figures = [
            stored(
                1,
                9,
                Some(DISCHARGE),
                Measure::ComplaintsNew,
                Count::Known(1),
            ),
            stored(
                2,
                10,
                Some(DISCHARGE),
                Measure::ComplaintsNew,
                Count::Known(6),
            ),
        ];
        let t = triangulate(&months, &[concern(9)], &figures, |_| "discharge".into());
        assert_eq!(t.findings.len(), 1);
        assert!(
            t.findings[0].starts_with(
                "Complaints about discharge rose from 1 (September 2026) to 6 (October 2026)"
            ),
            "{}",
            t.findings[0]
        );
    }

    #[test]
    fn fft_percentages_have_their_base_and_leave_out_suppressed_lines() {
        let months = [month(10)];
        let line = |n, vg, g, p, vp, dk, total| {
            [
                (Measure::FftVeryGood, vg),
                (Measure::FftGood, g),
                (Measure::FftNeither, Count::Known(0)),
                (Measure::FftPoor, p),
                (Measure::FftVeryPoor, vp),
                (Measure::FftDontKnow, dk),
                (Measure::FftResponses, total),
            ]
            .map(|(measure, value)| stored(n, 10, None, measure, value))
        };
        let k = Count::Known;
        let mut figures = line(1, k(60), k(20), k(5), k(5), k(10), k(100)).to_vec();
        figures.extend(line(2, Count::Suppressed, k(3), k(0), k(0), k(0), k(4)));
        let t = triangulate(&months, &[], &figures, |_| String::new());
        let fft = t.months[0].1.fft.unwrap();
        assert_eq!(
            fft,
            FftSummary {
                responses: 100,
                positive: 80,
                negative: 10,
                dont_know: 10,
                suppressed_lines: 1
            }
        );
        assert_eq!(fft.percent_positive(), Some(80));
        assert_eq!(FftSummary::default().percent_positive(), None);
    }

    #[test]
    fn a_posting_is_one_story_overall_however_many_headings_it_is_under() {
        let months = [month(10)];
        let staff = ThemeId(4);
        let figures = [
            stored(
                5,
                10,
                Some(DISCHARGE),
                Measure::CareOpinionStory,
                Count::Known(1),
            ),
            stored(
                5,
                10,
                Some(DISCHARGE),
                Measure::CareOpinionNegativeTag,
                Count::Known(2),
            ),
            stored(
                5,
                10,
                Some(DISCHARGE),
                Measure::CareOpinionResponded,
                Count::Known(1),
            ),
            stored(
                5,
                10,
                Some(staff),
                Measure::CareOpinionStory,
                Count::Known(1),
            ),
            stored(
                5,
                10,
                Some(staff),
                Measure::CareOpinionNegativeTag,
                Count::Known(1),
            ),
            stored(
                5,
                10,
                Some(staff),
                Measure::CareOpinionResponded,
                Count::Known(1),
            ),
            stored(6, 10, None, Measure::CareOpinionStory, Count::Known(1)),
        ];
        let t = triangulate(&months, &[], &figures, |_| String::new());
        let overall = t.months[0].1;
        assert_eq!(
            (overall.stories, overall.negative_tags, overall.responded),
            (2, 3, 1)
        );
        let staff_row = t.themes.iter().find(|r| r.theme == Some(staff)).unwrap();
        assert_eq!(staff_row.months[0].1.stories, 1);
    }

    #[test]
    fn suppressed_complaints_are_counted_as_suppressed_not_as_zero() {
        let figures = [
            stored(1, 10, None, Measure::ComplaintsNew, Count::Suppressed),
            stored(2, 10, None, Measure::ComplaintsNew, Count::Known(3)),
        ];
        let t = triangulate(&[month(10)], &[], &figures, |_| String::new());
        assert_eq!(
            t.months[0].1.complaints,
            Tally {
                count: 3,
                suppressed: 1
            }
        );
    }

    #[test]
    fn small_counts_do_not_make_a_movement() {
        assert_eq!(movement(0, 1), Movement::Level);
        assert_eq!(movement(0, 2), Movement::Level);
        assert_eq!(movement(1, 4), Movement::Rising);
        assert_eq!(movement(10, 14), Movement::Level);
        assert_eq!(movement(10, 15), Movement::Rising);
        assert_eq!(movement(6, 3), Movement::Falling);
        assert_eq!(movement(3, 2), Movement::Level);
    }

    #[test]
    fn a_month_beyond_the_process_limits_is_named_over_six_months_or_more() {
        let months = month(5).through(month(11));
        let mut reports = Vec::new();
        for (m, n) in [(5, 1), (6, 2), (7, 1), (8, 2), (9, 1), (10, 2), (11, 9)] {
            for _ in 0..n {
                reports.push(concern(m));
            }
        }
        let t = triangulate(&months, &reports, &[], |_| "discharge".into());
        assert!(
            t.findings.iter().any(|f| f.starts_with(
                "Concerns in soft intelligence about discharge in November 2026 (9) are above the upper process limit"
            )),
            "{:?}",
            t.findings
        );
        let short = triangulate(&months[2..], &reports, &[], |_| "discharge".into());
        assert!(short.findings.iter().all(|f| !f.contains("process limit")));
    }
}
