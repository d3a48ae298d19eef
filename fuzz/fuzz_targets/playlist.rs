//! Both playlist forms on arbitrary text (the first byte picks TOML or M3U): no panic, every
//! diagnostic inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = if form % 2 == 0 { "p.toml" } else { "p.m3u8" };
    let file = Path::new("/srv/loaxa/playlists").join(name);
    if let Err(diagnostics) = loaxa::playlist::parse(text, &file) {
        assert!(!diagnostics.is_empty());
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> = text.split('\n').collect();
        for d in &diagnostics {
            assert!(d.line >= 1 && d.line <= lines.len(), "{d}");
            let width = lines[d.line - 1].chars().count();
            assert!(d.column >= 1 && d.column <= width + 1, "{d}");
        }
    }
});
