#!/usr/bin/env bash
# bench/alerts.sh: how long one round of `flamekit serve`'s regression alerts takes over
# 1,000 series. tests/tools/alert-bench.c loads an SQLite store with SERIES series
# app.cpu{svc="sN"}, each with a profile of STACKS distinct stacks (6..15 frames, ~30% of
# the samples under queryDB) in every STEP-second window of the last 70 minutes (STEP 10:
# an agent's pace, 420 windows per series), one rule per series
#   alert=sN name=app.cpu{svc="sN"} fn=queryDB grow>20% window=10m baseline=1h
# (every tenth series regressed by 50% in the latest window: those fire, which the tool
# checks), then times ROUNDS whole evaluation rounds (fk_alert_engine_evaluate: list the
# series once, merge each rule's latest window and baseline hour, compute the shares):
# the first (store caches cold) and the median and best of the rest.
# Prints a Markdown table.
#
#   make build/tools/alert-bench && ./bench/alerts.sh
#
# Environment (defaults in brackets): ALERT_BENCH [build/tools/alert-bench], SERIES [1000],
# STACKS [300], STEP [10], ROUNDS [6], BENCH_DIR [a temp dir, removed].
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

die() { echo "bench/alerts.sh: $*" >&2; exit 1; }

ALERT_BENCH=${ALERT_BENCH:-build/tools/alert-bench}
SERIES=${SERIES:-1000}
STACKS=${STACKS:-300}
STEP=${STEP:-10}
ROUNDS=${ROUNDS:-6}
[ -x "$ALERT_BENCH" ] || die "$ALERT_BENCH not found; run \`make $ALERT_BENCH\` first"

if [ -n "${BENCH_DIR:-}" ]; then
	dir=$BENCH_DIR
	mkdir -p "$dir"
else
	dir=$(mktemp -d)
fi
cleanup() { [ -n "${BENCH_DIR:-}" ] || rm -rf "$dir"; }
trap cleanup EXIT

out=$("$ALERT_BENCH" "$dir" "$SERIES" "$STACKS" "$STEP" "$ROUNDS" 2>"$dir/load.log") ||
	die "alert-bench failed: $(cat "$dir/load.log") $out"
load=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$dir/load.log")
get() { echo "$out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
windows=$(get windows_per_series)

echo "| alert evaluation ($SERIES series x $windows windows of $STACKS stacks, $SERIES rules) | time |"
echo "|---|---|"
echo "| one round, median of $((ROUNDS - 1)) | **$(get median) s** |"
echo "| one round, best | $(get best) s |"
echo "| first round (store caches cold) | $(get cold) s |"
echo "| rules firing (checked) | $(get firing) |"
echo "| loading the store (not part of a round) | $load s |"
