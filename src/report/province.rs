//! The province's half-year report: every station's own figures (each one the very
//! [`Report`] the station prints for itself, folded by [`summarise`] from the records it
//! sent) side by side, their sums by topic, unit and month, the emergencies, and the
//! stations that went silent or stopped reporting.
//!
//! Sums are sums of the stations' figures: the distinct segments of the province are the
//! sum of each station's distinct segments (a bulletin aired by two communes counts for
//! each), so every number in a station's row is the number in its own report.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use serde::Serialize;

use super::summary::{Counts, EmergencyPlay, Report};
use super::tables::{
    Cell, Heading, Table, count_headers, count_row, hours, months_table, t, units_table,
};
use super::{Lang, Period, ReportFormat, render};
use crate::store::ChainReport;

/// A station not heard from for this long is not reporting (its heartbeat comes every
/// minute).
pub const NOT_REPORTING_AFTER: TimeDelta = TimeDelta::hours(1);
/// A station that aired no news item for this long (up to the period's end, or now) is
/// silent.
pub const SILENT_AFTER: TimeDelta = TimeDelta::days(3);

/// One station as the province sees it.
#[derive(Debug, Clone, Serialize)]
pub struct StationFigures {
    pub code: String,
    pub name: String,
    /// Its own report over the records it sent, for the period.
    pub report: Report,
    /// Records the province holds for it (all periods).
    pub held: u64,
    /// Its last heartbeat (the province's clock).
    pub last_seen: Option<DateTime<Utc>>,
    /// Its last completed news item, whenever that was.
    pub last_broadcast: Option<DateTime<FixedOffset>>,
    /// Its chain as the province verified it, from record 1.
    pub chain: ChainReport,
}

/// Why a station is listed among those the province should call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    /// No heartbeat for [`NOT_REPORTING_AFTER`], or never.
    NotReporting,
    /// No news item aired for [`SILENT_AFTER`].
    Silent,
    /// Its chain does not verify at the province.
    ChainBroken,
}

/// The whole province.
#[derive(Debug, Clone, Serialize)]
pub struct ProvinceReport {
    #[serde(skip)]
    pub period: Period,
    pub generated_at: DateTime<FixedOffset>,
    pub stations: Vec<StationFigures>,
    /// Slug → label, from the stations' `[topics]` (the first station naming a slug).
    pub topic_labels: BTreeMap<String, String>,
    pub totals: Counts,
    pub by_topic: Vec<(String, Counts)>,
    pub by_unit: Vec<(String, Counts)>,
    pub by_month: Vec<(String, Counts)>,
    pub relayed_ms: u64,
    pub emergency_broadcasts: u64,
    /// `(station code, play)`, in time order.
    pub emergencies: Vec<(String, EmergencyPlay)>,
    /// `(station code, concerns)` of the stations with any.
    pub concerns: Vec<(String, Vec<Concern>)>,
}

fn add(into: &mut Counts, c: &Counts) {
    into.broadcasts += c.broadcasts;
    into.interrupted += c.interrupted;
    into.played_ms += c.played_ms;
    into.segments += c.segments;
}

fn sum_into<'a>(
    into: &mut BTreeMap<String, Counts>,
    rows: impl IntoIterator<Item = (&'a String, &'a Counts)>,
) {
    for (k, c) in rows {
        add(into.entry(k.clone()).or_default(), c);
    }
}

/// Adds the stations' figures up, at `now`.
pub fn province_report(
    period: Period,
    generated_at: DateTime<FixedOffset>,
    stations: Vec<StationFigures>,
    now: DateTime<Utc>,
) -> ProvinceReport {
    let mut totals = Counts::default();
    let mut topics = BTreeMap::new();
    let mut units = BTreeMap::new();
    let mut months = BTreeMap::new();
    let mut labels = BTreeMap::new();
    let mut relayed_ms = 0;
    let mut emergency_broadcasts = 0;
    let mut emergencies = Vec::new();
    let mut concerns = Vec::new();
    let period_end = super::source::start_of_day(
        chrono_tz::Asia::Ho_Chi_Minh,
        period.to.succ_opt().unwrap_or(period.to),
    )
    .with_timezone(&Utc);
    let silent_by = now.min(period_end);
    for s in &stations {
        let r = &s.report;
        add(&mut totals, &r.totals);
        sum_into(&mut topics, r.by_topic.iter().map(|(slug, _, c)| (slug, c)));
        for (slug, label, _) in &r.by_topic {
            labels.entry(slug.clone()).or_insert_with(|| label.clone());
        }
        sum_into(&mut units, r.by_unit.iter().map(|(u, c)| (u, c)));
        sum_into(&mut months, r.by_month.iter().map(|(m, c)| (m, c)));
        relayed_ms += r.relays.totals.relayed_ms;
        emergency_broadcasts += r.emergency_broadcasts;
        emergencies.extend(r.emergencies.iter().map(|e| (s.code.clone(), e.clone())));
        let mut why = Vec::new();
        if s.last_seen
            .is_none_or(|seen| now - seen > NOT_REPORTING_AFTER)
        {
            why.push(Concern::NotReporting);
        }
        if s.last_broadcast
            .is_none_or(|b| silent_by - b.with_timezone(&Utc) > SILENT_AFTER)
        {
            why.push(Concern::Silent);
        }
        if !s.chain.intact() {
            why.push(Concern::ChainBroken);
        }
        if !why.is_empty() {
            concerns.push((s.code.clone(), why));
        }
    }
    emergencies.sort_by_key(|(_, e)| e.at);
    ProvinceReport {
        period,
        generated_at,
        stations,
        topic_labels: labels,
        totals,
        by_topic: topics.into_iter().collect(),
        by_unit: units.into_iter().collect(),
        by_month: months.into_iter().collect(),
        relayed_ms,
        emergency_broadcasts,
        emergencies,
        concerns,
    }
}

