#!/bin/sh
# Runs the whole suite: every cmocka unit test binary given as an argument, then the
# end-to-end TAP scripts under t/ through prove. Ends with one line
# "tests: N passed, N failed" and a non-zero exit if anything failed.
set -u
BUILD=${BUILD:-build}
export FK_BUILD="$(cd "$BUILD" && pwd)"
export FK_FIXTURES="$FK_BUILD/fixtures"
export FK_ROOT="$(pwd)"
export FK_COMPAT="${FK_COMPAT:-$(cd .. && pwd)/shared/compat}"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== unit tests (cmocka)"
for t in "$@"; do
	"$t" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or failed before cmocka's summary
	fi
	if [ "$f" -ne 0 ]; then
		cat "$log"
	fi
	echo "$(basename "$t"): $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "== end-to-end tests (t/, prove)"
prove --exec sh -j 2 t/t*.sh >"$log" 2>&1
rc=$?
cat "$log"
tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -n 1)
tests=${tests:-0}
bad=$(sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
	bad=1 # a script died or its plan was wrong
fi
passed=$((passed + tests - bad))
failed=$((failed + bad))
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
