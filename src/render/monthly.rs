//! The monthly patient-experience report laid out as a `Document`: each section once, read in
//! every form (`document.rs`). Counts are shown with their base ("4 of 23 reports"), charts
//! with what they show in words.

use chrono::NaiveDate;

use super::document::{self, Block, Document, Table};
use crate::domain::ReportId;
use crate::domain::feedback::triangulation::Movement;
use crate::domain::monthly::{self, CHARTED_HEADINGS, Loop, MonthlyReport, PatternChange, plural};
use crate::domain::report::{Rendered, ReportFormat};

/// "Nov 26", a chart's label for a month.
fn short(month: crate::domain::feedback::Month) -> String {
    month.first_day().format("%b %y").to_string()
}

fn day(on: NaiveDate) -> String {
    on.format("%-d %B %Y").to_string()
}

fn of(part: u32, base: u32) -> String {
    match base {
        0 => "none".to_owned(),
        _ => format!(
            "{part} of {base} ({}%)",
            (u64::from(part) * 100 + u64::from(base) / 2) / u64::from(base)
        ),
    }
}

fn days(value: Option<i64>) -> String {
    value.map_or_else(
        || "no answers yet".to_owned(),
        |d| plural(d as u32, "day", "days"),
    )
}

/// The report as a document; `id` and `published_on` once it is published (its pages link to
/// each other), `None` for a preview.
pub fn document(
    report: &MonthlyReport,
    id: Option<ReportId>,
    published_on: Option<NaiveDate>,
) -> Document {
    let month = report.month.label();
    let mut blocks = vec![Block::Heading("This month in brief".to_owned())];
    blocks.extend(report.summary().into_iter().map(Block::Paragraph));

    // What the pyramid heard, month by month.
    blocks.push(Block::Heading("What the pyramid heard".to_owned()));
    blocks.push(Block::Paragraph(
        "Reports count in the month of the experience they tell of (or the month they were raised, where no date was given), as complaints and the Friends and Family Test count by when they were made.".to_owned(),
    ));
    let labels: Vec<String> = report.months.iter().map(|m| short(*m)).collect();
    if let Some(chart) = &report.reports_chart {
        blocks.push(Block::Chart {
            id: "reports".to_owned(),
            title: "Reports each month, with the mean and process limits".to_owned(),
            labels: labels.clone(),
            chart: chart.clone(),
        });
    }
    blocks.push(Block::Table(Table {
        caption: "Reports each month".to_owned(),
        headers: vec![
            "Month".to_owned(),
            "Reports".to_owned(),
            format!("PPGs reporting (of {})", report.ppg_count),
        ],
        rows: report
            .months
            .iter()
            .zip(report.reports.iter().zip(&report.reporting_ppgs))
            .map(|(m, (r, p))| vec![m.label(), r.to_string(), p.to_string()])
            .collect(),
    }));

    // Themes and their trend.
    blocks.push(Block::Heading("Themes".to_owned()));
    if report.themes.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "No concerns under a theme were raised in the twelve months to {month}."
        )));
    } else {
        let base = report.reports.last().copied().unwrap_or(0);
        blocks.push(Block::Paragraph(format!(
            "Concerns under each theme heading in {month}, out of all {} that month, against the mean of the three months before. A report can be under more than one heading.",
            plural(base, "report", "reports")
        )));
        blocks.push(Block::Table(Table {
            caption: format!("Concerns by theme, {month}"),
            headers: vec![
                "Theme".to_owned(),
                month.clone(),
                "Mean of the 3 months before".to_owned(),
                "Trend".to_owned(),
                "Run chart".to_owned(),
            ],
            rows: report
                .themes
                .iter()
                .map(|t| {
                    vec![
                        t.name.clone(),
                        format!("{} of {base}", t.this_month),
                        format!("{:.1}", t.previous_mean),
                        match t.movement {
                            Movement::Rising => "Rising",
                            Movement::Level => "Level",
                            Movement::Falling => "Falling",
                        }
                        .to_owned(),
                        match (&t.chart, t.latest_signal()) {
                            (None, _) => "Too few to chart".to_owned(),
                            (Some(_), None) => "Common cause variation".to_owned(),
                            (Some(_), Some(signal)) => format!("Special cause: {signal}"),
                        },
                    ]
                })
                .collect(),
        }));
        for (n, theme) in report
            .themes
            .iter()
            .filter(|t| t.chart.is_some())
            .take(CHARTED_HEADINGS)
            .enumerate()
        {
            let Some(chart) = &theme.chart else { continue };
            blocks.push(Block::Subheading(format!(
                "{}: concerns each month",
                theme.name
            )));
            blocks.push(Block::Chart {
                id: format!("theme-{n}"),
                title: format!(
                    "Concerns about {} each month, with the mean and process limits",
                    theme.name.to_lowercase()
                ),
                labels: labels.clone(),
                chart: chart.clone(),
            });
            blocks.push(Block::Paragraph(format!(
                "Out of all reports each month: {}.",
                labels
                    .iter()
                    .zip(theme.counts.iter().zip(&theme.bases))
                    .map(|(l, (c, b))| format!("{l} {c} of {b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }

    // Providers whose negative feedback rises across sources.
    blocks.push(Block::Heading(
        "Providers with rising negative feedback".to_owned(),
    ));
    blocks.push(Block::Paragraph(format!(
        "Negative feedback in {month} from the pyramid and the imported sources (complaints, PALS, the Friends and Family Test, Care Opinion) against the monthly mean of up to {} months before it in which the source has figures. A source counts as rising when it rose by at least 3 and by at least half.",
        monthly::COMPARE_MONTHS
    )));
    if report.rising.is_empty() {
        blocks.push(Block::Paragraph(
            "No provider's negative feedback rose by that much in any source.".to_owned(),
        ));
    } else {
        blocks.push(Block::Table(Table {
            caption: "Rising negative feedback by provider and source".to_owned(),
            headers: vec![
                "Provider".to_owned(),
                "Source".to_owned(),
                "Monthly mean before".to_owned(),
                month.clone(),
            ],
            rows: report
                .rising
                .iter()
                .flat_map(|p| {
                    p.rises.iter().map(|r| {
                        vec![
                            p.name.clone(),
                            r.source.to_owned(),
                            format!(
                                "{:.1} (over {})",
                                r.mean_before,
                                plural(r.months_before, "month", "months")
                            ),
                            r.after.to_string(),
                        ]
                    })
                })
                .collect(),
        }));
    }

    // Gaps.
    blocks.push(Block::Heading("Gaps".to_owned()));
    if report.silent_ppgs.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "Every PPG raised something in {month}."
        )));
    } else {
        blocks.push(Block::Paragraph(format!(
            "{} of {} raised nothing in {month}:",
            plural(report.silent_ppgs.len() as u32, "PPG", "PPGs"),
            report.ppg_count
        )));
        blocks.push(Block::List(report.silent_ppgs.clone()));
    }
    if report.quiet_organisations.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "Every provider heard of in the last twelve months was mentioned by some source in {month}."
        )));
    } else {
        blocks.push(Block::Paragraph(format!(
            "Providers heard of in the last twelve months that no source mentioned in {month}:"
        )));
        blocks.push(Block::List(report.quiet_organisations.clone()));
    }
    if report.unmentioned_in_register > 0 {
        blocks.push(Block::Paragraph(format!(
            "{} in the area's register had no feedback from any source in the twelve months.",
            plural(
                report.unmentioned_in_register,
                "other organisation",
                "other organisations"
            )
        )));
    }

    // Safety.
    blocks.push(Block::Heading("Open safety concerns".to_owned()));
    if report.safety.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "No safety concern was open on {}.",
            day(report.as_at)
        )));
    } else {
        blocks.push(Block::Paragraph(
            "Each safety concern goes to the commissioners as soon as it is raised. They are listed by reference only; the longest waiting first.".to_owned(),
        ));
        blocks.push(Block::Table(Table {
            caption: format!("Safety concerns open on {}", day(report.as_at)),
            headers: vec![
                "Reference".to_owned(),
                "Provider".to_owned(),
                "Raised".to_owned(),
                "Waiting".to_owned(),
                "Answer due".to_owned(),
            ],
            rows: report
                .safety
                .iter()
                .map(|s| {
                    vec![
                        s.reference.clone(),
                        s.provider.clone().unwrap_or_else(|| "Not named".to_owned()),
                        day(s.raised_on),
                        plural(s.days_waiting.max(0) as u32, "day", "days"),
                        match (s.due_on, s.overdue) {
                            (Some(due), true) => format!("{} (overdue)", day(due)),
                            (Some(due), false) => day(due),
                            (None, _) => "No date".to_owned(),
                        },
                    ]
                })
                .collect(),
        }));
    }

    // Patterns.
    blocks.push(Block::Heading("Patterns of concern".to_owned()));
    let count = |change: PatternChange| {
        report
            .patterns
            .iter()
            .filter(|p| p.change == change)
            .count() as u32
    };
    blocks.push(Block::Paragraph(format!(
        "In {month}: {} opened, {} taken up, {} dismissed.",
        plural(count(PatternChange::Opened), "pattern", "patterns"),
        count(PatternChange::TakenUp),
        count(PatternChange::Dismissed)
    )));
    if !report.patterns.is_empty() {
        blocks.push(Block::Table(Table {
            caption: format!("Patterns that changed in {month}"),
            headers: vec![
                "About".to_owned(),
                "What happened".to_owned(),
                "PPGs".to_owned(),
            ],
            rows: report
                .patterns
                .iter()
                .map(|p| {
                    vec![
                        p.about.clone(),
                        match p.change {
                            PatternChange::Opened => "Opened",
                            PatternChange::TakenUp => "Taken up",
                            PatternChange::Dismissed => "Dismissed",
                        }
                        .to_owned(),
                        p.ppgs.to_string(),
                    ]
                })
                .collect(),
        }));
    }

    // The closed loop.
    blocks.push(Block::Heading("Closing the loop".to_owned()));
    blocks.push(Block::Paragraph(format!(
        "Reports raised in the twelve months to {month}, by the tier that holds them (a report referred to the commissioners counts as theirs), as at {}.",
        day(report.as_at)
    )));
    let tier_name = |l: &Loop| l.tier.map_or("All tiers", |t| t.name()).to_owned();
    blocks.push(Block::Table(Table {
        caption: "Answers and changes by tier".to_owned(),
        headers: vec![
            "Tier".to_owned(),
            "Reports".to_owned(),
            "Answered".to_owned(),
            "Led to a change (planned / made)".to_owned(),
            "Median time to an answer".to_owned(),
            "90th percentile".to_owned(),
            "Past the response clock".to_owned(),
        ],
        rows: report
            .loops
            .iter()
            .map(|l| {
                vec![
                    tier_name(l),
                    l.items.to_string(),
                    of(l.answered, l.items),
                    format!(
                        "{} ({} / {})",
                        of(l.change_planned + l.change_made, l.answered),
                        l.change_planned,
                        l.change_made
                    ),
                    days(l.median_days),
                    days(l.p90_days),
                    l.overdue.to_string(),
                ]
            })
            .collect(),
    }));
    let c = report.changes;
    blocks.push(Block::Paragraph(format!(
        "Planned changes, one per matter: {} in hand, {} past the date they were due, {} made and {} abandoned. A change counts as made only when the owner or the commissioners record that it was.",
        c.planned, c.overdue, c.made, c.abandoned
    )));
    if report.overdue.is_empty() {
        blocks.push(Block::Paragraph(
            "No referral was past its response clock.".to_owned(),
        ));
    } else {
        blocks.push(Block::Table(Table {
            caption: "Referrals past their response clock".to_owned(),
            headers: vec![
                "Reference".to_owned(),
                "Provider".to_owned(),
                "Answer was due".to_owned(),
                "Days late".to_owned(),
            ],
            rows: report
                .overdue
                .iter()
                .map(|o| {
                    vec![
                        o.reference.clone(),
                        o.provider.clone().unwrap_or_else(|| "Not named".to_owned()),
                        day(o.due_on),
                        o.days_late.to_string(),
                    ]
                })
                .collect(),
        }));
    }

    let formats = id.map_or_else(Vec::new, |id| ReportFormat::links(id, true));
    let published = published_on.map_or_else(
        || " Draft: not yet published.".to_owned(),
        |on| format!(" Published {}.", day(on)),
    );
    Document {
        title: report.title(),
        from: report.area_name.clone(),
        dateline: format!(
            "Covering {month}, with the eleven months before; figures as at {}.{published}",
            day(report.as_at)
        ),
        blocks,
        formats,
        closing: format!(
            "This report is also available in other languages and as audio on request: ask {}.",
            report.area_name
        ),
    }
}

/// The report in every form, as it is published under `id` on `published_on`.
pub fn render(report: &MonthlyReport, id: ReportId, published_on: NaiveDate) -> Rendered {
    let doc = document(report, Some(id), Some(published_on));
    Rendered {
        title: doc.title.clone(),
        html: document::html(&doc, false),
        large_print: document::html(&doc, true),
        text: document::text(&doc),
        markdown: document::markdown(&doc),
        csv: document::csv(&doc),
    }
}
