//! The annual report on consultation and its influence on commissioning decisions, laid out
//! as a `Document` (so it reads in every form the way the monthly report does): each
//! consultation of the year as labelled values, then last year's and next year's in brief.
//! Pure functions of the register's entries; `services::consultations` renders it once, when
//! it is published.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::document::{self, Block, Document};
use crate::domain::consultation::{Consultation, ConsultationStatus, FinancialYear};
use crate::domain::report::{Rendered, ReportFormat};
use crate::domain::{GroupId, ReportId};

/// What the report is made of.
pub struct ReportView<'a> {
    /// The area's name: its Patients' Council's.
    pub area_name: &'a str,
    pub year: FinancialYear,
    /// The year's consultations (their period overlaps it), by start date.
    pub this_year: &'a [Consultation],
    pub last_year: &'a [Consultation],
    pub next_year: &'a [Consultation],
    /// The names of the groups involved in this year's consultations.
    pub group_names: &'a HashMap<GroupId, String>,
    /// The UK date it is rendered on: statuses are as of this day.
    pub today: NaiveDate,
    /// Published (today) rather than a draft to read before publishing.
    pub published: bool,
}

/// The report's title: "Report on consultation and engagement 2026-27, <area>".
pub fn title(area_name: &str, year: FinancialYear) -> String {
    format!(
        "Report on consultation and engagement {}, {area_name}",
        year.code()
    )
}

/// The report as a document; `id` once it is published (its pages link to each other).
pub fn document(view: &ReportView, id: Option<ReportId>) -> Document {
    let mut blocks: Vec<Block> = introduction(view)
        .into_iter()
        .map(Block::Paragraph)
        .collect();
    blocks.push(Block::Heading(format!(
        "Consultations in {}",
        view.year.code()
    )));
    if view.this_year.is_empty() {
        blocks.push(Block::Paragraph(
            "No consultations were recorded for this year.".to_owned(),
        ));
    }
    for c in view.this_year {
        blocks.push(Block::Subheading(c.title.trim_end_matches('.').to_owned()));
        blocks.push(Block::Definitions(
            fields(view, c)
                .into_iter()
                .map(|(label, text)| (label.to_owned(), text))
                .collect(),
        ));
    }
    for (heading, list, none) in others(view) {
        blocks.push(Block::Heading(heading));
        if list.is_empty() {
            blocks.push(Block::Paragraph(none.to_owned()));
        } else {
            blocks.push(Block::List(list.iter().map(brief).collect()));
        }
    }
    let formats = id.map_or_else(Vec::new, |id| ReportFormat::links(id, false));
    Document {
        title: title(view.area_name, view.year),
        from: view.area_name.to_owned(),
        dateline: dates_line(view),
        blocks,
        formats,
        closing: format!(
            "This report is also available in other languages and as audio on request: ask your PPG or {}.",
            view.area_name
        ),
    }
}

/// The report in each form it is read in, as published under `id` (`None` for a draft).
pub fn render(view: &ReportView, id: Option<ReportId>) -> Rendered {
    let doc = document(view, id);
    Rendered {
        title: doc.title.clone(),
        html: document::html(&doc, false),
        large_print: document::html(&doc, true),
        text: document::text(&doc),
        markdown: document::markdown(&doc),
        csv: document::csv(&doc),
    }
}

fn dates_line(view: &ReportView) -> String {
    if view.published {
        format!(
            "Covering {}. Published {}.",
            view.year.describe(),
            view.today.format("%-d %B %Y")
        )
    } else {
        format!(
            "Covering {}. Draft: not yet published.",
            view.year.describe()
        )
    }
}

/// The introduction: what the report is and the duty it answers.
fn introduction(view: &ReportView) -> [String; 3] {
    [
        format!(
            "This is the commissioners' report, for the area of {}, on how they involved patients and the public in commissioning in the financial year {}, and on how what people told them influenced commissioning decisions.",
            view.area_name,
            view.year.code()
        ),
        "Commissioners have a duty to involve the people who use services, and their carers and representatives, in planning services, in proposals to change them, and in decisions that affect how they work, and to report each year on how they did so: section 14Z2 of the National Health Service Act 2006, as amended. When the area's engagement pyramid of Patient Participation Groups, District Groups and the Patients' Council was set up, the same duty was in section 24A of the Act.".to_owned(),
        format!(
            "It lists every consultation and engagement exercise whose dates fall in the year, then, briefly, those of last year ({}) and those planned for next year ({}).",
            view.year.previous().code(),
            view.year.next().code()
        ),
    ]
}

fn status_word(consultation: &Consultation, today: NaiveDate) -> &'static str {
    match consultation.status(today) {
        ConsultationStatus::Planned => "planned",
        ConsultationStatus::Running => "running",
        ConsultationStatus::Closed => "closed",
    }
}

/// "Patients of 12 practices. 240 people took part. Groups: North PPG, South District."
fn involvement(view: &ReportView, c: &Consultation) -> String {
    let mut parts = vec![sentence(&c.who_was_involved)];
    match c.people_involved {
        Some(1) => parts.push("1 person took part.".to_owned()),
        Some(n) => parts.push(format!("{n} people took part.")),
        None => {}
    }
    let names: Vec<&str> = c
        .group_ids
        .iter()
        .filter_map(|g| view.group_names.get(g).map(String::as_str))
        .collect();
    if !names.is_empty() {
        parts.push(format!("Groups involved: {}.", names.join("; ")));
    }
    parts.join(" ")
}

/// The text with a full stop at its end when it has none.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

fn influence(c: &Consultation) -> Option<String> {
    match (c.influence_level, c.influence.as_deref()) {
        (Some(level), Some(text)) => Some(format!("{}. {}", level.label(), sentence(text))),
        (Some(level), None) => Some(format!("{}.", level.label())),
        (None, Some(text)) => Some(sentence(text)),
        (None, None) => None,
    }
}

