//! The register of consultations and engagement exercises an area's commissioners run, and
//! the rules the annual consultation report rests on: financial years (`2026-27`, 1 April to
//! 31 March), which consultations fall in a year (their period overlaps it), and a
//! consultation's status on a given day.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::text::InvalidInput;
use super::{ConsultationId, GroupId, ItemId, MemberId, NewsletterId, RedactedText};

stored_enum!(
    /// How people were asked.
    Method {
        Survey = "SURVEY",
        PublicMeeting = "PUBLIC_MEETING",
        FocusGroup = "FOCUS_GROUP",
        Workshop = "WORKSHOP",
        /// An online questionnaire, forum or event.
        Online = "ONLINE",
        /// Discussed at PPG, district or council meetings.
        PpgDiscussion = "PPG_DISCUSSION",
        Other = "OTHER",
    }
);

impl Method {
    /// The method in words, for the report.
    pub fn label(self) -> &'static str {
        match self {
            Method::Survey => "Survey",
            Method::PublicMeeting => "Public meeting",
            Method::FocusGroup => "Focus group",
            Method::Workshop => "Workshop",
            Method::Online => "Online",
            Method::PpgDiscussion => "Discussion at patient groups",
            Method::Other => "Other",
        }
    }
}

stored_enum!(
    /// What what was heard did to the decision it informed.
    InfluenceLevel {
        /// The decision was changed because of what people said.
        Changed = "CHANGED",
        /// The decision was shaped (details, timing, how it is carried out) by what was heard.
        Shaped = "SHAPED",
        /// What was heard supported the decision as proposed.
        Confirmed = "CONFIRMED",
        /// The decision has not been made yet.
        NotYetKnown = "NOT_YET_KNOWN",
    }
);

impl InfluenceLevel {
    pub fn label(self) -> &'static str {
        match self {
            InfluenceLevel::Changed => "Changed the decision",
            InfluenceLevel::Shaped => "Shaped the decision",
            InfluenceLevel::Confirmed => "Confirmed the decision",
            InfluenceLevel::NotYetKnown => "Not yet known",
        }
    }
}

/// Where a consultation is, by the UK date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultationStatus {
    /// It has not started yet.
    Planned,
    /// It is open today.
    Running,
    /// It has ended.
    Closed,
}

/// A financial year of the NHS: 1 April to 31 March, written `2026-27`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FinancialYear {
    /// The calendar year it starts in.
    start_year: i32,
}

impl FinancialYear {
    /// Reads `2026-27`: four digits, a hyphen, and the last two digits of the next year.
    pub fn parse(field: &'static str, text: &str) -> Result<FinancialYear, InvalidInput> {
        let bad = || {
            InvalidInput::new(
                field,
                format!(
                    "'{}' is not a financial year: write it as 2026-27 (1 April 2026 to 31 March 2027).",
                    text.trim()
                ),
            )
        };
        let (first, second) = text.trim().split_once('-').ok_or_else(bad)?;
        if first.len() != 4
            || second.len() != 2
            || !first.bytes().all(|b| b.is_ascii_digit())
            || !second.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let start_year: i32 = first.parse().map_err(|_| bad())?;
        let end: i32 = second.parse().map_err(|_| bad())?;
        if (start_year + 1) % 100 != end {
            return Err(InvalidInput::new(
                field,
                format!(
                    "{} is not a financial year: a financial year runs from April to the next March, so {start_year} is followed by {:02} ({start_year}-{:02}).",
                    text.trim(),
                    (start_year + 1) % 100,
                    (start_year + 1) % 100
                ),
            ));
        }
        if !(2000..=2200).contains(&start_year) {
            return Err(bad());
        }
        Ok(FinancialYear { start_year })
    }

    /// The financial year a day falls in.
    pub fn of(day: NaiveDate) -> FinancialYear {
        let start_year = if day.month() >= 4 {
            day.year()
        } else {
            day.year() - 1
        };
        FinancialYear { start_year }
    }

    /// `2026-27`.
    pub fn code(self) -> String {
        format!("{}-{:02}", self.start_year, (self.start_year + 1) % 100)
    }

