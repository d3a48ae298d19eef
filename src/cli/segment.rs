//! `loaxa segment add|list|show|edit|approve|rm`.

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Subcommand;

use super::backend::Backend;
use super::fmt;
use crate::audio::playout_gain;
use crate::model::{Priority, Segment, SegmentId};
use crate::service::ops as op;
use crate::service::{AddOutcome, AddStatus, SegmentMeta, SegmentPatch, TextBulletin};
use crate::words::RefusalCode;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, Subcommand)]
pub enum SegmentCmd {
    Add {
        #[arg(required_unless_present_any = ["text", "text_file"], value_name = "FILE")]
        files: Vec<PathBuf>,
        #[arg(long, conflicts_with_all = ["files", "text_file"])]
        text: Option<String>,
        #[arg(long, value_name = "TEXT_FILE", conflicts_with = "files")]
        text_file: Option<PathBuf>,
        #[arg(long)]
        voice: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_parser = fmt::parse_date)]
        valid_from: Option<NaiveDate>,
        #[arg(long, value_parser = fmt::parse_date)]
        valid_until: Option<NaiveDate>,
        #[arg(long, default_value = "normal")]
        priority: Priority,
        #[arg(long)]
        json: bool,
    },
    List {
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Show {
        id: SegmentId,
        #[arg(long)]
        json: bool,
    },
    Edit {
        id: SegmentId,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_parser = fmt::parse_date)]
        valid_from: Option<NaiveDate>,
        #[arg(long, value_parser = fmt::parse_date)]
        valid_until: Option<NaiveDate>,
        #[arg(long)]
        priority: Option<Priority>,
        #[arg(long, value_name = "DB", allow_negative_numbers = true)]
        gain_db: Option<f64>,
        #[arg(long, value_name = "ZONES")]
        zones: Option<String>,
    },
    Approve {
        id: SegmentId,
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    Rm {
        id: SegmentId,
        #[arg(long)]
        force: bool,
    },
}

