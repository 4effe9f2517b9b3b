#!/bin/sh
# Byte-identical output to stackcollapse-perf.pl and stackcollapse.pl on FlameGraph's own
# test captures (../shared/compat), on one thread and on two threads with tiny chunks
# (so samples are shared out between threads at many places).
. "$(dirname "$0")/lib.sh"

C="$FK_COMPAT/perf-script"
if [ ! -d "$C" ]; then
	test_skip "compat corpus" "no $C (shared/ must sit beside the repo)"
	done_testing
	exit 1
fi

for input in "$C"/inputs/*.txt; do
	name=$(basename "$input" .txt)
	for opt in default pid tid kernel jit all addrs; do
		flag=--$opt
		[ "$opt" = default ] && flag=
		expected="$C/expected/$name.$opt.folded"
		one() { "$FK" collapse -q $flag "$input" >"$TRASH/out"; same_file "$expected" "$TRASH/out"; }
		test_ok "perf $name ${flag:-(no option)}" one
		two() {
			"$FK" collapse -q -j 2 --chunk-size 4096 $flag "$input" >"$TRASH/out"
			same_file "$expected" "$TRASH/out"
		}
		test_ok "perf $name ${flag:-(no option)} -j 2" two
	done
done

gz() {
	"$FK" collapse --all "$C/inputs/example-perf-stacks.txt.gz" >"$TRASH/out"
	gzip -dc "$C/expected/example-perf-stacks.all.folded.gz" >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "perf example-perf-stacks.txt.gz --all (gzip input)" gz

gz_threads() {
	"$FK" collapse --all -j 2 --chunk-size 65536 <"$C/inputs/example-perf-stacks.txt.gz" >"$TRASH/out"
	gzip -dc "$C/expected/example-perf-stacks.all.folded.gz" >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "perf gzip from stdin, -j 2" gz_threads

D="$FK_COMPAT/dtrace"
dtrace() {
	"$FK" collapse "$D/example-dtrace-stacks.txt" >"$TRASH/out"
	same_file "$D/example-dtrace-stacks.folded" "$TRASH/out"
}
test_ok "dtrace example-dtrace-stacks.txt (stackcollapse.pl)" dtrace

dtrace_explicit() {
	"$FK" collapse --format dtrace -j 2 <"$D/example-dtrace-stacks.txt" >"$TRASH/out"
	same_file "$D/example-dtrace-stacks.folded" "$TRASH/out"
}
test_ok "dtrace from stdin with --format dtrace" dtrace_explicit

refold() {
	"$FK" collapse "$D/example-dtrace-stacks.folded" >"$TRASH/out"
	same_file "$D/example-dtrace-stacks.folded" "$TRASH/out"
}
test_ok "folded input folds to itself" refold

done_testing
