//! Loudness-normalised playout: segments arriving at −30, −20 and −10 LUFS air at the
//! station's target, no true peak above the ceiling, silence trimmed from their ends, the
//! master gain and each segment's offset shifting the level by exactly what is set.
//!
//! Signals are generated (seeded noise) and brought to their level with the `ebur128` crate;
//! what aired is measured again with `ebur128`, on the `wav:` output of the real daemon on a
//! simulated clock here, and on the ALSA capture of the real binary in `loudness_capture`
//! (below). The numbers are printed (`--nocapture`) for the README and the report.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/process.rs"]
mod process;
#[path = "support/running.rs"]
mod running;
#[path = "support/station.rs"]
mod station;
#[path = "support/wav.rs"]
mod wav;

use std::time::{Duration, Instant};

use ebur128::{EbuR128, Mode};
use loaxa::model::{Level, OutputSpec, Segment, SegmentId};
use loaxa::service::{SegmentPatch, Station};
use running::Running;
use serde_json::{Value, json};
use station::{TestStation, local};
use wav::{Bits, noise, write_wav};

const RATE: u32 = 48_000;
const TARGET: f64 = -16.0;
const CEILING: f64 = -1.0;

/// Integrated loudness (LUFS) and true peak (dBTP) of interleaved stereo `samples`, by the
/// `ebur128` crate directly.
fn loudness(samples: &[f32], rate: u32) -> (f64, f64) {
    let mut m = EbuR128::new(2, rate, Mode::I | Mode::TRUE_PEAK).expect("meter");
    m.add_frames_f32(samples).expect("frames");
    let peak = (0..2)
        .map(|c| m.true_peak(c).expect("peak"))
        .fold(0.0f64, f64::max);
    (m.loudness_global().expect("loudness"), 20.0 * peak.log10())
}

/// `secs` of stereo noise at `lufs` integrated loudness (measured, then scaled).
fn noise_at(secs: f64, lufs: f64, seed: u64) -> Vec<f32> {
    let raw = noise((secs * f64::from(RATE)) as usize, 2, seed, 0.25);
    let (l, _) = loudness(&raw, RATE);
    let k = 10f64.powf((lufs - l) / 20.0) as f32;
    raw.iter().map(|s| s * k).collect()
}

fn segment(station: &Station, id: SegmentId) -> Segment {
    station.segment(id).expect("segment stored")
}

/// Frames of the `wav:` output, split after each item's known length.
fn split(out: &[f32], lengths: &[usize]) -> Vec<Vec<f32>> {
    let mut at = 0;
    lengths
        .iter()
        .map(|n| {
            let part = out[at..at + 2 * n].to_vec();
            at += 2 * n;
            part
        })
        .collect()
}

fn program(playlist: &str) -> String {
    format!("[[program]]\nname = \"sang\"\ncron = \"30 5 * * *\"\nplaylists = [\"{playlist}\"]\n")
}

fn playlist(ids: &[SegmentId]) -> String {
    ids.iter()
        .map(|id| format!("[[item]]\nsegment = {id}\n"))
        .collect()
}

/// Imports `files` (rel path, samples) and airs them in one program on a `wav:` output;
/// returns the station, the ids and what aired.
async fn air(
    audio: &str,
    files: &[(&str, Vec<f32>)],
    before: impl FnOnce(&Station, &[SegmentId]),
) -> (Station, Vec<SegmentId>, Vec<f32>, TestStation) {
    let t = TestStation::with_output_keys(
        &format!("{audio}\n{}", program("tin")),
        &[],
        local(2026, 3, 1, 5, 0, 0),
        "sample_rate = 48000\nchannels = 2",
    );
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    let station = t.station();
    let mut ids = Vec::new();
    for (rel, samples) in files {
        write_wav(&t.path(rel), RATE, 2, Bits::F32, samples);
        ids.push(t.add(&station, rel, t.meta(rel)));
    }
    before(&station, &ids);
    std::fs::write(t.path("playlists/tin.toml"), playlist(&ids)).expect("playlist");
    let station = {
        drop(station);
        t.station()
    };
    let check = t.path("air.wav");
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(check.clone())));
    d.until(local(2026, 3, 1, 5, 32, 0)).await;
    let records = d.stop().await;
    assert_eq!(records.len(), files.len(), "{records:#?}");
    let (rate, channels, out) = wav::read_wav_f32(&check);
    assert_eq!((rate, channels), (RATE, 2));
    (t.station(), ids, out, t)
}