pub fn segment(station: &Backend, cmd: SegmentCmd) -> Result<i32> {
    match cmd {
        SegmentCmd::Add {
            files,
            text,
            text_file,
            voice,
            title,
            topic,
            unit,
            valid_from,
            valid_until,
            priority,
            json,
        } => {
            if let Some(text) = bulletin_text(text, text_file.as_deref())? {
                let bulletin = TextBulletin {
                    text,
                    voice,
                    title,
                    topic: Some(topic),
                    unit,
                    valid_from,
                    valid_until,
                    priority: Some(priority),
                };
                return add_text(station, bulletin, json);
            }
            let meta = SegmentMeta {
                title,
                topic,
                unit,
                valid_from,
                valid_until,
                priority,
                original_name: None,
                tts: None,
            };
            let mut failed = 0;
            for (file, result) in files.iter().zip(station.add_segments(&files, &meta)?) {
                if json {
                    failed += usize::from(result.is_err());
                    fmt::json_lines(&[added_json(file, &result)])?;
                    continue;
                }
                match result {
                    Ok(outcome) => print_outcome(&outcome)?,
                    Err(e) => {
                        failed += 1;
                        eprintln!(
                            "{}: {}: {}",
                            fmt::t("lỗi", "error"),
                            file.display(),
                            crate::text::message_for_terminal(&super::error_text(&e))
                        );
                    }
                }
            }
            Ok(if failed > 0 { 1 } else { 0 })
        }
        SegmentCmd::List { topic, json } => {
            let views = station.call(op::ListSegments { topic })?;
            if json {
                fmt::json_lines(&views)?;
            } else {
                outln!(
                    "{}",
                    fmt::t(
                        "MÃ\tTHỜI LƯỢNG\tCHUYÊN MỤC\tHIỆU LỰC\tTIÊU ĐỀ",
                        "ID\tDURATION\tTOPIC\tVALID\tTITLE"
                    )
                );
                for s in views.iter().map(|v| &v.segment) {
                    outln!(
                        "{}\t{}\t{}\t{}..{}\t{}",
                        s.id,
                        fmt::duration(s.duration_ms),
                        fmt::safe(&s.topic),
                        fmt::date_opt(s.valid_from),
                        fmt::date_opt(s.valid_until),
                        fmt::safe(&s.title)
                    );
                }
            }
            Ok(0)
        }
        SegmentCmd::Show { id, json } => {
            let s = station.call(op::ShowSegment { id })?;
            if json {
                fmt::json_lines(&[&s])?;
                return Ok(0);
            }
            let topic_label = station
                .config()
                .topics
                .get(&s.topic)
                .cloned()
                .unwrap_or_default();
            outln!("{}{}", label("mã:", "id:"), s.id);
            outln!("{}{}", label("tiêu đề:", "title:"), fmt::safe(&s.title));
            outln!(
                "{}{} ({})",
                label("chuyên mục:", "topic:"),
                fmt::safe(&s.topic),
                fmt::safe(&topic_label)
            );
            outln!(
                "{}{}",
                label("đơn vị:", "unit:"),
                fmt::safe(s.unit.as_deref().unwrap_or("-"))
            );
            outln!(
                "{}{} .. {}",
                label("hiệu lực:", "valid:"),
                fmt::date_opt(s.valid_from),
                fmt::date_opt(s.valid_until)
            );
            outln!(
                "{}{} ({} ms, {})",
                label("thời lượng:", "duration:"),
                fmt::duration(s.duration_ms),
                s.duration_ms,
                fmt::t("đo bằng giải mã toàn bộ", "measured by full decode")
            );
            outln!(
                "{}{} / {} {} Hz {} ch",
                label("định dạng:", "format:"),
                fmt::safe(&s.container),
                fmt::safe(&s.codec),
                s.sample_rate,
                s.channels
            );
            level_lines(station, &s)?;
            outln!("{}{}", label("sha256:", "sha256:"), s.sha256);
            outln!(
                "{}{}",
                label("tệp:", "file:"),
                station.media_path(&s.media_file).display()
            );
            outln!(
                "{}{}",
                label("tên khi nhập:", "imported as:"),
                fmt::safe(&s.original_name)
            );
            text_source_lines(&s)?;
            if !s.zones.is_empty() {
                outln!(
                    "{}{}",
                    label("vùng loa:", "zones:"),
                    fmt::safe(&s.zones.join(", "))
                );
            }
            outln!(
                "{}{}",
                label("ngày thêm:", "added:"),
                fmt::time(&station.local(s.added_at))
            );
            Ok(0)
        }
        SegmentCmd::Edit {
            id,
            title,
            topic,
            unit,
            valid_from,
            valid_until,
            priority,
            gain_db,
            zones,
        } => {
            let patch = SegmentPatch {
                zones: zones.map(|z| {
                    z.split(',')
                        .map(str::trim)
                        .filter(|z| !z.is_empty())
                        .map(str::to_string)
                        .collect()
                }),
                title,
                topic,
                unit: unit.map(Some),
                valid_from: valid_from.map(Some),
                valid_until: valid_until.map(Some),
                priority,
                gain_db,
            };
            if patch == SegmentPatch::default() {
                anyhow::bail!(
                    "{}\n  {}: {} `loaxa segment edit {id} --gain-db -3`",
                    fmt::t("không có gì để sửa", "nothing to change"),
                    fmt::hint_word(),
                    fmt::t("cho biết cần sửa gì, ví dụ", "give what to change, e.g.")
                );
            }
            let seg = station.call(op::UpdateSegment { id, patch })?;
            outln!(
                "{} {} «{}» {}",
                fmt::t("bản tin", "segment"),
                seg.id,
                fmt::safe(&seg.title),
                fmt::t("đã được sửa", "changed")
            );
            level_lines(station, &seg)?;
            Ok(0)
        }
        SegmentCmd::Approve { id, by } => {
            let seg = station.call(op::ApproveSegment { id, by })?;
            let by = match &seg.approval {
                crate::model::Approval::Approved { by, .. } => by.as_str(),
                _ => "",
            };
            outln!(
                "{} {} «{}» {} {}",
                fmt::t("bản tin", "segment"),
                seg.id,
                fmt::safe(&seg.title),
                fmt::t("đã được duyệt bởi", "approved by"),
                fmt::safe(by)
            );
            Ok(0)
        }
        SegmentCmd::Rm { id, force } => {
            let seg = station.call(op::RemoveSegment { id, force })?;
            outln!(
                "{} {} «{}»",
                fmt::t("đã xoá bản tin", "removed segment"),
                seg.id,
                fmt::safe(&seg.title)
            );
            Ok(0)
        }
    }
}

