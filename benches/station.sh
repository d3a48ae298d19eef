#!/usr/bin/env bash
# Whole-process benchmarks of the daemon and the import (issue 8). Release build.
#
#   benches/station.sh startup [SEGMENTS=10000] [RECORDS=1000000] [RUNS=9]
#       `loaxa run` from exec to READY=1 (NOTIFY_SOCKET), on an empty store and on a store of
#       SEGMENTS segments and RECORDS log records; medians.
#   benches/station.sh idle [SECONDS=60] [SEGMENTS=10000] [PLAYLIST_FILES=8]
#       the idle daemon after its start-up import of PLAYLIST_FILES playlist files: CPU
#       ticks, context switches (wakeups) of all its threads, threads and RSS, from /proc.
#   benches/station.sh import [FILES=1000]
#       `loaxa segment add` of FILES generated speech-length files (MP3, WAV, OGG, FLAC,
#       M4A), files/s and MB/s; median of 3 runs, each into a fresh store.
#
# NO_BUILD=1 skips the release build. Needs python3, ffmpeg (idle, import), GNU time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: station.sh startup|idle|import ...}; shift
[ -n "${NO_BUILD:-}" ] || (cd "$root" && cargo build --release --quiet --bin loaxa --example fill_log --example fill_segments)
bin=$root/target/release/loaxa
work=$(mktemp -d "${TMPDIR:-/tmp}/loaxa-station.XXXXXX")
trap 'rm -rf "$work"' EXIT
tick=$(getconf CLK_TCK)

station() { # DIR [PLAYLIST_FILE...]
    local d=$1; shift
    mkdir -p "$d/data" "$d/playlists"
    cat > "$d/loaxa.toml" <<TOML
[station]
name = "bench"
timezone = "Asia/Ho_Chi_Minh"
data_dir = "data"
playlists_dir = "playlists"
[output]
device = "null"
[api]
listen = "127.0.0.1:0"
[topics]
cds = "Chuyển đổi số"
[[program]]
name = "sang"
cron = "0 0 1 1 *"
playlists = ["p"]
TOML
    { echo 'topic = "cds"'; for f in "$@"; do printf '[[item]]\nfile = "%s"\n' "$f"; done; } > "$d/playlists/p.toml"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# speech-like test files: FILE SECONDS SEED
tone() {
    local f=$1 s=$2 n=$3
    ffmpeg -v error -y -f lavfi -i "sine=frequency=$((200 + n % 300)):duration=$s:sample_rate=44100" \
        -f lavfi -i "anoisesrc=duration=$s:amplitude=0.05:seed=$n:sample_rate=44100" \
        -filter_complex amix=inputs=2 -ac 1 -metadata comment="$n" "$f"
}

case $cmd in
startup)
    segs=${1:-10000}; recs=${2:-1000000}; runs=${3:-9}
    station "$work/empty"
    station "$work/big"
    echo "filling $segs segments and $recs records..." >&2
    "$root/target/release/examples/fill_segments" "$work/big/data/db" "$segs" 2>/dev/null
    "$root/target/release/examples/fill_log" "$work/big/data/db" "$recs" 2>/dev/null
    echo "store: $(du -sh "$work/big/data/db" | cut -f1)"
    echo "== empty store"
    python3 "$root/benches/ready.py" "$runs" "$bin" -c "$work/empty/loaxa.toml" run --output null
    echo "== $segs segments, $recs records"
    python3 "$root/benches/ready.py" "$runs" "$bin" -c "$work/big/loaxa.toml" run --output null
    ;;
idle)
    secs=${1:-60}; segs=${2:-10000}; nfiles=${3:-8}
    files=()
    for i in $(seq "$nfiles"); do tone "$work/p$i.mp3" 20 "$i"; files+=("$work/p$i.mp3"); done
    station "$work/idle" "${files[@]}"
    "$root/target/release/examples/fill_segments" "$work/idle/data/db" "$segs" 2>/dev/null
    NO_COLOR=1 "$bin" -c "$work/idle/loaxa.toml" run --output null > /dev/null 2> "$work/idle.log" &
    pid=$!
    until grep -q "next program" "$work/idle.log" 2>/dev/null; do sleep 0.2; done
    sleep 5
    cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
    sw() { cat /proc/"$pid"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }
    c0=$(cpu); s0=$(sw)
    sleep "$secs"
    c1=$(cpu); s1=$(sw)
    threads=$(ls "/proc/$pid/task" | wc -l)
    names=$(cat /proc/"$pid"/task/*/comm | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    kill -INT "$pid"; wait "$pid" || true
    echo "idle $secs s after importing $nfiles playlist files, $segs segments in the library:"
    echo "  CPU $(( (c1 - c0) * 1000 / tick )) ms ($((c1 - c0)) ticks) => $(( (c1 - c0) * 1000 / tick * 3600 / secs )) ms/h"
    echo "  context switches $((s1 - s0)) => $(( (s1 - s0) * 60 / secs )) per minute"
    echo "  threads $threads: $names"
    echo "  RSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
    ;;
import)
    n=${1:-1000}
    mkdir -p "$work/in"
    exts=(mp3 wav ogg flac m4a)
    echo "making $n files..." >&2
    seq 0 $((n - 1)) | xargs -P 2 -I{} bash -c '
        i={}; exts=(mp3 wav ogg flac m4a); e=${exts[$((i % 5))]}
        s=$((8 + i % 23))
        ffmpeg -v error -y -f lavfi -i "sine=frequency=$((200 + i % 300)):duration=$s:sample_rate=44100" \
            -f lavfi -i "anoisesrc=duration=$s:amplitude=0.05:seed=$i:sample_rate=44100" \
            -filter_complex amix=inputs=2 -ac 1 "$0/in/f$i.$e"' "$work"
    bytes=$(cat "$work"/in/* | wc -c)
    for e in "${exts[@]}"; do printf '%s: %s files %s MB; ' "$e" "$(ls "$work"/in/*."$e" | wc -l)" "$(du -cb "$work"/in/*."$e" | tail -1 | awk '{printf "%.1f", $1/1e6}')"; done; echo
    walls=()
    for r in 1 2 3; do
        rm -rf "$work/imp"; station "$work/imp"
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" -c "$work/imp/loaxa.toml" segment add --topic cds "$work"/in/* > /dev/null 2>&1
        read -r w u s m < "$work/time"; walls+=("$w")
        echo "run $r: wall $w s, user $u s, sys $s s, peak RSS $((m / 1024)) MiB"
    done
    w=$(printf '%s\n' "${walls[@]}" | median)
    echo "median wall $w s: $(echo "$n / $w" | bc -l | xargs printf '%.0f') files/s, $(echo "$bytes / 1000000 / $w" | bc -l | xargs printf '%.1f') MB/s ($n files, $(echo "$bytes / 1000000" | bc -l | xargs printf '%.1f') MB)"
    sha=$(python3 -c "import hashlib,glob,time; fs=sorted(glob.glob('$work/in/*')); t=time.monotonic(); [hashlib.sha256(open(f,'rb').read()).hexdigest() for f in fs]; print(f'{time.monotonic()-t:.3f}')")
    echo "python hashlib sha256 of the same files (yardstick for the hash share): $sha s"
    ;;
*) echo "unknown: $cmd" >&2; exit 2 ;;
esac
