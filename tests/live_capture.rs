//! The live input's capture through the real path — cpal → alsa-lib — with no sound card:
//! alsa-lib's `file` plugin as a capture PCM (`mic` in `tests/support/alsa/asound.conf.in`)
//! reads a known file, and what the capture gives is that file, sample for sample. A device
//! that does not exist is refused naming the capture devices there are. alsa-lib reads its
//! configuration once per process: each case runs in a child (`tests/support/alsa_child.rs`).

#[path = "support/alsa_child.rs"]
mod alsa_child;
#[path = "support/wav.rs"]
mod wav;

use std::num::NonZero;
use std::time::{Duration, Instant};

use alsa_child::{child_dir, run_child};
use loaxa::live::{Capture, CaptureError};

#[test]
fn the_capture_gives_the_microphones_samples_and_a_missing_device_names_the_others() {
    run_child("child_capture_reads_the_microphone");
}

#[test]
#[ignore = "helper: run by the_capture_gives_the_microphones_samples… in a child process"]
fn child_capture_reads_the_microphone() {
    let Some(dir) = child_dir() else { return };
    // Two seconds of noise, S16 stereo 44.1 kHz, as the "microphone" gives it.
    let mic: Vec<i16> = wav::noise(88_200, 2, 5, 0.5)
        .iter()
        .map(|s| (s * 32767.0) as i16)
        .collect();
    let bytes: Vec<u8> = mic.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(dir.join("mic.raw"), bytes).expect("mic.raw");

    let (rate, channels) = (
        NonZero::new(44_100).expect("rate"),
        NonZero::new(2).expect("ch"),
    );
    let capture = Capture::open("alsa:mic", rate, channels).expect("the microphone opens");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < 44_100 * 2 && Instant::now() < deadline {
        capture
            .read(&mut got, 8_192, Duration::from_millis(100))
            .expect("no device error");
    }
    assert!(got.len() >= 44_100 * 2, "a second captured: {}", got.len());
    let as_s16: Vec<i16> = got[..44_100 * 2]
        .iter()
        .map(|s| (s * 32768.0).round() as i16)
        .collect();
    let first_wrong = as_s16.iter().zip(&mic).position(|(a, b)| a != b);
    assert_eq!(first_wrong, None, "the capture is the microphone's samples");
    assert_eq!(capture.dropped(), 0);
    drop(capture);

    match Capture::open("alsa:khong-co", rate, channels) {
        Err(CaptureError::NotFound { name, available }) => {
            assert_eq!(name, "alsa:khong-co");
            assert!(
                available.iter().any(|d| d.starts_with("alsa:mic")),
                "the devices there are: {available:?}"
            );
        }
        other => panic!("a missing device is refused: {:?}", other.err()),
    }
}
