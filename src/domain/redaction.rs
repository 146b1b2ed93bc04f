//! Removing personal identifiers (NHS numbers, phone numbers, e-mail addresses, postcodes and
//! dates of birth) from free text before it is stored or logged, and telling the submitter.
//!
//! The detectors read a normalised copy of the text: Unicode NFKC (full-width digits and `＠`
//! become ASCII), every dash and minus sign as `-`, every horizontal space (tab, no-break, thin,
//! ideographic) as ` `, curly apostrophes as `'`, and invisible characters (zero-width spaces
//! and joiners, soft hyphens, direction marks) dropped. What is stored is the original text with
//! only the found spans replaced, each span widened to the whole original characters it came
//! from, so an invisible character inside a number goes with it and the rest of the text keeps
//! its own typography.
//!
//! Every detector reads the same normalised text, so none can be confused by another's marker.
//! Where finds overlap (digits inside an e-mail address, a valid NHS number that is also a
//! 10-digit phone number, `+44 943 476 5919`), the overlapping finds are removed together as one
//! span, so nothing of any of them is left behind. That span is named after the find covering the
//! most text; on a tie the more specific kind wins, in this order: e-mail address, date of
//! birth, NHS number (its check digit is strong evidence), phone number, postcode.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;

stored_enum!(
    /// A kind of personal identifier that is removed from free text.
    Identifier {
        NhsNumber = "NHS_NUMBER",
        PhoneNumber = "PHONE_NUMBER",
        Email = "EMAIL",
        Postcode = "POSTCODE",
        DateOfBirth = "DATE_OF_BIRTH",
    }
);

impl Identifier {
    /// The marker left in the text in place of the identifier.
    pub fn marker(self) -> &'static str {
        match self {
            Identifier::NhsNumber => "[NHS number removed]",
            Identifier::PhoneNumber => "[phone number removed]",
            Identifier::Email => "[email address removed]",
            Identifier::Postcode => "[postcode removed]",
            Identifier::DateOfBirth => "[date of birth removed]",
        }
    }

    /// Words for telling the submitter about one of these.
    pub fn description(self) -> &'static str {
        match self {
            Identifier::NhsNumber => "an NHS number",
            Identifier::PhoneNumber => "a phone number",
            Identifier::Email => "an email address",
            Identifier::Postcode => "a postcode",
            Identifier::DateOfBirth => "a date of birth",
        }
    }

    /// Words for telling the submitter about several of these.
    fn plural(self) -> &'static str {
        match self {
            Identifier::NhsNumber => "NHS numbers",
            Identifier::PhoneNumber => "phone numbers",
            Identifier::Email => "email addresses",
            Identifier::Postcode => "postcodes",
            Identifier::DateOfBirth => "dates of birth",
        }
    }

    /// Which kind names a span when two finds of the same length overlap: lower wins.
    fn precedence(self) -> u8 {
        match self {
            Identifier::Email => 0,
            Identifier::DateOfBirth => 1,
            Identifier::NhsNumber => 2,
            Identifier::PhoneNumber => 3,
            Identifier::Postcode => 4,
        }
    }
}

/// Text with identifiers replaced by markers, and what was removed (one entry per removal, in
/// order of appearance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub removed: Vec<Identifier>,
}

impl Redacted {
    /// Distinct kinds removed, sorted, with how many of each.
    pub fn summary(&self) -> Vec<(Identifier, usize)> {
        let mut counts = BTreeMap::new();
        for &kind in &self.removed {
            *counts.entry(kind).or_insert(0) += 1;
        }
        counts.into_iter().collect()
    }

    /// One plain sentence for the submitter, or `None` when nothing was removed.
    pub fn notice(&self) -> Option<String> {
        let parts: Vec<String> = self
            .summary()
            .into_iter()
            .map(|(kind, count)| match count {
                1 => kind.description().to_owned(),
                _ => format!("{count} {}", kind.plural()),
            })
            .collect();
        let (last, rest) = parts.split_last()?;
        let list = if rest.is_empty() {
            last.clone()
        } else {
            format!("{} and {last}", rest.join(", "))
        };
        Some(format!("We removed {list} before saving."))
    }
}

