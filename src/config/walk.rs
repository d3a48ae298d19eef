//! Typed, position-aware reading of a parsed TOML document.
//!
//! serde's derive stops at the first problem; an operator fixing a config by hand wants
//! every problem at once. So the config and playlist readers walk toml's spanned document
//! (`toml::de::DeTable`) through [`Table`], which records a diagnostic for each unknown key
//! and each wrongly typed value and carries on.

use std::ops::Range;

use crate::words::{ConfigProblem, ValueKind};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Source, closest};

pub(crate) type Span = Range<usize>;

/// One TOML table and the words that name it in messages (`[station]`, `program "sang"`).
#[derive(Debug, Clone)]
pub(crate) struct Table<'a, 'i> {
    entries: &'a DeTable<'i>,
    pub span: Span,
    pub name: String,
}

/// Parses `text`; syntax errors become diagnostics and `None`.
pub(crate) fn parse_document<'i>(src: &mut Source<'i>) -> Option<Spanned<DeTable<'i>>> {
    let (doc, errors) = DeTable::parse_recoverable(src.text);
    for e in &errors {
        let span = e.span().unwrap_or(0..0);
        src.problem(
            span,
            ConfigProblem::TomlSyntax {
                detail: e.message().trim().to_string(),
            },
        );
    }
    errors.is_empty().then_some(doc)
}

fn type_name(v: &DeValue<'_>) -> ValueKind {
    match v {
        DeValue::String(_) => ValueKind::Text,
        DeValue::Integer(_) => ValueKind::WholeNumber,
        DeValue::Float(_) => ValueKind::DecimalNumber,
        DeValue::Boolean(_) => ValueKind::TrueFalse,
        DeValue::Datetime(_) => ValueKind::DateTime,
        DeValue::Array(_) => ValueKind::List,
        DeValue::Table(_) => ValueKind::Table,
    }
}

impl<'a, 'i> Table<'a, 'i> {
    pub fn new(entries: &'a DeTable<'i>, span: Span, name: impl Into<String>) -> Self {
        Table {
            entries,
            span,
            name: name.into(),
        }
    }

    /// Reports every key not in `allowed`, suggesting the closest allowed one.
    pub fn check_keys(&self, src: &mut Source<'_>, allowed: &[&str]) {
        for key in self.entries.keys() {
            if allowed.contains(&key.get_ref().as_ref()) {
                continue;
            }
            // Sections are named `[station]`, `[[program]]`; the file itself otherwise.
            let section = self.name.starts_with('[').then(|| self.name.to_string());
            src.problem(
                key.span(),
                ConfigProblem::UnknownKey {
                    key: key.get_ref().to_string(),
                    section,
                    suggestion: closest(key.get_ref(), allowed).map(str::to_string),
                    allowed: allowed.join(", "),
                },
            );
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Where `key`'s value is written, if it is.
    pub fn span_of(&self, key: &str) -> Option<std::ops::Range<usize>> {
        self.get(key).map(Spanned::span)
    }

    fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }

    fn wrong_type(
        &self,
        src: &mut Source<'_>,
        key: &str,
        v: &Spanned<DeValue<'_>>,
        want: ValueKind,
    ) {
        src.problem(
            v.span(),
            ConfigProblem::WrongType {
                key: key.to_string(),
                section: self.name.starts_with('[').then(|| self.name.to_string()),
                want,
                found: type_name(v.get_ref()),
            },
        );
    }

    pub fn string(&self, src: &mut Source<'_>, key: &str) -> Option<Spanned<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
            _ => {
                self.wrong_type(src, key, v, ValueKind::Text);
                None
            }
        }
    }

    /// `key = "text"` written for people (a name, a title): cleaned and bounded by
    /// [`bounded_at`].
    pub fn text(&self, src: &mut Source<'_>, key: &str, max: usize) -> Option<Spanned<String>> {
        let s = self.string(src, key)?;
        Some(bounded_at(src, key, s, max))
    }

