//! Fetching the province's bulletins into the inbox (`[province] inbox_url`): the province
//! publishes a list of its bulletins on a web server, and the station fetches what is new
//! every `inbox_every` and lays it in its drop folder exactly as a sync tool would — the
//! audio first, then the sidecar (the trigger), each written under a hidden name and moved
//! in whole. From there the folder's one rule takes it (`service::inbox`): levels, approval,
//! once only, quarantine with the reason.
//!
//! The list (`application/json`), its entries' addresses relative to the list's own:
//!
//! ```json
//! {"bulletins": [
//!   {"sidecar": "QNG-2026-0917.json", "audio": "QNG-2026-0917.mp3"},
//!   {"sidecar": "https://stttt.example.vn/tin/QNG-2026-0918.json"}
//! ]}
//! ```
//!
//! Cheap when nothing is new: the list is asked for with `If-None-Match` /
//! `If-Modified-Since` (a server that knows them answers 304 and nothing else moves);
//! a changed list costs one small request per sidecar, and audio is fetched only for a
//! sidecar not delivered before with these very bytes (the station remembers each sidecar's
//! address and sha256 in its store, across restarts). A list that failed in part is asked
//! for whole again next time, so what failed is tried again.
//!
//! Everything the server sends is bounded: the list's size and length, a sidecar's size,
//! an audio file's size (the station's `max_upload_mb`), the names (a file name without
//! folders, an audio extension the inbox knows).

use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AUDIO_EXTS, SIDECAR_EXT};
use crate::relay::{NetOptions, SourceError};
use crate::store::Store;

/// The longest list taken.
pub const MAX_LIST: u64 = 1024 * 1024;
/// The most bulletins one list may name.
pub const MAX_ENTRIES: usize = 500;
/// The longest stem (file name without its extension) taken, in bytes.
pub const MAX_STEM: usize = 200;

/// Why a fetch (or one bulletin of it) failed; the operator's words are chosen from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullFault {
    /// No connection (no network, the server is down, a wrong host, TLS refused) or it
    /// stalled: transient, tried again.
    Unreachable,
    /// The server answered with an error status (404, 403, 500…).
    Status,
    /// The list is not one loaxa reads (not JSON, too long, a bad entry).
    BadList,
    /// A bulletin's file could not be fetched (its status, its size, its name).
    File,
    /// The inbox folder could not be written.
    Disk,
    /// `ca_file` cannot be read.
    Certificate,
}

impl PullFault {
    /// Whether it may go away by itself (the network): warned only when it lasts.
    pub fn transient(self) -> bool {
        matches!(self, PullFault::Unreachable)
    }
}

/// A failure: its kind and the details (the address, the server's or system's words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullError {
    pub fault: PullFault,
    pub detail: String,
}

impl PullError {
    fn new(fault: PullFault, detail: impl std::fmt::Display) -> PullError {
        PullError {
            fault,
            detail: detail.to_string(),
        }
    }

    /// A network error, by what it is.
    fn net(e: &SourceError, file: bool) -> PullError {
        let fault = match e {
            SourceError::Connect { .. } | SourceError::Stalled { .. } => PullFault::Unreachable,
            _ if file => PullFault::File,
            SourceError::Status { .. } => PullFault::Status,
            _ => PullFault::BadList,
        };
        PullError::new(fault, e)
    }
}

impl std::fmt::Display for PullError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::words::{Lang, Say};
        write!(f, "{}: {}", self.fault.say(Lang::En), self.detail)
    }
}

/// The list as the province publishes it.
#[derive(Debug, Deserialize)]
struct List {
    bulletins: Vec<Entry>,
}

/// One bulletin of the list: its sidecar and its audio (none for a text bulletin).
#[derive(Debug, Deserialize)]
struct Entry {
    sidecar: String,
    #[serde(default)]
    audio: Option<String>,
}

/// What the list's server said last time, to ask only for a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

/// One fetch's outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fetched {
    /// The server said the list has not changed (304): nothing else was asked.
    pub unchanged: bool,
    /// Bulletins the list names.
    pub listed: usize,
    /// The bulletins laid in the folder this time (their stems).
    pub delivered: Vec<String>,
    /// The bulletins that could not be (tried again next time).
    pub failed: Vec<PullError>,
}

