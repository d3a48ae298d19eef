//! One vocabulary, Vietnamese first: every value, reason, warning and error code the station
//! can show is rendered from one table, and the Vietnamese rendering holds no English.

use loaxa::model::AsRunRecord;
use loaxa::report::{ExportFormat, ExportOptions, Lang, export_cells, write_export};

/// The CSV export of `records` in `lang`, through the writer `loaxa log export` uses.
fn csv_of(records: &[AsRunRecord], lang: Lang) -> String {
    let opts = ExportOptions {
        lang,
        ..ExportOptions::default()
    };
    let mut out = Vec::new();
    write_export(
        records.iter().cloned().map(Ok),
        ExportFormat::Csv,
        &opts,
        &mut out,
    )
    .expect("csv export");
    String::from_utf8(out).expect("utf-8")
}

/// A record as the store keeps it, with the given trigger, outcome and reason.
fn record(trigger: &str, outcome: &str, reason: Option<&str>) -> AsRunRecord {
    let reason = match reason {
        Some(r) => serde_json::to_string(r).expect("json string"),
        None => "null".into(),
    };
    serde_json::from_str(&format!(
        r#"{{"id":7,"program":"sang","trigger":"{trigger}","role":"item",
        "scheduled_at":"2026-03-09T05:30:00+07:00","started_at":"2026-03-09T05:30:00+07:00",
        "ended_at":"2026-03-09T05:31:00+07:00","played_ms":60000,"segment_id":3,
        "title":"Bản tin","topic":"cds","unit":null,"sha256":"","outcome":"{outcome}",
        "reason":{reason},"output":"null"}}"#
    ))
    .expect("a stored record")
}

/// Regression (issue 14): the labels looked up `catch_up` while serde writes `catch-up`, so a
/// catch-up play's trigger reached the Vietnamese export untranslated.
#[test]
fn catch_up_trigger_is_translated_in_the_vietnamese_export() {
    let rec = record("catch-up", "completed", None);
    let opts = ExportOptions {
        lang: Lang::Vi,
        ..ExportOptions::default()
    };
    let cells = export_cells(&rec, &opts);
    assert_eq!(cells[2], "phát bù", "{cells:?}");
    let csv = csv_of(std::slice::from_ref(&rec), Lang::Vi);
    assert!(csv.contains(",phát bù,"), "{csv}");
    let en = ExportOptions {
        lang: Lang::En,
        ..ExportOptions::default()
    };
    assert_eq!(export_cells(&rec, &en)[2], "catch-up");
}