#[tokio::test(start_paused = true)]
async fn segments_at_minus_30_20_and_10_lufs_air_at_the_target_under_the_ceiling() {
    let levels = [-30.0, -20.0, -10.0];
    let files: Vec<(String, Vec<f32>)> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| (format!("in/{l}.wav"), noise_at(4.0, *l, 11 + i as u64)))
        .collect();
    let refs: Vec<(&str, Vec<f32>)> = files.iter().map(|(r, s)| (r.as_str(), s.clone())).collect();
    let (station, ids, out, _t) = air("", &refs, |_, _| {}).await;

    let lengths: Vec<usize> = files.iter().map(|(_, s)| s.len() / 2).collect();
    assert_eq!(
        out.len(),
        2 * lengths.iter().sum::<usize>(),
        "all of it aired"
    );
    for (((id, (rel, input)), part), wanted) in ids
        .iter()
        .zip(&files)
        .zip(split(&out, &lengths))
        .zip(levels)
    {
        let (in_lufs, in_peak) = loudness(input, RATE);
        let seg = segment(&station, *id);
        let stored = seg.level.loudness_lufs.expect("measured at import");
        assert!(
            (stored - in_lufs).abs() < 0.05,
            "{rel}: import measured {stored}, ebur128 {in_lufs}"
        );
        assert!(
            (in_lufs - wanted).abs() < 0.05,
            "{rel}: the test signal is at {in_lufs}"
        );
        let peak = seg.level.true_peak_dbtp.expect("peak measured");
        assert!(
            (peak - in_peak).abs() < 0.05,
            "{rel}: peak {peak} vs {in_peak}"
        );
        let (lufs, tp) = loudness(&part, RATE);
        println!(
            "wav: {rel}: before {in_lufs:.2} LUFS / {in_peak:.2} dBTP -> aired {lufs:.2} LUFS / {tp:.2} dBTP"
        );
        assert!((lufs - TARGET).abs() <= 1.0, "{rel} aired at {lufs} LUFS");
        assert!(tp <= CEILING + 0.01, "{rel} true peak {tp} dBTP");
    }
}

#[tokio::test(start_paused = true)]
async fn a_segment_too_peaky_for_the_target_gets_less_gain_and_never_passes_the_ceiling() {
    // Quiet noise at -30 LUFS with a few clicks at -3 dBFS: +14 dB would put them at +11 dBTP.
    let mut samples = noise_at(4.0, -30.0, 5);
    for at in [RATE as usize / 2, RATE as usize * 2, RATE as usize * 3] {
        samples[2 * at] = 0.708;
        samples[2 * at + 1] = -0.708;
    }
    let (in_lufs, in_peak) = loudness(&samples, RATE);
    let (station, ids, out, t) = air("", &[("in/peaky.wav", samples)], |_, _| {}).await;
    let (lufs, tp) = loudness(&out, RATE);
    println!(
        "wav: peaky: before {in_lufs:.2} LUFS / {in_peak:.2} dBTP -> aired {lufs:.2} LUFS / {tp:.2} dBTP"
    );
    assert!(tp <= CEILING + 0.01, "true peak {tp}");
    assert!(tp >= CEILING - 0.1, "it gets all the ceiling allows: {tp}");
    assert!(lufs < TARGET - 2.0, "held below the target: {lufs}");
    let gain = lufs - in_lufs;
    assert!((gain - (CEILING - in_peak)).abs() < 0.1, "gain {gain}");

    // `segment show` says so (the binary needs the database: close ours).
    drop(station);
    let show = bin::loaxa(&t.config_path(), &["segment", "show", &ids[0].to_string()]);
    let said = bin::text(&show.stdout);
    assert!(show.status.success(), "{}", bin::text(&show.stderr));
    assert!(said.contains("true-peak ceiling"), "{said}");
    assert!(
        said.contains(&format!("{:+.1} dB now", CEILING - in_peak)),
        "{said}"
    );
}

