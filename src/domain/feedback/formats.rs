//! Reading each source's file (CSV, with a header row) into records. Columns are found by
//! their heading, whatever its case, spacing or punctuation ("Org code", "ORG_CODE" and
//! "Organisation code" are one column), so the published layouts read as they are. A line that
//! fails validation is reported by line and reason and the rest are still read; a file that
//! cannot be read at all (not CSV, a required column missing) is refused with a sentence
//! saying what it needs. Reasons quote codes and column names, never a cell's free text.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{
    Body, ChangeStated, Count, FftCounts, LineError, Month, Record, RegisterEntry, Source,
    TagPolarity,
};
use crate::domain::provider::{OdsCode, ProviderKind, ProviderName};
use crate::domain::text::InvalidInput;

/// What a file held: its valid lines, and the lines refused with why.
#[derive(Debug, Default)]
pub struct Parsed<T> {
    pub records: Vec<T>,
    pub errors: Vec<LineError>,
}

/// A column of a layout: its name in the README and the headings it is known by.
struct Column {
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
}

const fn required(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        aliases,
        required: true,
    }
}

const fn optional(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        aliases,
        required: false,
    }
}

const ORG: Column = required(
    "Org code",
    &[
        "orgcode",
        "organisationcode",
        "organizationcode",
        "odscode",
        "sitecode",
        "practicecode",
        "serviceodscode",
        "code",
    ],
);
const PARENT: Column = optional(
    "Parent org code",
    &[
        "parentorgcode",
        "parentorganisationcode",
        "parentcode",
        "parentodscode",
    ],
);
const PERIOD: Column = required("Period", &["period", "month", "periodname"]);

const FFT_COLUMNS: [Column; 11] = [
    ORG,
    PARENT,
    PERIOD,
    required("Very good", &["verygood"]),
    required("Good", &["good"]),
    required("Neither good nor poor", &["neithergoodnorpoor", "neither"]),
    required("Poor", &["poor"]),
    required("Very poor", &["verypoor"]),
    required("Don't know", &["dontknow"]),
    required("Total responses", &["totalresponses", "responses"]),
    optional("Total eligible", &["totaleligible", "eligible"]),
];

const COMPLAINT_COLUMNS: [Column; 9] = [
    ORG,
    PARENT,
    PERIOD,
    required("Subject area", &["subjectarea", "subject"]),
    optional("Service area", &["servicearea", "service"]),
    required("New", &["new", "newcomplaints", "numberofnewcomplaints"]),
    required("Upheld", &["upheld", "fullyupheld"]),
    required("Partially upheld", &["partiallyupheld", "partlyupheld"]),
    required("Not upheld", &["notupheld"]),
];

const PALS_COLUMNS: [Column; 5] = [
    ORG,
    PARENT,
    required("Date", &["date", "contactdate", "datereceived", "received"]),
    required("Subject", &["subject", "subjectarea", "theme"]),
    optional("Type", &["type", "contacttype", "nature"]),
];

const CARE_OPINION_COLUMNS: [Column; 7] = [
    ORG,
    PARENT,
    required("Posted", &["posted", "posteddate", "dateposted", "date"]),
    required("Tags", &["tags"]),
    required("Criticality", &["criticality"]),
    required("Responded", &["responded", "providerresponded", "response"]),
    optional("Change", &["change", "changeplannedormade"]),
];

const REGISTER_COLUMNS: [Column; 4] = [
    ORG,
    required("Name", &["name", "orgname", "organisationname"]),
    PARENT,
    optional("Kind", &["kind", "type", "organisationtype"]),
];

/// The columns a layout needs, for the README and for a file that lacks one.
pub fn columns_of(source: Source) -> Vec<(&'static str, bool)> {
    layout(source)
        .iter()
        .map(|c| (c.name, c.required))
        .collect()
}

fn layout(source: Source) -> &'static [Column] {
    match source {
        Source::Fft => &FFT_COLUMNS,
        Source::Complaints => &COMPLAINT_COLUMNS,
        Source::Pals => &PALS_COLUMNS,
        Source::CareOpinion => &CARE_OPINION_COLUMNS,
        Source::OdsRegister => &REGISTER_COLUMNS,
    }
}

