#!/usr/bin/env bash
# What relaying costs (issue 15): the daemon's CPU while a relay program airs an Icecast MP3
# stream and an HLS live playlist (MPEG-TS) from a loopback radio (examples/radio.rs), beside
# `ffmpeg -i URL -f null -` reading the same stream for the same time. Release build.
#
#   benches/relay.sh [SECONDS=120]
#
# For each source: a station whose only program relays it for SECONDS (null output, the
# station's levelling on), fired 12 s after the daemon starts (it connects ahead); CPU is
# utime + stime of all the daemon's threads from /proc/PID/stat, from the fire time to the
# window's end; ffmpeg's from GNU time. Per hour = the window's CPU × 3600 / SECONDS.
# NO_BUILD=1 skips the build. Needs ffmpeg and GNU time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-120}
[ -n "${NO_BUILD:-}" ] || (cd "$root" && cargo build --release --quiet --bin loaxa --example radio)
bin=$root/target/release/loaxa
work=$(mktemp -d "${TMPDIR:-/tmp}/loaxa-relay.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
tick=$(getconf CLK_TCK)

"$root/target/release/examples/radio" $((secs * 3 + 120)) > "$work/radio.url" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/radio.url" ] && break; sleep 0.1; done
base=$(head -1 "$work/radio.url")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # NAME PATH
    local name=$1 url="${base%/}$2" d="$work/$1"
    mkdir -p "$d/data"
    local fire
    fire=$(TZ=Asia/Ho_Chi_Minh date -d "+12 seconds" +"%-S %-M %-H")
    cat > "$d/loaxa.toml" <<TOML
[station]
name = "bench"
timezone = "Asia/Ho_Chi_Minh"
data_dir = "data"
[output]
device = "null"
[api]
listen = "127.0.0.1:0"
[[program]]
name = "relay"
cron = "$fire * * *"
relay = ["$url"]
max_duration = "${secs}s"
TOML
    "$bin" -c "$d/loaxa.toml" run > "$d/out.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    sleep 12
    local t0; t0=$(cpu_ticks "$pid")
    sleep "$secs"
    local t1; t1=$(cpu_ticks "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    local ms=$(( (t1 - t0) * 1000 / tick ))
    /usr/bin/time -f "%U %S" -o "$d/ff.time" ffmpeg -nostdin -v error -t "$secs" -i "$url" -f null - || true
    local ff; ff=$(awk '{printf "%d", ($1 + $2) * 1000}' "$d/ff.time")
    awk -v n="$name" -v ms="$ms" -v ff="$ff" -v s="$secs" 'BEGIN {
        printf "%-5s loaxa relay %6d ms CPU in %ss (%5.2f %% of a core, %6.1f s/hour)   ffmpeg -f null %6d ms (%5.2f %%, %6.1f s/hour)\n",
            n, ms, s, ms / s / 10, ms * 3.6 / s, ff, ff / s / 10, ff * 3.6 / s }'
}

run icy /vov1.mp3
run hls /hls/live.m3u8
