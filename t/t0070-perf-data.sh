#!/bin/sh
# perf.data read directly: files recorded here by `perf record -g`, `--call-graph dwarf`,
# `-a -g` and `-e sched:sched_switch -g` (of the programs of tests/fixtures/) fold to
# exactly what `perf script -i FILE | flamekit collapse` gives, with every naming option
# (also two events, and pipe mode: `perf record -o -`);
# flamegraph and convert read them too; the format is told by content, whatever the
# name; broken files (truncated anywhere, bad magic, sizes and offsets past the end, huge
# counts, records of size 0 or past the end) are errors naming the file and the offset,
# with exit 1 and no output file. Needs perf (perf record and perf script) and
# perf_event_open; the -a part root or perf_event_paranoid <= 0, the tracepoint part
# tracefs. About 15 s.
. "$(dirname "$0")/lib.sh"

SHARES=$FK_FIXTURES/rec_shares
SHARES_NOFP=$FK_FIXTURES/rec_shares_nofp
BLOCK=$FK_FIXTURES/rec_block

if ! command -v perf >/dev/null 2>&1; then
	echo "1..0 # skip perf is not installed"
	exit 0
fi
if ! perf record -q -o "$TRASH/probe.data" -- true >"$TRASH/probe.err" 2>&1 ||
	! perf script -i "$TRASH/probe.data" >/dev/null 2>&1; then
	echo "1..0 # skip perf cannot record here: $(head -c 200 "$TRASH/probe.err")"
	exit 0
fi
if [ ! -x "$SHARES" ] || [ ! -x "$SHARES_NOFP" ] || [ ! -x "$BLOCK" ]; then
	echo "1..0 # skip the fixtures are not built (make $FK_FIXTURES/rec_shares)"
	exit 0
fi

# record NAME PERF-RECORD-ARGS...: $TRASH/NAME.data, and $TRASH/NAME.txt from perf script
record() {
	name=$1
	shift
	perf record -q -o "$TRASH/$name.data" "$@" >"$TRASH/$name.rec" 2>&1 || {
		cat "$TRASH/$name.rec"
		return 1
	}
	perf script -i "$TRASH/$name.data" >"$TRASH/$name.txt" 2>"$TRASH/$name.script-err"
}

# same_folding NAME: flamekit on the perf.data equals flamekit on perf script's text,
# byte for byte, with each naming option (NAME.want and NAME.got: without options)
same_folding() {
	for opts in --pid --tid --kernel --all "--pid --kernel" --addrs --inline ""; do
		# shellcheck disable=SC2086
		"$FK" collapse $opts "$TRASH/$1.txt" >"$TRASH/$1.want"
		# shellcheck disable=SC2086
		"$FK" collapse $opts "$TRASH/$1.data" >"$TRASH/$1.got"
		if [ -n "${ONLY_ROOTS:-}" ]; then
			# -a while other tests run: their programs come and go (and are deleted)
			# between perf script's read and flamekit's, so only processes whose
			# binaries stay put are compared
			for f in want got; do
				grep -E "^($ONLY_ROOTS)[-;]" "$TRASH/$1.$f" >"$TRASH/$1.$f.only" || true
				mv "$TRASH/$1.$f.only" "$TRASH/$1.$f"
			done
		fi
		[ -s "$TRASH/$1.want" ] || { echo "perf script | collapse gave nothing ($opts)"; return 1; }
		echo "options '$opts': $(wc -l <"$TRASH/$1.want") stacks"
		if ! cmp -s "$TRASH/$1.want" "$TRASH/$1.got"; then
			# -a records every process: one whose binary was rebuilt between the
			# two reads is named differently by each; read both again once
			diff "$TRASH/$1.want" "$TRASH/$1.got" | head -n 10
			echo "differs: reading again"
			perf script -i "$TRASH/$1.data" >"$TRASH/$1.txt" 2>/dev/null
			# shellcheck disable=SC2086
			"$FK" collapse $opts "$TRASH/$1.txt" >"$TRASH/$1.want"
			# shellcheck disable=SC2086
			"$FK" collapse $opts "$TRASH/$1.data" >"$TRASH/$1.got"
			same_file "$TRASH/$1.want" "$TRASH/$1.got"
		fi
	done
}

# ---- the four recording modes ----------------------------------------------------------

fp() {
	record fp -g -- "$SHARES" 1
	same_folding fp
	grep -q '^rec_shares;.*;main;work_60 ' "$TRASH/fp.got"
}
test_ok "perf record -g: same stacks as perf script | collapse (also --pid, --tid, --kernel, --all, --addrs, --inline)" fp

