//! Text cells of the spreadsheets loaxa writes (the log export and the report, CSV and
//! XLSX): stored text is data, never a formula, and never too long for Excel.
//!
//! The OWASP CSV-injection rule: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! line break would be read by Excel or LibreOffice as a formula, so CSV writes it after a
//! `'` (which both show as text). Only text cells: numbers (a loudness of -16) stay numbers.
//! XLSX stores such text as a string cell with Excel's "quote prefix" style, the file-format
//! form of that same `'`, so editing the cell keeps it text. Excel holds at most 32 767
//! characters in a cell: a longer text (a title stored before titles had a limit) is cut
//! there, with an ellipsis, so the export never fails.

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

/// Excel's limit on the characters of one cell.
pub const XLSX_MAX_CHARS: usize = 32_767;

/// Whether a spreadsheet would read text starting like `s` as a formula.
pub fn starts_formula(s: &str) -> bool {
    matches!(
        s.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n')
    )
}

/// A text cell as CSV writes it: `'` first when it would start a formula.
pub fn csv_text(s: &str) -> Cow<'_, str> {
    if starts_formula(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Writes `s` as a string cell: quote-prefixed when it would start a formula, cut to
/// [`XLSX_MAX_CHARS`]. `format` is the cell's style, if any.
pub fn write_xlsx_text(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    s: &str,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    let text = crate::text::truncate(s, XLSX_MAX_CHARS);
    match (starts_formula(&text), format) {
        (true, f) => {
            let quoted = f.cloned().unwrap_or_default().set_quote_prefix();
            ws.write_string_with_format(row, col, text, &quoted)?
        }
        (false, Some(f)) => ws.write_string_with_format(row, col, text, f)?,
        (false, None) => ws.write_string(row, col, text)?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_quoted_in_csv() {
        for s in ["=1+2", "+84 912", "-3", "@SUM(A1)", "\tx", "\rx", "\nx"] {
            assert_eq!(csv_text(s), format!("'{s}"), "{s:?}");
        }
        for s in ["Bản tin", "", "1-2", "'=already", " =x"] {
            assert_eq!(csv_text(s), s, "{s:?}");
        }
    }
}
