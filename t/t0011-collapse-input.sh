#!/bin/sh
# collapse: inputs and outputs — stdin, gzip, several files, -o, format detection,
# the event filter, folded re-aggregation.
. "$(dirname "$0")/lib.sh"

cat >"$TRASH/a.perf" <<'IN'
# ========
# cmdline : /usr/bin/perf record -g ./app
# ========
app 100 1.000001: 1 cpu-clock:
	    4005d0 leaf (/bin/app)
	    400600 main (/bin/app)

app 100 1.000002: 1 cpu-clock:
	    4005d0 leaf (/bin/app)
	    400600 main (/bin/app)

app 100/101 1.000003: 250000 cpu-clock:
	    400700 other+0x10 (/bin/app)
	    400600 main (/bin/app)
IN

basic() {
	"$FK" collapse "$TRASH/a.perf" >"$TRASH/out"
	printf 'app;main;leaf 2\napp;main;other 250000\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "folds samples; keeps a last sample with no blank line after it" basic

stdin_gzip() {
	gzip -c "$TRASH/a.perf" >"$TRASH/a.perf.gz"
	"$FK" collapse <"$TRASH/a.perf.gz" >"$TRASH/out1"
	"$FK" collapse - <"$TRASH/a.perf" >"$TRASH/out2"
	"$FK" collapse "$TRASH/a.perf" >"$TRASH/out3"
	same_file "$TRASH/out3" "$TRASH/out1"
	same_file "$TRASH/out3" "$TRASH/out2"
}
test_ok "reads stdin, plain or gzip (detected by magic bytes)" stdin_gzip

multi_member_gzip() {
	head -n 8 "$TRASH/a.perf" | gzip -c >"$TRASH/m.gz"
	tail -n +9 "$TRASH/a.perf" | gzip -c >>"$TRASH/m.gz"
	"$FK" collapse "$TRASH/m.gz" >"$TRASH/out"
	"$FK" collapse "$TRASH/a.perf" >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "concatenated gzip members are read whole" multi_member_gzip

several_files() {
	"$FK" collapse "$TRASH/a.perf" "$TRASH/a.perf" >"$TRASH/out"
	printf 'app;main;leaf 4\napp;main;other 500000\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "several files add up (each file's last sample kept)" several_files

output_file() {
	"$FK" collapse -o "$TRASH/out.folded" "$TRASH/a.perf" >"$TRASH/stdout"
	[ ! -s "$TRASH/stdout" ]
	"$FK" collapse "$TRASH/a.perf" >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out.folded"
	[ -z "$(ls "$TRASH" | grep '\.tmp\.')" ]
}
test_ok "-o writes the file (and leaves no temp file)" output_file

pid_tid() {
	"$FK" collapse --tid "$TRASH/a.perf" >"$TRASH/out"
	printf 'app-100/101;main;other 250000\napp-?/100;main;leaf 2\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
	"$FK" collapse --pid "$TRASH/a.perf" >"$TRASH/out"
	printf 'app-100;main;other 250000\napp-?;main;leaf 2\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "--pid and --tid name the root frame as the Perl script does" pid_tid

event_filter() {
	f="$FK_COMPAT/perf-script/inputs/perf-cycles-instructions-01.txt"
	"$FK" collapse "$f" >"$TRASH/out" 2>"$TRASH/err"
	contains "$TRASH/err" "filtering for events of type: instructions"
	"$FK" collapse -q "$f" >"$TRASH/out" 2>"$TRASH/err"
	[ ! -s "$TRASH/err" ]
	"$FK" collapse --event-filter=cycles "$f" >"$TRASH/cycles" 2>"$TRASH/err"
	[ ! -s "$TRASH/err" ]
	! cmp -s "$TRASH/out" "$TRASH/cycles"
	[ -s "$TRASH/cycles" ]
}
if [ -d "$FK_COMPAT" ]; then
	test_ok "the first event is the default filter, said once; --event-filter picks another" event_filter
else
	test_skip "event filter" "no compat corpus"
fi

folded_refold() {
	printf 'a;b 1\na;b 2\nb 0.5\r\nx;y; 3\n' >"$TRASH/in.folded"
	"$FK" collapse "$TRASH/in.folded" >"$TRASH/out"
	printf 'a;b 3\nb 0.5\nx;y; 3\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
	printf 'a;b 1 2\nc 0 5\na;b 3 4\n' >"$TRASH/diff.folded"
	"$FK" collapse -j 2 "$TRASH/diff.folded" "$TRASH/diff.folded" >"$TRASH/out"
	printf 'a;b 8 12\nc 0 10\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "folded input is merged again (fractions, CRLF, two-column diffs keep both)" folded_refold

sort_order() {
	printf 'a;b 1\na!;c 1\na 1\na.x 1\nB 1\n' >"$TRASH/in.folded"
	"$FK" collapse "$TRASH/in.folded" >"$TRASH/out"
	LC_ALL=C sort "$TRASH/in.folded" >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "lines are sorted bytewise, as the Perl scripts sort them" sort_order

detect() {
	"$FK" collapse --format perf "$TRASH/a.perf" >"$TRASH/out1"
	"$FK" collapse --format auto "$TRASH/a.perf" >"$TRASH/out2"
	same_file "$TRASH/out1" "$TRASH/out2"
	rc=0
	"$FK" collapse --format xml "$TRASH/a.perf" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] && contains "$TRASH/err" "unknown format 'xml'"
}
test_ok "--format chooses the parser; auto detects" detect

empty() {
	: >"$TRASH/empty"
	"$FK" collapse "$TRASH/empty" >"$TRASH/out"
	[ ! -s "$TRASH/out" ]
}
test_ok "empty input gives empty output" empty

threads_same() {
	for i in 1 2 3 4 5 6 7 8; do cat "$TRASH/a.perf"; echo; done >"$TRASH/many.perf"
	"$FK" collapse "$TRASH/many.perf" >"$TRASH/out1"
	"$FK" collapse -j 3 --chunk-size 64 "$TRASH/many.perf" >"$TRASH/out2"
	same_file "$TRASH/out1" "$TRASH/out2"
}
test_ok "-j N gives the same output" threads_same

srcline() {
	# expected: stackcollapse-perf.pl --srcline on the same file
	"$FK" collapse --srcline "$FK_ROOT/t/srcline.perf" >"$TRASH/out"
	cat >"$TRASH/expected" <<'OUT'
a.out;[libkmod.so.2.3.6]:libkmod.so.2.3.6 306459
a.out;[unknown];__strlen_avx2:libc-2.33.so 315813
a.out;__libc_start_main:libc-2.33.so;main:file.cpp:137;some_method_name:uniform_int_dist.h:300 667783
a.out;inl:x.c:1;ined_[i]:y.c:2;up_write 247984
OUT
	same_file "$TRASH/expected" "$TRASH/out"
	"$FK" collapse --srcline -j 2 --chunk-size 64 "$FK_ROOT/t/srcline.perf" >"$TRASH/out2"
	same_file "$TRASH/expected" "$TRASH/out2"
}
test_ok "--srcline: perf script -F+srcline lines become :file:line" srcline

demo_capture() {
	"$FK" collapse "$FK_ROOT/examples/demo.perf.txt.gz" >"$TRASH/out"
	contains "$TRASH/out" "demo;__libc_start_call_main;main;handle_request;matrix_multiply "
	contains "$TRASH/out" ";fib_recursive;fib_recursive"
}
test_ok "the bundled demo capture folds" demo_capture

done_testing