    /// 1 April.
    pub fn starts_on(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    /// 31 March of the next year.
    pub fn ends_on(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    pub fn previous(self) -> FinancialYear {
        FinancialYear {
            start_year: self.start_year - 1,
        }
    }

    pub fn next(self) -> FinancialYear {
        FinancialYear {
            start_year: self.start_year + 1,
        }
    }

    /// "1 April 2026 to 31 March 2027".
    pub fn describe(self) -> String {
        format!(
            "{} to {}",
            self.starts_on().format("%-d %B %Y"),
            self.ends_on().format("%-d %B %Y")
        )
    }

    /// Whether a period from `starts_on` to `ends_on` (both included) has any day in the year.
    pub fn overlaps(self, starts_on: NaiveDate, ends_on: NaiveDate) -> bool {
        starts_on <= self.ends_on() && ends_on >= self.starts_on()
    }
}

/// A year's report is published once the year has begun (usually after it ends): a report
/// published for a year still to come could never be replaced by the real one.
pub fn check_reportable(year: FinancialYear, today: NaiveDate) -> Result<(), InvalidInput> {
    if today < year.starts_on() {
        return Err(InvalidInput::new(
            "financialYear",
            format!(
                "{} has not begun yet: its report can be published from {}. Use consultationReport to read a draft.",
                year.code(),
                year.starts_on().format("%-d %B %Y")
            ),
        ));
    }
    Ok(())
}

/// Checks a consultation's period: it ends on or after the day it starts.
pub fn check_period(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<(), InvalidInput> {
    if ends_on < starts_on {
        return Err(InvalidInput::new(
            "endsOn",
            format!(
                "The consultation cannot end ({}) before it starts ({}).",
                ends_on.format("%-d %B %Y"),
                starts_on.format("%-d %B %Y")
            ),
        ));
    }
    Ok(())
}

/// How many people took part: a count, not negative.
pub fn check_people_involved(count: i32) -> Result<u32, InvalidInput> {
    u32::try_from(count).map_err(|_| {
        InvalidInput::new(
            "peopleInvolved",
            "How many people took part cannot be negative; leave it out if it is not known.",
        )
    })
}

/// A consultation or engagement exercise in an area's register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    pub id: ConsultationId,
    pub area_id: GroupId,
    pub title: RedactedText,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub method: Method,
    /// How many took part, when known.
    pub people_involved: Option<u32>,
    /// Who was involved, in words ("patients of 12 practices, the carers' forum").
    pub who_was_involved: RedactedText,
    pub what_was_heard: Option<RedactedText>,
    /// The commissioning decision it informed.
    pub decision: Option<RedactedText>,
    /// How what was heard changed or confirmed the decision.
    pub influence: Option<RedactedText>,
    pub influence_level: Option<InfluenceLevel>,
    /// The PPGs, districts or council involved.
    pub group_ids: Vec<GroupId>,
    pub item_ids: Vec<ItemId>,
    pub newsletter_ids: Vec<NewsletterId>,
    pub created_by: Option<MemberId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Consultation {
    /// Planned before it starts, running until the end of its last day, closed after.
    pub fn status(&self, today: NaiveDate) -> ConsultationStatus {
        if today < self.starts_on {
            ConsultationStatus::Planned
        } else if today <= self.ends_on {
            ConsultationStatus::Running
        } else {
            ConsultationStatus::Closed
        }
    }

    /// Whether it ran (or will run) on any day of the year.
    pub fn falls_in(&self, year: FinancialYear) -> bool {
        year.overlaps(self.starts_on, self.ends_on)
    }

    /// "3 March to 14 April 2026", "3 March 2026 to 10 January 2027", "3 March 2026".
    pub fn dates(&self) -> String {
        describe_period(self.starts_on, self.ends_on)
    }
}

/// A period in words, without repeating the year (or month) when both ends share it.
pub fn describe_period(starts_on: NaiveDate, ends_on: NaiveDate) -> String {
    if starts_on == ends_on {
        starts_on.format("%-d %B %Y").to_string()
    } else if starts_on.year() == ends_on.year() {
        format!(
            "{} to {}",
            starts_on.format("%-d %B"),
            ends_on.format("%-d %B %Y")
        )
    } else {
        format!(
            "{} to {}",
            starts_on.format("%-d %B %Y"),
            ends_on.format("%-d %B %Y")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn financial_years_are_written_with_the_next_years_last_two_digits() {
        let year = FinancialYear::parse("financialYear", " 2026-27 ").unwrap();
        assert_eq!(year.code(), "2026-27");
        assert_eq!(year.starts_on(), day(2026, 4, 1));
        assert_eq!(year.ends_on(), day(2027, 3, 31));
        assert_eq!(year.previous().code(), "2025-26");
        assert_eq!(year.next().code(), "2027-28");
        assert_eq!(year.describe(), "1 April 2026 to 31 March 2027");
        assert_eq!(
            FinancialYear::parse("y", "2099-00").unwrap().code(),
            "2099-00"
        );
        for bad in [
            "2026",
            "2026-28",
            "26-27",
            "2026/27",
            "2026-2027",
            "",
            "abcd-ef",
        ] {
            let error = FinancialYear::parse("financialYear", bad).unwrap_err();
            assert_eq!(error.field, "financialYear");
            assert!(
                error.message.contains("2026-27"),
                "{bad}: {}",
                error.message
            );
        }
    }

    #[test]
    fn a_day_belongs_to_the_year_that_started_on_the_april_before_it() {
        assert_eq!(FinancialYear::of(day(2026, 12, 2)).code(), "2026-27");
        assert_eq!(FinancialYear::of(day(2027, 3, 31)).code(), "2026-27");
        assert_eq!(FinancialYear::of(day(2027, 4, 1)).code(), "2027-28");
        assert_eq!(FinancialYear::of(day(2026, 3, 31)).code(), "2025-26");
    }

    #[test]
    fn a_consultation_falls_in_every_year_its_period_touches() {
        let year = FinancialYear::parse("y", "2026-27").unwrap();
        assert!(year.overlaps(day(2026, 4, 1), day(2026, 4, 1)));
        assert!(year.overlaps(day(2027, 3, 31), day(2027, 5, 1)));
        assert!(year.overlaps(day(2026, 2, 1), day(2026, 4, 1)));
        assert!(year.overlaps(day(2025, 1, 1), day(2028, 1, 1)));
        assert!(!year.overlaps(day(2026, 1, 1), day(2026, 3, 31)));
        assert!(!year.overlaps(day(2027, 4, 1), day(2027, 6, 30)));
    }

    #[test]
    fn status_follows_the_dates_and_periods_read_naturally() {
        assert!(check_period(day(2026, 5, 1), day(2026, 4, 30)).is_err());
        assert!(check_period(day(2026, 5, 1), day(2026, 5, 1)).is_ok());
        assert_eq!(
            describe_period(day(2026, 5, 1), day(2026, 6, 12)),
            "1 May to 12 June 2026"
        );
        assert_eq!(
            describe_period(day(2026, 12, 1), day(2027, 1, 12)),
            "1 December 2026 to 12 January 2027"
        );
        assert_eq!(
            describe_period(day(2026, 5, 1), day(2026, 5, 1)),
            "1 May 2026"
        );
        assert!(check_people_involved(-1).is_err());
        let year = FinancialYear::of(day(2026, 12, 2));
        assert!(check_reportable(year, day(2026, 4, 1)).is_ok());
        assert!(check_reportable(year, day(2028, 1, 1)).is_ok());
        assert!(check_reportable(year.next(), day(2027, 3, 31)).is_err());
        let at = chrono::Utc::now();
        let c = Consultation {
            id: ConsultationId(1),
            area_id: GroupId(1),
            title: "Survey".into(),
            starts_on: day(2026, 5, 1),
            ends_on: day(2026, 5, 31),
            method: Method::Survey,
            people_involved: None,
            who_was_involved: "Patients".into(),
            what_was_heard: None,
            decision: None,
            influence: None,
            influence_level: None,
            group_ids: vec![],
            item_ids: vec![],
            newsletter_ids: vec![],
            created_by: None,
            created_at: at,
            updated_at: at,
        };
        assert_eq!(c.status(day(2026, 4, 30)), ConsultationStatus::Planned);
        assert_eq!(c.status(day(2026, 5, 1)), ConsultationStatus::Running);
        assert_eq!(c.status(day(2026, 5, 31)), ConsultationStatus::Running);
        assert_eq!(c.status(day(2026, 6, 1)), ConsultationStatus::Closed);
        assert!(c.falls_in(FinancialYear::of(day(2026, 5, 1))));
        assert!(!c.falls_in(FinancialYear::of(day(2026, 1, 1))));
        assert_eq!(check_people_involved(40).unwrap(), 40);
    }
}