/// What a fetch needs besides the list's address.
pub struct Fetcher<'a> {
    pub url: &'a str,
    pub opts: &'a NetOptions,
    /// The inbox folder.
    pub dir: &'a Path,
    /// The largest audio file taken (the station's `max_upload_mb`).
    pub max_audio: u64,
    pub store: &'a Store,
}

impl Fetcher<'_> {
    /// Asks for the list (unless unchanged since `cache`) and lays every new bulletin in the
    /// folder. `Err`: the list itself could not be had; a bulletin's failure is in
    /// [`Fetched::failed`] and the others go on. Blocking (network and disk).
    pub fn fetch(&self, cache: &mut Validators) -> Result<Fetched, PullError> {
        let mut headers = Vec::new();
        if let Some(etag) = &cache.etag {
            headers.push(("If-None-Match", etag.as_str()));
        }
        if let Some(date) = &cache.last_modified {
            headers.push(("If-Modified-Since", date.as_str()));
        }
        let Some((list, list_url, validators)) = get_list(self.url, self.opts, &headers)? else {
            return Ok(Fetched {
                unchanged: true,
                ..Fetched::default()
            });
        };
        let mut out = Fetched {
            listed: list.bulletins.len(),
            ..Fetched::default()
        };
        for entry in &list.bulletins {
            match self.one(&list_url, entry) {
                Ok(Some(stem)) => out.delivered.push(stem),
                Ok(None) => {}
                Err(e) => out.failed.push(e),
            }
        }
        // Only a list taken whole is not asked for again.
        *cache = if out.failed.is_empty() {
            validators
        } else {
            Validators::default()
        };
        Ok(out)
    }

    /// Fetches one bulletin; `None` when its sidecar was delivered before as it is now.
    fn one(&self, list_url: &str, entry: &Entry) -> Result<Option<String>, PullError> {
        let side_url = crate::relay::net::resolve(list_url, &entry.sidecar)
            .map_err(|e| PullError::new(PullFault::BadList, e))?;
        let stem = file_name(&side_url)
            .and_then(|name| stem_with(&name, |ext| ext == SIDECAR_EXT))
            .ok_or_else(|| {
                PullError::new(
                    PullFault::BadList,
                    format!(
                        "{side_url}: not the address of a .json sidecar with a plain file name"
                    ),
                )
            })?;
        let side = self.get(&side_url, super::sidecar::MAX_SIDECAR)?;
        let sha = crate::library::hex(&Sha256::digest(&side));
        let before = self
            .store
            .inbox_pulled(&side_url)
            .map_err(|e| PullError::new(PullFault::Disk, e))?;
        if before.as_deref() == Some(sha.as_str()) {
            return Ok(None);
        }
        if let Some(audio) = &entry.audio {
            let audio_url = crate::relay::net::resolve(list_url, audio)
                .map_err(|e| PullError::new(PullFault::BadList, e))?;
            let ext = file_name(&audio_url)
                .and_then(|name| {
                    let (_, ext) = name.rsplit_once('.')?;
                    let ext = ext.to_ascii_lowercase();
                    AUDIO_EXTS.contains(&ext.as_str()).then_some(ext)
                })
                .ok_or_else(|| {
                    PullError::new(
                        PullFault::BadList,
                        format!(
                            "{audio_url}: not an audio file the inbox takes ({})",
                            AUDIO_EXTS.join(", ")
                        ),
                    )
                })?;
            self.download(&audio_url, &format!("{stem}.{ext}"))?;
        }
        self.lay(&format!("{stem}.{SIDECAR_EXT}"), &side)?;
        self.store
            .inbox_note_pulled(&side_url, &sha)
            .map_err(|e| PullError::new(PullFault::Disk, e))?;
        Ok(Some(stem))
    }

    /// GETs a small file whole (at most `max` bytes).
    fn get(&self, url: &str, max: u64) -> Result<Vec<u8>, PullError> {
        let response =
            crate::relay::net::get(url, self.opts, &[]).map_err(|e| PullError::net(&e, true))?;
        read_limited(response.body, max)
            .map_err(|e| PullError::new(PullFault::File, format!("{url}: {e}")))
    }

    /// Streams `url` into the folder as `name` (through a hidden file, moved in whole).
    fn download(&self, url: &str, name: &str) -> Result<(), PullError> {
        let response =
            crate::relay::net::get(url, self.opts, &[]).map_err(|e| PullError::net(&e, true))?;
        let hidden = self.dir.join(format!(".{name}.part"));
        let written = (|| -> Result<(), PullError> {
            let mut file = std::fs::File::create(&hidden).map_err(|e| {
                PullError::new(PullFault::Disk, format!("{}: {e}", hidden.display()))
            })?;
            let mut body = response.body.take(self.max_audio + 1);
            let mut buf = vec![0u8; 64 * 1024];
            let mut total = 0u64;
            loop {
                let n = match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(PullError::new(
                            PullFault::Unreachable,
                            format!("{url}: {e}"),
                        ));
                    }
                };
                total += n as u64;
                if total > self.max_audio {
                    return Err(PullError::new(
                        PullFault::File,
                        format!(
                            "{url}: larger than {} MB (max_upload_mb)",
                            self.max_audio / (1024 * 1024)
                        ),
                    ));
                }
                file.write_all(&buf[..n]).map_err(|e| {
                    PullError::new(PullFault::Disk, format!("{}: {e}", hidden.display()))
                })?;
            }
            file.sync_all()
                .map_err(|e| PullError::new(PullFault::Disk, format!("{}: {e}", hidden.display())))
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&hidden);
            return Err(e);
        }
        self.move_in(&hidden, name)
    }

    /// Writes `bytes` into the folder as `name` (through a hidden file, moved in whole).
    fn lay(&self, name: &str, bytes: &[u8]) -> Result<(), PullError> {
        let hidden = self.dir.join(format!(".{name}.part"));
        let written = std::fs::File::create(&hidden)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&hidden);
            return Err(PullError::new(
                PullFault::Disk,
                format!("{}: {e}", hidden.display()),
            ));
        }
        self.move_in(&hidden, name)
    }

    fn move_in(&self, hidden: &Path, name: &str) -> Result<(), PullError> {
        std::fs::rename(hidden, self.dir.join(name)).map_err(|e| {
            let _ = std::fs::remove_file(hidden);
            PullError::new(
                PullFault::Disk,
                format!("{}: {e}", self.dir.join(name).display()),
            )
        })
    }
}

