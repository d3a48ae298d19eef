//! The config reader on arbitrary text: no panic, every diagnostic inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|text: &str| {
    let file = Path::new("/etc/loaxa/loaxa.toml");
    if let Err(e) = loaxa::config::parse(text, file) {
        assert!(!e.diagnostics.is_empty());
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> = text.split('\n').collect();
        for d in &e.diagnostics {
            assert!(d.line >= 1 && d.line <= lines.len(), "{d}");
            let width = lines[d.line - 1].chars().count();
            assert!(d.column >= 1 && d.column <= width + 1, "{d}");
        }
    }
});
