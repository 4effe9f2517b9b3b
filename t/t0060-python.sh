#!/bin/sh
# flamekit record --python and flamekit dump: CPython 3.9-3.13 stacks read from outside
# the process, end to end, on every interpreter found (pyenv's, or the space-separated
# list of interpreter paths in FK_PYTHONS): CPU shares of tests/python/shares.py
# (60/30/10), line numbers as the source has them, --no-lineno, --full-filenames, py-spy's
# short file names, threads (--threads, --idle, --gil), fork (--subprocesses), a target
# that exits, dump -p, the errors, `python -m http.server` under load, and the offsets
# table against each version's headers (tests/python/py_offsets_probe.c). Needs to read
# other processes' memory (process_vm_readv: same user, or root). About 50 s.
. "$(dirname "$0")/lib.sh"

PYDIR=$FK_ROOT/tests/python
SHARES_PY=$PYDIR/shares.py
THREADS_PY=$PYDIR/threads.py
FORK_PY=$PYDIR/fork.py
PROBE_C=$PYDIR/py_offsets_probe.c
TABLE=$FK_BUILD/tools/py_offsets_table

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the interpreters -------------------------------------------------------------------
# "MINOR PATH" lines: FK_PYTHONS (those that run and are 3.9-3.13), or pyenv's 3.9 to
# 3.13 (any patch release). Absent ones are skipped; none at all is a failure.
PYLIST=$TRASH/pythons
: >"$PYLIST"
MISSING=""
if [ -n "${FK_PYTHONS:-}" ]; then
	for py in $FK_PYTHONS; do
		m=""
		if [ -x "$py" ]; then
			m=$("$py" -c 'import sys; v = sys.version_info; print(v[1] if v[0] == 3 and 9 <= v[1] <= 13 else "")' 2>/dev/null || true)
		fi
		if [ -n "$m" ]; then
			echo "$m $py" >>"$PYLIST"
		else
			MISSING="$MISSING $py"
		fi
	done
else
	for minor in 9 10 11 12 13; do
		found=""
		for root in ${PYENV_ROOT:-} "${HOME:-/root}/.pyenv" /root/.pyenv; do
			for py in "$root"/versions/3.$minor.*/bin/python3; do
				if [ -z "$found" ] && [ -x "$py" ]; then
					found=$py
				fi
			done
		done
		if [ -n "$found" ]; then
			echo "$minor $found" >>"$PYLIST"
		else
			MISSING="$MISSING 3.$minor"
		fi
	done
fi
# the interpreter of the cases run once: the newest
PY=$(tail -n 1 "$PYLIST" | cut -d' ' -f2-)

some_python() {
	cat "$PYLIST"
	[ -s "$PYLIST" ] || { echo "no CPython 3.9-3.13 found (missing:$MISSING)"; return 1; }
}
test_ok "a CPython 3.9-3.13 interpreter is present (missing:${MISSING:- none})" some_python
if [ ! -s "$PYLIST" ]; then
	done_testing
	exit 1
fi

# ---- helpers ------------------------------------------------------------------------------
# py_stats FILE: "TOTAL MAIN A B C": all samples, and those of the stacks with a frame
# main (...), work_a (...), work_b (...), work_c (...).
py_stats() {
	awk '{
		n = $NF; st = $0; sub(/ [0-9]+$/, "", st)
		k = split(st, f, ";"); m = 0; a = 0; b = 0; c = 0
		for (i = 1; i <= k; i++) {
			if (f[i] ~ /^main \(/) m = 1
			else if (f[i] ~ /^work_a \(/) a = 1
			else if (f[i] ~ /^work_b \(/) b = 1
			else if (f[i] ~ /^work_c \(/) c = 1
		}
		tot += n; mn += m * n; wa += a * n; wb += b * n; wc += c * n
	} END { printf "%.0f %.0f %.0f %.0f %.0f\n", tot, mn, wa, wb, wc }' "$1"
}

# frames_with FILE REGEX: the samples of the stacks with a frame matching REGEX (awk ERE)
frames_with() {
	awk -v re="$2" '{
		n = $NF; st = $0; sub(/ [0-9]+$/, "", st)
		k = split(st, f, ";"); hit = 0
		for (i = 1; i <= k; i++) if (f[i] ~ re) hit = 1
		if (hit) s += n
	} END { printf "%.0f\n", s }' "$1"
}

# the sample stacks, most samples first (for the logs)
top_stacks() { awk '{ print $NF "\t" $0 }' "$1" | sort -t'	' -k1,1nr | cut -f2- | head -n "${2:-8}" | cut -c1-400; }

# the summary line of record --python on stderr
summary() { grep '^flamekit record: [0-9.]* s, ' "$1" | tail -n 1; }

# line_of TEXT: the line number of the first line of shares.py that is exactly TEXT
line_of() { awk -v t="$1" '$0 == t { print NR; exit }' "$SHARES_PY"; }

# stopped PID: the process is gone (or a zombie waiting for its parent)
stopped() {
	st=$(ps -o stat= -p "$1" 2>/dev/null || true)
	case $st in "" | Z*) return 0 ;; *) return 1 ;; esac
}

