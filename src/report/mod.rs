//! Exports of the broadcast log and the half-year report to the province.
//!
//! Everything streams: records come one at a time from the store ([`source`]), exports write
//! them as they come ([`export`]) and the report folds them into per-group counters
//! ([`summarise`]), so memory stays the same for a week or ten years of log. Renderers
//! ([`render`]) take the finished [`Report`]; labels exist in Vietnamese (the default, what
//! the commune office files) and English ([`Lang`]).

mod cell;
mod export;
mod export_xlsx;
mod labels;
mod outfile;
mod period;
mod province;
mod relay_tables;
mod render;
pub mod source;
mod summary;
mod tables;
pub mod view;

pub use export::{
    ExportFormat, ExportOptions, Separator, export_cells, export_csv_cells, export_store_to_path,
    export_to_path, write_export, write_store_export,
};
pub use labels::{
    export_headers, outcome_label, outcome_name_label, priority_label, role_label, trigger_label,
};
pub use outfile::{check_target, write_atomically};
pub use period::Period;
pub use province::{
    Concern, NOT_REPORTING_AFTER, ProvinceReport, SILENT_AFTER, StationFigures, province_report,
    province_to_path, province_to_string,
};
pub use render::{ReportFormat, render_to_path, render_to_string};
pub use summary::{
    Counts, EmergencyPlay, ProgramCounts, RelayCounts, Relays, Report, ReportMeta, dropout_share,
    is_content, serde_name, summarise,
};

use std::fmt;
use std::str::FromStr;

/// The language of headers, labels and translated values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Vietnamese, the default: what the office files with the province.
    #[default]
    Vi,
    En,
}

impl FromStr for Lang {
    type Err = crate::words::BadValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vi" => Ok(Lang::Vi),
            "en" => Ok(Lang::En),
            _ => Err(crate::words::BadValue::Lang { value: s.into() }),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        })
    }
}