/// How the list's server is reached: `connect` and `stall` times, and the roots of
/// `ca_file` beside Mozilla's.
pub fn net_options(
    ca_file: Option<&Path>,
    connect: std::time::Duration,
    stall: std::time::Duration,
) -> Result<NetOptions, PullError> {
    let ca_certs = crate::province::push::ca_certs(ca_file)
        .map_err(|e| PullError::new(PullFault::Certificate, e.detail))?;
    Ok(NetOptions {
        connect,
        stall,
        ca_certs,
        ..NetOptions::default()
    })
}

/// How many bulletins the list at `url` names (`loaxa check`'s look; nothing is fetched
/// besides the list).
pub fn count_listed(url: &str, opts: &NetOptions) -> Result<usize, PullError> {
    let (list, _, _) = get_list(url, opts, &[])?
        .ok_or_else(|| PullError::new(PullFault::Status, format!("{url}: 304 unasked")))?;
    Ok(list.bulletins.len())
}

/// GETs the list with `headers`; `None` when the server says it has not changed (304).
/// With it, the address it came from (after redirects) and the server's validators.
fn get_list(
    url: &str,
    opts: &NetOptions,
    headers: &[(&str, &str)],
) -> Result<Option<(List, String, Validators)>, PullError> {
    let response = match crate::relay::net::get(url, opts, headers) {
        Ok(r) => r,
        Err(SourceError::Status { status: 304, .. }) => return Ok(None),
        Err(e) => return Err(PullError::net(&e, false)),
    };
    let validators = Validators {
        etag: response.header("etag").map(str::to_string),
        last_modified: response.header("last-modified").map(str::to_string),
    };
    let list_url = response.url.clone();
    let body = read_limited(response.body, MAX_LIST)
        .map_err(|e| PullError::new(PullFault::BadList, format!("{list_url}: {e}")))?;
    let list = parse_list(&body)
        .map_err(|e| PullError::new(PullFault::BadList, format!("{list_url}: {e}")))?;
    Ok(Some((list, list_url, validators)))
}

/// Reads at most `max` bytes; more is an error.
fn read_limited(body: Box<dyn Read + Send>, max: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    body.take(max + 1).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    Ok(out)
}

