#!/bin/sh
# pprof in and out: folded -> pprof -> folded is the identity; perf script and `record`
# written as pprof are read by `go tool pprof` with the same totals (and mappings and
# addresses where known); real profiles from Go's runtime/pprof (tests/go/, CPU and
# allocs) and from node's @datadog/pprof (tests/node/, time and heap) are read with the
# right functions, shares and totals (checked against `go tool pprof -raw`), with
# --sample-type; broken files are errors naming the file, with no output written.
# Needs golang-go (offline: the standard library only); the node part needs npm ci of
# tests/node (skipped when it cannot install offline); the record part perf_event_open.
. "$(dirname "$0")/lib.sh"

GO_ENV="GOCACHE=$TRASH/go/cache GOPATH=$TRASH/go/path GOTOOLCHAIN=local GOFLAGS= GOPROXY=off GO111MODULE=on"
have_go=false
command -v go >/dev/null 2>&1 && have_go=true

# folded_total FILE: the sum of the counts of folded stacks
folded_total() { awk '{ s += $NF } END { printf "%.0f\n", s }' "$1"; }

# raw_total FILE COLUMN: the sum of the COLUMN-th value (1 = first sample type) of the
# samples `go tool pprof -raw` lists
raw_total() {
	env $GO_ENV go tool pprof -raw "$1" 2>/dev/null | awk -v col="$2" '
		/^Samples:/ { in_s = 1; next }
		/^Locations/ { in_s = 0 }
		in_s && /^ *-?[0-9]+( +-?[0-9]+)*: / { sub(/:.*/, ""); s += $col }
		END { printf "%.0f\n", s }'
}

# top_total FILE: N of pprof -top's "of N total" line (counts, no unit)
top_total() {
	env $GO_ENV go tool pprof -top "$1" 2>/dev/null | sed -n 's/.* of \([0-9][0-9]*\) total.*/\1/p'
}

# share FOLDED FUNCTION: percent of the total in stacks through FUNCTION
share() {
	awk -v f="$2" '{ n = $NF; tot += n; if ((";" $0) ~ (";" f "[; ]")) s += n }
		END { if (tot == 0) exit 1; printf "%.0f\n", 100 * s / tot }' "$1"
}

# ---- folded -> pprof -> folded --------------------------------------------------------
cat >"$TRASH/a.folded" <<'IN'
app;main;work_[k] 30
app;main;helper;leaf 12
app;main 5
app;[libc.so.6];memcpy 1
other proc;x 0
IN
folded_roundtrip() {
	"$FK" convert "$TRASH/a.folded" -o "$TRASH/a.pb.gz"
	"$FK" convert "$TRASH/a.folded" -o "$TRASH/a.pb"
	[ "$(od -An -tx1 -N2 "$TRASH/a.pb.gz" | tr -d ' ')" = 1f8b ]
	[ "$(od -An -tx1 -N2 "$TRASH/a.pb" | tr -d ' ')" != 1f8b ]
	"$FK" collapse "$TRASH/a.folded" >"$TRASH/expected"
	"$FK" collapse "$TRASH/a.pb.gz" >"$TRASH/out1"
	"$FK" collapse "$TRASH/a.pb" >"$TRASH/out2"
	same_file "$TRASH/expected" "$TRASH/out1"
	same_file "$TRASH/expected" "$TRASH/out2"
}
test_ok "folded -> .pb.gz / .pb -> folded gives the same folded text" folded_roundtrip

folded_go_pprof() {
	t=$(top_total "$TRASH/a.pb.gz")
	echo "go tool pprof -top: $t total; raw: $(raw_total "$TRASH/a.pb.gz" 1)"
	[ "$t" = 48 ]
	[ "$(raw_total "$TRASH/a.pb.gz" 1)" = 48 ]
	env $GO_ENV go tool pprof -raw "$TRASH/a.pb.gz" >"$TRASH/raw" 2>&1
	contains "$TRASH/raw" "samples/count"
	contains "$TRASH/raw" " work_[k] "
}
if $have_go; then
	test_ok "go tool pprof reads it: -top and -raw totals = the folded sum" folded_go_pprof
else
	test_skip "go tool pprof reads it" "no go"
fi

# ---- perf script -> pprof: totals, mappings, addresses -------------------------------
cat >"$TRASH/a.perf" <<'IN'
app 100 1.000001: 1 cpu-clock:
	    4005d0 leaf (/bin/app)
	    400600 main (/bin/app)
	7f0000001234 __libc_start_main+0x80 (/lib/libc.so.6)