/// Replaces every personal identifier in `text` with its marker.
pub fn redact(text: &str) -> Redacted {
    let normal = Normalised::new(text);
    let seen = normal.text.as_str();
    let mut finds = Vec::new();
    let runs: Vec<Range<usize>> = DIGITS.find_iter(seen).map(|m| m.range()).collect();
    finds.extend(emails(seen).map(|span| Find::new(span, Identifier::Email)));
    finds.extend(dates_of_birth(seen).map(|span| Find::new(span, Identifier::DateOfBirth)));
    finds.extend(
        nhs_numbers(seen, &runs)
            .into_iter()
            .map(|span| Find::new(span, Identifier::NhsNumber)),
    );
    finds.extend(
        phone_numbers(seen, &runs)
            .into_iter()
            .map(|span| Find::new(span, Identifier::PhoneNumber)),
    );
    finds.extend(postcodes(seen).map(|span| Find::new(span, Identifier::Postcode)));
    for find in &mut finds {
        find.span = normal.original(find.span.clone());
    }
    finds.sort_by_key(|find| (find.span.start, Reverse(find.span.end)));

    let mut redacted = String::with_capacity(text.len());
    let mut removed = Vec::new();
    let mut copied = 0;
    let mut finds = finds.into_iter().peekable();
    while let Some(mut name) = finds.next() {
        let mut span = name.span.clone();
        while let Some(next) = finds.next_if(|find| find.span.start < span.end) {
            span.end = span.end.max(next.span.end);
            if next.outranks(&name) {
                name = next;
            }
        }
        redacted.push_str(&text[copied..span.start]);
        redacted.push_str(name.kind.marker());
        removed.push(name.kind);
        copied = span.end;
    }
    redacted.push_str(&text[copied..]);
    Redacted {
        text: redacted,
        removed,
    }
}

/// The text as the detectors read it, and where each of its bytes came from.
struct Normalised {
    text: String,
    /// For each byte of `text`, the byte range of the original text that it was made from.
    origin: Vec<Range<usize>>,
}

impl Normalised {
    fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        let mut chars = original.char_indices().peekable();
        while let Some((start, first)) = chars.next() {
            // A character and the combining marks after it are normalised together, so that
            // "e" and a combining acute become "é" and both map back to where they were.
            let mut end = start + first.len_utf8();
            while let Some((at, mark)) = chars.next_if(|&(_, c)| canonical_combining_class(c) != 0)
            {
                end = at + mark.len_utf8();
            }
            let piece = &original[start..end];
            if piece.is_ascii() {
                piece.chars().for_each(|c| push_normalised(c, &mut text));
            } else {
                piece.nfkc().for_each(|c| push_normalised(c, &mut text));
            }
            origin.resize(text.len(), start..end);
        }
        Self { text, origin }
    }

    /// The original range of whole characters behind a non-empty range of `text`.
    fn original(&self, span: Range<usize>) -> Range<usize> {
        self.origin[span.start].start..self.origin[span.end - 1].end
    }
}

/// One character of NFKC output as the detectors should see it.
fn push_normalised(c: char, text: &mut String) {
    match c {
        // Invisible: soft hyphen, zero-width spaces and joiners, direction marks, word joiner
        // and invisible operators, byte-order mark, annotation marks, tags.
        '\u{00AD}'
        | '\u{061C}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}' => {}
        // Unicode's dash punctuation (what NFKC leaves of it) and the minus sign.
        '\u{058A}'
        | '\u{05BE}'
        | '\u{1400}'
        | '\u{1806}'
        | '\u{2010}'..='\u{2015}'
        | '\u{2043}'
        | '\u{2212}'
        | '\u{2E17}'
        | '\u{2E1A}'
        | '\u{2E3A}'
        | '\u{2E3B}'
        | '\u{2E40}'
        | '\u{301C}'
        | '\u{3030}'
        | '\u{30A0}'
        | '\u{FE31}'
        | '\u{FE32}'
        | '\u{FE58}'
        | '\u{FE63}'
        | '\u{FF0D}' => text.push('-'),
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{FF07}' => text.push('\''),
        // Spaces on a line; line breaks stay, they end sentences.
        c if c.is_whitespace()
            && !matches!(c, '\n' | '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}') =>
        {
            text.push(' ')
        }
        c => text.push(c),
    }
}

/// One detector's claim that a byte range of the text is an identifier of some kind.
struct Find {
    span: Range<usize>,
    kind: Identifier,
}

impl Find {
    fn new(span: Range<usize>, kind: Identifier) -> Self {
        Self { span, kind }
    }

    fn outranks(&self, other: &Find) -> bool {
        (self.span.len(), Reverse(self.kind.precedence()))
            > (other.span.len(), Reverse(other.kind.precedence()))
    }
}

// Only ASCII digits: the byte offsets of these runs are then always character boundaries, and
// the ASCII `+` or `(` just before a run can be taken in without splitting a character.
static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new("[0-9]+").unwrap());

// The common shapes rather than everything RFC 5322 allows: quotes, slashes and apostrophes
// in the local part would swallow neighbouring words of a sentence. The last label must start
// with a letter so that scores like "3@4.5" survive. A space or two may stand on either side
// of the "@" ("jo @ example.org"): nothing else puts a dotted name just after an "@".
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
    Regex::new(&format!(
        r"[A-Za-z0-9_%+-][A-Za-z0-9._%+-]* {{0,2}}@ {{0,2}}{label}(?:\.{label})*\.[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    ))
    .unwrap()
});