/// The list, bounded.
fn parse_list(bytes: &[u8]) -> Result<List, String> {
    let list: List = serde_json::from_slice(bytes).map_err(|e| {
        format!("not a list of bulletins ({e}); expected {{\"bulletins\": [{{\"sidecar\": \"X.json\", \"audio\": \"X.mp3\"}}]}}")
    })?;
    if list.bulletins.len() > MAX_ENTRIES {
        return Err(format!(
            "{} bulletins listed, at most {MAX_ENTRIES} are taken",
            list.bulletins.len()
        ));
    }
    Ok(list)
}

/// The last segment of `url`'s path, percent-decoded; `None` when it is not a plain
/// UTF-8 file name (empty, a folder, hidden, with a separator or a control character).
fn file_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
    let (_, path) = after_scheme.split_once('/')?;
    let last = path.rsplit('/').next()?;
    let name = percent_decode(last)?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with('~')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    plain.then_some(name)
}

/// The stem of `name` when its (lower-cased) extension passes `ext_ok`.
fn stem_with(name: &str, ext_ok: impl Fn(&str) -> bool) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && stem.len() <= MAX_STEM && ext_ok(&ext.to_ascii_lowercase()))
        .then(|| stem.to_string())
}

/// `%XX` escapes decoded; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_last_segment_and_must_be_plain() {
        let ok = [
            ("https://a.vn/tin/QNG-1.json", "QNG-1.json"),
            ("http://a.vn:8080/QNG-1.json?v=2#x", "QNG-1.json"),
            ("https://a.vn/tin/B%E1%BA%A3n%20tin.json", "Bản tin.json"),
        ];
        for (url, name) in ok {
            assert_eq!(file_name(url).as_deref(), Some(name), "{url}");
        }
        for url in [
            "https://a.vn/tin/",
            "https://a.vn",
            "https://a.vn/.hidden.json",
            "https://a.vn/a%2Fb.json",
            "https://a.vn/a%5Cb.json",
            "https://a.vn/a%0Ab.json",
            "https://a.vn/a%ZZ.json",
            "https://a.vn/a%FF.json",
            "https://a.vn/x.json~",
        ] {
            assert_eq!(file_name(url), None, "{url}");
        }
        assert_eq!(
            stem_with("QNG-1.JSON", |e| e == "json").as_deref(),
            Some("QNG-1")
        );
        assert_eq!(stem_with(".json", |e| e == "json"), None);
        assert_eq!(stem_with("QNG-1.mp3", |e| e == "json"), None);
        let long = format!("{}.json", "a".repeat(MAX_STEM + 1));
        assert_eq!(stem_with(&long, |e| e == "json"), None);
    }

    #[test]
    fn the_list_is_read_bounded_and_said_when_wrong() {
        let list = parse_list(
            br#"{"bulletins": [{"sidecar": "a.json", "audio": "a.mp3"}, {"sidecar": "b.json", "note": "x"}], "updated": 1}"#,
        )
        .expect("a list");
        assert_eq!(list.bulletins.len(), 2);
        assert_eq!(list.bulletins[0].audio.as_deref(), Some("a.mp3"));
        assert_eq!(list.bulletins[1].audio, None);
        let e = parse_list(b"<html>404</html>").expect_err("html");
        assert!(e.contains("expected {\"bulletins\""), "{e}");
        let e = parse_list(br#"{"bulletins": [{"audio": "a.mp3"}]}"#).expect_err("no sidecar");
        assert!(e.contains("sidecar"), "{e}");
        let many = format!(
            "{{\"bulletins\": [{}]}}",
            vec![r#"{"sidecar": "a.json"}"#; MAX_ENTRIES + 1].join(",")
        );
        let e = parse_list(many.as_bytes()).expect_err("too many");
        assert!(e.contains("at most 500"), "{e}");
    }

    #[test]
    fn a_body_over_its_bound_is_refused() {
        let body = |n: usize| Box::new(std::io::Cursor::new(vec![b'x'; n])) as Box<dyn Read + Send>;
        assert_eq!(read_limited(body(10), 10).expect("at the bound").len(), 10);
        let e = read_limited(body(11), 10).expect_err("over");
        assert!(e.to_string().contains("larger than 10 bytes"), "{e}");
    }
}
