//! The completion invariant: an item that reaches the end of its audio more than
//! [`ENDED_EARLY_SLACK`] before its measured length (or its span) is failed, not completed.

use std::num::NonZero;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::control::Control;
use super::program::ProgramSource;
use super::tests::wav::{Bits, noise, write_wav};
use super::*;

#[test]
fn the_rule_allows_a_hundred_milliseconds_and_no_more() {
    let ms = Duration::from_millis;
    assert_eq!(
        ended_early(ms(2000), None),
        ItemEnd::Completed,
        "no measure, no rule"
    );
    assert_eq!(ended_early(ms(2000), Some(ms(2000))), ItemEnd::Completed);
    assert_eq!(
        ended_early(ms(2500), Some(ms(2000))),
        ItemEnd::Completed,
        "longer is fine"
    );
    assert_eq!(
        ended_early(ms(1900), Some(ms(2000))),
        ItemEnd::Completed,
        "exactly the slack"
    );
    assert_eq!(
        ended_early(ms(1899), Some(ms(2000))),
        ItemEnd::EndedEarly {
            played: ms(1899),
            measured: ms(2000)
        }
    );
    assert_eq!(
        ended_early(Duration::ZERO, Some(ms(7340))),
        ItemEnd::EndedEarly {
            played: Duration::ZERO,
            measured: ms(7340)
        }
    );
}

/// Three 1 s files: one measured 1 s, one measured 3 s (its audio ends 2 s early), one whose
/// span (frames 0..48 000 + 4 800 = 1.1 s) runs past its real end by exactly the slack.
#[test]
fn an_item_shorter_than_measured_ends_failed_with_the_times_and_the_program_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rate = 48_000;
    let mut items = Vec::new();
    for (key, (measured, span)) in [
        (Some(Duration::from_secs(1)), None),
        (Some(Duration::from_secs(3)), None),
        (Some(Duration::from_secs(9)), Some((0, 52_800))),
    ]
    .into_iter()
    .enumerate()
    {
        let path = dir.path().join(format!("{key}.wav"));
        write_wav(
            &path,
            rate,
            1,
            Bits::S16,
            &noise(48_000, 1, key as u64, 0.5),
        );
        items.push(PlayItem {
            measured,
            span,
            ..PlayItem::new(key, path)
        });
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let control = Arc::new(Control::new(tx, items.clone()));
    let one = NonZero::<u16>::MIN;
    let source = ProgramSource::new(
        items,
        one,
        NonZero::new(rate).expect("nonzero"),
        Duration::ZERO,
        control,
    );
    assert_eq!(source.count(), 3 * 48_000, "all the audio still airs");
    let mut ends = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let PlayerEvent::Ended {
            index, played, end, ..
        } = e
        {
            ends.push((index, played, end));
        }
    }
    let second = Duration::from_secs(1);
    assert_eq!(
        ends,
        vec![
            (0, second, ItemEnd::Completed),
            (
                1,
                second,
                ItemEnd::EndedEarly {
                    played: second,
                    measured: Duration::from_secs(3)
                }
            ),
            (2, second, ItemEnd::Completed),
        ]
    );
}
