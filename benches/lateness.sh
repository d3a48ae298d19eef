#!/usr/bin/env bash
# Slot start lateness of the real daemon at real-time pacing, over FIRES fires of a program
# firing every EVERY seconds with a 1 s MP3, on a headless paced capture device: alsa-lib's
# file plugin piped into `tests/support/alsa/pace_log.py`, which takes 44.1 kHz stereo S16 at
# real-time speed like a sound card (through a 4 KiB pipe, 23 ms) and logs the wall time at
# which every 2.5 ms of audio "reached the speaker". Two measures per fire:
#   logged: scheduled fire time -> the play's `started_at` in the as-run log (when the first
#           sample is due at the device, as the daemon placed it);
#   heard:  scheduled fire time -> when the first non-zero sample left the pacer (independent
#           of the daemon's own account; includes the device's buffer and the pipe, a
#           constant, so its spread is what matters).
# Prints n, min, p50, p90, p99, max of each.
#
# Needs: ffmpeg (to make the MP3), python3. Usage:
#   [PORT=8757] benches/lateness.sh [FIRES=200] [EVERY=3] [BINARY=target/release/loaxa]
# (PORT: the control API's, so that two daemons can be measured side by side; BUFFER_MS:
# the sound-card period, `[output] buffer_ms`, default rodio's.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fires=${1:-200}
every=${2:-3}
bin=${3:-}
port=${PORT:-8757}
buffer_line=${BUFFER_MS:+buffer_ms = $BUFFER_MS}
if [ -z "$bin" ]; then
    (cd "$root" && cargo build --release --quiet)
    bin=$root/target/release/loaxa
fi
work=$(mktemp -d /tmp/loaxa-lateness.XXXXXX)
cp "$bin" "$work/loaxa" # a rebuild during the run does not change what is measured
echo "work folder: $work"
d=$work/late
mkdir -p "$d/config" "$d/playlists" "$d/alsa"
mkdir -p "$d/streams"
cat > "$d/alsa/asound.conf" <<ALSA
pcm.cap_timed {
    type plug
    slave {
        pcm {
            type file
            slave.pcm { type null }
            file "|$d/alsa/pace_log.py 176400 $d/streams/{stream}.raw $d/streams/{stream}.log"
            format "raw"
        }
        format S16_LE
        rate 44100
        channels 2
    }
    hint { show on description "Paced and dated capture, S16_LE 44.1k stereo" }
}
pcm.!default cap_timed
ALSA
cp "$root"/tests/support/alsa/pace_log.py "$d/alsa/" && chmod +x "$d/alsa/"*.py
ffmpeg -v error -y -f lavfi -i "anoisesrc=colour=pink:r=44100:a=0.1:seed=8" -ac 2 -t 1 \
    -c:a libmp3lame -b:a 128k "$work/short.mp3"
cat > "$d/config/loaxa.toml" <<TOML
[station]
name = "bench"
timezone = "UTC"
[output]
device = "alsa:cap_timed"
sample_rate = 44100
channels = 2
$buffer_line
[api]
listen = "127.0.0.1:$port"
[topics]
cds = "Chuyển đổi số"
[[program]]
name = "bench"
cron = "*/$every * * * * *"
playlists = ["p"]
TOML
printf 'topic = "cds"\n[[item]]\nfile = "%s"\n' "$work/short.mp3" > "$d/playlists/p.toml"

ALSA_CONFIG_PATH=$d/alsa/asound.conf NO_COLOR=1 "$work/loaxa" -c "$d/config/loaxa.toml" run \
    > /dev/null 2> "$work/late.log" &
pid=$!
until [ "$(grep -c ' ended program=' "$work/late.log" 2> /dev/null)" -ge "$fires" ]; do
    kill -0 $pid 2> /dev/null || { echo "the daemon stopped: see $work/late.log" >&2; exit 1; }
    sleep 1
done
kill -INT $pid; wait $pid || true

NO_COLOR=1 "$work/loaxa" -c "$d/config/loaxa.toml" log --json > "$work/log.jsonl"
python3 - "$work/log.jsonl" "$d/streams" <<'PY'
import glob, json, os, sys
from datetime import datetime

plays = []  # (scheduled, started) in seconds since the epoch
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["started_at"]:
        plays.append((datetime.fromisoformat(r["scheduled_at"]).timestamp(),
                      datetime.fromisoformat(r["started_at"]).timestamp()))
plays.sort()

# When the first non-zero sample of each captured stream left the pacer.
heard = []
for raw in glob.glob(os.path.join(sys.argv[2], "*.raw")):
    data = open(raw, "rb").read()
    rest = data.lstrip(b"\0")
    if not rest:
        continue
    frame = (len(data) - len(rest)) // 4 * 4  # first non-zero byte, its frame's offset
    log = [l.split() for l in open(raw[:-4] + ".log") if not l.startswith("#")]
    for wall, total in log:
        if int(total) > frame:
            # The chunk holding it was written at `wall`; it played over the time before.
            heard.append(float(wall) - (int(total) - frame) / 176400)
            break
heard.sort()

def stats(name, d):
    d = sorted(d)
    q = lambda p: d[min(len(d) - 1, int(len(d) * p))]
    print(f"{name}: n={len(d)} min={d[0]:.2f} p50={q(0.5):.2f} p90={q(0.9):.2f} "
          f"p99={q(0.99):.2f} max={d[-1]:.2f} ms")

stats("logged (fire -> started_at)", [(s - f) * 1e3 for f, s in plays])
# Each stream's first sound belongs to the latest fire before it.
late = []
for h in heard:
    fires = [f for f, _ in plays if f <= h + 0.05]
    if fires and h - fires[-1] < 1.0:
        late.append((h - fires[-1]) * 1e3)
stats("heard (fire -> first sample out of the pacer)", late)
PY