# the lines of shares.py that the frames must name
L_SPIN_FOR=$(line_of "    for i in range(n):")
L_SPIN_ADD=$(line_of "        total += i * i")
L_A=$(line_of "    return spin(6000)")
L_B=$(line_of "    return spin(3000)")
L_C=$(line_of "    return spin(1000)")
L_MAIN_A=$(line_of "        work_a()")
L_MAIN_B=$(line_of "        work_b()")
L_MAIN_C=$(line_of "        work_c()")
L_MODULE=$(awk '/^    main\(/ { print NR; exit }' "$SHARES_PY")

# ---- per version: shares, line numbers, threads, dump, offsets ----------------------------
# shares_ok FILE: work_a/b/c take 60/30/10% (+-4 points) of all the samples, main is in
# >= 95% of them
shares_ok() {
	py_stats "$1" | awk '{
		tot = $1
		if (tot < 300) { printf "only %d samples\n", tot; exit 1 }
		m = 100 * $2 / tot; a = 100 * $3 / tot; b = 100 * $4 / tot; c = 100 * $5 / tot
		printf "%d samples: main %.1f%%, work_a %.1f%%, work_b %.1f%%, work_c %.1f%%\n", tot, m, a, b, c
		if (m < 95) bad = 1
		d = a - 60; if (d < 0) d = -d; if (d > 4) bad = 1
		d = b - 30; if (d < 0) d = -d; if (d > 4) bad = 1
		d = c - 10; if (d < 0) d = -d; if (d > 4) bad = 1
		exit bad
	}'
}

# record_shares MINOR PY: 3 s of shares.py at 250 Hz into $TRASH/shares-MINOR.folded.
# The sampler takes runnable threads as running (as py-spy does): when the tests running
# beside this one (prove -j 2 on two CPUs) keep the workload off the CPUs for a while, it
# is sampled in the same place several times, and the workload's own wall-clock shares
# drift too (by 5 points at times, measured in the program). So up to three recordings
# are made, and one of them has to have the shares.
record_shares() {
	out=$TRASH/shares-$1.folded
	for try in 1 2 3; do
		echo "recording $try:"
		"$FK" record --python -F 250 -o "$out" -- "$2" "$SHARES_PY" 3 2>"$TRASH/shares-$1.err" ||
			{ cat "$TRASH/shares-$1.err"; return 1; }
		cat "$TRASH/shares-$1.err"
		summary "$TRASH/shares-$1.err" | grep -q ' samples'
		top_stacks "$out" 6
		if shares_ok "$out"; then
			return 0
		fi
	done
	return 1
}

