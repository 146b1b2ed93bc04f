//! The open-data export: counts by month, provider, theme heading and source, anonymised as
//! NHS England publishes such figures: any count from 1 to 4 is suppressed (`*`), so that a
//! small number cannot point to a person; zero is shown. A total made from a suppressed count
//! is suppressed too.

use std::collections::BTreeMap;

use super::{Count, Measure, Month};
use crate::domain::{ProviderId, ThemeId};

/// Counts under this are suppressed.
pub const SUPPRESS_UNDER: u32 = 5;

/// What a published count shows.
pub fn published(count: Count) -> Count {
    match count {
        Count::Known(n) if n > 0 && n < SUPPRESS_UNDER => Count::Suppressed,
        other => other,
    }
}

/// The export's source column: the pyramid's own reports, or an imported source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    SoftIntelligenceConcerns,
    SoftIntelligencePositive,
    Imported(Measure),
}

impl Column {
    /// `(source, measure)` as the CSV names them.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Column::SoftIntelligenceConcerns => ("SOFT_INTELLIGENCE", "CONCERNS"),
            Column::SoftIntelligencePositive => ("SOFT_INTELLIGENCE", "POSITIVE"),
            Column::Imported(measure) => {
                let source = match measure {
                    Measure::FftVeryGood
                    | Measure::FftGood
                    | Measure::FftNeither
                    | Measure::FftPoor
                    | Measure::FftVeryPoor
                    | Measure::FftDontKnow
                    | Measure::FftResponses
                    | Measure::FftEligible => "FFT",
                    Measure::ComplaintsNew
                    | Measure::ComplaintsUpheld
                    | Measure::ComplaintsPartlyUpheld
                    | Measure::ComplaintsNotUpheld => "COMPLAINTS",
                    Measure::PalsContact | Measure::PalsCompliment => "PALS",
                    _ => "CARE_OPINION",
                };
                (source, measure.as_str())
            }
        }
    }
}

/// One cell of the export before it is published: summed, suppressed if any part was.
#[derive(Debug, Default)]
pub struct Cells {
    cells: BTreeMap<(Month, ProviderId, Option<ThemeId>, Column), Count>,
}

impl Cells {
    pub fn add(
        &mut self,
        month: Month,
        provider: ProviderId,
        theme: Option<ThemeId>,
        column: Column,
        value: Count,
    ) {
        let cell = self
            .cells
            .entry((month, provider, theme, column))
            .or_insert(Count::Known(0));
        *cell = match (*cell, value) {
            (Count::Known(a), Count::Known(b)) => Count::Known(a.saturating_add(b)),
            _ => Count::Suppressed,
        };
    }

    /// The cells in order (month, provider, theme, column), each as published.
    pub fn published(
        &self,
    ) -> impl Iterator<Item = (Month, ProviderId, Option<ThemeId>, Column, Count)> + '_ {
        self.cells
            .iter()
            .map(|((month, provider, theme, column), count)| {
                (*month, *provider, *theme, *column, published(*count))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn counts_from_one_to_four_are_suppressed_and_zero_is_shown() {
        assert_eq!(published(Count::Known(0)), Count::Known(0));
        for n in 1..5 {
            assert_eq!(published(Count::Known(n)), Count::Suppressed, "{n}");
        }
        assert_eq!(published(Count::Known(5)), Count::Known(5));
        assert_eq!(published(Count::Suppressed), Count::Suppressed);
    }

    #[test]
    fn a_total_with_a_suppressed_part_is_suppressed_and_small_totals_too() {
        let month = Month::of(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        let mut cells = Cells::default();
        let complaints = Column::Imported(Measure::ComplaintsNew);
        cells.add(month, ProviderId(1), None, complaints, Count::Known(7));
        cells.add(month, ProviderId(1), None, complaints, Count::Suppressed);
        cells.add(month, ProviderId(2), None, complaints, Count::Known(2));
        cells.add(month, ProviderId(2), None, complaints, Count::Known(2));
        cells.add(month, ProviderId(3), None, complaints, Count::Known(3));
        cells.add(month, ProviderId(3), None, complaints, Count::Known(3));
        let out: Vec<Count> = cells.published().map(|(.., count)| count).collect();
        assert_eq!(out, [Count::Suppressed, Count::Suppressed, Count::Known(6)]);
        assert_eq!(complaints.names(), ("COMPLAINTS", "COMPLAINTS_NEW"));
    }
}
