#!/bin/sh
# flamegraph: inputs and options — bad lines, invalid UTF-8, very deep stacks, zero and
# fractional counts, CRLF, empty input, gzip/stdin/several files, -o, perf text, the
# escaping of frame names, option errors, filters, --cp, and exit codes.
. "$(dirname "$0")/lib.sh"
# Every check ends in "|| return 1": test_ok runs the check inside an `if`, where the
# shell ignores set -e, so a failing command in the middle would otherwise go unnoticed.

absent() { # fails if file $1 contains the fixed string $2 (`! grep` would not fail under set -e)
	if grep -qF -- "$2" "$1"; then
		echo "'$1' contains '$2'"
		return 1
	fi
}

svg_ok() { # the file is well-formed XML with a frames group
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" || return 1
	fi
	contains "$1" '<g id="frames">' || return 1
}

cat >"$TRASH/a.folded" <<'IN'
main;parse;lex 30
main;parse 10
main;run 60
IN

basic() {
	"$FK" flamegraph "$TRASH/a.folded" >"$TRASH/out.svg" 2>"$TRASH/err" || return 1
	svg_ok "$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" "<title>all (100 samples, 100%)</title>" || return 1
	contains "$TRASH/out.svg" "<title>lex (30 samples, 30.00%)</title>" || return 1
	contains "$TRASH/out.svg" 'var fk_config = {' || return 1
	[ ! -s "$TRASH/err" ] || return 1
}
test_ok "draws folded stacks; no warnings for good input" basic

invalid_lines() {
	printf 'main;a 5\nno count here\nmain;b x\n\nmain;c 200\n' >"$TRASH/in" || return 1
	"$FK" flamegraph "$TRASH/in" >"$TRASH/out.svg" 2>"$TRASH/err" || return 1
	svg_ok "$TRASH/out.svg" || return 1
	contains "$TRASH/err" "Ignored 3 lines with invalid format" || return 1
	contains "$TRASH/err" ":2: invalid folded line" || return 1
	contains "$TRASH/out.svg" "<title>all (205 samples, 100%)</title>" || return 1
	"$FK" flamegraph -q "$TRASH/in" >"$TRASH/out.svg" 2>"$TRASH/err" || return 1
	[ ! -s "$TRASH/err" ] || return 1
}
test_ok "invalid lines are counted, reported (as flamegraph.pl) and skipped; exit 0" invalid_lines

invalid_utf8() {
	printf 'main;na\357ve\377;x\300\257 5\nmain;\345\207\275\346\225\260 5\nmain;ctl\001\033 5\n' >"$TRASH/in" || return 1
	"$FK" flamegraph "$TRASH/in" >"$TRASH/out.svg" || return 1
	svg_ok "$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" "函数" || return 1
	contains "$TRASH/out.svg" "ctl��" || return 1
}
test_ok "invalid UTF-8 and control characters: valid SVG, U+FFFD in their place" invalid_utf8

deep() {
	awk 'BEGIN { s = "f0"; for (i = 1; i < 100000; i++) s = s ";f" i; print s, 7; print "other", 3 }' >"$TRASH/in" || return 1
	"$FK" flamegraph "$TRASH/in" >"$TRASH/out.svg" 2>"$TRASH/err" || return 1
	svg_ok "$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" 'height="1600086"' || return 1
	contains "$TRASH/out.svg" "<title>f99999 (7 samples, 70.00%)</title>" || return 1
}
test_ok "a stack 100,000 frames deep is drawn (no recursion limits)" deep

counts() {
	printf 'a;b 0\na;c 1.5\nd 2.25\ne 0.\n' >"$TRASH/in" || return 1
	"$FK" flamegraph --minwidth 0 "$TRASH/in" >"$TRASH/out.svg" 2>"$TRASH/err" || return 1
	svg_ok "$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" "<title>all (4 samples, 100%)</title>" || return 1 # 3.75, printed as %.0f
	contains "$TRASH/out.svg" "<title>b (0 samples, 0.00%)</title>" || return 1
	contains "$TRASH/out.svg" "<title>c (2 samples, 53.33%)</title>" || return 1
	contains "$TRASH/err" "Stack count is low (3.75)" || return 1
}
test_ok "zero and fractional counts" counts

zero_total() {
	printf 'a 0\nb;c 0\n' >"$TRASH/in" || return 1
	rc=0
	"$FK" flamegraph "$TRASH/in" >"$TRASH/out.svg" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] || return 1
	contains "$TRASH/out.svg" "ERROR: No valid input provided" || return 1
	contains "$TRASH/err" "No stack counts found" || return 1
}
test_ok "counts that sum to zero: error SVG, exit 2 (as flamegraph.pl)" zero_total

empty_input() {
	rc=0
	"$FK" flamegraph </dev/null >"$TRASH/out.svg" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] || return 1
	contains "$TRASH/out.svg" 'height="60"' || return 1
	contains "$TRASH/err" "No stack counts found" || return 1
	rc=0
	printf '\n\n' | "$FK" flamegraph >"$TRASH/out.svg" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] || return 1
	contains "$TRASH/err" "Ignored 2 lines with invalid format" || return 1
}
test_ok "empty input: error SVG and exit 2" empty_input

