//! Other sources of patient feedback, lined up with the pyramid's own soft intelligence:
//! Friends and Family Test results, complaints (KO41a / KO41b), PALS contacts and Care Opinion
//! postings, each keyed by the ODS code of the organisation it is about; and the ODS register
//! that names those organisations. `formats` reads each source's file into `Record`s (every
//! line that fails validation becomes a `LineError`, by line and reason); `figures` turns a
//! record into the counts that are stored; `triangulation` puts them side by side.
//!
//! Imported data is about organisations, never about people: no file layout has a column for
//! a person, and nothing free-text from a file is kept.

pub mod export;
pub mod formats;
pub mod triangulation;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::provider::{OdsCode, ProviderKind};
use super::{FeedbackImportId, GroupId, MemberId, RedactedText, ThemeId};

stored_enum!(
    /// Where a file of feedback comes from.
    Source {
        /// Friends and Family Test monthly results, in NHS England's published layout.
        Fft = "FFT",
        /// Written complaints, in the KO41a / KO41b shape.
        Complaints = "COMPLAINTS",
        /// Contacts with the Patient Advice and Liaison Service.
        Pals = "PALS",
        /// Stories posted on Care Opinion.
        CareOpinion = "CARE_OPINION",
        /// The register of organisations and sites (an ODS extract): not feedback, but what
        /// feedback is keyed by.
        OdsRegister = "ODS",
    }
);

impl Source {
    /// The name people call it by, in sentences.
    pub fn label(self) -> &'static str {
        match self {
            Source::Fft => "Friends and Family Test",
            Source::Complaints => "complaints",
            Source::Pals => "PALS contacts",
            Source::CareOpinion => "Care Opinion",
            Source::OdsRegister => "the ODS register",
        }
    }

    /// The word used on the command line: `pyramid import fft results.csv`.
    pub fn command_word(self) -> &'static str {
        match self {
            Source::Fft => "fft",
            Source::Complaints => "complaints",
            Source::Pals => "pals",
            Source::CareOpinion => "care-opinion",
            Source::OdsRegister => "ods",
        }
    }

    pub fn from_command_word(word: &str) -> Option<Self> {
        let word = word.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL.iter().copied().find(|s| s.command_word() == word)
    }
}

stored_enum!(
    /// One stored count of an imported line.
    Measure {
        FftVeryGood = "FFT_VERY_GOOD",
        FftGood = "FFT_GOOD",
        FftNeither = "FFT_NEITHER",
        FftPoor = "FFT_POOR",
        FftVeryPoor = "FFT_VERY_POOR",
        FftDontKnow = "FFT_DONT_KNOW",
        FftResponses = "FFT_RESPONSES",
        FftEligible = "FFT_ELIGIBLE",
        ComplaintsNew = "COMPLAINTS_NEW",
        ComplaintsUpheld = "COMPLAINTS_UPHELD",
        ComplaintsPartlyUpheld = "COMPLAINTS_PARTLY",
        ComplaintsNotUpheld = "COMPLAINTS_NOT_UPHELD",
        PalsContact = "PALS_CONTACT",
        PalsCompliment = "PALS_COMPLIMENT",
        /// A posting, counted once under each theme its tags are about.
        CareOpinionStory = "CO_STORY",
        CareOpinionNegativeTag = "CO_TAG_NEGATIVE",
        CareOpinionPositiveTag = "CO_TAG_POSITIVE",
        /// Moderately critical or more (3 to 5 on Care Opinion's scale).
        CareOpinionCritical = "CO_CRITICAL",
        CareOpinionResponded = "CO_RESPONDED",
        CareOpinionChangePlanned = "CO_CHANGE_PLANNED",
        CareOpinionChangeMade = "CO_CHANGE_MADE",
    }
);

/// A count as published: a number, or suppressed (`*`, too small to publish). A suppressed
/// count is never read as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Known(u32),
    Suppressed,
}

impl Count {
    pub fn known(self) -> Option<u32> {
        match self {
            Count::Known(n) => Some(n),
            Count::Suppressed => None,
        }
    }