dwarf() {
	record dwarf --call-graph dwarf -- "$SHARES_NOFP" 1
	"$FK" collapse "$TRASH/dwarf.txt" >"$TRASH/dwarf.want"
	"$FK" collapse "$TRASH/dwarf.data" >"$TRASH/dwarf.got"
	grep -q '^rec_shares_nofp;.*;main;work_60' "$TRASH/dwarf.got"
	if cmp -s "$TRASH/dwarf.want" "$TRASH/dwarf.got"; then
		echo "identical"
		return 0
	fi
	# Unwinding is flamekit's own (libdwfl), and names of inlined frames come from its
	# addr2line emulation (src/symbol/inline.c), not from binutils' addr2line as perf's:
	# allow 1% of the samples (by count) to be folded differently. Measured: none, or
	# one sample in a syscall stub of ld.so without DWARF (munmap, __munmap, __GI_munmap).
	diff "$TRASH/dwarf.want" "$TRASH/dwarf.got" | head -n 10
	awk 'function split_line(line, a) { a[2] = line; sub(/ [0-9.]+$/, "", a[2]); a[1] = substr(line, length(a[2]) + 2) }
		NR == FNR { split_line($0, a); want[a[2]] += a[1]; total += a[1]; next }
		{ split_line($0, a); got[a[2]] += a[1] }
		END {
			for (k in want) { d = want[k] - got[k]; if (d > 0) bad += d }
			printf "%.0f of %.0f (by count) folded differently\n", bad, total
			exit !(bad * 100 <= total)
		}' "$TRASH/dwarf.want" "$TRASH/dwarf.got"
}
test_ok "perf record --call-graph dwarf: the same stacks (inlined frames included)" dwarf

system_wide() {
	record sys -a -g -- "$SHARES" 1
	ONLY_ROOTS='rec_shares|swapper|perf' same_folding sys
	grep -q '^rec_shares;.*work_60 ' "$TRASH/sys.got"
}
if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 0 ]; then
	test_skip "perf record -a -g" "system-wide sampling needs root or perf_event_paranoid <= 0"
else
	test_ok "perf record -a -g: the same stacks (the workload, swapper and perf: other tests' programs come and go)" system_wide
fi

tracepoint() {
	record sw -e sched:sched_switch -g -- "$BLOCK" 1
	same_folding sw
	grep -q '^rec_block;.*;schedule;__schedule ' "$TRASH/sw.got"
}
if [ -d /sys/kernel/tracing/events/sched ] || [ -d /sys/kernel/debug/tracing/events/sched ]; then
	test_ok "perf record -e sched:sched_switch -g: the same stacks, one count per switch" tracepoint
else
	test_skip "perf record -e sched:sched_switch" "tracefs is not mounted"
fi

two_events() {
	record two -g -e cpu-clock -e page-faults -- "$SHARES" 1
	same_folding two
	for ev in cpu-clock page-faults; do
		"$FK" collapse --event-filter $ev "$TRASH/two.txt" >"$TRASH/two.want"
		"$FK" collapse --event-filter $ev "$TRASH/two.data" >"$TRASH/two.got"
		same_file "$TRASH/two.want" "$TRASH/two.got"
	done
}
test_ok "two events: the first one seen by default, --event-filter picks the other" two_events

pipe_mode() {
	perf record -q -g -o - -- "$SHARES" 1 2>"$TRASH/pipe.rec" >"$TRASH/pipe.data" || {
		cat "$TRASH/pipe.rec"
		return 1
	}
	perf script -i - <"$TRASH/pipe.data" 2>/dev/null | "$FK" collapse >"$TRASH/pipe.want"
	"$FK" collapse <"$TRASH/pipe.data" >"$TRASH/pipe.got"
	[ -s "$TRASH/pipe.want" ]
	same_file "$TRASH/pipe.want" "$TRASH/pipe.got"
}
test_ok "pipe mode (perf record -o -) read from stdin: the same stacks" pipe_mode

# ---- other commands and format detection ------------------------------------------------

others() {
	"$FK" flamegraph "$TRASH/fp.data" >"$TRASH/fp.svg"
	contains "$TRASH/fp.svg" "work_60"
	"$FK" convert "$TRASH/fp.data" -o "$TRASH/conv.folded"
	same_file "$TRASH/fp.want" "$TRASH/conv.folded"
	"$FK" convert "$TRASH/fp.data" -o "$TRASH/conv.json"
	"$FK" collapse "$TRASH/conv.json" >"$TRASH/conv2.folded"
	same_file "$TRASH/fp.want" "$TRASH/conv2.folded"
}
test_ok "flamegraph and convert read perf.data" others

