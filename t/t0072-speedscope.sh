#!/bin/sh
# speedscope and .cpuprofile: a real `node --cpu-prof` profile collapsed; folded ->
# speedscope -> folded round trips (odd names, fractions, units); hand-written evented
# and multi-profile speedscope files; the speedscope app itself loading our output in
# headless Chromium (tests/browser/speedscope.test.mjs); bad inputs rejected with the
# file and the place in it, exit 1 and no output.
. "$(dirname "$0")/lib.sh"

BROWSER_DIR="$FK_ROOT/tests/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
have_node=0
command -v node >/dev/null 2>&1 && have_node=1

# A JSON file must parse (as strict UTF-8 JSON).
valid_json() {
	python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1"
}

# --- .cpuprofile ---------------------------------------------------------------------

cat >"$TRASH/hot.js" <<'JS'
// Two hot functions: hot_three does three times the work of hot_one.
function spin(n) { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003; return x; }
function hot_one() { return spin(100000); }
function hot_three() { return spin(300000); }
let sink = 0;
for (let round = 0; round < 300; round++) { sink += hot_one(); sink += hot_three(); }
if (sink === -1) console.log(sink);
JS

node_cpu_prof() {
	mkdir -p "$TRASH/prof"
	node --cpu-prof --cpu-prof-dir="$TRASH/prof" --cpu-prof-interval 250 "$TRASH/hot.js"
	set -- "$TRASH"/prof/*.cpuprofile
	[ -f "$1" ]
	"$FK" collapse "$1" >"$TRASH/cpu.folded"
	samples=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).samples.length)' "$1")
	total=$(awk '{ s += $NF } END { print s }' "$TRASH/cpu.folded")
	echo "samples $samples, total $total"
	[ "$total" -eq "$samples" ] && [ "$samples" -gt 100 ]
	# the stacks run from the script's top level down to spin(); (root) is no frame
	contains "$TRASH/cpu.folded" ';(anonymous) hot.js:1;hot_one hot.js:3;spin hot.js:2 '
	contains "$TRASH/cpu.folded" ';(anonymous) hot.js:1;hot_three hot.js:4;spin hot.js:2 '
	! grep -q '(root)' "$TRASH/cpu.folded"
	awk '/;hot_one hot.js:3/ { one += $NF } /;hot_three hot.js:4/ { three += $NF }
	     END { share = three / (one + three); print "hot_three share " share;
		   exit !(one > 0 && share > 0.6 && share < 0.9) }' "$TRASH/cpu.folded"
	# and on to speedscope: the same total
	"$FK" convert "$1" -o "$TRASH/cpu.speedscope.json"
	valid_json "$TRASH/cpu.speedscope.json"
	contains "$TRASH/cpu.speedscope.json" "\"endValue\":$samples,"
}
if [ $have_node = 1 ]; then
	test_ok "node --cpu-prof: both hot functions at about 1:3, total = samples" node_cpu_prof
else
	test_skip "node --cpu-prof: both hot functions at about 1:3, total = samples" "node is not installed"
fi

cat >"$TRASH/hand.cpuprofile" <<'JSON'
{"nodes":[
 {"id":1,"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"hitCount":0,"children":[2,3,4,5]},
 {"id":2,"callFrame":{"functionName":"(program)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"hitCount":2},
 {"id":3,"callFrame":{"functionName":"(garbage collector)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"hitCount":1},
 {"id":4,"callFrame":{"functionName":"(idle)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"hitCount":0},
 {"id":5,"callFrame":{"functionName":"","scriptId":"7","url":"file:///srv/app/main.js","lineNumber":0,"columnNumber":0},"hitCount":0,"children":[6,9]},
 {"id":9,"callFrame":{"functionName":"readFile","scriptId":"8","url":"node:fs","lineNumber":440,"columnNumber":2},"hitCount":1},
 {"id":6,"callFrame":{"functionName":"work","scriptId":"7","url":"file:///srv/app/lib/work.js","lineNumber":11,"columnNumber":4},"hitCount":3,"children":[7]},
 {"id":7,"callFrame":{"functionName":"inner","scriptId":"7","url":"https://example.com/x/work.js","columnNumber":4},"hitCount":1}
],
"startTime":1000,"endTime":9000,
"samples":[6,6,2,7,6,3,2,9,4],
"timeDeltas":[1000,1000,1000,1000,1000,1000,1000,500,500]}
JSON

cpuprofile_hand() {
	"$FK" collapse "$TRASH/hand.cpuprofile" >"$TRASH/out"
	cat >"$TRASH/expected" <<'OUT'
(anonymous) main.js:1;readFile node:fs:441 1
(anonymous) main.js:1;work work.js:12 3
(anonymous) main.js:1;work work.js:12;inner work.js 1
(garbage collector) 1
(idle) 1
(program) 2
OUT
	same_file "$TRASH/expected" "$TRASH/out"
	# without "samples", hitCount counts (here the same except (idle))
	sed 's/^"samples".*$/"x":0,/' "$TRASH/hand.cpuprofile" >"$TRASH/hits.cpuprofile"
	"$FK" collapse --format cpuprofile "$TRASH/hits.cpuprofile" >"$TRASH/out2"
	grep -v idle "$TRASH/expected" >"$TRASH/expected2"
	same_file "$TRASH/expected2" "$TRASH/out2"
}
test_ok "a hand-written .cpuprofile: names, (root) dropped, samples counted, hitCount" cpuprofile_hand

# --- speedscope out and in -------------------------------------------------------------

# Names with quotes, backslashes, tabs, control bytes, UTF-8; fractions and a zero count.
printf 'main;a\\b;say "hi" 3\nmain;a\\b 2\nmain;tab\there;ctl\001\037\177 1.25\nmain;caf\303\251;\342\202\254 7\nmain;zero 0\nsolo 0.1\nmain;{"json":[1,2]} 4\n' >"$TRASH/odd.folded"
"$FK" collapse "$TRASH/odd.folded" >"$TRASH/odd.sorted" 2>/dev/null || true

round_trip() {
	"$FK" convert "$TRASH/odd.folded" -o "$TRASH/odd.speedscope.json"
	valid_json "$TRASH/odd.speedscope.json"
	"$FK" collapse "$TRASH/odd.speedscope.json" >"$TRASH/back"
	same_file "$TRASH/odd.sorted" "$TRASH/back"
	# stdin, --to, and again
	"$FK" convert --to speedscope <"$TRASH/odd.folded" | "$FK" convert --to speedscope >"$TRASH/twice.json"
	"$FK" collapse <"$TRASH/twice.json" >"$TRASH/back2"
	same_file "$TRASH/odd.sorted" "$TRASH/back2"
}
test_ok "folded -> speedscope -> folded is identical (quotes, backslashes, control bytes, UTF-8, fractions)" round_trip

file_format() {
	printf 'a;b 2\na;c 3\na;b;c 5\n' >"$TRASH/s.folded"
	"$FK" convert --name 'my "run"' "$TRASH/s.folded" -o "$TRASH/s.json"
	version=$("$FK" --version | sed 's/^[^0-9]*//')
	cat >"$TRASH/expected" <<OUT
{"\$schema":"https://www.speedscope.app/file-format-schema.json",
"exporter":"flamekit $version",
"name":"my \\"run\\"",
"activeProfileIndex":0,
"shared":{"frames":[
{"name":"a"},
{"name":"b"},
{"name":"c"}]},
"profiles":[{"type":"sampled","name":"my \\"run\\"","unit":"none","startValue":0,"endValue":10,
"samples":[[0,1],[0,1,2],[0,2]],
"weights":[2,5,3]}]}
OUT
	same_file "$TRASH/expected" "$TRASH/s.json"
}
test_ok "the file: schema, exporter, one frame per name, samples root first, weights, total" file_format