crlf() {
	sed 's/$/\r/' "$TRASH/a.folded" >"$TRASH/crlf" || return 1
	"$FK" flamegraph "$TRASH/crlf" >"$TRASH/out1.svg" 2>"$TRASH/err" || return 1
	"$FK" flamegraph "$TRASH/a.folded" >"$TRASH/out2.svg" || return 1
	same_file "$TRASH/out2.svg" "$TRASH/out1.svg" || return 1
	[ ! -s "$TRASH/err" ] || return 1
}
test_ok "CRLF line ends are accepted" crlf

sources() {
	gzip -c "$TRASH/a.folded" >"$TRASH/a.gz" || return 1
	"$FK" flamegraph "$TRASH/a.folded" >"$TRASH/want.svg" || return 1
	"$FK" flamegraph <"$TRASH/a.gz" >"$TRASH/out1.svg" || return 1
	"$FK" flamegraph - <"$TRASH/a.folded" >"$TRASH/out2.svg" || return 1
	same_file "$TRASH/want.svg" "$TRASH/out1.svg" || return 1
	same_file "$TRASH/want.svg" "$TRASH/out2.svg" || return 1
	"$FK" flamegraph "$TRASH/a.folded" "$TRASH/a.gz" >"$TRASH/out3.svg" || return 1
	contains "$TRASH/out3.svg" "<title>all (200 samples, 100%)</title>" || return 1
}
test_ok "stdin, gzip (by magic bytes) and several files" sources

output_file() {
	"$FK" flamegraph -o "$TRASH/g.svg" "$TRASH/a.folded" >"$TRASH/stdout" || return 1
	[ ! -s "$TRASH/stdout" ] || return 1
	"$FK" flamegraph "$TRASH/a.folded" >"$TRASH/want.svg" || return 1
	same_file "$TRASH/want.svg" "$TRASH/g.svg" || return 1
	[ -z "$(ls "$TRASH" | grep '\.tmp\.')" ] || return 1
	rc=0
	"$FK" flamegraph -o "$TRASH/g.svg" "$TRASH/missing.folded" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] || return 1
	contains "$TRASH/err" "missing.folded" || return 1
	same_file "$TRASH/want.svg" "$TRASH/g.svg" || return 1 # untouched
}
test_ok "-o writes whole or not at all; an unreadable input exits 1" output_file

perf_text() {
	f="$FK_COMPAT/perf-script/inputs/perf-funcab-cmd-01.txt"
	if [ ! -f "$f" ]; then
		echo "no $f"
		return 0
	fi
	"$FK" collapse "$f" | "$FK" flamegraph >"$TRASH/want.svg" || return 1
	"$FK" flamegraph --format auto "$f" >"$TRASH/out.svg" || return 1
	same_file "$TRASH/want.svg" "$TRASH/out.svg" || return 1
}
test_ok "--format auto draws perf script text directly" perf_text

escaping() {
	printf 'main;<script>alert(1)</script>;x 2\nmain;a&b "q" 1\n' >"$TRASH/in" || return 1
	"$FK" flamegraph --title '<b>T</b>' "$TRASH/in" >"$TRASH/out.svg" || return 1
	svg_ok "$TRASH/out.svg" || return 1
	absent "$TRASH/out.svg" '<script>alert' || return 1
	contains "$TRASH/out.svg" '&lt;script&gt;alert(1)&lt;/script&gt;' || return 1
	contains "$TRASH/out.svg" '<title>a&amp;b &quot;q&quot; (1 samples, 33.33%)</title>' || return 1
	contains "$TRASH/out.svg" '&lt;b&gt;T&lt;/b&gt;</text>' || return 1
}
test_ok "frame names and titles are escaped: markup in them is text" escaping

bad_options() {
	for args in "--colors=purplish" "--minwidth abc" "--width 10" "--bgcolors pink" \
		"--notes <x>" "--focus (" "--fontsize 0" "--factor -1" "--frobnicate"; do
		rc=0
		# shellcheck disable=SC2086
		"$FK" flamegraph $args "$TRASH/a.folded" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
		if [ "$rc" -ne 2 ] || [ -s "$TRASH/out" ] || [ ! -s "$TRASH/err" ]; then
			echo "$args: exit $rc"
			cat "$TRASH/err"
			return 1
		fi
	done
}
test_ok "bad option values exit 2 with a message and no SVG" bad_options

prefixes() {
	"$FK" flamegraph --colors java --hash "$TRASH/a.folded" >"$TRASH/want.svg" || return 1
	"$FK" flamegraph --color=java --has "$TRASH/a.folded" >"$TRASH/out1.svg" || return 1
	"$FK" flamegraph -colors=java -hash --deterministic "$TRASH/a.folded" >"$TRASH/out2.svg" || return 1
	same_file "$TRASH/want.svg" "$TRASH/out1.svg" || return 1
	same_file "$TRASH/want.svg" "$TRASH/out2.svg" || return 1
	"$FK" flamegraph --help >"$TRASH/help" || return 1
	for opt in --title --subtitle --width --height --minwidth --fonttype --fontsize --fontwidth \
		--countname --nametype --colors --bgcolors --hash --random --cp --reverse --inverted \
		--flamechart --negate --notes --total --factor --nameattr --encoding --base --focus \
		--ignore --output --deterministic; do
		contains "$TRASH/help" -- "$opt" || return 1
	done
}
test_ok "flamegraph.pl's option names, prefixes and spellings; --help lists them" prefixes

