//! [`CronRule`]: one program's cron line, read with Unix crontab meaning and evaluated in the
//! station's timezone.
//!
//! Two dialects are accepted:
//! - **5 fields, Unix crontab** (`min hour dom mon dow`, plus `@daily`, `@hourly`, ...):
//!   day-of-week 0 and 7 are Sunday, `1-5` is Monday–Friday; when both day-of-month and
//!   day-of-week are restricted a day matches if EITHER does (Vixie cron: a field that starts
//!   with `*`, such as `*/2`, counts as unrestricted). Each field is read here and handed to
//!   the cron crate as explicit lists, days of the week as names, so the crate's own
//!   numbering (1 = Sunday) never applies.
//! - **6 or 7 fields, the cron crate's form** (`sec min hour dom mon dow [year]`), passed
//!   through as written, with the crate's meaning (day-of-month AND day-of-week). A numeric
//!   day-of-week is refused there: numbers mean different days in different dialects.
//!
//! Daylight saving (not used in Vietnam, handled for any zone as the cron crate does): a
//! local time that does not exist that day is skipped; a local time that occurs twice fires
//! once, at the earlier instant.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::words::{CronProblem, Lang, Say};

use super::field::{DAY_NAMES, DAY_OF_MONTH, DAY_OF_WEEK, FieldSpec, HOUR, MINUTE, MONTH};

/// Why a cron line was refused: the problem as a code (words chosen where it is shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    pub problem: CronProblem,
    /// 1-based character column inside the cron text, where known.
    pub column: Option<usize>,
}

impl CronError {
    /// What is wrong, in English.
    pub fn message(&self) -> String {
        self.problem.say(Lang::En).into_owned()
    }

    /// A correct example or the way out, in English.
    pub fn hint(&self) -> String {
        self.problem.hint(Lang::En).into_owned()
    }
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(col) => write!(f, "column {col}: {}", self.message())?,
            None => f.write_str(&self.message())?,
        }
        write!(f, " (hint: {})", self.hint())
    }
}

impl std::error::Error for CronError {}

/// A program's cron line, ready to compute fire times.
#[derive(Debug, Clone)]
pub struct CronRule {
    text: String,
    /// The rule fires at the earliest next time of any of these (Unix OR of dom/dow).
    schedules: Vec<cron::Schedule>,
}

impl PartialEq for CronRule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for CronRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for CronRule {
    type Err = CronError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let tokens = tokens(text);
        let schedules = match tokens.len() {
            1 if tokens[0].1.starts_with('@') => unix(&tokens_of_macro(tokens[0])?)?,
            5 => unix(&tokens)?,
            6 | 7 => vec![crate_form(text, &tokens)?],
            n => {
                return Err(CronError {
                    problem: CronProblem::FieldCount {
                        text: text.trim().to_string(),
                        count: n as u64,
                    },
                    column: tokens.first().map(|t| t.0),
                });
            }
        };
        Ok(CronRule {
            text: text.trim().to_string(),
            schedules,
        })
    }
}

impl CronRule {
    /// The first fire strictly after `after`, computed on the wall clock of `tz`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&tz);
        self.schedules
            .iter()
            .filter_map(|s| s.after(&local).next())
            .map(|t| t.with_timezone(&Utc))
            .min()
    }
}

/// Whitespace-separated tokens with their 1-based character column.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut col = 0;
    for (byte, ch) in text.char_indices() {
        col += 1;
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some((col, byte)),
            (true, Some((c, b))) => {
                out.push((c, &text[b..byte]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some((c, b)) = start {
        out.push((c, &text[b..]));
    }
    out
}

/// `@daily` and friends as their 5-field lines (every token at the macro's column).
fn tokens_of_macro((col, word): (usize, &str)) -> Result<Vec<(usize, &'static str)>, CronError> {
    let line: &'static str = match word.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => {
            return Err(CronError {
                problem: CronProblem::UnknownMacro {
                    word: word.to_string(),
                },
                column: Some(col),
            });
        }
    };
    Ok(line.split(' ').map(|t| (col, t)).collect())
}

/// Builds the cron-crate schedules for a 5-field Unix line.
fn unix(tokens: &[(usize, &str)]) -> Result<Vec<cron::Schedule>, CronError> {
    let specs: [&FieldSpec; 5] = [&MINUTE, &HOUR, &DAY_OF_MONTH, &MONTH, &DAY_OF_WEEK];
    let mut fields: Vec<String> = Vec::with_capacity(5);
    for (spec, (col, text)) in specs.iter().zip(tokens) {
        let set = spec.parse(text, *col)?;
        fields.push(if spec.is_full(&set) {
            "*".to_string()
        } else if spec.is_day_of_week() {
            join(&set, |v| DAY_NAMES[v as usize].to_string())
        } else {
            join(&set, |v| v.to_string())
        });
    }
    let [min, hour, dom, mon, dow] = [0, 1, 2, 3, 4].map(|i| fields[i].as_str());
    let restricted = |i: usize| !tokens[i].1.starts_with('*');
    let lines = if restricted(2) && restricted(4) {
        vec![
            format!("0 {min} {hour} {dom} {mon} *"),
            format!("0 {min} {hour} * {mon} {dow}"),
        ]
    } else {
        vec![format!("0 {min} {hour} {dom} {mon} {dow}")]
    };
    lines
        .iter()
        .map(|line| {
            cron::Schedule::from_str(line).map_err(|e| CronError {
                problem: CronProblem::Internal {
                    line: line.clone(),
                    detail: e.to_string(),
                },
                column: None,
            })
        })
        .collect()
}

fn join(set: &BTreeSet<u32>, show: impl Fn(u32) -> String) -> String {
    set.iter().map(|&v| show(v)).collect::<Vec<_>>().join(",")
}

/// A 6/7-field line in the cron crate's own form, refusing numeric days of the week.
fn crate_form(text: &str, tokens: &[(usize, &str)]) -> Result<cron::Schedule, CronError> {
    let (col, dow) = tokens[5];
    let mut offset = 0;
    for item in dow.split(',') {
        let base = item.split('/').next().unwrap_or(item);
        if let Some(pos) = base.find(|c: char| c.is_ascii_digit()) {
            return Err(CronError {
                problem: CronProblem::NumericWeekday {
                    item: dow.to_string(),
                },
                column: Some(col + offset + base[..pos].chars().count()),
            });
        }
        offset += item.chars().count() + 1;
    }
    cron::Schedule::from_str(text.trim()).map_err(|e| CronError {
        problem: CronProblem::NotCron {
            text: text.trim().to_string(),
            detail: e.to_string(),
        },
        column: None,
    })
}
