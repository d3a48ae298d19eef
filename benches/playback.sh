#!/usr/bin/env bash
# Whole-process CPU of the player against the tools a station would otherwise use.
#
# For each format (MP3 128 kbps, FLAC, Ogg/Vorbis, M4A/AAC; 44.1 kHz stereo pink noise of
# MINUTES minutes, made with ffmpeg) it measures the CPU (user + sys, GNU time) of:
#   - loaxa's player (`examples/play_file.rs`: the real `Player` on the null output, on a
#     paused tokio clock so it runs unpaced; the file is named by its sha256 as in the
#     media store, so the hash check before play is included) at 44.1 kHz (no resampling)
#     and at 48 kHz (rodio's resampler, the output's default rate);
#   - loaxa's decoder alone (`play_file decode`: the decoding share of the player's cost);
#   - `ffmpeg -i FILE -f null -` (decode only);
#   - `mpg123 -t FILE` (MP3 only; decode only).
# Prints medians of RUNS runs and the ratios loaxa/ffmpeg and loaxa/mpg123.
#
# Needs: ffmpeg, mpg123 (`apt-get install -y mpg123`), GNU time (/usr/bin/time), python3.
# Usage: benches/playback.sh [MINUTES=60] [RUNS=3] [FORMATS="mp3 flac ogg m4a"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-60}
runs=${2:-3}
formats=${3:-mp3 flac ogg m4a}
for tool in ffmpeg mpg123 /usr/bin/time python3; do
    command -v "$tool" > /dev/null || { echo "missing: $tool (apt-get install -y ${tool##*/})" >&2; exit 1; }
done
(cd "$root" && cargo build --release --quiet --example play_file)
play=$root/target/release/examples/play_file
work=${WORK:-$(mktemp -d /tmp/loaxa-playback.XXXXXX)}
mkdir -p "$work"
echo "work folder: $work; $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"

make_file() { # format -> path of the file named <sha256>.<ext>
    local fmt=$1 src=$work/src.$1 codec
    case $fmt in
        mp3) codec=(-c:a libmp3lame -b:a 128k) ;;
        flac) codec=(-c:a flac) ;;
        ogg) codec=(-c:a libvorbis -b:a 128k) ;;
        m4a) codec=(-c:a aac -b:a 128k -movflags +faststart) ;;
    esac
    if [ ! -s "$src" ]; then
        ffmpeg -v error -y -f lavfi -i "anoisesrc=colour=pink:r=44100:a=0.1:seed=7" -ac 2 \
            -t $((minutes * 60)) "${codec[@]}" "$src"
    fi
    local stored
    stored=$work/$(sha256sum "$src" | cut -d' ' -f1).$fmt
    [ -e "$stored" ] || ln "$src" "$stored"
    echo "$stored"
}

cpu() { # command... -> "user+sys" seconds
    /usr/bin/time -o "$work/.time" -f "%U %S" "$@" > /dev/null 2> /dev/null
    awk '{print $1 + $2}' "$work/.time"
}

median() { python3 -c 'import sys, statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

printf '\n| %-6s | %12s | %12s | %12s | %12s | %12s | %14s | %14s | %14s |\n' format "loaxa 44.1k" "loaxa 48k" "loaxa decode" "ffmpeg" "mpg123 -t" "44.1k/ffmpeg" "decode/ffmpeg" "44.1k/mpg123"
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for fmt in $formats; do
    f=$(make_file "$fmt")
    cat "$f" > /dev/null # the page cache holds the file for every contender alike
    l44=() l48=() dec=() ff=() mp=()
    for _ in $(seq "$runs"); do
        # Interleaved, so a burst of load on the shared machine hits every contender.
        l44+=("$(cpu "$play" null --rate 44100 --channels 2 "$f")")
        l48+=("$(cpu "$play" null --rate 48000 --channels 2 "$f")")
        dec+=("$(cpu "$play" decode "$f")")
        ff+=("$(cpu ffmpeg -v quiet -nostdin -i "$f" -f null -)")
        if [ "$fmt" = mp3 ]; then mp+=("$(cpu mpg123 -q -t "$f")"); fi
    done
    a=$(median "${l44[@]}") b=$(median "${l48[@]}") e=$(median "${dec[@]}") c=$(median "${ff[@]}")
    if [ "$fmt" = mp3 ]; then d=$(median "${mp[@]}"); else d=; fi
    python3 - "$fmt" "$a" "$b" "$e" "$c" "$d" <<'PY'
import sys
fmt, a, b, e, c, d = sys.argv[1:]
a, b, e, c = float(a), float(b), float(e), float(c)
mp = f"{float(d):.2f} s" if d else "—"
mr = f"{a / float(d):.2f}" if d else "—"
print(f"| {fmt:6} | {a:10.2f} s | {b:10.2f} s | {e:10.2f} s | {c:10.2f} s | {mp:>12} | {a / c:14.2f} | {e / c:14.2f} | {mr:>14} |")
PY
done
echo
echo "CPU seconds (user + sys), medians of $runs runs, $minutes min of 44.1 kHz stereo per file."