detection() {
	cp "$TRASH/fp.data" "$TRASH/profile.txt"
	"$FK" collapse "$TRASH/profile.txt" >"$TRASH/named.folded"
	same_file "$TRASH/fp.want" "$TRASH/named.folded"
	"$FK" collapse --format perf-data <"$TRASH/fp.data" >"$TRASH/stdin.folded"
	same_file "$TRASH/fp.want" "$TRASH/stdin.folded"
	gzip -c "$TRASH/fp.data" >"$TRASH/fp.data.gz"
	"$FK" collapse "$TRASH/fp.data.gz" >"$TRASH/gz.folded"
	same_file "$TRASH/fp.want" "$TRASH/gz.folded"
	rc=0
	"$FK" collapse --format perf-data "$TRASH/fp.txt" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -eq 1 ]
	contains "$TRASH/err" "fp.txt: offset 0: not a perf.data file"
}
test_ok "told by content (any name, stdin, gzip); --format perf-data on text is an error" detection

# ---- broken files ------------------------------------------------------------------------

# bad FILE TEXT: collapse -o fails with exit 1, names the file, an offset and TEXT, and
# writes no output file
bad() {
	rm -f "$TRASH/bad.out"
	rc=0
	"$FK" collapse --format perf-data -o "$TRASH/bad.out" "$1" 2>"$TRASH/bad.err" || rc=$?
	if [ "$rc" -ne 1 ] || [ -e "$TRASH/bad.out" ] || ! grep -q "$(basename "$1"): offset [0-9]*: .*$2" "$TRASH/bad.err"; then
		echo "$1: exit $rc, want 1 and an error with '$2':"
		cat "$TRASH/bad.err"
		[ -e "$TRASH/bad.out" ] && echo "and an output file was written"
		return 1
	fi
}

# put_u64 FILE OFFSET VALUE, put_u16 ...: writes VALUE little-endian at OFFSET
put_u64() { perl -e 'open(F, "+<", $ARGV[0]) or die; seek(F, $ARGV[1], 0); print F pack("Q<", $ARGV[2])' "$@"; }
put_u16() { perl -e 'open(F, "+<", $ARGV[0]) or die; seek(F, $ARGV[1], 0); print F pack("v", $ARGV[2])' "$@"; }
get_u64() { od -An -tu8 -j "$2" -N 8 "$1" | tr -d ' '; }

truncated() {
	size=$(wc -c <"$TRASH/sw.data")
	data_off=$(get_u64 "$TRASH/sw.data" 40)
	n=0
	for at in 0 4 8 16 50 103 104 120 $((data_off - 1)) $data_off $((data_off + 5)) \
		$((data_off + 100)) $((size / 2)) $((size - 100)) $((size - 1)); do
		head -c "$at" "$TRASH/sw.data" >"$TRASH/cut.data"
		bad "$TRASH/cut.data" "" || return 1
		n=$((n + 1))
	done
	echo "$n truncations rejected"
}
test_ok "truncated anywhere: an error naming the file and offset, exit 1, no output" truncated

corrupt() {
	src=$TRASH/sw.data
	cp "$src" "$TRASH/magic.data"
	printf 'PERFILE3' | dd of="$TRASH/magic.data" bs=1 conv=notrunc 2>/dev/null
	rc=0
	"$FK" collapse --format perf-data "$TRASH/magic.data" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && contains "$TRASH/err" "magic.data: offset 0: not a perf.data file"
	cp "$src" "$TRASH/endian.data"
	printf '2ELIFREP' | dd of="$TRASH/endian.data" bs=1 conv=notrunc 2>/dev/null
	rc=0
	"$FK" collapse "$TRASH/endian.data" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ] && contains "$TRASH/err" "other byte order"
	cp "$src" "$TRASH/hsize.data"
	put_u64 "$TRASH/hsize.data" 8 99999999
	bad "$TRASH/hsize.data" "header"
	cp "$src" "$TRASH/attrs.data"
	put_u64 "$TRASH/attrs.data" 32 1099511627776 # attribute section: 1 TiB of attributes
	bad "$TRASH/attrs.data" "attribute section"
	cp "$src" "$TRASH/dataoff.data"
	put_u64 "$TRASH/dataoff.data" 40 4611686018427387904
	bad "$TRASH/dataoff.data" "data section"
	data_off=$(get_u64 "$src" 40)
	cp "$src" "$TRASH/rec0.data"
	put_u16 "$TRASH/rec0.data" $((data_off + 6)) 0
	bad "$TRASH/rec0.data" "record 0 (type [0-9]*) has size 0"
	cp "$src" "$TRASH/recbig.data"
	put_u16 "$TRASH/recbig.data" $((data_off + 6)) 65535
	bad "$TRASH/recbig.data" "runs past the end of the data section"
}
test_ok "bad magic, other byte order, header/attribute/data sizes past the end, record sizes 0 and too big" corrupt

done_testing
