#!/bin/sh
# collapse --inline / --context: inlined frames from DWARF (libdw, in process) equal
# what stackcollapse-perf.pl gets from `addr2line -a PC -e MODULE -i -f -s -C`, for
# every few bytes of two functions of an optimized fixture with 2–3 deep inline chains;
# both for file addresses and for runtime addresses resolved through "sym+0xOFF".
. "$(dirname "$0")/lib.sh"

BIN="$FK_FIXTURES/inline_fixture"
if [ ! -x "$BIN" ] || ! command -v addr2line >/dev/null; then
	test_skip "inline fixture" "no $BIN or no addr2line"
	done_testing
	exit 1
fi

# The Perl script's inline(): addr2line's pairs (function, file:line) after the address
# line, discriminators removed, innermost last; "" when addr2line knows nothing.
expected_inline() { # ADDR CONTEXT(0|1)
	addr2line -a "$1" -e "$BIN" -i -f -s -C | tail -n +2 |
		sed 's/ (discriminator [^ ]*)//' |
		awk -v ctx="$2" 'NR % 2 == 1 { f = $0; next }
			{ item = ctx ? f ":" $0 : f; out = (out == "" ? item : item ";" out) }
			END { print out }'
}

# every 3rd byte of main and sum_scaled: "ADDR SYMBOL OFFSET"
nm "$BIN" | awk '$3 == "main" || $3 == "sum_scaled" { print $1, $3 }' |
while read -r start sym; do
	s=$(printf '%d' "0x$start")
	size=$(nm -S "$BIN" | awk -v n="$sym" '$4 == n { print $2 }')
	end=$((s + $(printf '%d' "0x$size")))
	a=$s
	while [ $a -lt $end ]; do
		printf '%x %s %x\n' $a "$sym" $((a - s))
		a=$((a + 3))
	done
done >"$TRASH/addrs"

make_input() { # BIAS: addresses as perf prints them (file address + BIAS)
	while read -r addr sym off; do
		printf 'fixture 1 1.0: 1 cpu-clock:\n\t%x %s+0x%s (%s)\n\n' $((0x$addr + $1)) "$sym" "$off" "$BIN"
	done <"$TRASH/addrs"
}

make_expected() { # CONTEXT
	chains=0
	while read -r addr sym off; do
		r=$(expected_inline "$addr" "$1")
		case "$r" in "" | "??" | "??:??:0") r=$sym ;; esac
		case "$r" in *";"*) chains=$((chains + 1)) ;; esac
		echo "fixture;$r"
	done <"$TRASH/addrs" | LC_ALL=C sort | uniq -c | awk '{ c = $1; sub(/^ *[0-9]+ /, ""); print $0, c }'
}

make_input 0 >"$TRASH/file.perf"
make_input $((0x555555554000)) >"$TRASH/runtime.perf"

lines=$(wc -l <"$TRASH/addrs")
count() { [ "$lines" -gt 50 ]; }
test_ok "the fixture gives many addresses ($lines)" count

plain() {
	make_expected 0 >"$TRASH/expected"
	grep -q ';.*;' "$TRASH/expected" # some chains are 2+ deep
	"$FK" collapse --inline "$TRASH/file.perf" >"$TRASH/out"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "--inline: file addresses match addr2line -i" plain

runtime() {
	make_expected 0 >"$TRASH/expected"
	"$FK" collapse --inline -j 2 "$TRASH/runtime.perf" >"$TRASH/out"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "--inline: runtime (PIE) addresses resolve through sym+0xOFF, -j 2" runtime

context() {
	make_expected 1 >"$TRASH/expected"
	grep -q 'inline_fixture.c:[0-9]' "$TRASH/expected"
	"$FK" collapse --inline --context "$TRASH/file.perf" >"$TRASH/out"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "--inline --context: function:file:line per frame" context

no_debug() {
	printf 'app 1 1.0: 1 cpu-clock:\n\t1234 foo+0x4 (/nonexistent/lib.so)\n\t5678 bar (/bin/true)\n\tffff81 sys ([kernel.kallsyms])\n\n' >"$TRASH/nodebug.perf"
	"$FK" collapse --inline "$TRASH/nodebug.perf" >"$TRASH/out" 2>"$TRASH/err"
	printf 'app;sys;bar;foo 1\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "--inline: missing modules and binaries without DWARF fall back to the symbol" no_debug

done_testing
