//! Scalars with messages people can act on.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate};

/// A calendar day, written `YYYY-MM-DD` ("2026-11-01"), between the years 1900 and 2100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// The years Pyramid accepts: a date outside them is a typing mistake.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Reads a date as people write it for Pyramid, or says how to write it.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!("'{text}' is not a date Pyramid can read: write dates as YYYY-MM-DD, such as 2026-11-01.")
    })?;
    if !YEARS.contains(&date.year()) {
        return Err(format!(
            "'{text}' is outside the years Pyramid accepts ({} to {}).",
            YEARS.start(),
            YEARS.end()
        ));
    }
    Ok(date)
}

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => parse_date(text).map(Date).map_err(InputValueError::custom),
            _ => Err(InputValueError::custom(
                "Write a date as text, YYYY-MM-DD, such as \"2026-11-01\".",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_say_how_to_write_them() {
        assert_eq!(
            parse_date("2026-11-01"),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
        );
        assert!(parse_date("01/11/2026").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_date("0000-01-01").is_err());
        assert!(
            parse_date("9999-12-31")
                .unwrap_err()
                .contains("1900 to 2100")
        );
    }
}