/// One line of `segment add --json`: what became of `file`.
fn added_json(file: &std::path::Path, result: &Result<AddOutcome>) -> serde_json::Value {
    let file = file.to_string_lossy();
    match result {
        Ok(AddOutcome::Added(seg)) => {
            serde_json::json!({"file": file, "outcome": "added", "segment": seg})
        }
        Ok(AddOutcome::AlreadyPresent(seg)) => {
            serde_json::json!({"file": file, "outcome": "already_present", "segment": seg})
        }
        Err(e) => serde_json::json!({
            "file": file,
            "outcome": "error",
            "error": crate::text::clean(&super::error_text(e)),
            "code": super::error_code(e),
        }),
    }
}

/// The line `segment add` prints for a segment added or already there.
fn print_outcome(outcome: &AddOutcome) -> Result<()> {
    match outcome {
        AddOutcome::Added(seg) => outln!(
            "{}\t{} «{}» ({}, {} Hz, {} ch, {})",
            seg.id,
            fmt::t("đã thêm", "added"),
            fmt::safe(&seg.title),
            fmt::safe(&seg.codec),
            seg.sample_rate,
            seg.channels,
            fmt::duration(seg.duration_ms)
        ),
        AddOutcome::AlreadyPresent(seg) => outln!(
            "{}\t{} #{} «{}» {}",
            seg.id,
            fmt::t("đã có trong thư viện:", "already in the library as"),
            seg.id,
            fmt::safe(&seg.title),
            fmt::t(
                "(cùng nội dung âm thanh): không thêm lại",
                "(same audio content): not added again"
            )
        ),
    }
    Ok(())
}

/// `segment add --text`/`--text-file`: read aloud by the station (on the store or through
/// the daemon, like every operation).
fn add_text(station: &Backend, bulletin: TextBulletin, json: bool) -> Result<i32> {
    let added = station.call(bulletin)?;
    if json {
        fmt::json_lines(&[serde_json::json!({
            "outcome": added.status,
            "segment": added.segment,
        })])?;
        return Ok(0);
    }
    print_outcome(&match added.status {
        AddStatus::Added => AddOutcome::Added(added.segment),
        AddStatus::AlreadyPresent => AddOutcome::AlreadyPresent(added.segment),
    })?;
    Ok(0)
}

/// The bulletin's text: `--text`, or the UTF-8 file of `--text-file` (read no further than
/// its limit allows), or `None` for an import of audio files.
fn bulletin_text(text: Option<String>, file: Option<&std::path::Path>) -> Result<Option<String>> {
    use std::io::Read;
    let Some(path) = file else {
        return Ok(text);
    };
    let shown = path.display().to_string();
    let unreadable = |e: std::io::Error| {
        refusal(RefusalCode::TextFileUnreadable {
            path: shown.clone(),
            detail: e.to_string(),
        })
    };
    // A character is at most four bytes: a file longer than that is refused unread.
    let limit = 4 * crate::text::MAX_BULLETIN as u64;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(refusal(RefusalCode::TextTooLong {
            field: "text".into(),
            len: bytes.len() / 4,
            max: crate::text::MAX_BULLETIN,
        }));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        refusal(RefusalCode::TextFileNotUtf8 {
            path: shown.clone(),
        })
    })?;
    Ok(Some(text.trim_start_matches('\u{feff}').to_string()))
}

