//! One field of a Unix crontab line (`min hour dom mon dow`) read into the set of values it
//! allows, with errors that name the field and point at the column.
//!
//! Reading the fields ourselves (instead of handing the text to the cron crate) is what lets
//! `1-5` mean Monday–Friday and `0`/`7` mean Sunday, as every Unix crontab user expects.

use std::collections::BTreeSet;

use super::CronError;
use crate::words::{CronField, CronProblem};

/// What one position of a Unix crontab line accepts.
#[derive(Debug)]
pub(super) struct FieldSpec {
    pub field: CronField,
    pub min: u32,
    pub max: u32,
    /// Three-letter names; `names[i]` is the value `min + i`.
    pub names: &'static [&'static str],
}

pub(super) const MINUTE: FieldSpec = FieldSpec {
    field: CronField::Minute,
    min: 0,
    max: 59,
    names: &[],
};

pub(super) const HOUR: FieldSpec = FieldSpec {
    field: CronField::Hour,
    min: 0,
    max: 23,
    names: &[],
};

pub(super) const DAY_OF_MONTH: FieldSpec = FieldSpec {
    field: CronField::DayOfMonth,
    min: 1,
    max: 31,
    names: &[],
};

pub(super) const MONTH: FieldSpec = FieldSpec {
    field: CronField::Month,
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};

pub(super) const DAY_OF_WEEK: FieldSpec = FieldSpec {
    field: CronField::DayOfWeek,
    min: 0,
    max: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/// Cron-crate names for Sunday (0) .. Saturday (6).
pub(super) const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl FieldSpec {
    pub(super) fn is_day_of_week(&self) -> bool {
        self.max == 7
    }

    fn error(&self, column: usize, problem: CronProblem) -> CronError {
        CronError {
            problem,
            column: Some(column),
        }
    }

    /// A number or (case-insensitive) name, range-checked.
    fn value(&self, field: &str, text: &str, column: usize) -> Result<u32, CronError> {
        let value = if let Ok(n) = text.parse::<u32>() {
            n
        } else if let Some(i) = self
            .names
            .iter()
            .position(|name| name.eq_ignore_ascii_case(text))
        {
            self.min + i as u32
        } else {
            let (field, item) = (self.field, field.to_string());
            let what = if text.is_empty() {
                CronProblem::ValueMissing { field, item }
            } else {
                CronProblem::NotANumber {
                    field,
                    item,
                    text: text.to_string(),
                }
            };
            return Err(self.error(column, what));
        };
        if value < self.min || value > self.max {
            return Err(self.error(
                column,
                CronProblem::OutOfRange {
                    field: self.field,
                    item: field.to_string(),
                    value: u64::from(value),
                    min: u64::from(self.min),
                    max: u64::from(self.max),
                },
            ));
        }
        Ok(value)
    }

    /// Every value the field allows. Day-of-week 7 is folded into 0 (Sunday).
    pub(super) fn parse(&self, field: &str, column: usize) -> Result<BTreeSet<u32>, CronError> {
        let mut set = BTreeSet::new();
        let mut offset = 0;
        for item in field.split(',') {
            let col = column + offset;
            offset += item.chars().count() + 1;
            if item.is_empty() {
                return Err(self.error(
                    col,
                    CronProblem::EmptyItem {
                        field: self.field,
                        item: field.to_string(),
                    },
                ));
            }
            for v in self.parse_item(field, item, col)? {
                set.insert(if self.is_day_of_week() && v == 7 {
                    0
                } else {
                    v
                });
            }
        }
        Ok(set)
    }

    /// One list item: `*`, `N`, `A-B`, any of them with `/STEP`.
    fn parse_item(&self, field: &str, item: &str, col: usize) -> Result<Vec<u32>, CronError> {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => {
                let step_col = col + base.chars().count() + 1;
                match step.parse::<u32>() {
                    Ok(n) if n > 0 => (base, Some(n)),
                    _ => {
                        return Err(self.error(
                            step_col,
                            CronProblem::BadStep {
                                field: self.field,
                                item: field.to_string(),
                                step: step.to_string(),
                            },
                        ));
                    }
                }
            }
            None => (item, None),
        };
        let (from, to) = if base == "*" {
            (self.min, if self.is_day_of_week() { 6 } else { self.max })
        } else if let Some((a, b)) = base.split_once('-') {
            let from = self.value(field, a, col)?;
            let to = self.value(field, b, col + a.chars().count() + 1)?;
            (from, to)
        } else {
            let from = self.value(field, base, col)?;
            // `5/10` is cronie's "from 5 to the end, every 10th"; `5/1` is 5 to the end.
            (from, if step.is_some() { self.max } else { from })
        };
        let sequence: Vec<u32> = if from <= to {
            (from..=to).collect()
        } else if self.is_day_of_week() {
            // `Fri-Mon` wraps over the weekend: Fri, Sat, Sun, Mon.
            (from..=6).chain(0..=to).collect()
        } else {
            return Err(self.error(
                col,
                CronProblem::Backwards {
                    field: self.field,
                    item: field.to_string(),
                    range: base.to_string(),
                    from: u64::from(from),
                    to: u64::from(to),
                    min: u64::from(self.min),
                    max: u64::from(self.max),
                },
            ));
        };
        Ok(sequence
            .into_iter()
            .step_by(step.map_or(1, |n| n as usize))
            .collect())
    }

    /// Whether `set` is every value of the field (so it can be written `*`).
    pub(super) fn is_full(&self, set: &BTreeSet<u32>) -> bool {
        let max = if self.is_day_of_week() { 6 } else { self.max };
        (self.min..=max).all(|v| set.contains(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[u32]) -> BTreeSet<u32> {
        values.iter().copied().collect()
    }

    #[test]
    fn lists_ranges_steps_and_names() {
        assert_eq!(MINUTE.parse("*/15", 1).expect("ok"), set(&[0, 15, 30, 45]));
        assert_eq!(HOUR.parse("5,17", 1).expect("ok"), set(&[5, 17]));
        assert_eq!(DAY_OF_WEEK.parse("1-5/2", 1).expect("ok"), set(&[1, 3, 5]));
        assert_eq!(DAY_OF_WEEK.parse("Sat,sun", 1).expect("ok"), set(&[0, 6]));
        assert_eq!(
            DAY_OF_WEEK.parse("Fri-Mon", 1).expect("ok"),
            set(&[0, 1, 5, 6])
        );
        assert_eq!(DAY_OF_WEEK.parse("5-7", 1).expect("ok"), set(&[0, 5, 6]));
        assert_eq!(
            MONTH.parse("sep-dec", 1).expect("ok"),
            set(&[9, 10, 11, 12])
        );
        assert_eq!(MINUTE.parse("50/5", 1).expect("ok"), set(&[50, 55]));
    }

    #[test]
    fn errors_point_at_the_bad_item() {
        let err = HOUR.parse("5,25", 10).expect_err("25 is not an hour");
        assert_eq!(err.column, Some(12));
        assert!(
            err.message().starts_with("hour field `5,25`"),
            "{}",
            err.message()
        );
        let err = HOUR.parse("22-2", 3).expect_err("backwards");
        assert!(err.message().contains("backwards"), "{}", err.message());
        let err = MINUTE.parse("*/0", 1).expect_err("zero step");
        assert_eq!(err.column, Some(3));
        assert!(MINUTE.parse("1,,2", 1).is_err());
    }
}
