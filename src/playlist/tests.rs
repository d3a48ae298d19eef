//! Playlist files as operators write them: TOML and M3U, BOMs, CRLF, NFD names, mistakes.

use std::path::{Path, PathBuf};

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn file(e: &Entry) -> (&Path, &str, Option<&str>, Option<&str>) {
    match e {
        Entry::File {
            path,
            title,
            topic,
            unit,
            ..
        } => (path, title, topic.as_deref(), unit.as_deref()),
        Entry::Segment { .. } => panic!("expected a file entry, got {e:?}"),
    }
}

#[test]
fn toml_playlist() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = write(
        tmp.path(),
        "sang.toml",
        r#"title = "Bản tin sáng"
order = "rotate"
topic = "nq57"
unit = "Phòng Văn hóa – Xã hội"
[[item]]
segment = 12
[[item]]
file = "demo/ban-tin-1.ogg"
title = "Chuyển đổi số là gì?"
topic = "cds"
[[item]]
file = "demo/ban-tin-2.ogg"
unit = "Trường THCS"
"#,
    );
    let list = load(&p).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(list.name, "sang");
    assert_eq!(list.title.as_deref(), Some("Bản tin sáng"));
    assert_eq!(list.order, Order::Rotate);
    assert_eq!(list.entries.len(), 3);
    assert_eq!(
        list.entries[0],
        Entry::Segment {
            id: SegmentId(12),
            line: 6
        }
    );
    let (path, title, topic, unit) = file(&list.entries[1]);
    assert_eq!(path, tmp.path().join("demo/ban-tin-1.ogg"));
    assert!(path.is_absolute());
    assert_eq!(
        (title, topic, unit),
        (
            "Chuyển đổi số là gì?",
            Some("cds"),
            Some("Phòng Văn hóa – Xã hội")
        )
    );
    assert_eq!(list.entries[1].line(), 8);
    let (_, title, topic, unit) = file(&list.entries[2]);
    assert_eq!(
        (title, topic, unit),
        ("ban-tin-2", Some("nq57"), Some("Trường THCS"))
    );
}

#[test]
fn toml_playlist_mistakes_are_all_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = write(
        tmp.path(),
        "x.toml",
        "order = \"random\"\n[[item]]\nsegment = 1\nfile = \"a.ogg\"\n[[item]]\ntitle = \"no file\"\n[[item]]\nfiel = \"b.ogg\"\n",
    );
    let d = load(&p).expect_err("mistakes");
    let at: Vec<(usize, usize)> = d.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(at, vec![(1, 9), (4, 8), (5, 1), (7, 1), (8, 1)], "{d:#?}");
    assert_eq!(d[4].hint.as_deref(), Some("did you mean `file`?"));
    assert!(
        d[0].to_string()
            .contains("x.toml:1:9: error: order `random`"),
        "{}",
        d[0]
    );
}

#[test]
fn m3u_with_bom_crlf_extinf_and_directives() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = "\u{feff}#EXTM3U\r\n#PLAYLIST:Bản tin chiều\r\n#LOAXA-ORDER:shuffle\r\n#LOAXA-TOPIC:khcn\r\n#LOAXA-UNIT:Phòng Kinh tế\r\n# a comment\r\n#EXTINF:93,Ngày 18/5\r\ndemo\\ban-tin-1.ogg\r\n\r\n#LOAXA-TOPIC:cds\r\n#LOAXA-SEGMENT:#7\r\ndemo/ban-tin-2.ogg\r\n";
    let p = write(tmp.path(), "chieu.m3u8", text);
    let list = load(&p).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(list.title.as_deref(), Some("Bản tin chiều"));
    assert_eq!(list.order, Order::Shuffle);
    assert_eq!(list.entries.len(), 3);
    let (path, title, topic, unit) = file(&list.entries[0]);
    assert_eq!(path, tmp.path().join("demo/ban-tin-1.ogg"));
    assert_eq!(
        (title, topic, unit),
        ("Ngày 18/5", Some("khcn"), Some("Phòng Kinh tế"))
    );
    assert_eq!(list.entries[0].line(), 8);
    assert_eq!(
        list.entries[1],
        Entry::Segment {
            id: SegmentId(7),
            line: 11
        }
    );
    let (_, title, topic, _) = file(&list.entries[2]);
    assert_eq!((title, topic), ("ban-tin-2", Some("cds")));
}

