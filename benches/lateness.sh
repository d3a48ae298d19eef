#!/usr/bin/env bash
# Slot start lateness of the real daemon at real-time pacing: scheduled fire time -> first
# sample handed to the sound device (the play's `started_at` in the as-run log), over FIRES
# fires of a program firing every EVERY seconds with a 1 s MP3, on the headless paced capture
# device (`tests/support/alsa/`: alsa-lib's file plugin piped into a pacer that takes 44.1 kHz
# stereo S16 at real-time speed, like a sound card). Prints min, p50, p90, p99, max.
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
sed "s|@DIR@|$d/alsa|g" "$root/tests/support/alsa/asound.conf.in" > "$d/alsa/asound.conf"
cp "$root"/tests/support/alsa/*.py "$d/alsa/" && chmod +x "$d/alsa/"*.py
ffmpeg -v error -y -f lavfi -i "anoisesrc=colour=pink:r=44100:a=0.1:seed=8" -ac 2 -t 1 \
    -c:a libmp3lame -b:a 128k "$work/short.mp3"
cat > "$d/config/loaxa.toml" <<TOML
[station]
name = "bench"
timezone = "UTC"
[output]
device = "alsa:cap_paced"
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

NO_COLOR=1 "$work/loaxa" -c "$d/config/loaxa.toml" log --json | python3 -c '
import json, sys
from datetime import datetime
d = []
for line in sys.stdin:
    r = json.loads(line)
    if r["started_at"]:
        d.append((datetime.fromisoformat(r["started_at"]) - datetime.fromisoformat(r["scheduled_at"])).total_seconds() * 1000)
d.sort()
q = lambda p: d[min(len(d) - 1, int(len(d) * p))]
print(f"n={len(d)} min={d[0]:.2f} p50={q(0.5):.2f} p90={q(0.9):.2f} p99={q(0.99):.2f} max={d[-1]:.2f} ms")
'
