#!/bin/sh
# flamekit record: sampling real workloads end to end (the programs of tests/fixtures/,
# built by `make test`): known CPU shares (60/30/10), complete stacks with frame pointers
# and with --call-graph dwarf, -p, -a/-C, threads, children, Node JIT frames, SIGINT and
# SIGTERM, several -o outputs, the summary line, and the errors (missing command, bad
# PID, forbidden target, no hardware counters, no LBR). Needs perf_event_open: root, or
# perf_event_paranoid <= 2 for the cases on one's own processes (-a is skipped for
# non-root users unless it is <= 0). About 20 s; every workload runs 1-3 s.
. "$(dirname "$0")/lib.sh"

SHARES=$FK_FIXTURES/rec_shares
SHARES_NOFP=$FK_FIXTURES/rec_shares_nofp
THREADS=$FK_FIXTURES/rec_threads
FORK=$FK_FIXTURES/rec_fork
NODE_JS=$FK_ROOT/tests/fixtures/rec_node.js

now_ms() { echo $(($(date +%s%N) / 1000000)); }


# check_main FILE PERCENT: a frame `main` is in at least PERCENT% of the samples.
check_main() {
	stack_stats "$1" | awk -v want="$2" '{
		if ($1 == 0) { print "no samples"; exit 1 }
		p = 100 * $2 / $1
		printf "main in %.2f%% of %d samples (want >= %s%%)\n", p, $1, want
		exit !(p >= want)
	}' || { echo "stacks without main (most samples first):"; grep -v ';main;' "$1" | sort -t' ' -k2 -nr | head -n 5; return 1; }
}

# the summary line flamekit prints to stderr at the end, e.g.
# "flamekit record: 5.01 s, 495 samples, 0 lost, 98.8 Hz; wrote out.svg"
summary() { grep '^flamekit record: ' "$1" | tail -n 1; }
summary_samples() { summary "$1" | sed -n 's/.*[ ,]\([0-9][0-9]*\) samples.*/\1/p'; }

# stopped PID: the process is gone (or a zombie waiting for its parent)
stopped() {
	st=$(ps -o stat= -p "$1" 2>/dev/null || true)
	case $st in "" | Z*) return 0 ;; *) return 1 ;; esac
}

# Background jobs of a non-interactive shell start with SIGINT ignored (POSIX); run
# flamekit with the default action so that SIGINT reaches it as it would from a terminal.
if env --default-signal=INT true 2>/dev/null; then
	DEFSIG="env --default-signal=INT"
else
	DEFSIG=""
fi

# ---- -- CMD with frame pointers: shares, main, two outputs, the summary ---------------
record_shares() {
	"$FK" record -F 997 -o "$TRASH/shares.folded" -o "$TRASH/shares.svg" \
		--title "rec shares" -- "$SHARES" 2 >"$TRASH/shares.out" 2>"$TRASH/shares.err" ||
		{ cat "$TRASH/shares.err"; return 1; }
	cat "$TRASH/shares.err"
	contains "$TRASH/shares.out" "rec_shares: "
	check_shares "$TRASH/shares.folded"
}
test_ok "-- CMD: work_60/30/10 take 60/30/10% (+-3) of the samples under main (-F 997, 2 s)" record_shares

main_fp() {
	check_main "$TRASH/shares.folded" 99
	# root frame = the process name, then main's callers, main, the work function
	grep -v '^rec_shares;' "$TRASH/shares.folded" | head -n 5 >"$TRASH/other"
	[ ! -s "$TRASH/other" ] || { echo "stacks not rooted at rec_shares:"; cat "$TRASH/other"; return 1; }
	grep -q '^rec_shares;\(.*;\)\{0,1\}main;work_60 [0-9]*$' "$TRASH/shares.folded"
}
test_ok "frame pointers: main is in >= 99% of the samples; stacks are comm;...;main;work_60" main_fp

two_outputs() {
	[ -s "$TRASH/shares.folded" ] && [ -s "$TRASH/shares.svg" ]
	# the folded file is valid folded stacks: flamekit collapse reads it back unchanged
	"$FK" collapse --format folded "$TRASH/shares.folded" >"$TRASH/refolded"
	same_file "$TRASH/shares.folded" "$TRASH/refolded"
}
test_ok "-o x.folded -o x.svg: both written, the folded file is valid folded stacks" two_outputs

