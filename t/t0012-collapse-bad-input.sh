#!/bin/sh
# collapse on bad input: clear errors naming the file (and line), non-zero exit, no
# partial output; garbage never crashes or hangs.
. "$(dirname "$0")/lib.sh"

printf 'app 1 1.0: 1 cpu-clock:\n\t4005d0 leaf (/bin/app)\n\n' >"$TRASH/good.perf"

missing() {
	echo keep >"$TRASH/out"
	rc=0
	"$FK" collapse -o "$TRASH/out" "$TRASH/good.perf" "$TRASH/nope.txt" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ]
	contains "$TRASH/err" "$TRASH/nope.txt: cannot open: No such file or directory"
	[ "$(cat "$TRASH/out")" = keep ]
	[ -z "$(ls "$TRASH" | grep '\.tmp\.')" ]
}
test_ok "a missing file: message naming it, exit 1, -o file untouched" missing

missing_stdout() {
	rc=0
	"$FK" collapse "$TRASH/good.perf" "$TRASH/nope.txt" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && [ ! -s "$TRASH/out" ]
}
test_ok "a missing file: nothing on stdout either" missing_stdout

directory() {
	rc=0
	"$FK" collapse "$TRASH" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && contains "$TRASH/err" "$TRASH: cannot read: Is a directory"
}
test_ok "a directory: clear error" directory

unwritable() {
	rc=0
	"$FK" collapse -o /nonexistent-dir/x.folded "$TRASH/good.perf" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && contains "$TRASH/err" "/nonexistent-dir/x.folded: cannot create"
}
test_ok "an output that cannot be created: clear error" unwritable

truncated_gzip() {
	for i in 1 2 3 4 5 6 7 8 9 10; do cat "$TRASH/good.perf"; done | gzip -c >"$TRASH/full.gz"
	size=$(wc -c <"$TRASH/full.gz")
	head -c $((size - 12)) "$TRASH/full.gz" >"$TRASH/trunc.gz"
	rc=0
	"$FK" collapse -o "$TRASH/trunc.folded" "$TRASH/trunc.gz" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && contains "$TRASH/err" "$TRASH/trunc.gz: truncated gzip data"
	[ ! -e "$TRASH/trunc.folded" ]
}
test_ok "truncated gzip: error naming the file, exit 1, nothing written" truncated_gzip

corrupt_gzip() {
	gzip -c "$TRASH/good.perf" >"$TRASH/c.gz"
	printf '\037\213\010\000garbagegarbagegarbage' >"$TRASH/c.gz"
	rc=0
	"$FK" collapse "$TRASH/c.gz" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && contains "$TRASH/err" "$TRASH/c.gz:" && [ ! -s "$TRASH/out" ]
}
test_ok "corrupt gzip: error, exit 1" corrupt_gzip

garbage() {
	head -c 200000 /dev/urandom >"$TRASH/random.bin"
	rc=0
	timeout 20 "$FK" collapse "$TRASH/random.bin" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && contains "$TRASH/err" "not a known profile format"
	rc=0
	timeout 20 "$FK" collapse --format perf "$TRASH/random.bin" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 0 ]
	contains "$TRASH/err" "random.bin:1: unrecognized line"
	[ "$(wc -l <"$TRASH/err")" -le 8 ]
	contains "$TRASH/err" "more warnings like these"
}
test_ok "binary garbage: detected as no format; as perf, warnings with line numbers, bounded" garbage

mixed_garbage() {
	{ cat "$TRASH/good.perf"; printf 'junk\001line\n\n'; printf '\377\376 bad utf8 \300\n\n'; cat "$TRASH/good.perf"; } >"$TRASH/mixed"
	"$FK" collapse --format perf "$TRASH/mixed" >"$TRASH/out" 2>"$TRASH/err"
	printf 'app;leaf 2\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
	contains "$TRASH/err" "mixed:4: unrecognized line: junk\\x01line"
	contains "$TRASH/err" "mixed:6: unrecognized line: \\xff\\xfe bad utf8 \\xc0"
	"$FK" collapse -q --format perf "$TRASH/mixed" >"$TRASH/out" 2>"$TRASH/err"
	[ ! -s "$TRASH/err" ]
}
test_ok "bad lines among good ones: the good folded, the bad named by line; -q quiet" mixed_garbage

nul_bytes() {
	printf 'app 1 1.0: 1 cpu-clock:\n\t4005d0 le\000af (/bin/app)\n\n' >"$TRASH/nul.perf"
	"$FK" collapse "$TRASH/nul.perf" >"$TRASH/out"
	printf 'app;le\000af 1\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "NUL bytes inside names pass through" nul_bytes

utf8() {
	printf 'app 1 1.0: 1 cpu-clock:\n\t4005d0 caf\303\251_\377 (/bin/app)\n\n' >"$TRASH/u.perf"
	"$FK" collapse "$TRASH/u.perf" >"$TRASH/out"
	printf 'app;caf\303\251_\377 1\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "UTF-8 and invalid UTF-8 bytes pass through unchanged" utf8

huge_line() {
	{ cat "$TRASH/good.perf"; head -c 70000000 /dev/zero | tr '\000' x; printf '\n\n'; cat "$TRASH/good.perf"; } >"$TRASH/huge.perf"
	rc=0
	timeout 60 "$FK" collapse --format perf "$TRASH/huge.perf" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 0 ]
	contains "$TRASH/err" "huge.perf:4: line longer than 64 MiB skipped"
	printf 'app;leaf 2\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "a line over 64 MiB is skipped with a warning naming its line" huge_line

deep_stack() {
	{ echo 'app 1 1.0: 1 cpu-clock:'; i=0; while [ $i -lt 20000 ]; do echo "	$i f$i (/bin/app)"; i=$((i + 1)); done; echo; } >"$TRASH/deep.perf"
	"$FK" collapse "$TRASH/deep.perf" >"$TRASH/out"
	[ "$(tr ';' '\n' <"$TRASH/out" | wc -l)" -eq 20001 ]
}
test_ok "a 20000-frame stack folds" deep_stack

done_testing