// Addresses spelt out against harvesters: "jo at example dot org", "jo [at] example [dot] org",
// "jo (at) example.org". A bare "at" is an everyday word, so it counts only when the address
// also says "dot" before a common top-level domain ("looked at nhs.uk" survives); "[at]" and
// "(at)" are never ordinary English, so a real dot will do after them.
static SPELT_OUT_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let local = "[a-z0-9_%+-][a-z0-9._%+-]*";
    let label = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";
    let dot = r"(?:\s*[\[(]\s*dot\s*[\])]\s*|\s+dot\s+)";
    let bracketed_at = r"\s*[\[(]\s*at\s*[\])]\s*";
    let tld = "(?:com|org|net|uk|gov|nhs|ac|edu|info|io|me|biz|ie|eu|scot|wales|cymru|email)";
    Regex::new(&format!(
        r"(?i-u)\b{local}(?:{bracketed_at}{label}(?:(?:{dot}|\.){label})*(?:{dot}|\.){tld}|\s+at\s+{label}(?:(?:{dot}|\.){label})*{dot}{tld})\b"
    ))
    .unwrap()
});

fn emails(text: &str) -> impl Iterator<Item = Range<usize>> {
    EMAIL
        .find_iter(text)
        .chain(SPELT_OUT_EMAIL.find_iter(text))
        .map(|m| m.range())
}

// A date is only personal when something says it is a date of birth: dates of the experience
// must survive. The cue stays in the text ("DOB [date of birth removed]") so the sentence
// still reads. Day and month are not range-checked so that US-style dates are caught too; the
// cue already makes a false positive unlikely, which is also why the parts of a date may be
// joined by any of `/ . -` or spaces ("12 03 1956", "12-Mar-1956", as many NHS systems print
// it). ASCII word boundaries keep the regex on its fast path for non-English text.
static DATE_OF_BIRTH: LazyLock<Regex> = LazyLock::new(|| {
    let year = "(?:[0-9]{4}|[0-9]{2})";
    let month = "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?\
                 |sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
    let day = "[0-9]{1,2}(?:st|nd|rd|th)?";
    let sep = r"(?:\s*[/.\-]\s*|\s+)";
    let date = [
        format!("[0-9]{{1,2}}{sep}[0-9]{{1,2}}{sep}{year}"),
        format!("[0-9]{{4}}{sep}[0-9]{{1,2}}{sep}[0-9]{{1,2}}"),
        format!(r"{day}{sep}(?:of\s+)?{month}\.?,?{sep}{year}"),
        format!(r"{month}\.?{sep}{day},?\s+{year}"),
    ]
    .join("|");
    let cue = r"d(?:\.\s?)?o(?:\.\s?)?b\.?|date[\s-]+of[\s-]+birth|birth[\s-]?date|birthday|born(?:\s+on)?";
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:{cue})[\s:,)\-]*(?:(?:is|was)[\s:,\-]+)?(?:the\s+)?(?P<date>{date})(?-u:\b)"
    ))
    .unwrap()
});

fn dates_of_birth(text: &str) -> impl Iterator<Item = Range<usize>> {
    DATE_OF_BIRTH
        .captures_iter(text)
        .filter_map(|captures| captures.name("date").map(|m| m.range()))
}

/// NHS numbers: ten digits together or as 3-3-4 groups, with a valid modulus-11 check digit.
/// Digit runs are maximal, so a number inside a longer run of digits is never taken. The groups
/// may be joined by spaces, or by one of `- . /` with spaces around it: the check digit, not
/// the punctuation, is the evidence.
fn nhs_numbers(text: &str, runs: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        if run.len() == 10 && nhs_check_digit_is_valid(&text[run.clone()]) {
            found.push(run.clone());
        }
        if let Some([a, b, c]) = runs.get(i..i + 3) {
            let grouped = (a.len(), b.len(), c.len()) == (3, 3, 4)
                && [&text[a.end..b.start], &text[b.end..c.start]]
                    .iter()
                    .all(|gap| joins_nhs_groups(gap));
            let digits = || [&text[a.clone()], &text[b.clone()], &text[c.clone()]].concat();
            if grouped && nhs_check_digit_is_valid(&digits()) {
                found.push(a.start..c.end);
            }
        }
    }
    found
}

/// " ", "  ", "-", " - ", ".", "/": a few spaces with at most one separator among them.
fn joins_nhs_groups(gap: &str) -> bool {
    let marks = gap.bytes().filter(|&b| b != b' ').count();
    !gap.is_empty() && gap.len() <= 3 && marks <= 1 && gap.bytes().all(|b| b" -./".contains(&b))
}

/// The NHS modulus-11 check: weights 10 down to 2 on the first nine digits; the check digit is
/// 11 minus the remainder, where 11 means 0 and 10 means no valid number has these nine digits.
fn nhs_check_digit_is_valid(digits: &str) -> bool {
    let digits = digits.as_bytes();
    if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let value = |i: usize| u32::from(digits[i] - b'0');
    let sum: u32 = (0..9).map(|i| value(i) * (10 - i as u32)).sum();
    match 11 - sum % 11 {
        11 => value(9) == 0,
        10 => false,
        check => value(9) == check,
    }
}

