//! One vocabulary, Vietnamese first: every value, reason, warning and error code the station
//! can show is rendered from one table, and the Vietnamese rendering holds no English.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/live.rs"]
mod live;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::collections::BTreeMap;

use loaxa::model::AsRunRecord;
use loaxa::report::{
    ExportFormat, ExportOptions, Lang, Period, ReportFormat, ReportMeta, export_cells,
    render_to_string, summarise, write_export,
};
use loaxa::words::{self, ErrorCode, Reason, Say, Warning};

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

// ---------- every code has Vietnamese words ----------

/// English words that have no business in a Vietnamese text (parameters aside: the samples'
/// parameters are chosen free of them, and commands are quoted in backticks).
const ENGLISH: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "not",
    "no",
    "on",
    "of",
    "and",
    "or",
    "to",
    "by",
    "at",
    "in",
    "for",
    "from",
    "with",
    "it",
    "be",
    "would",
    "there",
    "this",
    "that",
    "air",
    "aired",
    "cannot",
    "failed",
    "skipped",
    "missed",
    "completed",
    "interrupted",
    "program",
    "segment",
    "daemon",
    "output",
    "error",
    "file",
    "nothing",
    "expired",
    "valid",
    "before",
    "after",
    "approved",
    "played",
    "ended",
    "early",
    "cut",
    "stopped",
    "operator",
    "broadcast",
    "library",
    "playlist",
    "found",
    "warning",
    "disk",
    "full",
    "token",
    "upload",
    "request",
    "item",
    "items",
    "emergency",
    "manual",
    "schedule",
    "unavailable",
    "sound",
    "log",
    "record",
    "wait",
    "clock",
    "reads",
    "empty",
    "title",
    "topic",
    "unknown",
    "queue",
    "entry",
    "repeat",
    "running",
    "shut",
    "down",
    "shutting",
    "intro",
    "outro",
    "separator",
    "normal",
    "priority",
    "catch",
    "up",
    "skip",
    "stop",
    "give",
    "use",
    "see",
    "free",
    "space",
    "limit",
    "larger",
    "route",
    "right",
    "now",
    "reached",
    "duration",
    "tune",
    "alone",
    "longer",
    "will",
];

/// The words of `text` outside backtick-quoted commands, lower-cased.
fn words_outside_code(text: &str) -> Vec<String> {
    let prose: String = text
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect::<Vec<_>>()
        .join(" ");
    prose
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Fails with every text in `vi` that is untranslated: equal to the English, without a
/// Vietnamese letter, or holding an English word.
fn assert_vietnamese(what: &str, vi: &str, en: &str, bad: &mut Vec<String>) {
    if vi == en {
        bad.push(format!("{what}: the same in both languages: {vi}"));
    }
    if vi.is_ascii() {
        bad.push(format!("{what}: no Vietnamese letter: {vi}"));
    }
    let english: Vec<String> = words_outside_code(vi)
        .into_iter()
        .filter(|w| ENGLISH.contains(&w.as_str()))
        .collect();
    if !english.is_empty() {
        bad.push(format!("{what}: English words {english:?} in: {vi}"));
    }
}

fn check_all<T: Say + std::fmt::Debug>(values: &[T], bad: &mut Vec<String>) {
    for v in values {
        assert_vietnamese(&format!("{v:?}"), &v.say(Lang::Vi), &v.say(Lang::En), bad);
    }
}

/// Every variant of every enum the operator can read, rendered in Vietnamese.
#[test]
fn every_variant_of_every_enum_has_vietnamese_words() {
    let mut bad = Vec::new();
    check_all(&words::all_outcomes(), &mut bad);
    check_all(&words::all_triggers(), &mut bad);
    check_all(&words::all_roles(), &mut bad);
    check_all(&words::all_priorities(), &mut bad);
    check_all(&Reason::samples(), &mut bad);
    check_all(&Warning::samples(), &mut bad);
    check_all(&ErrorCode::samples(), &mut bad);
    check_all(&words::fault_samples(), &mut bad);
    check_all(&words::air_samples(), &mut bad);
    check_all(&words::InboxProblem::samples(), &mut bad);
    check_all(
        &[
            loaxa::store::InboxAction::AiredAtOnce,
            loaxa::store::InboxAction::Expired,
            loaxa::store::InboxAction::Queued,
            loaxa::store::InboxAction::AwaitsApproval,
            loaxa::store::InboxAction::InLibrary,
        ],
        &mut bad,
    );
    for code in ErrorCode::samples() {
        if let (Some(vi), Some(en)) = (code.hint(Lang::Vi), code.hint(Lang::En)) {
            assert_vietnamese(&format!("hint of {code:?}"), &vi, &en, &mut bad);
        }
    }
    // The samples cover every variant: serde names each one, and the codes are distinct.
    let codes: std::collections::BTreeSet<String> =
        Reason::samples().iter().map(Reason::code).collect();
    assert_eq!(
        codes.len() + 1,
        Reason::samples().len(),
        "one sample a code (`not_aired` twice)"
    );
    // One sample of each fault and of each thing a relay airs: serde names each one once.
    for codes in [
        serde_codes(&words::fault_samples(), "code"),
        serde_codes(&words::air_samples(), "to"),
    ] {
        assert_eq!(codes.1, codes.0.len(), "one sample a variant: {codes:?}");
    }
    assert!(bad.is_empty(), "untranslated:\n{}", bad.join("\n"));
}

/// The distinct serde tags (`tag`) of `values`, and how many values there were.
fn serde_codes<T: serde::Serialize>(
    values: &[T],
    tag: &str,
) -> (std::collections::BTreeSet<String>, usize) {
    let codes = values
        .iter()
        .map(|v| serde_json::to_value(v).expect("json")[tag].to_string())
        .collect();
    (codes, values.len())
}

/// The check itself catches an untranslated text.
#[test]
fn the_check_catches_english() {
    let mut bad = Vec::new();
    assert_vietnamese("x", "daemon shut down", "daemon shut down", &mut bad);
    assert_vietnamese("y", "phần mềm bị cut", "cut", &mut bad);
    assert_eq!(bad.len(), 4, "{bad:?}");
    let mut good = Vec::new();
    assert_vietnamese(
        "z",
        "hãy xem `loaxa segment list`",
        "see `loaxa segment list`",
        &mut good,
    );
    assert!(good.is_empty(), "{good:?}");
}

// ---------- the Vietnamese report and CSV of a log hold no English reason ----------

/// A record for each reason, once in the stored form of this build and once (where an
/// earlier build wrote one) as its English prose.
fn records_with_every_reason() -> Vec<AsRunRecord> {
    let mut out = Vec::new();
    for (i, r) in Reason::samples().into_iter().enumerate() {
        let mut rec = record("schedule", "failed", Some(&r.stored()));
        rec.id = 2 * i as u64 + 1;
        out.push(rec);
        let legacy = r.say(Lang::En).into_owned();
        if Reason::from_stored(&legacy).as_ref() == Some(&r) {
            let mut rec = record("schedule", "skipped", Some(&legacy));
            rec.id = 2 * i as u64 + 2;
            out.push(rec);
        }
    }
    out
}

#[test]
fn the_vietnamese_report_and_csv_of_a_log_with_every_reason_hold_no_english_reason() {
    let records = records_with_every_reason();
    let legacy = records.len() - Reason::samples().len();
    assert!(
        legacy >= 20,
        "most reasons have a legacy English form: {legacy}"
    );
    let csv = csv_of(&records, Lang::Vi);
    let meta = ReportMeta {
        station: "Đài xã".into(),
        period: "2026-H1".parse::<Period>().expect("period"),
        topics: Default::default(),
        generated_at: records[0].scheduled_at,
    };
    let report = summarise(records.clone(), meta);
    let rendered: Vec<(String, String)> = [ReportFormat::Md, ReportFormat::Html, ReportFormat::Csv]
        .into_iter()
        .map(|f| {
            let text = render_to_string(&report, f, Lang::Vi).expect("report renders");
            (format!("report {f:?}"), text)
        })
        .chain([("CSV export".to_string(), csv)])
        .collect();
    for (what, text) in &rendered {
        for r in Reason::samples() {
            let en = r.say(Lang::En);
            // A technical cause is English in both (a parameter): its words are not.
            let detail_only = matches!(r, Reason::FileUnusable { .. } | Reason::PlayFailed { .. });
            assert!(
                detail_only || !text.contains(&*en),
                "{what}: English `{en}` in:\n{text}"
            );
            let vi = r.say(Lang::Vi);
            let shown = text.replace("\"\"", "\"");
            assert!(shown.contains(&*vi), "{what}: `{vi}` missing in:\n{text}");
        }
    }
    // And in English, the English words.
    let en = csv_of(&records, Lang::En);
    assert!(en.contains("stopped by the operator"), "{en}");
}

// ---------- the page has words for every code the server sends ----------

/// `key: "text"` entries of the `vi` and `en` tables of `src/api/web/i18n.js`.
fn page_tables() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let js = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/web/i18n.js"))
        .expect("i18n.js");
    let start_en = js.find("\n  en: {").expect("an en table");
    let entries = |part: &str| {
        part.lines()
            .filter_map(|l| {
                let (key, rest) = l.trim().split_once(": \"")?;
                let key = key.trim();
                key.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    .then(|| {
                        (
                            key.to_string(),
                            rest.trim_end_matches(',').trim_end_matches('"').to_string(),
                        )
                    })
            })
            .collect::<BTreeMap<_, _>>()
    };
    (entries(&js[..start_en]), entries(&js[start_en..]))
}