svg_valid() {
	contains "$TRASH/shares.svg" "<svg"
	contains "$TRASH/shares.svg" "</svg>"
	contains "$TRASH/shares.svg" "<title>work_60 ("
	contains "$TRASH/shares.svg" ">rec shares<"
	python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$TRASH/shares.svg"
	# the same frames as `flamekit flamegraph` draws from the folded output
	if [ -f "$FK_COMPAT/svgframes.py" ]; then
		sub=$(sed -n 's/.*id="subtitle"[^>]*>\([^<]*\)<.*/\1/p' "$TRASH/shares.svg")
		if [ -n "$sub" ]; then
			"$FK" flamegraph --title "rec shares" --subtitle "$sub" "$TRASH/shares.folded" >"$TRASH/fg.svg"
		else
			"$FK" flamegraph --title "rec shares" "$TRASH/shares.folded" >"$TRASH/fg.svg"
		fi
		python3 "$FK_COMPAT/svgframes.py" "$TRASH/shares.svg" >"$TRASH/f1"
		python3 "$FK_COMPAT/svgframes.py" "$TRASH/fg.svg" >"$TRASH/f2"
		same_file "$TRASH/f2" "$TRASH/f1"
	fi
}
test_ok "the SVG is a well-formed flame graph (--title passed through, a frame for work_60)" svg_valid

summary_line() {
	s=$(summary "$TRASH/shares.err")
	echo "summary: $s"
	echo "$s" | grep -Eq '^flamekit record: [0-9.]+ s, [0-9]+ samples, [0-9]+ lost, [0-9.]+ (Hz|samples/s); wrote '
	echo "$s" | grep -qF "$TRASH/shares.folded"
	echo "$s" | grep -qF "$TRASH/shares.svg"
	# stderr is not a terminal: no progress line, the summary is all there is
	[ "$(grep -vc '^flamekit record: [0-9.]* s, ' "$TRASH/shares.err")" -eq 0 ]
}
test_ok "summary on stderr: duration, samples, lost, rate, the output paths" summary_line

quiet() {
	"$FK" record -q -o "$TRASH/quiet.folded" -- true 2>"$TRASH/quiet.err"
	cat "$TRASH/quiet.err"
	# -q: no progress line (whether the summary stays is not fixed here)
	[ "$(grep -vc '^flamekit record: [0-9.]* s, ' "$TRASH/quiet.err")" -eq 0 ]
	[ -f "$TRASH/quiet.folded" ]
}
test_ok "-q: nothing on stderr but at most the summary" quiet

# ---- rate -----------------------------------------------------------------------------
rate() {
	"$FK" record -F 997 -o "$TRASH/rate.folded" -- \
		/usr/bin/time -f '%U %S' -o "$TRASH/rate.cpu" "$SHARES" 1 >/dev/null 2>"$TRASH/rate.err" ||
		{ cat "$TRASH/rate.err"; return 1; }
	cat "$TRASH/rate.err"
	n=$(summary_samples "$TRASH/rate.err")
	[ -n "$n" ]
	# expected: 997 per second of the workload's CPU time (1 s on an idle CPU); >= 70% of it
	awk -v n="$n" '{
		cpu = $1 + $2; want = 0.7 * 997 * cpu
		printf "%d samples for %.2f s of CPU; want >= %.0f\n", n, cpu, want
		exit !(cpu > 0.3 && n >= want)
	}' "$TRASH/rate.cpu"
}
if [ -x /usr/bin/time ]; then
	test_ok "-F 997 for 1 s: >= 700 samples (70% of 997 per CPU second)" rate
else
	test_skip "-F 997 for 1 s: >= 700 samples" "GNU time (/usr/bin/time) not installed"
fi

# ---- --call-graph dwarf without frame pointers ------------------------------------------
dwarf() {
	"$FK" record -F 997 --call-graph dwarf -o "$TRASH/dwarf.folded" -- "$SHARES_NOFP" 2 \
		>/dev/null 2>"$TRASH/dwarf.err" || { cat "$TRASH/dwarf.err"; return 1; }
	cat "$TRASH/dwarf.err"
	check_main "$TRASH/dwarf.folded" 95
}
test_ok "--call-graph dwarf, binary without frame pointers: main in >= 95% of the samples" dwarf

