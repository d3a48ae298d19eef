//! Plays audio files through the real player path, as the daemon does, for CPU benchmarks:
//! `cargo run --release --example play_file -- OUTPUT [--rate R] [--channels C] FILE...`
//! with OUTPUT `null`, `raw:PATH`, `wav:PATH` or a sound device (`alsa:cap_paced`).
//!
//! File and null outputs are paced by tokio's clock; this runs them on a paused runtime (as
//! the tests' simulated clock does), so an hour of audio plays as fast as the CPU allows
//! and `/usr/bin/time` measures the player's whole cost: hash check, decode, conversion to
//! the output format, the proof-of-air meter, writing. A device plays in real time.
//! Prints each event and the wall time. Used by `benches/playback.sh`.
//!
//! `play_file decode FILE...` only decodes the files with the decoder the player uses (and
//! discards the samples): the decoding share of the player's cost, to set beside
//! `ffmpeg -f null`.

use std::path::PathBuf;
use std::time::Instant;

use loaxa::model::OutputSpec;
use loaxa::player::{OutputFormat, Player, PlayerEvent};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("decode") {
        return decode_only(args.map(PathBuf::from));
    }
    let spec: OutputSpec = first
        .ok_or_else(|| {
            anyhow::anyhow!("usage: play_file OUTPUT [--rate R] [--channels C] FILE...")
        })?
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let mut format = OutputFormat::default();
    let mut files = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rate" => format.sample_rate = args.next().map(|v| v.parse()).transpose()?,
            "--channels" => format.channels = args.next().map(|v| v.parse()).transpose()?,
            _ => files.push(PathBuf::from(arg)),
        }
    }
    let paced_by_tokio = !matches!(spec, OutputSpec::Default | OutputSpec::Device(_));
    let runtime = if paced_by_tokio {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    let t0 = Instant::now();
    runtime.block_on(async {
        let mut player = Player::new(spec, format)?;
        let mut run = player.start(files)?;
        while let Some(event) = run.next_event().await {
            let done = event == PlayerEvent::Finished;
            eprintln!("{:>9.3} s {event:?}", t0.elapsed().as_secs_f64());
            if done {
                break;
            }
        }
        anyhow::Ok(())
    })?;
    Ok(())
}

/// Decodes each file to its end with the player's decoder; prints the samples decoded.
fn decode_only(files: impl Iterator<Item = PathBuf>) -> anyhow::Result<()> {
    for file in files {
        let mut decoder = loaxa::audio::FileDecoder::open(&file)?;
        let mut samples = 0usize;
        while let Some(block) = decoder.next_block()? {
            samples += block.len();
        }
        eprintln!("{}: {samples} samples", file.display());
    }
    Ok(())
}
