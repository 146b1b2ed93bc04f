//! Removing personal identifiers from free text before it is stored or logged, and telling the
//! submitter: NHS numbers (with a valid check digit), UK phone numbers, e-mail addresses (also
//! spelt out, "jo at example dot org"), postcodes, dates of birth (only after a cue such as
//! "DOB" or "born"), and names after an honorific ("Mrs Jane Doe") or after words that
//! introduce a person ("my neighbour Jane", "a lady named Sue"). The honorific or cue stays.
//!
//! The detectors read a normalised copy of the text: Unicode NFKC (full-width digits and `＠`
//! become ASCII), every dash and minus sign as `-`, every horizontal space (tab, no-break, thin,
//! ideographic) as ` `, curly apostrophes as `'`, and invisible characters (zero-width spaces
//! and joiners, soft hyphens, direction marks) dropped. What is stored is the original text with
//! only the found spans replaced, each span widened to the whole original characters it came
//! from, so an invisible character inside a number goes with it and the rest of the text keeps
//! its own typography.
//!
//! Names are guessed from context, so this cannot promise to find them: a name in lower case
//! ("her son tom"), a name with no honorific or cue ("Jane was lovely"), or an unusual spelling
//! stays. It accepts false positives on the safe side: a capitalised word after an honorific or
//! a cue is taken for a name even when it is an organisation or a character ("Dr Foster",
//! "Mr Motivator", "Dr Who"), and so is a place "called" something. Capitalised words that say
//! place or organisation ("Riverside Surgery", "Sir Robert Peel Community Hospital") are not.
//! [`person_like_words`] lists the capitalised words left that could still be names, so that a
//! person can look before a newsletter is published.
//!
//! Every detector reads the same normalised text, so none can be confused by another's marker.
//! Where finds overlap (digits inside an e-mail address, a valid NHS number that is also a
//! 10-digit phone number, `+44 943 476 5919`), the overlapping finds are removed together as one
//! span, so nothing of any of them is left behind. That span is named after the find covering the
//! most text; on a tie the more specific kind wins, in this order: e-mail address, date of
//! birth, NHS number (its check digit is strong evidence), phone number, postcode, name.

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
        Name = "NAME",
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
            Identifier::Name => "[name removed]",
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
            Identifier::Name => "a name",
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
            Identifier::Name => "names",
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
            Identifier::Name => 5,
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
    finds.extend(
        names(seen)
            .into_iter()
            .map(|span| Find::new(span, Identifier::Name)),
    );
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

/// Names, which only context can tell from other capitalised words: the words after an
/// honorific ("Mrs Jane Doe", "Dr. A. Patel", "Sister Jones") and after words that introduce a
/// person ("my neighbour Jane Doe", "a lady named Sue", "my children Tom and Lucy"). The
/// honorific or cue stays so that the sentence still reads.
fn names(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for captures in HONORIFIC.captures_iter(text) {
        let Some(particles) = captures.name("particles") else {
            continue;
        };
        if let Some(name) = name_at(text, particles.end(), After::Honorific) {
            found.push(particles.start()..name.end);
        }
    }
    for captures in NAME_CUE.captures_iter(text) {
        let Some(cue) = captures.get(0) else {
            continue;
        };
        if !cue_introduces_a_person(&captures) {
            continue;
        }
        let plural = captures.name("relations").is_some();
        let mut at = cue.end();
        while let Some(name) = name_at(text, at, After::Cue) {
            at = name.end;
            found.push(name);
            // "my children Tom, Ben and Lucy": only a plural cue names more than one.
            match LIST_JOINER.find(&text[at..]) {
                Some(joiner) if plural => at += joiner.end(),
                _ => break,
            }
        }
    }
    found
}

/// What a name follows, which decides how its first word is read.
#[derive(Clone, Copy, PartialEq)]
enum After {
    /// "Mr Ward" is a surname, "the nurse Ward 5" is not.
    Honorific,
    Cue,
}

/// The most words taken as one name: "Dr Anna Maria Garcia Lopez" loses them all, and a name
/// that runs on into capitalised words of the sentence does not take the whole sentence.
const MAX_NAME_WORDS: usize = 4;

