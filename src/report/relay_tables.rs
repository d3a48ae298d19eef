//! The report's *Tiếp sóng* section: relay windows and hours per program, hours per source
//! URL, and the source faults met most often. Relays are counted here only, never as news
//! items (see `summary`).

use super::Lang;
use super::summary::{RelayCounts, Relays};
use super::tables::{Cell, Table, hours, minutes, t};
use crate::words::Say;

/// The section's tables, in print order.
pub(super) fn relay_tables(relays: &Relays, lang: Lang) -> Vec<Table> {
    vec![
        by_program(relays, lang),
        by_source(relays, lang),
        faults(relays, lang),
    ]
}

fn by_program(relays: &Relays, lang: Lang) -> Table {
    let mut rows: Vec<Vec<Cell>> = relays
        .by_program
        .iter()
        .map(|(name, c)| program_row(name.clone(), c))
        .collect();
    if !rows.is_empty() {
        rows.push(program_row(
            t(lang, "Tổng cộng", "Total").into(),
            &relays.totals,
        ));
    }
    Table {
        sheet: t(lang, "Tiếp sóng", "Relays"),
        title: t(
            lang,
            "Tiếp sóng theo chương trình",
            "Relays (tiếp sóng) by program",
        ),
        headers: vec![
            t(lang, "Chương trình", "Program"),
            t(lang, "Số lần tiếp sóng", "Relay windows"),
            t(lang, "Số lần không có nguồn nào", "Windows with no source"),
            t(lang, "Số giờ tiếp sóng", "Hours relayed"),
            t(lang, "Số phút mất tín hiệu", "Dropout minutes"),
            t(lang, "Tỷ lệ mất tín hiệu (%)", "Dropout share (%)"),
        ],
        rows,
    }
}

fn program_row(name: String, c: &RelayCounts) -> Vec<Cell> {
    vec![
        Cell::Text(name),
        Cell::Int(c.windows),
        Cell::Int(c.no_source),
        Cell::Decimal(hours(c.relayed_ms)),
        Cell::Decimal(minutes(c.dropout_ms)),
        Cell::Decimal(c.dropout_share() * 100.0),
    ]
}

fn by_source(relays: &Relays, lang: Lang) -> Table {
    Table {
        sheet: t(lang, "Nguồn tiếp sóng", "Relay sources"),
        title: t(lang, "Tiếp sóng theo nguồn", "Relays by source"),
        headers: vec![
            t(lang, "Nguồn (địa chỉ)", "Source (URL)"),
            t(lang, "Số giờ tiếp sóng", "Hours relayed"),
        ],
        rows: relays
            .by_source
            .iter()
            .map(|(url, ms)| vec![Cell::Text(url.clone()), Cell::Decimal(hours(*ms))])
            .collect(),
    }
}

fn faults(relays: &Relays, lang: Lang) -> Table {
    let unkept = t(
        lang,
        "(các lần lỗi khác, không lưu chi tiết)",
        "(further failures, not kept in detail)",
    );
    Table {
        sheet: t(lang, "Lỗi nguồn", "Relay faults"),
        title: t(
            lang,
            "Lỗi nguồn tiếp sóng thường gặp",
            "Most frequent relay source faults",
        ),
        headers: vec![t(lang, "Lỗi", "Fault"), t(lang, "Số lần", "Count")],
        rows: relays
            .faults
            .iter()
            .map(|(fault, n)| {
                let words = fault
                    .as_ref()
                    .map_or_else(|| unkept.to_string(), |f| f.say(lang).into_owned());
                vec![Cell::Text(words), Cell::Int(*n)]
            })
            .collect(),
    }
}
