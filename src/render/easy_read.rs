//! The easy-read version of a newsletter: the plain text's structure (title, sections,
//! entries) with every sentence on a line of its own and long sentences cut where they join
//! two ideas (at a semicolon), so a reader takes one idea at a time. Made from the entries;
//! a secretary can replace it with their own (`services::newsletters::set_easy_read`).

use std::fmt::Write;

use super::{NewsletterView, dates, paragraphs, runs};

/// The text split into short sentences, one idea each: at the end of every sentence (a
/// full stop, question or exclamation mark, with any closing bracket or quote, before a
/// space) and at every semicolon. Each starts with a capital letter and ends with a stop.
pub fn short_sentences(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        current.push(c);
        let ends = match c {
            '.' | '!' | '?' => {
                // Keep a closing bracket or quote with its sentence.
                while i + 1 < chars.len() && matches!(chars[i + 1], ')' | '"' | '\'' | '”') {
                    i += 1;
                    current.push(chars[i]);
                }
                chars.get(i + 1).is_none_or(|n| n.is_whitespace())
            }
            ';' => {
                current.pop();
                current.push('.');
                true
            }
            '\n' => true,
            _ => false,
        };
        if ends {
            push(&mut sentences, &current);
            current.clear();
        }
        i += 1;
    }
    push(&mut sentences, &current);
    sentences
}

fn push(sentences: &mut Vec<String>, raw: &str) {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().all(|c| !c.is_alphanumeric()) {
        return;
    }
    let mut sentence: String = trimmed
        .chars()
        .take(1)
        .flat_map(char::to_uppercase)
        .chain(trimmed.chars().skip(1))
        .collect();
    if !sentence.ends_with(['.', '!', '?', ')', '"', '\'', '”', ':']) {
        sentence.push('.');
    }
    sentences.push(sentence);
}

/// The newsletter in easy read, as plain text.
pub fn easy_read(view: &NewsletterView) -> String {
    let n = view.newsletter;
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", n.title.trim_end_matches('.'));
    let _ = writeln!(out, "This news is from {}.", view.issuer);
    for line in short_sentences(&dates(view)) {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    for paragraph in paragraphs(&n.introduction) {
        for line in short_sentences(paragraph) {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    if n.entries.is_empty() {
        out.push_str("We have nothing to tell you this time.\n\n");
    }
    for (section, entries) in runs(&n.entries) {
        let _ = writeln!(out, "{}\n", section.title());
        for entry in entries {
            let _ = writeln!(out, "{}.", entry.heading.trim_end_matches('.'));
            for line in short_sentences(&entry.body) {
                let _ = writeln!(out, "{line}");
            }
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "You can ask for this news in large print or in another language.\nAsk your PPG or {}.",
        view.issuer
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sentence_and_each_idea_gets_its_own_line() {
        assert_eq!(
            short_sentences(
                "Raised in 3 reports. We took it to the council; the answer came in November. (Change made.) Reference SI-2026-000001."
            ),
            [
                "Raised in 3 reports.",
                "We took it to the council.",
                "The answer came in November.",
                "(Change made.)",
                "Reference SI-2026-000001."
            ]
        );
    }

    #[test]
    fn numbers_and_times_are_not_cut() {
        assert_eq!(
            short_sentences("Opening hours restored to 6.30pm. thanks"),
            ["Opening hours restored to 6.30pm.", "Thanks."]
        );
        assert!(short_sentences("  ; . ").is_empty());
    }
}
