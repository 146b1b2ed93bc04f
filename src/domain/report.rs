//! Published reports: what kinds there are, the forms each is read in, and their stable
//! addresses (`/reports/7`, `/reports/7?format=large-print`, `/reports/7.txt`,
//! `/reports/7.md`, `/reports/7.csv`, and its audio version `/reports/7.ogg`), written and
//! read back in one place.

use chrono::{DateTime, Utc};

use super::{GroupId, MemberId, ReportId};

stored_enum!(
    /// What a report reports on.
    ReportKind {
        /// An area's monthly patient-experience report (period `2026-11`).
        Monthly = "MONTHLY",
        /// An area's annual report on consultation and its influence on commissioning
        /// decisions (period `2026-27`, a financial year from April).
        Consultations = "CONSULTATIONS",
    }
);

/// A report in each form it is read in, made once when it is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: String,
    pub html: String,
    pub large_print: String,
    pub text: String,
    pub markdown: String,
    /// The report's tables, for a spreadsheet; `None` for a report without tables.
    pub csv: Option<String>,
}

/// A published report as the rest of the program sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: ReportId,
    pub area_id: GroupId,
    pub kind: ReportKind,
    pub period: String,
    pub published_by: Option<MemberId>,
    pub published_at: DateTime<Utc>,
    pub rendered: Rendered,
}

/// The forms a published report is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    LargePrint,
    Text,
    Markdown,
    Csv,
    /// Spoken from the plain text by the speech courier after publishing (`src/speech.rs`);
    /// not one of the rendered forms, so not found until it is made.
    Audio,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 6] = [
        ReportFormat::Html,
        ReportFormat::LargePrint,
        ReportFormat::Text,
        ReportFormat::Markdown,
        ReportFormat::Csv,
        ReportFormat::Audio,
    ];

    /// How a report's page names this form in its list of other formats.
    pub fn label(self) -> &'static str {
        match self {
            ReportFormat::Html => "Standard print",
            ReportFormat::LargePrint => "Large print",
            ReportFormat::Text => "Plain text",
            ReportFormat::Markdown => "Markdown",
            ReportFormat::Csv => "Tables as CSV",
            ReportFormat::Audio => "Listen (audio)",
        }
    }

    /// The forms a published report's pages link to, with their addresses: every form, the
    /// CSV only for a report with tables.
    pub fn links(id: ReportId, tables: bool) -> Vec<(String, String)> {
        Self::ALL
            .into_iter()
            .filter(|format| tables || *format != ReportFormat::Csv)
            .map(|format| (format.label().to_owned(), format.path(id)))
            .collect()
    }

    /// Where a report can be read in this form, relative to Pyramid's public address.
    pub fn path(self, id: ReportId) -> String {
        match self {
            ReportFormat::Html => format!("/reports/{id}"),
            ReportFormat::LargePrint => format!("/reports/{id}?format=large-print"),
            ReportFormat::Text => format!("/reports/{id}.txt"),
            ReportFormat::Markdown => format!("/reports/{id}.md"),
            ReportFormat::Csv => format!("/reports/{id}.csv"),
            ReportFormat::Audio => format!("/reports/{id}.ogg"),
        }
    }

    /// Reads an address back: the last path segment (`7`, `7.md`) and the `format` query
    /// parameter. `None` for anything that is not one of the forms above.
    pub fn parse(segment: &str, format: Option<&str>) -> Option<(ReportId, ReportFormat)> {
        let (number, extension) = match segment.split_once('.') {
            Some((number, extension)) => (number, Some(extension)),
            None => (segment, None),
        };
        let id = ReportId(number.parse().ok().filter(|n: &i64| *n > 0)?);
        let form = match (extension, format) {
            (None, None) => ReportFormat::Html,
            (None, Some("large-print")) => ReportFormat::LargePrint,
            (Some("txt"), None) => ReportFormat::Text,
            (Some("md"), None) => ReportFormat::Markdown,
            (Some("csv"), None) => ReportFormat::Csv,
            (Some("ogg"), None) => ReportFormat::Audio,
            _ => return None,
        };
        Some((id, form))
    }
}

impl Rendered {
    /// The report in one rendered form; `None` for a CSV of a report without tables, and for
    /// the audio version (kept apart: `services::recordings`).
    pub fn in_format(&self, format: ReportFormat) -> Option<&str> {
        match format {
            ReportFormat::Html => Some(&self.html),
            ReportFormat::LargePrint => Some(&self.large_print),
            ReportFormat::Text => Some(&self.text),
            ReportFormat::Markdown => Some(&self.markdown),
            ReportFormat::Csv => self.csv.as_deref(),
            ReportFormat::Audio => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_reads_back_as_itself() {
        for format in ReportFormat::ALL {
            let path = format.path(ReportId(12));
            let (segment, query) = match path.trim_start_matches("/reports/").split_once('?') {
                Some((segment, query)) => (segment.to_owned(), query.strip_prefix("format=")),
                None => (path.trim_start_matches("/reports/").to_owned(), None),
            };
            assert_eq!(
                ReportFormat::parse(&segment, query),
                Some((ReportId(12), format))
            );
        }
        assert_eq!(ReportFormat::parse("0", None), None);
        assert_eq!(ReportFormat::parse("7.pdf", None), None);
        assert_eq!(ReportFormat::parse("7.md", Some("large-print")), None);
    }
}
