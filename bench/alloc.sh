#!/usr/bin/env bash
# bench/alloc.sh: how much libflamekit-preload.so (the LD_PRELOAD half of `flamekit record
# --alloc` / `--lock`) slows an allocation-heavy program. The program is the fixture
# tests/fixtures/alloc_fixture.c in its `churn` mode: N malloc/free pairs of 16..1024
# bytes through a ring of 4096 live blocks (about 25 ns a pair with glibc: nothing but
# allocation), and the same touching every byte it gets (TOUCH=1, a loop that also uses
# its memory). It reports its own elapsed time; that time is compared, bare and with the
# library preloaded:
#   off    preloaded, FLAMEKIT_PRELOAD_OUT unset (nothing recorded: the interposition)
#   alloc  recording allocations at the default interval (512 KiB)
#   alloc64k  at a 64 KiB interval (8x the samples)
#   lock   recording lock waits (the program takes no locks: the allocator pass-through)
# REPS rounds, interleaved (one run of each per round, so that noise hits all alike);
# medians. Prints a Markdown table (progress on stderr).
#
#   make build/libflamekit-preload.so build/fixtures/alloc_fixture && ./bench/alloc.sh
#
# Environment: BUILD (default build), REPS (default 11), N (default 20000000).
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build}
REPS=${REPS:-11}
N=${N:-20000000}
lib=$root/$BUILD/libflamekit-preload.so
fixture=$root/$BUILD/fixtures/alloc_fixture

die() { echo "bench/alloc.sh: $*" >&2; exit 1; }
[ -f "$lib" ] || die "$lib not found; run \`make $BUILD/libflamekit-preload.so\`"
[ -x "$fixture" ] || die "$fixture not found; run \`make $BUILD/fixtures/alloc_fixture\`"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

configs="bare off alloc alloc64k lock"

# one run: prints the elapsed seconds the program reports
run() { # CONFIG TOUCH
	local out
	case $1 in
	bare) out=$("$fixture" churn "$N" "$2") ;;
	off) out=$(env -u FLAMEKIT_PRELOAD_OUT LD_PRELOAD="$lib" "$fixture" churn "$N" "$2") ;;
	alloc) out=$(LD_PRELOAD="$lib" FLAMEKIT_PRELOAD_OUT="$tmp/p" FLAMEKIT_PRELOAD_MODE=alloc \
		"$fixture" churn "$N" "$2") ;;
	alloc64k) out=$(LD_PRELOAD="$lib" FLAMEKIT_PRELOAD_OUT="$tmp/p" FLAMEKIT_PRELOAD_MODE=alloc \
		FLAMEKIT_PRELOAD_INTERVAL=65536 "$fixture" churn "$N" "$2") ;;
	lock) out=$(LD_PRELOAD="$lib" FLAMEKIT_PRELOAD_OUT="$tmp/p" FLAMEKIT_PRELOAD_MODE=lock \
		"$fixture" churn "$N" "$2") ;;
	esac
	rm -f "$tmp"/p.*
	echo "$out" | sed -n 's/^churn: [0-9]* allocations in \([0-9.]*\) s.*/\1/p'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "| workload | $(echo $configs | sed 's/ / | /g') |"
echo "| --- |$(for c in $configs; do printf ' --- |'; done)"
for touch in 0 1; do
	for c in $configs; do : >"$tmp/$c.times"; done
	for r in $(seq "$REPS"); do
		echo "bench: touch=$touch round $r/$REPS" >&2
		for c in $configs; do
			run "$c" "$touch" >>"$tmp/$c.times"
		done
	done
	bare=$(median <"$tmp/bare.times")
	name="churn, $N pairs"
	[ "$touch" = 1 ] && name="churn + memset, $N pairs"
	row="| $name |"
	for c in $configs; do
		m=$(median <"$tmp/$c.times")
		if [ "$c" = bare ]; then
			row="$row $(printf '%.3f s' "$m") |"
		else
			row="$row $(awk -v m="$m" -v b="$bare" 'BEGIN { printf "%.3f s (%+.1f%%)", m, (m / b - 1) * 100 }') |"
		fi
	done
	echo "$row"
done
