//! A report as a short list of blocks (headings, paragraphs, lists, tables, run charts), laid
//! out once into each form people read it in: accessible HTML and large print, plain text that
//! reads well aloud (tables become sentences, charts their description), Markdown, and CSV of
//! its tables. A report says what it says once; the forms cannot drift apart.

use std::fmt::Write;

use super::{LARGE_PRINT, STYLE, escape};
use crate::domain::spc::Chart;

/// One table: its caption (also its name in the CSV), column headings, and rows. The first
/// cell of a row names it (a row heading).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading (`h2`).
    Heading(String),
    /// A heading within a section (`h3`).
    Subheading(String),
    Paragraph(String),
    List(Vec<String>),
    /// Labelled values (a definition list), such as one consultation's dates, method and
    /// influence; a value may hold paragraphs (blank-line separated).
    Definitions(Vec<(String, String)>),
    Table(Table),
    /// A run chart: its id in the page, title, a label per point, and the chart.
    Chart {
        id: String,
        title: String,
        labels: Vec<String>,
        chart: Chart,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    /// Who it is from (the page's header).
    pub from: String,
    /// When it covers and when it was made, one line.
    pub dateline: String,
    pub blocks: Vec<Block>,
    /// The other forms of the document, as (name, address), for the page's footer.
    pub formats: Vec<(String, String)>,
    /// The footer's last line (how to ask for other formats).
    pub closing: String,
}