dwarf_shares() {
	check_shares "$TRASH/dwarf.folded"
}
test_ok "--call-graph dwarf: the shares are 60/30/10 (+-3) too" dwarf_shares

# ---- -p PID ---------------------------------------------------------------------------
attach() {
	"$SHARES" 6 >/dev/null &
	target=$!
	sleep 0.3
	t0=$(now_ms)
	rc=0
	"$FK" record -F 997 -p "$target" -d 2 --pid -o "$TRASH/p.folded" 2>"$TRASH/p.err" || rc=$?
	t1=$(now_ms)
	cat "$TRASH/p.err"
	alive=0
	stopped "$target" || alive=1
	kill "$target" 2>/dev/null || true
	wait "$target" 2>/dev/null || true
	echo "exit $rc after $((t1 - t0)) ms; target alive afterwards: $alive"
	[ "$rc" -eq 0 ]
	[ "$alive" -eq 1 ] # attaching and detaching leaves the process running
	[ $((t1 - t0)) -ge 1800 ] && [ $((t1 - t0)) -lt 4500 ]
	# --pid: the root frame is comm-PID
	grep -q "^rec_shares-$target;.*main;work_60 " "$TRASH/p.folded"
	check_shares "$TRASH/p.folded"
}
test_ok "-p PID -d 2 on a running process: 2 s, shares 60/30/10, --pid names rec_shares-PID, target keeps running" attach

sigterm_p() {
	"$SHARES" 5 >/dev/null &
	target=$!
	"$FK" record -p "$target" -o "$TRASH/term.svg" 2>"$TRASH/term.err" &
	fk=$!
	sleep 1.5
	t0=$(now_ms)
	kill -TERM "$fk"
	rc=0
	wait "$fk" || rc=$?
	t1=$(now_ms)
	alive=0
	stopped "$target" || alive=1
	kill "$target" 2>/dev/null || true
	wait "$target" 2>/dev/null || true
	cat "$TRASH/term.err"
	echo "exit $rc, $((t1 - t0)) ms after SIGTERM; target alive afterwards: $alive"
	[ "$rc" -eq 0 ]
	[ $((t1 - t0)) -lt 3000 ]
	[ "$alive" -eq 1 ]
	contains "$TRASH/term.svg" "<title>work_60 ("
}
test_ok "-p PID without -d, SIGTERM after 1.5 s: exit 0, output written, target untouched" sigterm_p

# ---- -a / -C ----------------------------------------------------------------------------
system_wide() {
	taskset -c 0 "$SHARES" 3 >/dev/null &
	target=$!
	sleep 0.2
	rc=0
	"$FK" record -a -d 1 -o "$TRASH/a.folded" 2>"$TRASH/a.err" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$TRASH/a.err"; kill "$target"; return 1; }
	"$FK" record -a -C 1 -d 1 --pid -o "$TRASH/c1.folded" 2>"$TRASH/c1.err" || rc=$?
	kill "$target" 2>/dev/null || true
	wait "$target" 2>/dev/null || true
	cat "$TRASH/a.err" "$TRASH/c1.err"
	[ "$rc" -eq 0 ]
	grep -q '^rec_shares;.*work_60 ' "$TRASH/a.folded"
	# rec_shares is pinned to CPU 0: nothing of it on CPU 1 (by its PID: other tests may
	# run other rec_shares meanwhile)
	grep -q '^[^;]*-[0-9][0-9]*;' "$TRASH/c1.folded" # --pid names processes comm-PID
	if grep "^rec_shares-$target;" "$TRASH/c1.folded"; then
		echo "-C 1 has samples of rec_shares, which runs on CPU 0 only"
		return 1
	fi
}
if ! command -v taskset >/dev/null || [ "$(nproc)" -lt 2 ]; then
	test_skip "-a / -C" "needs taskset and 2 CPUs"
elif [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 0 ]; then
	test_skip "-a / -C" "system-wide sampling needs root, CAP_PERFMON or perf_event_paranoid <= 0"
else
	test_ok "-a -d 1 sees a running process; -C 1 does not see one pinned to CPU 0" system_wide
fi

