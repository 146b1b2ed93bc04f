//! The annual report on consultation and its influence on commissioning decisions, as people
//! read it: accessible HTML (and large print) in the newsletters' style, plain text that
//! reads well aloud, and Markdown. Pure functions of the register's entries for a year, last
//! year and next year; `services::consultations` renders it once, when it is published.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::NaiveDate;

use crate::domain::GroupId;
use crate::domain::consultation::{Consultation, ConsultationStatus, FinancialYear};
use crate::domain::report::Rendered;
use crate::render::{LARGE_PRINT, STYLE, escape};

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

/// Extra rules for the report's entries (definition lists), on top of the newsletters' look.
const REPORT_STYLE: &str = r#"
.consultation { margin: 0 0 2rem; }
.consultation dl { margin: 0.5rem 0 0; }
.consultation dt { font-weight: 700; margin-top: 0.5rem; }
.consultation dd { margin: 0 0 0 1.25rem; }
.others li { margin: 0 0 0.75rem; }
"#;

/// The report's title: "Report on consultation and engagement 2026-27, <area>".
pub fn title(area_name: &str, year: FinancialYear) -> String {
    format!(
        "Report on consultation and engagement {}, {area_name}",
        year.code()
    )
}

/// The report in each form it is read in.
pub fn render(view: &ReportView) -> Rendered {
    Rendered {
        title: title(view.area_name, view.year),
        html: html(view, false),
        large_print: html(view, true),
        text: text(view),
        markdown: markdown(view),
        csv: None,
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

fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
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

/// Accessible HTML: one `h1`, headings in order, landmarks, a skip link, each consultation a
/// definition list; `large_print` adds large type and high contrast.
pub fn html(view: &ReportView, large_print: bool) -> String {
    let title = title(view.area_name, view.year);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}{}</title>\n<style>{STYLE}{REPORT_STYLE}{}</style>\n</head>\n<body>\n",
        escape(&title),
        if large_print { " (large print)" } else { "" },
        if large_print { LARGE_PRINT } else { "" },
    );
    let _ = write!(
        out,
        "<header>\n<a class=\"skip-link\" href=\"#content\">Skip to the report</a>\n<p class=\"issuer\">{}</p>\n</header>\n<main id=\"content\">\n<h1>{}</h1>\n<p class=\"period\">{}</p>\n",
        escape(view.area_name),
        escape(&title),
        escape(&dates_line(view)),
    );
    for paragraph in introduction(view) {
        let _ = writeln!(out, "<p>{}</p>", escape(&paragraph));
    }
    let _ = write!(
        out,
        "<section aria-labelledby=\"this-year\">\n<h2 id=\"this-year\">Consultations in {}</h2>\n",
        view.year.code()
    );
    if view.this_year.is_empty() {
        out.push_str("<p>No consultations were recorded for this year.</p>\n");
    }
    for (index, c) in view.this_year.iter().enumerate() {
        let _ = write!(
            out,
            "<article class=\"consultation\" aria-labelledby=\"consultation-{index}\">\n<h3 id=\"consultation-{index}\">{}</h3>\n<dl>\n",
            escape(&c.title)
        );
        for (label, text) in fields(view, c) {
            let _ = write!(out, "<dt>{label}</dt>\n<dd>");
            for (n, paragraph) in paragraphs(&text).enumerate() {
                if n > 0 {
                    out.push_str("<br><br>");
                }
                out.push_str(&escape(paragraph));
            }
            out.push_str("</dd>\n");
        }
        out.push_str("</dl>\n</article>\n");
    }
    out.push_str("</section>\n");
    for (id, heading, list, none) in others(view) {
        let _ = write!(
            out,
            "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{}</h2>\n",
            escape(&heading)
        );
        if list.is_empty() {
            let _ = writeln!(out, "<p>{none}</p>");
        } else {
            out.push_str("<ul class=\"others\">\n");
            for c in list {
                let _ = writeln!(out, "<li>{}</li>", escape(&brief(c)));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "</main>\n<footer>\n<h2>Other formats</h2>\n<ul class=\"formats\">\n<li><a href=\"?\">Standard print</a></li>\n<li><a href=\"?format=large-print\">Large print</a></li>\n</ul>\n<p>This report is also published as plain text and as Markdown, at the same address ending in .txt and .md. It is available in other languages and as audio on request: ask your PPG or {}.</p>\n</footer>\n</body>\n</html>\n",
        escape(view.area_name)
    );
    out
}

/// Last year's and next year's lists: an id, the heading, the consultations, and what to say
/// when there are none.
fn others<'a>(
    view: &'a ReportView,
) -> [(&'static str, String, &'a [Consultation], &'static str); 2] {
    [
        (
            "last-year",
            format!("Last year ({})", view.year.previous().code()),
            view.last_year,
            "No consultations were recorded for last year.",
        ),
        (
            "next-year",
            format!("Planned for next year ({})", view.year.next().code()),
            view.next_year,
            "No consultations are planned for next year yet.",
        ),
    ]
}

/// Plain text for reading aloud and for screen readers: every heading on its own line,
/// consultations numbered, each field a labelled line.
pub fn text(view: &ReportView) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{}\n\nFrom the commissioners, for the area of {}. {}\n\n",
        title(view.area_name, view.year),
        view.area_name,
        dates_line(view)
    );
    for paragraph in introduction(view) {
        let _ = write!(out, "{paragraph}\n\n");
    }
    let _ = write!(out, "Consultations in {}\n\n", view.year.code());
    if view.this_year.is_empty() {
        out.push_str("No consultations were recorded for this year.\n\n");
    }
    for (number, c) in view.this_year.iter().enumerate() {
        let _ = writeln!(out, "{}. {}.", number + 1, c.title.trim_end_matches('.'));
        for (label, text) in fields(view, c) {
            let _ = writeln!(out, "{label}: {}", text.trim());
        }
        out.push('\n');
    }
    for (_, heading, list, none) in others(view) {
        let _ = write!(out, "{heading}\n\n");
        if list.is_empty() {
            let _ = write!(out, "{none}\n\n");
        } else {
            for (number, c) in list.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", number + 1, brief(c));
            }
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "This report is also available in large print, in other languages and as audio on request: ask your PPG or {}.",
        view.area_name
    );
    out
}