    /// As stored: a suppressed count is a null.
    pub fn to_db(self) -> Option<i64> {
        self.known().map(i64::from)
    }

    pub fn from_db(value: Option<i64>) -> Self {
        match value.and_then(|v| u32::try_from(v).ok()) {
            Some(n) => Count::Known(n),
            None => Count::Suppressed,
        }
    }
}

/// A calendar month, kept as its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month(NaiveDate);

impl Month {
    pub fn of(date: NaiveDate) -> Self {
        Self(date.with_day(1).unwrap_or(date))
    }

    pub fn first_day(self) -> NaiveDate {
        self.0
    }

    pub fn next(self) -> Self {
        Self(
            self.0
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(self.0),
        )
    }

    pub fn previous(self) -> Self {
        Self(
            self.0
                .checked_sub_months(chrono::Months::new(1))
                .unwrap_or(self.0),
        )
    }

    /// The months from `self` to `last`, both included.
    pub fn through(self, last: Month) -> Vec<Month> {
        let mut months = Vec::new();
        let mut month = self;
        while month <= last && months.len() < 1200 {
            months.push(month);
            month = month.next();
        }
        months
    }

    /// "October 2026".
    pub fn label(self) -> String {
        self.0.format("%B %Y").to_string()
    }

    /// "2026-10".
    pub fn code(self) -> String {
        self.0.format("%Y-%m").to_string()
    }

    /// A month as files write it: `2026-10`, `2026-10-01` (any day of the month), `Oct-26`,
    /// `OCT-2026`, `October 2026` or `10/2026`.
    pub fn parse(raw: &str) -> Option<Self> {
        let text = raw.trim();
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Some(Self::of(date));
        }
        if let Ok(date) = NaiveDate::parse_from_str(text, "%d/%m/%Y") {
            return Some(Self::of(date));
        }
        let normal = text.replace(['/', ' '], "-");
        let mut parts = normal.split('-').filter(|p| !p.is_empty());
        let (first, second) = (parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let (year, month) = match (first.parse::<i32>(), second.parse::<u32>()) {
            (Ok(year), Ok(month)) if first.len() == 4 => (year, month),
            _ => {
                let month = month_number(first).or_else(|| first.parse().ok())?;
                let year: i32 = second.parse().ok()?;
                let year = match second.len() {
                    2 => 2000 + year,
                    4 => year,
                    _ => return None,
                };
                (year, month)
            }
        };
        NaiveDate::from_ymd_opt(year, month, 1).map(Self)
    }
}

fn month_number(name: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = name.to_ascii_lowercase();
    if name.len() < 3 {
        return None;
    }
    NAMES
        .iter()
        .position(|full| full.starts_with(&name) && (name.len() == 3 || name.len() == full.len()))
        .map(|i| i as u32 + 1)
}

/// The day a report of the pyramid's own counts on beside other sources: the day of the
/// experience it reports, where the reporter gave it (as complaints count by when they were
/// made and the FFT by when it was answered), else the UK day it was raised.
pub fn report_day(experienced_on: Option<NaiveDate>, raised_at: DateTime<Utc>) -> NaiveDate {
    experienced_on.unwrap_or_else(|| super::clock::uk_date(raised_at))
}

/// A line of a file that was not imported, and why, in a sentence the importer can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub reason: String,
}

/// Friends and Family Test answers for one organisation and month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FftCounts {
    pub very_good: Count,
    pub good: Count,
    pub neither: Count,
    pub poor: Count,
    pub very_poor: Count,
    pub dont_know: Count,
    pub responses: Count,
    pub eligible: Count,
}

/// What a Care Opinion tag says about its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagPolarity {
    Positive,
    Negative,
    Neutral,
}

/// Whether a provider's response to a posting says a change was planned or made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStated {
    None,
    Planned,
    Made,
}

