//! Newsletters as people read them: accessible HTML (and a large-print version), plain text
//! that reads well aloud and in a screen reader, and Markdown. Pure functions of a published
//! (or draft) newsletter; `http.rs` serves them, the bot links to them, and e-mails carry
//! them (`mail/letters.rs`). Also `simple_page`, the small page of a few paragraphs that the
//! e-mail links and e-mails themselves use.

use std::fmt::Write;

pub mod consultations;
pub mod document;
pub mod easy_read;
pub mod monthly;

use crate::domain::NewsletterEntryId;
use crate::domain::language::Language;
use crate::domain::newsletter::{
    Entry, Newsletter, NewsletterStatus, PageFormat, Section, translated_path,
};

/// A newsletter with what the pages say about its issuer.
pub struct NewsletterView<'a> {
    /// As read in `language` (see `domain::newsletter::translate`).
    pub newsletter: &'a Newsletter,
    pub issuer: &'a str,
    /// Its audio version is made (and may be linked).
    pub audio: bool,
    /// The language of this page: English, or the translation's.
    pub language: Language,
    /// Every language it can be read in besides English, for the pages' links to each other.
    pub translations: &'a [Language],
    /// Entries of a translated page left in English (marked so, for screen readers).
    pub in_english: &'a [NewsletterEntryId],
}

impl<'a> NewsletterView<'a> {
    /// The English original, with no audio or translations to link.
    pub fn new(newsletter: &'a Newsletter, issuer: &'a str) -> Self {
        Self {
            newsletter,
            issuer,
            audio: false,
            language: Language::English,
            translations: &[],
            in_english: &[],
        }
    }

    fn translated(&self) -> bool {
        self.language != Language::English
    }

    /// What marks a piece of the page as English on a translated page (the sections' titles,
    /// dates, links and anything not translated): nothing on the English page.
    fn english(&self) -> &'static str {
        if self.translated() {
            " lang=\"en-GB\" dir=\"ltr\""
        } else {
            ""
        }
    }

    /// Where this page is, in standard or large print.
    fn path(&self, large_print: bool) -> String {
        let id = self.newsletter.id;
        match (self.language, large_print) {
            (Language::English, false) => PageFormat::Html.path(id),
            (Language::English, true) => PageFormat::LargePrint.path(id),
            (language, large_print) => translated_path(id, language, large_print),
        }
    }
}