// "+44 (0) 1785 123 456" is five runs of digits; nothing longer is a phone number.
const MAX_PHONE_RUNS: usize = 6;

/// UK phone numbers. The text is taken as runs of digits, and from each run the longest
/// stretch of following runs that is written like a phone number is taken, so that "call
/// 0161 496 0000 3 times" loses the number but keeps the "3".
fn phone_numbers(text: &str, runs: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut first = 0;
    while first < runs.len() {
        match longest_phone_number_at(text, runs, first) {
            Some((span, last)) => {
                found.push(span);
                first = last + 1;
            }
            None => first += 1,
        }
    }
    found
}

/// The longest phone number starting with the run `first`, and the index of its last run.
fn longest_phone_number_at(
    text: &str,
    runs: &[Range<usize>],
    first: usize,
) -> Option<(Range<usize>, usize)> {
    let bytes = text.as_bytes();
    let start = runs[first].start;
    // A "+", "(" or "(+" just before belongs to the number only when the shape says so:
    // "(01785) 123456" and "(+44) 7700 900123" yes, "(07700 900123)" no. Longest first.
    let before = |n: usize| start.checked_sub(n).map(|from| &bytes[from..start]);
    let starts = [
        (before(2) == Some(b"(+")).then(|| start - 2),
        matches!(before(1), Some(b"+" | b"(")).then(|| start - 1),
        Some(start),
    ];
    let mut longest = None;
    for last in first..runs.len().min(first + MAX_PHONE_RUNS) {
        if last > first && !joins_phone_groups(&text[runs[last - 1].end..runs[last].start]) {
            break;
        }
        let end = runs[last].end;
        let written_as_phone = starts
            .into_iter()
            .flatten()
            .find(|&start| stands_alone(bytes, start..end) && is_phone_number(&text[start..end]));
        if let Some(start) = written_as_phone {
            longest = Some((start..end, last));
        }
    }
    longest
}

/// What may stand between two groups of digits of one phone number: " ", "-", "  ", " - ",
/// ".", ") ", " (", "(0)"'s brackets; a few spaces and at most two marks.
fn joins_phone_groups(gap: &str) -> bool {
    let marks = gap.bytes().filter(|&b| b != b' ').count();
    !gap.is_empty() && gap.len() <= 4 && marks <= 2 && gap.bytes().all(|b| b" -.()".contains(&b))
}

/// Whether the span is not glued to letters, so that a reference such as "INC0123456788" is
/// not mistaken for a phone number.
fn stands_alone(bytes: &[u8], span: Range<usize>) -> bool {
    let glued = |i: Option<usize>| {
        i.and_then(|i| bytes.get(i))
            .is_some_and(u8::is_ascii_alphanumeric)
    };
    !glued(span.start.checked_sub(1)) && !glued(Some(span.end))
}

/// Whether `candidate`, which starts and ends with a digit or a bracket, is written as a UK
/// phone number: `+44`/`(+44)`/`0044` (optionally `(0)`) and 9 or 10 digits; `44` and 10
/// digits of a geographic, mobile or free number; `(01785) 123456`; or 10 or 11 digits starting
/// `0` and not `00`. Any run of spaces, dots and hyphens counts as one separator.
fn is_phone_number(candidate: &str) -> bool {
    let candidate = SEPARATORS.replace_all(candidate, " ");
    let candidate = candidate.as_ref();
    let international = ["(+44)", "+44", "0044"]
        .into_iter()
        .find_map(|code| candidate.strip_prefix(code));
    if let Some(rest) = international {
        let rest = skip_separator(rest);
        let rest = match rest.strip_prefix("(0)") {
            Some(after) => skip_separator(after),
            None => rest,
        };
        let Some(digits) = digit_groups(rest).map(|groups| groups.concat()) else {
            return false;
        };
        // People often keep the trunk 0 after the country code: "+44 07700 900123".
        let national = digits.strip_prefix('0').unwrap_or(&digits);
        return (9..=10).contains(&national.len()) && !national.starts_with('0');
    }
    if let Some(rest) = candidate.strip_prefix("44") {
        // Without its "+" the country code is only taken before a whole 10-digit national
        // number that starts as UK numbers do, so "44 943 476 5919" stays an NHS number.
        let Some(national) = digit_groups(skip_separator(rest)).map(|groups| groups.concat())
        else {
            return false;
        };
        return national.len() == 10 && national.starts_with(['1', '2', '3', '7', '8']);
    }
    if let Some(rest) = candidate.strip_prefix('(') {
        let Some((area, local)) = rest.split_once(')') else {
            return false;
        };
        let Some(local) = digit_groups(skip_separator(local)).map(|groups| groups.concat()) else {
            return false;
        };
        return (3..=6).contains(&area.len())
            && is_trunk_dialled(area)
            && area.bytes().all(|b| b.is_ascii_digit())
            && (10..=11).contains(&(area.len() + local.len()));
    }
    let Some(groups) = digit_groups(candidate) else {
        return false;
    };
    let digits = groups.concat();
    // Dates written with spaces ("01 02 2026 12") have short first groups; real numbers are
    // grouped as "020 7946 0958", "0161 496 0000", "07700 900123".
    let grouped_like_a_phone =
        groups.len() == 1 || (groups[0].len() >= 3 && groups.iter().all(|g| g.len() >= 2));
    is_trunk_dialled(&digits) && (10..=11).contains(&digits.len()) && grouped_like_a_phone
}

