//! `loaxa log verify`: checks the as-run log's hash chain (see `store::chain`) and names the
//! first broken link. Exit 0 when intact, 1 when not.

use anyhow::Result;

use super::backend::Backend;
use super::fmt;
use crate::store::ChainReport;
use crate::store::chain::{Anchor, Problem};
use crate::words::Lang;

// Help words: `cli/help.rs`, keyed by the subcommand path and argument id.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[arg(long, value_name = "RECORD:HASH")]
    expect: Option<Anchor>,
    #[arg(long)]
    json: bool,
}

fn report(station: &Backend, anchor: Option<Anchor>) -> Result<ChainReport> {
    match station {
        Backend::Local(st) => Ok(st.store.verify_chain_with(anchor)?),
        Backend::Remote { client, .. } => {
            let query: Vec<_> = anchor
                .map(|a| ("expect", a.to_string()))
                .into_iter()
                .collect();
            client.get("/log/verify", &query)
        }
    }
}

pub fn verify(station: &Backend, args: &VerifyArgs) -> Result<i32> {
    let r = report(station, args.expect.clone())?;
    let code = i32::from(!r.intact());
    if args.json {
        outln!("{}", serde_json::to_string(&r)?);
        return Ok(code);
    }
    let Some(broken) = &r.broken else {
        intact_lines(&r)?;
        return Ok(0);
    };
    outln!("{}: {}", fmt::t("HỎNG", "BROKEN"), fmt::say(broken));
    match (r.last_id, &r.last_hash) {
        (Some(id), Some(hash)) => outln!(
            "  {}",
            match fmt::lang() {
                Lang::Vi => format!(
                    "các bản ghi 1–{id} còn nguyên (mã băm của bản ghi {id}: {hash}); phần sau chỗ hỏng chưa được kiểm"
                ),
                Lang::En => format!(
                    "records 1–{id} are intact (hash of record {id}: {hash}); nothing after the break was checked"
                ),
            }
        ),
        _ => outln!(
            "  {}",
            fmt::t(
                "không kiểm được bản ghi nào trước chỗ hỏng",
                "no record before the break could be checked"
            )
        ),
    }
    outln!("  {}: {}", fmt::hint_word(), hint(&broken.problem));
    outln!(
        "  {}: {}",
        fmt::hint_word(),
        fmt::t(
            "giữ một bản sao thư mục dữ liệu như hiện tại (đừng sửa nó) và báo lại kèm các số thứ tự ở trên",
            "keep a copy of the data folder as it is now (do not repair it) and report it with the ids above"
        )
    );
    Ok(code)
}

/// The lines of an intact chain.
fn intact_lines(r: &ChainReport) -> Result<()> {
    let vi = fmt::lang() == Lang::Vi;
    match (r.last_id, &r.last_hash) {
        (Some(id), Some(hash)) => {
            if vi {
                outln!(
                    "tốt: {} bản ghi, chuỗi còn nguyên (cuối: bản ghi {id}, mã băm {hash})",
                    r.checked
                );
            } else {
                outln!(
                    "ok: {} records, chain intact (last: record {id}, hash {hash})",
                    r.checked
                );
            }
            if let Some(a) = &r.anchor {
                if vi {
                    outln!(
                        "bản ghi {} có đúng mã băm đã ghi lại cho nó ({})",
                        a.id,
                        a.hash
                    );
                } else {
                    outln!(
                        "record {} has the hash written down for it ({})",
                        a.id,
                        a.hash
                    );
                }
            }
            if r.unchained > 0 {
                if vi {
                    outln!(
                        "lưu ý: các bản ghi 1–{} được ghi trước khi có chuỗi: có đếm, không được bảo vệ",
                        r.unchained
                    );
                } else {
                    outln!(
                        "note: records 1–{} were written before the chain existed: counted, not protected",
                        r.unchained
                    );
                }
            }
        }
        _ => outln!(
            "{}",
            fmt::t(
                "tốt: 0 bản ghi, nhật ký trống",
                "ok: 0 records, the log is empty"
            )
        ),
    }
    Ok(())
}

fn hint(problem: &Problem) -> &'static str {
    match problem {
        Problem::ContentChanged { .. } => fmt::t(
            "bản ghi đã bị sửa trong cơ sở dữ liệu sau khi ghi; `loaxa log --json` cho thấy nó hiện nay",
            "the record was edited in the database after it was written; `loaxa log --json` shows it as it is now",
        ),
        Problem::PrevHashMismatch { .. } | Problem::WrongId { .. } => fmt::t(
            "các bản ghi đã bị đổi thứ tự, thay thế hoặc chèn thêm bởi thứ khác ngoài loaxa",
            "records were reordered, replaced or inserted by something other than loaxa",
        ),
        Problem::Missing { .. } => fmt::t(
            "các bản ghi đã bị xoá khỏi cơ sở dữ liệu",
            "records were deleted from the database",
        ),
        Problem::Undecodable { .. } => fmt::t(
            "dữ liệu lưu bị hỏng: lỗi ổ đĩa, hoặc bị sửa bằng công cụ khác",
            "the stored bytes are damaged: a disk fault, or an edit with another tool",
        ),
        Problem::AnchorMismatch { .. } | Problem::AnchorMissing { .. } => fmt::t(
            "nhật ký không phải cái đã được ghi lại mã băm: từ đó nó đã bị viết lại hoặc cắt ngắn",
            "the log is not the one whose hash was written down: it was rewritten or cut short since",
        ),
        Problem::Unchained { .. } => fmt::t(
            "mã băm của bản ghi đã bị xoá, điều loaxa không bao giờ làm sau khi chuỗi bắt đầu",
            "the record's hash was removed, which loaxa never does after the chain began",
        ),
        Problem::UnknownVersion { .. } => fmt::t(
            "một loaxa mới hơn đã ghi nhật ký này: hãy kiểm bằng phiên bản đó (hoặc bản ghi đã bị sửa)",
            "a newer loaxa wrote this log: verify it with that version (or the record was edited)",
        ),
        Problem::NotCovered { .. } => fmt::t(
            "bản ghi đã bị sửa trong cơ sở dữ liệu sau khi ghi; `loaxa log --json` cho thấy nó hiện nay",
            "the record was edited in the database after it was written; `loaxa log --json` shows it as it is now",
        ),
    }
}
