#!/bin/sh
# perl-diff.sh: differential check of `flamekit collapse` against Brendan Gregg's Perl
# scripts (a developer tool, not part of `make test`). Generates random, reproducible
# inputs with scripts/gen-perf-script.py that stress the corners of the scripts' regexes,
# and compares byte for byte:
#   perl $FLAMEGRAPH_DIR/stackcollapse-perf.pl OPTS IN   with
#   build/flamekit collapse -q --format perf OPTS IN     (and with -j 2 --chunk-size 512)
# for OPTS in: (none) --pid --tid --kernel --jit --all --addrs --event-filter=cycles
# --srcline, and
#   perl $FLAMEGRAPH_DIR/stackcollapse.pl IN   with   flamekit collapse -q --format dtrace IN
# (both ways too). Perl's stderr is ignored.
#
# usage: FLAMEGRAPH_DIR=/path/to/FlameGraph scripts/perl-diff.sh [N [SEED]]
#   N     perf inputs to generate (default 2000; N/2 DTrace inputs are added)
#   SEED  generator seed (default 1); input i depends on (SEED, i) only
# Environment: FK (flamekit binary, default build/flamekit), OUT (work directory, default
# build/perl-diff), JOBS (parallel checks, default: number of CPUs).
# Failing cases are kept in $OUT/failures/: NAME.txt (the input), and per failing
# option set NAME.OPTS.MODE.{perl,flamekit,diff} and a .cmd file with the commands.
# Prints "perl-diff: N passed, M failed" (one comparison per input, option set and mode);
# exits 1 if anything failed.
set -eu

if [ "${1:-}" = "--check" ]; then
	# worker: --check KIND FILE; prints one PASS/FAIL line per comparison
	kind=$2 in=$3
	name=$(basename "$in" .txt)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	if [ "$kind" = perf ]; then
		script=stackcollapse-perf.pl
		optsets="none --pid --tid --kernel --jit --all --addrs --event-filter=cycles --srcline"
	else
		script=stackcollapse.pl
		optsets="none"
	fi
	for o in $optsets; do
		opts=$o
		[ "$o" = none ] && opts=""
		# shellcheck disable=SC2086
		perl "$FLAMEGRAPH_DIR/$script" $opts "$in" >"$tmp/perl" 2>/dev/null || true
		for mode in serial parallel; do
			extra=""
			[ "$mode" = parallel ] && extra="-j 2 --chunk-size 512"
			# shellcheck disable=SC2086
			"$FK" collapse -q --format "$kind" $extra $opts "$in" >"$tmp/fk" 2>"$tmp/fk.err" ||
				echo "(flamekit exit status $?)" >>"$tmp/fk"
			if cmp -s "$tmp/perl" "$tmp/fk"; then
				echo "PASS $name $o $mode"
			else
				echo "FAIL $name $o $mode"
				base=$FAILDIR/$name.${o#--}.$mode
				cp "$in" "$FAILDIR/$name.txt"
				cp "$tmp/perl" "$base.perl"
				cp "$tmp/fk" "$base.flamekit"
				cat "$tmp/fk.err" >>"$base.flamekit"
				diff -a "$tmp/perl" "$tmp/fk" >"$base.diff" 2>&1 || true
				printf 'perl %s %s %s\n%s collapse -q --format %s %s %s %s\n' \
					"$FLAMEGRAPH_DIR/$script" "$opts" "$FAILDIR/$name.txt" \
					"$FK" "$kind" "$extra" "$opts" "$FAILDIR/$name.txt" >"$base.cmd"
			fi
		done
	done
	exit 0
fi

cd "$(dirname "$0")/.."
if [ -z "${FLAMEGRAPH_DIR:-}" ]; then
	echo "perl-diff: set FLAMEGRAPH_DIR to a FlameGraph checkout (with stackcollapse-perf.pl)" >&2
	exit 2
fi
for s in stackcollapse-perf.pl stackcollapse.pl; do
	if [ ! -f "$FLAMEGRAPH_DIR/$s" ]; then
		echo "perl-diff: $FLAMEGRAPH_DIR/$s not found (is FLAMEGRAPH_DIR a FlameGraph checkout?)" >&2
		exit 2
	fi
done
N=${1:-2000}
SEED=${2:-1}
FK=${FK:-build/flamekit}
OUT=${OUT:-build/perl-diff}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
if [ ! -x "$FK" ]; then
	echo "perl-diff: $FK not found; run make first" >&2
	exit 2
fi
case $FK in /*) ;; *) FK=$(pwd)/$FK ;; esac
case $OUT in /*) ;; *) OUT=$(pwd)/$OUT ;; esac
case $FLAMEGRAPH_DIR in /*) ;; *) FLAMEGRAPH_DIR=$(pwd)/$FLAMEGRAPH_DIR ;; esac
FAILDIR=$OUT/failures
rm -rf "$OUT"
mkdir -p "$OUT/inputs" "$FAILDIR"
# a copy, so that a rebuild during the run does not disturb it
cp "$FK" "$OUT/flamekit"
FK=$OUT/flamekit
ND=$(( (N + 1) / 2 ))
python3 scripts/gen-perf-script.py --seed "$SEED" --count "$N" "$OUT/inputs"
python3 scripts/gen-perf-script.py --dtrace --seed "$SEED" --count "$ND" "$OUT/inputs"
echo "perl-diff: $N perf and $ND DTrace inputs (seed $SEED) in $OUT/inputs; $JOBS jobs"

export FLAMEGRAPH_DIR FK FAILDIR
self=$(pwd)/scripts/perl-diff.sh
{
	for f in "$OUT"/inputs/perf-*.txt; do printf 'perf %s\n' "$f"; done
	for f in "$OUT"/inputs/dtrace-*.txt; do printf 'dtrace %s\n' "$f"; done
} | xargs -P "$JOBS" -n 2 sh "$self" --check >"$OUT/results"

passed=$(grep -c '^PASS' "$OUT/results" || true)
failed=$(grep -c '^FAIL' "$OUT/results" || true)
if [ "$failed" -gt 0 ]; then
	echo "perl-diff: failures (first 20; all in $OUT/results, cases in $FAILDIR):"
	grep '^FAIL' "$OUT/results" | sort | head -n 20
else
	rmdir "$FAILDIR" 2>/dev/null || true
fi
echo "perl-diff: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
