#!/usr/bin/env bash
# bench/offcpu.sh: the cost of off-CPU recording on a context-switch-heavy program
# (bench/switchy.c: 100,000 pipe round trips between two processes), side by side in one
# run: bare, under `flamekit record --off-cpu` (fp call graphs) and under `perf record -e
# sched:sched_switch -g` (the usual way, before any perf script). REPS interleaved rounds,
# medians of the program's own elapsed time; also the samples each tool got.
#
#   make && ./bench/offcpu.sh        (root, or kernel.perf_event_paranoid <= 0: tracepoints)
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
FLAMEKIT=${FLAMEKIT:-build/flamekit}
PERF=${PERF:-/usr/bin/perf}
REPS=${REPS:-7}
TRIPS=${TRIPS:-100000}
BUILD=${BUILD:-build}
[ -x "$FLAMEKIT" ] || { echo "bench/offcpu.sh: run make first" >&2; exit 1; }
mkdir -p "$BUILD/bench"
${CC:-cc} -O2 -g -fno-omit-frame-pointer -o "$BUILD/bench/switchy" bench/switchy.c
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
prog=$BUILD/bench/switchy

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

: >"$dir/bare" ; : >"$dir/fk" ; : >"$dir/perf"
for r in $(seq "$REPS"); do
	"$prog" "$TRIPS" >>"$dir/bare"
	"$FLAMEKIT" record -q --off-cpu -o "$dir/off.folded" -- "$prog" "$TRIPS" >>"$dir/fk"
	"$PERF" record -q -e sched:sched_switch -g -o "$dir/p.data" -- "$prog" "$TRIPS" >>"$dir/perf" 2>/dev/null
	echo "bench: round $r of $REPS" >&2
done
bare=$(median <"$dir/bare"); fk=$(median <"$dir/fk"); pf=$(median <"$dir/perf")
fk_switches=$("$FLAMEKIT" record --off-cpu -o "$dir/off.folded" -- "$prog" "$TRIPS" 2>&1 >/dev/null |
	sed -n 's/.*blocked in \([0-9]*\) switches.*/\1/p')
pf_samples=$("$PERF" script -i "$dir/p.data" -F tid 2>/dev/null | wc -l)
echo "| Program (${TRIPS} round trips) | Median runtime (s) | vs bare | Switches recorded |"
echo "|---|---:|---:|---:|"
echo "| bare | $bare | 1.00x | - |"
echo "| flamekit record --off-cpu | $fk | $(awk -v a="$fk" -v b="$bare" 'BEGIN {printf "%.2fx", a / b}') | $fk_switches |"
echo "| perf record -e sched:sched_switch -g | $pf | $(awk -v a="$pf" -v b="$bare" 'BEGIN {printf "%.2fx", a / b}') | $pf_samples |"
echo
echo "flamekit's runtime / perf's: $(awk -v a="$fk" -v b="$pf" 'BEGIN {printf "%.2fx", a / b}') (medians of $REPS interleaved rounds)"