app 100 1.000002: 1 cpu-clock:
	    4005d0 leaf (/bin/app)
	    400600 main (/bin/app)
	7f0000001234 __libc_start_main+0x80 (/lib/libc.so.6)

app 100/101 1.000003: 250000 cpu-clock:
	    400700 other+0x10 (/bin/app)
	    400600 main (/bin/app)
	7f0000001234 __libc_start_main+0x80 (/lib/libc.so.6)
IN
perf_to_pprof() {
	"$FK" collapse "$TRASH/a.perf" >"$TRASH/perf.folded"
	"$FK" convert "$TRASH/a.perf" -o "$TRASH/perf.pb.gz"
	"$FK" collapse "$TRASH/perf.pb.gz" >"$TRASH/back"
	same_file "$TRASH/perf.folded" "$TRASH/back"
	want=$(folded_total "$TRASH/perf.folded")
	echo "folded total $want; pprof -top $(top_total "$TRASH/perf.pb.gz"); raw $(raw_total "$TRASH/perf.pb.gz" 1)"
	[ "$(top_total "$TRASH/perf.pb.gz")" = "$want" ]
	[ "$(raw_total "$TRASH/perf.pb.gz" 1)" = "$want" ]
	env $GO_ENV go tool pprof -raw "$TRASH/perf.pb.gz" >"$TRASH/raw" 2>&1
	cat "$TRASH/raw"
	# one mapping per module, spanning the addresses seen; locations with addresses
	grep -q '^[0-9]*: 0x4005d0/0x400701/0x0 /bin/app' "$TRASH/raw"
	grep -q '^[0-9]*: 0x7f0000001234/0x7f0000001235/0x0 /lib/libc.so.6' "$TRASH/raw"
	grep -q ': 0x4005d0 M=[0-9]* leaf ' "$TRASH/raw"
	grep -q ': 0x400700 M=[0-9]* other ' "$TRASH/raw"
}
if $have_go; then
	test_ok "perf script -> .pb.gz: go tool pprof totals, mappings and addresses" perf_to_pprof
else
	test_skip "perf script -> .pb.gz" "no go"
fi

# ---- a Go program's CPU and allocs profiles --------------------------------------------
go_build() {
	mkdir -p "$TRASH/go"
	(cd "$FK_ROOT/tests/go" && env $GO_ENV go build -o "$TRASH/pprofburn" .)
	"$TRASH/pprofburn" "$TRASH/cpu.pprof" "$TRASH/heap.pprof" 150 >/dev/null
}
go_cpu() {
	"$FK" collapse "$TRASH/cpu.pprof" >"$TRASH/cpu.folded"
	cat "$TRASH/cpu.folded"
	a=$(share "$TRASH/cpu.folded" main.burnAlpha)
	b=$(share "$TRASH/cpu.folded" main.burnBeta)
	c=$(share "$TRASH/cpu.folded" main.burnGamma)
	echo "shares: alpha $a%, beta $b%, gamma $c% (work 1:2:3 = 17/33/50)"
	[ "$a" -ge 7 ] && [ "$a" -le 27 ]
	[ "$b" -ge 20 ] && [ "$b" -le 46 ]
	[ "$c" -ge 37 ] && [ "$c" -le 63 ]
	grep -q '^runtime.main;main.main;main.burnGamma;main.spin [0-9]*$' "$TRASH/cpu.folded"
	# the first sample type (samples/count) by default; --sample-type cpu: nanoseconds
	n=$(folded_total "$TRASH/cpu.folded")
	[ "$n" = "$(raw_total "$TRASH/cpu.pprof" 1)" ]
	"$FK" collapse --sample-type samples "$TRASH/cpu.pprof" >"$TRASH/samples.folded"
	same_file "$TRASH/cpu.folded" "$TRASH/samples.folded"
	"$FK" collapse --sample-type cpu "$TRASH/cpu.pprof" >"$TRASH/ns.folded"
	ns=$(folded_total "$TRASH/ns.folded")
	echo "samples $n, cpu $ns ns"
	[ "$ns" = "$(raw_total "$TRASH/cpu.pprof" 2)" ]
	[ "$ns" = "$((n * 10000000))" ]
}
go_heap() {
	"$FK" collapse --sample-type alloc_space "$TRASH/heap.pprof" >"$TRASH/heap.folded"
	[ "$(folded_total "$TRASH/heap.folded")" = "$(raw_total "$TRASH/heap.pprof" 2)" ]
	small=$(awk '/;main.allocSmall( |;)/ { s += $NF } END { printf "%.0f\n", s }' "$TRASH/heap.folded")
	large=$(awk '/;main.allocLarge( |;)/ { s += $NF } END { printf "%.0f\n", s }' "$TRASH/heap.folded")
	echo "allocSmall $small bytes, allocLarge $large bytes"
	[ "$small" -ge 1024000 ] && [ "$large" -ge 4096000 ] && [ "$large" -ge $((3 * small)) ]
	"$FK" collapse --sample-type alloc_objects "$TRASH/heap.pprof" >"$TRASH/objs.folded"
	# 1000 blocks, and the growth of the slice that keeps them
	n=$(awk '/;main.allocLarge [0-9]+$/ { print $NF }' "$TRASH/objs.folded")
	[ "$n" -ge 1000 ] && [ "$n" -le 1100 ]
}
go_bad_type() {
	rc=0
	"$FK" collapse --sample-type bytes "$TRASH/cpu.pprof" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" = 1 ]
	[ ! -s "$TRASH/out" ]
	contains "$TRASH/err" 'cpu.pprof: no sample type "bytes"'
	contains "$TRASH/err" "samples, cpu"
}
go_reconvert() {
	# a Go profile written again by flamekit: the same two sample types and totals
	"$FK" convert "$TRASH/cpu.pprof" -o "$TRASH/again.pb.gz"
	[ "$(raw_total "$TRASH/again.pb.gz" 1)" = "$(raw_total "$TRASH/cpu.pprof" 1)" ]
	[ "$(raw_total "$TRASH/again.pb.gz" 2)" = "$(raw_total "$TRASH/cpu.pprof" 2)" ]
	env $GO_ENV go tool pprof -raw "$TRASH/again.pb.gz" 2>&1 | grep -q '^samples/count\[dflt\] cpu/nanoseconds'
}
if $have_go && go_build >"$TRASH/gobuild" 2>&1; then
	test_ok "Go CPU profile: burnAlpha/Beta/Gamma at ~1:2:3, totals = go tool pprof -raw's" go_cpu
	test_ok "Go allocs profile: --sample-type alloc_space / alloc_objects" go_heap
	test_ok "--sample-type NAME that is not there: exit 1, names the types there" go_bad_type
	test_ok "Go profile -> flamekit .pb.gz: same sample types and totals" go_reconvert