fn concern_text(lang: Lang, c: Concern) -> &'static str {
    match c {
        Concern::NotReporting => t(
            lang,
            "không báo cáo (mất liên lạc quá 1 giờ)",
            "not reporting (no contact for over an hour)",
        ),
        Concern::Silent => t(
            lang,
            "im lặng (không phát bản tin nào trong 3 ngày)",
            "silent (no news item aired in 3 days)",
        ),
        Concern::ChainBroken => t(
            lang,
            "nhật ký không toàn vẹn (chuỗi mã băm bị đứt)",
            "log not intact (hash chain broken)",
        ),
    }
}

fn when(lang: Lang, at: Option<DateTime<FixedOffset>>) -> Cell {
    Cell::Text(match at {
        Some(at) => at.format("%d/%m/%Y %H:%M").to_string(),
        None => t(lang, "chưa bao giờ", "never").to_string(),
    })
}

fn chain_text(lang: Lang, c: &ChainReport) -> String {
    match &c.broken {
        None => t(lang, "toàn vẹn", "intact").to_string(),
        Some(b) => crate::words::Say::say(b, lang).into_owned(),
    }
}

fn heading(r: &ProvinceReport, lang: Lang) -> Heading {
    Heading {
        title: t(
            lang,
            "Báo cáo kết quả phát sóng toàn tỉnh",
            "Province broadcast report",
        ),
        lines: vec![
            (t(lang, "Kỳ báo cáo", "Period"), r.period.to_string()),
            (t(lang, "Số đài", "Stations"), r.stations.len().to_string()),
            (
                t(lang, "Lập lúc", "Generated at"),
                r.generated_at.format("%d/%m/%Y %H:%M").to_string(),
            ),
        ],
    }
}

