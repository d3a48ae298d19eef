//! A borrowed view of an as-run record, for the CSV export of a whole log: read straight from
//! the JSON stored in sled without a `String` per field, times read from their RFC 3339 text
//! by a small parser for the form loaxa writes (chrono for anything else).
//!
//! At a million records, building each [`AsRunRecord`] (allocating its strings, parsing its
//! four times with chrono) was 40 % of the export's CPU.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Timelike};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::model::{AsRunRecord, Outcome, Priority, Role, SegmentId, Trigger};

/// The fields of an [`AsRunRecord`] the export writes, borrowed from the stored JSON where
/// the text has no escapes. Deserialises the same JSON as [`AsRunRecord`] does (same names,
/// same required fields and defaults); the chain fields (`hash_version`, `prev_hash`, `hash`)
/// are skipped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExportRecord<'a> {
    pub id: u64,
    #[serde(borrow)]
    pub program: Text<'a>,
    pub trigger: Trigger,
    pub role: Role,
    pub scheduled_at: StationTime,
    pub started_at: Option<StationTime>,
    pub ended_at: Option<StationTime>,
    pub played_ms: u64,
    pub segment_id: Option<SegmentId>,
    #[serde(borrow)]
    pub title: Text<'a>,
    #[serde(borrow)]
    pub topic: Text<'a>,
    #[serde(borrow)]
    pub unit: Option<Text<'a>>,
    #[serde(borrow)]
    pub sha256: Text<'a>,
    pub outcome: Outcome,
    #[serde(borrow)]
    pub reason: Option<Text<'a>>,
    #[serde(borrow)]
    pub output: Text<'a>,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default, borrow)]
    pub approved_by: Option<Text<'a>>,
    #[serde(default)]
    pub approved_at: Option<StationTime>,
    #[serde(default)]
    pub peak_dbfs: Option<f64>,
    #[serde(default)]
    pub loudness_lufs: Option<f64>,
    #[serde(default)]
    pub audible_ms: Option<u64>,
    #[serde(default)]
    pub silent: bool,
    #[serde(default, borrow)]
    pub relay: Option<RelayView<'a>>,
    #[serde(default, borrow)]
    pub streams: Vec<StreamView<'a>>,
    /// Where an inbound bulletin came from (rare: owned).
    #[serde(default)]
    pub source: Option<crate::model::InboundOrigin>,
}

/// What the export shows of a stream's carriage ([`crate::stream::StreamCarriage`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamView<'a> {
    #[serde(borrow)]
    pub stream: Text<'a>,
    pub gap_ms: u64,
    #[serde(default)]
    pub other_zone: bool,
}

/// What the export shows of a relay's proof ([`crate::relay::RelayProof`]): its other
/// fields (failures) are skipped, its switches only counted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RelayView<'a> {
    #[serde(borrow)]
    pub url: Option<Text<'a>>,
    #[serde(borrow)]
    pub stream_title: Option<Text<'a>>,
    pub relayed_ms: u64,
    pub dropout_ms: u64,
    pub switches: Count,
}

impl<'a> From<&'a crate::relay::RelayProof> for RelayView<'a> {
    fn from(p: &'a crate::relay::RelayProof) -> Self {
        let text = |s: &'a String| Text(Cow::Borrowed(s.as_str()));
        RelayView {
            url: p.url.as_ref().map(text),
            stream_title: p.stream_title.as_ref().map(text),
            relayed_ms: p.relayed_ms,
            dropout_ms: p.dropout_ms,
            switches: Count(p.switches.len()),
        }
    }
}

/// The length of a JSON array, read without keeping its elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub usize);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                let mut n = 0;
                while seq.next_element::<de::IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Count(n))
            }
        }
        d.deserialize_seq(V)
    }
}

impl<'a> ExportRecord<'a> {
    /// The time the log selects records by: the start, or the schedule when it never started.
    pub fn at(&self) -> &StationTime {
        self.started_at.as_ref().unwrap_or(&self.scheduled_at)
    }
}