/// The name starting at `at`: capitalised words and initials, joined by a space or two (an
/// initial's full stop may stand in for them). It ends before a word that is not a name;
/// it is no name at all when a word of a place or an organisation follows ("Sir Robert Peel
/// Community Hospital").
fn name_at(text: &str, at: usize, after: After) -> Option<Range<usize>> {
    let mut end = at;
    let mut words = 0;
    let mut next = at;
    while words < MAX_NAME_WORDS {
        let Some(word) = NAME_WORD.find(&text[next..]) else {
            break;
        };
        let bare = word.as_str().trim_end_matches('.');
        let first = words == 0;
        if first && after == After::Cue && listed(HONORIFICS, bare) {
            // "my neighbour Mrs Jones": the honorific's own find takes the name.
            return None;
        }
        if listed(ORGANISATION_WORDS, bare) && !(first && after == After::Honorific) {
            return None;
        }
        if is_not_a_name(bare) {
            break;
        }
        words += 1;
        end = next + word.end();
        let spaces = text[end..].bytes().take_while(|&b| b == b' ').count();
        next = match spaces {
            1 | 2 => end + spaces,
            0 if word.as_str().ends_with('.') => end,
            _ => break,
        };
    }
    if words == 0 {
        return None;
    }
    // "Mrs X." or "Dr A.P.": the last full stop more likely ends the sentence.
    if text[at..end].ends_with('.') {
        end -= 1;
    }
    Some(at..end)
}

fn is_not_a_name(word: &str) -> bool {
    !listed(MONTHS_THAT_ARE_NAMES, word)
        && [NOT_NAMES, MONTHS, DAYS]
            .into_iter()
            .any(|list| listed(list, word))
}

/// Whether `word` is one of the space-separated words of `list`.
fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|listed| listed == word)
}

/// A relationship word after "a", "an", "the" or "and" introduces a person only in lower case:
/// "the baby Tom" yes, "the Child Development Centre" no. After "my" and the like people do
/// write "My Mum Joan". A group's or a practice's partner is an organisation ("our partner
/// Age UK"); a person's partner is a person ("my partner Dave").
fn cue_introduces_a_person(captures: &regex::Captures) -> bool {
    let relation = captures
        .name("relation")
        .or_else(|| captures.name("relations"));
    let (Some(relation), Some(owner)) = (relation, captures.name("owner")) else {
        return true;
    };
    let owner = owner.as_str().to_lowercase();
    let capitalised = relation.as_str().starts_with(char::is_uppercase);
    let possessive = !matches!(owner.as_str(), "a" | "an" | "the" | "and");
    let organisations_partner = relation.as_str().eq_ignore_ascii_case("partner")
        && matches!(owner.as_str(), "our" | "a" | "the");
    (possessive || !capitalised) && !organisations_partner
}

