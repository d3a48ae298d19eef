//! The station's operations as one typed list, shared by the CLI and the API.
//!
//! Each operation is a type: its fields are what it takes, [`Op::Output`] what it answers,
//! [`Op::run`] how it is carried out on a [`Station`], and [`Op::METHOD`]/[`Op::ROUTE`]
//! where the HTTP API serves it. From that one description:
//! - the CLI without a daemon runs it on the store (`op.run(station)`);
//! - the CLI with a daemon sends it ([`Wire::of`]: the route's `{field}`s filled from the
//!   operation's fields, the rest as query parameters for `GET`/`DELETE` or as a JSON body
//!   for `POST`/`PATCH`);
//! - the API decodes it back from the request the same way and runs it (`api::ops`).
//!
//! So an operation cannot answer differently through the daemon than without it, and there
//! is no hand-written request/handler pair to drift apart (a test sends every operation
//! both ways and compares).

use anyhow::{Result, anyhow, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    LogQuery, PeriodChoice, ScheduledProgram, SegmentPatch, SegmentView, Station, TextAdded,
    TextBulletin,
};
use crate::model::{AsRunRecord, Priority, Segment, SegmentId};
use crate::store::{EmergencyRepeat, QueueEntry};

/// The HTTP method an operation is served with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the fields not in the route travel as a JSON body (else as query parameters).
    pub fn has_body(self) -> bool {
        matches!(self, Method::Post | Method::Patch)
    }
}

/// What a successful operation answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Success {
    /// 200 with the output.
    Ok,
    /// 201 with the output (something was made).
    Created,
    /// 204, no body (the output is `()`).
    NoContent,
}

/// One operation of the station (see the module's introduction).
pub trait Op: Serialize + DeserializeOwned + Send + 'static {
    /// What it answers.
    type Output: Serialize + DeserializeOwned + Send + 'static;
    /// The method it is served with.
    const METHOD: Method;
    /// Its route under `/api/v1`; a `{name}` segment is the operation's field `name`, an id
    /// (a whole number).
    const ROUTE: &'static str;
    /// Its answer when it succeeds.
    const SUCCESS: Success = Success::Ok;
    /// Carries it out on the station.
    fn run(self, station: &Station) -> Result<Self::Output>;
}

/// An operation as it travels over HTTP.
#[derive(Debug, Clone, PartialEq)]
pub struct Wire {
    /// The route with its `{name}`s filled in (percent-encoded).
    pub path: String,
    /// Query parameters (`GET`, `DELETE`).
    pub query: Vec<(String, String)>,
    /// The JSON body (`POST`, `PATCH`).
    pub body: Option<Value>,
}

impl Wire {
    /// How `op` is sent to the daemon.
    pub fn of<O: Op>(op: &O) -> Result<Wire> {
        let mut fields = match serde_json::to_value(op)? {
            Value::Object(map) => map,
            other => bail!("operation {} is not an object: {other}", O::ROUTE),
        };
        let mut path = String::new();
        for (i, part) in O::ROUTE.split('/').enumerate() {
            if i > 0 {
                path.push('/');
            }
            match param_name(part) {
                Some(name) => {
                    let value = fields
                        .remove(name)
                        .ok_or_else(|| anyhow!("operation {} has no field {name}", O::ROUTE))?;
                    path.push_str(&encode_segment(&scalar_text(&value)?));
                }
                None => path.push_str(part),
            }
        }
        if O::METHOD.has_body() {
            // Kept whole: an explicit `null` clears a field (an edit's `unit`).
            return Ok(Wire {
                path,
                query: Vec::new(),
                body: Some(Value::Object(fields)),
            });
        }
        let query = fields
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| Ok((k, scalar_text(&v)?)))
            .collect::<Result<_>>()?;
        Ok(Wire {
            path,
            query,
            body: None,
        })
    }
}

/// The names of the route's `{…}` segments.
pub fn route_params<O: Op>() -> impl Iterator<Item = &'static str> {
    O::ROUTE.split('/').filter_map(param_name)
}

