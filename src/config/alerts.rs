//! `[alerts]`: where the station reports its faults off the page — webhooks that receive a
//! JSON event (a Zalo or Telegram bot, an e-mail gateway). Every key but `webhook` has a
//! default; without the section no alert is sent.

use std::time::Duration;

use super::duration::Bounds;
use super::program::bounded;
use super::walk::Table;
use super::{AlertSettings, Source};
use crate::words::ConfigProblem;

const ALERTS_KEYS: &[&str] = &["webhook", "dedup", "digest", "digest_at"];

/// The most webhooks.
pub const MAX_WEBHOOKS: usize = 8;
/// The same fault again within this is not sent again: none to a day.
const DEDUP: Bounds = Bounds::secs(0, 24 * 3600);

/// What a file without `[alerts]` gets: nothing is sent.
pub(super) fn default_alerts() -> AlertSettings {
    AlertSettings {
        webhooks: Vec::new(),
        dedup: Duration::from_secs(3600),
        digest_at: None,
    }
}

pub(super) fn alerts(src: &mut Source<'_>, t: &Table<'_, '_>) -> Option<AlertSettings> {
    t.check_keys(src, ALERTS_KEYS);
    let mut ok = true;
    let mut out = default_alerts();
    if let Some(urls) = t.one_or_more(src, "webhook") {
        if urls.len() > MAX_WEBHOOKS {
            src.problem(
                t.span_of("webhook").unwrap_or(0..0),
                ConfigProblem::TooManyWebhooks {
                    count: urls.len() as u64,
                    max: MAX_WEBHOOKS as u64,
                },
            );
            ok = false;
        }
        for u in urls.into_iter().take(MAX_WEBHOOKS) {
            match crate::relay::check_url(u.get_ref()) {
                Ok(()) => out.webhooks.push(u.into_inner()),
                Err(problem) => {
                    ok = false;
                    let url: String = u.get_ref().chars().take(200).collect();
                    src.problem(u.span(), ConfigProblem::WebhookUrl { url, problem });
                }
            }
        }
    }
    if let Some(d) = bounded(src, t, "dedup", DEDUP, &mut ok) {
        out.dedup = d;
    }
    let digest = t.boolean(src, "digest").is_some_and(|b| *b.get_ref());
    let at = match t.string(src, "digest_at") {
        Some(s) => match chrono::NaiveTime::parse_from_str(s.get_ref(), "%H:%M") {
            Ok(at) => Some(at),
            Err(_) => {
                src.problem(
                    s.span(),
                    ConfigProblem::BadTimeOfDay {
                        key: "digest_at".into(),
                        text: s.get_ref().chars().take(40).collect(),
                    },
                );
                ok = false;
                None
            }
        },
        None => chrono::NaiveTime::from_hms_opt(7, 0, 0),
    };
    if digest {
        out.digest_at = at;
    }
    ok.then_some(out)
}
