#!/usr/bin/env bash
# bench/flamegraph.sh: time and peak memory of `flamekit flamegraph` next to Brendan
# Gregg's flamegraph.pl, in one run on two inputs, with the ratios. Prints Markdown for
# BENCHMARKS.md.
#
#   FLAMEGRAPH_DIR=/path/to/FlameGraph ./bench/flamegraph.sh
#
# Inputs (built in a temp dir, or $BENCH_DIR):
#   (a) ~100 MB of folded stacks: the compat corpus's vertx, java and dtrace folded
#       files concatenated until >= 100 MB (many repeated lines, as when folded files
#       from many runs are drawn together);
#   (b) 50 MB of 300,000 distinct stacks, from bench/gen-folded.py (seeded), sorted as
#       stackcollapse scripts and `flamekit collapse` write folded files;
#   (c) the same lines shuffled (no shared prefix between neighbours).
# Each tool: best of $REPS (default 3) wall-clock runs; peak RSS from GNU time.
# flamekit's SVG is checked to draw the same frames (../shared/compat/svgframes.py).
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
FLAMEKIT=${FLAMEKIT:-build/flamekit}
COMPAT=${FK_COMPAT:-../shared/compat}
REPS=${REPS:-3}
[ -x "$FLAMEKIT" ] || { echo "bench: build $FLAMEKIT first (make)" >&2; exit 1; }
fgpl=""
if [ -n "${FLAMEGRAPH_DIR:-}" ]; then
	fgpl=$FLAMEGRAPH_DIR/flamegraph.pl
	[ -f "$fgpl" ] || { echo "bench: no flamegraph.pl in $FLAMEGRAPH_DIR" >&2; exit 1; }
fi
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

in=$COMPAT/flamegraph/inputs
a=$work/repeated-100MB.folded
if [ ! -s "$a" ]; then
	: >"$a"
	while [ "$(stat -c %s "$a")" -lt 100000000 ]; do cat "$in/vertx.folded" "$in/java.folded" "$in/dtrace.folded" >>"$a"; done
fi
b=$work/distinct-300k-sorted.folded
[ -s "$b" ] || python3 bench/gen-folded.py 300000 50000000 1 sorted >"$b"
c=$work/distinct-300k-shuffled.folded
[ -s "$c" ] || python3 bench/gen-folded.py 300000 50000000 1 shuffled >"$c"

# best wall seconds and the peak RSS (MB) of that run: "SECONDS RSS_MB"
measure() {
	local best="" rss="" i out
	for i in $(seq "$REPS"); do
		/usr/bin/time -o "$work/time" -f '%e %M' "$@" >"$work/out.svg" 2>/dev/null || true
		out=$(tail -n 1 "$work/time")
		local t=${out% *} m=${out#* }
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
			rss=$((m / 1024))
		fi
	done
	echo "$best $rss"
}

echo "| input | tool | seconds | peak RSS (MB) | speed-up |"
echo "| --- | --- | --- | --- | --- |"
for input in "$a" "$b" "$c"; do
	name=$(basename "$input")
	size=$(awk -v s="$(stat -c %s "$input")" 'BEGIN { printf "%.0f MB", s / 1e6 }')
	fk=$(measure "$FLAMEKIT" flamegraph "$input")
	cp "$work/out.svg" "$work/fk.svg"
	if [ -n "$fgpl" ]; then
		pl=$(measure perl "$fgpl" "$input")
		cp "$work/out.svg" "$work/pl.svg"
		ratio=$(awk -v p="${pl% *}" -v f="${fk% *}" 'BEGIN { printf "%.0fx", p / (f > 0 ? f : 0.001) }')
		echo "| $name ($size) | flamegraph.pl | ${pl% *} | ${pl#* } | 1x |"
		if [ -f "$COMPAT/../compat/svgframes.py" ] || [ -f "$COMPAT/svgframes.py" ]; then
			python3 "$COMPAT/svgframes.py" "$work/pl.svg" >"$work/pl.frames"
			python3 "$COMPAT/svgframes.py" "$work/fk.svg" >"$work/fk.frames"
			if cmp -s "$work/pl.frames" "$work/fk.frames"; then same="same frames"; else same="FRAMES DIFFER"; fi
		else
			same="frames not compared"
		fi
		echo "| $name ($size) | flamekit flamegraph | ${fk% *} | ${fk#* } | $ratio ($same) |"
	else
		echo "| $name ($size) | flamekit flamegraph | ${fk% *} | ${fk#* } | (FLAMEGRAPH_DIR unset: no comparison) |"
	fi
done
echo
echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r), $(date -u +%Y-%m-%d)."
