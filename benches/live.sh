#!/usr/bin/env bash
# What a live broadcast costs (issue 16): the daemon's CPU while the microphone is on air,
# and while it is idle with the same input configured. Release build.
#
#   benches/live.sh [SECONDS=60]
#
# The "microphone" is alsa-lib's `file` plugin reading a FIFO that a small writer fills with
# noise at real-time speed (S16 mono 48 kHz, 10 ms a write), as in tests/live_airs.rs; the
# output is the `null` device (it keeps time), the station's levelling on, the air-check file
# kept. CPU is utime + stime of all the daemon's threads from /proc/PID/stat: SECONDS idle
# (nothing on air, the input configured but closed), then SECONDS live (`loaxa live start`),
# then `loaxa live stop`. Per hour = CPU × 3600 / SECONDS. NO_BUILD=1 skips the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ -n "${NO_BUILD:-}" ] || (cd "$root" && cargo build --release --quiet --bin loaxa)
bin=$root/target/release/loaxa
work=$(mktemp -d "${TMPDIR:-/tmp}/loaxa-live.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
tick=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

mkfifo "$work/mic.fifo"
cat > "$work/asound.conf" <<CONF
pcm.mic_timed {
    type plug
    slave {
        pcm { type file  slave.pcm { type null }  file "/dev/null"  infile "$work/mic.fifo"  format "raw" }
        format S16_LE
        rate 48000
        channels 1
    }
    hint { show on description "Bench microphone, real time, from a FIFO" }
}
CONF
# The writer: noise at real time, reopening the FIFO whenever the capture opens it again.
python3 - "$work/mic.fifo" <<'PY' &
import os, sys, time, errno
fifo = sys.argv[1]
chunk = os.urandom(960)  # 10 ms of S16 mono 48 kHz
while True:
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        time.sleep(0.005)
        continue
    t0 = time.monotonic(); n = 0
    try:
        while True:
            try:
                os.write(fd, bytes(b >> 3 for b in chunk))
            except BlockingIOError:
                pass
            n += 1
            time.sleep(max(0, t0 + n * 0.01 - time.monotonic()))
    except BrokenPipeError:
        os.close(fd)
PY
pids+=($!)

mkdir -p "$work/data"
cat > "$work/loaxa.toml" <<TOML
[station]
name = "bench"
timezone = "Asia/Ho_Chi_Minh"
data_dir = "data"
[output]
device = "null"
sample_rate = 48000
[api]
listen = "127.0.0.1:0"
[live]
input = "alsa:mic_timed"
TOML
ALSA_CONFIG_PATH="$work/asound.conf" "$bin" -c "$work/loaxa.toml" run > "$work/out.log" 2>&1 &
pid=$!
pids+=("$pid")
sleep 5
t0=$(cpu_ticks "$pid"); sleep "$secs"; t1=$(cpu_ticks "$pid")
idle=$(( (t1 - t0) * 1000 / tick ))
"$bin" -c "$work/loaxa.toml" live start --by bench > /dev/null
sleep 1
t0=$(cpu_ticks "$pid"); sleep "$secs"; t1=$(cpu_ticks "$pid")
live=$(( (t1 - t0) * 1000 / tick ))
"$bin" -c "$work/loaxa.toml" live stop > /dev/null
sleep 2
kill "$pid"; wait "$pid" 2>/dev/null || true
aircheck=$(du -b "$work"/data/aircheck/*.wav | awk '{s += $1} END {print s}')
awk -v i="$idle" -v l="$live" -v s="$secs" -v a="$aircheck" 'BEGIN {
    printf "idle, input configured: %6d ms CPU in %ss (%5.2f %% of a core, %6.1f s/hour)\n", i, s, i / s / 10, i * 3.6 / s
    printf "live on air:            %6d ms CPU in %ss (%5.2f %% of a core, %6.1f s/hour); air-check %.1f MB (%.1f MB/hour)\n", l, s, l / s / 10, l * 3.6 / s, a / 1e6, a / 1e6 * 3600 / (s + 1)
}'