static SEPARATORS: LazyLock<Regex> = LazyLock::new(|| Regex::new("[ .-]+").unwrap());

fn skip_separator(text: &str) -> &str {
    text.strip_prefix(' ').unwrap_or(text)
}

/// Starts with the trunk prefix 0 and not with the international prefix 00.
fn is_trunk_dialled(digits: &str) -> bool {
    let digits = digits.as_bytes();
    digits.first() == Some(&b'0') && digits.get(1).is_some_and(|b| (b'1'..=b'9').contains(b))
}

/// The groups of "0123 456 789", or `None` unless the text is only digit groups joined by
/// single spaces.
fn digit_groups(text: &str) -> Option<Vec<&str>> {
    let groups: Vec<&str> = text.split(' ').collect();
    groups
        .iter()
        .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()))
        .then_some(groups)
}

// Outward code (area letters that exist, a district digit, an optional digit or letter) and
// inward code (a digit and two of the letters the Royal Mail uses there: never C, I, K, M, O
// or V, which keeps "5mg", "3am" and "4km" out), joined by nothing, one or two spaces or a
// hyphen. ASCII-only, so that Unicode case folding cannot let in letters such as the Kelvin
// sign (the normalised text has none anyway).
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)\b[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]?(?: {1,2}| ?- ?)?[0-9][ABD-HJLNP-UW-Z]{2}\b",
    )
    .unwrap()
});

fn postcodes(text: &str) -> impl Iterator<Item = Range<usize>> {
    POSTCODE
        .find_iter(text)
        .filter(|m| !ends_in_ordinal(m.as_str()))
        .map(|m| m.range())
}

/// "Room B2 3rd door", "C4 2nd floor": postcode-shaped only because matching ignores case. A
/// postcode whose inward code really is "1ST" in lower case loses out; that is very rare.
fn ends_in_ordinal(candidate: &str) -> bool {
    let Some(inward) = candidate.get(candidate.len().saturating_sub(3)..) else {
        return false;
    };
    inward.is_char_boundary(1)
        && matches!(
            inward.split_at(1),
            ("1", "st") | ("2", "nd") | ("3", "rd") | (_, "th")
        )
}

#[cfg(test)]
mod tests {
    use super::Identifier::*;
    use super::*;