#[tokio::test(start_paused = true)]
async fn master_gain_and_segment_offset_shift_the_level_by_what_is_set() {
    let a = noise_at(3.0, -20.0, 21);
    let b = noise_at(3.0, -20.0, 22);
    let (_, _, out, _t) = air(
        "[audio]\nmaster_gain_db = -6\n",
        &[("in/a.wav", a.clone()), ("in/b.wav", b.clone())],
        |station, ids| {
            let patch = SegmentPatch {
                gain_db: Some(3.5),
                ..SegmentPatch::default()
            };
            let seg = station.update_segment(ids[1], &patch).expect("offset set");
            assert_eq!(seg.level.gain_db, 3.5);
            let bad = SegmentPatch {
                gain_db: Some(45.0),
                ..SegmentPatch::default()
            };
            let err = station
                .update_segment(ids[1], &bad)
                .expect_err("out of range");
            assert!(format!("{err:#}").contains("--gain-db"), "{err:#}");
        },
    )
    .await;
    let parts = split(&out, &[a.len() / 2, b.len() / 2]);
    let (la, _) = loudness(&parts[0], RATE);
    let (lb, _) = loudness(&parts[1], RATE);
    println!("wav: master -6 dB: {la:.2} LUFS; master -6 dB, offset +3.5 dB: {lb:.2} LUFS");
    assert!((la - (TARGET - 6.0)).abs() < 0.1, "{la}");
    assert!((lb - (TARGET - 6.0 + 3.5)).abs() < 0.1, "{lb}");
}

#[tokio::test(start_paused = true)]
async fn silence_at_both_ends_is_trimmed_at_import_and_joins_leave_no_dead_air() {
    let sound = |seed| {
        let mut s = vec![0.0f32; 2 * 2 * RATE as usize];
        s.extend(noise_at(3.0, -16.0, seed));
        s.extend(vec![0.0f32; 2 * 2 * RATE as usize]);
        s
    };
    let (station, ids, out, _t) = air(
        "[audio]\ntrim_silence_db = -50\n",
        &[("in/a.wav", sound(31)), ("in/b.wav", sound(32))],
        |_, _| {},
    )
    .await;
    let margin = loaxa::audio::TRIM_MARGIN_MS as usize * RATE as usize / 1000;
    let aired = 3 * RATE as usize + 2 * margin;
    for id in &ids {
        let seg = segment(&station, *id);
        let trim = seg.level.trim.expect("trimmed");
        assert_eq!(
            (trim.start_frame, trim.end_frame),
            (
                (2 * RATE as usize - margin) as u64,
                (5 * RATE as usize + margin) as u64
            )
        );
        assert_eq!(
            seg.duration_ms, 3040,
            "the planner's length is the trimmed one"
        );
    }
    assert_eq!(out.len(), 2 * 2 * aired, "7 s files air 3.04 s each");
    // The longest run of silent frames anywhere: the margins only (2 × 20 ms at the join).
    let mut longest = 0;
    let mut run = 0;
    for frame in out.chunks_exact(2) {
        run = if frame.iter().all(|s| *s == 0.0) {
            run + 1
        } else {
            0
        };
        longest = longest.max(run);
    }
    println!(
        "trim: {} frames aired, longest silence {longest} frames",
        out.len() / 2
    );
    assert!(longest <= 2 * margin, "dead air of {longest} frames");
}

#[tokio::test(start_paused = true)]
async fn segments_from_before_loudness_measurement_load_and_are_measured_later() {
    let t = TestStation::new(&program("tin"), &[], local(2026, 3, 1, 5, 0, 0));
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    let station = t.station();
    write_wav(
        &t.path("in/old.wav"),
        RATE,
        2,
        Bits::F32,
        &noise_at(2.0, -24.0, 41),
    );
    let id = t.add(&station, "in/old.wav", t.meta("cũ"));
    // The record as an older loaxa wrote it: none of the new fields.
    let mut json: Value = serde_json::to_value(segment(&station, id)).expect("json");
    for key in [
        "loudness_measured",
        "loudness_lufs",
        "true_peak_dbtp",
        "gain_db",
        "trim",
    ] {
        json.as_object_mut().expect("object").remove(key);
    }
    let old: Segment = serde_json::from_value(json).expect("an old record still loads");
    assert_eq!(old.level, Level::default());
    station.store.insert_segment(&old).expect("store");
    drop(station);
    let show = bin::loaxa(&t.config_path(), &["segment", "show", &id.to_string()]);
    assert!(
        bin::text(&show.stdout).contains("not measured yet"),
        "{}",
        bin::text(&show.stdout)
    );
    let station = t.station();

    assert_eq!(station.measure_unmeasured(|| false).expect("measured"), 1);
    let seg = segment(&station, id);
    let lufs = seg.level.loudness_lufs.expect("measured now");
    assert!((lufs - -24.0).abs() < 0.05, "{lufs}");
    assert_eq!(
        station.measure_unmeasured(|| false).expect("nothing left"),
        0
    );
}

