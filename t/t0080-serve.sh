#!/bin/sh
# flamekit serve, through its HTTP API with curl: Pyroscope's /ingest in every body format
# (folded, lines, pprof raw / gzipped / multipart), names with labels, /render in every
# format (folded gives back exactly the stacks ingested in the range; the flamebearer JSON
# decodes to the same stacks), label matchers, /render-diff, /label-names, /label-values,
# /api/apps, groupBy, maxNodes; bad requests get a 4xx with a message and leave the server
# up; --token; and a restart keeps everything acknowledged.
. "$(dirname "$0")/lib.sh"

if ! command -v curl >/dev/null 2>&1; then
	test_skip "flamekit serve" "curl is not installed"
	# Retention: compaction every second drops what ended more than an hour ago.
stop_server
start_server --db "$TRASH/retention.db" --retention 1h --compact-every 1
t_retention() {
	expect_status 200 "$(post "name=ret.cpu{}&from=now-3h&until=now-3h" "$TRASH/p1.folded")"
	expect_status 200 "$(post "name=ret.cpu{}&from=now-10s&until=now" "$TRASH/p2.folded")"
	# wait (at most 30 s) for a compaction to run
	tries=0
	while get "/render?query=ret.cpu{}&from=now-1d&until=now&format=folded" "$TRASH/ret" >/dev/null &&
		grep -q "^main;parse 10$" "$TRASH/ret" && [ $tries -lt 300 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	LC_ALL=C sort "$TRASH/ret" >"$TRASH/got"
	sum_folded "$TRASH/p2.folded" | same_file - "$TRASH/got"
}
test_ok "--retention: profiles older than it are dropped; newer ones stay" t_retention

done_testing
	exit
fi

DECODE="python3 $FK_ROOT/tests/tools/flamebearer_to_folded.py"
T0=1700000000 # a fixed day: every profile and query below is in absolute Unix seconds
DB=$TRASH/serve.db

# post QUERY FILE [curl options...]: POSTs FILE to /ingest?QUERY; the reply body goes to
# $TRASH/reply and the status is printed.
post() {
	_q=$1
	_f=$2
	shift 2
	curl -s -g -o "$TRASH/reply" -w '%{http_code}' "$@" --data-binary "@$_f" "$SERVER_URL/ingest?$_q"
}
# get PATH_AND_QUERY OUT: GETs into OUT, prints the status.
get() {
	curl -s -g -o "$2" -w '%{http_code}' "$SERVER_URL$1"
}
# expect_status WANT GOT
expect_status() {
	if [ "$1" != "$2" ]; then
		echo "expected HTTP $1, got $2:"
		cat "$TRASH/reply" 2>/dev/null
		return 1
	fi
}
# Sums folded lines per stack, sorted (the reference for what a range must return).
sum_folded() {
	awk '{ c = $NF; sub(/ [^ ]*$/, ""); s[$0] += c } END { for (k in s) print k " " s[k] }' "$@" |
		LC_ALL=C sort
}

printf 'main;parse;lex 30\nmain;parse 10\nmain;eval;add 50\n' >"$TRASH/p1.folded"
printf 'main;parse;lex 5\nmain;eval;mul 7\nmain;eval;add 1\n' >"$TRASH/p2.folded"
printf 'main;late 99\n' >"$TRASH/p3.folded"
printf 'main;gc\nmain;gc\nmain;alloc;memset\n' >"$TRASH/lines.txt"

start_server --db "$DB"

t_ingest_folded() {
	expect_status 200 "$(post "name=shop.cpu%7Bversion%3Dv1%2Cenv%3Dprod%7D&from=$T0&until=$((T0 + 10))&format=folded" "$TRASH/p1.folded")"
	expect_status 200 "$(post "name=shop.cpu{version=v1,env=prod}&from=$((T0 + 10))&until=$((T0 + 20))" "$TRASH/p2.folded" -g)"
	# outside the range queried below
	expect_status 200 "$(post "name=shop.cpu{version=v1,env=prod}&from=$((T0 + 3600))&until=$((T0 + 3610))" "$TRASH/p3.folded" -g)"
	expect_status 200 "$(post "name=shop.cpu{version=v2,env=prod}&from=$((T0 + 20))&until=$((T0 + 30))&format=folded" "$TRASH/p2.folded" -g)"
}
test_ok "POST /ingest takes folded profiles with labels (200)" t_ingest_folded

t_render_folded() {
	expect_status 200 "$(get "/render?query=shop.cpu{version=\"v1\"}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/r.folded")"
	sum_folded "$TRASH/p1.folded" "$TRASH/p2.folded" >"$TRASH/want"
	LC_ALL=C sort "$TRASH/r.folded" >"$TRASH/got"
	same_file "$TRASH/want" "$TRASH/got"
}
test_ok "GET /render format=folded gives back exactly the stacks ingested in the range, summed" t_render_folded

t_matchers() {
	# every series of shop.cpu in the first minute: v1 (p1 + p2) and v2 (p2)
	get "/render?query=shop.cpu{}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/all" >/dev/null
	sum_folded "$TRASH/p1.folded" "$TRASH/p2.folded" "$TRASH/p2.folded" >"$TRASH/want"
	LC_ALL=C sort "$TRASH/all" >"$TRASH/got" && same_file "$TRASH/want" "$TRASH/got"
	get "/render?query=shop.cpu{version!=\"v1\"}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/ne" >/dev/null
	sum_folded "$TRASH/p2.folded" >"$TRASH/want"
	LC_ALL=C sort "$TRASH/ne" >"$TRASH/got" && same_file "$TRASH/want" "$TRASH/got"
	get "/render?query=shop.cpu{version=~\"v[12]\",env=\"prod\"}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/re" >/dev/null
	same_file "$TRASH/all" "$TRASH/re"
	get "/render?query=shop.cpu{version!~\"v.*\"}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/nre" >/dev/null
	[ ! -s "$TRASH/nre" ]
	# a regex matches the whole value: "v" alone matches neither v1 nor v2
	get "/render?query=shop.cpu{version=~\"v\"}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/part" >/dev/null
	[ ! -s "$TRASH/part" ]
}
test_ok "label matchers = != =~ !~ select the right series" t_matchers

t_lines() {
	expect_status 200 "$(post "name=shop.alloc_objects{version=v1}&from=$T0&until=$((T0 + 10))&format=lines&units=objects" "$TRASH/lines.txt" -g)"
	get "/render?query=shop.alloc_objects{}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/got" >/dev/null
	printf 'main;alloc;memset 1\nmain;gc 2\n' >"$TRASH/want"
	LC_ALL=C sort "$TRASH/got" | same_file "$TRASH/want" -
}
test_ok "format=lines counts one sample per line" t_lines

t_json() {
	expect_status 200 "$(get "/render?query=shop.cpu{version=\"v1\"}&from=$T0&until=$((T0 + 60))&format=json" "$TRASH/r.json")"
	$DECODE "$TRASH/r.json" >"$TRASH/got"
	sum_folded "$TRASH/p1.folded" "$TRASH/p2.folded" >"$TRASH/want"
	same_file "$TRASH/want" "$TRASH/got"
	python3 - "$TRASH/r.json" <<-'EOF'
	import json, sys
	r = json.load(open(sys.argv[1]))
	fb, md, tl = r["flamebearer"], r["metadata"], r["timeline"]
	assert fb["numTicks"] == 103, fb["numTicks"]
	assert fb["maxSelf"] == 51, fb["maxSelf"]
	assert fb["names"][0] == "total", fb["names"]
	assert md["format"] == "single" and md["units"] == "samples", md
	assert md["sampleRate"] == 100, md
	assert tl["durationDelta"] == 10 and tl["startTime"] == 1700000000, tl
	assert tl["samples"][:3] == [90, 13, 0], tl["samples"][:3]
	assert sum(tl["samples"]) == 103
	EOF
}
test_ok "format=json is flamebearer JSON that decodes to the same stacks, with a timeline" t_json

t_units_rate() {
	expect_status 200 "$(post "name=mem.inuse_space{}&from=$T0&until=$((T0 + 10))&units=bytes&sampleRate=10&spyName=gospy&aggregationType=average" "$TRASH/p1.folded")"
	get "/render?query=mem.inuse_space&from=$T0&until=$((T0 + 60))" "$TRASH/m.json" >/dev/null
	python3 - "$TRASH/m.json" <<-'EOF'
	import json, sys
	md = json.load(open(sys.argv[1]))["metadata"]
	assert md["units"] == "bytes" and md["sampleRate"] == 10 and md["spyName"] == "gospy", md
	EOF
}
test_ok "units, sampleRate and spyName come back as ingested" t_units_rate

t_svg_pprof() {
	expect_status 200 "$(get "/render?query=shop.cpu{version=\"v1\"}&from=$T0&until=$((T0 + 60))&format=svg" "$TRASH/r.svg")"
	contains "$TRASH/r.svg" "<svg"
	contains "$TRASH/r.svg" "lex (35 samples, 33.98%)"
	expect_status 200 "$(get "/render?query=shop.cpu{version=\"v1\"}&from=$T0&until=$((T0 + 60))&format=pprof" "$TRASH/r.pb.gz")"
	"$FK" collapse "$TRASH/r.pb.gz" | LC_ALL=C sort >"$TRASH/got"
	sum_folded "$TRASH/p1.folded" "$TRASH/p2.folded" >"$TRASH/want"
	same_file "$TRASH/want" "$TRASH/got"
}
test_ok "format=svg draws the flame graph; format=pprof reads back to the same stacks" t_svg_pprof

t_pprof_ingest() {
	"$FK" convert "$TRASH/p1.folded" -o "$TRASH/p1.pb.gz"
	gzip -dc "$TRASH/p1.pb.gz" >"$TRASH/p1.pb"
	# raw gzipped body (as @pyroscope/nodejs sends it), raw uncompressed, and multipart
	expect_status 200 "$(post "name=goapp{pod=a}&from=$T0&until=$((T0 + 10))&format=pprof" "$TRASH/p1.pb.gz" -g -H 'Content-Type: application/octet-stream')"
	expect_status 200 "$(post "name=goapp{pod=b}&from=$T0&until=$((T0 + 10))&format=pprof" "$TRASH/p1.pb" -g)"
	expect_status 200 "$(curl -s -g -o "$TRASH/reply" -w '%{http_code}' -F "profile=@$TRASH/p1.pb.gz" "$SERVER_URL/ingest?name=goapp{pod=c}&from=$T0&until=$((T0 + 10))")"
	get "/render?query=goapp.samples{pod=\"c\"}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/got" >/dev/null
	LC_ALL=C sort "$TRASH/got" >"$TRASH/got.s"
	sum_folded "$TRASH/p1.folded" >"$TRASH/want"
	same_file "$TRASH/want" "$TRASH/got.s"
	# a count-typed "samples" profile is also APP.cpu
	get "/render?query=goapp.cpu{}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/cpu" >/dev/null
	sum_folded "$TRASH/p1.folded" "$TRASH/p1.folded" "$TRASH/p1.folded" >"$TRASH/want"
	LC_ALL=C sort "$TRASH/cpu" | same_file "$TRASH/want" -
}
test_ok "pprof bodies: raw, gzipped, multipart 'profile' field; one series per sample type" t_pprof_ingest

t_diff() {
	expect_status 200 "$(get "/render-diff?leftQuery=shop.cpu{version=\"v1\"}&leftFrom=$T0&leftUntil=$((T0 + 60))&rightQuery=shop.cpu{version=\"v2\"}&rightFrom=$T0&rightUntil=$((T0 + 60))&format=json" "$TRASH/d.json")"
	$DECODE --side left "$TRASH/d.json" >"$TRASH/left"
	$DECODE --side right "$TRASH/d.json" >"$TRASH/right"
	sum_folded "$TRASH/p1.folded" "$TRASH/p2.folded" | same_file - "$TRASH/left"
	sum_folded "$TRASH/p2.folded" | same_file - "$TRASH/right"
	python3 - "$TRASH/d.json" <<-'EOF'
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["metadata"]["format"] == "double", r["metadata"]
	assert r["leftTicks"] == 103 and r["rightTicks"] == 13, (r["leftTicks"], r["rightTicks"])
	EOF
	expect_status 200 "$(get "/render-diff?leftQuery=shop.cpu{version=\"v1\"}&leftFrom=$T0&leftUntil=$((T0 + 60))&rightQuery=shop.cpu{version=\"v2\"}&rightFrom=$T0&rightUntil=$((T0 + 60))&format=svg" "$TRASH/d.svg")"
	contains "$TRASH/d.svg" "mul (7 samples"
	grep -q 'fill="rgb(255,' "$TRASH/d.svg"   # grew: red
	grep -q 'fill="rgb([0-9]*,[0-9]*,255)' "$TRASH/d.svg" # shrank: blue
}
test_ok "GET /render-diff: double flamebearer (left/right decode to each side) and a red/blue SVG" t_diff

t_labels() {
	expect_status 200 "$(get "/label-names" "$TRASH/names")"
	[ "$(cat "$TRASH/names")" = '["__name__","env","pod","version"]' ] || { cat "$TRASH/names"; false; }
	get "/label-values?label=version" "$TRASH/values" >/dev/null
	[ "$(cat "$TRASH/values")" = '["v1","v2"]' ] || { cat "$TRASH/values"; false; }
	get "/label-values?label=version&query=shop.cpu{version=\"v2\"}" "$TRASH/values" >/dev/null
	[ "$(cat "$TRASH/values")" = '["v2"]' ] || { cat "$TRASH/values"; false; }
	get "/api/apps" "$TRASH/apps" >/dev/null
	python3 - "$TRASH/apps" <<-'EOF'
	import json, sys
	apps = json.load(open(sys.argv[1]))
	names = sorted(a["name"] for a in apps)
	assert names == ["goapp.cpu", "goapp.samples", "mem.inuse_space", "shop.alloc_objects", "shop.cpu"], names
	EOF
}
test_ok "label-names, label-values (with a query) and the apps list" t_labels

t_group_max_nodes() {
	get "/render?query=shop.cpu{}&from=$T0&until=$((T0 + 60))&groupBy=version" "$TRASH/g.json" >/dev/null
	python3 - "$TRASH/g.json" <<-'EOF'
	import json, sys
	g = json.load(open(sys.argv[1]))["groups"]
	assert sorted(g) == ["v1", "v2"], g
	assert sum(g["v1"]["samples"]) == 103 and sum(g["v2"]["samples"]) == 13, g
	EOF
	get "/render?query=shop.cpu{}&from=$T0&until=$((T0 + 60))&maxNodes=3" "$TRASH/m.json" >/dev/null
	$DECODE --check "$TRASH/m.json" >"$TRASH/check"
	contains "$TRASH/check" "numTicks=116"
	bars=$(sed 's/.*bars=\([0-9]*\).*/\1/' "$TRASH/check")
	[ "$bars" -le 8 ] || { cat "$TRASH/check"; false; }
}
test_ok "groupBy gives one timeline per label value; maxNodes keeps the total" t_group_max_nodes

# Bad requests: each gets its 4xx and a message, and the server stays up.
bad() { # STATUS METHOD PATH [curl options...]
	_want=$1 _m=$2 _p=$3
	shift 3
	_got=$(curl -s -g -o "$TRASH/reply" -w '%{http_code}' -X "$_m" "$@" "$SERVER_URL$_p")
	echo "$_m $_p"
	expect_status "$_want" "$_got"
	[ -s "$TRASH/reply" ] || { echo "no message for $_p"; return 1; }
}
t_bad() {
	printf 'main;ok 1\nmain;bad line\n' >"$TRASH/bad.folded"
	head -c 100 "$TRASH/p1.pb" >"$TRASH/trunc.pb"
	bad 400 POST "/ingest?from=$T0" --data-binary "@$TRASH/p1.folded"
	bad 400 POST "/ingest?name=shop.cpu{version=v1&from=$T0" --data-binary "@$TRASH/p1.folded"
	bad 400 POST "/ingest?name=shop.cpu{a=b}&from=yesterday" --data-binary "@$TRASH/p1.folded"
	bad 400 POST "/ingest?name=shop.cpu{a=b}&from=$T0" --data-binary "@$TRASH/bad.folded"
	contains "$TRASH/reply" "line 2"
	bad 400 POST "/ingest?name=shop.cpu{a=b}&from=$T0&format=pprof" --data-binary "@$TRASH/trunc.pb"
	bad 415 POST "/ingest?name=shop.cpu{a=b}&from=$T0&format=jfr" --data-binary "@$TRASH/p1.folded"
	bad 400 POST "/ingest?name=shop.cpu{a=b}&format=nonsense" --data-binary "@$TRASH/p1.folded"
	bad 400 GET "/render?query=shop.cpu{version=v1}"
	bad 400 GET "/render?query=shop.cpu{version=~\"(\"}"
	bad 400 GET "/render"
	bad 400 GET "/render?query=shop.cpu&from=$((T0 + 60))&until=$T0"
	bad 400 GET "/render?query=shop.cpu&format=gif"
	bad 400 GET "/render?query=shop.cpu&maxNodes=-1"
	bad 400 GET "/render-diff?leftQuery=shop.cpu"
	bad 400 GET "/label-values"
	bad 404 GET "/nope"
	bad 405 GET "/ingest?name=x"
	bad 400 GET "/render?query=shop.cpu%00x"
	# the server still answers, and the bad profiles left nothing behind
	get "/render?query=shop.cpu{a=\"b\"}&from=$T0&until=$((T0 + 60))&format=folded" "$TRASH/none" >/dev/null
	[ ! -s "$TRASH/none" ]
	expect_status 200 "$(get /healthz "$TRASH/h")"
}
test_ok "bad requests: 400/404/405/413/415 with a message; nothing stored; server up" t_bad

stop_rc=0
stop_server || stop_rc=$?
t_restart() {
	[ "$stop_rc" -eq 0 ]
	grep -q "SIGTERM" "$SERVER_LOG"
}
test_ok "SIGTERM stops the server gracefully (exit 0)" t_restart

start_server --db "$DB" --token s3cret --max-body 1
t_after_restart() {
	curl -s -g -o "$TRASH/r2.folded" -H 'Authorization: Bearer s3cret' "$SERVER_URL/render?query=shop.cpu{version=\"v1\"}&from=$T0&until=$((T0 + 60))&format=folded"
	sum_folded "$TRASH/p1.folded" "$TRASH/p2.folded" >"$TRASH/want"
	LC_ALL=C sort "$TRASH/r2.folded" | same_file "$TRASH/want" -
}
test_ok "after a restart every acknowledged profile is still there" t_after_restart

t_token() {
	bad 401 GET "/render?query=shop.cpu"
	bad 401 POST "/ingest?name=x.cpu" --data-binary "@$TRASH/p1.folded"
	bad 401 GET "/label-names" -H 'Authorization: Bearer wrong'
	expect_status 200 "$(curl -s -o "$TRASH/reply" -w '%{http_code}' -H 'Authorization: Bearer s3cret' "$SERVER_URL/label-names")"
	# the UI's files hold no data; the page asks for the token itself
	expect_status 200 "$(get / "$TRASH/index.html")"
	contains "$TRASH/index.html" "<html"
}
test_ok "--token: every data endpoint needs Authorization: Bearer" t_token

t_max_body() {
	head -c 2000000 /dev/zero | tr '\0' 'a' >"$TRASH/big"
	bad 413 POST "/ingest?name=x.cpu" -H 'Authorization: Bearer s3cret' --data-binary "@$TRASH/big"
	contains "$TRASH/reply" "limit"
	# a small gzip body that would inflate past 4 x --max-body
	head -c 20000000 /dev/zero | gzip -c >"$TRASH/bomb.gz"
	bad 413 POST "/ingest?name=x.cpu" -H 'Authorization: Bearer s3cret' --data-binary "@$TRASH/bomb.gz"
}
test_ok "--max-body: a larger body, or a gzip bomb, gets 413" t_max_body

t_bad_db() {
	echo "not a database" >"$TRASH/foreign.db"
	head -c 8192 /dev/urandom >>"$TRASH/foreign.db"
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "$TRASH/foreign.db" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 1 ]
	contains "$TRASH/err" "foreign.db"
	rc=0
	"$FK" serve --retention nonsense 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ]
}
test_ok "a file that is not a flamekit store, or a bad option, is refused" t_bad_db

# Retention: compaction every second drops what ended more than an hour ago.
stop_server
start_server --db "$TRASH/retention.db" --retention 1h --compact-every 1
t_retention() {
	expect_status 200 "$(post "name=ret.cpu{}&from=now-3h&until=now-3h" "$TRASH/p1.folded")"
	expect_status 200 "$(post "name=ret.cpu{}&from=now-10s&until=now" "$TRASH/p2.folded")"
	# wait (at most 30 s) for a compaction to run
	tries=0
	while get "/render?query=ret.cpu{}&from=now-1d&until=now&format=folded" "$TRASH/ret" >/dev/null &&
		grep -q "^main;parse 10$" "$TRASH/ret" && [ $tries -lt 300 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	LC_ALL=C sort "$TRASH/ret" >"$TRASH/got"
	sum_folded "$TRASH/p2.folded" | same_file - "$TRASH/got"
}
test_ok "--retention: profiles older than it are dropped; newer ones stay" t_retention

done_testing