# check_lines FILE PERCENT: the frames name the lines of shares.py. Of the frames that
# call another (the leaf may be anywhere in its function), <module> is on the line of
# its main(...) call, main on the line of the work_X() it is in, work_X on its `return
# spin(...)`, in at least PERCENT% of the samples each (100 with --blocking; an
# unstopped process moves on while its stack is read, which puts a few off); the leaf
# spin is on one of the two lines of its loop in >= 95%.
check_lines() {
	[ -n "$L_A" ] && [ -n "$L_B" ] && [ -n "$L_C" ] && [ -n "$L_MAIN_A" ] && [ -n "$L_MAIN_B" ] &&
		[ -n "$L_MAIN_C" ] && [ -n "$L_MODULE" ] && [ -n "$L_SPIN_FOR" ] && [ -n "$L_SPIN_ADD" ] ||
		{ echo "shares.py changed: a line the test looks for is missing"; return 1; }
	awk -v pct="$2" -v la="$L_A" -v lb="$L_B" -v lc="$L_C" -v ma="$L_MAIN_A" -v mb="$L_MAIN_B" \
		-v mc="$L_MAIN_C" -v lm="$L_MODULE" -v s1="$L_SPIN_FOR" -v s2="$L_SPIN_ADD" '
	function want(caller, callee, line) { wc[++nw] = caller; we[nw] = callee; wl[nw] = line }
	BEGIN {
		want("<module>", "main", lm)
		want("main", "work_a", ma); want("main", "work_b", mb); want("main", "work_c", mc)
		want("work_a", "spin", la); want("work_b", "spin", lb); want("work_c", "spin", lc)
	}
	{
		n = $NF; st = $0; sub(/ [0-9]+$/, "", st)
		k = split(st, f, ";")
		for (i = 1; i < k; i++)
			for (w = 1; w <= nw; w++)
				if (index(f[i], wc[w] " (shares.py") == 1 && index(f[i + 1], we[w] " (") == 1) {
					all[w] += n
					if (f[i] == wc[w] " (shares.py:" wl[w] ")") hit[w] += n
					else other[w] = other[w] " " f[i]
				}
		# the leaf spin: on one of the lines of its loop
		if (index(f[k], "spin (") == 1) {
			spin += n
			if (f[k] == "spin (shares.py:" s1 ")" || f[k] == "spin (shares.py:" s2 ")") loop += n
		}
	}
	END {
		for (w = 1; w <= nw; w++) {
			p = all[w] ? 100 * hit[w] / all[w] : 0
			printf "%s calling %s: on line %d in %d of %d samples (%.1f%%)%s\n", wc[w], we[w], wl[w],
				hit[w], all[w], p, other[w] != "" ? "; others:" substr(other[w], 1, 200) : ""
			if (all[w] < 10 || p < pct) bad = 1
		}
		p = spin ? 100 * loop / spin : 0
		printf "leaf spin on line %d or %d: %d of %d samples (%.1f%%)\n", s1, s2, loop, spin, p
		if (spin < 10 || p < 95) bad = 1
		exit bad
	}' "$1"
}

# record_blocking MINOR PY: shares.py with --blocking: exact line numbers
record_blocking() {
	out=$TRASH/blocking-$1.folded
	"$FK" record --python --blocking -F 250 -o "$out" -- "$2" "$SHARES_PY" 1.2 2>"$TRASH/err" ||
		{ cat "$TRASH/err"; return 1; }
	cat "$TRASH/err"
	top_stacks "$out" 4
	check_lines "$out" 100
}