// ---- the real binary on the ALSA capture device ----

const CAP_RATE: u32 = 44_100;

/// 44.1 kHz version of [`noise_at`] (the capture device's own rate: nothing is resampled).
fn noise_at_44k(secs: f64, lufs: f64, seed: u64) -> Vec<f32> {
    let raw = noise((secs * f64::from(CAP_RATE)) as usize, 2, seed, 0.25);
    let (l, _) = loudness(&raw, CAP_RATE);
    let k = 10f64.powf((lufs - l) / 20.0) as f32;
    raw.iter().map(|s| s * k).collect()
}

fn api_call(req: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Value {
    let mut answer = req.expect("the API answers");
    let body = answer.body_mut().read_to_string().expect("body");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// The real `loaxa run` plays −30, −20 and −10 LUFS segments through rodio → cpal →
/// alsa-lib into a paced capture: each is within ±1 LU of the target there, under the
/// ceiling. (S16 capture: quantisation is far below these tolerances.)
#[test]
fn the_real_binary_airs_three_levels_at_the_target_on_the_alsa_capture() {
    let t = TestStation::new(&program("tin"), &[], local(2026, 3, 1, 0, 0, 0));
    t.set_output("device = \"alsa:cap_paced\"\nsample_rate = 44100\nchannels = 2");
    let cap = tempfile::tempdir().expect("capture dir");
    let alsa_conf = process::setup_alsa(
        cap.path(),
        include_str!("support/alsa/asound.conf.in"),
        &[("pace.py", include_str!("support/alsa/pace.py"))],
    );
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    let levels = [-30.0, -20.0, -10.0];
    let inputs: Vec<Vec<f32>> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| noise_at_44k(2.5, *l, 51 + i as u64))
        .collect();
    for (i, samples) in inputs.iter().enumerate() {
        let rel = format!("in/{i}.wav");
        write_wav(&t.path(&rel), CAP_RATE, 2, Bits::F32, samples);
        let add = bin::loaxa(
            &t.config_path(),
            &[
                "segment",
                "add",
                &t.path(&rel).display().to_string(),
                "--topic",
                "cds",
                "--title",
                &format!("L{i}"),
            ],
        );
        assert!(add.status.success(), "{}", bin::text(&add.stderr));
    }

    let mut daemon = process::Daemon::spawn(&t.config_path(), &alsa_conf);
    let base = format!("{}/api/v1", daemon.api_address(&t.path("data")));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let played = api_call(
        agent
            .post(format!("{base}/play"))
            .send_json(json!({ "ids": [1, 2, 3], "now": true })),
    );
    assert!(played.get("error").is_none(), "{played}");
    // Wait for the program to start, then to end.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = false;
    loop {
        daemon.assert_running();
        assert!(
            Instant::now() < deadline,
            "the broadcast did not end in 30 s:\n{}",
            daemon.said()
        );
        let now = api_call(agent.get(format!("{base}/now")).call());
        let on_air = now["on_air"]["segment_id"].as_u64().is_some();
        if on_air {
            seen = true;
        } else if seen {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The stream closes after the buffer drains; the pacer then writes the tail.
    std::thread::sleep(Duration::from_millis(1500));
    daemon.stop();

    let bytes = std::fs::read(cap.path().join("paced.raw")).expect("capture");
    let capture: Vec<f32> = bytes
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
        .collect();
    let first = capture
        .iter()
        .position(|s| *s != 0.0)
        .expect("something aired");
    let first = first - first % 2;
    let mut at = first;
    for (i, (input, wanted)) in inputs.iter().zip(levels).enumerate() {
        let n = input.len();
        assert!(at + n <= capture.len(), "item {i} is in the capture");
        let part = &capture[at..at + n];
        at += n;
        let (in_lufs, in_peak) = loudness(input, CAP_RATE);
        let (lufs, tp) = loudness(part, CAP_RATE);
        println!(
            "alsa capture: item {i} ({wanted} LUFS): before {in_lufs:.2} LUFS / {in_peak:.2} dBTP -> captured {lufs:.2} LUFS / {tp:.2} dBTP"
        );
        assert!(
            (lufs - TARGET).abs() <= 1.0,
            "item {i} captured at {lufs} LUFS"
        );
        assert!(tp <= CEILING + 0.05, "item {i} true peak {tp} dBTP");
    }
}

#[tokio::test(start_paused = true)]
async fn an_emergency_spliced_in_airs_at_the_target_too() {
    let t = TestStation::with_output_keys(
        &program("tin"),
        &[],
        local(2026, 3, 1, 5, 0, 0),
        "sample_rate = 48000\nchannels = 2",
    );
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    let station = t.station();
    let a = noise_at(6.0, -30.0, 61);
    let e = noise_at(2.0, -10.0, 62);
    write_wav(&t.path("in/a.wav"), RATE, 2, Bits::F32, &a);
    write_wav(&t.path("in/e.wav"), RATE, 2, Bits::F32, &e);
    let ida = t.add(&station, "in/a.wav", t.meta("A"));
    let ide = t.add(&station, "in/e.wav", t.meta("Tin bão"));
    std::fs::write(t.path("playlists/tin.toml"), playlist(&[ida])).expect("playlist");
    let check = t.path("air.wav");
    let d = Running::start_with_output(station, Some(OutputSpec::Wav(check.clone())));
    d.until(local(2026, 3, 1, 5, 30, 2)).await;
    d.handle.emergency(ide, None).await.expect("emergency");
    d.until(local(2026, 3, 1, 5, 32, 0)).await;
    let records = d.stop().await;
    assert_eq!(records.len(), 3, "A cut, E, A again: {records:#?}");
    let (_, _, out) = wav::read_wav_f32(&check);
    // The output ends with E then A whole (A resumes from its start).
    let end = out.len();
    let e_part = &out[end - a.len() - e.len()..end - a.len()];
    let a_part = &out[end - a.len()..];
    let (le, pe) = loudness(e_part, RATE);
    let (la, _) = loudness(a_part, RATE);
    println!("wav: emergency spliced in: {le:.2} LUFS / {pe:.2} dBTP; resumed item {la:.2} LUFS");
    assert!((le - TARGET).abs() <= 1.0, "emergency aired at {le}");
    assert!(pe <= CEILING + 0.01, "{pe}");
    assert!((la - TARGET).abs() <= 1.0, "resumed item aired at {la}");
}

#[test]
fn segment_edit_sets_the_gain_offset_and_refuses_absurd_values() {
    let t = TestStation::new(&program("tin"), &[], local(2026, 3, 1, 5, 0, 0));
    std::fs::create_dir_all(t.path("in")).expect("mkdir");
    write_wav(
        &t.path("in/a.wav"),
        RATE,
        2,
        Bits::F32,
        &noise_at(1.0, -20.0, 71),
    );
    let config = t.config_path();
    let path = t.path("in/a.wav").display().to_string();
    let add = bin::loaxa(&config, &["segment", "add", &path, "--topic", "cds"]);
    assert!(add.status.success(), "{}", bin::text(&add.stderr));
    let edit = bin::loaxa(&config, &["segment", "edit", "1", "--gain-db", "-3"]);
    let said = bin::text(&edit.stdout);
    assert!(edit.status.success(), "{}", bin::text(&edit.stderr));
    // -20 LUFS to the -16 target is +4 dB; with the offset, +1 dB.
    assert!(said.contains("offset -3.0 dB"), "{said}");
    assert!(said.contains("+1.0 dB now"), "{said}");
    let bad = bin::loaxa(&config, &["segment", "edit", "1", "--gain-db", "45"]);
    assert!(!bad.status.success());
    let err = bin::text(&bad.stderr);
    assert!(err.contains("45") && err.contains("hint"), "{err}");
    let nothing = bin::loaxa(&config, &["segment", "edit", "1"]);
    assert!(!nothing.status.success());
    assert!(bin::text(&nothing.stderr).contains("nothing to change"));
}