/// What a line says, by source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Fft(FftCounts),
    Complaints {
        /// The KO41 subject area, as written (matched to a theme heading by the crosswalk).
        subject: String,
        service_area: Option<String>,
        new: Count,
        upheld: Count,
        partly_upheld: Count,
        not_upheld: Count,
    },
    Pals {
        subject: String,
        compliment: bool,
    },
    CareOpinion {
        tags: Vec<(String, TagPolarity)>,
        /// 0 (not critical) to 5 (severely critical).
        criticality: u8,
        responded: bool,
        change: ChangeStated,
    },
}

/// One valid line of a feedback file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub ods_code: OdsCode,
    /// The organisation the line's site or service belongs to, where the file says.
    pub parent_code: Option<OdsCode>,
    pub month: Month,
    pub body: Body,
}

/// One organisation or site of an ODS extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    pub line: usize,
    pub ods_code: OdsCode,
    pub name: String,
    pub kind: ProviderKind,
    pub parent_code: Option<OdsCode>,
}

/// One count to store: a measure of a line, under a theme heading where the source has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    pub theme: Option<ThemeId>,
    pub measure: Measure,
    pub value: Count,
}

/// The counts a line gives, with each subject or tag placed under a theme heading by
/// `heading_of` (`None`: no heading of the vocabulary matches).
pub fn figures(body: &Body, heading_of: impl Fn(&str) -> Option<ThemeId>) -> Vec<Figure> {
    let figure = |theme, measure, value| Figure {
        theme,
        measure,
        value,
    };
    let one = Count::Known(1);
    match body {
        Body::Fft(c) => [
            (Measure::FftVeryGood, c.very_good),
            (Measure::FftGood, c.good),
            (Measure::FftNeither, c.neither),
            (Measure::FftPoor, c.poor),
            (Measure::FftVeryPoor, c.very_poor),
            (Measure::FftDontKnow, c.dont_know),
            (Measure::FftResponses, c.responses),
            (Measure::FftEligible, c.eligible),
        ]
        .into_iter()
        .map(|(measure, value)| figure(None, measure, value))
        .collect(),
        Body::Complaints {
            subject,
            new,
            upheld,
            partly_upheld,
            not_upheld,
            ..
        } => {
            let theme = heading_of(subject);
            [
                (Measure::ComplaintsNew, *new),
                (Measure::ComplaintsUpheld, *upheld),
                (Measure::ComplaintsPartlyUpheld, *partly_upheld),
                (Measure::ComplaintsNotUpheld, *not_upheld),
            ]
            .into_iter()
            .map(|(measure, value)| figure(theme, measure, value))
            .collect()
        }
        Body::Pals {
            subject,
            compliment,
        } => {
            let measure = if *compliment {
                Measure::PalsCompliment
            } else {
                Measure::PalsContact
            };
            vec![figure(heading_of(subject), measure, one)]
        }
        Body::CareOpinion {
            tags,
            criticality,
            responded,
            change,
        } => {
            // A posting counts once under each heading its tags are about (or once with no
            // heading), with its tags of each polarity under their own headings.
            let mut themes: Vec<Option<ThemeId>> = Vec::new();
            let mut tagged = Vec::new();
            for (tag, polarity) in tags {
                let theme = heading_of(tag);
                if !themes.contains(&theme) {
                    themes.push(theme);
                }
                tagged.push((theme, *polarity));
            }
            if themes.is_empty() {
                themes.push(None);
            }
            let mut out = Vec::new();
            for theme in themes {
                out.push(figure(theme, Measure::CareOpinionStory, one));
                let count = |wanted| {
                    let n = tagged
                        .iter()
                        .filter(|(t, p)| *t == theme && *p == wanted)
                        .count();
                    Count::Known(u32::try_from(n).unwrap_or(u32::MAX))
                };
                for (measure, polarity) in [
                    (Measure::CareOpinionNegativeTag, TagPolarity::Negative),
                    (Measure::CareOpinionPositiveTag, TagPolarity::Positive),
                ] {
                    let n = count(polarity);
                    if n != Count::Known(0) {
                        out.push(figure(theme, measure, n));
                    }
                }
                if *criticality >= 3 {
                    out.push(figure(theme, Measure::CareOpinionCritical, one));
                }
                if *responded {
                    out.push(figure(theme, Measure::CareOpinionResponded, one));
                }
                match change {
                    ChangeStated::None => {}
                    ChangeStated::Planned => {
                        out.push(figure(theme, Measure::CareOpinionChangePlanned, one))
                    }
                    ChangeStated::Made => {
                        out.push(figure(theme, Measure::CareOpinionChangeMade, one))
                    }
                }
            }
            out
        }
    }
}