/// Text made safe inside HTML (also in attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small accessible page: its title, its content (`main_html`, already escaped, starting
/// with its one `h1`), and an optional footer. E-mails and the pages their links open use it.
pub fn simple_page(title: &str, main_html: &str, footer_html: Option<&str>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{SIMPLE_STYLE}</style>\n</head>\n<body>\n<main id=\"content\">\n{main_html}</main>\n",
        escape(title),
    );
    if let Some(footer) = footer_html {
        let _ = write!(out, "<footer>\n{footer}</footer>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Consecutive entries of one section, in the order the secretary left them.
fn runs(entries: &[Entry]) -> Vec<(Section, Vec<&Entry>)> {
    let mut runs: Vec<(Section, Vec<&Entry>)> = Vec::new();
    for entry in entries {
        match runs.last_mut() {
            Some((section, list)) if *section == entry.section => list.push(entry),
            _ => runs.push((entry.section, vec![entry])),
        }
    }
    runs
}

fn dates(view: &NewsletterView) -> String {
    let newsletter = view.newsletter;
    match (newsletter.status, newsletter.published_at) {
        (NewsletterStatus::Published, Some(at)) => format!(
            "Covering {}. Published {}.",
            newsletter.period.describe(),
            at.format("%-d %B %Y")
        ),
        _ => format!(
            "Covering {}. Draft: not yet published.",
            newsletter.period.describe()
        ),
    }
}

fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
}

pub(crate) const STYLE: &str = r#"
:root { color-scheme: light; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; font-size: 1.0625rem; line-height: 1.6; color: #1b1b1b; background: #ffffff; }
header, main, footer { max-width: 46rem; margin: 0 auto; padding: 0 1.25rem; }
header { border-bottom: 4px solid #1d4f91; padding-top: 0.75rem; padding-bottom: 0.75rem; }
.issuer { margin: 0; font-weight: 700; }
h1 { font-size: 2rem; line-height: 1.25; margin: 1.5rem 0 0.5rem; }
h2 { font-size: 1.5rem; margin: 2rem 0 0.75rem; border-bottom: 1px solid #6b6b6b; }
h3 { font-size: 1.125rem; margin: 0 0 0.25rem; }
.period { color: #3b3b3b; }
.entries { list-style: none; padding: 0; margin: 0; }
.entries li { margin: 0 0 1.25rem; }
a { color: #1d4f91; text-decoration: underline; }
a:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
.skip-link { position: absolute; inset-inline-start: -10000px; top: 0; padding: 0.75rem 1rem; background: #1d4f91; color: #ffffff; }
.skip-link:focus { inset-inline-start: 0.5rem; }
.formats { padding: 0; list-style: none; }
.formats li { display: inline-block; margin: 0 0 0.5rem 0; margin-inline-end: 1.5rem; }
.formats a { display: inline-block; padding: 0.5rem 0; min-height: 24px; }
footer { margin-top: 2.5rem; border-top: 1px solid #6b6b6b; padding-bottom: 2rem; }
@media print {
  .skip-link { display: none; }
  body { font-size: 12pt; }
  a[href^="/"]::after { content: " (" attr(href) ")"; }
}
"#;

/// The newsletter pages' look, for a page of a few paragraphs (and e-mails, which keep little
/// else of a style sheet).
const SIMPLE_STYLE: &str = r#"
body { margin: 0 auto; max-width: 46rem; padding: 0 1.25rem 2rem; font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; font-size: 1.0625rem; line-height: 1.6; color: #1b1b1b; background: #ffffff; }
h1 { font-size: 2rem; line-height: 1.25; margin: 1.5rem 0 0.5rem; }
h2 { font-size: 1.5rem; margin: 2rem 0 0.75rem; border-bottom: 1px solid #6b6b6b; }
h3 { font-size: 1.125rem; margin: 0 0 0.25rem; }
.period { color: #3b3b3b; }
.entries { list-style: none; padding: 0; margin: 0; }
.entries li { margin: 0 0 1.25rem; }
a { color: #1d4f91; text-decoration: underline; }
a:focus, button:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
button { font: inherit; padding: 0.5rem 1rem; min-height: 44px; color: #ffffff; background: #1d4f91; border: 0; border-radius: 4px; cursor: pointer; }
footer { margin-top: 2.5rem; border-top: 1px solid #6b6b6b; }
"#;

pub(crate) const LARGE_PRINT: &str = r#"
body { font-size: 1.5rem; line-height: 1.7; color: #000000; background: #ffffff; font-family: Verdana, Tahoma, Arial, sans-serif; }
header, main, footer { max-width: 38rem; }
header { border-bottom: 6px solid #000000; }
h1 { font-size: 2.5rem; }
h2 { font-size: 2rem; border-bottom: 3px solid #000000; }
h3 { font-size: 1.75rem; }
.period { color: #000000; }
a { color: #00008b; }
.formats li { display: block; }
"#;

/// Accessible HTML: one column, semantic headings and lists, landmarks, a skip link, readable
/// without CSS and printable. `large_print` adds large type and high contrast.
pub fn html(view: &NewsletterView, large_print: bool) -> String {
    let n = view.newsletter;
    let english = view.english();
    let mut out = String::new();
    // Each language's page names the others (`hreflang`), so search engines and readers find
    // the one in their language.
    let mut alternates = String::new();
    if !view.translations.is_empty() {
        for language in std::iter::once(Language::English).chain(view.translations.iter().copied())
        {
            let _ = writeln!(
                alternates,
                "<link rel=\"alternate\" hreflang=\"{}\" href=\"{}\">",
                language.tag(),
                escape(&NewsletterView { language, ..*view }.path(large_print))
            );
        }
    }
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}{}</title>\n{alternates}<style>{STYLE}{}</style>\n</head>\n<body>\n",
        view.language.tag(),
        view.language.direction(),
        escape(&n.title),
        if large_print { " (large print)" } else { "" },
        if large_print { LARGE_PRINT } else { "" },
    );
    let _ = write!(
        out,
        "<header>\n<a class=\"skip-link\" href=\"#content\"{}>Skip to the newsletter</a>\n<p class=\"issuer\">{}</p>\n</header>\n<main id=\"content\">\n",
        // Its language only: it must keep the page's direction to be placed off the screen on
        // the side that does not scroll.
        if view.translated() {
            " lang=\"en-GB\""
        } else {
            ""
        },
        escape(view.issuer),
    );
    out.push_str(&content_html(view));
    let link = |format: PageFormat| escape(&format.path(n.id));
    let languages = if view.translations.is_empty() {
        String::new()
    } else {
        let mut list = format!(
            "<nav aria-labelledby=\"languages\">\n<h2 id=\"languages\"{english}>Languages</h2>\n<ul class=\"formats\">\n"
        );
        for language in std::iter::once(Language::English).chain(view.translations.iter().copied())
        {
            let target = NewsletterView { language, ..*view }.path(large_print);
            let current = if language == view.language {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = writeln!(
                list,
                "<li><a href=\"{}\" hreflang=\"{tag}\" lang=\"{tag}\" dir=\"{}\"{current}>{}</a></li>",
                escape(&target),
                language.direction(),
                escape(language.own_name()),
                tag = language.tag(),
            );
        }
        list.push_str("</ul>\n</nav>\n");
        list
    };
    let audio = if view.audio {
        format!(
            "<li><a href=\"{}\" type=\"audio/ogg\">Listen (audio{})</a></li>\n",
            link(PageFormat::Audio),
            if view.translated() {
                ", in English"
            } else {
                ""
            }
        )
    } else {
        String::new()
    };
    let offer = if view.audio {
        "This newsletter is available in other languages on request"
    } else {
        "This newsletter is available in other languages and as audio on request"
    };
    let in_english = if view.translated() { " (English)" } else { "" };
    let _ = write!(
        out,
        "</main>\n<footer>\n{languages}<div{english}>\n<h2>Other formats</h2>\n<ul class=\"formats\">\n<li><a href=\"{}\">Standard print</a></li>\n<li><a href=\"{}\">Large print</a></li>\n<li><a href=\"{}\">Plain text{in_english}</a></li>\n<li><a href=\"{}\">Markdown{in_english}</a></li>\n<li><a href=\"{}\">Easy read{in_english}</a></li>\n{audio}</ul>\n<p>{offer}: ask your PPG or {}.</p>\n</div>\n</footer>\n</body>\n</html>\n",
        escape(&view.path(false)),
        escape(&view.path(true)),
        link(PageFormat::Text),
        link(PageFormat::Markdown),
        link(PageFormat::EasyRead),
        escape(view.issuer)
    );
    out
}

/// The newsletter itself as HTML: its title (`h1`), dates, introduction and sections, without
/// the page around it (the page and e-mails wrap it).
pub fn content_html(view: &NewsletterView) -> String {
    let n = view.newsletter;
    let english = view.english();
    let mut out = String::new();
    let _ = write!(
        out,
        "<h1>{}</h1>\n<p class=\"period\"{english}>{}</p>\n",
        escape(&n.title),
        escape(&dates(view)),
    );
    for paragraph in paragraphs(&n.introduction) {
        let _ = writeln!(out, "<p>{}</p>", escape(paragraph));
    }
    if n.entries.is_empty() {
        let _ = writeln!(out, "<p{english}>Nothing to report for this period.</p>");
    }
    for (index, (section, entries)) in runs(&n.entries).into_iter().enumerate() {
        let _ = write!(
            out,
            "<section aria-labelledby=\"section-{index}\">\n<h2 id=\"section-{index}\"{english}>{}</h2>\n<ul class=\"entries\">\n",
            escape(section.title())
        );
        for entry in entries {
            let untranslated = entry.id.is_some_and(|id| view.in_english.contains(&id));
            let _ = write!(
                out,
                "<li{}>\n<h3>{}</h3>\n",
                if untranslated { english } else { "" },
                escape(&entry.heading)
            );
            for paragraph in paragraphs(&entry.body) {
                let _ = writeln!(out, "<p>{}</p>", escape(paragraph));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n</section>\n");
    }
    out
}

/// Plain text for reading aloud and for screen readers: no tables, no symbols standing for
/// words, every heading on its own line, entries numbered.
pub fn text(view: &NewsletterView) -> String {
    let n = view.newsletter;
    let mut out = String::new();
    let _ = write!(
        out,
        "{}\n\nFrom {}. {}\n\n",
        n.title,
        view.issuer,
        dates(view)
    );
    for paragraph in paragraphs(&n.introduction) {
        let _ = write!(out, "{paragraph}\n\n");
    }
    if n.entries.is_empty() {
        out.push_str("Nothing to report for this period.\n\n");
    }
    for (section, entries) in runs(&n.entries) {
        let _ = write!(out, "{}\n\n", section.title());
        for (number, entry) in entries.iter().enumerate() {
            let heading = entry.heading.trim_end_matches('.');
            let _ = write!(out, "{}. {heading}.\n{}\n\n", number + 1, entry.body.trim());
        }
    }
    let _ = writeln!(
        out,
        "This newsletter is also available in large print and as audio on its web page, and in other languages on request: ask your PPG or {}.",
        view.issuer
    );
    out
}

/// Markdown, for pasting into other documents and e-mails.
pub fn markdown(view: &NewsletterView) -> String {
    let n = view.newsletter;
    let escape_md = |text: &str| {
        text.chars().fold(String::new(), |mut s, c| {
            if "\\`*_[]#<>".contains(c) {
                s.push('\\');
            }
            s.push(c);
            s
        })
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "# {}\n\n*{}.* {}\n\n",
        escape_md(&n.title),
        escape_md(view.issuer),
        dates(view)
    );
    for paragraph in paragraphs(&n.introduction) {
        let _ = write!(out, "{}\n\n", escape_md(paragraph));
    }
    for (section, entries) in runs(&n.entries) {
        let _ = write!(out, "## {}\n\n", section.title());
        for entry in entries {
            let _ = writeln!(
                out,
                "- **{}**: {}",
                escape_md(&entry.heading),
                escape_md(entry.body.trim()).replace('\n', " ")
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::GroupId;
    use crate::domain::newsletter::Period;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn newsletter() -> Newsletter {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        Newsletter {
            id: crate::domain::NewsletterId(7),
            group_id: GroupId(2),
            period: Period::parse(day(10, 1), day(12, 31)).unwrap(),
            title: "North <District> newsletter".into(),
            introduction: "Welcome.\n\nThank you all.".into(),
            status: NewsletterStatus::Published,
            published_at: Some(Utc.with_ymd_and_hms(2027, 1, 5, 10, 0, 0).unwrap()),
            entries: vec![
                Entry {
                    id: Some(crate::domain::NewsletterEntryId(1)),
                    section: Section::Answers,
                    item_id: None,
                    heading: "Call-backs".into(),
                    body: "You said it was slow. We did: more staff.".into(),
                    review: Default::default(),
                },
                Entry {
                    id: Some(crate::domain::NewsletterEntryId(2)),
                    section: Section::Answers,
                    item_id: None,
                    heading: "Parking".into(),
                    body: "No change.".into(),
                    review: Default::default(),
                },
                Entry {
                    id: Some(crate::domain::NewsletterEntryId(3)),
                    section: Section::Notice,
                    item_id: None,
                    heading: "Consultation".into(),
                    body: "Have your say by 31 January.".into(),
                    review: Default::default(),
                },
            ],
        }
    }

    #[test]
    fn html_has_language_landmarks_headings_and_escapes_text() {
        let n = newsletter();
        let page = html(&NewsletterView::new(&n, "North District Group"), false);
        assert!(page.contains("<html lang=\"en-GB\" dir=\"ltr\">"));
        assert!(
            page.contains("<main id=\"content\">")
                && page.contains("<header>")
                && page.contains("<footer>")
        );
        assert!(page.contains("<h1>North &lt;District&gt; newsletter</h1>"));
        assert_eq!(
            page.matches("<h2 id=").count(),
            2,
            "one heading per run of a section"
        );
        assert!(page.contains("<h2 id=\"section-0\">You said, we did</h2>"));
        assert!(page.contains("Published 5 January 2027"));
        assert!(page.contains("<p>Thank you all.</p>"));
        let large = html(&NewsletterView::new(&n, "North District Group"), true);
        assert!(large.contains("font-size: 1.5rem") && large.contains("(large print)"));
    }

    #[test]
    fn text_reads_in_order_with_numbered_entries() {
        let n = newsletter();
        let text = text(&NewsletterView::new(&n, "North District Group"));
        let expected_start = "North <District> newsletter\n\nFrom North District Group. Covering 1 October to 31 December 2026. Published 5 January 2027.\n\nWelcome.\n\nThank you all.\n\nYou said, we did\n\n1. Call-backs.\nYou said it was slow. We did: more staff.\n\n2. Parking.\nNo change.\n\nNotices\n\n1. Consultation.\n";
        assert!(text.starts_with(expected_start), "{text}");
    }

    #[test]
    fn markdown_escapes_and_lists() {
        let n = newsletter();
        let md = markdown(&NewsletterView::new(&n, "North"));
        assert!(md.starts_with("# North \\<District\\> newsletter\n"));
        assert!(md.contains(
            "## You said, we did\n\n- **Call-backs**: You said it was slow. We did: more staff.\n"
        ));
    }
}