const TABLE_STYLE: &str = r#"
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; width: 100%; }
caption { text-align: left; font-weight: 700; padding: 0.25rem 0; }
th, td { border: 1px solid #6b6b6b; padding: 0.375rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e8edee; }
figure { margin: 0.5rem 0 1.5rem; }
figcaption { margin-top: 0.25rem; }
.run-chart { width: 100%; height: auto; max-width: 40rem; }
.table-wrap { overflow-x: auto; }
.table-wrap:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
"#;

/// The page: header with a skip link, the document in `main`, the other formats in the footer.
pub fn html(doc: &Document, large_print: bool) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}{}</title>\n<style>{STYLE}{TABLE_STYLE}{}</style>\n</head>\n<body>\n<header>\n<a class=\"skip-link\" href=\"#content\">Skip to the report</a>\n<p class=\"issuer\">{}</p>\n</header>\n<main id=\"content\">\n<h1>{}</h1>\n<p class=\"period\">{}</p>\n",
        escape(&doc.title),
        if large_print { " (large print)" } else { "" },
        if large_print { LARGE_PRINT } else { "" },
        escape(&doc.from),
        escape(&doc.title),
        escape(&doc.dateline),
    );
    let mut in_section = false;
    let mut heading = 0;
    for block in &doc.blocks {
        match block {
            Block::Heading(text) => {
                if in_section {
                    out.push_str("</section>\n");
                }
                heading += 1;
                let _ = write!(
                    out,
                    "<section aria-labelledby=\"part-{heading}\">\n<h2 id=\"part-{heading}\">{}</h2>\n",
                    escape(text)
                );
                in_section = true;
            }
            Block::Subheading(text) => {
                let _ = writeln!(out, "<h3>{}</h3>", escape(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "<p>{}</p>", escape(text));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", escape(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Definitions(pairs) => {
                out.push_str("<dl>\n");
                for (label, value) in pairs {
                    let paragraphs: Vec<String> = paragraphs(value).map(escape).collect();
                    let _ = writeln!(
                        out,
                        "<dt>{}</dt>\n<dd>{}</dd>",
                        escape(label),
                        paragraphs.join("<br><br>")
                    );
                }
                out.push_str("</dl>\n");
            }
            Block::Table(table) => {
                // A wide table scrolls in its own region, which keyboard users can reach.
                let _ = write!(
                    out,
                    "<div class=\"table-wrap\" role=\"region\" aria-label=\"{caption}\" tabindex=\"0\">\n<table>\n<caption>{caption}</caption>\n<thead>\n<tr>",
                    caption = escape(&table.caption)
                );
                for header in &table.headers {
                    let _ = write!(out, "<th scope=\"col\">{}</th>", escape(header));
                }
                out.push_str("</tr>\n</thead>\n<tbody>\n");
                for row in &table.rows {
                    out.push_str("<tr>");
                    for (i, cell) in row.iter().enumerate() {
                        if i == 0 {
                            let _ = write!(out, "<th scope=\"row\">{}</th>", escape(cell));
                        } else {
                            let _ = write!(out, "<td>{}</td>", escape(cell));
                        }
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n</div>\n");
            }
            Block::Chart {
                id,
                title,
                labels,
                chart,
            } => {
                let _ = write!(
                    out,
                    "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                    crate::charts::run_chart(id, title, labels, chart),
                    escape(title)
                );
            }
        }
    }
    if in_section {
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n<footer>\n<h2>Other formats</h2>\n<ul class=\"formats\">\n");
    for (name, href) in &doc.formats {
        let _ = writeln!(
            out,
            "<li><a href=\"{}\">{}</a></li>",
            escape(href),
            escape(name)
        );
    }
    let _ = write!(
        out,
        "</ul>\n<p>{}</p>\n</footer>\n</body>\n</html>\n",
        escape(&doc.closing)
    );
    out
}

/// A chart's points as words: "Oct 26: 3, Nov 26: 4".
fn points(labels: &[String], chart: &Chart) -> String {
    labels
        .iter()
        .zip(&chart.values)
        .map(|(label, value)| format!("{label}: {value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
}

/// A table row as a sentence: "Access. November 2026: 4 of 9; Mean of the 3 months before: 1.7."
fn row_sentence(headers: &[String], row: &[String]) -> String {
    let mut parts = Vec::new();
    for (header, cell) in headers.iter().zip(row).skip(1) {
        parts.push(format!("{header}: {cell}"));
    }
    let name = row.first().map_or("", String::as_str);
    format!("{name}. {}.", parts.join("; "))
}

/// Plain text: headings on their own lines, tables read row by row as sentences, charts as
/// what they show.
pub fn text(doc: &Document) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{}\n\nFrom {}. {}\n\n",
        doc.title, doc.from, doc.dateline
    );
    for block in &doc.blocks {
        match block {
            Block::Heading(text) => {
                let _ = write!(out, "{}\n\n", text.to_uppercase());
            }
            Block::Subheading(text) => {
                let _ = write!(out, "{text}\n\n");
            }
            Block::Paragraph(text) => {
                let _ = write!(out, "{text}\n\n");
            }
            Block::List(items) => {
                for (n, item) in items.iter().enumerate() {
                    let _ = writeln!(out, "{}. {item}", n + 1);
                }
                out.push('\n');
            }
            Block::Definitions(pairs) => {
                for (label, value) in pairs {
                    let _ = writeln!(out, "{label}: {}", value.trim());
                }
                out.push('\n');
            }
            Block::Table(table) => {
                let _ = writeln!(out, "{}.", table.caption.trim_end_matches('.'));
                for row in &table.rows {
                    let _ = writeln!(out, "{}", row_sentence(&table.headers, row));
                }
                out.push('\n');
            }
            Block::Chart {
                title,
                labels,
                chart,
                ..
            } => {
                let _ = write!(
                    out,
                    "Chart: {}. {}. {}\n\n",
                    title.trim_end_matches('.'),
                    points(labels, chart),
                    crate::charts::describe(labels, chart)
                );
            }
        }
    }
    let _ = writeln!(out, "{}", doc.closing);
    out
}

fn escape_md(text: &str) -> String {
    text.chars().fold(String::new(), |mut s, c| {
        if "\\`*_[]#<>|".contains(c) {
            s.push('\\');
        }
        s.push(c);
        s
    })
}

/// Markdown, for pasting into board papers: tables as Markdown tables, charts as their
/// description and values.
pub fn markdown(doc: &Document) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "# {}\n\n*{}.* {}\n\n",
        escape_md(&doc.title),
        escape_md(&doc.from),
        escape_md(&doc.dateline)
    );
    for block in &doc.blocks {
        match block {
            Block::Heading(text) => {
                let _ = write!(out, "## {}\n\n", escape_md(text));
            }
            Block::Subheading(text) => {
                let _ = write!(out, "### {}\n\n", escape_md(text));
            }
            Block::Paragraph(text) => {
                let _ = write!(out, "{}\n\n", escape_md(text));
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", escape_md(item));
                }
                out.push('\n');
            }
            Block::Definitions(pairs) => {
                for (label, value) in pairs {
                    let _ = writeln!(
                        out,
                        "- **{}**: {}",
                        escape_md(label),
                        escape_md(value.trim()).replace('\n', " ")
                    );
                }
                out.push('\n');
            }
            Block::Table(table) => {
                let _ = write!(out, "**{}**\n\n", escape_md(&table.caption));
                let cells = |row: &[String]| {
                    row.iter()
                        .map(|c| escape_md(c))
                        .collect::<Vec<_>>()
                        .join(" | ")
                };
                let _ = writeln!(out, "| {} |", cells(&table.headers));
                let _ = writeln!(
                    out,
                    "|{}",
                    table.headers.iter().map(|_| " --- |").collect::<String>()
                );
                for row in &table.rows {
                    let _ = writeln!(out, "| {} |", cells(row));
                }
                out.push('\n');
            }
            Block::Chart {
                title,
                labels,
                chart,
                ..
            } => {
                let _ = write!(
                    out,
                    "*Chart: {}.* {}. {}\n\n",
                    escape_md(title.trim_end_matches('.')),
                    escape_md(&points(labels, chart)),
                    escape_md(&crate::charts::describe(labels, chart))
                );
            }
        }
    }
    out
}

