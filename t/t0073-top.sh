#!/bin/sh
# top: flat and cumulative counts per function, compared with an independent awk count
# over `flamekit collapse`'s folded output on FlameGraph's perf script captures; --sort,
# -n, --focus/--ignore (also in convert) against awk-filtered folded stacks; units,
# recursion, errors; Go's pprof profiles against `go tool pprof -top`; and the same report
# from every input format that reads here.
. "$(dirname "$0")/lib.sh"

C="$FK_COMPAT/perf-script/inputs"
tab=$(printf '\t')

# The reference: reads folded stacks on stdin; prints "name TAB flat TAB cum" for every
# frame name of the samples that pass focus ($1) and ignore ($2) (EREs matched per frame;
# "" = none), cum counting a name once per sample; the total goes to $TRASH/total.
ref_counts() {
	awk -v focus="$1" -v ignore="$2" -v totalfile="$TRASH/total" '
	{
		stack = $0; sub(/ [^ ]*$/, "", stack); c = $NF + 0
		k = split(stack, f, ";")
		keep = (focus == ""); drop = 0
		for (i = 1; i <= k; i++) {
			if (focus != "" && f[i] ~ focus) keep = 1
			if (ignore != "" && f[i] ~ ignore) drop = 1
		}
		if (!keep || drop) next
		total += c
		if (k == 0) next
		flat[f[k]] += c
		delete seen
		for (i = 1; i <= k; i++)
			if (!(f[i] in seen)) { seen[f[i]] = 1; cum[f[i]] += c }
	}
	END {
		for (x in cum)
			if (flat[x] + 0 != 0 || cum[x] != 0)
				printf "%s\t%s\t%s\n", x, flat[x] + 0, cum[x]
		print total + 0 >totalfile
	}'
}

# Sorts ref_counts's rows (by flat, or by cum with $1 = cum) and adds the percentages:
# "name flat flat% sum% cum cum%", tab-separated.
ref_rows() {
	if [ "${1:-flat}" = cum ]; then
		LC_ALL=C sort -t "$tab" -k3,3nr -k2,2nr -k1,1
	else
		LC_ALL=C sort -t "$tab" -k2,2nr -k3,3nr -k1,1
	fi | awk -F "$tab" -v total="$(cat "$TRASH/total")" '
	function pct(x) { return total != 0 ? 100 * x / total : 0 }
	{ sum += $2; printf "%s\t%s\t%.2f\t%.2f\t%s\t%.2f\n", $1, $2, pct($2), pct(sum), $3, pct($3) }'
}

# ref_counts then ref_rows: ref FOCUS IGNORE [cum] <folded
ref() {
	ref_counts "$1" "$2" >"$TRASH/counts"
	ref_rows "${3:-flat}" <"$TRASH/counts"
}

# top's rows in the same shape.
top_rows() {
	sed -n '/^ *flat  *flat%/,$p' | tail -n +2 |
		sed -E 's/^ *([^ ]+) +([0-9.]+)% +([0-9.]+)% +([^ ]+) +([0-9.]+)%  (.*)$/\6	\1	\2	\3	\4	\5/'
}

cat >"$TRASH/rec.folded" <<'IN'
main;a;b;a;b 3
main;a;c 1.5
main;d 2
main;e 2
main 0.5
zero;x 0
IN

