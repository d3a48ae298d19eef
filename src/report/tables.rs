//! The report as labelled tables, in one language: what every renderer lays out.

use super::summary::{Counts, Report};
use super::{Lang, labels};

/// A cell: text, a count, or a figure with one decimal (minutes, hours, a percentage).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Text(String),
    Int(u64),
    Decimal(f64),
}

impl Cell {
    /// As text, with the language's decimal mark (12,5 in Vietnamese).
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Decimal(m) => {
                // Half up (8.25 → 8.3), as people round, not half to even.
                let s = format!("{:.1}", (m * 10.0).round() / 10.0);
                match lang {
                    Lang::Vi => s.replace('.', ","),
                    Lang::En => s,
                }
            }
        }
    }

    pub fn is_number(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

pub(super) struct Table {
    /// Short name (an XLSX sheet name: at most 31 characters).
    pub sheet: &'static str,
    pub title: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// The report's heading: title and `(label, value)` lines.
pub(super) struct Heading {
    pub title: &'static str,
    pub lines: Vec<(&'static str, String)>,
}

pub(super) fn t(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

pub(super) fn heading(report: &Report, lang: Lang) -> Heading {
    let m = &report.meta;
    Heading {
        title: t(lang, "Báo cáo kết quả phát sóng", "Broadcast report"),
        lines: vec![
            (t(lang, "Đài", "Station"), m.station.clone()),
            (t(lang, "Kỳ báo cáo", "Period"), m.period.to_string()),
            (
                t(lang, "Lập lúc", "Generated at"),
                m.generated_at.format("%d/%m/%Y %H:%M").to_string(),
            ),
        ],
    }
}

pub(super) fn count_headers(lang: Lang, first: &'static str) -> Vec<&'static str> {
    vec![
        first,
        t(lang, "Số lượt phát", "Broadcasts"),
        t(lang, "Bị ngắt", "Interrupted"),
        t(lang, "Số phút phát sóng", "Minutes on air"),
        t(lang, "Số bản tin", "Distinct segments"),
    ]
}

pub(super) fn count_row(name: String, c: &Counts) -> Vec<Cell> {
    vec![
        Cell::Text(name),
        Cell::Int(c.broadcasts),
        Cell::Int(c.interrupted),
        Cell::Decimal(c.minutes()),
        Cell::Int(c.segments),
    ]
}

/// Every table of the report, in print order.
pub(super) fn tables(report: &Report, lang: Lang) -> Vec<Table> {
    let total = t(lang, "Tổng cộng", "Total");
    let with_total = |mut rows: Vec<Vec<Cell>>| {
        rows.push(count_row(total.to_string(), &report.totals));
        rows
    };
    let s = &report.totals;
    let summary = Table {
        sheet: t(lang, "Tổng hợp", "Summary"),
        title: t(lang, "Tổng hợp", "Summary"),
        headers: vec![t(lang, "Chỉ tiêu", "Figure"), t(lang, "Giá trị", "Value")],
        rows: vec![
            vec![
                Cell::Text(
                    t(
                        lang,
                        "Số lượt phát bản tin",
                        "Broadcasts (completed news items)",
                    )
                    .into(),
                ),
                Cell::Int(s.broadcasts),
            ],
            vec![
                Cell::Text(
                    t(
                        lang,
                        "Số phút phát sóng bản tin (không kể tiếp sóng)",
                        "Minutes on air of news items (relays not included)",
                    )
                    .into(),
                ),
                Cell::Decimal(s.minutes()),
            ],
            vec![
                Cell::Text(t(lang, "Tiếp sóng: số lần", "Relays: windows").into()),
                Cell::Int(report.relays.totals.windows),
            ],
            vec![
                Cell::Text(t(lang, "Tiếp sóng: số giờ tiếp sóng", "Relays: hours relayed").into()),
                Cell::Decimal(hours(report.relays.totals.relayed_ms)),
            ],
            vec![
                Cell::Text(t(lang, "Số bản tin khác nhau", "Distinct segments").into()),
                Cell::Int(s.segments),
            ],
            vec![
                Cell::Text(t(lang, "Số lượt bị ngắt giữa chừng", "Interrupted plays").into()),
                Cell::Int(s.interrupted),
            ],
            vec![
                Cell::Text(
                    t(
                        lang,
                        "Số lượt phát ra im lặng (không có tiếng)",
                        "Plays that went out silent",
                    )
                    .into(),
                ),
                Cell::Int(report.silent),
            ],
            vec![
                Cell::Text(t(lang, "Số lượt phát khẩn cấp", "Emergency broadcasts").into()),
                Cell::Int(report.emergency_broadcasts),
            ],
            vec![
                Cell::Text(t(lang, "Nhạc hiệu: số lượt phát", "Signature tunes: plays").into()),
                Cell::Int(report.signature.broadcasts),
            ],
            vec![
                Cell::Text(t(lang, "Nhạc hiệu: số phút", "Signature tunes: minutes").into()),
                Cell::Decimal(report.signature.minutes()),
            ],
            vec![
                Cell::Text(t(lang, "Số bản ghi nhật ký", "Log records").into()),
                Cell::Int(report.records),
            ],
            vec![
                Cell::Text(
                    t(
                        lang,
                        "Mã kiểm tra nhật ký (loaxa log verify --expect)",
                        "Log check code (loaxa log verify --expect)",
                    )
                    .into(),
                ),
                Cell::Text(report.anchor.clone().unwrap_or_else(|| "-".into())),
            ],
        ],
    };
    let topics = Table {
        sheet: t(lang, "Chuyên mục", "Topics"),
        title: t(lang, "Theo chuyên mục", "By topic"),
        headers: count_headers(lang, t(lang, "Chuyên mục", "Topic")),
        rows: with_total(
            report
                .by_topic
                .iter()
                .map(|(_, label, c)| count_row(label.clone(), c))
                .collect(),
        ),
    };
    let total_row = count_row(total.to_string(), &report.totals);
    let units = units_table(lang, &report.by_unit, total_row.clone());
    let months = months_table(lang, &report.by_month, total_row);
    tables_rest(report, lang, vec![summary, topics, units, months])
}

/// *Theo đơn vị thực hiện*: a row per unit (`""`: none given), then `total`.
pub(super) fn units_table(lang: Lang, by_unit: &[(String, Counts)], total: Vec<Cell>) -> Table {
    let no_unit = t(lang, "(không ghi đơn vị)", "(no unit given)");
    let mut rows: Vec<Vec<Cell>> = by_unit
        .iter()
        .map(|(u, c)| {
            let name = if u.is_empty() { no_unit } else { u.as_str() };
            count_row(name.to_string(), c)
        })
        .collect();
    rows.push(total);
    Table {
        sheet: t(lang, "Đơn vị", "Units"),
        title: t(lang, "Theo đơn vị thực hiện", "By responsible unit"),
        headers: count_headers(lang, t(lang, "Đơn vị thực hiện", "Responsible unit")),
        rows,
    }
}

/// *Theo tháng*: a row per `YYYY-MM` (01/2026 in Vietnamese), then `total`.
pub(super) fn months_table(lang: Lang, by_month: &[(String, Counts)], total: Vec<Cell>) -> Table {
    let mut rows: Vec<Vec<Cell>> = by_month
        .iter()
        .map(|(m, c)| {
            // 2026-01 → 01/2026, as Vietnamese documents write months.
            let name = match (lang, m.split_once('-')) {
                (Lang::Vi, Some((y, mo))) => format!("{mo}/{y}"),
                _ => m.clone(),
            };
            count_row(name, c)
        })
        .collect();
    rows.push(total);
    Table {
        sheet: t(lang, "Theo tháng", "Months"),
        title: t(lang, "Theo tháng", "By month"),
        headers: count_headers(lang, t(lang, "Tháng", "Month")),
        rows,
    }
}

fn tables_rest(report: &Report, lang: Lang, mut out: Vec<Table>) -> Vec<Table> {
    out.push(Table {
        sheet: t(lang, "Chương trình", "Programs"),
        title: t(lang, "Theo chương trình", "By program"),
        headers: vec![
            t(lang, "Chương trình", "Program"),
            t(lang, "Số buổi", "Runs"),
            t(lang, "Số mục dự kiến", "Items due"),
            t(lang, "Đã phát", "Completed"),
            t(lang, "Bị ngắt", "Interrupted"),
            t(lang, "Lỗi", "Failed"),
            t(lang, "Bỏ qua", "Skipped"),
            t(lang, "Khác (bị lỡ…)", "Other (missed…)"),
        ],
        rows: report
            .programs
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.name.clone()),
                    Cell::Int(p.runs),
                    Cell::Int(p.items),
                    Cell::Int(p.outcome("completed")),
                    Cell::Int(p.outcome("interrupted")),
                    Cell::Int(p.outcome("failed")),
                    Cell::Int(p.outcome("skipped")),
                    Cell::Int(p.other()),
                ]
            })
            .collect(),
    });
    let none = t(lang, "(không ghi lý do)", "(no reason given)");
    out.push(Table {
        sheet: t(lang, "Lý do", "Reasons"),
        title: t(lang, "Lý do không phát hết", "Why plays did not complete"),
        headers: vec![
            t(lang, "Kết quả", "Outcome"),
            t(lang, "Lý do", "Reason"),
            t(lang, "Số lần", "Count"),
        ],
        rows: report
            .reasons
            .iter()
            .map(|(outcome, reason, n)| {
                let reason = if reason.is_empty() {
                    none.to_string()
                } else {
                    crate::words::reason_text(lang, reason).into_owned()
                };
                vec![
                    Cell::Text(labels::outcome_name_label(lang, outcome).into_owned()),
                    Cell::Text(reason),
                    Cell::Int(*n),
                ]
            })
            .collect(),
    });
    out.push(emergencies(report, lang));
    out.extend(super::relay_tables::relay_tables(&report.relays, lang));
    out.push(lives(report, lang));
    out
}

fn lives(report: &Report, lang: Lang) -> Table {
    Table {
        sheet: t(lang, "Trực tiếp", "Live"),
        title: t(lang, "Phát trực tiếp", "Live broadcasts"),
        headers: vec![
            t(lang, "Thời gian", "Time"),
            t(lang, "Tiêu đề", "Title"),
            t(lang, "Người nói", "Speaker"),
            t(lang, "Mức độ", "Level"),
            t(lang, "Kết quả", "Outcome"),
            t(lang, "Số phút", "Minutes"),
            t(lang, "Mã băm bản ghi âm (sha256)", "Air-check sha256"),
        ],
        rows: report
            .lives
            .iter()
            .map(|l| {
                vec![
                    Cell::Text(l.at.format("%d/%m/%Y %H:%M").to_string()),
                    Cell::Text(l.title.clone()),
                    Cell::Text(l.by.clone()),
                    Cell::Text(crate::words::Say::say(&l.priority, lang).into_owned()),
                    Cell::Text(labels::outcome_name_label(lang, &l.outcome).into_owned()),
                    Cell::Decimal(minutes(l.played_ms)),
                    Cell::Text(l.sha256.clone()),
                ]
            })
            .collect(),
    }
}

/// Milliseconds as hours, for display.
pub(super) fn hours(ms: u64) -> f64 {
    ms as f64 / 3_600_000.0
}

/// Milliseconds as minutes, for display.
pub(super) fn minutes(ms: u64) -> f64 {
    ms as f64 / 60_000.0
}

fn emergencies(report: &Report, lang: Lang) -> Table {
    Table {
        sheet: t(lang, "Khẩn cấp", "Emergencies"),
        title: t(lang, "Phát khẩn cấp", "Emergency broadcasts"),
        headers: vec![
            t(lang, "Thời gian", "Time"),
            t(lang, "Chương trình", "Program"),
            t(lang, "Tiêu đề", "Title"),
            t(lang, "Kết quả", "Outcome"),
            t(lang, "Số phút", "Minutes"),
        ],
        rows: report
            .emergencies
            .iter()
            .map(|e| {
                vec![
                    Cell::Text(e.at.format("%d/%m/%Y %H:%M").to_string()),
                    Cell::Text(e.program.clone()),
                    Cell::Text(e.title.clone()),
                    Cell::Text(labels::outcome_name_label(lang, &e.outcome).into_owned()),
                    Cell::Decimal(minutes(e.played_ms)),
                ]
            })
            .collect(),
    }
}