bad_utf8() {
	printf 'main;bad\377\376x;ok 2\nmain;cut\303 1\n' >"$TRASH/bad.folded"
	"$FK" convert "$TRASH/bad.folded" -o "$TRASH/bad.json"
	valid_json "$TRASH/bad.json"
	"$FK" collapse "$TRASH/bad.json" >"$TRASH/out"
	printf 'main;bad\357\277\275\357\277\275x;ok 2\nmain;cut\357\277\275 1\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "bytes that are not UTF-8 become U+FFFD (the JSON stays valid)" bad_utf8

cat >"$TRASH/evented.json" <<'JSON'
{"$schema":"https://www.speedscope.app/file-format-schema.json",
 "shared":{"frames":[{"name":"main","file":"m.c","line":3},{"name":"parse"},{"name":"emit"}]},
 "profiles":[
  {"type":"evented","name":"thread 1","unit":"milliseconds","startValue":0,"endValue":10,
   "events":[{"type":"O","frame":0,"at":0},{"type":"O","frame":1,"at":2},
	     {"type":"C","frame":1,"at":5},{"type":"O","frame":2,"at":5},
	     {"type":"C","frame":2,"at":6},{"type":"C","frame":0,"at":10}]},
  {"type":"sampled","name":"thread 2","unit":"microseconds","startValue":0,"endValue":3000,
   "samples":[[0,2],[1]],"weights":[2500,500]}]}
JSON

evented() {
	"$FK" collapse "$TRASH/evented.json" >"$TRASH/out" 2>"$TRASH/err"
	printf 'main 6\nmain;emit 3.5\nmain;parse 3\nparse 0.5\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
	# the unit carries over (the first profile's: milliseconds)
	"$FK" convert "$TRASH/evented.json" -o "$TRASH/again.json"
	contains "$TRASH/again.json" '"unit":"milliseconds","startValue":0,"endValue":13,'
}
test_ok "evented and sampled profiles in one file: merged, time units converted" evented

unclosed() {
	cat >"$TRASH/open.json" <<'JSON'
{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},
 "profiles":[{"type":"evented","name":"x","unit":"none","startValue":0,"endValue":20,
  "events":[{"type":"O","frame":0,"at":0},{"type":"O","frame":1,"at":4}]}]}
JSON
	"$FK" collapse "$TRASH/open.json" >"$TRASH/out" 2>"$TRASH/err"
	printf 'a 4\na;b 16\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
	contains "$TRASH/err" "still open"
}
test_ok "evented: frames left open run to endValue, with a warning" unclosed