elif $have_go; then
	test_ok "build tests/go" sh -c "cat '$TRASH/gobuild'; false"
else
	test_skip "Go profiles" "no go"
fi

# ---- node's @datadog/pprof -------------------------------------------------------------
NODE_DIR="$FK_ROOT/tests/node"
node_profiles() {
	"$FK" collapse "$TRASH/node/time.pb.gz" >"$TRASH/time.folded"
	sort -k2 -n "$TRASH/time.folded" | tail -n 4
	light=$(awk '/;burnLight;/ { s += $NF } END { printf "%.0f\n", s }' "$TRASH/time.folded")
	heavy=$(awk '/;burnHeavy;/ { s += $NF } END { printf "%.0f\n", s }' "$TRASH/time.folded")
	echo "burnLight $light, burnHeavy $heavy (work 1:3)"
	grep -q ';main;burnHeavy;spinLoop [0-9]*$' "$TRASH/time.folded"
	[ "$light" -gt 0 ] && [ "$heavy" -ge $((2 * light)) ] && [ "$heavy" -le $((4 * light)) ]
	[ "$(folded_total "$TRASH/time.folded")" = "$(raw_total "$TRASH/node/time.pb.gz" 1)" ]
	"$FK" collapse "$TRASH/node/heap.pb.gz" >"$TRASH/heap.folded"
	grep -q ';main;allocateBlocks' "$TRASH/heap.folded"
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	test_skip "@datadog/pprof profiles" "no node/npm"
elif ! npm ci --prefix "$NODE_DIR" --prefer-offline --no-audit --no-fund >"$TRASH/npm" 2>&1 &&
	[ ! -f "$NODE_DIR/node_modules/@datadog/pprof/package.json" ]; then
	test_skip "@datadog/pprof profiles" "npm ci --prefix tests/node failed (offline?): $(tail -n 1 "$TRASH/npm")"
elif mkdir -p "$TRASH/node" && node "$NODE_DIR/profile.js" "$TRASH/node" 12 >"$TRASH/node.log" 2>&1; then
	if $have_go; then
		test_ok "@datadog/pprof time and heap profiles: JS names, shares, totals" node_profiles
	else
		test_skip "@datadog/pprof profiles" "no go"
	fi
else
	test_ok "node tests/node/profile.js" sh -c "cat '$TRASH/node.log'; false"
fi

# ---- record -o x.pb.gz ---------------------------------------------------------------
record_pprof() {
	"$FK" record -F 499 -o "$TRASH/rec.pb.gz" -o "$TRASH/rec.folded" -- \
		"$FK_FIXTURES/rec_shares" 1 >/dev/null 2>"$TRASH/rec.err" || { cat "$TRASH/rec.err"; return 1; }
	env $GO_ENV go tool pprof -raw "$TRASH/rec.pb.gz" >"$TRASH/raw" 2>&1
	sed -n '1,6p;/^Mappings/,$p' "$TRASH/raw"
	grep -q '^samples/count\[dflt\] cpu/nanoseconds$' "$TRASH/raw"
	grep -q '^PeriodType: cpu nanoseconds' "$TRASH/raw"
	n=$(folded_total "$TRASH/rec.folded")
	[ "$n" -gt 100 ]
	[ "$(raw_total "$TRASH/rec.pb.gz" 1)" = "$n" ]
	[ "$(top_total "$TRASH/rec.pb.gz")" = "$n" ]
	period=$(sed -n 's/^Period: //p' "$TRASH/raw")
	[ "$(raw_total "$TRASH/rec.pb.gz" 2)" = "$(awk -v n="$n" -v p="$period" 'BEGIN { printf "%.0f\n", n * p }')" ]
	# the fixture's own mapping, with a range, and work_60 at an address in it
	grep -q '^[0-9]*: 0x[0-9a-f]*/0x[0-9a-f]*/0x0 .*/rec_shares ' "$TRASH/raw"
	grep -q ': 0x[0-9a-f]*[1-9a-f][0-9a-f]* M=[0-9]* work_60 ' "$TRASH/raw"
	"$FK" collapse "$TRASH/rec.pb.gz" >"$TRASH/back"
	same_file "$TRASH/rec.folded" "$TRASH/back"
}
if ! $have_go; then
	test_skip "record -o x.pb.gz" "no go"
elif [ ! -x "$FK_FIXTURES/rec_shares" ]; then
	test_skip "record -o x.pb.gz" "no $FK_FIXTURES/rec_shares (make test builds it)"
elif ! "$FK" record -o "$TRASH/probe.folded" -- true >/dev/null 2>&1; then
	test_skip "record -o x.pb.gz" "cannot record here (perf_event_open)"
else
	test_ok "record -o x.pb.gz: both sample types, totals, mappings, addresses" record_pprof
fi

# ---- broken files ------------------------------------------------------------------------
# a sample_type {samples, count}, a sample at location 5 with value 1, the string table
HEAD='\012\004\010\001\020\002\022\006\012\001\005\022\001\001'
STRINGS='\062\000\062\007samples\062\005count'
# bad NAME BYTES MESSAGE: collapse and convert fail with exit 1, MESSAGE, no output
bad() {
	printf "$2" >"$TRASH/$1"
	rc=0
	"$FK" collapse "$TRASH/$1" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" = 1 ]
	[ ! -s "$TRASH/out" ]
	contains "$TRASH/err" "$1: $3"
	rc=0
	"$FK" convert "$TRASH/$1" -o "$TRASH/out.svg" 2>"$TRASH/err" || rc=$?
	[ "$rc" = 1 ]
	[ ! -e "$TRASH/out.svg" ]
}
bad_inputs() {
	bad noloc.pb "$HEAD$STRINGS" "sample #1 refers to location 5, which does not exist"
	bad nofunc.pb "$HEAD\042\006\010\005\042\002\010\011$STRINGS" \
		"location #1 (id 5) refers to function 9, which does not exist"
	bad badstr.pb "$HEAD\042\006\010\005\042\002\010\011\052\004\010\011\020\050$STRINGS" \
		"function #1 refers to string 40, past the string table's 3 entries"
	bad trunc.pb "$HEAD\042\006\010\005" "byte 14: truncated pprof data (location #1 needs 6 bytes, 2 remain)"
	gzip -c "$TRASH/a.pb" | head -c 40 >"$TRASH/trunc.pb.gz"
	rc=0
	"$FK" collapse "$TRASH/trunc.pb.gz" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" = 1 ] && [ ! -s "$TRASH/out" ]
	contains "$TRASH/err" "trunc.pb.gz: truncated gzip"
}
test_ok "broken pprof files: exit 1, the file and the fault named, no output" bad_inputs

done_testing