// A capitalised word, with hyphens ("Smith-Jones") and apostrophes ("O'Neill", but not the
// possessive of "Smith's"), or an initial with its full stop.
static NAME_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:\p{Lu}\.|\p{Lu}\p{L}*(?:-\p{L}+|'\p{L}{2,})*)").unwrap());

/// Titles that come before a name, as written and in capitals. Case matters: "I miss Jones"
/// is a name, "we miss Riverside" would not be.
const HONORIFICS: &str = "\
    Mr Mrs Ms Mx Miss Master Dr Doctor Prof Professor Sir Dame Lord Lady Sister Nurse Matron \
    Rev Revd Reverend Father Fr MR MRS MS MX MISS DR DOCTOR PROF SIR DAME SISTER NURSE";

// An honorific, its full stop or spaces, and the lower-case particles of names such as "de
// Souza" or "van der Berg", which belong to the name.
static HONORIFIC: LazyLock<Regex> = LazyLock::new(|| {
    let particles = "van|von|de|der|den|del|della|di|da|du|dos|le|la|al|el|bin|ibn|ap|ter|ten";
    Regex::new(&format!(
        r"\b(?:{})\b(?:\. {{0,2}}| {{1,2}})(?P<particles>(?:(?:{particles}) )*)",
        HONORIFICS.split_whitespace().collect::<Vec<_>>().join("|")
    ))
    .unwrap()
});

// Words that introduce a person: a relationship or a role after "my", "her", "the", "Jane's"
// and the like ("her son", "the receptionist"), "named", "name is", "known as", and "called"
// after a person ("a patient called", "she was called"): on its own "called" is ringing
// ("called Riverside Surgery").
static NAME_CUE: LazyLock<Regex> = LazyLock::new(|| {
    let relation = "mother|mum|mom|mam|mummy|mommy|father|dad|daddy|son|daughter|wife|husband|\
        partner|fianc[eé]e?|boyfriend|girlfriend|brother|sister|twin|neighbour|neighbor|friend|\
        carer|grandson|granddaughter|grandchild|nan|nana|nanna|gran|granny|grandma|grandmother|\
        grandad|granddad|grandpa|grandfather|aunt|auntie|aunty|uncle|niece|nephew|cousin|baby|\
        child|kid|toddler|relative|flatmate|housemate|lodger|colleague|nurse|doctor|consultant|\
        midwife|receptionist|paramedic|surgeon|pharmacist|dentist|physio|physiotherapist|\
        therapist|social\\s+worker|health\\s+visitor|manager";
    let relations = "sons|daughters|children|kids|grandchildren|grandsons|granddaughters|\
        parents|friends|neighbours|neighbors|carers|twins|brothers|sisters|cousins|nephews|\
        nieces|babies";
    let owner = r"my|her|his|their|our|your|a|an|the|and|\p{L}+'s";
    let person = "man|woman|lady|gentleman|gent|girl|boy|lad|lass|chap|bloke|guy|fella|\
        fellow|person|patient|someone|somebody|one|nurse|doctor|consultant|receptionist|\
        paramedic|midwife|surgeon|carer|friend|neighbour|child|baby|son|daughter|\
        is|was|were|be|been|being|am|are|\\p{L}+'s";
    // On the same line: a cue at the end of a line does not name the heading below it.
    let separator = r"(?: *[,:(] *| +)";
    Regex::new(&format!(
        r"(?i)\b(?:(?P<owner>{owner})\s+(?:great-?|step-?)?(?:(?P<relations>{relations})|(?P<relation>{relation})(?:-in-law)?)|(?:{person})\s+called|named|(?:sur|first\s+|last\s+|maiden\s+|middle\s+|full\s+|christian\s+)?names?(?:\s+(?:is|was|are|were)|'s)|known\s+as){separator}"
    ))
    .unwrap()
});

// ", ", " and ", ", and ", " & " between the names after a plural cue.
static LIST_JOINER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?: *, *(?:and +)?| +(?:and|&) +)").unwrap());

/// Capitalised words that are not names: a name ends before one. The sentence openers are for
/// "I saw the Dr. Then we left" and "Mr Smith. The next day".
const NOT_NAMES: &str = "\
    I NHS GP GPs A&E PALS PPG PPGs CQC ICB ICS PCN ICU ITU MRI CT ENT ECG PPE CAMHS COVID UK \
    OK Out-of-Hours English Practitioner Practitioners Consultant Registrar Receptionist \
    Manager Specialist Advanced Senior Junior Staff Patient Patients Mum Dad Nan Gran Grandad \
    Grandma Christmas Easter Bank Holiday The Then We It She He They But And So After When \
    This That There My Our His Her Their In On At If As Also However Please Thanks Thank Yes \
    No";

/// Words that make the capitalised words before them a place or an organisation: "Riverside
/// Surgery", "Sir Robert Peel Community Hospital", "Lady Margaret Hall".
const ORGANISATION_WORDS: &str = "\
    Hospital Hospitals Surgery Surgeries Council District Group Service Services Trust Ward \
    Wards Clinic Clinics Pharmacy Practice Centre Center Unit Department Team University \
    Community Health Healthcare Care Medical Foundation Partnership Network Board Hub Hospice \
    Home House Lodge Court Hall Road Street Lane Avenue School College Church Chapel Office \
    Authority Association Society Charity Station Infirmary Institute Library Park Estate \
    Healthwatch";

const MONTHS: &str = "\
    January February March April May June July August September October November December";

/// Months that are also first names: after "Mrs" or "my daughter" they are names.
const MONTHS_THAT_ARE_NAMES: &str = "April May June August";