fn key(heading: &str) -> String {
    heading
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// A file's rows, with the position of each column of the layout.
struct Table {
    positions: HashMap<&'static str, usize>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn read(source: Source, bytes: &[u8]) -> Result<Self, InvalidInput> {
        let refuse = |message: String| InvalidInput::new("file", message);
        let text = std::str::from_utf8(bytes).map_err(|_| {
            refuse("The file is not UTF-8 text: save it as 'CSV UTF-8' and import it again.".into())
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.contains('\0') {
            return Err(refuse(
                "The file is not a CSV file (it holds binary data).".into(),
            ));
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                refuse(format!("The file is not valid CSV at line {line}."))
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let cells: Vec<String> = record.iter().map(str::to_owned).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            rows.push((line, cells));
        }
        if rows.is_empty() {
            return Err(refuse("The file is empty.".into()));
        }
        let (_, header) = rows.remove(0);
        let headings: Vec<String> = header.iter().map(|h| key(h)).collect();
        let mut positions = HashMap::new();
        let mut missing = Vec::new();
        for column in layout(source) {
            match headings
                .iter()
                .position(|h| column.aliases.contains(&h.as_str()))
            {
                Some(at) => {
                    positions.insert(column.name, at);
                }
                None if column.required => missing.push(column.name),
                None => {}
            }
        }
        if !missing.is_empty() {
            let needed: Vec<&str> = layout(source)
                .iter()
                .filter(|c| c.required)
                .map(|c| c.name)
                .collect();
            return Err(refuse(format!(
                "This is not a {} file as Pyramid reads it: the first line must name the columns, and {} {} missing. The layout needs: {}.",
                source.label(),
                quoted(&missing),
                if missing.len() == 1 { "is" } else { "are" },
                needed.join(", ")
            )));
        }
        Ok(Self { positions, rows })
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row's cells by column name.
struct Row<'a> {
    cells: &'a [String],
    positions: &'a HashMap<&'static str, usize>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        let at = *self.positions.get(column)?;
        self.cells
            .get(at)
            .map(String::as_str)
            .filter(|c| !c.is_empty())
    }

    fn required(&self, column: &'static str) -> Result<&str, String> {
        self.get(column)
            .ok_or_else(|| format!("'{column}' is empty."))
    }

    fn ods(&self, column: &'static str) -> Result<OdsCode, String> {
        OdsCode::parse(self.required(column)?).map_err(|_| {
            format!("'{column}' is not an ODS code (3 to 10 letters and digits, such as RJE).")
        })
    }

    fn parent(&self) -> Result<Option<OdsCode>, String> {
        match self.get(PARENT.name) {
            None => Ok(None),
            Some(_) => self.ods(PARENT.name).map(Some),
        }
    }

    fn count(&self, column: &'static str) -> Result<Count, String> {
        parse_count(self.required(column).map_err(|_| {
            format!("'{column}' is empty: write the number, 0, or * where the count is suppressed.")
        })?)
        .ok_or_else(|| {
            format!("'{column}' is not a whole number (or * where the count is suppressed).")
        })
    }

    fn month(&self, column: &'static str, this_month: Month) -> Result<Month, String> {
        let month = Month::parse(self.required(column)?).ok_or_else(|| {
            format!("'{column}' is not a date or a month such as 2026-10 or Oct-26.")
        })?;
        if month > this_month {
            return Err(format!("'{column}' is after this month."));
        }
        Ok(month)
    }
}

/// `1234`, `1,234` or `*` (suppressed).
fn parse_count(text: &str) -> Option<Count> {
    if text == "*" {
        return Some(Count::Suppressed);
    }
    let digits = text.replace(',', "");
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Count::Known)
}

fn each<T>(table: &Table, mut read: impl FnMut(&Row<'_>, usize) -> Result<T, String>) -> Parsed<T> {
    let mut parsed = Parsed {
        records: Vec::new(),
        errors: Vec::new(),
    };
    for (line, cells) in &table.rows {
        let row = Row {
            cells,
            positions: &table.positions,
        };
        match read(&row, *line) {
            Ok(record) => parsed.records.push(record),
            Err(reason) => parsed.errors.push(LineError {
                line: *line,
                reason,
            }),
        }
    }
    parsed
}

/// Reads a feedback file of `source` (any source but the register), with `today` to refuse
/// months that have not happened yet.
pub fn read_feedback(
    source: Source,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<Parsed<Record>, InvalidInput> {
    let table = Table::read(source, bytes)?;
    let this_month = Month::of(today);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut parsed = each(&table, |row, line| {
        let ods_code = row.ods(ORG.name)?;
        let parent_code = row.parent()?;
        let (month, body) = match source {
            Source::Fft => (row.month(PERIOD.name, this_month)?, fft(row)?),
            Source::Complaints => (row.month(PERIOD.name, this_month)?, complaint(row)?),
            Source::Pals => (row.month("Date", this_month)?, pals(row)?),
            Source::CareOpinion => (row.month("Posted", this_month)?, care_opinion(row)?),
            Source::OdsRegister => {
                return Err("The register is read by read_register.".into());
            }
        };
        Ok(Record {
            line,
            ods_code,
            parent_code,
            month,
            body,
        })
    });
    // A line that repeats one already read (the same organisation and month, and subject)
    // would count twice.
    let mut records = Vec::with_capacity(parsed.records.len());
    for record in std::mem::take(&mut parsed.records) {
        let line = record.line;
        let repeat_key = match &record.body {
            Body::Fft(_) => Some(format!(
                "{}|{}",
                record.ods_code.as_str(),
                record.month.code()
            )),
            Body::Complaints {
                subject,
                service_area,
                ..
            } => Some(format!(
                "{}|{}|{}|{}",
                record.ods_code.as_str(),
                record.month.code(),
                key(subject),
                service_area.as_deref().map(key).unwrap_or_default()
            )),
            Body::Pals { .. } | Body::CareOpinion { .. } => None,
        };
        if let Some(repeat_key) = repeat_key {
            if let Some(first) = seen.get(&repeat_key) {
                parsed.errors.push(LineError {
                    line,
                    reason: format!(
                        "It repeats line {first} (the same organisation and month{}).",
                        if matches!(record.body, Body::Complaints { .. }) {
                            ", subject and service area"
                        } else {
                            ""
                        }
                    ),
                });
                continue;
            }
            seen.insert(repeat_key, line);
        }
        records.push(record);
    }
    parsed.records = records;
    parsed.errors.sort_by_key(|e| e.line);
    Ok(parsed)
}

fn fft(row: &Row<'_>) -> Result<Body, String> {
    let counts = FftCounts {
        very_good: row.count("Very good")?,
        good: row.count("Good")?,
        neither: row.count("Neither good nor poor")?,
        poor: row.count("Poor")?,
        very_poor: row.count("Very poor")?,
        dont_know: row.count("Don't know")?,
        responses: row.count("Total responses")?,
        eligible: match row.get("Total eligible") {
            Some(_) => row.count("Total eligible")?,
            None => Count::Suppressed,
        },
    };
    let answers = [
        counts.very_good,
        counts.good,
        counts.neither,
        counts.poor,
        counts.very_poor,
        counts.dont_know,
    ];
    let known: u64 = answers
        .iter()
        .filter_map(|c| c.known())
        .map(u64::from)
        .sum();
    if let Count::Known(total) = counts.responses {
        if known > u64::from(total) {
            return Err(format!(
                "The answers add up to {known}, more than the {total} total responses."
            ));
        }
        if answers.iter().all(|c| c.known().is_some()) && known != u64::from(total) {
            return Err(format!(
                "The six answers add up to {known}, not the {total} total responses."
            ));
        }
        if let Count::Known(eligible) = counts.eligible
            && total > eligible
        {
            return Err(format!(
                "There are more responses ({total}) than people eligible to answer ({eligible})."
            ));
        }
    }
    Ok(Body::Fft(counts))
}

fn complaint(row: &Row<'_>) -> Result<Body, String> {
    Ok(Body::Complaints {
        subject: label(row.required("Subject area")?, "Subject area")?,
        service_area: row
            .get("Service area")
            .map(|s| label(s, "Service area"))
            .transpose()?,
        new: row.count("New")?,
        upheld: row.count("Upheld")?,
        partly_upheld: row.count("Partially upheld")?,
        not_upheld: row.count("Not upheld")?,
    })
}

fn pals(row: &Row<'_>) -> Result<Body, String> {
    let compliment = match row.get("Type").map(key).as_deref() {
        None | Some("concern" | "enquiry" | "query" | "advice" | "information" | "complaint") => {
            false
        }
        Some("compliment" | "praise") => true,
        Some(_) => {
            return Err(
                "'Type' is not one of concern, enquiry, advice, information, complaint or compliment."
                    .into(),
            );
        }
    };
    Ok(Body::Pals {
        subject: label(row.required("Subject")?, "Subject")?,
        compliment,
    })
}

fn care_opinion(row: &Row<'_>) -> Result<Body, String> {
    let mut tags = Vec::new();
    for tag in row.required("Tags")?.split(';') {
        let tag = tag.trim();
        if tag.is_empty() {
            continue;
        }
        let (polarity, name) = match tag.chars().next() {
            Some('+') => (TagPolarity::Positive, &tag[1..]),
            Some('-') => (TagPolarity::Negative, &tag[1..]),
            _ => (TagPolarity::Neutral, tag),
        };
        tags.push((label(name.trim(), "Tags")?, polarity));
    }
    let criticality = row.required("Criticality")?;
    let criticality = match key(criticality).as_str() {
        "notcritical" => 0,
        "minimallycritical" => 1,
        "mildlycritical" => 2,
        "moderatelycritical" => 3,
        "stronglycritical" => 4,
        "severelycritical" => 5,
        digits => digits
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= 5)
            .ok_or_else(|| {
                "'Criticality' is not 0 to 5 or a level such as 'mildly critical'.".to_owned()
            })?,
    };
    let responded = yes_no(row.required("Responded")?)
        .ok_or_else(|| "'Responded' is not yes or no.".to_owned())?;
    let change = match row.get("Change").map(key).as_deref() {
        None | Some("none" | "no" | "nochange") => ChangeStated::None,
        Some("planned" | "changeplanned") => ChangeStated::Planned,
        Some("made" | "changemade" | "done") => ChangeStated::Made,
        Some(_) => return Err("'Change' is not none, planned or made.".into()),
    };
    Ok(Body::CareOpinion {
        tags,
        criticality,
        responded,
        change,
    })
}

fn yes_no(text: &str) -> Option<bool> {
    match key(text).as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// A category label of a file (a KO41 subject area, a service area, a tag): a short line of
/// words, matched against the vocabulary and never shown back.
fn label(text: &str, column: &'static str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 120 || text.chars().any(char::is_control) {
        return Err(format!(
            "'{column}' is not a short label (at most 120 characters)."
        ));
    }
    Ok(text.to_owned())
}

/// Reads an ODS extract of organisations and sites.
pub fn read_register(bytes: &[u8]) -> Result<Parsed<RegisterEntry>, InvalidInput> {
    let table = Table::read(Source::OdsRegister, bytes)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut parsed = each(&table, register_entry);
    let mut entries = Vec::with_capacity(parsed.records.len());
    for entry in std::mem::take(&mut parsed.records) {
        match seen.get(entry.ods_code.as_str()) {
            Some(first) => parsed.errors.push(LineError {
                line: entry.line,
                reason: format!("It repeats line {first} ({}).", entry.ods_code.as_str()),
            }),
            None => {
                seen.insert(entry.ods_code.as_str().to_owned(), entry.line);
                entries.push(entry);
            }
        }
    }
    parsed.records = entries;
    parsed.errors.sort_by_key(|e| e.line);
    Ok(parsed)
}

fn register_entry(row: &Row<'_>, line: usize) -> Result<RegisterEntry, String> {
    let ods_code = row.ods(ORG.name)?;
    let name =
        ProviderName::parse(row.required("Name")?).map_err(|e| format!("'Name': {}", e.message))?;
    let parent_code = row.parent()?;
    let kind = match row.get("Kind") {
        None if parent_code.is_some() => ProviderKind::Service,
        None => ProviderKind::Other,
        Some(kind) => provider_kind(kind).ok_or_else(|| {
            "'Kind' is not one of acute trust, mental health trust, community trust, ambulance trust, out of hours, GP practice, service or other.".to_owned()
        })?,
    };
    if (kind == ProviderKind::Service) != parent_code.is_some() {
        return Err(if parent_code.is_some() {
            "A line with a parent organisation is a service or site: leave 'Kind' empty or write service.".into()
        } else {
            "A service or site needs its 'Parent org code'.".into()
        });
    }
    if parent_code.as_ref() == Some(&ods_code) {
        return Err("An organisation cannot be its own parent.".into());
    }
    Ok(RegisterEntry {
        line,
        ods_code,
        name: name.as_str().to_owned(),
        kind,
        parent_code,
    })
}

fn provider_kind(text: &str) -> Option<ProviderKind> {
    let wanted = key(text);
    ProviderKind::ALL.iter().copied().find(|kind| {
        key(kind.as_str()) == wanted
            || (wanted == "site" && *kind == ProviderKind::Service)
            || (wanted == "gp" && *kind == ProviderKind::GpPractice)
            || (wanted == "ooh" && *kind == ProviderKind::OutOfHours)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn fft_reads_the_published_layout_and_keeps_suppressed_counts() {
        let file = "\u{feff}Period,Org code,Parent org code,Org name,Total responses,Total eligible,Very good,Good,Neither good nor poor,Poor,Very poor,Don't know,Percentage positive\n\
                    Oct-26,RJE01,RJE,A ward,100,400,60,20,5,5,5,5,80%\n\
                    2026-10,RJE02,RJE,Another ward,12,\"1,200\",*,*,0,0,0,*,*\n";
        let parsed = read_feedback(Source::Fft, file.as_bytes(), today()).unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.records[0].line, 2);
        assert_eq!(parsed.records[1].line, 3);
        let Body::Fft(counts) = parsed.records[1].body else {
            panic!("an FFT line");
        };
        assert_eq!(counts.very_good, Count::Suppressed);
        assert_eq!(counts.neither, Count::Known(0));
        assert_eq!(counts.eligible, Count::Known(1200));
        assert_eq!(
            parsed.records[1].parent_code.as_ref().unwrap().as_str(),
            "RJE"
        );
    }

    #[test]
    fn each_bad_line_is_reported_by_line_and_reason_and_the_rest_are_read() {
        let file = "Period,Org code,Very good,Good,Neither,Poor,Very poor,Dont know,Total responses,Total eligible\n\
                    2026-10,RJE,1,1,1,1,1,1,6,10\n\
                    2026-10,R-J,1,1,1,1,1,1,6,10\n\
                    2026-10,RJE,1,1,1,1,1,1,6,10\n\
                    Octember,RXK,1,1,1,1,1,1,6,10\n\
                    2027-05,RXK,1,1,1,1,1,1,6,10\n\
                    2026-10,RXK,lots,1,1,1,1,1,6,10\n\
                    2026-10,RXL,,1,1,1,1,1,6,10\n\
                    2026-10,RXM,1,1,1,1,1,1,7,10\n\
                    2026-10,RXN,9,1,1,1,1,*,6,10\n\
                    2026-10,RXP,1,1,1,1,1,1,6,5\n\
                    2026-09,RXK,1,1,1,1,1,1,6,\n";
        let parsed = read_feedback(Source::Fft, file.as_bytes(), today()).unwrap();
        let lines: Vec<usize> = parsed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9, 10, 11], "{:?}", parsed.errors);
        let reason = |line| {
            &parsed
                .errors
                .iter()
                .find(|e| e.line == line)
                .unwrap()
                .reason
        };
        assert!(reason(3).contains("not an ODS code"));
        assert!(reason(4).contains("repeats line 2"));
        assert!(reason(5).contains("not a date or a month"));
        assert!(reason(6).contains("after this month"));
        assert!(reason(7).contains("'Very good' is not a whole number"));
        assert!(reason(8).contains("'Very good' is empty"));
        assert!(reason(9).contains("add up to 6, not the 7"));
        assert!(reason(10).contains("more than the 6 total"));
        assert!(reason(11).contains("more responses (6) than people eligible"));
        assert!(
            !reason(7).contains("lots"),
            "a cell's text is never shown back"
        );
        assert_eq!(parsed.records.len(), 2);
        let Body::Fft(counts) = parsed.records[1].body else {
            panic!("an FFT line");
        };
        assert_eq!(
            counts.eligible,
            Count::Suppressed,
            "no eligible count given"
        );
    }

    #[test]
    fn a_file_without_the_layouts_columns_is_refused_with_what_it_needs() {
        let error = read_feedback(
            Source::Complaints,
            b"Org code,Month,New\nRJE,2026-10,4\n",
            today(),
        )
        .unwrap_err();
        assert_eq!(error.field, "file");
        assert!(
            error.message.contains("'Subject area', 'Upheld'"),
            "{}",
            error.message
        );
        assert!(
            error
                .message
                .contains("The layout needs: Org code, Period, Subject area")
        );
        for (bytes, says) in [(&b""[..], "empty"), (&b"\xff\xfe\x00O"[..], "not UTF-8")] {
            let error = read_feedback(Source::Fft, bytes, today()).unwrap_err();
            assert!(error.message.contains(says), "{}", error.message);
        }
    }

    #[test]
    fn complaints_pals_and_care_opinion_lines_are_read() {
        let complaints = "Org code,Period,Subject area,Service area,New,Upheld,Partially upheld,Not upheld\n\
                          RJE,2026-10,Admissions and discharges,Inpatients,4,1,1,2\n\
                          RJE,2026-10,Admissions and discharges,Outpatients,2,0,0,1\n\
                          RJE,2026-10,Admissions and discharges,Inpatients,1,0,0,1\n";
        let parsed = read_feedback(Source::Complaints, complaints.as_bytes(), today()).unwrap();
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.errors[0].line, 4);
        assert!(parsed.errors[0].reason.contains("subject and service area"));

        let pals = "Date,Org code,Subject,Type\n\
                    2026-10-03,RJE,Waiting times,Concern\n\
                    2026-10-04,RJE,Staff attitude,compliment\n\
                    2026-10-05,RJE,Staff attitude,grumble\n";
        let parsed = read_feedback(Source::Pals, pals.as_bytes(), today()).unwrap();
        assert_eq!(parsed.records.len(), 2, "PALS contacts may repeat");
        assert!(matches!(
            parsed.records[1].body,
            Body::Pals {
                compliment: true,
                ..
            }
        ));
        assert_eq!(parsed.errors[0].line, 4);

        let postings = "Posted,Service ODS code,Tags,Criticality,Responded,Change\n\
                        2026-10-09,RJE01,-discharge; +kind staff; parking,moderately critical,yes,planned\n\
                        2026-10-10,RJE01,+food,0,no,\n\
                        2026-10-11,RJE01,+food,7,no,\n";
        let parsed = read_feedback(Source::CareOpinion, postings.as_bytes(), today()).unwrap();
        assert_eq!(parsed.records.len(), 2);
        let Body::CareOpinion {
            tags,
            criticality,
            responded,
            change,
        } = &parsed.records[0].body
        else {
            panic!("a posting");
        };
        assert_eq!(
            tags,
            &[
                ("discharge".to_owned(), TagPolarity::Negative),
                ("kind staff".to_owned(), TagPolarity::Positive),
                ("parking".to_owned(), TagPolarity::Neutral)
            ]
        );
        assert_eq!(
            (*criticality, *responded, *change),
            (3, true, ChangeStated::Planned)
        );
        assert!(parsed.errors[0].reason.contains("Criticality"));
    }

    #[test]
    fn the_register_reads_organisations_and_their_sites() {
        let file = "Organisation code,Name,Parent organisation code,Kind\n\
                    RJE,University Hospitals of North Midlands NHS Trust,,acute trust\n\
                    RJE01,Royal Stoke University Hospital,RJE,\n\
                    RJE02,County Hospital,,service\n\
                    RJE,Again,,\n\
                    RJE03,Self,RJE03,\n";
        let parsed = read_register(file.as_bytes()).unwrap();
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.records[0].kind, ProviderKind::AcuteTrust);
        assert_eq!(parsed.records[1].kind, ProviderKind::Service);
        let lines: Vec<usize> = parsed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 5, 6]);
        assert!(
            parsed.errors[0]
                .reason
                .contains("needs its 'Parent org code'")
        );
        assert!(parsed.errors[1].reason.contains("repeats line 2"));
        assert!(parsed.errors[2].reason.contains("its own parent"));
    }
}
