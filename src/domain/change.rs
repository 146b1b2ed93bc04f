//! Planned changes: an answer that says a change is planned ("ACTION_PLANNED") names who
//! owns the change and the day it is due, and the change is followed until it is made. At its
//! due date it comes back to the tier that referred it ("was it done?"); the owner or a
//! commissioner records it made, gives it a new date (with a reason) or says it was abandoned.
//! A change is "done" only when somebody recorded it made: newsletters and figures never read
//! a plan as a change.

use chrono::{DateTime, NaiveDate, Utc};

use super::text::InvalidInput;
use super::{GroupId, ItemId, MemberId, RedactedText};

stored_enum!(
    /// Where a planned change is.
    ChangeState {
        /// Promised, not yet recorded as made.
        Planned = "PLANNED",
        Made = "MADE",
        /// It will not be made; the trail says why.
        Abandoned = "ABANDONED",
    }
);

/// A change an answer said was planned, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    pub item_id: ItemId,
    pub area_id: GroupId,
    /// The tier holding the item when it was answered; the change comes back to it.
    pub referring_group_id: GroupId,
    /// Who owns the change, in words ("the out-of-hours provider's clinical lead").
    pub owner: RedactedText,
    /// When the owner is a Pyramid member, who may record it too.
    pub owner_member_id: Option<MemberId>,
    pub due_on: NaiveDate,
    pub state: ChangeState,
    /// When it came back at its due date; `None` until then, and again after a new date.
    pub returned_at: Option<DateTime<Utc>>,
    pub made_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PlannedChange {
    /// Still planned, and its due date has passed.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state == ChangeState::Planned && self.due_on < today
    }

    /// Due to come back to the referring tier: still planned, due by `today`, not back yet.
    pub fn due_to_return(&self, today: NaiveDate) -> bool {
        self.state == ChangeState::Planned && self.due_on <= today && self.returned_at.is_none()
    }

    /// Checks that the change can still be followed (made, given a new date, abandoned):
    /// only a planned one can.
    pub fn check_planned(&self) -> Result<(), &'static str> {
        match self.state {
            ChangeState::Planned => Ok(()),
            ChangeState::Made => Err("This change has already been recorded as made."),
            ChangeState::Abandoned => Err("This change was abandoned."),
        }
    }
}

/// What the answer plans, as typed: the owner and the due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePlan {
    pub owner: RedactedText,
    pub owner_member_id: Option<MemberId>,
    pub due_on: NaiveDate,
}

/// A change is due today or later: a plan with a date already gone is not a plan.
pub fn check_due_on(due_on: NaiveDate, today: NaiveDate) -> Result<(), InvalidInput> {
    if due_on < today {
        Err(InvalidInput::new(
            "dueOn",
            "The date the change is due cannot be in the past.",
        ))
    } else {
        Ok(())
    }
}

/// A change is recorded as made on a day that has come.
pub fn check_made_on(made_on: NaiveDate, today: NaiveDate) -> Result<(), InvalidInput> {
    if made_on > today {
        Err(InvalidInput::new(
            "madeOn",
            "The day the change was made cannot be in the future.",
        ))
    } else {
        Ok(())
    }
}

/// A day as people write it: "4 December 2026".
pub fn day(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The sentence a newsletter and an answer say of a planned change, never read as done.
pub fn planned_sentence(owner: &str, due_on: NaiveDate) -> String {
    format!("Planned: {owner} is to make the change by {}.", day(due_on))
}

/// What the referring tier is asked when a change comes back at its due date.
pub fn due_question(reference: &str, owner: &str, due_on: NaiveDate) -> String {
    format!(
        "{reference}: the change planned by {owner} was due on {}. Was it done?",
        day(due_on)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn change(state: ChangeState, due_on: NaiveDate) -> PlannedChange {
        let at = date(2026, 12, 1).and_hms_opt(9, 0, 0).unwrap().and_utc();
        PlannedChange {
            item_id: ItemId(4),
            area_id: GroupId(1),
            referring_group_id: GroupId(1),
            owner: RedactedText::scrub("the provider's clinical lead"),
            owner_member_id: None,
            due_on,
            state,
            returned_at: None,
            made_on: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_planned_change_is_overdue_only_after_its_day_and_only_while_planned() {
        let due = date(2026, 12, 10);
        let planned = change(ChangeState::Planned, due);
        assert!(!planned.overdue(date(2026, 12, 9)));
        assert!(!planned.overdue(due), "due today is not yet overdue");
        assert!(planned.overdue(date(2026, 12, 11)));
        assert!(!change(ChangeState::Made, due).overdue(date(2027, 1, 1)));
        assert!(!change(ChangeState::Abandoned, due).overdue(date(2027, 1, 1)));
    }

    #[test]
    fn a_change_comes_back_once_on_its_due_date() {
        let due = date(2026, 12, 10);
        let mut planned = change(ChangeState::Planned, due);
        assert!(!planned.due_to_return(date(2026, 12, 9)));
        assert!(planned.due_to_return(due));
        planned.returned_at = Some(due.and_hms_opt(8, 0, 0).unwrap().and_utc());
        assert!(!planned.due_to_return(date(2026, 12, 11)));
        assert!(!change(ChangeState::Made, due).due_to_return(due));
    }

    #[test]
    fn only_a_planned_change_can_be_followed() {
        let due = date(2026, 12, 10);
        assert!(change(ChangeState::Planned, due).check_planned().is_ok());
        assert_eq!(
            change(ChangeState::Made, due).check_planned(),
            Err("This change has already been recorded as made.")
        );
        assert!(change(ChangeState::Abandoned, due).check_planned().is_err());
    }

    #[test]
    fn dates_are_checked_against_today() {
        let today = date(2026, 12, 2);
        assert!(check_due_on(today, today).is_ok());
        assert_eq!(
            check_due_on(date(2026, 12, 1), today).unwrap_err().field,
            "dueOn"
        );
        assert!(check_made_on(today, today).is_ok());
        assert_eq!(
            check_made_on(date(2026, 12, 3), today).unwrap_err().field,
            "madeOn"
        );
    }

    #[test]
    fn the_words_say_planned_and_ask_whether_it_was_done() {
        assert_eq!(
            planned_sentence("the practice manager", date(2027, 1, 31)),
            "Planned: the practice manager is to make the change by 31 January 2027."
        );
        assert_eq!(
            due_question("SI-2026-000004", "the practice manager", date(2027, 1, 31)),
            "SI-2026-000004: the change planned by the practice manager was due on 31 January 2027. Was it done?"
        );
    }
}
