#!/usr/bin/env bash
# Log export and report benchmark: `loaxa log export` of N records (default 1 000 000) to CSV
# vs `sqlite3 -csv` dumping the same rows from a SQLite table; the report over the same log;
# store size per 100 000 records. Prints medians of RUNS runs (default 5).
#
#   benches/export.sh [N] [RUNS]
#
# Needs /usr/bin/time (GNU time) and sqlite3. Builds release binaries first.
set -euo pipefail
N=${1:-1000000}
RUNS=${2:-5}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin loaxa --example fill_log
BIN=target/release/loaxa
FILL=target/release/examples/fill_log
WORK=$(mktemp -d "${TMPDIR:-/tmp}/loaxa-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/data"
cat > "$WORK/loaxa.toml" <<TOML
[station]
name = "Đài truyền thanh xã Bình Chương"
data_dir = "data"
[output]
device = "null"
[api]
listen = "127.0.0.1:0"
[[program]]
name = "sang"
cron = "30 5 * * *"
playlists = []
TOML

# Store size per 100 000 records.
"$FILL" "$WORK/size100k" 100000 2>/dev/null
SIZE100K=$(du -sb "$WORK/size100k" | cut -f1)
rm -rf "$WORK/size100k"

echo "filling $N records (sled + rows for sqlite3)..." >&2
"$FILL" "$WORK/data/db" "$N" "$WORK/rows.csv" 2>/dev/null
SIZEN=$(du -sb "$WORK/data/db" | cut -f1)

COLS="id INTEGER PRIMARY KEY, program TEXT, trigger TEXT, role TEXT, scheduled_at TEXT, started_at TEXT, ended_at TEXT, played_s INTEGER, played_ms INTEGER, segment_id INTEGER, title TEXT, topic_label TEXT, topic TEXT, unit TEXT, priority TEXT, outcome TEXT, reason TEXT, approved_by TEXT, approved_at TEXT, output TEXT, sha256 TEXT, peak_dbfs INTEGER, loudness_lufs INTEGER, audible_s INTEGER, silent TEXT"
sqlite3 "$WORK/log.sqlite" "CREATE TABLE asrun ($COLS);" ".import --csv --skip 1 $WORK/rows.csv asrun"
SQLITE_ROWS=$(sqlite3 "$WORK/log.sqlite" "SELECT count(*) FROM asrun")
SIZESQL=$(du -sb "$WORK/log.sqlite" | cut -f1)

# measure NAME CMD...: runs CMD RUNS times, records wall seconds and max RSS (KiB).
declare -A WALL RSS
measure() {
  local name=$1; shift
  local walls=() rss=()
  for _ in $(seq "$RUNS"); do
    sync
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
    read -r w m < "$WORK/time"
    walls+=("$w"); rss+=("$m")
  done
  WALL[$name]=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  RSS[$name]=$(printf '%s\n' "${rss[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
}

measure "loaxa log export csv" "$BIN" -c "$WORK/loaxa.toml" log export -o "$WORK/out.csv"
LINES=$(($(wc -l < "$WORK/out.csv") - 1))
measure "sqlite3 -csv" sh -c "sqlite3 -csv '$WORK/log.sqlite' 'SELECT * FROM asrun' > '$WORK/out-sqlite.csv'"
SQLITE_LINES=$(wc -l < "$WORK/out-sqlite.csv")
measure "loaxa log export jsonl" "$BIN" -c "$WORK/loaxa.toml" log export -o "$WORK/out.jsonl"
measure "loaxa log export xlsx" "$BIN" -c "$WORK/loaxa.toml" log export -o "$WORK/out.xlsx"
measure "loaxa report (md, whole log)" "$BIN" -c "$WORK/loaxa.toml" report --from 2019-01-01 --to 2099-12-31
measure "loaxa report (xlsx, whole log)" "$BIN" -c "$WORK/loaxa.toml" report --from 2019-01-01 --to 2099-12-31 -o "$WORK/r.xlsx"

echo "records: $N (CSV lines: loaxa $LINES, sqlite3 $SQLITE_LINES of $SQLITE_ROWS rows); medians of $RUNS runs"
printf '| %-32s | %10s | %14s |\n' "command" "wall (s)" "peak RSS (MiB)"
printf '|%s|%s|%s|\n' "----------------------------------" "-----------:" "---------------:"
for k in "loaxa log export csv" "sqlite3 -csv" "loaxa log export jsonl" "loaxa log export xlsx" "loaxa report (md, whole log)" "loaxa report (xlsx, whole log)"; do
  printf '| %-32s | %10s | %14.1f |\n' "$k" "${WALL[$k]}" "$(echo "${RSS[$k]} / 1024" | bc -l)"
done
echo "sled store: $(echo "$SIZE100K / 1048576" | bc -l | xargs printf '%.1f') MiB per 100 000 records (filled with 100 000); $(echo "$SIZEN / 1048576" | bc -l | xargs printf '%.1f') MiB for $N"
echo "sqlite3 table: $(echo "$SIZESQL / 1048576" | bc -l | xargs printf '%.1f') MiB for $N"
echo "files: csv $(du -b "$WORK/out.csv" | cut -f1) B, jsonl $(du -b "$WORK/out.jsonl" | cut -f1) B, xlsx $(du -b "$WORK/out.xlsx" | cut -f1) B"
