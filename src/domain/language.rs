//! The languages Pyramid's pages and bot can speak besides English: each with its code (the
//! BCP 47 tag written in `lang` and `hreflang`, and read from a Discord locale), its name in
//! its own language (what a reader looks for in a list of languages), and its direction.
//! Translations are people's work: Pyramid never machine-translates.

stored_enum!(
    /// A language a newsletter can be read in. English is the original.
    Language {
        English = "en",
        /// Cymraeg.
        Welsh = "cy",
        Polish = "pl",
        Urdu = "ur",
        Bengali = "bn",
        Punjabi = "pa",
        Gujarati = "gu",
        Arabic = "ar",
    }
);

impl Language {
    /// Reads a code (`cy`, `CY`, `ur-PK`, Discord's `en-GB`): the language part decides.
    pub fn parse(code: &str) -> Option<Language> {
        let primary = code.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Language::from_db(&primary)
    }

    /// What `<html lang>` says: British English for the original.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en-GB",
            other => other.as_str(),
        }
    }

    /// Its name in its own language.
    pub fn own_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Welsh => "Cymraeg",
            Language::Polish => "Polski",
            Language::Urdu => "اردو",
            Language::Bengali => "বাংলা",
            Language::Punjabi => "ਪੰਜਾਬੀ",
            Language::Gujarati => "ગુજરાતી",
            Language::Arabic => "العربية",
        }
    }

    /// Its name in English (for officers' lists and the audit).
    pub fn english_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Welsh => "Welsh",
            Language::Polish => "Polish",
            Language::Urdu => "Urdu",
            Language::Bengali => "Bengali",
            Language::Punjabi => "Punjabi",
            Language::Gujarati => "Gujarati",
            Language::Arabic => "Arabic",
        }
    }

    /// Written right to left (Urdu and Arabic).
    pub fn right_to_left(self) -> bool {
        matches!(self, Language::Urdu | Language::Arabic)
    }

    /// What `dir` says.
    pub fn direction(self) -> &'static str {
        if self.right_to_left() { "rtl" } else { "ltr" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_by_their_language_part() {
        assert_eq!(Language::parse("cy"), Some(Language::Welsh));
        assert_eq!(Language::parse("UR-pk"), Some(Language::Urdu));
        assert_eq!(Language::parse("en-GB"), Some(Language::English));
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(Language::parse(""), None);
    }

    #[test]
    fn urdu_and_arabic_are_written_right_to_left() {
        let rtl: Vec<Language> = Language::ALL
            .iter()
            .copied()
            .filter(|l| l.right_to_left())
            .collect();
        assert_eq!(rtl, [Language::Urdu, Language::Arabic]);
        assert_eq!(Language::Welsh.direction(), "ltr");
        assert_eq!(Language::English.tag(), "en-GB");
        assert_eq!(Language::Urdu.own_name(), "اردو");
    }
}
