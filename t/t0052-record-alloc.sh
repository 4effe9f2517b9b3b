#!/bin/sh
# flamekit record --alloc / --lock: the command runs with libflamekit-preload.so, which
# samples allocations (one per 512 KiB on average, Go's unbiased weights) or times
# contended lock waits, and writes a file per process at exit that record folds.
# Workload: tests/fixtures/alloc_fixture.c (200 x 1 MiB in alloc_big, 327,680 x 64 B in
# alloc_small, a fork, contended locks). The estimates are random; at the default
# interval 20 MiB of 64-byte blocks gets only ~40 samples (a 16% standard error, as in
# Go's heap profiler), so the accuracy checks sample every 32 KiB (~640 samples: 4%) and
# the default interval is checked on the big blocks (2.8%).
. "$(dirname "$0")/lib.sh"

FIX=$FK_FIXTURES/alloc_fixture
IV="--alloc-interval 32768"

# sum FILE REGEX: the counts of the stacks matching REGEX
sum() { grep -- "$2" "$1" | awk '{s += $NF} END {printf "%d\n", s}'; }
within() {
	awk -v v="$1" -v w="$2" -v p="$3" 'BEGIN {
		d = v - w; if (d < 0) d = -d
		printf "%d (want %d +- %d%%)\n", v, w, p
		exit !(d <= w * p / 100)
	}'
}
MIB=1048576

alloc_space() {
	"$FK" record --alloc $IV -o "$TRASH/a.folded" -o "$TRASH/a.svg" -- "$FIX" alloc 2>"$TRASH/err"
	cat "$TRASH/err"
	within "$(sum "$TRASH/a.folded" ';alloc_big')" $((200 * MIB)) 10
	within "$(sum "$TRASH/a.folded" ';alloc_small')" $((20 * MIB)) 15
	# the threads' stacks reach their start
	grep -q '^alloc_fixture;.*;alloc_big [0-9]*$' "$TRASH/a.folded"
	contains "$TRASH/a.svg" "Allocations:"
	contains "$TRASH/a.svg" " bytes, "
}
test_ok "--alloc: 200 MiB +- 10% under alloc_big, 20 MiB +- 15% under alloc_small (bytes, mem palette)" alloc_space

default_interval() {
	"$FK" record -q --alloc -o "$TRASH/d.folded" -- "$FIX" alloc
	within "$(sum "$TRASH/d.folded" ';alloc_big')" $((200 * MIB)) 10
	# 64-byte blocks are sampled too (about 40 samples)
	[ "$(sum "$TRASH/d.folded" ';alloc_small')" -gt $((5 * MIB)) ]
}
test_ok "--alloc at the default 512 KiB interval: 200 MiB +- 10% under alloc_big" default_interval

alloc_objects() {
	"$FK" record -q --alloc=objects $IV -o "$TRASH/o.folded" -- "$FIX" alloc
	within "$(sum "$TRASH/o.folded" ';alloc_big')" 200 10
	within "$(sum "$TRASH/o.folded" ';alloc_small')" 327680 15
}
test_ok "--alloc=objects: 200 and 327,680 allocations (+- 10%, 15%)" alloc_objects

inuse() {
	"$FK" record -q --alloc=inuse $IV -o "$TRASH/i.folded" -- "$FIX" alloc
	# every 10th big block (20 MiB) and every 4th small one (5 MiB) are still allocated
	within "$(sum "$TRASH/i.folded" ';alloc_big')" $((20 * MIB)) 15
	within "$(sum "$TRASH/i.folded" ';alloc_small')" $((5 * MIB)) 20
}
test_ok "--alloc=inuse: what was not freed at exit (20 MiB, 5 MiB)" inuse

fork_case() {
	"$FK" record -q --alloc $IV -o "$TRASH/f.folded" -- "$FIX" fork
	within "$(sum "$TRASH/f.folded" ';in_child;')" $((30 * MIB)) 15
	within "$(sum "$TRASH/f.folded" ';before_fork;')" $((20 * MIB)) 15
	within "$(sum "$TRASH/f.folded" ';after_fork;')" $((10 * MIB)) 20
}
test_ok "a forking program: the child's allocations (in_child) and the parent's, each counted once" fork_case

edge() {
	"$FK" record -q --alloc -o "$TRASH/e.folded" -- "$FIX" edge
}
test_ok "the corner cases of the allocator API run under the library (free(NULL), realloc(p, 0), aligned...)" edge

lock_waits() {
	"$FK" record --lock -o "$TRASH/l.folded" -- "$FIX" lock >"$TRASH/out" 2>"$TRASH/err"
	cat "$TRASH/err"
	wait_us=$(sum "$TRASH/l.folded" ';contended_mutex')
	elapsed_us=$(($(sed -n 's/^mutex_elapsed_ns //p' "$TRASH/out") / 1000))
	echo "contended_mutex: $wait_us us waited in $elapsed_us us of 4 threads"
	# 4 threads queue for one mutex: waits add up to more than a tenth of the phase and
	# less than the 4 threads' whole time
	[ "$wait_us" -gt $((elapsed_us / 10)) ] && [ "$wait_us" -lt $((elapsed_us * 4)) ]
	grep -q ';rw_reader\|;rw_writer' "$TRASH/l.folded"
	"$FK" record -q --lock=count -o "$TRASH/lc.folded" -- "$FIX" lock >/dev/null
	[ "$(sum "$TRASH/lc.folded" ';contended_mutex')" -ge 10 ]
}
test_ok "--lock: contended mutex waits under the waiting function (us), --lock=count counts them" lock_waits

usage_errors() {
	rc=0
	"$FK" record --alloc -p 1 -o "$TRASH/x.svg" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
	contains "$TRASH/err" "-- CMD"
	rc=0
	"$FK" record --alloc=bogus -o "$TRASH/x.svg" -- true 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
	contains "$TRASH/err" "space, objects, inuse or inuse-objects"
	[ ! -e "$TRASH/x.svg" ]
}
test_ok "--alloc with -p, --alloc=bogus: usage errors" usage_errors

done_testing
