//! The response clock: an item referred to the commissioners is due an answer a number of
//! working days after its referral (20 unless the area sets its own), counted on England's
//! calendar: weekends and the bank holidays of England and Wales are not working days, and a
//! day is the day in the UK (GMT, or BST in summer), not in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

/// Working days the commissioners have to answer a referral, unless the area sets its own.
pub const DEFAULT_WORKING_DAYS: i32 = 20;

/// The range an area may set.
pub const WORKING_DAYS_RANGE: std::ops::RangeInclusive<i32> = 1..=120;

/// The date in the UK at an instant: BST (UTC+1) from 01:00 UTC on the last Sunday of March
/// to 01:00 UTC on the last Sunday of October, GMT otherwise.
pub fn uk_date(at: DateTime<Utc>) -> NaiveDate {
    let year = at.year();
    let starts = last_sunday(year, 3)
        .and_hms_opt(1, 0, 0)
        .map(|t| t.and_utc());
    let ends = last_sunday(year, 10)
        .and_hms_opt(1, 0, 0)
        .map(|t| t.and_utc());
    let summer = matches!((starts, ends), (Some(s), Some(e)) if at >= s && at < e);
    let local = if summer { at + Duration::hours(1) } else { at };
    local.date_naive()
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut day = last_day_of(year, month);
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().unwrap_or(day);
    }
    day
}

fn last_day_of(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MIN)
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
    while day.weekday() != Weekday::Mon {
        day = day.succ_opt().unwrap_or(day);
    }
    day
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let mut day = last_day_of(year, month);
    while day.weekday() != Weekday::Mon {
        day = day.pred_opt().unwrap_or(day);
    }
    day
}

/// Easter Sunday (the anonymous Gregorian computus).
fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// The bank holidays of England and Wales in a year, including the one-off ones proclaimed
/// since 2010 and the years a regular one moved.
pub fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let mut days = Vec::with_capacity(10);
    let new_year = ymd(year, 1, 1);
    days.push(match new_year.weekday() {
        Weekday::Sat => ymd(year, 1, 3),
        Weekday::Sun => ymd(year, 1, 2),
        _ => new_year,
    });
    let easter = easter(year);
    days.push(easter - Duration::days(2));
    days.push(easter + Duration::days(1));
    // Early May moved to VE Day's anniversary in 2020; the spring holiday moved for the
    // jubilees of 2012 and 2022.
    days.push(match year {
        2020 => ymd(2020, 5, 8),
        _ => first_monday(year, 5),
    });
    days.push(match year {
        2012 => ymd(2012, 6, 4),
        2022 => ymd(2022, 6, 2),
        _ => last_monday(year, 5),
    });
    days.push(last_monday(year, 8));
    let christmas = ymd(year, 12, 25);
    let (christmas_off, boxing_off) = match christmas.weekday() {
        Weekday::Fri => (christmas, ymd(year, 12, 28)),
        Weekday::Sat => (ymd(year, 12, 27), ymd(year, 12, 28)),
        Weekday::Sun => (ymd(year, 12, 27), ymd(year, 12, 26)),
        _ => (christmas, ymd(year, 12, 26)),
    };
    days.push(christmas_off);
    days.push(boxing_off);
    days.extend(match year {
        2011 => vec![ymd(2011, 4, 29)],
        2012 => vec![ymd(2012, 6, 5)],
        2022 => vec![ymd(2022, 6, 3), ymd(2022, 9, 19)],
        2023 => vec![ymd(2023, 5, 8)],
        _ => vec![],
    });
    days.sort();
    days
}

pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
        && !bank_holidays(day.year()).contains(&day)
}

/// The day an answer is due: the `working_days`th working day after the day of referral.
pub fn due_on(referred: NaiveDate, working_days: i32) -> NaiveDate {
    let mut day = referred;
    let mut left = working_days.max(0);
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// Working days from `from` (exclusive) to `to` (inclusive); negative when `to` is earlier.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let (start, end, sign) = if to >= from {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let mut day = start;
    let mut count = 0;
    while day < end {
        day = day.succ_opt().unwrap_or(end);
        if is_working_day(day) {
            count += 1;
        }
    }
    sign * count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bank_holidays_are_englands() {
        // As published by GOV.UK for England and Wales.
        let expected = |days: &[(u32, u32)], year| -> Vec<NaiveDate> {
            days.iter().map(|(m, d)| ymd(year, *m, *d)).collect()
        };
        assert_eq!(
            bank_holidays(2026),
            expected(
                &[
                    (1, 1),
                    (4, 3),
                    (4, 6),
                    (5, 4),
                    (5, 25),
                    (8, 31),
                    (12, 25),
                    (12, 28)
                ],
                2026
            )
        );
        assert_eq!(
            bank_holidays(2027),
            expected(
                &[
                    (1, 1),
                    (3, 26),
                    (3, 29),
                    (5, 3),
                    (5, 31),
                    (8, 30),
                    (12, 27),
                    (12, 28)
                ],
                2027
            )
        );
        assert_eq!(
            bank_holidays(2022),
            expected(
                &[
                    (1, 3),
                    (4, 15),
                    (4, 18),
                    (5, 2),
                    (6, 2),
                    (6, 3),
                    (8, 29),
                    (9, 19),
                    (12, 26),
                    (12, 27)
                ],
                2022
            )
        );
        assert_eq!(
            bank_holidays(2023),
            expected(
                &[
                    (1, 2),
                    (4, 7),
                    (4, 10),
                    (5, 1),
                    (5, 8),
                    (5, 29),
                    (8, 28),
                    (12, 25),
                    (12, 26)
                ],
                2023
            )
        );
    }

    #[test]
    fn twenty_working_days_skip_weekends_and_bank_holidays() {
        // Referred on Monday 30 November 2026: 20 working days is Monday 28 December, but
        // 25 and 28 December are bank holidays, so the answer is due on Wednesday 30 December.
        assert_eq!(due_on(ymd(2026, 11, 30), 20), ymd(2026, 12, 30));
        // Friday to Monday is one working day.
        assert_eq!(due_on(ymd(2026, 10, 2), 1), ymd(2026, 10, 5));
        // Referred on a Saturday: the first working day after it is Monday.
        assert_eq!(due_on(ymd(2026, 10, 3), 1), ymd(2026, 10, 5));
        assert_eq!(
            working_days_between(ymd(2026, 11, 30), ymd(2026, 12, 30)),
            20
        );
        assert_eq!(
            working_days_between(ymd(2026, 12, 30), ymd(2026, 11, 30)),
            -20
        );
    }

    #[test]
    fn a_day_is_the_day_in_the_uk() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        // 23:30 UTC in July is 00:30 the next day in London.
        assert_eq!(uk_date(at("2026-07-14T23:30:00Z")), ymd(2026, 7, 15));
        assert_eq!(uk_date(at("2026-12-14T23:30:00Z")), ymd(2026, 12, 14));
        // BST began at 01:00 UTC on Sunday 29 March 2026 and ends at 01:00 UTC on 25 October.
        assert_eq!(uk_date(at("2026-03-29T00:59:00Z")), ymd(2026, 3, 29));
        assert_eq!(uk_date(at("2026-10-24T23:30:00Z")), ymd(2026, 10, 25));
        assert_eq!(uk_date(at("2026-10-25T23:30:00Z")), ymd(2026, 10, 25));
    }
}