impl<'a> From<&'a AsRunRecord> for ExportRecord<'a> {
    fn from(r: &'a AsRunRecord) -> Self {
        let text = |s: &'a String| Text(Cow::Borrowed(s.as_str()));
        let time = |t: &Option<DateTime<FixedOffset>>| t.as_ref().map(StationTime::from);
        ExportRecord {
            id: r.id,
            program: text(&r.program),
            trigger: r.trigger,
            role: r.role,
            scheduled_at: StationTime::from(&r.scheduled_at),
            started_at: time(&r.started_at),
            ended_at: time(&r.ended_at),
            played_ms: r.played_ms,
            segment_id: r.segment_id,
            title: text(&r.title),
            topic: text(&r.topic),
            unit: r.unit.as_ref().map(text),
            sha256: text(&r.sha256),
            outcome: r.outcome,
            reason: r.reason.as_ref().map(text),
            output: text(&r.output),
            priority: r.priority,
            approved_by: r.approved_by.as_ref().map(text),
            approved_at: time(&r.approved_at),
            peak_dbfs: r.peak_dbfs,
            loudness_lufs: r.loudness_lufs,
            audible_ms: r.audible_ms,
            silent: r.silent,
            relay: r.relay.as_ref().map(RelayView::from),
            streams: r
                .streams
                .iter()
                .map(|c| StreamView {
                    stream: Text(Cow::Borrowed(c.stream.as_str())),
                    gap_ms: c.gap_ms,
                    other_zone: c.other_zone,
                })
                .collect(),
            source: r.source.clone(),
        }
    }
}

/// A JSON string, borrowed when it has no escapes (serde's `Cow<str>` always copies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A date and time with its UTC offset, as the fields of its local (station) wall time: what
/// the export shows. Holds everything a `DateTime<FixedOffset>` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StationTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    /// 60 for a leap second, as chrono's `%S` writes it.
    pub second: u8,
    /// Below 1 000 000 000 (a leap second shows in `second`).
    pub nanosecond: u32,
    /// Seconds east of UTC.
    pub offset: i32,
}

impl From<&DateTime<FixedOffset>> for StationTime {
    fn from(t: &DateTime<FixedOffset>) -> Self {
        let leap = t.nanosecond() >= 1_000_000_000;
        StationTime {
            year: t.year(),
            month: t.month() as u8,
            day: t.day() as u8,
            hour: t.hour() as u8,
            minute: t.minute() as u8,
            second: t.second() as u8 + u8::from(leap),
            nanosecond: t.nanosecond() % 1_000_000_000,
            offset: t.offset().local_minus_utc(),
        }
    }
}

impl StationTime {
    /// The same instant as chrono's type (`None` only for fields no parser produces).
    pub fn to_datetime(&self) -> Option<DateTime<FixedOffset>> {
        let (second, nano) = if self.second == 60 {
            (59, self.nanosecond + 1_000_000_000)
        } else {
            (self.second, self.nanosecond)
        };
        let naive = NaiveDate::from_ymd_opt(self.year, self.month.into(), self.day.into())?
            .and_hms_nano_opt(self.hour.into(), self.minute.into(), second.into(), nano)?;
        FixedOffset::east_opt(self.offset)?
            .from_local_datetime(&naive)
            .single()
    }

