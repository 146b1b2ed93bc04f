//! Watches: a member's standing request to hear about new items and pattern changes on a
//! provider, a theme or a severity, as a daily or weekly digest and live.

use chrono::{DateTime, Duration, Utc};

use super::item::Severity;
use super::pattern::Pattern;
use super::{MemberId, ProviderId, ThemeId, WatchId};

stored_enum!(
    /// How often a watch's digest comes.
    Frequency {
        Daily = "DAILY",
        Weekly = "WEEKLY",
    }
);

impl Frequency {
    pub fn period(self) -> Duration {
        match self {
            Frequency::Daily => Duration::days(1),
            Frequency::Weekly => Duration::days(7),
        }
    }
}

/// A member's watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub id: WatchId,
    pub member_id: MemberId,
    pub provider_id: Option<ProviderId>,
    /// A heading takes in its subheadings.
    pub theme_id: Option<ThemeId>,
    pub min_severity: Option<Severity>,
    pub frequency: Frequency,
    pub last_sent_at: DateTime<Utc>,
}

/// Whether a pattern is one a watch is on (a severity-only watch follows no patterns).
pub fn covers_pattern(
    watch: &Watch,
    pattern: &Pattern,
    heading_of: impl Fn(ThemeId) -> ThemeId,
) -> bool {
    let provider = watch.provider_id.is_none_or(|p| p == pattern.provider_id);
    let theme = watch.theme_id.is_none_or(|t| {
        pattern
            .theme_id
            .is_some_and(|pt| pt == t || heading_of(t) == pt)
    });
    (watch.provider_id.is_some() || watch.theme_id.is_some()) && provider && theme
}

/// Whether an item is one a watch is on: its provider, a theme under the watched one
/// (`themes` are the item's), a severity at least the watched one; each part the watch names.
pub fn covers_item(
    watch: &Watch,
    item: &super::item::Item,
    themes: &[ThemeId],
    heading_of: impl Fn(ThemeId) -> ThemeId,
) -> bool {
    let provider = watch
        .provider_id
        .is_none_or(|p| item.provider_id == Some(p));
    let theme = watch
        .theme_id
        .is_none_or(|t| themes.iter().any(|it| *it == t || heading_of(*it) == t));
    let severity = watch
        .min_severity
        .is_none_or(|min| item.severity.is_some_and(|s| s >= min));
    provider && theme && severity
}

/// The end of the latest whole period of a watch that has ended by `now`, if one has.
pub fn due_until(watch: &Watch, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let period = watch.frequency.period();
    let periods = (now - watch.last_sent_at).num_seconds() / period.num_seconds();
    (periods >= 1).then(|| watch.last_sent_at + period * periods as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(frequency: Frequency, last: DateTime<Utc>) -> Watch {
        Watch {
            id: WatchId(1),
            member_id: MemberId(1),
            provider_id: Some(ProviderId(1)),
            theme_id: None,
            min_severity: None,
            frequency,
            last_sent_at: last,
        }
    }

    #[test]
    fn periods_are_fixed_from_the_watch_so_every_instance_agrees() {
        let start = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
        let daily = watch(Frequency::Daily, start);
        assert_eq!(due_until(&daily, start + Duration::hours(23)), None);
        assert_eq!(
            due_until(&daily, start + Duration::hours(25)),
            Some(start + Duration::days(1))
        );
        // Days behind (the server was off): one digest up to the latest whole day.
        assert_eq!(
            due_until(&daily, start + Duration::hours(75)),
            Some(start + Duration::days(3))
        );
        let weekly = watch(Frequency::Weekly, start);
        assert_eq!(due_until(&weekly, start + Duration::days(6)), None);
        assert_eq!(
            due_until(&weekly, start + Duration::days(15)),
            Some(start + Duration::days(14))
        );
    }
}