const DAYS: &str = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday";

/// The capitalised words, or runs of them, in `text` that could still be a person's name after
/// redaction, for a person to look at before a newsletter is published: distinct, in order of
/// appearance. Not counted: `known` (the groups, providers and places the caller says are fine,
/// matched as whole words and phrases, case-sensitively), Pyramid's markers, the first word of
/// a sentence, and common capitalised words ("NHS", "GP", "Hospital", months, days, and an
/// honorific on its own; "Sister Jones" counts whole). It errs towards flagging.
pub fn person_like_words(text: &str, known: &[&str]) -> Vec<String> {
    let text = Normalised::new(text).text;
    let phrases = known
        .iter()
        .map(|phrase| Normalised::new(phrase.trim()).text)
        .chain(Identifier::ALL.iter().map(|kind| kind.marker().to_owned()))
        .filter(|phrase| !phrase.is_empty());
    let mut excluded = Vec::new();
    for phrase in phrases {
        for (at, _) in text.match_indices(phrase.as_str()) {
            let end = at + phrase.len();
            let alone = !text[..at].ends_with(char::is_alphanumeric)
                && !text[end..].starts_with(char::is_alphanumeric);
            if alone {
                excluded.push(at..end);
            }
        }
    }

    let mut found: Vec<String> = Vec::new();
    let mut run: Vec<Range<usize>> = Vec::new();
    for word in WORD.find_iter(&text) {
        let span = word.range();
        let bare = without_suffix(word.as_str());
        let honorific = listed(HONORIFICS, bare);
        let counts = bare.starts_with(char::is_uppercase)
            && !bare.contains(|c: char| c.is_ascii_digit())
            && !excluded
                .iter()
                .any(|known| known.start < span.end && span.start < known.end)
            && (honorific || !starts_sentence(&text, span.start));
        let joined = run
            .last()
            .is_some_and(|last| joins_run(&text, last.clone(), span.start));
        if !(counts && joined) {
            flush_run(&text, &mut run, &mut found);
        }
        if counts {
            run.push(span);
        }
    }
    flush_run(&text, &mut run, &mut found);
    found
}

