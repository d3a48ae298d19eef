//! `loaxa log verify`: checks the as-run log's hash chain (see `store::chain`) and names the
//! first broken link. Exit 0 when intact, 1 when not.

use anyhow::Result;

use super::backend::Backend;
use crate::store::ChainReport;
use crate::store::chain::{Anchor, Problem};

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A record's hash written down earlier (e.g. in the last report), as RECORD:HASH; the log
    /// must still hold that record with that hash
    #[arg(long, value_name = "RECORD:HASH")]
    expect: Option<Anchor>,
    /// Print the report as one JSON object
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
        match (r.last_id, &r.last_hash) {
            (Some(id), Some(hash)) => {
                outln!(
                    "ok: {} records, chain intact (last: record {id}, hash {hash})",
                    r.checked
                );
                if let Some(a) = &r.anchor {
                    outln!(
                        "record {} has the hash written down for it ({})",
                        a.id,
                        a.hash
                    );
                }
                if r.unchained > 0 {
                    outln!(
                        "note: records 1–{} were written before the chain existed: counted, not protected",
                        r.unchained
                    );
                }
            }
            _ => outln!("ok: 0 records, the log is empty"),
        }
        return Ok(0);
    };
    outln!("BROKEN: {broken}");
    match (r.last_id, &r.last_hash) {
        (Some(id), Some(hash)) => outln!(
            "  records 1–{id} are intact (hash of record {id}: {hash}); nothing after the break was checked"
        ),
        _ => outln!("  no record before the break could be checked"),
    }
    outln!("  hint: {}", hint(&broken.problem));
    outln!(
        "  hint: keep a copy of the data folder as it is now (do not repair it) and report it with the ids above"
    );
    Ok(code)
}

fn hint(problem: &Problem) -> &'static str {
    match problem {
        Problem::ContentChanged { .. } => {
            "the record was edited in the database after it was written; `loaxa log --json` shows it as it is now"
        }
        Problem::PrevHashMismatch { .. } | Problem::WrongId { .. } => {
            "records were reordered, replaced or inserted by something other than loaxa"
        }
        Problem::Missing { .. } => "records were deleted from the database",
        Problem::Undecodable { .. } => {
            "the stored bytes are damaged: a disk fault, or an edit with another tool"
        }
        Problem::AnchorMismatch { .. } | Problem::AnchorMissing { .. } => {
            "the log is not the one whose hash was written down: it was rewritten or cut short since"
        }
        Problem::Unchained { .. } => {
            "the record's hash was removed, which loaxa never does after the chain began"
        }
        Problem::UnknownVersion { .. } => {
            "a newer loaxa wrote this log: verify it with that version (or the record was edited)"
        }
        Problem::NotCovered { .. } => {
            "the record was edited in the database after it was written; `loaxa log --json` shows it as it is now"
        }
    }
}
