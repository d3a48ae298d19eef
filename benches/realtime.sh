#!/usr/bin/env bash
# Whole-process measurements of the real daemon, in real time, on the headless capture device
# (alsa-lib's file plugin behind a pacer that consumes 44.1 kHz stereo S16 at real-time rate):
#   1. slot start lateness: scheduled time -> first sample handed to the device (started_at),
#      over a program firing every 15 s;
#   2. CPU to play MINUTES of 128 kbps MP3 through the player, vs `ffmpeg -f null` decoding it;
#   3. idle daemon: CPU, wakeups (context switches) and RSS over IDLE minutes.
# Needs: a release build, ffmpeg (to make the MP3), python3. Usage:
#   benches/realtime.sh [MINUTES=10] [IDLE_MINUTES=10] [FIRES=20]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-10}
idle_minutes=${2:-10}
fires=${3:-20}
bin=$root/target/release/loaxa
(cd "$root" && cargo build --release --quiet)
work=$(mktemp -d /tmp/loaxa-bench.XXXXXX)
echo "work folder: $work"
tick=$(getconf CLK_TCK)

# One station folder per measurement, each with its own capture device.
station() { # name cron playlist_file
    local d=$work/$1
    mkdir -p "$d/config" "$d/playlists" "$d/alsa"
    sed "s|@DIR@|$d/alsa|g" "$root/tests/support/alsa/asound.conf.in" > "$d/alsa/asound.conf"
    cp "$root"/tests/support/alsa/*.py "$d/alsa/" && chmod +x "$d/alsa/"*.py
    cat > "$d/config/loaxa.toml" <<TOML
[station]
name = "bench"
timezone = "UTC"
[output]
device = "alsa:cap_paced"
sample_rate = 44100
channels = 2
[topics]
cds = "Chuyển đổi số"
[[program]]
name = "bench"
cron = "$2"
playlists = ["p"]
TOML
    printf 'topic = "cds"\n[[item]]\nfile = "%s"\n' "$3" > "$d/playlists/p.toml"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_line() { # file pattern
    until grep -q "$2" "$1" 2>/dev/null; do sleep 0.2; done
}

ffmpeg -v error -y -f lavfi -i "anoisesrc=colour=pink:r=44100:a=0.1:seed=7" -ac 2 -t $((minutes * 60)) \
    -c:a libmp3lame -b:a 128k "$work/long.mp3"
ffmpeg -v error -y -f lavfi -i "anoisesrc=colour=pink:r=44100:a=0.1:seed=8" -ac 2 -t 2 \
    -c:a libmp3lame -b:a 128k "$work/short.mp3"

# 2. CPU to play the long MP3 (starts ~15 s from now, after the import's full decode).
at=$(( $(date +%s) + 15 ))
station play "$(date -u -d @$at '+%-S %-M %-H') * * *" "$work/long.mp3"
ALSA_CONFIG_PATH=$work/play/alsa/asound.conf NO_COLOR=1 "$bin" -c "$work/play/config/loaxa.toml" run \
    > /dev/null 2> "$work/play.log" &
play_pid=$!

# 3. Idle: a program that fires once a year.
station idle "0 0 1 1 *" "$work/short.mp3"
ALSA_CONFIG_PATH=$work/idle/alsa/asound.conf NO_COLOR=1 "$bin" -c "$work/idle/config/loaxa.toml" run \
    > /dev/null 2> "$work/idle.log" &
idle_pid=$!

# 1. Lateness: every 15 s.
station late "*/15 * * * * *" "$work/short.mp3"
ALSA_CONFIG_PATH=$work/late/alsa/asound.conf NO_COLOR=1 "$bin" -c "$work/late/config/loaxa.toml" run \
    > /dev/null 2> "$work/late.log" &
late_pid=$!

wait_line "$work/idle.log" "next program"
sleep 5
idle_cpu0=$(cpu_ticks $idle_pid)
idle_sw0=$(cat /proc/$idle_pid/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}')

wait_line "$work/play.log" "program starts"
play_cpu0=$(cpu_ticks $play_pid)
t0=$(date +%s.%N)

wait_line "$work/late.log" "next program"
until [ "$(grep -c ' ended program=' "$work/late.log")" -ge "$fires" ]; do sleep 1; done
kill -INT $late_pid; wait $late_pid || true

wait_line "$work/play.log" " ended program="
play_cpu1=$(cpu_ticks $play_pid)
t1=$(date +%s.%N)
kill -INT $play_pid; wait $play_pid || true

elapsed_idle=0
while [ "$elapsed_idle" -lt $((idle_minutes * 60 - 5)) ]; do
    sleep 5; elapsed_idle=$(( $(date +%s) - $(stat -c %Y "$work/idle.log") ))
done
idle_cpu1=$(cpu_ticks $idle_pid)
idle_sw1=$(cat /proc/$idle_pid/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}')
idle_threads=$(ls /proc/$idle_pid/task | wc -l)
idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$idle_pid/status)
idle_hwm=$(awk '/VmHWM/ {print $2}' /proc/$idle_pid/status)
kill -INT $idle_pid; wait $idle_pid || true

ff=$( { /usr/bin/time -f "%U %S" ffmpeg -v quiet -i "$work/long.mp3" -f null - ; } 2>&1 | tail -1)

echo
echo "== slot start lateness (scheduled -> first sample to the device), $fires fires"
NO_COLOR=1 "$bin" -c "$work/late/config/loaxa.toml" log --json | python3 -c '
import json, sys, statistics
from datetime import datetime
d = []
for line in sys.stdin:
    r = json.loads(line)
    if r["started_at"]:
        d.append((datetime.fromisoformat(r["started_at"]) - datetime.fromisoformat(r["scheduled_at"])).total_seconds() * 1000)
d.sort()
print(f"n={len(d)} min={d[0]:.2f} ms p50={statistics.median(d):.2f} ms p99={d[min(len(d)-1, int(len(d)*0.99))]:.2f} ms max={d[-1]:.2f} ms")
'
echo "== playing ${minutes} min of 128 kbps MP3 (44.1 kHz stereo) to the paced capture device"
python3 -c "
wall = $t1 - $t0; cpu = ($play_cpu1 - $play_cpu0) / $tick
ff = sum(map(float, '$ff'.split()))
print(f'loaxa: {cpu:.2f} s CPU over {wall:.1f} s wall ({100*cpu/wall:.2f} % of one core)')
print(f'ffmpeg -f null (decode only, as fast as possible): {ff:.2f} s CPU; ratio loaxa/ffmpeg = {cpu/ff:.2f}')
"
echo "== idle daemon over $idle_minutes min"
python3 -c "
cpu = ($idle_cpu1 - $idle_cpu0) / $tick * 1000
print(f'CPU {cpu:.0f} ms, context switches (all $idle_threads threads) {$idle_sw1 - $idle_sw0}, RSS {$idle_rss} kB (peak {$idle_hwm} kB)')
"