# ---- threads and children -------------------------------------------------------------
threads() {
	"$FK" record -F 499 -o "$TRASH/threads.folded" -- "$THREADS" 2 >/dev/null 2>"$TRASH/threads.err" ||
		{ cat "$TRASH/threads.err"; return 1; }
	cat "$TRASH/threads.err"
	for fn in thread_a thread_b thread_c; do
		grep -q "^rec_threads;.*;${fn}[; ]" "$TRASH/threads.folded" || { echo "no $fn"; head -n 20 "$TRASH/threads.folded"; return 1; }
	done
}
test_ok "multi-threaded CMD: thread_a, thread_b and thread_c all appear" threads

children() {
	rc=0
	"$FK" record -F 499 -o "$TRASH/fork.folded" -- "$FORK" 2 >/dev/null 2>"$TRASH/fork.err" || rc=$?
	cat "$TRASH/fork.err"
	[ "$rc" -eq 0 ]
	for fn in child_work parent_work; do
		grep -q "^rec_fork;.*;${fn}[; ]" "$TRASH/fork.folded" || { echo "no $fn"; head -n 20 "$TRASH/fork.folded"; return 1; }
	done
	# two children and the parent, each busy for 2 s: the children have about 2/3
	awk '/;child_work[; ]/ { c += $NF } { t += $NF } END { printf "child_work %.0f of %.0f\n", c, t; exit !(c >= 0.4 * t) }' "$TRASH/fork.folded"
}
test_ok "forking CMD: child_work (2 children) and parent_work appear" children

# ---- Node (JIT frames from /tmp/perf-PID.map) ---------------------------------------------
node_jit() {
	# in $TRASH: with --perf-basic-prof, node 20 also writes isolate-*-v8.log to the cwd
	(cd "$TRASH" && "$FK" record -F 499 --jit -o "$TRASH/node.folded" -- \
		node --perf-basic-prof "$NODE_JS" 2) >"$TRASH/node.out" 2>"$TRASH/node.err" ||
		{ cat "$TRASH/node.err"; return 1; }
	cat "$TRASH/node.out" "$TRASH/node.err"
	pid=$(sed -n 's/^rec_node: pid \([0-9]*\).*/\1/p' "$TRASH/node.out")
	[ -z "$pid" ] || rm -f "/tmp/perf-$pid.map"
	grep -q 'hotJsFunction[^;]*_\[j\]' "$TRASH/node.folded" || { echo "no hotJsFunction_[j]:"; sort -t' ' -k2 -nr "$TRASH/node.folded" | head -n 5 | cut -c1-300; return 1; }
}
if command -v node >/dev/null; then
	test_ok "node --perf-basic-prof: hotJsFunction appears, annotated _[j] with --jit" node_jit
else
	test_skip "node --perf-basic-prof: hotJsFunction appears" "node not installed"
fi

# ---- SIGINT -----------------------------------------------------------------------------
sigint() {
	$DEFSIG "$FK" record -o "$TRASH/int.svg" -o "$TRASH/int.folded" -- "$SHARES" 30 \
		>/dev/null 2>"$TRASH/int.err" &
	fk=$!
	sleep 1.5
	child=$(pgrep -P "$fk" | head -n 1 || true)
	t0=$(now_ms)
	kill -INT "$fk"
	rc=0
	wait "$fk" || rc=$?
	t1=$(now_ms)
	cat "$TRASH/int.err"
	echo "exit $rc, $((t1 - t0)) ms after SIGINT; workload pid: ${child:-not found}"
	left=0
	if [ -n "$child" ]; then
		i=0
		while ! stopped "$child" && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
		if ! stopped "$child"; then
			left=1
			kill -KILL "$child" 2>/dev/null || true
		fi
	fi
	[ $((t1 - t0)) -lt 3000 ]
	contains "$TRASH/int.svg" "<title>work_60 ("
	grep -q 'main;work_60 ' "$TRASH/int.folded"
	summary "$TRASH/int.err" | grep -q 'samples'
	[ "$left" -eq 0 ] || { echo "the workload ($child) still runs 2 s after flamekit exited"; return 1; }
}
test_ok "SIGINT to flamekit recording -- rec_shares 30 after 1.5 s: exits within 3 s, outputs written, workload ended" sigint

