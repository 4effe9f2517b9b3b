#!/bin/sh
# flamekit record --off-cpu and --wall: blocked time charged to the stack a thread had when it was
# switched out (sched:sched_switch with callchains + the kernel's switch records), in
# microseconds, with the io palette. The workload (tests/fixtures/rec_block.c) blocks
# 10 x 100 ms in block_here, 5 x 100 ms in a thread (thread_block) and in a forked child
# (child_block); rec_mix.c computes 50 ms and waits 50 ms ten times. Needs perf_event_open on tracepoints (root here).
. "$(dirname "$0")/lib.sh"

BLOCK=$FK_FIXTURES/rec_block

# us FILE FUNC: the microseconds of the stacks through frame FUNC
us() { grep ";$2;" "$1" | awk '{s += $NF} END {printf "%d\n", s}'; }
# within VALUE WANT PERCENT
within() {
	awk -v v="$1" -v w="$2" -v p="$3" 'BEGIN {
		d = v - w; if (d < 0) d = -d
		printf "%d us (want %d +- %d%%)\n", v, w, p
		exit !(d <= w * p / 100)
	}'
}

if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 0 ]; then
	test_skip "off-CPU recording" "tracepoints need root or perf_event_paranoid <= 0"
	done_testing
	exit 0
fi

record_block() {
	"$FK" record --off-cpu --call-graph dwarf -o "$TRASH/off.folded" -o "$TRASH/off.svg" \
		-- "$BLOCK" >"$TRASH/out" 2>"$TRASH/err"
	cat "$TRASH/err"
	contains "$TRASH/out" "rec_block: done"
	within "$(us "$TRASH/off.folded" block_here)" 1000000 10
	# below main, under the sleeping system call
	grep -q ';main;block_here;.*nanosleep.*;schedule;__schedule [0-9]*$' "$TRASH/off.folded"
}
test_ok "blocking 10 x 100 ms in block_here shows 1 s +- 10% there (us), under nanosleep" record_block

threads_and_children() {
	within "$(us "$TRASH/off.folded" thread_block)" 500000 10
	within "$(us "$TRASH/off.folded" child_block)" 500000 10
}
test_ok "a thread and a forked child: 0.5 s +- 10% each under thread_block and child_block" threads_and_children

svg_look() {
	grep -q '<svg' "$TRASH/off.svg"
	contains "$TRASH/off.svg" "Off-CPU Time"
	# io palette: blues; counts in us
	grep -q 'us, 100%' "$TRASH/off.svg" || grep -q ' us, ' "$TRASH/off.svg"
	grep -q 'fill="rgb(80,[0-9]*,[0-9]*)"\|fill="rgb([0-9]*,[0-9]*,2[0-9][0-9])"' "$TRASH/off.svg"
	grep -q 'blocked in' "$TRASH/err"
}
test_ok "the SVG: title Off-CPU Time, counts in us, io (blue) colors; the summary gives the blocked time" svg_look

min_block() {
	"$FK" record -q --off-cpu --min-block 150000 -o "$TRASH/min.folded" -- "$BLOCK" >/dev/null
	# every block is 100 ms: none is left
	[ ! -s "$TRASH/min.folded" ] || { cat "$TRASH/min.folded"; false; }
	"$FK" record -q --off-cpu --min-block 50000 -o "$TRASH/min2.folded" -- "$BLOCK" >/dev/null
	within "$(awk '{s += $NF} END {printf "%d\n", s}' "$TRASH/min2.folded")" 2000000 10
}
test_ok "--min-block US drops shorter blocks (150 ms: nothing; 50 ms: the 2 s of 100 ms sleeps)" min_block

pid_mode() {
	"$BLOCK" >/dev/null &
	pid=$!
	sleep 0.2
	"$FK" record -q --off-cpu -p "$pid" -d 0.5 -o "$TRASH/p.folded"
	wait "$pid"
	# about 0.5 s of main's thread (and the helper thread for the first 0.3 s)
	v=$(awk '{s += $NF} END {printf "%d\n", s}' "$TRASH/p.folded")
	[ "$v" -ge 400000 ] && [ "$v" -le 900000 ]
}
test_ok "-p PID -d 0.5: the blocked time of the running process in that window" pid_mode

MIX=$FK_FIXTURES/rec_mix
wall() {
	"$FK" record --wall --call-graph dwarf -F 997 -o "$TRASH/wall.folded" -- "$MIX" \
		>/dev/null 2>"$TRASH/err"
	cat "$TRASH/err"
	running=$(grep '^\[running\];rec_mix;' "$TRASH/wall.folded" | awk '{s += $NF} END {printf "%d\n", s}')
	blocked=$(grep '^\[blocked\];rec_mix;' "$TRASH/wall.folded" | awk '{s += $NF} END {printf "%d\n", s}')
	# every stack starts with [running] or [blocked]
	! grep -v '^\[running\];\|^\[blocked\];' "$TRASH/wall.folded"
	# compute: 0.5 s of wall time, running (or runnable but preempted on a busy machine)
	within "$(grep ';compute[; ]' "$TRASH/wall.folded" | awk '{s += $NF} END {printf "%d\n", s}')" 500000 10
	[ "$(grep '^\[running\];.*;compute [0-9]*$' "$TRASH/wall.folded" | awk '{s += $NF} END {printf "%d\n", s}')" -ge 250000 ]
	within "$(grep '^\[blocked\];.*;wait_io;' "$TRASH/wall.folded" | awk '{s += $NF} END {printf "%d\n", s}')" 500000 10
	# the wall time adds up: running + blocked = the program's 1 s
	within $((running + blocked)) 1000000 10
	contains "$TRASH/err" "wall clock:"
}
test_ok "--wall: compute 0.5 s (mostly [running]), wait_io 0.5 s under [blocked], 1 s in all (us, +- 10%)" wall

context_switches() {
	"$FK" record -q -e context-switches -o "$TRASH/cs.folded" -- "$BLOCK" >/dev/null
	# 10 + 5 + 5 sleeps: at least 20 switches, each counted once, under the sleeping functions
	total=$(awk '{s += $NF} END {printf "%d\n", s}' "$TRASH/cs.folded")
	[ "$total" -ge 20 ]
	[ "$(grep ';main;' "$TRASH/cs.folded" | awk '{s += $NF} END {printf "%d\n", s}')" -ge 10 ]
}
test_ok "-e context-switches: folded counts are switches (>= 20 for rec_block)" context_switches

conflicts() {
	rc=0
	"$FK" record --off-cpu -e cpu-clock -o "$TRASH/x.svg" -- true 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
	contains "$TRASH/err" "does not go with -e"
	rc=0
	"$FK" record --off-cpu --wall -o "$TRASH/x.svg" -- true 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
	[ ! -e "$TRASH/x.svg" ]
}
test_ok "--off-cpu with -e, --off-cpu with --wall: usage errors" conflicts

done_testing