fn refusal(code: RefusalCode) -> anyhow::Error {
    crate::service::Refusal::Code(crate::words::ErrorCode::Refused(code)).into()
}

/// The text a segment was read from, for `segment show`.
fn text_source_lines(s: &Segment) -> Result<()> {
    let Some(src) = &s.tts else {
        return Ok(());
    };
    outln!(
        "{}{} ({} {})",
        label("giọng đọc:", "voice:"),
        fmt::safe(&src.voice),
        fmt::safe(&src.engine),
        fmt::safe(src.engine_version.as_deref().unwrap_or(""))
    );
    outln!("{}{}", label("văn bản:", "text:"), fmt::safe(&src.text));
    Ok(())
}

/// A label of `segment show`, padded so the values line up.
fn label(vi: &'static str, en: &'static str) -> String {
    format!("{:<12} ", fmt::t(vi, en))
}

/// Loudness, true peak, the gain it airs with under the current config, and the trim.
fn level_lines(station: &Backend, s: &Segment) -> Result<()> {
    let l = &s.level;
    let audio = station.config().audio;
    let loud = label("âm lượng:", "loudness:");
    let peak = label("đỉnh thực:", "true peak:");
    if !l.loudness_measured {
        outln!(
            "{loud}{}",
            fmt::t(
                "chưa đo (nhập bằng loaxa cũ; sẽ đo khi chương trình nền khởi động)",
                "not measured yet (imported by an older loaxa; measured when the daemon starts)"
            )
        );
    } else {
        match l.loudness_lufs {
            Some(lufs) => outln!(
                "{loud}{lufs:.1} LUFS {}",
                fmt::t("tích phân (EBU R128)", "integrated (EBU R128)")
            ),
            None => outln!(
                "{loud}{}",
                fmt::t(
                    "im lặng (dưới ngưỡng -70 LUFS)",
                    "silence (below the -70 LUFS gate)"
                )
            ),
        }
        match l.true_peak_dbtp {
            Some(p) => outln!("{peak}{p:.1} dBTP"),
            None => outln!(
                "{peak}- ({})",
                fmt::t("im lặng hoàn toàn", "digital silence")
            ),
        }
    }
    let gain = playout_gain(&audio.levels(), &s.level_input());
    let mut why = match fmt::lang() {
        crate::words::Lang::Vi => format!(
            "mục tiêu {} LUFS, bù {:+.1} dB, tổng {:+.1} dB",
            audio.target_lufs, l.gain_db, audio.master_gain_db
        ),
        crate::words::Lang::En => format!(
            "target {} LUFS, offset {:+.1} dB, master {:+.1} dB",
            audio.target_lufs, l.gain_db, audio.master_gain_db
        ),
    };
    if gain.peak_limited {
        why.push_str(&format!(
            "; {} {} dBTP",
            fmt::t(
                "bị giữ thấp bởi trần đỉnh thực",
                "held down by the true-peak ceiling of"
            ),
            audio.true_peak_ceiling_dbtp
        ));
    }
    if gain.unmeasured {
        why.push_str(fmt::t(
            "; không có độ to để chuẩn hoá",
            "; no loudness to normalise",
        ));
    }
    outln!(
        "{}{:+.1} dB {} ({why})",
        label("khuếch đại:", "gain:"),
        gain.db,
        fmt::t("hiện tại", "now")
    );
    let trimmed = label("cắt lặng:", "trimmed:");
    match s.trim_ms() {
        Some((start, end)) => outln!(
            "{trimmed}{} {:.3} s .. {:.3} s {}",
            fmt::t("phát", "airs"),
            start as f64 / 1000.0,
            end as f64 / 1000.0,
            fmt::t(
                "của tệp (đã cắt khoảng lặng khi nhập)",
                "of the file (silence trimmed at import)"
            )
        ),
        None => outln!(
            "{trimmed}{}",
            fmt::t("không (phát cả tệp)", "no (airs the whole file)")
        ),
    }
    Ok(())
}