/// The page key of a code as the server serialises it, with its parameters' names.
fn page_key(kind: &str, value: &serde_json::Value) -> (String, Vec<String>) {
    let map = value.as_object().expect("a code is an object");
    let code = map["code"].as_str().expect("code");
    let mut params = Vec::new();
    for (k, v) in map {
        if k == "code" {
            continue;
        }
        params.push(k.clone());
        if k.ends_with("_ms") {
            params.push(format!("{}_s", &k[..k.len() - 3]));
        }
        let _ = v;
    }
    let key = if kind == "reason" && code == "not_aired" && !map["cause"].is_null() {
        "reason_not_aired_cause".to_string()
    } else {
        format!("{kind}_{code}")
    };
    (key, params)
}

#[test]
fn the_page_has_words_for_every_code_the_server_can_send() {
    let (vi, en) = page_tables();
    let mut codes: Vec<(String, serde_json::Value)> = Vec::new();
    for r in Reason::samples() {
        codes.push(("reason".into(), serde_json::to_value(&r).expect("json")));
    }
    for w in Warning::samples() {
        codes.push(("warning".into(), serde_json::to_value(&w).expect("json")));
    }
    for e in ErrorCode::samples() {
        codes.push(("error".into(), serde_json::to_value(&e).expect("json")));
    }
    let mut bad = Vec::new();
    for (kind, value) in &codes {
        let (key, params) = page_key(kind, value);
        for (lang, table) in [("vi", &vi), ("en", &en)] {
            let Some(text) = table.get(&key) else {
                bad.push(format!("{lang}: no `{key}` for {value}"));
                continue;
            };
            // Every placeholder is a parameter the server sends.
            for part in text.split('{').skip(1) {
                let name = part.split('}').next().unwrap_or_default();
                if !params.iter().any(|p| p == name) {
                    bad.push(format!(
                        "{lang}: `{key}` uses {{{name}}}, not sent: {value}"
                    ));
                }
            }
        }
        if let Some(text) = vi.get(&key) {
            // The placeholders' names are not words the operator reads.
            let words: String = text
                .split('{')
                .map(|part| part.split_once('}').map_or(part, |(_, rest)| rest))
                .collect();
            let en_text = en.get(&key).cloned().unwrap_or_default();
            assert_vietnamese(&format!("page {key}"), &words, &en_text, &mut bad);
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // The page classifies nothing by English text any more.
    let pages =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/web/pages.js"))
            .expect("pages.js");
    assert!(
        !pages.contains("/expired|not approved"),
        "the English regex is gone"
    );
}

/// What a relay airs during a dropout (`on_air.relay.to`: `fallback`, `silence`) has the
/// page's words in both languages, the server's words; a source shows its URL.
#[test]
fn the_page_has_words_for_what_a_relay_airs() {
    let (vi, en) = page_tables();
    let mut bad = Vec::new();
    for air in words::air_samples() {
        let to = serde_json::to_value(&air).expect("json")["to"]
            .as_str()
            .expect("to")
            .to_string();
        if to == "source" {
            continue;
        }
        let key = format!("relay_{to}");
        match (vi.get(&key), en.get(&key)) {
            (Some(v), Some(e)) => assert_vietnamese(&key, v, e, &mut bad),
            _ => bad.push(format!("no `{key}` in both tables")),
        }
        // One vocabulary: the page says what the server says (the page capitalises).
        for (lang, table) in [(Lang::Vi, &vi), (Lang::En, &en)] {
            let page = table.get(&key).map(|w| w.to_lowercase());
            let server = air.say(lang).to_lowercase();
            if page.as_deref() != Some(server.as_str()) {
                bad.push(format!(
                    "`{key}` ({lang}): page {page:?}, server {server:?}"
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

// ---------- the API answers with codes, in the request's language ----------

/// `GET` with nothing but `headers`: what a browser or a script sends.
fn get_with(live: &live::Live, path: &str, headers: &[(&str, &str)]) -> live::Answer {
    let mut req = live.agent.get(live.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    live::read(req.call())
}

#[test]
fn api_errors_carry_their_code_and_speak_vietnamese_unless_asked_otherwise() {
    let live = live::start(live::station());
    let (status, vi) = get_with(&live, "/segments/999999", &[]);
    assert_eq!(status, 404, "{vi}");
    assert_eq!(vi["code"], "no_segment", "{vi}");
    assert_eq!(vi["id"], 999999, "{vi}");
    assert_eq!(vi["error"], "không có bản tin số 999999", "{vi}");
    assert!(
        vi["hint"].as_str().is_some_and(|h| h.contains("Bản tin")),
        "{vi}"
    );
    let (_, en) = get_with(&live, "/segments/999999?lang=en", &[]);
    assert_eq!(en["code"], "no_segment", "{en}");
    assert_eq!(en["error"], "there is no segment 999999", "{en}");
    let (_, browser) = get_with(
        &live,
        "/segments/999999",
        &[("Accept-Language", "en-US,en;q=0.9")],
    );
    assert_eq!(browser["error"], "there is no segment 999999", "{browser}");
    let (_, vi_browser) = get_with(
        &live,
        "/segments/999999",
        &[("Accept-Language", "vi-VN,vi;q=0.9,en;q=0.5")],
    );
    assert_eq!(vi_browser["error"], "không có bản tin số 999999");

    // A command with nothing on air: its own code, Vietnamese words.
    let skip = live::read(
        live.agent
            .post(live.url("/skip"))
            .header("X-Loaxa-Request", "1")
            .send_empty(),
    );
    assert_eq!(skip.0, 409, "{}", skip.1);
    assert_eq!(skip.1["code"], "nothing_on_air", "{}", skip.1);
    assert_eq!(skip.1["error"], "hiện không có gì đang phát", "{}", skip.1);

    // An error without a code of its own still has a generic one and a Vietnamese heading.
    let bad = get_with(&live, "/schedule?days=abc", &[]);
    assert_eq!(bad.0, 400, "{}", bad.1);
    assert!(bad.1["code"].is_string(), "{}", bad.1);
    let error = bad.1["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("yêu cầu không hợp lệ"), "{}", bad.1);

    // Warnings are codes too (none now, but an array of objects when there are).
    let now = get_with(&live, "/now", &[]).1;
    assert!(now["warnings"].is_array(), "{now}");
}

// ---------- the CLI speaks Vietnamese by default ----------

#[test]
fn the_cli_shows_schedule_warnings_in_vietnamese_by_default_and_english_when_asked() {
    let t = station::two_items_too_long_for_their_program();
    let vi = bin::loaxa_in("", &t.config_path(), &["schedule", "--days", "1"]);
    let out = bin::text(&vi.stdout);
    assert!(vi.status.success(), "{}", bin::text(&vi.stderr));
    assert!(
        out.contains("1 bản tin vượt thời lượng tối đa, chờ chương trình sau: Hai"),
        "{out}"
    );
    assert!(!out.contains("do not fit"), "{out}");
    let en = bin::loaxa_in("en", &t.config_path(), &["schedule", "--days", "1"]);
    assert!(bin::text(&en.stdout).contains("do not fit in max_duration"));
    let json = bin::loaxa_in("", &t.config_path(), &["schedule", "--days", "1", "--json"]);
    let first: serde_json::Value = bin::text(&json.stdout)
        .lines()
        .next()
        .map(|l| serde_json::from_str(l).expect("json"))
        .expect("a program");
    assert_eq!(first["warnings"][0]["code"], "deferred", "{first}");
    assert_eq!(first["warnings"][0]["titles"][0], "Hai", "{first}");

    // An error of the CLI's own, coded: Vietnamese by default.
    let missing = bin::loaxa_in("", &t.config_path(), &["segment", "show", "99"]);
    let said = bin::text(&missing.stderr);
    assert!(said.contains("lỗi: không có bản tin số 99"), "{said}");
    assert!(said.contains("gợi ý:"), "{said}");
}

// ---------- a refused file: coded, Vietnamese by default ----------

#[test]
fn every_code_reads_back_from_its_json() {
    // The API sends codes flat (`{"code":"file_not_audio","file":…}`) and clients read them
    // back: a file's code too, though it lives in an enum of its own.
    for code in ErrorCode::samples() {
        let json = serde_json::to_value(&code).expect("json");
        assert!(json["code"].is_string(), "{json}");
        let back: ErrorCode = serde_json::from_value(json.clone()).expect("reads back");
        assert_eq!(back, code, "{json}");
    }
}

#[test]
fn segment_add_of_a_text_file_is_refused_in_vietnamese_by_default_and_english_when_asked() {
    let t = station::TestStation::new("", &[], station::local(2026, 3, 1, 0, 0, 0));
    let notes = t.path("ghi chú.txt");
    std::fs::write(&notes, "đây là chữ, không phải âm thanh\n".repeat(200)).expect("write");
    let notes = notes.to_string_lossy().into_owned();
    let vi = bin::loaxa_in(
        "",
        &t.config_path(),
        &["segment", "add", "--topic", "cds", &notes],
    );
    assert!(!vi.status.success());
    let said = bin::text(&vi.stderr);
    assert!(
        said.contains("không phải tệp âm thanh loaxa nhận ra"),
        "{said}"
    );
    assert!(
        said.contains("hãy chuyển đổi: `ffmpeg -i 'ghi chú.txt' -c:a libmp3lame"),
        "{said}"
    );
    assert!(!said.contains("is not an audio file"), "{said}");
    let en = bin::loaxa_in(
        "en",
        &t.config_path(),
        &["segment", "add", "--topic", "cds", &notes],
    );
    let said = bin::text(&en.stderr);
    assert!(
        said.contains("is not an audio file loaxa recognises"),
        "{said}"
    );
    assert!(
        said.contains("convert it: `ffmpeg -i 'ghi chú.txt'"),
        "{said}"
    );
}

#[test]
fn an_upload_that_is_not_audio_answers_its_code_with_the_file_named_as_sent() {
    let live = live::start(live::station());
    let boundary = "loaxa-test-boundary-7f3a";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"topic\"\r\n\r\ncds\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ghi-chu.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{}\r\n--{boundary}--\r\n",
        "chữ, không phải âm thanh\n".repeat(200)
    );
    let answer = live::read(
        live.agent
            .post(live.url("/segments"))
            .header("X-Loaxa-Request", "1")
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .send(body.as_bytes()),
    );
    assert_eq!(answer.0, 422, "{}", answer.1);
    assert_eq!(answer.1["code"], "file_not_audio", "{}", answer.1);
    assert_eq!(answer.1["file"], "ghi-chu.txt", "{}", answer.1);
    let text = answer.1["error"].as_str().unwrap_or_default().to_string();
    assert!(text.contains("không phải tệp âm thanh"), "{}", answer.1);
    assert!(text.contains("ghi-chu.txt"), "{}", answer.1);
    assert!(
        !text.contains("/tmp"),
        "the temp file is not named: {}",
        answer.1
    );
}

// ---------- the service layer's refusals: coded, Vietnamese by default ----------

#[test]
fn removing_a_queued_segment_is_refused_with_its_code_and_vietnamese_words() {
    let live = live::start(live::station());
    let mut id = 0;
    live::ensure_segment(&live, &mut id);
    let (status, queued) = live.post("/queue", &serde_json::json!({ "ids": [id] }));
    assert_eq!(status, 201, "{queued}");
    let delete = |lang: &str| {
        live::read(
            live.agent
                .delete(live.url(&format!("/segments/{id}?lang={lang}")))
                .header("X-Loaxa-Request", "1")
                .call(),
        )
    };
    let (status, vi) = delete("vi");
    assert_eq!(status, 409, "{vi}");
    assert_eq!(vi["code"], "segment_in_use", "{vi}");
    assert_eq!(vi["id"], id, "{vi}");
    assert_eq!(vi["queued"], 1, "{vi}");
    assert_eq!(
        vi["error"],
        format!("bản tin số {id} «Tin» đang xếp 1 lần trong hàng chờ"),
        "{vi}"
    );
    assert!(
        vi["hint"].as_str().is_some_and(|h| h.contains("`--force`")),
        "{vi}"
    );
    let (status, en) = delete("en");
    assert_eq!(status, 409, "{en}");
    assert_eq!(
        en["error"],
        format!("segment {id} «Tin» is queued 1 time(s)"),
        "{en}"
    );
    // Still there: the refusal removed nothing.
    assert_eq!(live.get(&format!("/segments/{id}")).0, 200);

    // A timetable out of range: its own code, with the limit as a parameter.
    let (status, days) = get_with(&live, "/schedule?days=999", &[]);
    assert_eq!(status, 400, "{days}");
    assert_eq!(days["code"], "days_out_of_range", "{days}");
    assert_eq!(days["days"], 999, "{days}");
    assert!(
        days["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("999 ngày nằm ngoài khoảng cho phép")),
        "{days}"
    );
}

// ---------- what a command did, and a refused reload ----------

#[test]
fn every_command_answer_has_vietnamese_words() {
    let mut bad = Vec::new();
    check_all(&words::Done::all(), &mut bad);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn reload_answers_its_code_and_the_cli_says_it_in_vietnamese() {
    let live = live::start(live::station());
    let post = |path: &str, lang: &str| {
        live::read(
            live.agent
                .post(live.url(&format!("{path}?lang={lang}")))
                .header("X-Loaxa-Request", "1")
                .send_empty(),
        )
    };
    let (status, vi) = post("/reload", "vi");
    assert_eq!(status, 200, "{vi}");
    assert_eq!(vi["code"], "reloaded", "{vi}");
    assert_eq!(vi["done"], "đã đọc lại cấu hình và danh sách phát", "{vi}");
    let (_, en) = post("/reload", "en");
    assert_eq!(en["done"], "reloaded the config and playlists", "{en}");

    // The real CLI, through the running daemon: the code in the terminal's language.
    let cli = bin::loaxa_in("", &live.t.config_path(), &["reload"]);
    let said = bin::text(&cli.stdout);
    assert!(cli.status.success(), "{}", bin::text(&cli.stderr));
    assert_eq!(said.trim(), "đã đọc lại cấu hình và danh sách phát");
    let cli = bin::loaxa_in("en", &live.t.config_path(), &["reload"]);
    assert_eq!(
        bin::text(&cli.stdout).trim(),
        "reloaded the config and playlists"
    );

    // A config with errors is refused with its code; the running one stays.
    let config = std::fs::read_to_string(live.t.config_path()).expect("config");
    std::fs::write(
        live.t.config_path(),
        format!("{config}\n[[program]]\nname = 1\n"),
    )
    .expect("write");
    let (status, refused) = post("/reload", "vi");
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "reload_refused", "{refused}");
    assert!(
        refused["error"].as_str().is_some_and(
            |e| e.starts_with("cấu hình mới có lỗi; cấu hình đang chạy được giữ nguyên")
        ),
        "{refused}"
    );
    std::fs::write(live.t.config_path(), config).expect("write");
    live.assert_alive();
}

// ---------- config diagnostics, `segment show` and `log verify` in Vietnamese ----------

/// The English words (from [`ENGLISH`]) in `text`, outside backticks and quoted values.
fn english_in(text: &str) -> Vec<String> {
    let unquoted: String = text
        .split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect::<Vec<_>>()
        .join(" ");
    words_outside_code(&unquoted)
        .into_iter()
        .filter(|w| ENGLISH.contains(&w.as_str()))
        .collect()
}

#[test]
fn every_config_problem_has_vietnamese_words() {
    let mut bad = Vec::new();
    for p in words::ConfigProblem::samples() {
        let what = format!("{p:?}");
        assert_vietnamese(&what, &p.say(Lang::Vi), &p.say(Lang::En), &mut bad);
        // A cron rule's fix is the cron parser's own text, passed through.
        if matches!(p, words::ConfigProblem::CronSyntax { .. }) {
            continue;
        }
        match (p.hint(Lang::Vi), p.hint(Lang::En)) {
            (Some(vi), Some(en)) => assert_vietnamese(&what, &vi, &en, &mut bad),
            (vi, en) => assert_eq!(
                vi.is_some(),
                en.is_some(),
                "{what}: a hint in one language only"
            ),
        }
    }
    assert!(bad.is_empty(), "untranslated:\n{}", bad.join("\n"));
}

/// `(line, column)` of every `file:line:col:` diagnostic of `check`'s error output.
fn positions(stderr: &str) -> Vec<(String, String)> {
    stderr
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(4, ':');
            let (_, line, col) = (parts.next()?, parts.next()?, parts.next()?);
            (line.parse::<u32>().is_ok() && col.parse::<u32>().is_ok())
                .then(|| (line.to_string(), col.to_string()))
        })
        .collect()
}

#[test]
fn check_speaks_vietnamese_by_default_with_the_same_positions_as_in_english() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("pl")).expect("mkdir");
    let config = dir.path().join("loaxa.toml");
    std::fs::write(
        &config,
        "[station]\nname = \"Đài xã\"\ntimezon = \"Asia/Ho_Chi_Minh\"\ntimezone = \"Asia/Hanoi\"\n\
         data_dir = \"data\"\nplaylists_dir = \"pl\"\n\n[output]\ndevice = \"null\"\n\n\
         [[program]]\nname = \"sang\"\ncron = \"0 6 31 2 *\"\nplaylists = [\"p\"]\n\n\
         [[program]]\nname = \"sang\"\ncron = \"0 7 * * *\"\nqueue = true\n",
    )
    .expect("write config");
    let vi = bin::loaxa_in("", &config, &["check"]);
    let en = bin::loaxa_in("en", &config, &["check"]);
    assert!(!vi.status.success() && !en.status.success());
    let (vi, en) = (bin::text(&vi.stderr), bin::text(&en.stderr));
    // Every mistake, where it is, in both languages.
    let expected: Vec<(String, String)> = [("3", "1"), ("4", "12"), ("13", "8"), ("17", "8")]
        .iter()
        .map(|(l, c)| (l.to_string(), c.to_string()))
        .collect();
    assert_eq!(positions(&vi), expected, "{vi}");
    assert_eq!(positions(&en), expected, "{en}");
    for words in [
        "lỗi: khoá `timezon` không có trong `[station]`",
        "gợi ý: có phải ý bạn là `timezone`?",
        "lỗi: múi giờ \"Asia/Hanoi\" không tồn tại",
        "không bao giờ đến",
        "tên chương trình \"sang\" đã dùng ở dòng 12",
    ] {
        assert!(vi.contains(words), "missing «{words}» in:\n{vi}");
    }
    assert_eq!(english_in(&vi), Vec::<String>::new(), "{vi}");
    for words in [
        "error: unknown key `timezon` in [station]",
        "hint: did you mean `timezone`?",
        "unknown timezone \"Asia/Hanoi\"",
        "never fires",
        "program name \"sang\" is already used on line 12",
    ] {
        assert!(en.contains(words), "missing «{words}» in:\n{en}");
    }

    // A TOML syntax error: the parser's words stay, after a Vietnamese lead.
    std::fs::write(&config, "[station\nname = \"x\"\n").expect("write");
    let vi = bin::text(&bin::loaxa_in("", &config, &["check"]).stderr);
    assert!(
        vi.contains("loaxa.toml:1:9: lỗi: cú pháp TOML sai: "),
        "{vi}"
    );
    let en = bin::text(&bin::loaxa_in("en", &config, &["check"]).stderr);
    assert!(en.contains("loaxa.toml:1:9: error: TOML syntax: "), "{en}");

    // The missing playlist, found by the file check once the config is valid.
    std::fs::write(
        &config,
        "[station]\nname = \"Đài xã\"\ntimezone = \"Asia/Ho_Chi_Minh\"\ndata_dir = \"data\"\n\
         playlists_dir = \"pl\"\n\n[output]\ndevice = \"null\"\n\n\
         [[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"khong-co\"]\n",
    )
    .expect("write");
    let vi = bin::text(&bin::loaxa_in("", &config, &["check"]).stderr);
    assert!(
        vi.contains("loaxa.toml:13:14: lỗi: không thấy danh sách phát \"khong-co\""),
        "{vi}"
    );
    let en = bin::text(&bin::loaxa_in("en", &config, &["check"]).stderr);
    assert!(
        en.contains("loaxa.toml:13:14: error: playlist \"khong-co\" not found"),
        "{en}"
    );
}

#[test]
fn segment_show_speaks_vietnamese_by_default() {
    let t = station::TestStation::new(
        "[[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nqueue = true\n",
        &[],
        station::local(2026, 3, 1, 0, 0, 0),
    );
    t.noise_file("media/a.wav", 1.5);
    let id = {
        let st = t.station();
        t.add(&st, "media/a.wav", t.meta("Bản tin thời tiết"))
    };
    let id = id.to_string();
    let vi = bin::loaxa_in("", &t.config_path(), &["segment", "show", &id]);
    assert!(vi.status.success(), "{}", bin::text(&vi.stderr));
    let vi = bin::text(&vi.stdout);
    for label in [
        "tiêu đề:",
        "thời lượng:",
        "âm lượng:",
        "khuếch đại:",
        "cắt lặng:",
        "ngày thêm:",
    ] {
        assert!(vi.contains(label), "no «{label}» in:\n{vi}");
    }
    // The stored path and file name are the station's, not words: leave them out.
    let prose: String = vi
        .lines()
        .filter(|l| !l.starts_with("tệp:") && !l.starts_with("tên khi nhập:"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(english_in(&prose), Vec::<String>::new(), "{vi}");
    let en = bin::text(&bin::loaxa_in("en", &t.config_path(), &["segment", "show", &id]).stdout);
    for label in ["title:", "duration:", "loudness:", "gain:", "trimmed:"] {
        assert!(en.contains(label), "no «{label}» in:\n{en}");
    }
}

#[test]
fn log_verify_speaks_vietnamese_by_default() {
    let t = live::station();
    std::fs::create_dir_all(t.path("data")).expect("mkdir");
    {
        let store = station::store_when_free(&t.path("data/db"));
        for i in 1..=3u64 {
            let at = station::local(2026, 3, 1, 5, 30, 0) + chrono::Duration::minutes(i as i64);
            let mut rec = record("schedule", "completed", None);
            rec.id = 0;
            rec.scheduled_at = at;
            rec.started_at = Some(at);
            rec.hash_version = 1;
            rec.prev_hash = String::new();
            rec.hash = String::new();
            store.append_record(&mut rec).expect("append");
        }
    }
    let vi = bin::loaxa_in("", &t.config_path(), &["log", "verify"]);
    assert!(vi.status.success(), "{}", bin::text(&vi.stderr));
    let said = bin::text(&vi.stdout);
    assert!(
        said.starts_with("tốt: 3 bản ghi, chuỗi còn nguyên"),
        "{said}"
    );
    assert_eq!(english_in(&said), Vec::<String>::new(), "{said}");

    // Record 2 deleted behind the station's back: the break, in Vietnamese.
    {
        let db = sled::open(t.path("data/db")).expect("open sled");
        let tree = db.open_tree("asrun").expect("asrun tree");
        tree.remove(2u64.to_be_bytes()).expect("remove");
        db.flush().expect("flush");
    }
    let vi = bin::loaxa_in("", &t.config_path(), &["log", "verify"]);
    assert_eq!(vi.status.code(), Some(1), "{}", bin::text(&vi.stderr));
    let said = bin::text(&vi.stdout);
    assert!(said.starts_with("HỎNG: thiếu bản ghi 2"), "{said}");
    assert!(said.contains("gợi ý: các bản ghi đã bị xoá"), "{said}");
    assert_eq!(english_in(&said), Vec::<String>::new(), "{said}");
    let en = bin::text(&bin::loaxa_in("en", &t.config_path(), &["log", "verify"]).stdout);
    assert!(en.starts_with("BROKEN: record 2 is missing"), "{en}");
}

#[test]
fn a_missing_sound_device_is_said_in_vietnamese_with_its_fix() {
    // The operator's first start on a PC whose sound card is not the one configured.
    let t = station::TestStation::new("", &[], station::local(2026, 3, 1, 0, 0, 0));
    let args = ["run", "--output", "loaxa_no_such_pcm"];
    let vi = bin::loaxa_in("", &t.config_path(), &args);
    assert!(!vi.status.success());
    let said = bin::text(&vi.stderr);
    assert!(
        said.contains("lỗi: không tìm thấy thiết bị âm thanh `loaxa_no_such_pcm`"),
        "{said}"
    );
    assert!(said.contains("gợi ý:"), "{said}");
    let en = bin::loaxa_in("en", &t.config_path(), &args);
    let said = bin::text(&en.stderr);
    assert!(
        said.contains("error: sound device `loaxa_no_such_pcm` not found"),
        "{said}"
    );
    assert!(said.contains("hint:"), "{said}");
}

// ---------- the command line's help ----------

/// The help-table keys of every subcommand and argument of `Cli::command()` (`""`,
/// `"segment add"`, `"segment add/topic"`…), walked from the derive definitions themselves.
fn help_keys() -> Vec<String> {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<String>) {
        let here: Vec<&str> = path.iter().map(String::as_str).collect();
        out.push(loaxa::cli::help::command_key(&here));
        for arg in cmd.get_arguments() {
            out.push(loaxa::cli::help::arg_key(&here, arg.get_id().as_str()));
        }
        for sub in cmd.get_subcommands() {
            path.push(sub.get_name().to_string());
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(
        &<loaxa::cli::Cli as clap::CommandFactory>::command(),
        &mut Vec::new(),
        &mut out,
    );
    out
}

/// The value placeholders of every argument under `cmd` (`TOPIC`, `FILE`…).
fn value_names(cmd: &clap::Command) -> Vec<String> {
    let mut out: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .flat_map(|a| a.get_value_names().unwrap_or_default())
        .map(ToString::to_string)
        .collect();
    for sub in cmd.get_subcommands() {
        out.extend(value_names(sub));
    }
    out
}

/// A flag or subcommand added without its words in `cli/help.rs` fails here; so does a
/// table entry that no longer names anything.
#[test]
fn every_subcommand_and_argument_has_vietnamese_help() {
    let keys = help_keys();
    assert!(keys.len() > 80, "the walk found too little: {keys:?}");
    assert!(
        keys.iter().any(|k| k == "segment add/valid_from"),
        "{keys:?}"
    );
    let mut bad = Vec::new();
    for key in &keys {
        match loaxa::cli::help::words(key) {
            Some((vi, en)) => assert_vietnamese(&format!("help of `{key}`"), vi, en, &mut bad),
            None => bad.push(format!("`{key}` has no words in src/cli/help.rs")),
        }
    }
    // Every placeholder of a value (`--topic <TOPIC>`) has its Vietnamese one.
    for name in value_names(&<loaxa::cli::Cli as clap::CommandFactory>::command()) {
        match loaxa::cli::help::value_name_words(&name) {
            Some(vi) if !vi.is_ascii() => {}
            _ => bad.push(format!(
                "value name `{name}` has no Vietnamese in src/cli/help.rs"
            )),
        }
    }
    for key in loaxa::cli::help::keys() {
        if !keys.iter().any(|k| k == key) {
            bad.push(format!(
                "`{key}` in src/cli/help.rs names no subcommand or argument"
            ));
        }
    }
    assert!(bad.is_empty(), "help words:\n{}", bad.join("\n"));
}

/// `loaxa ARGS` in `lang` (no config is read for help): its standard output.
fn help_of(lang: &str, args: &[&str]) -> String {
    let out = bin::loaxa_in(lang, std::path::Path::new("/khong-co/loaxa.toml"), args);
    assert!(out.status.success(), "{args:?}: {}", bin::text(&out.stderr));
    bin::text(&out.stdout)
}

/// The table's `(vi, en)` words of `key`.
fn help_words(key: &str) -> (&'static str, &'static str) {
    loaxa::cli::help::words(key).unwrap_or_else(|| panic!("no words for `{key}`"))
}

#[test]
fn help_is_vietnamese_by_default_and_english_when_asked() {
    // `loaxa --help`: every subcommand's line and the global options.
    let top: Vec<&str> = [
        "run",
        "check",
        "segment",
        "queue",
        "schedule",
        "log",
        "report",
        "now",
        "skip",
        "stop",
        "play",
        "emergency",
        "reload",
        "/config",
        "/token",
    ]
    .to_vec();
    // `loaxa segment add --help`: its about line, every argument, and the inherited options.
    let add: Vec<&str> = [
        "segment add",
        "segment add/files",
        "segment add/title",
        "segment add/topic",
        "segment add/unit",
        "segment add/valid_from",
        "segment add/valid_until",
        "segment add/priority",
        "segment add/json",
        "/config",
        "/token",
    ]
    .to_vec();
    for (args, keys) in [
        (&["--help"][..], &top),
        (&["segment", "add", "--help"][..], &add),
    ] {
        let vi = help_of("", args);
        let en = help_of("en", args);
        for key in keys {
            let (vi_words, en_words) = help_words(key);
            assert!(vi.contains(vi_words), "{args:?}: no «{vi_words}» in:\n{vi}");
            assert!(
                !vi.contains(en_words),
                "{args:?}: English «{en_words}» in:\n{vi}"
            );
            assert!(en.contains(en_words), "{args:?}: no «{en_words}» in:\n{en}");
        }
        for heading in ["Cách dùng:", "Tuỳ chọn:", "In hướng dẫn này"] {
            assert!(vi.contains(heading), "{args:?}: no «{heading}» in:\n{vi}");
        }
        for clap_english in [
            "Usage:",
            "Options:",
            "Commands:",
            "Arguments:",
            "Print help",
            "[default:",
            "[OPTIONS]",
        ] {
            assert!(
                !vi.contains(clap_english),
                "{args:?}: «{clap_english}» in:\n{vi}"
            );
        }
        for heading in ["Usage:", "Options:", "Print help"] {
            assert!(en.contains(heading), "{args:?}: no «{heading}» in:\n{en}");
        }
    }
    let vi = help_of("", &["--help"]);
    assert!(
        vi.contains("Lệnh:") && vi.contains("In số phiên bản"),
        "{vi}"
    );
    let add = help_of("", &["segment", "add", "--help"]);
    assert!(
        // Files are optional: `--text` adds a bulletin read aloud instead.
        add.contains("--topic <CHUYÊN_MỤC>")
            && add.contains("[TỆP]...")
            && add.contains("--text <VĂN_BẢN>"),
        "{add}"
    );
    assert!(
        add.contains("Đối số:") && add.contains("[mặc định: normal]"),
        "{add}"
    );
    let en = help_of("en", &["segment", "add", "--help"]);
    assert!(
        en.contains("--topic <TOPIC>") && en.contains("[FILE]..."),
        "{en}"
    );
    assert!(
        en.contains("Arguments:") && en.contains("[default: normal]"),
        "{en}"
    );
    // `loaxa help segment add` says the same as `loaxa segment add --help`.
    assert_eq!(help_of("", &["help", "segment", "add"]), add);
}

#[test]
fn a_wrong_command_line_says_in_vietnamese_how_to_get_help() {
    let config = std::path::Path::new("/khong-co/loaxa.toml");
    let out = bin::loaxa_in("", config, &["segment", "add", "--bogus", "a.mp3"]);
    assert_eq!(out.status.code(), Some(2));
    let err = bin::text(&out.stderr);
    assert!(err.contains("--bogus"), "{err}");
    assert!(
        err.contains("Xem cách dùng: loaxa segment add --help"),
        "{err}"
    );
    let out = bin::loaxa_in("en", config, &["segment", "add", "--bogus", "a.mp3"]);
    assert_eq!(out.status.code(), Some(2));
    let err = bin::text(&out.stderr);
    assert!(!err.contains("Xem cách dùng"), "{err}");
    assert!(err.contains("--help"), "{err}");
}

/// A flag's value that does not read (a period, a priority, an id, a format) is said in the
/// terminal's language, with the forms that work.
#[test]
fn a_flag_value_that_does_not_read_is_said_in_vietnamese() {
    let config = std::path::Path::new("/khong-co/loaxa.toml");
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["report", "--period", "2026-H3"],
            "không phải kỳ báo cáo",
            "is not a reporting period",
        ),
        (
            &["queue", "add", "1", "--priority", "gấp"],
            "không phải mức ưu tiên",
            "is not a priority",
        ),
        (
            &["segment", "show", "abc"],
            "không phải mã bản tin",
            "is not a segment id",
        ),
        (
            &["log", "export", "--format", "pdf"],
            "không phải định dạng xuất",
            "is not an export format",
        ),
        (
            &["log", "verify", "--expect", "12"],
            "không có dạng BẢN_GHI:MÃ_BĂM",
            "is not RECORD:HASH",
        ),
    ];
    for (args, vi, en) in cases {
        let out = bin::loaxa_in("", config, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = bin::text(&out.stderr);
        assert!(err.contains(vi), "{args:?}: {err}");
        let out = bin::loaxa_in("en", config, args);
        let err = bin::text(&out.stderr);
        assert!(err.contains(en), "{args:?}: {err}");
    }
}

// ---------- old records' English reasons reach the page as codes ----------

/// The `log` events `GET /api/v1/events?log=10` opens with, read until one holds `title`.
fn opening_log_events(live: &live::Live, title: &str) -> Vec<serde_json::Value> {
    use std::io::{BufRead, BufReader, Write};
    let addr = live
        .base
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1");
    let mut socket = std::net::TcpStream::connect(addr).expect("connect");
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    write!(
        socket,
        "GET /api/v1/events?log=10 HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("send the request");
    let mut events = Vec::new();
    let mut name = String::new();
    for line in BufReader::new(socket).lines() {
        let line = line.expect("the stream goes on until the record is sent");
        if let Some(v) = line.strip_prefix("event: ") {
            name = v.to_string();
        } else if let Some(data) = line.strip_prefix("data: ")
            && name == "log"
        {
            let record: serde_json::Value = serde_json::from_str(data).expect("JSON data");
            let done = record["title"] == title;
            events.push(record);
            if done {
                break;
            }
        }
    }
    events
}

/// The record titled `title` among `records`.
fn titled<'a>(records: &'a [serde_json::Value], title: &str) -> &'a serde_json::Value {
    records
        .iter()
        .find(|r| r["title"] == title)
        .unwrap_or_else(|| panic!("no record «{title}» in {records:?}"))
}

#[test]
fn old_english_reasons_reach_the_page_as_codes_through_log_and_events() {
    let t = live::station();
    std::fs::create_dir_all(t.path("data")).expect("mkdir");
    {
        // Records as an earlier build wrote them: the reason as English prose.
        let store = station::store_when_free(&t.path("data/db"));
        for (title, reason) in [
            ("Bản tin cũ", "expired on 2026-05-31"),
            ("Bản tin bị ngắt", "not aired: daemon shut down"),
            ("Bản tin lạ", "a reason no build wrote"),
        ] {
            let mut rec = record("schedule", "skipped", Some(reason));
            rec.id = 0;
            rec.title = title.to_string();
            store.append_record(&mut rec).expect("append");
        }
    }
    let live = live::start(t);
    let expired = r#"{"code":"expired","until":"2026-05-31"}"#;
    let shut_down = r#"{"code":"not_aired","cause":{"code":"shutdown"}}"#;
    for path in ["/log", "/log?limit=10"] {
        let (status, body) = live.get(path);
        assert_eq!(status, 200, "{body}");
        let records = body.as_array().expect("an array").clone();
        assert_eq!(titled(&records, "Bản tin cũ")["reason"], expired, "{path}");
        assert_eq!(
            titled(&records, "Bản tin bị ngắt")["reason"],
            shut_down,
            "{path}"
        );
        // Prose of no known build is shown as it is.
        assert_eq!(
            titled(&records, "Bản tin lạ")["reason"],
            "a reason no build wrote"
        );
    }
    let events = opening_log_events(&live, "Bản tin lạ");
    assert_eq!(
        titled(&events, "Bản tin cũ")["reason"],
        expired,
        "{events:?}"
    );
    assert_eq!(titled(&events, "Bản tin bị ngắt")["reason"], shut_down);
    // The store keeps what was written: the chain still verifies.
    let (status, report) = live.get("/log/verify");
    assert_eq!(status, 200, "{report}");
    assert!(report["broken"].is_null(), "{report}");
}

// ---------- config diagnostics that were English only ----------

/// A playlist's file that its import checks refuse is said by `check` with the refusal's own
/// Vietnamese words (a code, not the English text of the import error).
#[test]
fn check_says_why_a_playlist_file_cannot_air_in_vietnamese() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("pl")).expect("mkdir");
    std::fs::write(
        dir.path().join("pl/tin.mp3"),
        b"not audio at all, only words",
    )
    .expect("file");
    std::fs::write(
        dir.path().join("pl/sang.toml"),
        "topic = \"cds\"\n[[item]]\nfile = \"tin.mp3\"\ntitle = \"Tin\"\n",
    )
    .expect("playlist");
    // No English journal line beside the operator's words either.
    let config = dir.path().join("loaxa.toml");
    std::fs::write(
        &config,
        "[station]\nname = \"Đài xã\"\ntimezone = \"Asia/Ho_Chi_Minh\"\ndata_dir = \"data\"\n\
         playlists_dir = \"pl\"\n\n[output]\ndevice = \"null\"\n\n\
         [topics]\ncds = \"Chuyển đổi số\"\n\n\
         [[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nplaylists = [\"sang\"]\n",
    )
    .expect("write config");
    let vi = bin::loaxa_in("", &config, &["check"]);
    let en = bin::loaxa_in("en", &config, &["check"]);
    assert!(!vi.status.success() && !en.status.success());
    let (vi, en) = (bin::text(&vi.stderr), bin::text(&en.stderr));
    assert!(
        vi.contains("lỗi: không phát được: tệp âm thanh không dùng được:"),
        "{vi}"
    );
    assert!(vi.contains("không phải tệp âm thanh loaxa nhận ra"), "{vi}");
    assert!(!vi.contains("is not an audio file"), "{vi}");
    assert!(!vi.contains("WARN"), "{vi}");
    assert!(en.contains("is not an audio file loaxa recognises"), "{en}");
}

#[test]
fn check_says_a_bad_api_address_and_a_bad_audio_value_in_vietnamese_at_their_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("pl")).expect("mkdir");
    let config = dir.path().join("loaxa.toml");
    std::fs::write(
        &config,
        "[station]\nname = \"Đài xã\"\ntimezone = \"Asia/Ho_Chi_Minh\"\ndata_dir = \"data\"\n\
         playlists_dir = \"pl\"\n\n[output]\ndevice = \"null\"\n\n\
         [[program]]\nname = \"sang\"\ncron = \"0 6 * * *\"\nqueue = true\n\n\
         [api]\nlisten = \"localhost\"\n\n[audio]\ntarget_lufs = 16\nnormalize = false\n",
    )
    .expect("write config");
    let vi = bin::loaxa_in("", &config, &["check"]);
    let en = bin::loaxa_in("en", &config, &["check"]);
    assert!(!vi.status.success() && !en.status.success());
    let (vi, en) = (bin::text(&vi.stderr), bin::text(&en.stderr));
    let shown = config.display().to_string();
    for words in [
        format!("{shown}:16:10: lỗi: listen \"localhost\" không phải dạng địa chỉ:cổng"),
        "gợi ý: `listen = \"127.0.0.1:8757\"` (chỉ máy này)".to_string(),
        format!("{shown}:19:15: lỗi: target_lufs 16 phải nằm trong khoảng -40 đến -5 LUFS"),
        "gợi ý: `target_lufs = -16` hợp với tiếng nói qua loa".to_string(),
        format!("{shown}:20:1: lỗi: khoá `normalize` không có trong `[audio]`"),
        "gợi ý: có phải ý bạn là `normalise`?".to_string(),
    ] {
        assert!(vi.contains(&words), "missing «{words}» in:\n{vi}");
    }
    assert_eq!(english_in(&vi), Vec::<String>::new(), "{vi}");
    for words in [
        format!("{shown}:16:10: error: listen \"localhost\" is not an address:port"),
        format!("{shown}:19:15: error: target_lufs 16 must be between -40 and -5 LUFS"),
        format!("{shown}:20:1: error: unknown key `normalize` in [audio]"),
    ] {
        assert!(en.contains(&words), "missing «{words}» in:\n{en}");
    }
}
