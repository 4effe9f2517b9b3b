#!/bin/sh
# flamekit diff: difffolded.pl's semantics (expected values from difffolded.pl on the same
# files, sorted), -n, -s, errors.
. "$(dirname "$0")/lib.sh"

printf 'a;b 10\na;c 5\nx;0x1234f;y 3\n' >"$TRASH/before.folded"
printf 'a;b 20\na;d 7\nx;0xABCD;y 4\n' >"$TRASH/after.folded"

plain() {
	"$FK" diff "$TRASH/before.folded" "$TRASH/after.folded" >"$TRASH/out"
	printf 'a;b 10 20\na;c 5 0\na;d 0 7\nx;0x1234f;y 3 0\nx;0xABCD;y 0 4\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "every stack of either file, with 0 where missing, sorted" plain

normalize_strip() {
	"$FK" diff -ns "$TRASH/before.folded" "$TRASH/after.folded" >"$TRASH/out"
	printf 'a;b 17 20\na;c 8 0\na;d 0 7\nx;0x...;y 5 4\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
	"$FK" diff --normalize --strip-hex -o "$TRASH/o.folded" "$TRASH/before.folded" "$TRASH/after.folded"
	same_file "$TRASH/expected" "$TRASH/o.folded"
}
test_ok "-n scales BEFORE to AFTER's total (truncating), -s strips hex (bundled -ns too)" normalize_strip

perf_inputs() {
	printf 'app 1 1.0: 1 cpu-clock:\n\t1 f (/x)\n\t2 main (/x)\n\n' >"$TRASH/b.perf"
	printf 'app 1 1.0: 1 cpu-clock:\n\t1 g (/x)\n\t2 main (/x)\n\n' >"$TRASH/a.perf"
	gzip -c "$TRASH/a.perf" >"$TRASH/a.perf.gz"
	"$FK" diff "$TRASH/b.perf" "$TRASH/a.perf.gz" >"$TRASH/out"
	printf 'app;main;f 1 0\napp;main;g 0 1\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "perf script and gzip inputs are folded first" perf_inputs

errors() {
	rc=0
	"$FK" diff "$TRASH/before.folded" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] && contains "$TRASH/err" "want two files"
	rc=0
	"$FK" diff "$TRASH/before.folded" "$TRASH/missing" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && contains "$TRASH/err" "$TRASH/missing: cannot open" && [ ! -s "$TRASH/out" ]
	printf 'a;b 1\nnot a line\n' >"$TRASH/bad.folded"
	"$FK" diff "$TRASH/bad.folded" "$TRASH/after.folded" >"$TRASH/out" 2>"$TRASH/err"
	contains "$TRASH/err" "bad.folded:2: invalid folded line"
}
test_ok "errors: wrong file count (2), missing file (1), invalid lines named" errors

svg() {
	"$FK" diff -n "$TRASH/before.folded" "$TRASH/after.folded" -o "$TRASH/diff.svg"
	contains "$TRASH/diff.svg" ">Differential Flame Graph<"
	contains "$TRASH/diff.svg" "red grew, blue shrank"
	# the same frames as drawing diff's folded output with flamegraph
	"$FK" diff -n "$TRASH/before.folded" "$TRASH/after.folded" >"$TRASH/diff.folded"
	sub=$(sed -n 's/.*id="subtitle"[^>]*>\([^<]*\)<.*/\1/p' "$TRASH/diff.svg")
	"$FK" flamegraph --title "Differential Flame Graph" --subtitle "$sub" "$TRASH/diff.folded" >"$TRASH/fg.svg"
	if [ -f "$FK_COMPAT/svgframes.py" ]; then
		python3 "$FK_COMPAT/svgframes.py" "$TRASH/diff.svg" >"$TRASH/f1"
		python3 "$FK_COMPAT/svgframes.py" "$TRASH/fg.svg" >"$TRASH/f2"
		same_file "$TRASH/f2" "$TRASH/f1"
	fi
	# a;b grew (17 -> 20): red; with --negate the hues swap to blue
	grep -A1 '<title>b (20 samples' "$TRASH/diff.svg" | grep -q 'fill="rgb(255,'
	"$FK" diff -n --negate --svg "$TRASH/before.folded" "$TRASH/after.folded" >"$TRASH/neg.svg"
	contains "$TRASH/neg.svg" "blue grew, red shrank"
	grep -A1 '<title>b (20 samples' "$TRASH/neg.svg" | grep -q 'fill="rgb([0-9]*,[0-9]*,255)"'
}
test_ok "-o FILE.svg draws the differential flame graph (red grew, blue shrank; --negate)" svg

done_testing