/// A file imported into an area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub id: FeedbackImportId,
    pub area_id: GroupId,
    pub source: Source,
    pub file_name: RedactedText,
    pub rows_imported: u32,
    pub rows_rejected: u32,
    /// The months its figures cover (none for the register).
    pub first_month: Option<Month>,
    pub last_month: Option<Month>,
    pub imported_by: Option<MemberId>,
    pub imported_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_as_files_write_them() {
        let october = Month::of(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        for text in [
            "2026-10",
            "2026-10-17",
            "Oct-26",
            "OCT-2026",
            "October 2026",
            "10/2026",
            "17/10/2026",
        ] {
            assert_eq!(Month::parse(text), Some(october), "{text}");
        }
        for bad in [
            "",
            "2026",
            "Octo-26",
            "2026-13",
            "13/2026",
            "Oct-026",
            "yesterday",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(october.label(), "October 2026");
        assert_eq!(october.next().code(), "2026-11");
        assert_eq!(october.previous().code(), "2026-09");
        assert_eq!(october.previous().through(october.next()).len(), 3);
    }

    #[test]
    fn a_suppressed_count_is_never_zero() {
        assert_eq!(Count::Suppressed.to_db(), None);
        assert_eq!(Count::from_db(None), Count::Suppressed);
        assert_eq!(Count::from_db(Some(0)), Count::Known(0));
    }

    #[test]
    fn a_posting_counts_once_under_each_heading_its_tags_are_about() {
        let discharge = ThemeId(7);
        let staff = ThemeId(4);
        let heading = |tag: &str| match tag {
            "discharge" | "going home" => Some(discharge),
            "staff attitude" => Some(staff),
            _ => None,
        };
        let body = Body::CareOpinion {
            tags: vec![
                ("discharge".into(), TagPolarity::Negative),
                ("going home".into(), TagPolarity::Negative),
                ("staff attitude".into(), TagPolarity::Positive),
                ("parking".into(), TagPolarity::Neutral),
            ],
            criticality: 3,
            responded: true,
            change: ChangeStated::Planned,
        };
        let figures = figures(&body, heading);
        let of = |theme, measure| {
            figures
                .iter()
                .filter(|f| f.theme == theme && f.measure == measure)
                .map(|f| f.value)
                .collect::<Vec<_>>()
        };
        for theme in [Some(discharge), Some(staff), None] {
            assert_eq!(
                of(theme, Measure::CareOpinionStory),
                [Count::Known(1)],
                "{theme:?}"
            );
            assert_eq!(of(theme, Measure::CareOpinionChangePlanned).len(), 1);
        }
        assert_eq!(
            of(Some(discharge), Measure::CareOpinionNegativeTag),
            [Count::Known(2)]
        );
        assert!(of(Some(discharge), Measure::CareOpinionPositiveTag).is_empty());
        assert_eq!(
            of(Some(staff), Measure::CareOpinionPositiveTag),
            [Count::Known(1)]
        );
        assert!(of(None, Measure::CareOpinionChangeMade).is_empty());
    }

    #[test]
    fn sources_are_named_on_the_command_line_by_a_word() {
        for source in Source::ALL {
            assert_eq!(
                Source::from_command_word(source.command_word()),
                Some(*source)
            );
        }
        assert_eq!(
            Source::from_command_word("CARE_OPINION"),
            Some(Source::CareOpinion)
        );
        assert_eq!(Source::from_command_word("survey"), None);
    }
}