random_colors() {
	"$FK" flamegraph --random "$TRASH/a.folded" >"$TRASH/r1.svg" || return 1
	"$FK" flamegraph --random "$TRASH/a.folded" >"$TRASH/r2.svg" || return 1
	same_file "$TRASH/r1.svg" "$TRASH/r2.svg" || return 1
	FLAMEKIT_RANDOM_SEED=7 "$FK" flamegraph --random "$TRASH/a.folded" >"$TRASH/r3.svg" || return 1
	if cmp -s "$TRASH/r1.svg" "$TRASH/r3.svg"; then return 1; fi
}
test_ok "--random is reproducible; FLAMEKIT_RANDOM_SEED picks other colors" random_colors

filters() {
	"$FK" flamegraph --base parse "$TRASH/a.folded" >"$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" "<title>all (40 samples, 100%)</title>" || return 1
	contains "$TRASH/out.svg" "<title>parse (40 samples, 100.00%)</title>" || return 1
	absent "$TRASH/out.svg" "<title>main" || return 1
	"$FK" flamegraph --ignore '^l' "$TRASH/a.folded" >"$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" "<title>all (70 samples, 100%)</title>" || return 1
	"$FK" flamegraph --focus 'se$' "$TRASH/a.folded" >"$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" "<title>all (40 samples, 100%)</title>" || return 1
}
test_ok "--base, --focus and --ignore" filters

consistent_palette() {
	mkdir "$TRASH/cp" || return 1
	(cd "$TRASH/cp" && "$FK" flamegraph --cp "$TRASH/a.folded" >one.svg) || return 1
	[ -s "$TRASH/cp/palette.map" ] || return 1
	contains "$TRASH/cp/palette.map" "lex->rgb(" || return 1
	sed 's/^lex->.*/lex->rgb(1,2,3)/' "$TRASH/cp/palette.map" >"$TRASH/cp/p" && mv "$TRASH/cp/p" "$TRASH/cp/palette.map" || return 1
	(cd "$TRASH/cp" && "$FK" flamegraph --cp "$TRASH/a.folded" >two.svg) || return 1
	contains "$TRASH/cp/two.svg" 'fill="rgb(1,2,3)"' || return 1
}
test_ok "--cp reads and writes ./palette.map" consistent_palette

nameattr() {
	printf 'lex\ttitle=The lexer\tclass=hot\tg_extra=data-x="1"\nrun\thref=https://example.com/run\n' >"$TRASH/attrs" || return 1
	"$FK" flamegraph --nameattr "$TRASH/attrs" "$TRASH/a.folded" >"$TRASH/out.svg" || return 1
	svg_ok "$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" '<g class="hot" data-x="1">' || return 1
	contains "$TRASH/out.svg" '<title>The lexer</title>' || return 1
	contains "$TRASH/out.svg" '<a xlink:href="https://example.com/run" target="_top">' || return 1
	printf 'no tab here\n' >"$TRASH/attrs" || return 1
	rc=0
	"$FK" flamegraph --nameattr "$TRASH/attrs" "$TRASH/a.folded" >"$TRASH/out.svg" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] || return 1
	contains "$TRASH/err" "invalid format" || return 1
}
test_ok "--nameattr adds attributes and links to frames; a bad file is an error" nameattr

total_factor() {
	"$FK" flamegraph --total 400 --factor 10 "$TRASH/a.folded" >"$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" "<title>all (4,000 samples, 100%)</title>" || return 1
	contains "$TRASH/out.svg" "<title>main (1,000 samples, 25.00%)</title>" || return 1
	contains "$TRASH/out.svg" "<title>lex (300 samples, 7.50%)</title>" || return 1
	"$FK" flamegraph --total 10 "$TRASH/a.folded" >"$TRASH/out.svg" 2>"$TRASH/err" || return 1
	contains "$TRASH/err" "Specified --total 10 is less than actual total 100, so ignored" || return 1
	contains "$TRASH/out.svg" "<title>lex (30 samples, 30.00%)</title>" || return 1
}
test_ok "--total and --factor (and a --total below the real one is ignored)" total_factor

flamechart() {
	printf 'a;b 1\nc 1\na;b 1\n' >"$TRASH/in" || return 1
	"$FK" flamegraph --flamechart "$TRASH/in" >"$TRASH/out.svg" || return 1
	contains "$TRASH/out.svg" "Flame Chart" || return 1
	[ "$(grep -c '<title>b (1 samples' "$TRASH/out.svg")" -eq 2 ] || return 1
}
test_ok "--flamechart keeps input order (only neighbours merge)" flamechart

done_testing