# record_threads MINOR PY: --threads --idle --pid on threads.py
record_threads() {
	out=$TRASH/threads-$1.folded
	"$FK" record --python --threads --idle --pid -F 250 -o "$out" -- "$2" "$THREADS_PY" 1 \
		2>"$TRASH/threads-$1.err" || { cat "$TRASH/threads-$1.err"; return 1; }
	cat "$TRASH/threads-$1.err"
	top_stacks "$out"
	# the process frame comm-PID and a thread frame "thread NAME (TID)" start every stack
	# (in either order here), one thread per function; MainThread's TID is the PID
	awk '{
		n = $NF; st = $0; sub(/ [0-9]+$/, "", st)
		k = split(st, f, ";")
		if (f[1] ~ /^thread /) { th = f[1]; pr = f[2] } else { th = f[2]; pr = f[1] }
		if (th !~ /^thread .+ \([0-9]+\)$/ || pr !~ /-[0-9]+$/) { print "no process and thread frames: " st; bad = 1; next }
		pid = pr; sub(/.*-/, "", pid)
		tid = th; sub(/.*\(/, "", tid); sub(/\)$/, "", tid)
		if (tid + 0 <= 0) { print "thread id unknown: " th; bad = 1 }
		if (ppid != "" && pid != ppid) { print "two processes: " ppid " " pid; bad = 1 }
		ppid = pid
		for (i = 3; i <= k; i++) {
			fn = f[i]; sub(/ \(.*/, "", fn)
			if (fn == "burn_alpha" || fn == "burn_beta" || fn == "nap") {
				if ((fn in tids) && tids[fn] != tid) { print fn " in two threads"; bad = 1 }
				tids[fn] = tid; cnt[fn] += n
			}
		}
		if (th ~ /^thread MainThread \(/) { main = tid; mains += n }
	} END {
		printf "pid %s; MainThread %s (%d samples); burn_alpha %s (%d); burn_beta %s (%d); nap %s (%d)\n",
			ppid, main, mains, tids["burn_alpha"], cnt["burn_alpha"], tids["burn_beta"], cnt["burn_beta"], tids["nap"], cnt["nap"]
		if (main == "" || main != ppid) { print "MainThread is not thread PID"; bad = 1 }
		if (cnt["burn_alpha"] < 20 || cnt["burn_beta"] < 20) { print "a worker is missing"; bad = 1 }
		if (cnt["nap"] < 20) { print "--idle: the sleeping thread is missing"; bad = 1 }
		if (tids["burn_alpha"] == main || tids["burn_beta"] == main || tids["nap"] == main ||
		    tids["burn_alpha"] == tids["burn_beta"] || tids["nap"] == tids["burn_alpha"] ||
		    tids["nap"] == tids["burn_beta"]) { print "threads share a TID"; bad = 1 }
		exit bad
	}' "$out"
}

# thread_order MINOR: the thread frame is right under the process frame
thread_order() {
	out=$TRASH/threads-$1.folded
	[ -s "$out" ]
	if grep -v '^[^;]*-[0-9]*;thread [^;]* ([0-9]*);' "$out" >"$TRASH/bad"; then
		echo "stacks not starting comm-PID;thread NAME (TID):"
		cut -c1-200 "$TRASH/bad" | head -n 5
		return 1
	fi
	grep -q '^[^;]*-\([0-9]*\);thread MainThread (\1);' "$out"
}

# threads_default MINOR PY: without --idle, the workers and not the sleeping thread (at
# most 2 samples of it: caught in its first instant, before it sleeps; sampled asleep,
# it would be in every tick, as with --idle)
threads_default() {
	out=$TRASH/threads-def-$1.folded
	"$FK" record --python -F 250 -o "$out" -- "$2" "$THREADS_PY" 1 2>"$TRASH/err" ||
		{ cat "$TRASH/err"; return 1; }
	cat "$TRASH/err"
	top_stacks "$out"
	a=$(frames_with "$out" '^burn_alpha \(threads\.py:')
	b=$(frames_with "$out" '^burn_beta \(threads\.py:')
	z=$(frames_with "$out" '^nap \(')
	echo "burn_alpha $a, burn_beta $b, nap $z samples"
	[ "$a" -ge 20 ]
	[ "$b" -ge 20 ]
	[ "$z" -le 2 ]
}

# dump_version MINOR PY: dump -p of a running shares.py (and --blocking)
dump_version() {
	"$2" "$SHARES_PY" 8 &
	target=$!
	trap 'kill $target 2>/dev/null || true' EXIT
	# until the program is in main (a slow start is not a failure of dump)
	i=0
	ok=0
	while [ $i -lt 30 ] && [ $ok -eq 0 ]; do
		sleep 0.2
		if "$FK" dump -p "$target" >"$TRASH/dump" 2>"$TRASH/dump.err" &&
			grep -q "^    <module> (shares.py:$L_MODULE)\$" "$TRASH/dump"; then
			ok=1
		fi
		i=$((i + 1))
	done
	cat "$TRASH/dump" "$TRASH/dump.err"
	[ $ok -eq 1 ]
	head -n 1 "$TRASH/dump" | grep -q "^Process $target: .*shares\.py 8\$"
	grep -Eq "^Python v3\.$1([. ]|\$)" "$TRASH/dump"
	grep -q "^Thread $target (" "$TRASH/dump"
	grep -q '^    main (shares\.py:[0-9][0-9]*)$' "$TRASH/dump"
	# innermost first: <module>, main's caller, comes right after it
	awk '/^    main \(/ { m = NR } /^    <module> \(/ { mod = NR } END { exit !(m && mod == m + 1) }' "$TRASH/dump"
	rc=0
	"$FK" dump --blocking -p "$target" >"$TRASH/dumpb" 2>&1 || rc=$?
	cat "$TRASH/dumpb"
	[ $rc -eq 0 ]
	grep -q "^Thread $target (" "$TRASH/dumpb"
	grep -q "^    main (shares\.py:[0-9][0-9]*)\$" "$TRASH/dumpb"
	grep -q "^    <module> (shares\.py:$L_MODULE)\$" "$TRASH/dumpb"
	# a stopped thread: main is on the line of the work_X() call it is in
	awk -v ma="$L_MAIN_A" -v mb="$L_MAIN_B" -v mc="$L_MAIN_C" '
		/^    main \(/ { want = prev ~ /^    work_a \(/ ? ma : prev ~ /^    work_b \(/ ? mb : prev ~ /^    work_c \(/ ? mc : ""
			if (want != "" && $0 != "    main (shares.py:" want ")") { print "main on the wrong line: " $0 " under " prev; bad = 1 } }
		{ prev = $0 } END { exit bad }' "$TRASH/dumpb"
	alive=0
	stopped "$target" || alive=1
	[ $alive -eq 1 ] || { echo "the target did not survive dump --blocking"; return 1; }
}

# offsets MINOR PY: the table's entry is what the version's headers say
offsets() {
	prefix=$("$2" -c 'import sys; print(sys.prefix)')
	inc=$prefix/include/python3.$1
	cc -w -I"$inc" -I"$inc/internal" "$PROBE_C" -o "$TRASH/probe-$1"
	"$TRASH/probe-$1" | sort >"$TRASH/probe-$1.txt"
	"$TABLE" "$1" | sort >"$TRASH/table-$1.txt"
	[ -s "$TRASH/probe-$1.txt" ]
	same_file "$TRASH/probe-$1.txt" "$TRASH/table-$1.txt"
}

while read -r minor py <&3; do
	v=3.$minor
	test_ok "$v: shares.py 3 s at 250 Hz: work_a/b/c 60/30/10% (+-4), main in >= 95% of the samples" \
		record_shares "$minor" "$py"
	test_ok "$v: line numbers as in shares.py (<module>:$L_MODULE, main:$L_MAIN_A/$L_MAIN_B/$L_MAIN_C, work_a/b/c:$L_A/$L_B/$L_C, spin:$L_SPIN_FOR/$L_SPIN_ADD) in >= 80% of the samples" \
		check_lines "$TRASH/shares-$minor.folded" 80
	test_ok "$v: --blocking: the same line numbers in all samples" record_blocking "$minor" "$py"
	test_ok "$v: --threads --idle --pid: one thread frame per thread, MainThread (PID), both workers and the sleeper" \
		record_threads "$minor" "$py"
	test_ok "$v: --threads: the thread frame is under the process frame (comm-PID;thread NAME (TID);...)" \
		thread_order "$minor"
	test_ok "$v: threads.py without --idle: burn_alpha and burn_beta, not the sleeping nap (<= 2 samples, not one a tick)" \
		threads_default "$minor" "$py"
	test_ok "$v: dump -p PID (and --blocking): Process, Python v$v, Thread, main, <module> (shares.py:$L_MODULE)" \
		dump_version "$minor" "$py"
	prefix=$("$py" -c 'import sys; print(sys.prefix)' 2>/dev/null || true)
	if ! command -v cc >/dev/null; then
		test_skip "$v: offsets table = the headers" "no C compiler"
	elif [ ! -f "$prefix/include/python3.$minor/internal/pycore_runtime.h" ]; then
		test_skip "$v: offsets table = the headers" "no internal headers in $prefix/include/python3.$minor"
	elif [ ! -x "$TABLE" ]; then
		test_skip "$v: offsets table = the headers" "$TABLE not built (make test builds it)"
	else
		test_ok "$v: offsets table = the headers (py_offsets_probe.c vs tools/py_offsets_table)" offsets "$minor" "$py"
	fi
done 3<"$PYLIST"

# ---- the rest, on one interpreter --------------------------------------------------------
no_lineno() {
	"$FK" record --python --no-lineno -F 250 -o "$TRASH/nol.folded" -o "$TRASH/nol.svg" -- \
		"$PY" "$SHARES_PY" 0.8 2>"$TRASH/err" || { cat "$TRASH/err"; return 1; }
	top_stacks "$TRASH/nol.folded" 4
	grep -q ';main (shares\.py);work_a (shares\.py);spin (shares\.py) [0-9]*$' "$TRASH/nol.folded"
	if grep -q '(shares\.py:' "$TRASH/nol.folded"; then echo "a line number with --no-lineno"; return 1; fi
	# the flame graph too: its title names the mode and the rate
	contains "$TRASH/nol.svg" "</svg>"
	contains "$TRASH/nol.svg" "(Python @ 250 Hz)"
	contains "$TRASH/nol.svg" "<title>work_a (shares.py) ("
}
test_ok "--no-lineno: main (shares.py);work_a (shares.py);spin (shares.py), no line anywhere; -o x.svg too" no_lineno

full_filenames() {
	"$FK" record --python --full-filenames -F 250 -o "$TRASH/full.folded" -- "$PY" "$SHARES_PY" 0.8 2>"$TRASH/err" ||
		{ cat "$TRASH/err"; return 1; }
	top_stacks "$TRASH/full.folded" 4
	grep -qF ";work_a ($SHARES_PY:$L_A);spin ($SHARES_PY:" "$TRASH/full.folded"
	grep -qF ";main ($SHARES_PY:$L_MAIN_A);" "$TRASH/full.folded"
	if grep -q '(shares\.py[:)]' "$TRASH/full.folded"; then echo "a short file name with --full-filenames"; return 1; fi
}
test_ok "--full-filenames: work_a ($SHARES_PY:$L_A)" full_filenames

gil() {
	out=$TRASH/gil.folded
	"$FK" record --python --gil --idle -F 250 -o "$out" -- "$PY" "$THREADS_PY" 1.2 2>"$TRASH/err" ||
		{ cat "$TRASH/err"; return 1; }
	cat "$TRASH/err"
	top_stacks "$out"
	tot=$(awk '{ s += $NF } END { printf "%.0f\n", s }' "$out")
	w=$(frames_with "$out" '^burn_(alpha|beta) \(threads\.py:')
	a=$(frames_with "$out" '^burn_alpha \(')
	b=$(frames_with "$out" '^burn_beta \(')
	ticks=$(summary "$TRASH/err" | sed -n 's/.* \([0-9][0-9]*\) ticks.*/\1/p')
	echo "$tot samples in $ticks ticks; burn_alpha $a, burn_beta $b"
	# one thread at most per tick (the GIL's); nearly all of them in a worker, although
	# --idle would sample the joining main thread and the sleeper on every tick
	[ -n "$ticks" ]
	[ "$tot" -le "$ticks" ]
	[ "$a" -ge 20 ]
	[ "$b" -ge 20 ]
	[ $((100 * w)) -ge $((90 * tot)) ]
}
test_ok "--gil --idle: at most one sample per tick, >= 90% in burn_alpha/burn_beta, both appear" gil

fork_sub() {
	out=$TRASH/fork.folded
	"$FK" record --python --subprocesses --pid -F 250 -o "$out" -- "$PY" "$FORK_PY" 1.5 2>"$TRASH/err" ||
		{ cat "$TRASH/err"; return 1; }
	cat "$TRASH/err"
	top_stacks "$out"
	pc=$(grep ';child_work (fork\.py:' "$out" | sed 's/;.*//' | sort -u)
	pp=$(grep ';parent_work (fork\.py:' "$out" | sed 's/;.*//' | sort -u)
	echo "child_work in: $pc; parent_work in: $pp"
	[ "$(echo "$pc" | wc -w)" -eq 1 ]
	[ "$(echo "$pp" | wc -w)" -eq 1 ]
	echo "$pc" | grep -q -- '-[0-9][0-9]*$'
	[ "$pc" != "$pp" ]
	[ "$(sed 's/;.*//' "$out" | sort -u | wc -l)" -eq 2 ]
	[ "$(frames_with "$out" '^child_work \(')" -ge 50 ]
	[ "$(frames_with "$out" '^parent_work \(')" -ge 50 ]
}
test_ok "fork, --subprocesses --pid: child_work and parent_work, from two PIDs (comm-PID)" fork_sub

fork_nosub() {
	out=$TRASH/fork1.folded
	"$FK" record --python --pid -F 250 -o "$out" -- "$PY" "$FORK_PY" 1 2>"$TRASH/err" ||
		{ cat "$TRASH/err"; return 1; }
	top_stacks "$out"
	[ "$(frames_with "$out" '^parent_work \(')" -ge 50 ]
	if grep -q 'child_work' "$out"; then echo "child_work without --subprocesses"; return 1; fi
	[ "$(sed 's/;.*//' "$out" | sort -u | wc -l)" -eq 1 ]
}
test_ok "fork without --subprocesses: parent_work only, one PID" fork_nosub

target_exits() {
	"$PY" "$SHARES_PY" 1 &
	target=$!
	sleep 0.2
	t0=$(now_ms)
	rc=0
	"$FK" record --python -p "$target" -d 10 -o "$TRASH/exit.folded" 2>"$TRASH/err" || rc=$?
	t1=$(now_ms)
	wait "$target" || true
	cat "$TRASH/err"
	echo "exit $rc after $((t1 - t0)) ms"
	[ "$rc" -eq 0 ]
	[ $((t1 - t0)) -lt 5000 ]
	[ -s "$TRASH/exit.folded" ]
	grep -q ';work_a (shares\.py:' "$TRASH/exit.folded"
	summary "$TRASH/err" | grep -q 'the processes exited'
}
test_ok "-p PID -d 10 on a program that exits after 1 s: done early, exit 0, output written, 'the processes exited'" target_exits

# dump of threads.py: every thread, innermost frame first, their states (the sleeper
# idle, at most one thread holding the GIL)
dump_threads() {
	"$PY" "$THREADS_PY" 6 &
	target=$!
	trap 'kill $target 2>/dev/null || true' EXIT
	i=0
	ok=0
	while [ $i -lt 30 ] && [ $ok -eq 0 ]; do
		sleep 0.2
		"$FK" dump -p "$target" >"$TRASH/dump" 2>"$TRASH/dump.err" || true
		if grep -q '^    burn_alpha (threads\.py:' "$TRASH/dump" && grep -q '^    burn_beta (threads\.py:' "$TRASH/dump"; then
			ok=1
		fi
		i=$((i + 1))
	done
	cat "$TRASH/dump" "$TRASH/dump.err"
	[ $ok -eq 1 ]
	[ "$(grep -c '^Thread [0-9]* (' "$TRASH/dump")" -eq 4 ]
	[ "$(grep -c '^Thread [0-9]* ([a-z]*+gil)' "$TRASH/dump")" -le 1 ]
	# each thread's block: its Thread line, then its frames (innermost first)
	awk '/^Thread / { th = $0 } /^    nap \(threads\.py:/ { nap = th }
		/^    main \(threads\.py:/ { mt = th; getline; if ($0 !~ /^    <module> \(threads\.py:/) bad = 1 }
		END { exit bad || nap !~ /\(idle\)/ || mt !~ /^Thread '"$target"' / }' "$TRASH/dump"
}
test_ok "dump -p of threads.py: 4 threads, nap's idle, at most one holds the GIL, main thread PID -> main -> <module>" dump_threads

sigterm_p() {
	"$PY" "$SHARES_PY" 5 &
	target=$!
	trap 'kill $target 2>/dev/null || true' EXIT
	"$FK" record --python -p "$target" -o "$TRASH/term.folded" 2>"$TRASH/err" &
	fk=$!
	sleep 1
	t0=$(now_ms)
	kill -TERM "$fk"
	rc=0
	wait "$fk" || rc=$?
	t1=$(now_ms)
	cat "$TRASH/err"
	echo "exit $rc, $((t1 - t0)) ms after SIGTERM"
	[ "$rc" -eq 0 ]
	[ $((t1 - t0)) -lt 2000 ]
	if stopped "$target"; then echo "the target is gone"; return 1; fi
	grep -q ';main (shares\.py:[0-9]*);work_a (shares\.py:' "$TRASH/term.folded"
}
test_ok "-p PID without -d, SIGTERM after 1 s: exit 0, output written, target keeps running" sigterm_p

dump_errors() {
	sleep 5 &
	s=$!
	trap 'kill $s 2>/dev/null || true' EXIT
	# until the background shell has become sleep
	i=0
	while [ $i -lt 50 ] && ! readlink "/proc/$s/exe" 2>/dev/null | grep -q '/sleep$'; do
		sleep 0.05
		i=$((i + 1))
	done
	rc=0
	"$FK" dump -p "$s" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/out" "$TRASH/err"
	[ "$rc" -ne 0 ]
	contains "$TRASH/err" "not a Python process"
	[ ! -s "$TRASH/out" ]
	kill "$s"
	wait "$s" || true
	rc=0
	"$FK" dump -p "$s" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/out" "$TRASH/err"
	[ "$rc" -ne 0 ]
	grep -qi 'no such process' "$TRASH/err"
	rc=0
	"$FK" dump >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
}
test_ok "dump -p of sleep: 'not a Python process', non-zero; of a dead PID: 'no such process'; no -p: exit 2" dump_errors

record_errors() {
	rc=0
	"$FK" record --python -o "$TRASH/e1.folded" -- sleep 0.3 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -ne 0 ]
	contains "$TRASH/err" "not a Python process"
	[ ! -e "$TRASH/e1.folded" ]
	rc=0
	"$FK" record --threads -o "$TRASH/e2.folded" -- true 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -eq 2 ]
	grep -q -- '--python' "$TRASH/err"
	rc=0
	"$FK" record --python -a -d 1 -o "$TRASH/e3.folded" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -eq 2 ]
	rc=0
	"$FK" record --python -p 999999999 -d 1 -o "$TRASH/e4.folded" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -ne 0 ]
	grep -qi 'no such process' "$TRASH/err"
	[ ! -e "$TRASH/e2.folded" ]
	[ ! -e "$TRASH/e3.folded" ]
	[ ! -e "$TRASH/e4.folded" ]
}
test_ok "record --python -- sleep: 'not a Python process'; --threads without --python, --python -a: exit 2; bad PID" record_errors

# python -m http.server under load: the request threads' frames, named as py-spy names them
http_server() {
	www=$TRASH/www
	mkdir -p "$www"
	i=0
	while [ $i -lt 200 ]; do echo "line $i of a small page"; i=$((i + 1)); done >"$www/index.html"
	# port 0: the kernel picks a free one, and the server says which
	(cd "$www" && exec "$PY" -u -m http.server 0 --bind 127.0.0.1) >"$TRASH/srv.out" 2>"$TRASH/srv.err" &
	srv=$!
	cl=""
	trap 'kill $srv $cl 2>/dev/null || true' EXIT
	port=""
	i=0
	while [ -z "$port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		port=$(sed -n 's/^Serving HTTP on .* port \([0-9][0-9]*\).*/\1/p' "$TRASH/srv.out")
		i=$((i + 1))
	done
	[ -n "$port" ] || { echo "the server did not start:"; cat "$TRASH/srv.out" "$TRASH/srv.err"; return 1; }
	"$PY" -c '
import sys, time, urllib.request
end = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < end:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        r.read()
    n += 1
print("requests:", n)
' "http://127.0.0.1:$port/" 3.5 >"$TRASH/client.out" 2>&1 &
	cl=$!
	sleep 0.5
	rc=0
	"$FK" record --python -p "$srv" -d 2 -o "$TRASH/srv.folded" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	wait "$cl" || { cat "$TRASH/client.out"; return 1; }
	cl=""
	cat "$TRASH/client.out"
	alive=0
	stopped "$srv" || alive=1
	top_stacks "$TRASH/srv.folded" 10
	[ "$rc" -eq 0 ]
	[ "$alive" -eq 1 ]
	# stdlib files below a package are named from the package's parent, top-level
	# modules by their own name: no directory of the installation shows
	h=$(frames_with "$TRASH/srv.folded" '^(handle_one_request|handle|do_GET|send_head|parse_request) \(http/server\.py:[0-9]+\)$')
	s=$(frames_with "$TRASH/srv.folded" '^[a-z_]+ \(socketserver\.py:[0-9]+\)$')
	echo "samples with an http/server.py request frame: $h; with socketserver.py: $s"
	[ "$h" -ge 5 ]
	[ "$s" -ge 5 ]
	if grep -q '(/[^;]*lib/python3' "$TRASH/srv.folded"; then
		echo "unshortened file names:"
		grep -o '(/[^;]*lib/python3[^;]*' "$TRASH/srv.folded" | sort -u | head -n 5
		return 1
	fi
}
test_ok "python -m http.server under load, -p SERVER -d 2: handle_one_request etc. (http/server.py:N) and socketserver.py:N frames" http_server

done_testing