recursion() {
	"$FK" top -n 0 "$TRASH/rec.folded" >"$TRASH/out"
	cat >"$TRASH/expected" <<'OUT'
Total: 9 samples
Showing all 6 functions
flat   flat%    sum%   cum    cum%  function
   3  33.33%  33.33%     3  33.33%  b
   2  22.22%  55.56%     2  22.22%  d
   2  22.22%  77.78%     2  22.22%  e
 1.5  16.67%  94.44%   1.5  16.67%  c
 0.5   5.56% 100.00%     9 100.00%  main
   0   0.00% 100.00%   4.5  50.00%  a
OUT
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "a recursive function counts once per sample in cum; ties by cum then name; fractions; zero rows left out" recursion

sort_cum_rows() {
	"$FK" top -n 2 --sort cum "$TRASH/rec.folded" >"$TRASH/out"
	cat >"$TRASH/expected" <<'OUT'
Total: 9 samples
Showing top 2 functions out of 6; dropped 94.44% of flat
flat   flat%    sum%   cum    cum%  function
 0.5   5.56%   5.56%     9 100.00%  main
   0   0.00%   5.56%   4.5  50.00%  a
OUT
	same_file "$TRASH/expected" "$TRASH/out"
	"$FK" top "$TRASH/rec.folded" | sed -n 2p >"$TRASH/out"
	echo "Showing all 6 functions" >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "--sort cum, -n with the share of flat dropped" sort_cum_rows

if [ ! -d "$C" ]; then
	test_skip "compat corpus" "no $C (shared/ must sit beside the repo)"
else
	for input in "$C"/*.txt "$C"/example-perf-stacks.txt.gz; do
		name=$(basename "$input")
		against_awk() {
			"$FK" collapse -q "$input" >"$TRASH/folded"
			ref "" "" <"$TRASH/folded" >"$TRASH/expected"
			"$FK" top -q -n 0 "$input" >"$TRASH/report"
			top_rows <"$TRASH/report" >"$TRASH/out"
			same_file "$TRASH/expected" "$TRASH/out"
			[ -s "$TRASH/out" ]
			contains "$TRASH/report" "Total: $(cat "$TRASH/total") samples"
		}
		test_ok "perf $name: every row equals an awk count over the folded output" against_awk
	done

	V="$C/perf-vertx-stacks-01.txt"
	sort_cum() {
		"$FK" collapse "$V" | ref "" "" cum | head -n 15 >"$TRASH/expected"
		"$FK" top --sort cum -n 15 "$V" | top_rows >"$TRASH/out"
		same_file "$TRASH/expected" "$TRASH/out"
	}
	test_ok "--sort cum -n 15 on perf script text equals awk" sort_cum

	rows() {
		"$FK" collapse "$V" | ref "" "" >"$TRASH/all"
		head -n 7 "$TRASH/all" >"$TRASH/expected"
		"$FK" top -n 7 "$V" >"$TRASH/report"
		top_rows <"$TRASH/report" >"$TRASH/out"
		same_file "$TRASH/expected" "$TRASH/out"
		m=$(wc -l <"$TRASH/all")
		dropped=$(tail -n +8 "$TRASH/all" | awk -F "$tab" -v t="$(cat "$TRASH/total")" '{s += $2} END {printf "%.2f", 100 * s / t}')
		contains "$TRASH/report" "Showing top 7 functions out of $((m)); dropped $dropped% of flat"
		"$FK" top "$V" | top_rows | wc -l | grep -qx 20
	}
	test_ok "-n 7: the first rows, how many there are, the share dropped; 20 by default" rows

	# focus/ignore: regexes with no ^, $ or ';', so a grep of the whole stack is the same
	# test as a match of one frame
	focus_ignore() {
		"$FK" collapse "$V" >"$TRASH/folded"
		ref_counts "" "" <"$TRASH/folded" >/dev/null
		all=$(cat "$TRASH/total")
		# each line's stack (without its count) beside the line, grepped
		sed 's/ [^ ]*$//' "$TRASH/folded" | paste -d "$tab" - "$TRASH/folded" |
			grep -E "^[^$tab]*(Http(Object|Server))" | grep -vE "^[^$tab]*(epoll|tcp_)" |
			cut -f2 >"$TRASH/grepped"
		[ -s "$TRASH/grepped" ]
		ref "" "" <"$TRASH/grepped" >"$TRASH/expected"
		kept=$(cat "$TRASH/total")
		"$FK" top -n 0 --focus 'Http(Object|Server)' --ignore 'epoll|tcp_' "$V" >"$TRASH/report"
		top_rows <"$TRASH/report" >"$TRASH/out"
		same_file "$TRASH/expected" "$TRASH/out"
		pct=$(awk -v a="$kept" -v b="$all" 'BEGIN {printf "%.2f", 100 * a / b}')
		contains "$TRASH/report" "Total: $kept samples (after --focus 'Http(Object|Server)' --ignore 'epoll|tcp_': $kept of $all, $pct%)"
		# the awk reference's own per-frame matching agrees with the grep
		ref 'Http(Object|Server)' 'epoll|tcp_' <"$TRASH/folded" >"$TRASH/expected2"
		same_file "$TRASH/expected" "$TRASH/expected2"
		# convert writes the same samples
		"$FK" convert --focus 'Http(Object|Server)' --ignore 'epoll|tcp_' "$V" >"$TRASH/converted"
		same_file "$TRASH/grepped" "$TRASH/converted"
	}
	test_ok "--focus and --ignore (top and convert) equal grep-filtered folded stacks" focus_ignore

	anchored() {
		"$FK" collapse "$V" >"$TRASH/folded"
		ref '^java$' '^(SpinPause|hypercall_page)$' <"$TRASH/folded" >"$TRASH/expected"
		"$FK" top -n 0 --focus '^java$' --ignore '^(SpinPause|hypercall_page)$' "$V" | top_rows >"$TRASH/out"
		same_file "$TRASH/expected" "$TRASH/out"
		"$FK" top -n 0 --ignore '^java$' "$V" >"$TRASH/report"
		contains "$TRASH/report" "Total: 0 samples (after --ignore '^java\$': 0 of 286, 0.00%)"
		contains "$TRASH/report" "Showing all 0 functions"
	}
	test_ok "anchored regexes match whole frame names; a filter that keeps nothing" anchored
fi

dtrace() {
	D="$FK_COMPAT/dtrace/example-dtrace-stacks.txt"
	[ -f "$D" ] || return 0
	ref "" "" <"$FK_COMPAT/dtrace/example-dtrace-stacks.folded" >"$TRASH/expected"
	"$FK" top -n 0 "$D" | top_rows >"$TRASH/out"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "DTrace input: rows equal awk over stackcollapse.pl's output" dtrace

errors() {
	rc=0; "$FK" top --focus 'a(' "$TRASH/rec.folded" 2>"$TRASH/err" >"$TRASH/out" || rc=$?
	[ "$rc" -eq 2 ]; [ ! -s "$TRASH/out" ]
	contains "$TRASH/err" "--focus 'a('"
	rc=0; "$FK" top --ignore '[z' "$TRASH/rec.folded" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
	contains "$TRASH/err" "--ignore '[z'"
	rc=0; "$FK" convert --focus '*(' "$TRASH/rec.folded" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
	contains "$TRASH/err" "--focus '*('"
	rc=0; "$FK" top -n x "$TRASH/rec.folded" 2>/dev/null || rc=$?
	[ "$rc" -eq 2 ]
	rc=0; "$FK" top --sort name "$TRASH/rec.folded" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
	contains "$TRASH/err" "--sort"
	rc=0; "$FK" top "$TRASH/missing" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ]
	contains "$TRASH/err" "missing"
}
test_ok "bad regexes, -n and --sort are usage errors (exit 2) naming them; a missing file exits 1" errors

output_file() {
	echo old >"$TRASH/report.txt"
	"$FK" top -o "$TRASH/report.txt" "$TRASH/rec.folded" >"$TRASH/stdout"
	[ ! -s "$TRASH/stdout" ]
	"$FK" top "$TRASH/rec.folded" >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/report.txt"
	rc=0; "$FK" top -o "$TRASH/report.txt" "$TRASH/missing" 2>/dev/null || rc=$?
	[ "$rc" -ne 0 ]
	same_file "$TRASH/expected" "$TRASH/report.txt"
	"$FK" top <"$TRASH/rec.folded" >"$TRASH/out"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "-o writes the report whole; a failed run leaves it; stdin" output_file

# The binary and JSON formats: when flamekit reads the file here, top on it gives the same
# rows as top on its folded stacks (collapse), and the header names the unit.
same_as_collapse() {
	file=$1
	"$FK" collapse -q "$file" >"$TRASH/f.folded"
	"$FK" top -q -n 0 "$file" >"$TRASH/report"
	"$FK" top -q -n 0 "$TRASH/f.folded" | top_rows >"$TRASH/expected"
	top_rows <"$TRASH/report" >"$TRASH/out"
	[ -s "$TRASH/out" ]
	same_file "$TRASH/expected" "$TRASH/out"
	total=$(awk '{s += $NF} END {print s}' "$TRASH/f.folded")
	grep -q "^Total: $total " "$TRASH/report"
}

if [ -d "$C" ]; then
	"$FK" convert "$C/perf-vertx-stacks-01.txt" -o "$TRASH/v.pb.gz" 2>/dev/null
	if "$FK" collapse "$TRASH/v.pb.gz" >/dev/null 2>&1; then
		pprof_in() { same_as_collapse "$TRASH/v.pb.gz"; contains "$TRASH/report" "Total: 286 "; }
		test_ok "pprof input (written by convert)" pprof_in
	else
		test_skip "pprof input" "the pprof reader does not read this file yet"
	fi
	"$FK" convert "$C/perf-vertx-stacks-01.txt" -o "$TRASH/v.speedscope.json" 2>/dev/null
	if "$FK" collapse "$TRASH/v.speedscope.json" >/dev/null 2>&1; then
		speedscope_in() { same_as_collapse "$TRASH/v.speedscope.json"; contains "$TRASH/report" "Total: 286 samples"; }
		test_ok "speedscope input (written by convert)" speedscope_in
	else
		test_skip "speedscope input" "the speedscope reader does not read this file yet"
	fi
fi

# A Go program's profiles (tests/go, built as t0071-pprof.sh does): every function's flat
# and cum equal `go tool pprof -top`'s.
GO_ENV="GOCACHE=$TRASH/go/cache GOPATH=$TRASH/go/path GOTOOLCHAIN=local GOFLAGS= GOPROXY=off GO111MODULE=on"
pprof_rows() { # FILE SAMPLE_INDEX: "name flat cum" per function, by name
	env $GO_ENV go tool pprof -top -nodefraction=0 -edgefraction=0 -nodecount=1000000 \
		-sample_index="$2" -unit=B "$1" 2>/dev/null | top_fields |
		awk -F "$tab" '{sub(/ \(inline\)$/, "", $1); sub(/B$/, "", $2); sub(/B$/, "", $3); print $1 "\t" $2 "\t" $3}' | LC_ALL=C sort
}
top_fields() { # the rows of a report with pprof's or top's columns: "name flat cum"
	sed -n '/^ *flat  *flat%/,$p' | tail -n +2 |
		sed -E 's/^ *([^ ]+) +[^ ]+ +[^ ]+ +([^ ]+) +[^ ]+  (.*)$/\3	\1	\2/'
}
if command -v go >/dev/null 2>&1 && [ -d "$FK_ROOT/tests/go" ] &&
	(cd "$FK_ROOT/tests/go" && env $GO_ENV go build -o "$TRASH/pprofburn" .) >/dev/null 2>&1 &&
	"$TRASH/pprofburn" "$TRASH/cpu.pprof" "$TRASH/heap.pprof" 20 >/dev/null 2>&1 &&
	"$FK" collapse "$TRASH/cpu.pprof" >/dev/null 2>&1; then
	go_pprof() {
		for f in cpu.pprof:samples heap.pprof:alloc_space heap.pprof:alloc_objects; do
			file=$TRASH/${f%%:*} si=${f#*:}
			pprof_rows "$file" "$si" >"$TRASH/expected"
			"$FK" top -n 0 --sample-type "$si" "$file" >"$TRASH/report"
			top_fields <"$TRASH/report" | LC_ALL=C sort >"$TRASH/out"
			[ "$(wc -l <"$TRASH/out")" -ge 3 ]
			same_file "$TRASH/expected" "$TRASH/out"
		done
		contains "$TRASH/report" "Type: alloc_objects"
		"$FK" top --sample-type alloc_space "$TRASH/heap.pprof" >"$TRASH/report"
		grep -q '^Total: [0-9]* bytes$' "$TRASH/report"
	}
	test_ok "Go pprof profiles (cpu samples, alloc_space, alloc_objects): rows equal go tool pprof -top's" go_pprof
else
	test_skip "Go pprof profiles" "no go, or the pprof reader does not read them yet"
fi

if command -v node >/dev/null 2>&1 &&
	node --cpu-prof --cpu-prof-dir="$TRASH/cpuprof" \
		-e 'let s = 0; for (let i = 0; i < 3e7; i++) s += i % 7;' 2>/dev/null &&
	"$FK" collapse "$TRASH"/cpuprof/*.cpuprofile >/dev/null 2>&1; then
	cpuprofile_in() {
		same_as_collapse "$TRASH"/cpuprof/*.cpuprofile
	}
	test_ok "Node .cpuprofile input" cpuprofile_in
else
	test_skip "Node .cpuprofile input" "no node, or the .cpuprofile reader does not read its file yet"
fi

if command -v perf >/dev/null 2>&1 &&
	perf record -q -g -o "$TRASH/perf.data" -- sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done' \
		>/dev/null 2>&1 &&
	"$FK" collapse "$TRASH/perf.data" >/dev/null 2>&1; then
	perf_data_in() {
		same_as_collapse "$TRASH/perf.data"
		perf script -i "$TRASH/perf.data" 2>/dev/null >"$TRASH/perf.txt"
		"$FK" top -q -n 0 "$TRASH/perf.txt" | top_rows >"$TRASH/expected"
		same_file "$TRASH/expected" "$TRASH/out"
	}
	test_ok "perf.data input: the same rows as top on its perf script text" perf_data_in
else
	test_skip "perf.data input" "no perf record here, or the perf.data reader does not read its file yet"
fi

done_testing