/// The fields of one consultation, in order, as (label, text).
fn fields(view: &ReportView, c: &Consultation) -> Vec<(&'static str, String)> {
    let not_yet = || "Not yet recorded.".to_owned();
    vec![
        (
            "Dates",
            format!("{} ({}).", c.dates(), status_word(c, view.today)),
        ),
        ("Method", format!("{}.", c.method.label())),
        ("Who was involved", involvement(view, c)),
        (
            "What was heard",
            c.what_was_heard.as_deref().map_or_else(not_yet, sentence),
        ),
        (
            "The decision it informed",
            c.decision.as_deref().map_or_else(not_yet, sentence),
        ),
        (
            "Its influence on the decision",
            influence(c).unwrap_or_else(not_yet),
        ),
    ]
}

/// "Title: dates, method."
fn brief(c: &Consultation) -> String {
    format!(
        "{}: {}, {}.",
        c.title.trim_end_matches('.'),
        c.dates(),
        c.method.label().to_lowercase()
    )
}

/// Last year's and next year's lists: the heading, the consultations, and what to say when
/// there are none.
fn others<'a>(view: &'a ReportView) -> [(String, &'a [Consultation], &'static str); 2] {
    [
        (
            format!("Last year ({})", view.year.previous().code()),
            view.last_year,
            "No consultations were recorded for last year.",
        ),
        (
            format!("Planned for next year ({})", view.year.next().code()),
            view.next_year,
            "No consultations are planned for next year yet.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ConsultationId;
    use crate::domain::consultation::{InfluenceLevel, Method};
    use chrono::{TimeZone, Utc};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn consultation(
        id: i64,
        title: &str,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    ) -> Consultation {
        let at = Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap();
        Consultation {
            id: ConsultationId(id),
            area_id: GroupId(1),
            title: title.into(),
            starts_on,
            ends_on,
            method: Method::Survey,
            people_involved: Some(240),
            who_was_involved: "Patients of 12 practices".into(),
            what_was_heard: Some("Evening appointments matter most.\n\nParking is hard.".into()),
            decision: Some("Extended access hours".into()),
            influence: Some("Hours moved to evenings".into()),
            influence_level: Some(InfluenceLevel::Changed),
            group_ids: vec![GroupId(3)],
            item_ids: vec![],
            newsletter_ids: vec![],
            created_by: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn rendered() -> Rendered {
        let this_year = [consultation(
            1,
            "Evening <GP> appointments",
            day(2026, 5, 1),
            day(2026, 6, 12),
        )];
        let last_year = [consultation(
            2,
            "Minor injuries",
            day(2025, 9, 1),
            day(2025, 10, 1),
        )];
        let names = HashMap::from([(GroupId(3), "North A PPG".to_owned())]);
        render(
            &ReportView {
                area_name: "Staffordshire Patients' Council",
                year: FinancialYear::parse("y", "2026-27").unwrap(),
                this_year: &this_year,
                last_year: &last_year,
                next_year: &[],
                group_names: &names,
                today: day(2026, 12, 2),
                published: true,
            },
            Some(ReportId(4)),
        )
    }

    #[test]
    fn html_has_one_title_landmarks_and_escaped_text() {
        let r = rendered();
        assert_eq!(
            r.title,
            "Report on consultation and engagement 2026-27, Staffordshire Patients' Council"
        );
        assert!(r.html.contains("<html lang=\"en-GB\">"));
        assert_eq!(r.html.matches("<h1>").count(), 1);
        assert!(r.html.contains("<main id=\"content\">") && r.html.contains("<footer>"));
        assert!(r.html.contains("<h3>Evening &lt;GP&gt; appointments</h3>\n<dl>\n<dt>Dates</dt>\n<dd>1 May to 12 June 2026 (closed).</dd>"));
        assert!(r.html.contains("<dt>What was heard</dt>\n<dd>Evening appointments matter most.<br><br>Parking is hard.</dd>"));
        assert!(r.html.contains("section 14Z2") && r.html.contains("section 24A"));
        assert!(r.html.contains("\">Last year (2025-26)</h2>"));
        assert!(r.html.contains("<a href=\"/reports/4.md\">Markdown</a>"));
        assert!(
            r.html
                .contains("No consultations are planned for next year yet.")
        );
        assert!(
            r.large_print.contains("(large print)") && r.large_print.contains("font-size: 1.5rem")
        );
        assert_eq!(r.csv, None);
    }

    #[test]
    fn text_reads_as_labelled_lines_in_order() {
        let r = rendered();
        assert!(r.text.starts_with(
            "Report on consultation and engagement 2026-27, Staffordshire Patients' Council\n\nFrom Staffordshire Patients' Council. Covering 1 April 2026 to 31 March 2027. Published 2 December 2026.\n\n"
        ));
        assert!(r.text.contains(
            "Evening <GP> appointments\n\nDates: 1 May to 12 June 2026 (closed).\nMethod: Survey.\nWho was involved: Patients of 12 practices. 240 people took part. Groups involved: North A PPG.\nWhat was heard: Evening appointments matter most.\n\nParking is hard.\nThe decision it informed: Extended access hours.\nIts influence on the decision: Changed the decision. Hours moved to evenings.\n"
        ), "{}", r.text);
        assert!(
            r.text.contains(
                "LAST YEAR (2025-26)\n\n1. Minor injuries: 1 September to 1 October 2025, survey.\n"
            ),
            "{}",
            r.text
        );
        assert!(r.markdown.contains(
            "### Evening \\<GP\\> appointments\n\n- **Dates**: 1 May to 12 June 2026 (closed).\n"
        ));
    }
}