fn param_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// A query parameter's or path segment's text for a JSON scalar.
fn scalar_text(v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => bail!("{other} cannot travel in an address"),
    }
}

/// Percent-encodes what is not unreserved in a path segment (RFC 3986).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The operation a request carries: the route's parameters (`params`, decoded) with the
/// query string (`GET`, `DELETE`), or with the JSON body (`POST`, `PATCH`).
pub fn from_query<O: Op>(params: &[(String, u64)], query: &str) -> Result<O, String> {
    let mut text = query.to_string();
    for (k, v) in params {
        let pair = serde_urlencoded::to_string([(k, v)]).map_err(|e| e.to_string())?;
        if !text.is_empty() {
            text.push('&');
        }
        text.push_str(&pair);
    }
    serde_urlencoded::from_str(&text).map_err(|e| e.to_string())
}

/// See [`from_query`]; the route's parameters are ids (whole numbers, checked by the caller).
pub fn from_body<O: Op>(params: &[(String, u64)], body: Value) -> Result<O, String> {
    let mut fields = match body {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => return Err(format!("the body must be a JSON object, not {other}")),
    };
    for (k, v) in params {
        fields.insert(k.clone(), Value::from(*v));
    }
    serde_json::from_value(Value::Object(fields)).map_err(|e| e.to_string())
}

/// An operation with no fields (sent as `GET` with no parameters).
macro_rules! no_fields {
    ($name:ident) => {
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {}
    };
}

/// `GET /segments`: the library (of one topic), each segment with today's verdict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListSegments {
    #[serde(default)]
    pub topic: Option<String>,
}

impl Op for ListSegments {
    type Output = Vec<SegmentView>;
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/segments";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.segment_views(self.topic.as_deref())
    }
}

/// `GET /segments/{id}`: one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowSegment {
    pub id: SegmentId,
}

impl Op for ShowSegment {
    type Output = Segment;
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/segments/{id}";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.segment(self.id)
    }
}

/// `PATCH /segments/{id}`: change a segment's metadata (the body is the patch).
///
/// Written by hand as the patch's fields beside `id`, not with `#[serde(flatten)]`, which
/// would let a misspelt field through unseen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct UpdateSegment {
    pub id: SegmentId,
    pub patch: SegmentPatch,
}

impl TryFrom<Map<String, Value>> for UpdateSegment {
    type Error = serde_json::Error;
    fn try_from(mut fields: Map<String, Value>) -> Result<Self, Self::Error> {
        let id = serde_json::from_value(fields.remove("id").unwrap_or(Value::Null))?;
        let patch = serde_json::from_value(Value::Object(fields))?;
        Ok(UpdateSegment { id, patch })
    }
}

impl From<UpdateSegment> for Map<String, Value> {
    fn from(op: UpdateSegment) -> Self {
        let mut fields = match serde_json::to_value(op.patch) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        fields.insert("id".into(), Value::from(op.id.0));
        fields
    }
}

impl Op for UpdateSegment {
    type Output = Segment;
    const METHOD: Method = Method::Patch;
    const ROUTE: &'static str = "/segments/{id}";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.update_segment(self.id, &self.patch)
    }
}

/// `DELETE /segments/{id}`: remove a segment (`force` when queued or in a playlist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoveSegment {
    pub id: SegmentId,
    #[serde(default)]
    pub force: bool,
}

impl Op for RemoveSegment {
    type Output = Segment;
    const METHOD: Method = Method::Delete;
    const ROUTE: &'static str = "/segments/{id}";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.remove_segment(self.id, self.force)
    }
}

/// `POST /segments/{id}/approve`: approved by `by`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveSegment {
    pub id: SegmentId,
    pub by: String,
}

impl Op for ApproveSegment {
    type Output = Segment;
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/segments/{id}/approve";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.approve_segment(self.id, &self.by)
    }
}

/// `POST /segments/text`: a text bulletin read aloud and added as a segment.
impl Op for TextBulletin {
    type Output = TextAdded;
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/segments/text";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.add_text_segment(&self)
    }
}

