//! Air kept as a file — a relay with `record = true`, a live airing's air-check: mono, 16-bit WAV, at half the feed's rate
//! when that is 32 kHz or more (speech and news need no more, and the file is a quarter of
//! the stereo one: about 86 MB for thirty minutes at 48 kHz). Written on a thread of its own
//! from the blocks the feed hands out; when the feed is dropped the header is completed and
//! the file is handed to [`Record::done`] (the daemon imports it as a segment).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::num::NonZero;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use super::feed::Record;

/// Blocks waiting for the writer (about five seconds of audio at 48 kHz).
const QUEUE: usize = 256;

/// Starts the recorder; `None` (with the reason logged) when its file cannot be created.
pub(crate) fn start(
    record: Record,
    rate: NonZero<u32>,
    channels: NonZero<u16>,
) -> Option<SyncSender<Vec<f32>>> {
    if let Some(dir) = record.path.parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        tracing::error!(path = %record.path.display(), error = %e, "cannot keep the recording");
        return None;
    }
    let file = match File::create(&record.path) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(path = %record.path.display(), error = %e, "cannot keep the recording");
            return None;
        }
    };
    let (tx, rx) = sync_channel(QUEUE);
    let spawned = std::thread::Builder::new()
        .name("loaxa-record".into())
        .spawn(move || write(record, file, rx, rate, channels));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the recorder");
        return None;
    }
    Some(tx)
}

fn write(
    record: Record,
    file: File,
    blocks: Receiver<Vec<f32>>,
    rate: NonZero<u32>,
    channels: NonZero<u16>,
) {
    let halve = rate.get() >= 32_000;
    let out_rate = if halve { rate.get() / 2 } else { rate.get() };
    let mut out = BufWriter::new(file);
    let mut frames = 0u64;
    let mut carry: Option<f32> = None;
    let result = (|| -> std::io::Result<()> {
        out.write_all(&header(out_rate, 0))?;
        for block in blocks {
            for frame in block.chunks_exact(usize::from(channels.get())) {
                let mono = frame.iter().sum::<f32>() / frame.len() as f32;
                let sample = match (halve, carry.take()) {
                    (false, _) => mono,
                    (true, None) => {
                        carry = Some(mono);
                        continue;
                    }
                    (true, Some(first)) => (first + mono) / 2.0,
                };
                let s = (sample.clamp(-1.0, 1.0) * 32767.0).round() as i16;
                out.write_all(&s.to_le_bytes())?;
                frames += 1;
            }
        }
        let data = u32::try_from(frames * 2).unwrap_or(u32::MAX - 64);
        out.seek(SeekFrom::Start(0))?;
        out.write_all(&header(out_rate, data))?;
        out.flush()?;
        out.get_ref().sync_all()
    })();
    drop(out);
    if let Err(e) = result {
        tracing::error!(path = %record.path.display(), error = %e, "the recording could not be written");
        let _ = std::fs::remove_file(&record.path);
        return;
    }
    if frames == 0 {
        let _ = std::fs::remove_file(&record.path);
        return;
    }
    let length = Duration::from_secs_f64(frames as f64 / f64::from(out_rate));
    (record.done)(record.path, length);
}

/// A 44-byte header of mono 16-bit PCM WAV with `data` bytes of samples.
fn header(rate: u32, data: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        h[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(b"RIFF");
    put(&data.saturating_add(36).to_le_bytes());
    put(b"WAVEfmt ");
    put(&16u32.to_le_bytes());
    put(&1u16.to_le_bytes()); // PCM
    put(&1u16.to_le_bytes()); // mono
    put(&rate.to_le_bytes());
    put(&(rate * 2).to_le_bytes());
    put(&2u16.to_le_bytes());
    put(&16u16.to_le_bytes());
    put(b"data");
    put(&data.to_le_bytes());
    h
}