fn escape_md(text: &str) -> String {
    text.chars().fold(String::new(), |mut s, c| {
        if "\\`*_[]#<>".contains(c) {
            s.push('\\');
        }
        s.push(c);
        s
    })
}

/// Markdown, for pasting into board papers and websites.
pub fn markdown(view: &ReportView) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "# {}\n\n*{}.* {}\n\n",
        escape_md(&title(view.area_name, view.year)),
        escape_md(view.area_name),
        dates_line(view)
    );
    for paragraph in introduction(view) {
        let _ = write!(out, "{}\n\n", escape_md(&paragraph));
    }
    let _ = write!(out, "## Consultations in {}\n\n", view.year.code());
    if view.this_year.is_empty() {
        out.push_str("No consultations were recorded for this year.\n\n");
    }
    for c in view.this_year {
        let _ = write!(out, "### {}\n\n", escape_md(&c.title));
        for (label, text) in fields(view, c) {
            let _ = writeln!(
                out,
                "- **{label}**: {}",
                escape_md(text.trim()).replace('\n', " ")
            );
        }
        out.push('\n');
    }
    for (_, heading, list, none) in others(view) {
        let _ = write!(out, "## {heading}\n\n");
        if list.is_empty() {
            let _ = write!(out, "{none}\n\n");
        } else {
            for c in list {
                let _ = writeln!(out, "- {}", escape_md(&brief(c)));
            }
            out.push('\n');
        }
    }
    out
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
        render(&ReportView {
            area_name: "Staffordshire Patients' Council",
            year: FinancialYear::parse("y", "2026-27").unwrap(),
            this_year: &this_year,
            last_year: &last_year,
            next_year: &[],
            group_names: &names,
            today: day(2026, 12, 2),
            published: true,
        })
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
        assert!(
            r.html
                .contains("<h3 id=\"consultation-0\">Evening &lt;GP&gt; appointments</h3>")
        );
        assert!(r.html.contains("section 14Z2") && r.html.contains("section 24A"));
        assert!(
            r.html
                .contains("<h2 id=\"last-year\">Last year (2025-26)</h2>")
        );
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
            "Report on consultation and engagement 2026-27, Staffordshire Patients' Council\n\nFrom the commissioners, for the area of Staffordshire Patients' Council. Covering 1 April 2026 to 31 March 2027. Published 2 December 2026.\n\n"
        ));
        assert!(r.text.contains(
            "1. Evening <GP> appointments.\nDates: 1 May to 12 June 2026 (closed).\nMethod: Survey.\nWho was involved: Patients of 12 practices. 240 people took part. Groups involved: North A PPG.\nWhat was heard: Evening appointments matter most.\n\nParking is hard.\nThe decision it informed: Extended access hours.\nIts influence on the decision: Changed the decision. Hours moved to evenings.\n"
        ), "{}", r.text);
        assert!(r.text.contains(
            "Last year (2025-26)\n\n1. Minor injuries: 1 September to 1 October 2025, survey.\n"
        ));
        assert!(r.markdown.contains(
            "### Evening \\<GP\\> appointments\n\n- **Dates**: 1 May to 12 June 2026 (closed).\n"
        ));
    }
}