    /// Reads RFC 3339 text as `DateTime<FixedOffset>`'s serde (`str::parse`) does: the form
    /// loaxa writes (`2026-03-09T05:30:07.5+07:00`, `…Z`) by hand, anything else by chrono.
    pub fn parse(s: &str) -> Result<Self, chrono::ParseError> {
        match parse_rfc3339(s.as_bytes()) {
            Some(t) => Ok(t),
            None => s
                .parse::<DateTime<FixedOffset>>()
                .map(|t| StationTime::from(&t)),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.F{1,9}](Z|±HH:MM)` with every field in range; `None` for anything
/// else (chrono decides then: it accepts more, e.g. leap seconds, spaces, signed years).
fn parse_rfc3339(s: &[u8]) -> Option<StationTime> {
    let digits = |at: usize, n: usize| -> Option<u32> {
        let mut v = 0;
        for &c in s.get(at..at + n)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let sep = |at: usize, c: u8| (s.get(at) == Some(&c)).then_some(());
    let year = digits(0, 4)?;
    sep(4, b'-')?;
    let month = digits(5, 2)?;
    sep(7, b'-')?;
    let day = digits(8, 2)?;
    sep(10, b'T')?;
    let hour = digits(11, 2)?;
    sep(13, b':')?;
    let minute = digits(14, 2)?;
    sep(16, b':')?;
    let second = digits(17, 2)?;
    let mut at = 19;
    let mut nanosecond = 0;
    if s.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while s.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let n = at - start;
        if !(1..=9).contains(&n) {
            return None;
        }
        nanosecond = digits(start, n)? * 10u32.pow((9 - n) as u32);
    }
    let offset = match s.get(at..)? {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(at + 1, 2)?, digits(at + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(StationTime {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        nanosecond,
        offset,
    })
}

impl<'de> Deserialize<'de> for StationTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StationTime;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 formatted date and time string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<StationTime, E> {
                StationTime::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand parser reads exactly what chrono reads, for the forms loaxa writes and for
    /// the ones it leaves to chrono.
    #[test]
    fn station_times_parse_as_chrono_does() {
        let ok = [
            "2026-03-09T05:30:07+07:00",
            "2026-03-09T05:30:07.5+07:00",
            "2026-03-09T05:30:07.500+07:00",
            "2026-03-09T05:30:07.000001-03:30",
            "2026-03-09T05:30:07.123456789+14:00",
            "2024-02-29T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999-12:00",
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5+00:00",
            "+10000-01-01T00:00:00Z",
            "2026-03-09 05:30:07+07:00",
            "2026-03-09T05:30:07.1234567891+07:00",
            "2026-03-09T05:30:07+0700",
        ];
        for s in ok {
            let chrono = s.parse::<DateTime<FixedOffset>>().expect(s);
            let ours = StationTime::parse(s).expect(s);
            assert_eq!(ours, StationTime::from(&chrono), "{s}");
            assert_eq!(ours.to_datetime(), Some(chrono), "{s}");
        }
        let bad = [
            "",
            "2026-03-09",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-03-09T24:00:00Z",
            "2026-03-09T05:60:00Z",
            "2026-03-09T05:30:07",
            "2026-03-09T05:30:07.+07:00",
            "2026-03-09T05:30:07+07:00x",
            "2026-03-09T05:30:07+24:00",
            "2026-03-09T05:30:0x+07:00",
            "１２３４-03-09T05:30:07Z",
        ];
        for s in bad {
            assert!(s.parse::<DateTime<FixedOffset>>().is_err(), "chrono: {s}");
            assert!(StationTime::parse(s).is_err(), "ours: {s}");
        }
    }

    #[test]
    fn texts_borrow_unless_escaped() {
        let r: ExportRecord = serde_json::from_str(
            r#"{"id":1,"program":"sáng","trigger":"schedule","role":"item",
            "scheduled_at":"2026-03-09T05:30:00+07:00","started_at":null,"ended_at":null,
            "played_ms":0,"segment_id":null,"title":"a \"b\"","topic":"cds","unit":"Phòng",
            "sha256":"","outcome":"missed","reason":null,"output":"null"}"#,
        )
        .expect("record");
        assert!(matches!(r.program.0, Cow::Borrowed("sáng")));
        assert!(matches!(r.unit, Some(Text(Cow::Borrowed("Phòng")))));
        assert_eq!(&*r.title, "a \"b\"");
        assert!(matches!(r.title.0, Cow::Owned(_)));
        assert_eq!(r.approved_by, None);
        assert_eq!(r.priority, Priority::Normal);
    }
}