// A word with its inner hyphens, apostrophes and ampersands: "Out-of-Hours", "O'Neill", "A&E".
static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{L}\p{N}]+(?:['&-][\p{L}\p{N}]+)*").unwrap());

/// "Smith" of "Smith's", "I" of "I'm": what the common words are matched against.
fn without_suffix(word: &str) -> &str {
    ["'s", "'m", "'ve", "'d", "'ll", "'re"]
        .into_iter()
        .find_map(|suffix| word.strip_suffix(suffix))
        .unwrap_or(word)
}

/// Whether the word before `next` and the one at `next` belong to one run: a space or two
/// between, or a full stop after an honorific or an initial ("Mr. A. Khan").
fn joins_run(text: &str, last: Range<usize>, next: usize) -> bool {
    let gap = &text[last.end..next];
    let abbreviated = listed(HONORIFICS, &text[last.clone()]) || last.len() == 1;
    matches!(gap, " " | "  ") || (abbreviated && matches!(gap, "." | ". "))
}

/// Whether the word at `at` starts a sentence, a line or the text, looking back past spaces,
/// opening brackets and quotes and list bullets.
fn starts_sentence(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', '"', '\'', '(', '[', '*', '-', '•', '“']);
    match before.chars().next_back() {
        None | Some('\n' | '\r' | '!' | '?') => true,
        Some('.') => {
            let stem = &before[..before.len() - 1];
            let word = stem
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("");
            !(listed(HONORIFICS, word) || (word.chars().count() == 1 && word != "I"))
        }
        _ => false,
    }
}

/// Adds a finished run to `found`, less the common words at its ends; nothing if no more than
/// honorifics are left. A word straight after an honorific is its name, so it stays ("Mrs May").
fn flush_run(text: &str, run: &mut Vec<Range<usize>>, found: &mut Vec<String>) {
    let word = |span: &Range<usize>| without_suffix(&text[span.clone()]);
    let honorific = |span: &Range<usize>| listed(HONORIFICS, word(span));
    let common = |span: &Range<usize>| {
        !honorific(span)
            && [NOT_NAMES, ORGANISATION_WORDS, MONTHS, DAYS]
                .into_iter()
                .any(|list| listed(list, word(span)))
    };
    let mut words: &[Range<usize>] = run;
    while let Some((first, rest)) = words.split_first()
        && common(first)
    {
        words = rest;
    }
    while let [.., before, last] = words
        && common(last)
        && !honorific(before)
    {
        words = &words[..words.len() - 1];
    }
    if let (Some(first), Some(last)) = (words.first(), words.last())
        && !words.iter().all(honorific)
    {
        let phrase = &text[first.start..last.start + word(last).len()];
        if !found.iter().any(|seen| seen == phrase) {
            found.push(phrase.to_owned());
        }
    }
    run.clear();
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
        // Names after an honorific, which stays. Initials, hyphens, apostrophes, particles;
        // a possessive keeps its "'s" and loses the whole name.
        (
            "I saw Mr Smith today",
            "I saw Mr [name removed] today",
            &[Name],
        ),
        ("Mrs Jane Doe rang", "Mrs [name removed] rang", &[Name]),
        (
            "seen by Dr. A. Patel.",
            "seen by Dr. [name removed].",
            &[Name],
        ),
        ("Dr A.P. Sharma", "Dr [name removed]", &[Name]),
        ("ask Dr A.P.", "ask Dr [name removed].", &[Name]),
        ("Ms O'Neill was kind", "Ms [name removed] was kind", &[Name]),
        (
            "Ms O\u{2019}Neill\u{2019}s ward",
            "Ms [name removed]\u{2019}s ward",
            &[Name],
        ),
        ("Mx Lee", "Mx [name removed]", &[Name]),
        ("Miss Jones", "Miss [name removed]", &[Name]),
        (
            "Prof Khan's clinic",
            "Prof [name removed]'s clinic",
            &[Name],
        ),
        ("Prof. Khan", "Prof. [name removed]", &[Name]),
        ("Sir Ian Botham", "Sir [name removed]", &[Name]),
        ("Dame Judi Dench", "Dame [name removed]", &[Name]),
        // Staff are named too, and a name is personal whoever it belongs to.
        (
            "Nurse Ratched shouted",
            "Nurse [name removed] shouted",
            &[Name],
        ),
        (
            "Complaint about Sister Jones on Ward 5",
            "Complaint about Sister [name removed] on Ward 5",
            &[Name],
        ),
        (
            "Mr John Smith's discharge letter",
            "Mr [name removed]'s discharge letter",
            &[Name],
        ),
        ("Mrs Smith-Jones", "Mrs [name removed]", &[Name]),
        ("Mr de Souza", "Mr [name removed]", &[Name]),
        ("MR SMITH", "MR [name removed]", &[Name]),
        // A surname that is also a word of places: after an honorific it is a name.
        ("Mr Ward", "Mr [name removed]", &[Name]),
        ("Mrs May", "Mrs [name removed]", &[Name]),
        ("Mrs\u{a0}Jane\u{a0}Doe", "Mrs\u{a0}[name removed]", &[Name]),
        ("Mrs Jane  Doe", "Mrs [name removed]", &[Name]),
        (
            "saw Mr Smith on Monday",
            "saw Mr [name removed] on Monday",
            &[Name],
        ),
        (
            "told Mr Smith NHS rules",
            "told Mr [name removed] NHS rules",
            &[Name],
        ),
        // A placeholder the submitter chose is removed and counted like a name.
        ("Mrs X. waited", "Mrs [name removed]. waited", &[Name]),
        // Names after words that introduce a person; the cue stays.
        (
            "my neighbour Jane Doe fell",
            "my neighbour [name removed] fell",
            &[Name],
        ),
        (
            "a patient called Tom Baker",
            "a patient called [name removed]",
            &[Name],
        ),
        ("a lady named Sue", "a lady named [name removed]", &[Name]),
        ("her son Tom", "her son [name removed]", &[Name]),
        (
            "his wife Margaret said",
            "his wife [name removed] said",
            &[Name],
        ),
        ("my mum, Joan, was", "my mum, [name removed], was", &[Name]),
        (
            "their carer Priya Shah",
            "their carer [name removed]",
            &[Name],
        ),
        ("My Mum Joan", "My Mum [name removed]", &[Name]),
        ("my partner Dave", "my partner [name removed]", &[Name]),
        ("their partner Sam", "their partner [name removed]", &[Name]),
        ("her name is Sue", "her name is [name removed]", &[Name]),
        ("known as Jim", "known as [name removed]", &[Name]),
        (
            "she was called Amy",
            "she was called [name removed]",
            &[Name],
        ),
        (
            "my mother-in-law Pat",
            "my mother-in-law [name removed]",
            &[Name],
        ),
        (
            "my granddaughter Zo\u{eb}",
            "my granddaughter [name removed]",
            &[Name],
        ),
        (
            "the receptionist Karen",
            "the receptionist [name removed]",
            &[Name],
        ),
        (
            "my son Tom's appointment",
            "my son [name removed]'s appointment",
            &[Name],
        ),
        ("my daughter April", "my daughter [name removed]", &[Name]),
        (
            "my neighbour Mrs Jones",
            "my neighbour Mrs [name removed]",
            &[Name],
        ),
        (
            "my children Tom and Lucy",
            "my children [name removed] and [name removed]",
            &[Name, Name],
        ),
        (
            "her sons Tom, Ben and Sam",
            "her sons [name removed], [name removed] and [name removed]",
            &[Name, Name, Name],
        ),
        (
            "her son Tom and daughter Lucy",
            "her son [name removed] and daughter [name removed]",
            &[Name, Name],
        ),
        // "Jane" has neither honorific nor cue, so it stays: see the module doc.
        ("Jane's son Tom", "Jane's son [name removed]", &[Name]),
        (
            "Mrs Jane Doe (NHS 943 476 5919)",
            "Mrs [name removed] (NHS [NHS number removed])",
            &[Name, NhsNumber],
        ),
        // Deliberate false positives: the safe side of a capitalised word after an honorific
        // or a cue. Dr Foster is an organisation; the others are characters.
        ("Dr Foster", "Dr [name removed]", &[Name]),
        ("Mr Motivator", "Mr [name removed]", &[Name]),
        ("Dr Who", "Dr [name removed]", &[Name]),
        // A place after "is called" is taken for a person.
        (
            "the clinic is called Riverside",
            "the clinic is called [name removed]",
            &[Name],
        ),
        // A web address spelt out after "at" is taken for an e-mail address.
        ("looked at nhs dot uk", "[email address removed]", &[Email]),
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
        // Capitalised words that are not names: places, providers, groups, months and days,
        // the start of a sentence, services, and cues followed by lower case.
        "Stafford",
        "I live in Newcastle-under-Lyme, near Stoke-on-Trent.",
        "Royal Stoke University Hospital",
        "County Hospital",
        "Staffordshire Out-of-Hours GP Service",
        "Riverside Surgery PPG",
        "North Staffordshire District Group",
        "On Monday 3 March and again on Friday in April",
        "Waiting times were long.",
        "I rang NHS 111, then went to A&E and saw the GP.",
        "my son was seen quickly",
        "I called the surgery",
        "she was named on the letter",
        "I called Riverside Surgery and then NHS 111",
        "the Child Development Centre",
        "the Special Care Baby Unit",
        "Sir Robert Peel Community Hospital",
        "I saw the Nurse Practitioner",
        "the Friends of Stafford Hospital",
        "Master Patient Index",
        "Father Christmas came to the ward",
        "my GP Surgery",
        "her baby NHS number was on the letter",
        "Mr and Mrs were printed on the form",
        "working with our partner Age UK and the Healthwatch Staffordshire team",
        "thanks to our friends Healthwatch Stoke-on-Trent",
        "Dr",
        "I saw the Dr. Then we left.",
        "I told my son\nWaiting times were long.",
        // Deliberate false negatives, see the module doc: a name in lower case, a name with
        // no honorific or cue, and "called" on its own, which usually means rang.
        "her son tom was seen",
        "Jane was lovely",
        "she called Tom back",
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
        assert_eq!(
            redact("Mr Smith and his wife Jane, 07700 900123")
                .notice()
                .as_deref(),
            Some("We removed a phone number and 2 names before saving.")
        );
        assert_eq!(redact("Nothing personal here.").notice(), None);
    }

    #[test]
    fn names_for_apis_are_stable() {
        let kinds = [NhsNumber, PhoneNumber, Email, Postcode, DateOfBirth, Name];
        let names: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(
            names,
            [
                "NHS_NUMBER",
                "PHONE_NUMBER",
                "EMAIL",
                "POSTCODE",
                "DATE_OF_BIRTH",
                "NAME"
            ]
        );
        assert_eq!(Name.marker(), "[name removed]");
        assert_eq!(Name.description(), "a name");
        assert_eq!(Postcode.marker(), "[postcode removed]");
        assert_eq!(DateOfBirth.description(), "a date of birth");
    }

    /// Text, the names the caller knows, and the words left to look at.
    const PERSON_LIKE: &[(&str, &[&str], &[&str])] = &[
        (
            "Complaint about Sister Jones on Ward 5",
            &[],
            &["Sister Jones"],
        ),
        (
            "Long waits for out-of-hours call-backs (Staffordshire Out-of-Hours GP Service)",
            &["Staffordshire Out-of-Hours GP Service"],
            &[],
        ),
        // The same heading with the provider unknown: its one uncommon word is flagged.
        (
            "Long waits for out-of-hours call-backs (Staffordshire Out-of-Hours GP Service)",
            &[],
            &["Staffordshire"],
        ),
        ("Waiting times were long.", &[], &[]),
        (
            "I took Mum to A&E on Monday in March; the GP and NHS 111 agreed.",
            &[],
            &[],
        ),
        (
            "Thanks to Riverside Surgery PPG and North Staffordshire District Group.",
            &[
                "Riverside Surgery PPG",
                "North Staffordshire District Group",
            ],
            &[],
        ),
        // Only the first word of a sentence is let off.
        ("Jane Doe was rude to me.", &[], &["Doe"]),
        (
            "We met Jane at the surgery. Then Dr Patel saw us.",
            &[],
            &["Jane", "Dr Patel"],
        ),
        (
            "Dr. Patel and Mr. A. Khan",
            &[],
            &["Dr. Patel", "Mr. A. Khan"],
        ),
        ("Mrs May thanked Mr Ward.", &[], &["Mrs May", "Mr Ward"]),
        // Markers and honorifics on their own are not names.
        (
            "Mrs [name removed] complained to Mr [name removed] and Mrs",
            &[],
            &[],
        ),
        (
            "DOB [date of birth removed], NHS [NHS number removed]",
            &[],
            &[],
        ),
        (
            "Our members in Stafford and Stoke-on-Trent",
            &["Stoke-on-Trent"],
            &["Stafford"],
        ),
        // Known names match whole words, in their own case.
        (
            "in Staffordshire and Stafford",
            &["Stafford"],
            &["Staffordshire"],
        ),
        (
            "Visit COUNTY HOSPITAL",
            &["County Hospital"],
            &["COUNTY HOSPITAL"],
        ),
        (
            "Heard from a patient at Royal Stoke",
            &["Royal Stoke University Hospital"],
            &["Royal Stoke"],
        ),
        ("I'm grateful; I've seen the GP's notes", &[], &[]),
        ("She saw Jones's replacement", &[], &["Jones"]),
        ("Newsletter: Ward 5 and the Out-of-Hours Service", &[], &[]),
        ("Jones, Jones and Jones again", &[], &["Jones"]),
        ("Awful.\nThe Stafford clinic", &[], &["Stafford"]),
        ("Long waits at A&E (COVID-19 and B12)", &[], &[]),
        ("thanks to priya", &[], &[]),
        ("", &[], &[]),
    ];

    #[test]
    fn person_like_words_are_flagged() {
        for &(text, known, expected) in PERSON_LIKE {
            assert_eq!(person_like_words(text, known), expected, "{text}");
        }
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
            person_like_words(input, &[input, "", "."]);
        }
        let long = "07700 900123 (0) + 943 476 5919 ".repeat(5_000);
        assert_eq!(redact(&long).removed.len(), 10_000);
        let digits = "1 ".repeat(50_000) + &"9".repeat(100_000);
        assert!(redact(&digits).removed.is_empty());
    }
}
