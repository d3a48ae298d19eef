//! `loaxa inbox`: the bulletins the province sent (`[province] inbox`): those taken, what
//! became of each, those quarantined and why, those waiting for their audio. Works with the
//! daemon running (through its API) or not (on the store), like `queue`.

use anyhow::Result;

use super::backend::Backend;
use super::fmt;
use crate::service::ops as op;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
pub struct InboxArgs {
    #[arg(long)]
    json: bool,
}

pub fn inbox(station: &Backend, args: &InboxArgs) -> Result<i32> {
    let view = station.call(op::ListInbox {})?;
    if args.json {
        return fmt::json_lines(&[&view]).map(|()| 0);
    }
    let Some(folder) = &view.folder else {
        outln!(
            "{}",
            fmt::t(
                "đài chưa có thư mục nhận bản tin của tỉnh: thêm `[province] inbox = \"../inbox\"` vào cấu hình",
                "the station has no inbox for the province's bulletins: add `[province] inbox = \"../inbox\"` to the config"
            )
        );
        return Ok(0);
    };
    outln!(
        "{} {}",
        fmt::t("Thư mục nhận:", "Inbox:"),
        fmt::safe(folder)
    );
    outln!();
    outln!("{}", fmt::t("Bản tin đã nhận:", "Bulletins taken:"));
    if view.taken.is_empty() {
        outln!("  {}", fmt::t("(chưa có)", "(none yet)"));
    }
    for e in &view.taken {
        outln!(
            "  {}  {}  [{}] «{}» — {} {}, {} {} → {}",
            fmt::time(&station.local(e.received_at)),
            fmt::safe(&e.id),
            fmt::say(&e.level),
            fmt::safe(&e.title),
            fmt::t("gửi từ", "from"),
            fmt::safe(&e.source),
            fmt::t("bản tin số", "segment"),
            e.segment,
            fmt::say(&e.action),
        );
    }
    outln!();
    outln!(
        "{}",
        fmt::t("Bản tin bị giữ lại (quarantine):", "Quarantined:")
    );
    if view.quarantined.is_empty() {
        outln!("  {}", fmt::t("(không có)", "(none)"));
    }
    for q in &view.quarantined {
        let e = &q.entry;
        let state = if q.in_folder {
            fmt::t("còn trong thư mục", "still in the folder")
        } else {
            fmt::t("đã được xử lý", "dealt with")
        };
        outln!(
            "  {}  {}  {} ({state})\n    {}",
            fmt::time(&station.local(e.at)),
            fmt::safe(&e.files.join(", ")),
            fmt::safe(e.id.as_deref().unwrap_or("-")),
            fmt::say(&e.problem),
        );
    }
    if !view.waiting.is_empty() {
        outln!();
        outln!(
            "{}",
            fmt::t("Đang chờ tệp âm thanh:", "Waiting for their audio:")
        );
        for name in &view.waiting {
            outln!("  {}", fmt::safe(name));
        }
    }
    Ok(0)
}
