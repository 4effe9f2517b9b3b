#!/bin/sh
# flamekit record --python --native: perf_event_open samples (DWARF-unwound native stacks,
# kernel frames) with each interpreter evaluation frame replaced by the Python frames it
# was running: C extensions (hashlib) and system calls appear under the Python function
# that called them. tests/python/native.py: hash_work -> hashlib, read_zero -> read(2),
# py_work stays in the interpreter. Every pyenv CPython 3.9-3.13 present is tried.
. "$(dirname "$0")/lib.sh"

SCRIPT=$FK_ROOT/tests/python/native.py
PYTHONS=${FK_PYTHONS:-}
if [ -z "$PYTHONS" ]; then
	for v in 3.9 3.10 3.11 3.12 3.13; do
		for p in /root/.pyenv/versions/$v.*/bin/python3 "$HOME"/.pyenv/versions/$v.*/bin/python3; do
			[ -x "$p" ] && { PYTHONS="$PYTHONS $p"; break; }
		done
	done
fi

if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 1 ]; then
	test_skip "Python with native stacks" "perf_event_open not permitted here"
	# interpreters flamekit does not read: a clear error, whichever way they are reached
for old in /root/.pyenv/versions/3.8.*/bin/python3 /root/.pyenv/versions/3.7.*/bin/python3 /root/.pyenv/versions/2.7.*/bin/python; do
	[ -x "$old" ] || continue
	ov=$("$old" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	unsupported() {
		rc=0
		"$FK" record --python -d 2 -o "$TRASH/old.folded" -- "$old" -c 'import time; time.sleep(3)' \
			2>"$TRASH/err" || rc=$?
		cat "$TRASH/err"
		[ "$rc" -eq 1 ] && grep -q "Python $ov.* not supported (flamekit reads CPython 3.9 to 3.13)" "$TRASH/err"
		[ ! -e "$TRASH/old.folded" ]
		"$old" -c 'import time; time.sleep(3)' &
		pid=$!
		sleep 0.3
		rc=0
		"$FK" dump -p "$pid" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
		kill "$pid" || true
		cat "$TRASH/err"
		[ "$rc" -eq 1 ] && grep -q "Python $ov.* not supported" "$TRASH/err"
	}
	test_ok "Python $ov (not supported): record --python and dump say so, exit 1, write nothing" unsupported
done

done_testing
	exit 0
fi
if [ -z "$PYTHONS" ]; then
	test_ok "at least one CPython 3.9-3.13 is installed (pyenv)" false
	# interpreters flamekit does not read: a clear error, whichever way they are reached
for old in /root/.pyenv/versions/3.8.*/bin/python3 /root/.pyenv/versions/3.7.*/bin/python3 /root/.pyenv/versions/2.7.*/bin/python; do
	[ -x "$old" ] || continue
	ov=$("$old" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	unsupported() {
		rc=0
		"$FK" record --python -d 2 -o "$TRASH/old.folded" -- "$old" -c 'import time; time.sleep(3)' \
			2>"$TRASH/err" || rc=$?
		cat "$TRASH/err"
		[ "$rc" -eq 1 ] && grep -q "Python $ov.* not supported (flamekit reads CPython 3.9 to 3.13)" "$TRASH/err"
		[ ! -e "$TRASH/old.folded" ]
		"$old" -c 'import time; time.sleep(3)' &
		pid=$!
		sleep 0.3
		rc=0
		"$FK" dump -p "$pid" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
		kill "$pid" || true
		cat "$TRASH/err"
		[ "$rc" -eq 1 ] && grep -q "Python $ov.* not supported" "$TRASH/err"
	}
	test_ok "Python $ov (not supported): record --python and dump say so, exit 1, write nothing" unsupported
done

done_testing
	exit 1
fi

# share FILE ERE: percent of the samples whose stack matches ERE
share() {
	awk -v re="$2" '{n = $NF; t += n; if ($0 ~ re) m += n} END {printf "%.1f\n", t ? 100 * m / t : 0}' "$1"
}
atleast() { awk -v v="$1" -v w="$2" 'BEGIN {exit !(v >= w)}'; }
atmost() { awk -v v="$1" -v w="$2" 'BEGIN {exit !(v <= w)}'; }
line_of() { grep -n "$1" "$SCRIPT" | head -1 | cut -d: -f1; }

HASH_LINE=$(line_of 'hashlib.sha256(data)')
READ_LINE=$(line_of 'os.read(fd')

for py in $PYTHONS; do
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	out=$TRASH/native-$v.folded
	native_version() {
		"$FK" record --python --native --kernel -F 250 -o "$out" -- "$py" "$SCRIPT" 2.5 \
			2>"$TRASH/err-$v"
		cat "$TRASH/err-$v"
		grep -q "Python frames merged into" "$TRASH/err-$v"
		total=$(awk '{t += $NF} END {print t + 0}' "$out")
		echo "$total samples"
		atleast "$total" 200
		main=$(share "$out" 'main \(native\.py:[0-9]+\);')
		echo "main in $main%"
		atleast "$main" 95
		# hashlib's C code under the Python function that called it, at the calling line
		hashed=$(share "$out" "hash_work \\(native\\.py:$HASH_LINE\\);[^ ]*([Ss][Hh][Aa]256|EVP_Digest|sha256_)")
		echo "hashlib under hash_work: $hashed%"
		atleast "$hashed" 20
		# the system call: kernel frames on top of read_zero's
		kernel=$(share "$out" "read_zero \\(native\\.py:$READ_LINE\\);.*_\\[k\\]")
		echo "kernel frames under read_zero: $kernel%"
		atleast "$kernel" 10
		# the interpreter's frames were replaced (a few samples race with the thread)
		evals=$(share "$out" '_PyEval_EvalFrameDefault')
		echo "evaluation frames left in $evals%"
		atmost "$evals" 5
		# Python frames come after the C runtime's, never above the C code they called
		! grep -q 'SHA256[^;]*;[^ ]*hash_work' "$out"
	}
	test_ok "Python $v --native: main in >= 95%, hashlib's C frames under hash_work (line $HASH_LINE), kernel frames under read_zero, <= 5% evaluation frames left" native_version
done

py=$(echo $PYTHONS | awk '{print $NF}')
by_pid() {
	"$py" "$SCRIPT" 3 &
	pid=$!
	sleep 0.5
	rc=0
	"$FK" record --python --native --threads -F 200 -d 1.5 -o "$TRASH/pid.folded" -p "$pid" 2>"$TRASH/err" || rc=$?
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	cat "$TRASH/err"
	[ "$rc" -eq 0 ]
	grep -q "^python3;thread MainThread ($pid);.*main (native.py:" "$TRASH/pid.folded"
}
test_ok "-p PID --native --threads: thread MainThread (PID) under the process frame, then the stacks" by_pid

not_python() {
	sleep 3 &
	pid=$!
	rc=0
	"$FK" record --python --native -d 0.5 -o "$TRASH/x.folded" -p "$pid" 2>"$TRASH/err" || rc=$?
	kill "$pid"
	cat "$TRASH/err"
	[ "$rc" -eq 1 ] && grep -q "not a Python process" "$TRASH/err" && [ ! -e "$TRASH/x.folded" ]
}
test_ok "-p of a process that is not Python: a clear error, exit 1, no output" not_python

usage() {
	rc=0
	"$FK" record --python --native --idle -- true 2>"$TRASH/err" || rc=$?
	[ $rc -eq 2 ] && grep -q "for --python alone" "$TRASH/err"
}
test_ok "--native with --idle is a usage error" usage

# interpreters flamekit does not read: a clear error, whichever way they are reached
for old in /root/.pyenv/versions/3.8.*/bin/python3 /root/.pyenv/versions/3.7.*/bin/python3 /root/.pyenv/versions/2.7.*/bin/python; do
	[ -x "$old" ] || continue
	ov=$("$old" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	unsupported() {
		rc=0
		"$FK" record --python -d 2 -o "$TRASH/old.folded" -- "$old" -c 'import time; time.sleep(3)' \
			2>"$TRASH/err" || rc=$?
		cat "$TRASH/err"
		[ "$rc" -eq 1 ] && grep -q "Python $ov.* not supported (flamekit reads CPython 3.9 to 3.13)" "$TRASH/err"
		[ ! -e "$TRASH/old.folded" ]
		"$old" -c 'import time; time.sleep(3)' &
		pid=$!
		sleep 0.3
		rc=0
		"$FK" dump -p "$pid" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
		kill "$pid" || true
		cat "$TRASH/err"
		[ "$rc" -eq 1 ] && grep -q "Python $ov.* not supported" "$TRASH/err"
	}
	test_ok "Python $ov (not supported): record --python and dump say so, exit 1, write nothing" unsupported
done

done_testing
