//! Removing personal identifiers (NHS numbers, phone numbers, e-mail addresses, postcodes and
//! dates of birth) from free text before it is stored or logged, and telling the submitter.
//!
//! Every detector reads the original text, so none can be confused by another's marker. Where
//! finds overlap (digits inside an e-mail address, a valid NHS number that is also a 10-digit
//! phone number, `+44 943 476 5919`), the overlapping finds are removed together as one span,
//! so nothing of any of them is left behind. That span is named after the find covering the
//! most text; on a tie the more specific kind wins, in this order: e-mail address, date of
//! birth, NHS number (its check digit is strong evidence), phone number, postcode.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

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
    let mut finds = Vec::new();
    let runs: Vec<Range<usize>> = DIGITS.find_iter(text).map(|m| m.range()).collect();
    finds.extend(emails(text).map(|span| Find::new(span, Identifier::Email)));
    finds.extend(dates_of_birth(text).map(|span| Find::new(span, Identifier::DateOfBirth)));
    finds.extend(
        nhs_numbers(text, &runs)
            .into_iter()
            .map(|span| Find::new(span, Identifier::NhsNumber)),
    );
    finds.extend(
        phone_numbers(text, &runs)
            .into_iter()
            .map(|span| Find::new(span, Identifier::PhoneNumber)),
    );
    finds.extend(postcodes(text).map(|span| Find::new(span, Identifier::Postcode)));
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
// with a letter so that scores like "3@4.5" survive.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
    Regex::new(&format!(
        r"[A-Za-z0-9_%+-][A-Za-z0-9._%+-]*@{label}(?:\.{label})*\.[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    ))
    .unwrap()
});

fn emails(text: &str) -> impl Iterator<Item = Range<usize>> {
    EMAIL.find_iter(text).map(|m| m.range())
}

// A date is only personal when something says it is a date of birth: dates of the experience
// must survive. The cue stays in the text ("DOB [date of birth removed]") so the sentence
// still reads. Day and month are not range-checked so that US-style dates are caught too; the
// cue already makes a false positive unlikely. ASCII word boundaries keep the regex on its
// fast path for non-English text.
static DATE_OF_BIRTH: LazyLock<Regex> = LazyLock::new(|| {
    let year = "(?:[0-9]{4}|[0-9]{2})";
    let month = "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?\
                 |sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
    let day = "[0-9]{1,2}(?:st|nd|rd|th)?";
    let date = [
        format!("[0-9]{{1,2}}/[0-9]{{1,2}}/{year}"),
        format!("[0-9]{{1,2}}-[0-9]{{1,2}}-{year}"),
        format!(r"[0-9]{{1,2}}\.[0-9]{{1,2}}\.{year}"),
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}".to_owned(),
        format!(r"{day}\s+(?:of\s+)?{month}\.?,?\s+{year}"),
        format!(r"{month}\.?\s+{day},?\s+{year}"),
    ]
    .join("|");
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:d(?:\.\s?)?o(?:\.\s?)?b\.?|date\s+of\s+birth|born(?:\s+on)?)[\s:,)\-–]*(?:(?:is|was)[\s:,\-–]+)?(?:the\s+)?(?P<date>{date})(?-u:\b)"
    ))
    .unwrap()
});

fn dates_of_birth(text: &str) -> impl Iterator<Item = Range<usize>> {
    DATE_OF_BIRTH
        .captures_iter(text)
        .filter_map(|captures| captures.name("date").map(|m| m.range()))
}

/// NHS numbers: ten digits together or as 3-3-4 groups, with a valid modulus-11 check digit.
/// Digit runs are maximal, so a number inside a longer run of digits is never taken.
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
                    .all(|gap| *gap == " " || *gap == "-");
            let digits = || [&text[a.clone()], &text[b.clone()], &text[c.clone()]].concat();
            if grouped && nhs_check_digit_is_valid(&digits()) {
                found.push(a.start..c.end);
            }
        }
    }
    found
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
    // A "+" or "(" just before belongs to the number only when the shape says so: "(01785)
    // 123456" yes, "(07700 900123)" no.
    let starts = match start.checked_sub(1).map(|i| bytes[i]) {
        Some(b'+' | b'(') => [start - 1, start],
        _ => [start, start],
    };
    let mut longest = None;
    for last in first..runs.len().min(first + MAX_PHONE_RUNS) {
        if last > first {
            let gap = &text[runs[last - 1].end..runs[last].start];
            let joins = gap.len() <= 2 && gap.bytes().all(|b| b" -()".contains(&b));
            if !joins {
                break;
            }
        }
        let end = runs[last].end;
        let written_as_phone = starts
            .into_iter()
            .find(|&start| stands_alone(bytes, start..end) && is_phone_number(&text[start..end]));
        if let Some(start) = written_as_phone {
            longest = Some((start..end, last));
        }
    }
    longest
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
/// phone number: `+44`/`0044` (optionally `(0)`) and 9 or 10 digits; `(01785) 123456`; or
/// 10 or 11 digits starting `0` and not `00`.
fn is_phone_number(candidate: &str) -> bool {
    if let Some(rest) = candidate
        .strip_prefix("+44")
        .or_else(|| candidate.strip_prefix("0044"))
    {
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

fn skip_separator(text: &str) -> &str {
    text.strip_prefix([' ', '-']).unwrap_or(text)
}

/// Starts with the trunk prefix 0 and not with the international prefix 00.
fn is_trunk_dialled(digits: &str) -> bool {
    let digits = digits.as_bytes();
    digits.first() == Some(&b'0') && digits.get(1).is_some_and(|b| (b'1'..=b'9').contains(b))
}

/// The groups of "0123 456-789", or `None` unless the text is only digit groups joined by
/// single spaces or hyphens.
fn digit_groups(text: &str) -> Option<Vec<&str>> {
    let groups: Vec<&str> = text.split([' ', '-']).collect();
    groups
        .iter()
        .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()))
        .then_some(groups)
}

// Outward code (area letters that exist, a district digit, an optional digit or letter) and
// inward code (a digit and two of the letters the Royal Mail uses there: never C, I, K, M, O
// or V, which keeps "5mg", "3am" and "4km" out). ASCII-only, so that Unicode case folding
// cannot let in letters such as the Kelvin sign.
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}\b").unwrap()
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
