//! A bulletin's sidecar (`X.json` beside `X.mp3`): read, and every value bounded, at once.
//! Anything the format does not name is refused (a typo must not silently drop a field such
//! as the level), and each problem is a typed [`InboxProblem`] said in both languages.
//!
//! ```json
//! {"id": "QNG-2026-0917", "title": "Tin bão số 9", "topic": "cds", "unit": "BCH PCTT tỉnh",
//!  "level": "emergency", "valid_from": "2026-10-01", "valid_until": "2026-10-02",
//!  "repeat": {"every": "2h", "until": "2026-10-01T18:00:00+07:00"},
//!  "source": "Sở KH&CN Quảng Ngãi", "sha256": "…64 hex…"}
//! ```
//! Instead of an audio file a sidecar may carry `text` (and `voice`), read aloud by the
//! station's speech engine (`[tts]`).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::config::duration::{EMERGENCY_EVERY, EMERGENCY_UNTIL_AHEAD, format_duration, later};
use crate::model::Priority;
use crate::text;
use crate::words::InboxProblem;

/// The largest sidecar read: a 20 000-character text in Vietnamese and its fields.
pub const MAX_SIDECAR: u64 = 256 * 1024;
/// The longest bulletin id.
pub const MAX_ID: usize = 64;
/// The longest sender's name.
pub const MAX_SOURCE: usize = 200;

const FIELDS: &[&str] = &[
    "id",
    "title",
    "topic",
    "unit",
    "level",
    "valid_from",
    "valid_until",
    "repeat",
    "source",
    "sha256",
    "text",
    "voice",
];
const REPEAT_FIELDS: &[&str] = &["every", "until"];

/// A sidecar read and bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct Sidecar {
    pub id: String,
    pub title: String,
    /// Default: `[station] default_topic`.
    pub topic: Option<String>,
    pub unit: Option<String>,
    pub level: Priority,
    /// Station dates (a time is taken on its station day).
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub repeat: Option<RepeatRule>,
    pub source: String,
    /// Lower-case hex.
    pub sha256: Option<String>,
    /// A text bulletin, read aloud by the station.
    pub text: Option<String>,
    pub voice: Option<String>,
}

/// `repeat`: an emergency aired again every `every` until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatRule {
    pub every: Duration,
    pub until: DateTime<Utc>,
}

