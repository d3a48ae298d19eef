#!/usr/bin/env bash
# What a stream output costs (issue 17): the daemon's CPU while it airs a program to its
# output and to one Icecast MP3 stream, beside the same daemon airing without the stream,
# and beside `ffmpeg -re … -f mp3 icecast://…` doing the stream alone. Release build.
#
#   benches/stream.sh [SECONDS=3600] [BITRATE=64]
#
# A throw-away Icecast (Debian's icecast2, run as `nobody` when root) on a free loopback
# port; a listener reads each mount (so the server really sends). The program is one
# SECONDS-long bulletin (pink noise with a slow tone, 44.1 kHz mono, made by ffmpeg),
# played with `loaxa play --now` on two daemons at once — one with a `[[stream]]`, one
# without — and on ffmpeg, all for the same SECONDS: 64 kbit/s mono MP3 (LAME) each.
# The output is loaxa's `null` output (it keeps time): the card's own work is the same in
# both daemons, so their difference is the stream's. CPU is utime + stime of all threads
# of each process from /proc/PID/stat. NO_BUILD=1 skips the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-3600}
kbps=${2:-64}
[ -n "${NO_BUILD:-}" ] || (cd "$root" && cargo build --release --quiet --bin loaxa)
bin=$root/target/release/loaxa
work=$(mktemp -d "${TMPDIR:-/tmp}/loaxa-stream.XXXXXX")
chmod 777 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
tick=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

mkdir -p "$work/log"; chmod 777 "$work/log"
cat > "$work/icecast.xml" <<XML
<icecast><limits><clients>20</clients><sources>4</sources><source-timeout>10</source-timeout></limits>
<authentication><source-password>S</source-password><admin-user>admin</admin-user><admin-password>A</admin-password></authentication>
<hostname>127.0.0.1</hostname><listen-socket><port>$port</port><bind-address>127.0.0.1</bind-address></listen-socket>
<paths><basedir>/usr/share/icecast2</basedir><logdir>$work/log</logdir><webroot>/usr/share/icecast2/web</webroot>
<adminroot>/usr/share/icecast2/admin</adminroot></paths>
<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>2</loglevel></logging></icecast>
XML
chmod 644 "$work/icecast.xml"
if [ "$(id -u)" = 0 ]; then runuser -u nobody -- icecast2 -c "$work/icecast.xml" & else icecast2 -c "$work/icecast.xml" & fi
pids+=($!)
sleep 1

ffmpeg -hide_banner -loglevel error -f lavfi -i "anoisesrc=d=$secs:c=pink:a=0.1:r=44100" \
    -f lavfi -i "sine=f=330:d=$secs:r=44100" -filter_complex "[0][1]amix=inputs=2,volume=2" \
    -ac 1 -c:a pcm_s16le "$work/tin.wav"

# A listener per mount, reading and dropping what comes (reconnecting until the end).
listen() { while :; do curl -s -o /dev/null "http://127.0.0.1:$port/$1" || true; sleep 0.5; done; }

station() { # NAME STREAM_SECTION
    mkdir -p "$work/$1/data"
    cat > "$work/$1/loaxa.toml" <<TOML
[station]
name = "bench"
timezone = "Asia/Ho_Chi_Minh"
data_dir = "data"
[output]
device = "null"
sample_rate = 44100
[api]
listen = "127.0.0.1:0"
[topics]
cds = "Chuyển đổi số"
$2
TOML
    "$bin" -c "$work/$1/loaxa.toml" segment add --topic cds --title "Bản tin" "$work/tin.wav" > /dev/null
    "$bin" -c "$work/$1/loaxa.toml" run > "$work/$1/out.log" 2>&1 &
}
station plain ""
plain=$!; pids+=("$plain")
station stream "[[stream]]
url = \"icecast://source:S@127.0.0.1:$port/loaxa.mp3\"
bitrate = $kbps
sample_rate = 44100"
streamed=$!; pids+=("$streamed")
listen loaxa.mp3 & pids+=($!)
listen ffmpeg.mp3 & pids+=($!)
sleep 3

"$bin" -c "$work/plain/loaxa.toml" play --now 1 > /dev/null
"$bin" -c "$work/stream/loaxa.toml" play --now 1 > /dev/null
ffmpeg -hide_banner -loglevel error -re -i "$work/tin.wav" -c:a libmp3lame -b:a "${kbps}k" -ac 1 \
    -content_type audio/mpeg -f mp3 "icecast://source:S@127.0.0.1:$port/ffmpeg.mp3" &
ff=$!; pids+=("$ff")
p0=$(cpu_ticks "$plain"); s0=$(cpu_ticks "$streamed"); f0=$(cpu_ticks "$ff")
sleep $(( secs - 5 ))
p1=$(cpu_ticks "$plain"); s1=$(cpu_ticks "$streamed"); f1=$(cpu_ticks "$ff")
measured=$(( secs - 5 ))
sent=$(curl -s "http://127.0.0.1:$port/status-json.xsl" | python3 -c 'import json,sys
d=json.load(sys.stdin)["icestats"].get("source",[]); d=d if isinstance(d,list) else [d]
print(" ".join("%s:%s" % (s["listenurl"].rsplit("/",1)[1], s.get("listener_peak")) for s in d))')
awk -v p=$(( (p1 - p0) * 1000 / tick )) -v s=$(( (s1 - s0) * 1000 / tick )) \
    -v f=$(( (f1 - f0) * 1000 / tick )) -v t="$measured" -v k="$kbps" -v m="$sent" 'BEGIN {
    printf "over %d s of a program, %d kbit/s mono MP3 (mounts and listener peaks: %s)\n", t, k, m
    printf "loaxa, output only:          %7d ms CPU (%5.2f %% of a core, %6.1f s/hour)\n", p, p / t / 10, p * 3.6 / t
    printf "loaxa, output + one stream:  %7d ms CPU (%5.2f %% of a core, %6.1f s/hour)\n", s, s / t / 10, s * 3.6 / t
    printf "  the stream alone:          %7d ms CPU (%5.2f %% of a core, %6.1f s/hour)\n", s - p, (s - p) / t / 10, (s - p) * 3.6 / t
    printf "ffmpeg -re … icecast://:     %7d ms CPU (%5.2f %% of a core, %6.1f s/hour)\n", f, f / t / 10, f * 3.6 / t
}'
grep -c "stream server unavailable" "$work/stream/out.log" | sed 's/^/stream reconnects: /'