no_fields!(ListQueue);

/// `GET /queue`.
impl Op for ListQueue {
    type Output = Vec<QueueEntry>;
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/queue";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.queue()
    }
}

/// `POST /queue`: segments that air once in the next program (or the next run of `program`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddToQueue {
    pub ids: Vec<SegmentId>,
    #[serde(default)]
    pub program: Option<String>,
    #[serde(default)]
    pub priority: Option<Priority>,
}

impl Op for AddToQueue {
    type Output = Vec<QueueEntry>;
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/queue";
    const SUCCESS: Success = Success::Created;
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.queue_add(&self.ids, self.program.as_deref(), self.priority)
    }
}

/// `DELETE /queue/{qid}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoveFromQueue {
    pub qid: u64,
}

impl Op for RemoveFromQueue {
    type Output = ();
    const METHOD: Method = Method::Delete;
    const ROUTE: &'static str = "/queue/{qid}";
    const SUCCESS: Success = Success::NoContent;
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.queue_remove(self.qid)
    }
}

no_fields!(ListEmergencies);

/// `GET /emergencies`: the emergency repeats still to come.
impl Op for ListEmergencies {
    type Output = Vec<EmergencyRepeat>;
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/emergencies";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.emergency_repeats()
    }
}

/// `DELETE /emergencies/{id}`: cancels a repeat; answers with the repeat cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelEmergency {
    pub id: u64,
}

impl Op for CancelEmergency {
    type Output = EmergencyRepeat;
    const METHOD: Method = Method::Delete;
    const ROUTE: &'static str = "/emergencies/{id}";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.cancel_emergency_repeat(self.id)
    }
}

/// `GET /schedule`: what will air over the next `days` (default 1), item by item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timetable {
    #[serde(default)]
    pub days: Option<u32>,
}

impl Op for Timetable {
    type Output = Vec<ScheduledProgram>;
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/schedule";
    fn run(self, st: &Station) -> Result<Self::Output> {
        // The range is the service's to check (one rule for CLI, API and page).
        st.timetable(self.days.unwrap_or(1))
    }
}

/// `GET /log`: the broadcast log, filtered.
impl Op for LogQuery {
    type Output = Vec<AsRunRecord>;
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/log";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.log_query(&self)
    }
}

no_fields!(ListInbox);

/// `GET /inbox`: the bulletins taken from the province's inbox, those quarantined, and
/// those waiting for their audio.
impl Op for ListInbox {
    type Output = super::InboxView;
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/inbox";
    fn run(self, st: &Station) -> Result<Self::Output> {
        st.inbox_view()
    }
}

no_fields!(ReportPeriods);

/// `GET /report/periods`: the half-year today is reported in and the three before it.
impl Op for ReportPeriods {
    type Output = Vec<PeriodChoice>;
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/report/periods";
    fn run(self, st: &Station) -> Result<Self::Output> {
        Ok(st.report_periods(4))
    }
}

