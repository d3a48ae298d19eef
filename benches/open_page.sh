#!/usr/bin/env bash
# What an open operator page costs the daemon (issue 14), and the memory of an export and a
# report of a large log. Release build.
#
#   benches/open_page.sh [RECORDS=300000] [SECONDS=60]
#
# On a store of RECORDS log records (examples/fill_log), the daemon (`loaxa run`, null
# output, no program due) is measured twice for SECONDS each, from /proc/PID/stat (utime +
# stime, all threads) and /proc/PID/status (VmRSS at the end, VmHWM the peak):
#   1. idle, no page open;
#   2. a real headless Chromium keeping the On-air page (`/#now`) open.
# Then, with the daemon stopped, `loaxa log export -o out.csv` and `loaxa report` over the
# whole log: wall time and peak RSS (GNU time).
#
# BIN=path/to/loaxa measures another build (e.g. the one before this change) on the same
# store; NO_BUILD=1 skips the release build. Needs chromium and GNU time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
recs=${1:-300000}
secs=${2:-60}
[ -n "${NO_BUILD:-}" ] || (cd "$root" && cargo build --release --quiet --bin loaxa --example fill_log)
bin=${BIN:-$root/target/release/loaxa}
work=$(mktemp -d "${TMPDIR:-/tmp}/loaxa-page.XXXXXX")
daemon=""
browser=""
cleanup() {
    [ -z "$browser" ] || kill "$browser" 2>/dev/null || true
    [ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
tick=$(getconf CLK_TCK)

mkdir -p "$work/data"
cat > "$work/loaxa.toml" <<TOML
[station]
name = "Đài truyền thanh xã Bình Chương"
timezone = "Asia/Ho_Chi_Minh"
data_dir = "data"
[output]
device = "null"
[api]
listen = "127.0.0.1:0"
[[program]]
name = "sang"
cron = "0 0 1 1 *"
playlists = []
TOML
echo "filling $recs records..." >&2
"$root/target/release/examples/fill_log" "$work/data/db" "$recs" 2>/dev/null
echo "store: $(du -sh "$work/data/db" | cut -f1), $recs records; binary: $bin"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# measure LABEL: CPU over $secs s, RSS at the end and peak, of the daemon.
measure() {
    local before after
    before=$(cpu_ticks "$daemon")
    sleep "$secs"
    after=$(cpu_ticks "$daemon")
    local ms=$(( (after - before) * 1000 / tick ))
    printf '%-28s CPU %6d ms in %ds (%s %% of a core), RSS %s MiB, peak %s MiB, threads %s\n' \
        "$1" "$ms" "$secs" "$(awk -v m="$ms" -v s="$secs" 'BEGIN {printf "%.2f", m / (s * 10)}')" \
        "$(( $(kib "$daemon" VmRSS) / 1024 ))" "$(( $(kib "$daemon" VmHWM) / 1024 ))" \
        "$(kib "$daemon" Threads)"
}

NO_COLOR=1 "$bin" -c "$work/loaxa.toml" run --output null > /dev/null 2> "$work/daemon.log" &
daemon=$!
until [ -s "$work/data/daemon.json" ]; do sleep 0.2; done
api=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"])' "$work/data/daemon.json")
sleep 3
measure "idle, no page"

chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile" \
    --window-size=1280,900 "$api/#now" > "$work/chromium.log" 2>&1 &
browser=$!
sleep 5 # the page loads and opens its stream (or starts polling)
port=${api##*:}
conns=$(ss -tn state established "( dport = :$port )" | tail -n +2 | wc -l)
measure "On-air page open ($conns conn.)"
kill "$browser"; wait "$browser" 2>/dev/null || true; browser=""
kill -INT "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=""

# timed LABEL CMD...: wall time and peak RSS of CMD.
timed() {
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
    read -r wall rss < "$work/time"
    printf '%-28s %6s s, peak RSS %s MiB\n' "$label" "$wall" "$(( rss / 1024 ))"
}
timed "log export -o out.csv" "$bin" -c "$work/loaxa.toml" log export -o "$work/out.csv"
timed "report (whole log)" "$bin" -c "$work/loaxa.toml" report --from 2019-01-01 --to 2099-12-31