fn csv_cell(text: &str) -> String {
    // A cell a spreadsheet would run as a formula is kept as text.
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The document's tables as CSV: each table under its caption, a blank line between tables;
/// `None` when it has none.
pub fn csv(doc: &Document) -> Option<String> {
    let mut out = String::new();
    for block in &doc.blocks {
        let Block::Table(table) = block else { continue };
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(",")
                + "\r\n"
        };
        out.push_str(&line(std::slice::from_ref(&table.caption)));
        out.push_str(&line(&table.headers));
        for row in &table.rows {
            out.push_str(&line(row));
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Document {
        Document {
            title: "Report <one>".to_owned(),
            from: "North Region".to_owned(),
            dateline: "November 2026.".to_owned(),
            blocks: vec![
                Block::Heading("Themes".to_owned()),
                Block::Paragraph("Two themes.".to_owned()),
                Block::Table(Table {
                    caption: "Concerns by theme".to_owned(),
                    headers: vec!["Theme".to_owned(), "November 2026".to_owned()],
                    rows: vec![
                        vec!["Access".to_owned(), "4 of 9".to_owned()],
                        vec!["Care, \"dignity\"".to_owned(), "=1".to_owned()],
                    ],
                }),
                Block::Chart {
                    id: "c1".to_owned(),
                    title: "Reports each month".to_owned(),
                    labels: vec!["Oct 26".to_owned(), "Nov 26".to_owned()],
                    chart: Chart::of(&[3.0, 4.0]).unwrap(),
                },
            ],
            formats: vec![("Plain text".to_owned(), "/reports/1.txt".to_owned())],
            closing: "Ask for other formats.".to_owned(),
        }
    }

    #[test]
    fn html_has_one_h1_sections_table_headers_and_an_accessible_chart() {
        let page = html(&document(), false);
        assert_eq!(page.matches("<h1>").count(), 1);
        assert!(page.contains("<h1>Report &lt;one&gt;</h1>"));
        assert!(
            page.contains("<section aria-labelledby=\"part-1\">\n<h2 id=\"part-1\">Themes</h2>")
        );
        assert!(page.contains("<caption>Concerns by theme</caption>"));
        assert!(page.contains("<th scope=\"col\">November 2026</th>"));
        assert!(page.contains("<th scope=\"row\">Access</th><td>4 of 9</td>"));
        assert!(page.contains("role=\"img\""));
        assert!(page.contains("<a href=\"/reports/1.txt\">Plain text</a>"));
        assert!(html(&document(), true).contains("(large print)"));
    }

    #[test]
    fn text_reads_tables_as_sentences_and_charts_as_their_description() {
        let text = text(&document());
        assert!(text.starts_with("Report <one>\n\nFrom North Region. November 2026.\n\nTHEMES\n\nTwo themes.\n\nConcerns by theme.\nAccess. November 2026: 4 of 9.\n"), "{text}");
        assert!(text.contains("Chart: Reports each month. Oct 26: 3, Nov 26: 4. Mean 3.5"));
        assert!(text.ends_with("Ask for other formats.\n"));
    }

    #[test]
    fn csv_quotes_and_keeps_formulas_as_text() {
        let csv = csv(&document()).unwrap();
        assert_eq!(
            csv,
            "Concerns by theme\r\nTheme,November 2026\r\nAccess,4 of 9\r\n\"Care, \"\"dignity\"\"\",'=1\r\n"
        );
        let md = markdown(&document());
        assert!(md.contains("| Theme | November 2026 |\n| --- | --- |\n| Access | 4 of 9 |"));
    }
}