# --- bad input ---------------------------------------------------------------------------

# bad NAME PATTERN: collapse of $TRASH/NAME fails with exit 1, nothing on stdout, and
# an error naming the file followed by PATTERN
bad() {
	rc=0
	"$FK" collapse "$TRASH/$1" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" -eq 1 ] && [ ! -s "$TRASH/out" ]
	contains "$TRASH/err" "$TRASH/$1$2"
}

SS='{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},'

bad_speedscope() {
	head -c 150 "$TRASH/evented.json" >"$TRASH/trunc.json"
	bad trunc.json ':2:85: premature end of input'
	printf '%s\n"profiles":[{"type":"sampled","unit":"none","samples":[[0,1],[0,2]],"weights":[1,1]}]}\n' "$SS" >"$TRASH/range.json"
	bad range.json ': profiles[0].samples[1][1]: frame index 2 is out of range (shared.frames has 2)'
	printf '%s\n"profiles":[{"type":"sampled","unit":"none","samples":[[0,1],[0]],"weights":[1,-3]}]}\n' "$SS" >"$TRASH/neg.json"
	bad neg.json ': profiles[0].weights[1]: weight -3 is negative'
	printf '%s\n"profiles":[{"type":"sampled","unit":"none","samples":[[0,"b"]],"weights":[1]}]}\n' "$SS" >"$TRASH/type.json"
	bad type.json ': profiles[0].samples[0][1]: frame index is not an integer'
	printf '%s\n"profiles":[{"type":"sampled","unit":"none","samples":[[0]],"weights":[1,2]}]}\n' "$SS" >"$TRASH/count.json"
	bad count.json ': profiles[0]: 1 samples but 2 weights'
	printf '%s\n"profiles":[{"type":"evented","unit":"none","events":[{"type":"O","frame":0,"at":0},{"type":"C","frame":1,"at":1}]}]}\n' "$SS" >"$TRASH/close.json"
	bad close.json ': profiles[0].events[1]: closes frame 1, but frame 0 was opened last'
	printf '%s\n"profiles":[{"type":"evented","unit":"none","events":[{"type":"O","frame":0,"at":5},{"type":"C","frame":0,"at":1}]}]}\n' "$SS" >"$TRASH/back.json"
	bad back.json ': profiles[0].events[1].at: 1 is before the previous event'
	printf '%s\n"profiles":[{"type":"sampled","unit":"none","samples":[[0]],"weights":[1]},{"type":"sampled","unit":"bytes","samples":[[0]],"weights":[1]}]}\n' "$SS" >"$TRASH/units.json"
	bad units.json ': profiles[1].unit: "bytes" cannot be merged with profiles[0]'"'"'s "none"'
	printf '%s\n"profiles":{}}\n' "$SS" >"$TRASH/noarr.json"
	bad noarr.json ': profiles: not an array'
	# a good file before a bad one: still nothing written
	rc=0
	"$FK" collapse "$TRASH/evented.json" "$TRASH/range.json" -o "$TRASH/o.folded" 2>/dev/null || rc=$?
	[ "$rc" -eq 1 ] && [ ! -e "$TRASH/o.folded" ]
}
test_ok "bad speedscope files: truncated, index out of range, negative weight, wrong types, mismatched events, units" bad_speedscope

