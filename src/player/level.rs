//! An item's gain and trimmed end, applied per decoded block (never per sample call): the
//! only loudness arithmetic inside the player. The gain itself is computed outside, from the
//! segment's measurement and the station's `[audio]` settings (`crate::audio::playout_gain`).

use super::opener::PlayItem;

#[derive(Debug, Clone, Copy)]
pub(super) struct ItemLevel {
    gain: f32,
    /// Frames still to air before the trimmed end; `None`: to the real end of the file.
    left: Option<u64>,
}

impl ItemLevel {
    pub(super) fn new(item: &PlayItem) -> ItemLevel {
        ItemLevel {
            gain: if item.gain.is_finite() {
                item.gain
            } else {
                1.0
            },
            left: item.span.map(|(start, end)| end.saturating_sub(start)),
        }
    }

    /// How many of a block's `frames` air; `None` once the trimmed end is reached.
    #[inline]
    pub(super) fn take(&mut self, frames: usize) -> Option<usize> {
        let Some(left) = self.left.as_mut() else {
            return Some(frames);
        };
        if *left == 0 {
            return None;
        }
        let n = frames.min(usize::try_from(*left).unwrap_or(usize::MAX));
        *left -= n as u64;
        Some(n)
    }

    /// Multiplies a block by the gain (nothing to do at unity).
    #[inline]
    pub(super) fn apply(&self, block: &mut [f32]) {
        if self.gain != 1.0 {
            for s in block {
                *s *= self.gain;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trimmed_end_cuts_inside_a_block_and_then_ends_the_item() {
        let item = PlayItem {
            span: Some((100, 250)),
            ..PlayItem::new(0, "a.wav".into())
        };
        let mut level = ItemLevel::new(&item);
        assert_eq!(level.take(100), Some(100));
        assert_eq!(level.take(100), Some(50));
        assert_eq!(level.take(100), None);
        let mut whole = ItemLevel::new(&PlayItem::new(0, "a.wav".into()));
        assert_eq!(whole.take(4096), Some(4096));
    }

    #[test]
    fn gain_multiplies_and_a_broken_gain_is_unity() {
        let item = PlayItem {
            gain: 0.5,
            ..PlayItem::new(0, "a.wav".into())
        };
        let mut block = [1.0, -0.5];
        ItemLevel::new(&item).apply(&mut block);
        assert_eq!(block, [0.5, -0.25]);
        let nan = PlayItem {
            gain: f32::NAN,
            ..item
        };
        let mut block = [1.0];
        ItemLevel::new(&nan).apply(&mut block);
        assert_eq!(block, [1.0]);
    }
}