/// Reads a sidecar's bytes; `now` bounds `repeat.until`, `tz` turns times into station dates.
pub fn parse(bytes: &[u8], tz: Tz, now: DateTime<Utc>) -> Result<Sidecar, InboxProblem> {
    if bytes.len() as u64 > MAX_SIDECAR {
        return Err(InboxProblem::SidecarTooLarge {
            bytes: bytes.len() as u64,
            max: MAX_SIDECAR,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| InboxProblem::SidecarNotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|e| InboxProblem::SidecarNotJson {
        line: e.line() as u64,
        column: e.column() as u64,
    })?;
    let Value::Object(map) = value else {
        return Err(InboxProblem::SidecarNotObject);
    };
    let f = Fields(&map);
    f.only(FIELDS, "")?;
    let id = f.required("id", MAX_ID)?;
    check_id(&id)?;
    let level_text = f.required("level", 32)?;
    let level = match level_text.as_str() {
        "normal" => Priority::Normal,
        "priority" => Priority::Priority,
        "emergency" => Priority::Emergency,
        _ => return Err(InboxProblem::BadLevel { value: level_text }),
    };
    let valid_from = f.date("valid_from", tz)?;
    let valid_until = f.date("valid_until", tz)?;
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && from > until
    {
        return Err(InboxProblem::DatesReversed {
            from: from.to_string(),
            until: until.to_string(),
        });
    }
    let repeat = repeat(&map, now)?;
    if repeat.is_some() && level != Priority::Emergency {
        return Err(InboxProblem::RepeatNotEmergency);
    }
    let sha256 = f.optional("sha256", 64)?.map(|s| s.to_ascii_lowercase());
    if let Some(s) = &sha256
        && (s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(InboxProblem::BadSha256 { value: s.clone() });
    }
    Ok(Sidecar {
        id,
        title: f.required("title", text::MAX_TITLE)?,
        topic: f.optional("topic", text::MAX_SLUG)?,
        unit: f.optional("unit", text::MAX_UNIT)?,
        level,
        valid_from,
        valid_until,
        repeat,
        source: f.required("source", MAX_SOURCE)?,
        sha256,
        text: f.optional("text", text::MAX_BULLETIN)?,
        voice: f.optional("voice", crate::config::MAX_VOICE)?,
    })
}

/// Letters, digits and `-_.`, not starting with a dot: an id is also a file name's part.
fn check_id(id: &str) -> Result<(), InboxProblem> {
    let ok = id.len() <= MAX_ID
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(InboxProblem::BadId {
            id: text::truncate(id, MAX_ID).into_owned(),
            max: MAX_ID as u64,
        })
    }
}

fn repeat(
    map: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Option<RepeatRule>, InboxProblem> {
    let Some(v) = map.get("repeat") else {
        return Ok(None);
    };
    let Value::Object(rep) = v else {
        return Err(InboxProblem::FieldWrongType {
            field: "repeat".into(),
            expected: "object".into(),
        });
    };
    let f = Fields(rep);
    f.only(REPEAT_FIELDS, "repeat.")?;
    let every_text = f.required_as("every", "repeat.every", 32)?;
    let range = EMERGENCY_EVERY.text();
    let every = EMERGENCY_EVERY
        .parse(&every_text)
        .map_err(|_| InboxProblem::BadEvery {
            value: every_text.clone(),
            range,
        })?;
    let until_text = f.required_as("until", "repeat.until", 64)?;
    let until = DateTime::parse_from_rfc3339(&until_text)
        .map_err(|_| InboxProblem::BadTime {
            field: "repeat.until".into(),
            value: until_text.clone(),
        })?
        .with_timezone(&Utc);
    let latest = later(now, EMERGENCY_UNTIL_AHEAD).unwrap_or(DateTime::<Utc>::MAX_UTC);
    if until > latest {
        return Err(InboxProblem::UntilTooFar {
            until: until.format("%Y-%m-%d %H:%M UTC").to_string(),
            ahead: format_duration(EMERGENCY_UNTIL_AHEAD),
        });
    }
    Ok(Some(RepeatRule { every, until }))
}

/// The fields of a JSON object, read with their bounds.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    /// Refuses any field not in `known` (`prefix`: where the object sits, for the message).
    fn only(&self, known: &[&str], prefix: &str) -> Result<(), InboxProblem> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(InboxProblem::UnknownField {
                field: format!("{prefix}{}", text::truncate(&text::clean(k), 64)),
            }),
            None => Ok(()),
        }
    }

    fn required(&self, key: &str, max: usize) -> Result<String, InboxProblem> {
        self.required_as(key, key, max)
    }

    fn required_as(&self, key: &str, name: &str, max: usize) -> Result<String, InboxProblem> {
        self.text(key, name, max)?
            .ok_or_else(|| InboxProblem::FieldMissing { field: name.into() })
    }

    fn optional(&self, key: &str, max: usize) -> Result<Option<String>, InboxProblem> {
        self.text(key, key, max)
    }

    /// A text field cleaned (NFC, no control or bidi characters) and bounded; empty is
    /// refused, `null` is absent.
    fn text(&self, key: &str, name: &str, max: usize) -> Result<Option<String>, InboxProblem> {
        let s = match self.0.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) => s,
            Some(_) => {
                return Err(InboxProblem::FieldWrongType {
                    field: name.into(),
                    expected: "text".into(),
                });
            }
        };
        let clean = text::bounded("field", s, max).map_err(|_| InboxProblem::FieldTooLong {
            field: name.into(),
            max: max as u64,
        })?;
        let clean = clean.trim().to_string();
        if clean.is_empty() {
            return Err(InboxProblem::FieldEmpty { field: name.into() });
        }
        Ok(Some(clean))
    }

    /// `YYYY-MM-DD`, or an RFC 3339 time taken on its station day.
    fn date(&self, key: &str, tz: Tz) -> Result<Option<NaiveDate>, InboxProblem> {
        let Some(s) = self.text(key, key, 64)? else {
            return Ok(None);
        };
        if let Ok(d) = NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            return Ok(Some(d));
        }
        DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.with_timezone(&tz).date_naive()))
            .map_err(|_| InboxProblem::BadTime {
                field: key.into(),
                value: s,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 9, 30, 22, 0, 0)
            .single()
            .expect("valid")
    }

    fn read(json: &str) -> Result<Sidecar, InboxProblem> {
        parse(json.as_bytes(), crate::config::DEFAULT_TIMEZONE, now())
    }

    const STORM: &str = r#"{"id": "QNG-2026-0917", "title": "Tin bão số 9", "topic": "cds",
        "level": "emergency", "valid_until": "2026-10-02T08:00:00+07:00",
        "repeat": {"every": "2h", "until": "2026-10-01T18:00:00+07:00"},
        "source": "Sở KH&CN Quảng Ngãi", "sha256": "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"}"#;

    #[test]
    fn a_storm_bulletin_reads_with_its_repeat() {
        let s = read(STORM).expect("valid");
        assert_eq!(s.id, "QNG-2026-0917");
        assert_eq!(s.level, Priority::Emergency);
        assert_eq!(s.valid_until, NaiveDate::from_ymd_opt(2026, 10, 2));
        let rep = s.repeat.expect("a repeat");
        assert_eq!(rep.every, Duration::from_secs(7200));
        assert_eq!(
            rep.until,
            Utc.with_ymd_and_hms(2026, 10, 1, 11, 0, 0)
                .single()
                .expect("t")
        );
        assert_eq!(s.sha256.as_deref(), Some(&*"ab".repeat(32)), "lower-cased");
        assert_eq!(s.source, "Sở KH&CN Quảng Ngãi");
    }

    #[test]
    fn every_value_is_bounded_and_unknown_fields_are_refused() {
        let base = r#""title":"T","level":"normal","source":"Sở""#;
        let cases: Vec<(String, &str)> = vec![
            (format!(r#"{{"id":"a",{base},"muc_do":1}}"#), "unknown_field"),
            (format!(r#"{{{base}}}"#), "field_missing"),
            (format!(r#"{{"id":"../etc",{base}}}"#), "bad_id"),
            (format!(r#"{{"id":"{}",{base}}}"#, "a".repeat(65)), "field_too_long"),
            (format!(r#"{{"id":7,{base}}}"#), "field_wrong_type"),
            (
                r#"{"id":"a","title":"T","level":"khẩn","source":"S"}"#.into(),
                "bad_level",
            ),
            (
                format!(r#"{{"id":"a",{base},"title2":"x"}}"#),
                "unknown_field",
            ),
            (
                r#"{"id":"a","title":"  ","level":"normal","source":"S"}"#.into(),
                "field_empty",
            ),
            (
                format!(r#"{{"id":"a",{base},"valid_from":"31/12"}}"#),
                "bad_time",
            ),
            (
                format!(r#"{{"id":"a",{base},"valid_from":"2026-10-02","valid_until":"2026-10-01"}}"#),
                "dates_reversed",
            ),
            (
                format!(r#"{{"id":"a",{base},"repeat":{{"every":"2h","until":"2026-10-01T18:00:00+07:00"}}}}"#),
                "repeat_not_emergency",
            ),
            (
                r#"{"id":"a","title":"T","level":"emergency","source":"S","repeat":{"every":"3000000000h","until":"2026-10-01T18:00:00+07:00"}}"#.into(),
                "bad_every",
            ),
            (
                r#"{"id":"a","title":"T","level":"emergency","source":"S","repeat":{"every":"2h","until":"2099-10-01T18:00:00+07:00"}}"#.into(),
                "until_too_far",
            ),
            (
                r#"{"id":"a","title":"T","level":"emergency","source":"S","repeat":{"every":"2h","until":"x","n":1}}"#.into(),
                "unknown_field",
            ),
            (format!(r#"{{"id":"a",{base},"sha256":"abc"}}"#), "bad_sha256"),
            (format!(r#"{{"id":"a",{base},"unit":"{}"}}"#, "đ".repeat(201)), "field_too_long"),
            ("[1,2]".into(), "sidecar_not_object"),
            ("{\"id\": ".into(), "sidecar_not_json"),
        ];
        for (json, code) in cases {
            let e = read(&json).expect_err(&json);
            assert_eq!(e.code(), code, "{json}: {e:?}");
        }
        assert_eq!(
            parse(&[0xff, 0xfe], crate::config::DEFAULT_TIMEZONE, now()).map_err(|e| e.code()),
            Err("sidecar_not_utf8".to_string())
        );
        let big = vec![b' '; MAX_SIDECAR as usize + 1];
        assert_eq!(
            parse(&big, crate::config::DEFAULT_TIMEZONE, now()).map_err(|e| e.code()),
            Err("sidecar_too_large".to_string())
        );
    }

    #[test]
    fn texts_are_cleaned_to_nfc_without_control_characters() {
        let s = read(
            "{\"id\":\"a\",\"title\":\"Tin\\u001b[31m bão\",\"level\":\"normal\",\"source\":\"Sở\"}",
        )
        .expect("valid");
        assert!(!s.title.contains('\u{1b}'), "{:?}", s.title);
    }
}