CP_ROOT='{"id":1,"callFrame":{"functionName":"(root)","url":""},"children":[2]}'
CP_A='{"id":2,"callFrame":{"functionName":"a","url":"a.js","lineNumber":0}'
bad_cpuprofile() {
	head -c 300 "$TRASH/hand.cpuprofile" >"$TRASH/trunc.cpuprofile"
	bad trunc.cpuprofile ':4:25: premature end of input'
	printf '{"nodes":[%s,%s,"children":[3]},{"id":3,"callFrame":{"functionName":"b"},"children":[2]}],"startTime":0,"samples":[2]}\n' "$CP_ROOT" "$CP_A" >"$TRASH/cycle.cpuprofile"
	bad cycle.cpuprofile ': nodes[2].children[0]: node id 2 is already a child of node id 1'
	printf '{"nodes":[%s,%s},{"id":3,"callFrame":{"functionName":"b"},"children":[4]},{"id":4,"callFrame":{"functionName":"c"},"children":[3]}],"startTime":0,"samples":[2]}\n' "$CP_ROOT" "$CP_A" >"$TRASH/cycle2.cpuprofile"
	bad cycle2.cpuprofile ': nodes: node id 3 is its own ancestor (the children lists form a cycle)'
	printf '{"nodes":[%s,%s}],"startTime":0,"samples":[2,2,7]}\n' "$CP_ROOT" "$CP_A" >"$TRASH/unknown.cpuprofile"
	bad unknown.cpuprofile ': samples[2]: no node has id 7'
	printf '{"nodes":[%s,%s,"children":[9]}],"startTime":0,"samples":[2]}\n' "$CP_ROOT" "$CP_A" >"$TRASH/child.cpuprofile"
	bad child.cpuprofile ': nodes[1].children[0]: no node has id 9'
	printf '{"nodes":[%s,%s},{"id":2,"callFrame":{}}],"startTime":0,"samples":[2]}\n' "$CP_ROOT" "$CP_A" >"$TRASH/dup.cpuprofile"
	bad dup.cpuprofile ': nodes[2].id: id 2 is also the id of nodes[1]'
	printf '{"nodes":[%s,{"id":"2","callFrame":{}}],"startTime":0,"samples":[2]}\n' "$CP_ROOT" >"$TRASH/type.cpuprofile"
	bad type.cpuprofile ': nodes[1].id: not an integer'
	printf '{"nodes":[%s,%s,"hitCount":-1}],"startTime":0}\n' "$CP_ROOT" "$CP_A" >"$TRASH/neg.cpuprofile"
	bad neg.cpuprofile ': nodes[1].hitCount: not an integer >= 0'
}
test_ok "bad .cpuprofile files: truncated, two parents, cycles, unknown ids, wrong types" bad_cpuprofile

# --- the speedscope app -----------------------------------------------------------------

browser() {
	rc=0
	npm ci --prefix "$BROWSER_DIR" --prefer-offline --no-audit --no-fund >"$TRASH/npm" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && [ ! -f "$BROWSER_DIR/node_modules/speedscope/package.json" ]; then
		tail -n 20 "$TRASH/npm"
		return 1
	fi
	FK="$FK" FK_OUT="$TRASH" FK_BROWSER_OUT="$FK_BUILD/browser" CHROMIUM="$CHROMIUM" \
		node --test --test-reporter=tap "$BROWSER_DIR/speedscope.test.mjs"
}
if [ $have_node = 0 ] || ! command -v npm >/dev/null 2>&1; then
	test_skip "speedscope shows our file in headless Chromium" "node or npm is not installed"
elif [ ! -x "$CHROMIUM" ]; then
	test_skip "speedscope shows our file in headless Chromium" "no Chromium at $CHROMIUM (apt-get install chromium)"
else
	test_ok "speedscope shows our file in headless Chromium (name, total, frames; export read back)" browser
fi

done_testing
