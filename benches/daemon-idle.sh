#!/usr/bin/env bash
# Benchmark: the daemon's resident memory and CPU while idle (docs/budgets.md: under 30 MB, no CPU between runs).
# Usage: benches/daemon-idle.sh [path/to/lofte]   (default: target/release/lofte; build it with cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
lofte="${1:-target/release/lofte}"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r config "$work/config"
"$lofte" --config "$work/config/lofte.toml" -q daemon &
pid=$!
sleep 3
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
before=$(ticks)
sleep 10
after=$(ticks)
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
echo "daemon idle: $((rss / 1024)) MB resident (VmRSS $rss kB), $((after - before)) CPU ticks in 10 s"
kill -TERM "$pid"
wait "$pid"
