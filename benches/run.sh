#!/usr/bin/env bash
# The benchmark suite, one command: `benches/run.sh`. Builds the release binaries, makes its data with lofte-gen, and
# prints one line per case (figure and budget). Whole-process cases use /usr/bin/time (wall seconds, peak RSS);
# in-process stages use criterion (`cargo bench --bench stages`) and the ingest/pdf harnesses.
# Set LOFTE_BENCH_BIG=0 to skip the 10,000,000-record case (about a minute and 7 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --bins --quiet
timed() { /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }; read -r wall kb <"$work/time"; echo "$wall s wall, $((kb / 1024)) MB peak RSS"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "sample report --format json (budget 0.3 s): $(timed "$bin/lofte" report --period 2021-H1 --format json --out "$work/r.json")"
echo "sample report PDF (budget 0.3 s): $(timed "$bin/lofte" report --period 2021-H1 --out "$work/r.pdf")"
cp -r config "$work/config"
echo "sample publish --dry-run: $(timed "$bin/lofte" --config "$work/config/lofte.toml" publish --period 2021-H1 --dry-run)"

cargo bench --quiet --bench pdf 2>/dev/null | grep -v '^$'
cargo bench --quiet --bench stages 2>/dev/null | grep -E '^sample|time:'
cargo bench --quiet --bench ingest 2>/dev/null | grep 'ingest+aggregate'
if [ "${LOFTE_BENCH_BIG:-1}" != 0 ]; then
  LOFTE_BENCH_RECORDS=10000000 cargo bench --quiet --bench ingest 2>/dev/null | grep 'ingest+aggregate'
fi

"$bin/lofte-gen" large --records 1000000 --out "$work/1m.csv"
lofte_1m=$( { /usr/bin/time -f "%e" "$bin/lofte" --records "$work/1m.csv" report --period 2021 --format json --out "$work/1m.json" >/dev/null; } 2>&1 | tail -1)
if [ ! -x "$work/venv/bin/python" ]; then python3 -m venv "$work/venv" && "$work/venv/bin/pip" install --quiet pandas; fi
pandas_1m=$( { /usr/bin/time -f "%e" "$work/venv/bin/python" benches/pandas_baseline.py "$work/1m.csv" >"$work/pandas.out"; } 2>&1 | tail -1)
echo "1,000,000 records, whole process: lofte $lofte_1m s, pandas $pandas_1m s ($(cat "$work/pandas.out")); pandas/lofte = $(python3 -c "print(round($pandas_1m / $lofte_1m, 1))")x"

# 1,000,000 rows that are all rejected, published (issue 13: the report and the mail stay small, nothing is lost).
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    f.write('id;date;party;activity;location;count;note\\n')
    for i in range(1000000):
        f.write(f'R{i};2021-{1 + i % 6:02d}-{1 + i % 28:02d};polisen;okand_aktivitet;Plats {i % 50};1;\\n')
" "$work/rejected.csv"
cp -r config "$work/rejected-config"
echo "1,000,000 rejected rows, publish (budget 400 MB): $(timed "$bin/lofte" --config "$work/rejected-config/lofte.toml" --records config/data/oskarshamn-2021.csv --records "$work/rejected.csv" publish --period 2021-H1)"

"$bin/lofte-gen" municipalities --count 290 --records 500 --out "$work/m"
batch() { for c in "$work"/m/*/config/lofte.toml; do "$bin/lofte" --config "$c" report --period 2021 --out "${c%/config/lofte.toml}/report.pdf"; done; }
start=$(date +%s.%N); batch; end=$(date +%s.%N)
echo "290 municipalities x 500 records, one PDF each: $(python3 -c "print(round($end - $start, 1))") s wall for the batch"

benches/daemon-idle.sh "$bin/lofte"