# ---- CMD's exit status and errors ---------------------------------------------------------
exit_status() {
	rc=0
	"$FK" record -o "$TRASH/exit.folded" -- sh -c 'exit 3' 2>"$TRASH/exit.err" || rc=$?
	cat "$TRASH/exit.err"
	[ "$rc" -eq 3 ]
	rc=0
	"$FK" record -o "$TRASH/exit0.folded" -- true 2>"$TRASH/exit.err" || rc=$?
	cat "$TRASH/exit.err"
	[ "$rc" -eq 0 ]
}
test_ok "the exit status of CMD is flamekit's (sh -c 'exit 3' -> 3, true -> 0)" exit_status

missing_cmd() {
	rc=0
	"$FK" record -o "$TRASH/miss.svg" -- nosuchcmd 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -ne 0 ]
	contains "$TRASH/err" "flamekit record: cannot run 'nosuchcmd': No such file or directory"
	[ ! -e "$TRASH/miss.svg" ]
}
test_ok "missing command: \"cannot run 'nosuchcmd': No such file or directory\", non-zero, no output" missing_cmd

bad_pid() {
	rc=0
	"$FK" record -o "$TRASH/badpid.svg" -p 999999999 -d 1 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -ne 0 ]
	grep -qi 'no such process' "$TRASH/err"
	[ ! -e "$TRASH/badpid.svg" ]
}
test_ok "bad PID (999999999): \"no such process\", non-zero, no output" bad_pid

# As root, run a copy of flamekit as nobody (our build dir may not be readable by nobody).
AS_NOBODY=""
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null; then
		AS_NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	elif command -v runuser >/dev/null; then
		AS_NOBODY="runuser -u nobody --"
	fi
fi
forbidden() {
	dir=$TRASH/nobody
	mkdir -p "$dir"
	cp "$FK" "$dir/flamekit"
	if [ -n "$AS_NOBODY" ]; then
		chmod 755 "$TRASH"
		chmod 777 "$dir"
	fi
	rc=0
	$AS_NOBODY "$dir/flamekit" record -p 1 -d 1 -o "$dir/out.svg" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	chmod 700 "$TRASH"
	[ "$rc" -ne 0 ]
	grep -Eq 'perf_event_paranoid|CAP_PERFMON|ptrace' "$TRASH/err"
	[ ! -e "$dir/out.svg" ]
}
if [ "$(id -u)" -ne 0 ] || [ -n "$AS_NOBODY" ]; then
	test_ok "forbidden target (-p 1 as an unprivileged user): names perf_event_paranoid/CAP_PERFMON/ptrace, no output" forbidden
else
	test_skip "forbidden target (-p 1 as nobody)" "neither setpriv nor runuser installed"
fi

# A VM without a PMU has no cpu event source (no cycles, no LBR).
if [ -d /sys/bus/event_source/devices/cpu ] || [ -d /sys/bus/event_source/devices/cpu_core ] ||
	[ -d /sys/bus/event_source/devices/armv8_pmuv3_0 ]; then
	HAVE_PMU=1
else
	HAVE_PMU=0
fi
no_cycles() {
	rc=0
	"$FK" record -e cycles -o "$TRASH/cyc.svg" -- true 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -eq 1 ]
	grep -qi 'hardware' "$TRASH/err"
	[ ! -e "$TRASH/cyc.svg" ]
}
no_lbr() {
	rc=0
	"$FK" record --call-graph lbr -o "$TRASH/lbr.svg" -- true 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -ne 0 ]
	grep -qi 'lbr' "$TRASH/err"
	[ ! -e "$TRASH/lbr.svg" ]
}
if [ "$HAVE_PMU" -eq 0 ]; then
	test_ok "-e cycles without hardware counters: an error naming them, exit 1, no output" no_cycles
	test_ok "--call-graph lbr without LBR: a clear error, non-zero, no output" no_lbr
else
	test_skip "-e cycles without hardware counters" "this machine has a CPU PMU"
	test_skip "--call-graph lbr without LBR" "this machine has a CPU PMU"
fi

# ---- --cgroup: a cgroup v2 directory (how a container is profiled from the host) ------
CGROOT=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ -f "$d/cgroup.procs" ] && [ -f "$d/cgroup.controllers" ] && [ -w "$d/cgroup.procs" ]; then
		CGROOT=$d
		break
	fi