    /// Input, expected text, expected removals in order.
    const REMOVED: &[(&str, &str, &[Identifier])] = &[
        // NHS numbers. 943 476 5919 is the NHS's test number: 9×10 + 4×9 + 3×8 + 4×7 + 7×6
        // + 6×5 + 5×4 + 9×3 + 1×2 = 299; 299 mod 11 = 2; 11 − 2 = 9.
        (
            "NHS number 9434765919.",
            "NHS number [NHS number removed].",
            &[NhsNumber],
        ),
        (
            "My NHS number is 943 476 5919",
            "My NHS number is [NHS number removed]",
            &[NhsNumber],
        ),
        (
            "NHS no: 943-476-5919, thanks",
            "NHS no: [NHS number removed], thanks",
            &[NhsNumber],
        ),
        // 4×10 + 8×9 + 5×8 + 7×7 + 7×6 + 7×5 + 3×4 + 4×3 + 5×2 = 312; 312 mod 11 = 4;
        // 11 − 4 = 7.
        (
            "(nhs 485 777 3457)",
            "(nhs [NHS number removed])",
            &[NhsNumber],
        ),
        ("485-777-3457", "[NHS number removed]", &[NhsNumber]),
        // 4×10 + 2×2 = 44; 44 mod 11 = 0; 11 − 0 = 11, which means a check digit of 0.
        ("ref4000000020", "ref[NHS number removed]", &[NhsNumber]),
        // A valid NHS number that is also phone-shaped is named as the more specific kind.
        // 1×9 + 2×8 + 3×7 + 4×6 + 5×5 + 6×4 + 7×3 + 8×2 = 156; 156 mod 11 = 2; 11 − 2 = 9.
        ("0123456789", "[NHS number removed]", &[NhsNumber]),
        // Phone numbers.
        (
            "Call me on 07700 900123.",
            "Call me on [phone number removed].",
            &[PhoneNumber],
        ),
        ("07700900123", "[phone number removed]", &[PhoneNumber]),
        ("07700-900-123", "[phone number removed]", &[PhoneNumber]),
        (
            "tel: +44 7700 900123",
            "tel: [phone number removed]",
            &[PhoneNumber],
        ),
        ("+447700900123", "[phone number removed]", &[PhoneNumber]),
        ("0044 7700 900123", "[phone number removed]", &[PhoneNumber]),
        (
            "+44 (0)1785 123456",
            "[phone number removed]",
            &[PhoneNumber],
        ),
        ("+44 07700 900123", "[phone number removed]", &[PhoneNumber]),
        (
            "ring (01785) 123456 today",
            "ring [phone number removed] today",
            &[PhoneNumber],
        ),
        ("01785 123 456", "[phone number removed]", &[PhoneNumber]),
        ("0800 123 4567", "[phone number removed]", &[PhoneNumber]),
        ("020 7946 0958", "[phone number removed]", &[PhoneNumber]),
        (
            "Ring (07700 900123) after 6",
            "Ring ([phone number removed]) after 6",
            &[PhoneNumber],
        ),
        (
            "I rang 0161 496 0000 3 times",
            "I rang [phone number removed] 3 times",
            &[PhoneNumber],
        ),
        // A phone-shaped ten digits with a wrong NHS check digit is still a phone number.
        ("0123456788", "[phone number removed]", &[PhoneNumber]),
        // The phone number covers more than the valid NHS number inside it.
        ("+44 943 476 5919", "[phone number removed]", &[PhoneNumber]),
        // E-mail addresses, including one that contains a phone number.
        (
            "Email jo.bloggs@example.org.",
            "Email [email address removed].",
            &[Email],
        ),
        (
            "write to JO_BLOGGS+nhs@mail.example.co.uk, please",
            "write to [email address removed], please",
            &[Email],
        ),
        (
            "07700900123@example.com",
            "[email address removed]",
            &[Email],
        ),
        (
            "(st163sa@example.com)",
            "([email address removed])",
            &[Email],
        ),
        // Postcodes.
        (
            "I live at ST16 3SA.",
            "I live at [postcode removed].",
            &[Postcode],
        ),
        ("st16 3sa", "[postcode removed]", &[Postcode]),
        ("ST163SA", "[postcode removed]", &[Postcode]),
        ("B1 1AA", "[postcode removed]", &[Postcode]),
        ("WS13 6ER", "[postcode removed]", &[Postcode]),
        ("SW1A 1AA", "[postcode removed]", &[Postcode]),
        (
            "M1 1AE, Manchester",
            "[postcode removed], Manchester",
            &[Postcode],
        ),
        // Dates of birth.
        (
            "DOB 12/03/1956",
            "DOB [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "D.O.B. 12-03-1956.",
            "D.O.B. [date of birth removed].",
            &[DateOfBirth],
        ),
        (
            "dob: 12.03.1956",
            "dob: [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "Date of birth: 12/3/56",
            "Date of birth: [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "my date of birth is 12 March 1956 and",
            "my date of birth is [date of birth removed] and",
            &[DateOfBirth],
        ),
        (
            "born on 12th March 1956",
            "born on [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "Born March 12, 1956 in Stafford",
            "Born [date of birth removed] in Stafford",
            &[DateOfBirth],
        ),
        (
            "DOB was 12 Mar 1956",
            "DOB was [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "DOB-12-03-1956",
            "DOB-[date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "my baby was born on 12/03/2026",
            "my baby was born on [date of birth removed]",
            &[DateOfBirth],
        ),
        // Variants people type, caught by reading a normalised copy. The stored text is the
        // original with only the found span replaced, so the rest keeps its own characters.
        (
            "NHS 943\u{2013}476\u{2013}5919.",
            "NHS [NHS number removed].",
            &[NhsNumber],
        ),
        ("943  476  5919", "[NHS number removed]", &[NhsNumber]),
        ("943 - 476 - 5919", "[NHS number removed]", &[NhsNumber]),
        (
            "no\u{a0}943\u{a0}476\u{a0}5919",
            "no\u{a0}[NHS number removed]",
            &[NhsNumber],
        ),
        (
            "943\u{2009}476\u{202f}5919",
            "[NHS number removed]",
            &[NhsNumber],
        ),
        ("943.476.5919", "[NHS number removed]", &[NhsNumber]),
        ("943/476/5919", "[NHS number removed]", &[NhsNumber]),
        (
            "943\u{2212}476\u{2212}5919",
            "[NHS number removed]",
            &[NhsNumber],
        ),
        // Zero-width characters inside go with the number.
        (
            "NHS 9434\u{200b}765\u{200d}919!",
            "NHS [NHS number removed]!",
            &[NhsNumber],
        ),
        (
            "943\u{200b} 476 \u{feff}5919",
            "[NHS number removed]",
            &[NhsNumber],
        ),
        (
            "\u{ff19}\u{ff14}\u{ff13} \u{ff14}\u{ff17}\u{ff16} \u{ff15}\u{ff19}\u{ff11}\u{ff19}",
            "[NHS number removed]",
            &[NhsNumber],
        ),
        ("943 476 59\u{ad}19", "[NHS number removed]", &[NhsNumber]),
        (
            "ring (+44) 7700 900123",
            "ring [phone number removed]",
            &[PhoneNumber],
        ),
        ("44 7700 900123", "[phone number removed]", &[PhoneNumber]),
        ("447700900123", "[phone number removed]", &[PhoneNumber]),
        ("07700 - 900123", "[phone number removed]", &[PhoneNumber]),
        ("07700  900123", "[phone number removed]", &[PhoneNumber]),
        ("07700.900.123", "[phone number removed]", &[PhoneNumber]),
        (
            "07700\u{a0}900123",
            "[phone number removed]",
            &[PhoneNumber],
        ),
        (
            "07700\u{2011}900\u{2011}123",
            "[phone number removed]",
            &[PhoneNumber],
        ),
        (
            "mob \u{ff10}\u{ff17}\u{ff17}\u{ff10}\u{ff10} \u{ff19}\u{ff10}\u{ff10}\u{ff11}\u{ff12}\u{ff13}",
            "mob [phone number removed]",
            &[PhoneNumber],
        ),
        (
            "0\u{200b}7700 900123",
            "[phone number removed]",
            &[PhoneNumber],
        ),
        ("(01785) - 123456", "[phone number removed]", &[PhoneNumber]),
        (
            "mail jo @ example.org now",
            "mail [email address removed] now",
            &[Email],
        ),
        ("jo@ example.org", "[email address removed]", &[Email]),
        ("jo @example.org", "[email address removed]", &[Email]),
        ("jo\u{ff20}example.org", "[email address removed]", &[Email]),
        ("jo\u{fe6b}example.org", "[email address removed]", &[Email]),
        // Spelt out: caught, with "dot" when the "at" is a bare word.
        (
            "write to jo at example dot org please",
            "write to [email address removed] please",
            &[Email],
        ),
        (
            "jo.bloggs AT example DOT co DOT uk",
            "[email address removed]",
            &[Email],
        ),
        (
            "jo [at] example [dot] org",
            "[email address removed]",
            &[Email],
        ),
        ("jo(at)example.nhs.uk", "[email address removed]", &[Email]),
        ("st16  3sa", "[postcode removed]", &[Postcode]),
        ("ST16-3SA", "[postcode removed]", &[Postcode]),
        ("ST16 - 3SA", "[postcode removed]", &[Postcode]),
        ("ST16\u{a0}3SA", "[postcode removed]", &[Postcode]),
        ("ST16\u{2013}3SA", "[postcode removed]", &[Postcode]),
        (
            "\u{ff33}\u{ff34}\u{ff11}\u{ff16} \u{ff13}\u{ff33}\u{ff21}",
            "[postcode removed]",
            &[Postcode],
        ),
        (
            "DOB 12-Mar-1956",
            "DOB [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "DOB 12 03 1956",
            "DOB [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "date-of-birth 12/03/1956",
            "date-of-birth [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "birthday 12/03/1956",
            "birthday [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "birth date: 12/03/1956",
            "birth date: [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "born 12 March 1956",
            "born [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "D.O.B: 12.03.56",
            "D.O.B: [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "DOB 12 / 03 / 1956",
            "DOB [date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "DOB\u{a0}12\u{2013}03\u{2013}1956",
            "DOB\u{a0}[date of birth removed]",
            &[DateOfBirth],
        ),
        (
            "dob 12/Mar/56",
            "dob [date of birth removed]",
            &[DateOfBirth],
        ),
        // Several at once, reported in order of appearance.
        (
            "Jo (DOB 12/03/1956, NHS 943 476 5919) rang from 07700 900123 and 01785 123456 \
             about ST16 3SA; jo@example.org",
            "Jo (DOB [date of birth removed], NHS [NHS number removed]) rang from \
             [phone number removed] and [phone number removed] about [postcode removed]; \
             [email address removed]",
            &[
                DateOfBirth,
                NhsNumber,
                PhoneNumber,
                PhoneNumber,
                Postcode,
                Email,
            ],
        ),
        (
            "07700 900123, 07700 900124",
            "[phone number removed], [phone number removed]",
            &[PhoneNumber, PhoneNumber],
        ),
        (
            "Café ☕ 07700 900123 – ST16 3SA 😀",
            "Café ☕ [phone number removed] – [postcode removed] 😀",
            &[PhoneNumber, Postcode],
        ),
    ];