    pub fn boolean(&self, src: &mut Source<'_>, key: &str) -> Option<Spanned<bool>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(v.span(), *b)),
            _ => {
                self.wrong_type(src, key, v, ValueKind::TrueFalse);
                None
            }
        }
    }

    pub fn integer(&self, src: &mut Source<'_>, key: &str) -> Option<Spanned<i64>> {
        let v = self.get(key)?;
        let n = match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(n),
                Err(_) => {
                    let problem = ConfigProblem::NumberTooLarge {
                        key: key.to_string(),
                        section: self.name.to_string(),
                        text: i.as_str().to_string(),
                    };
                    src.problem(v.span(), problem);
                    return None;
                }
            },
            _ => None,
        };
        if n.is_none() {
            self.wrong_type(src, key, v, ValueKind::WholeNumber);
        }
        n.map(|n| Spanned::new(v.span(), n))
    }

    /// A whole number within `range`. Anything else, a number too large for 64 bits
    /// included, is reported naming the range and a good value (`Err(())`); `None` when the
    /// key is absent.
    pub fn integer_in(
        &self,
        src: &mut Source<'_>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<Result<i64, ()>> {
        let v = self.get(key)?;
        let DeValue::Integer(i) = v.get_ref() else {
            self.wrong_type(src, key, v, ValueKind::WholeNumber);
            return Some(Err(()));
        };
        let n = i64::from_str_radix(i.as_str(), i.radix()).ok();
        if let Some(n) = n.filter(|n| range.contains(n)) {
            return Some(Ok(n));
        }
        let problem = ConfigProblem::NumberOutOfRange {
            key: key.to_string(),
            value: i.as_str().to_string(),
            min: range.start().to_string(),
            max: range.end().to_string(),
            unit: String::new(),
        };
        src.problem(v.span(), problem);
        Some(Err(()))
    }

    /// A number, whole or decimal (`-16` or `-16.5`).
    pub fn number(&self, src: &mut Source<'_>, key: &str) -> Option<Spanned<f64>> {
        let v = self.get(key)?;
        let n = match v.get_ref() {
            // Too large for 64 bits: read as a float, so the caller's range check answers.
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64)
                .or_else(|| i.as_str().replace('_', "").parse::<f64>().ok()),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        if n.is_none() {
            self.wrong_type(src, key, v, ValueKind::Number);
        }
        n.map(|n| Spanned::new(v.span(), n))
    }

    /// A number, or `false`/`true` (for settings that can be switched off).
    pub fn number_or_bool(
        &self,
        src: &mut Source<'_>,
        key: &str,
    ) -> Option<Spanned<Result<f64, bool>>> {
        let v = self.get(key)?;
        if let DeValue::Boolean(b) = v.get_ref() {
            return Some(Spanned::new(v.span(), Err(*b)));
        }
        self.number(src, key)
            .map(|n| Spanned::new(n.span(), Ok(n.into_inner())))
    }

    /// A list of texts; each wrong item is reported and left out.
    /// `key = "text"` or `key = ["text", …]`: one or more texts.
    pub fn one_or_more(&self, src: &mut Source<'_>, key: &str) -> Option<Vec<Spanned<String>>> {
        let v = self.get(key)?;
        if let DeValue::String(s) = v.get_ref() {
            return Some(vec![Spanned::new(v.span(), s.to_string())]);
        }
        self.strings(src, key)
    }

    pub fn strings(&self, src: &mut Source<'_>, key: &str) -> Option<Vec<Spanned<String>>> {
        let v = self.get(key)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(src, key, v, ValueKind::ListOfTexts);
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(Spanned::new(item.span(), s.to_string())),
                _ => self.wrong_type(src, key, item, ValueKind::ListOfTexts),
            }
        }
        Some(out)
    }

    /// A sub-table (`[output]`).
    pub fn table(&self, src: &mut Source<'_>, key: &str, name: &str) -> Option<Table<'a, 'i>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Table::new(t, v.span(), name)),
            _ => {
                self.wrong_type(src, key, v, ValueKind::Table);
                None
            }
        }
    }

    /// The tables of an array of tables (`[[program]]`).
    pub fn tables(&self, src: &mut Source<'_>, key: &str, name: &str) -> Vec<Table<'a, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(src, key, v, ValueKind::ListOfTables);
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::Table(t) => out.push(Table::new(t, item.span(), name)),
                _ => self.wrong_type(src, key, item, ValueKind::Table),
            }
        }
        out
    }

    /// Every `key = "text"` pair of the table; other values are reported.
    pub fn string_pairs(&self, src: &mut Source<'_>) -> Vec<(Spanned<String>, Spanned<String>)> {
        let mut out = Vec::new();
        for (k, v) in self.entries.iter() {
            match v.get_ref() {
                DeValue::String(s) => out.push((
                    Spanned::new(k.span(), k.get_ref().to_string()),
                    Spanned::new(v.span(), s.to_string()),
                )),
                _ => self.wrong_type(src, k.get_ref(), v, ValueKind::Text),
            }
        }
        out
    }
}

/// `s` through [`crate::text::clean`] (NFC, no control characters); longer than `max`
/// characters, an error at its place naming `what` and the limit (the value is cut there, so
/// the rest of the file is still checked).
pub(crate) fn bounded_at(
    src: &mut Source<'_>,
    what: &str,
    s: Spanned<String>,
    max: usize,
) -> Spanned<String> {
    let span = s.span();
    let text = crate::text::clean(s.get_ref());
    let len = text.chars().count();
    if len <= max {
        return Spanned::new(span, text);
    }
    src.problem(
        span.clone(),
        ConfigProblem::TooLong {
            what: what.to_string(),
            len: len as u64,
            max: max as u64,
        },
    );
    Spanned::new(span, crate::text::truncate(&text, max).into_owned())
}