fn tables(r: &ProvinceReport, lang: Lang) -> Vec<Table> {
    let tz = *r.generated_at.offset();
    let local = |at: Option<DateTime<Utc>>| at.map(|a| a.with_timezone(&tz));
    let total = t(lang, "Toàn tỉnh", "Province");
    let with_total = |mut rows: Vec<Vec<Cell>>| {
        rows.push(count_row(total.to_string(), &r.totals));
        rows
    };
    let line =
        |vi: &'static str, en: &'static str, c: Cell| vec![Cell::Text(t(lang, vi, en).into()), c];
    let reporting = r.stations.len()
        - r.concerns
            .iter()
            .filter(|(_, c)| c.contains(&Concern::NotReporting))
            .count();
    let summary = Table {
        sheet: t(lang, "Tổng hợp", "Summary"),
        title: t(lang, "Tổng hợp toàn tỉnh", "Province summary"),
        headers: vec![t(lang, "Chỉ tiêu", "Figure"), t(lang, "Giá trị", "Value")],
        rows: vec![
            line("Số đài", "Stations", Cell::Int(r.stations.len() as u64)),
            line(
                "Số đài đang báo cáo",
                "Stations reporting",
                Cell::Int(reporting as u64),
            ),
            line(
                "Số lượt phát bản tin",
                "Broadcasts (completed news items)",
                Cell::Int(r.totals.broadcasts),
            ),
            line(
                "Số phút phát sóng bản tin (không kể tiếp sóng)",
                "Minutes on air of news items (relays not included)",
                Cell::Decimal(r.totals.minutes()),
            ),
            line(
                "Tiếp sóng: số giờ tiếp sóng",
                "Relays: hours relayed",
                Cell::Decimal(hours(r.relayed_ms)),
            ),
            line(
                "Số lượt phát khẩn cấp",
                "Emergency broadcasts",
                Cell::Int(r.emergency_broadcasts),
            ),
            line(
                "Số lượt bị ngắt giữa chừng",
                "Interrupted plays",
                Cell::Int(r.totals.interrupted),
            ),
        ],
    };
    let stations = Table {
        sheet: t(lang, "Theo đài", "Stations"),
        title: t(lang, "Theo đài", "By station"),
        headers: vec![
            t(lang, "Mã đài", "Code"),
            t(lang, "Tên đài", "Station"),
            t(lang, "Số lượt phát", "Broadcasts"),
            t(lang, "Bị ngắt", "Interrupted"),
            t(lang, "Số phút phát sóng", "Minutes on air"),
            t(lang, "Số bản tin", "Distinct segments"),
            t(lang, "Giờ tiếp sóng", "Hours relayed"),
            t(lang, "Phát khẩn cấp", "Emergency broadcasts"),
            t(lang, "Số bản ghi trong kỳ", "Records in period"),
            t(lang, "Lần liên lạc cuối", "Last seen"),
            t(lang, "Nhật ký", "Log"),
        ],
        rows: r
            .stations
            .iter()
            .map(|s| {
                let rep = &s.report;
                vec![
                    Cell::Text(s.code.clone()),
                    Cell::Text(s.name.clone()),
                    Cell::Int(rep.totals.broadcasts),
                    Cell::Int(rep.totals.interrupted),
                    Cell::Decimal(rep.totals.minutes()),
                    Cell::Int(rep.totals.segments),
                    Cell::Decimal(hours(rep.relays.totals.relayed_ms)),
                    Cell::Int(rep.emergency_broadcasts),
                    Cell::Int(rep.records),
                    when(lang, local(s.last_seen)),
                    Cell::Text(chain_text(lang, &s.chain)),
                ]
            })
            .collect(),
    };
    let topics = Table {
        sheet: t(lang, "Chuyên mục", "Topics"),
        title: t(lang, "Theo chuyên mục", "By topic"),
        headers: count_headers(lang, t(lang, "Chuyên mục", "Topic")),
        rows: with_total(
            r.by_topic
                .iter()
                .map(|(slug, c)| {
                    let label = r.topic_labels.get(slug).unwrap_or(slug);
                    count_row(label.clone(), c)
                })
                .collect(),
        ),
    };
    let total_row = count_row(total.to_string(), &r.totals);
    let units = units_table(lang, &r.by_unit, total_row.clone());
    let months = months_table(lang, &r.by_month, total_row);
    let emergencies = Table {
        sheet: t(lang, "Khẩn cấp", "Emergencies"),
        title: t(lang, "Phát khẩn cấp", "Emergency broadcasts"),
        headers: vec![
            t(lang, "Mã đài", "Code"),
            t(lang, "Thời điểm", "Time"),
            t(lang, "Bản tin", "Item"),
            t(lang, "Kết quả", "Outcome"),
            t(lang, "Số phút", "Minutes"),
        ],
        rows: r
            .emergencies
            .iter()
            .map(|(code, e)| {
                vec![
                    Cell::Text(code.clone()),
                    when(lang, Some(e.at)),
                    Cell::Text(e.title.clone()),
                    Cell::Text(super::outcome_name_label(lang, &e.outcome).into_owned()),
                    Cell::Decimal(e.played_ms as f64 / 60_000.0),
                ]
            })
            .collect(),
    };
    let by_code: BTreeMap<&str, &StationFigures> =
        r.stations.iter().map(|s| (s.code.as_str(), s)).collect();
    let concerns = Table {
        sheet: t(lang, "Cần liên hệ", "To call"),
        title: t(
            lang,
            "Đài im lặng hoặc không báo cáo",
            "Stations silent or not reporting",
        ),
        headers: vec![
            t(lang, "Mã đài", "Code"),
            t(lang, "Tên đài", "Station"),
            t(lang, "Lần phát bản tin cuối", "Last news item aired"),
            t(lang, "Lần liên lạc cuối", "Last seen"),
            t(lang, "Tình trạng", "State"),
        ],
        rows: r
            .concerns
            .iter()
            .map(|(code, why)| {
                let s = by_code.get(code.as_str());
                let words: Vec<&str> = why.iter().map(|c| concern_text(lang, *c)).collect();
                vec![
                    Cell::Text(code.clone()),
                    Cell::Text(s.map(|s| s.name.clone()).unwrap_or_default()),
                    when(lang, s.and_then(|s| s.last_broadcast)),
                    when(lang, s.and_then(|s| local(s.last_seen))),
                    Cell::Text(words.join("; ")),
                ]
            })
            .collect(),
    };
    vec![
        summary,
        stations,
        topics,
        units,
        months,
        emergencies,
        concerns,
    ]
}

/// The province report as text (Markdown, CSV or HTML).
pub fn province_to_string(r: &ProvinceReport, format: ReportFormat, lang: Lang) -> Result<String> {
    render::tables_to_string(&heading(r, lang), &tables(r, lang), format, lang)
}

/// The province report written to `path`.
pub fn province_to_path(
    r: &ProvinceReport,
    format: ReportFormat,
    lang: Lang,
    path: &Path,
) -> Result<()> {
    render::tables_to_path(&heading(r, lang), &tables(r, lang), format, lang, path)
}