    /// Text that must come back unchanged.
    const KEPT: &[&str] = &[
        "I waited 4 hours on ward 12, bed 10.",
        "2,000 patients were seen; parking cost £120.",
        "At 11 o'clock in 2026 I rang 111 and then 999.",
        "Reference SI-2026-000123.",
        "Trentvale Hospitals NHS Trust",
        "Staffordshire Out-of-Hours GP Service",
        "I went to A&E after the 111 service told me to.",
        "on 12/03/2026 I waited four hours",
        "On 12 March 2026 and again on 01/02/2026",
        "I was born in 1956.",
        // 1234567890 has check digit 10, so no NHS number starts 123456789.
        "1234567890",
        "123 456 7890",
        // 9434765918 has the wrong check digit; neither starts with 0.
        "9434765918",
        "943 476 5918",
        // A valid NHS number inside a longer run of digits.
        "19434765919",
        "94347659190",
        "INC0123456788",
        "COVID 19 and COVID-19",
        "B12 vitamin",
        "on the A1 road",
        "Ward 12",
        "Room C4 2nd floor, then B2 3rd door",
        "I took 5mg at 3am",
        "blood pressure 120/80",
        "between 0900 and 1700",
        "scored 3@4.5",
        "@NHSEngland",
        "phone 1234 567 890",
        // Normalisation finds identifiers; it does not rewrite the text around them.
        "Waited 2\u{2013}3 hours\u{a0}\u{2014} awful\u{2019}s the word.",
        "It\u{200b}s fine",
        "looked at nhs.uk for advice",
        "we met at 3 dot 30",
        "Room B2 - 3rd door",
        "12 03 2026 was the appointment",
        "on 12-Mar-2026 I was seen",
        "the score was 3 - 2",
        "dose 2.5mg, \u{a3}12.50, version 1.2.3",
        "10:30 - 11:00",
        // Not a UK number without its "+": a wrong NHS check digit after "44".
        "44 943 476 5918",
        "943.476.5918",
        "\u{ff19}\u{ff14}\u{ff13}\u{ff14}\u{ff17}\u{ff16}\u{ff15}\u{ff19}\u{ff11}\u{ff18}",
        "",
    ];