done
cgroup_case() {
	cg=$CGROOT/flamekit-test-$$
	mkdir "$cg"
	sh -c "echo \$\$ > '$cg/cgroup.procs' && exec '$SHARES' 4" >/dev/null &
	pid=$!
	sleep 0.3
	rc=0
	"$FK" record -F 997 --cgroup "$cg" -d 1.5 -o "$TRASH/cg.folded" 2>"$TRASH/err" || rc=$?
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rmdir "$cg"
	cat "$TRASH/err"
	[ "$rc" -eq 0 ]
	check_shares "$TRASH/cg.folded"
	# nothing outside the cgroup
	! grep -v '^rec_shares;' "$TRASH/cg.folded"
}
if [ -n "$CGROOT" ] && [ "$(id -u)" -eq 0 ]; then
	test_ok "--cgroup DIR: samples the cgroup's process (shares 60/30/10) and nothing else" cgroup_case
else
	test_skip "--cgroup DIR" "no writable cgroup v2 hierarchy (needs root)"
fi
bad_cgroup() {
	rc=0
	"$FK" record --cgroup "$TRASH" -d 1 -o "$TRASH/bcg.svg" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -eq 1 ]
	grep -q "is not a cgroup" "$TRASH/err"
	[ ! -e "$TRASH/bcg.svg" ]
}
test_ok "--cgroup on a plain directory: a clear error, no output" bad_cgroup

# ---- other events: a tracepoint with callchains, page faults ---------------------------
tracepoint() {
	"$FK" record -q -e sched:sched_switch -o "$TRASH/tp.folded" -- sh -c 'sleep 0.05; sleep 0.05'
	# every switch of sleep is charged to the kernel's schedule under nanosleep
	grep -q '^sleep;.*nanosleep.*;schedule;__schedule [0-9]*$' "$TRASH/tp.folded"
}
test_ok "-e sched:sched_switch: context switches with their stacks (sleep -> nanosleep -> schedule)" tracepoint
page_faults() {
	"$FK" record -q -e page-faults -o "$TRASH/pf.folded" -- "$SHARES" 0.2 >/dev/null
	total=$(awk '{s += $NF} END {print s + 0}' "$TRASH/pf.folded")
	# a process start touches dozens of pages at least
	[ "$total" -ge 20 ]
	grep -q '^rec_shares;' "$TRASH/pf.folded"
}
test_ok "-e page-faults: one sample per fault (-c 1), stacks rooted at the process" page_faults

# ---- --inline: inlined frames from DWARF, as collapse --inline gives them --------------
inline_case() {
	# work_unit is always_inline: a frame only when DWARF's inline records are read
	"$FK" record -q --inline -o "$TRASH/inl.folded" -- "$SHARES" 1 >/dev/null
	grep -q ';main;work_60;work_unit [0-9]*$' "$TRASH/inl.folded"
	"$FK" record -q -o "$TRASH/noinl.folded" -- "$SHARES" 0.3 >/dev/null
	! grep -q 'work_unit' "$TRASH/noinl.folded"
}
test_ok "--inline: inlined callees appear as frames (work_60;work_unit), not without it" inline_case

# ---- perf_event_paranoid 2 for a non-root user: user space only, said once ------------
user_only() {
	dir=$TRASH/nobody2
	mkdir -p "$dir"
	cp "$FK" "$dir/flamekit"
	chmod 755 "$TRASH"
	chmod 777 "$dir"
	rc=0
	$AS_NOBODY "$dir/flamekit" record -F 997 -o "$dir/u.folded" -- "$SHARES" 2 >/dev/null 2>"$TRASH/err" || rc=$?
	chmod 700 "$TRASH"
	cat "$TRASH/err"
	[ "$rc" -eq 0 ]
	[ "$(grep -c 'kernel frames are not recorded: kernel.perf_event_paranoid' "$TRASH/err")" -eq 1 ]
	check_shares "$dir/u.folded"
}
if [ "$(id -u)" -eq 0 ] && [ -n "$AS_NOBODY" ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -eq 2 ]; then
	test_ok "as a user with perf_event_paranoid 2: user-space stacks, and one note saying why" user_only
else
	test_skip "user-space-only fallback" "needs root to switch users, and perf_event_paranoid 2"
fi

done_testing