/// Every operation's method and route, for the API's route table (a test checks both agree).
pub const ALL: &[(Method, &str)] = &[
    (ListSegments::METHOD, ListSegments::ROUTE),
    (ShowSegment::METHOD, ShowSegment::ROUTE),
    (UpdateSegment::METHOD, UpdateSegment::ROUTE),
    (RemoveSegment::METHOD, RemoveSegment::ROUTE),
    (ApproveSegment::METHOD, ApproveSegment::ROUTE),
    (TextBulletin::METHOD, TextBulletin::ROUTE),
    (ListQueue::METHOD, ListQueue::ROUTE),
    (AddToQueue::METHOD, AddToQueue::ROUTE),
    (RemoveFromQueue::METHOD, RemoveFromQueue::ROUTE),
    (ListEmergencies::METHOD, ListEmergencies::ROUTE),
    (CancelEmergency::METHOD, CancelEmergency::ROUTE),
    (Timetable::METHOD, Timetable::ROUTE),
    (LogQuery::METHOD, LogQuery::ROUTE),
    (ReportPeriods::METHOD, ReportPeriods::ROUTE),
    (ListInbox::METHOD, ListInbox::ROUTE),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Outcome;
    use chrono::NaiveDate;

    /// What the API does with a request: the route's ids from the path, then the query or
    /// the body.
    fn decode<O: Op>(wire: &Wire) -> O {
        let ids: Vec<(String, u64)> = O::ROUTE
            .split('/')
            .zip(wire.path.split('/'))
            .filter_map(|(pattern, actual)| {
                let name = param_name(pattern)?;
                Some((name.to_string(), actual.parse().expect("an id")))
            })
            .collect();
        if O::METHOD.has_body() {
            from_body(&ids, wire.body.clone().expect("a body")).expect("decodes")
        } else {
            let query = serde_urlencoded::to_string(&wire.query).expect("query");
            from_query(&ids, &query).expect("decodes")
        }
    }

    fn round_trip<O: Op + PartialEq + std::fmt::Debug>(op: O) {
        let wire = Wire::of(&op).expect("encodes");
        assert!(
            !wire.path.contains('{'),
            "{}: every route parameter filled: {}",
            O::ROUTE,
            wire.path
        );
        assert_eq!(decode::<O>(&wire), op, "{} {wire:?}", O::ROUTE);
    }

    #[test]
    fn every_operation_travels_to_the_api_and_back_unchanged() {
        round_trip(ListSegments { topic: None });
        round_trip(ListSegments {
            topic: Some("nq57 & cđs".into()),
        });
        round_trip(ShowSegment { id: SegmentId(12) });
        round_trip(UpdateSegment {
            id: SegmentId(12),
            patch: SegmentPatch {
                title: Some("Bản tin «sáng» 10/10".into()),
                unit: Some(None),
                valid_until: Some(NaiveDate::from_ymd_opt(2026, 5, 31)),
                gain_db: Some(-3.5),
                priority: Some(Priority::Priority),
                ..SegmentPatch::default()
            },
        });
        round_trip(RemoveSegment {
            id: SegmentId(3),
            force: true,
        });
        round_trip(ApproveSegment {
            id: SegmentId(3),
            by: "Nguyễn Văn A".into(),
        });
        round_trip(TextBulletin {
            text: "UBND xã thông báo: ngày 18/5 tiêm phòng.".into(),
            voice: Some("vi-vn-x-south".into()),
            title: None,
            topic: Some("cds".into()),
            ..TextBulletin::default()
        });
        round_trip(ListQueue {});
        round_trip(AddToQueue {
            ids: vec![SegmentId(1), SegmentId(2)],
            program: Some("sang".into()),
            priority: None,
        });
        round_trip(RemoveFromQueue { qid: 7 });
        round_trip(ListEmergencies {});
        round_trip(CancelEmergency { id: 2 });
        round_trip(Timetable { days: Some(7) });
        round_trip(LogQuery {
            from: NaiveDate::from_ymd_opt(2026, 1, 1),
            to: NaiveDate::from_ymd_opt(2026, 6, 14),
            topic: Some("nq57".into()),
            outcome: Some(Outcome::Skipped),
            program: Some("sang".into()),
            q: Some("chuyển đổi số".into()),
            limit: Some(10),
        });
        round_trip(ReportPeriods {});
    }

    #[test]
    fn a_misspelt_field_of_an_edit_is_refused_not_ignored() {
        let err =
            from_body::<UpdateSegment>(&[("id".into(), 1)], serde_json::json!({"titel": "x"}))
                .expect_err("refused");
        assert!(err.contains("titel"), "{err}");
    }

    #[test]
    fn the_route_id_wins_over_one_in_the_body() {
        let op = from_body::<ApproveSegment>(
            &[("id".into(), 4)],
            serde_json::json!({"id": 99, "by": "A"}),
        )
        .expect("decodes");
        assert_eq!(op.id, SegmentId(4));
    }

    #[test]
    fn text_in_a_path_segment_is_percent_encoded() {
        assert_eq!(encode_segment("a b/ệ"), "a%20b%2F%E1%BB%87");
    }
}