    #[test]
    fn identifiers_are_replaced_by_markers() {
        for &(input, expected, kinds) in REMOVED {
            let redacted = redact(input);
            assert_eq!(redacted.text, expected, "{input}");
            assert_eq!(redacted.removed, kinds, "{input}");
        }
    }

    #[test]
    fn ordinary_text_survives() {
        for &input in KEPT {
            assert_eq!(
                redact(input),
                Redacted {
                    text: input.to_owned(),
                    removed: vec![],
                },
                "{input}"
            );
        }
    }

    #[test]
    fn redacting_twice_changes_nothing_more() {
        for &(input, _, _) in REMOVED {
            let once = redact(input).text;
            assert_eq!(redact(&once).text, once, "{input}");
        }
    }

    #[test]
    fn the_submitter_is_told_what_was_removed() {
        let redacted = redact("NHS 943 476 5919, mobile 07700 900123, home 01785 123456");
        assert_eq!(redacted.summary(), vec![(NhsNumber, 1), (PhoneNumber, 2)]);
        assert_eq!(
            redacted.notice().as_deref(),
            Some("We removed an NHS number and 2 phone numbers before saving.")
        );
        assert_eq!(
            redact("jo@example.org").notice().as_deref(),
            Some("We removed an email address before saving.")
        );
        assert_eq!(
            redact("DOB 1/2/34, B1 1AA, 943 476 5919, a@b.cd, e@f.gh")
                .notice()
                .as_deref(),
            Some(
                "We removed an NHS number, 2 email addresses, a postcode and a date of birth \
                 before saving."
            )
        );
        assert_eq!(redact("Nothing personal here.").notice(), None);
    }

    #[test]
    fn names_for_apis_are_stable() {
        let kinds = [NhsNumber, PhoneNumber, Email, Postcode, DateOfBirth];
        let names: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(
            names,
            [
                "NHS_NUMBER",
                "PHONE_NUMBER",
                "EMAIL",
                "POSTCODE",
                "DATE_OF_BIRTH"
            ]
        );
        assert_eq!(Postcode.marker(), "[postcode removed]");
        assert_eq!(DateOfBirth.description(), "a date of birth");
    }

    #[test]
    fn odd_input_does_not_panic() {
        let odd = [
            "+",
            "(",
            ")",
            "+44",
            "(0",
            "(0)",
            "+44 (0",
            "0044",
            "(01785",
            "(01785)",
            "@",
            "a@",
            "@b.c",
            "DOB",
            "DOB ",
            "born on",
            "é0",
            "0é",
            "١٢٣٤٥٦٧٨٩٠",
            "０７７００ ９００１２３",
            "😀07700900123😀",
            "(😀) 07700",
            "+44 😀",
            "ST16 3S",
            "ﬃ1 1AA",
            "Ⅻ 12/03/1956",
            "DOB 99/99/99",
            "--- ((( ))) +++",
            "0 0 0 0 0 0 0 0 0 0 0 0",
        ];
        for input in odd {
            let redacted = redact(input);
            assert_eq!(redacted.removed.is_empty(), redacted.notice().is_none());
        }
        let long = "07700 900123 (0) + 943 476 5919 ".repeat(5_000);
        assert_eq!(redact(&long).removed.len(), 10_000);
        let digits = "1 ".repeat(50_000) + &"9".repeat(100_000);
        assert!(redact(&digits).removed.is_empty());
    }
}