#[test]
fn nfd_names_become_nfc() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let nfd_title: String = "Bản tin".nfd().collect();
    let nfd_file: String = "bản-tin.mp3".nfd().collect();
    assert_ne!(nfd_title, "Bản tin");
    let p = write(
        tmp.path(),
        "a.m3u",
        &format!("#EXTINF:1,{nfd_title}\n{nfd_file}\n{nfd_file}\n"),
    );
    let list = load(&p).unwrap_or_else(|d| panic!("{d:#?}"));
    let (path, title, ..) = file(&list.entries[0]);
    assert_eq!(title, "Bản tin");
    assert_eq!(path, tmp.path().join("bản-tin.mp3"));
    let (_, title, ..) = file(&list.entries[1]);
    assert_eq!(title, "bản-tin");
}

#[test]
fn m3u_mistakes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = write(
        tmp.path(),
        "b.m3u",
        "http://radio.example/stream.mp3\n#LOAXA-ORDER:backwards\n#LOAXA-TOPC:x\nok.mp3\n",
    );
    let d = load(&p).expect_err("mistakes");
    let lines: Vec<usize> = d.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![1, 2, 3], "{d:#?}");
    let latin1 = tmp.path().join("c.m3u");
    std::fs::write(&latin1, b"b\xe1n tin.mp3\n").expect("write");
    let d = load(&latin1).expect_err("not utf-8");
    assert!(d[0].message.contains("UTF-8"), "{d:#?}");
}

#[test]
fn directory_and_duplicate_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "sang.toml", "[[item]]\nsegment = 1\n");
    write(tmp.path(), "sang.m3u", "a.mp3\n");
    write(tmp.path(), "chieu.m3u8", "b.mp3\n");
    write(tmp.path(), "broken.toml", "order = \n");
    write(tmp.path(), "notes.txt", "not a playlist\n");
    let (lists, diagnostics) = load_dir(tmp.path());
    assert_eq!(lists.keys().collect::<Vec<_>>(), ["chieu", "sang"]);
    assert_eq!(
        lists["sang"].entries,
        vec![Entry::Segment {
            id: SegmentId(1),
            line: 2
        }]
    );
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    assert!(
        diagnostics
            .iter()
            .any(|d| d.message.contains("also called \"sang\""))
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| d.file.ends_with("broken.toml") && d.line == 1)
    );
    assert_eq!(find(tmp.path(), "sang"), Some(tmp.path().join("sang.toml")));
    assert_eq!(
        find(tmp.path(), "chieu"),
        Some(tmp.path().join("chieu.m3u8"))
    );
    assert_eq!(find(tmp.path(), "nope"), None);
    let (lists, diagnostics) = load_dir(&tmp.path().join("missing"));
    assert!(
        lists.is_empty() && diagnostics.is_empty(),
        "{diagnostics:#?}"
    );
    // A file where the folder should be cannot be read: that is said.
    let (lists, diagnostics) = load_dir(&tmp.path().join("chieu.m3u8"));
    assert!(
        lists.is_empty() && diagnostics.len() == 1,
        "{diagnostics:#?}"
    );
}

#[test]
fn shipped_playlists_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("playlists");
    let (lists, diagnostics) = load_dir(&dir);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    for name in ["demo", "ban-tin-sang", "ban-tin-chieu"] {
        assert!(!lists[name].entries.is_empty(), "{name}");
    }
    assert_eq!(lists["demo"].order, Order::Rotate);
    assert_eq!(lists["ban-tin-chieu"].order, Order::Rotate);
}
