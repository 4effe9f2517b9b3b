#!/bin/sh
# flamekit serve's regression alerts (--alert, --alert-file, --alert-every, --webhook,
# GET /alerts): profiles pushed with curl into the hour before the latest 10 minutes with
# queryDB at 30% of the samples, then the latest window at 39% (a 30% regression) fire
# the alert: /alerts shows it firing with the shares, the log has its line, and a webhook
# receiver (answering 500 first, then 200) gets the JSON after a retry. An unchanged run
# (30% -> 30%) and a small one (30% -> 33%, +10% under a 20% threshold) do not fire. Label
# mode: version=v1 at 30% vs version=v2 at 39% fires. Diluting the latest window back to
# 33% resolves (log line and webhook). Bad rules exit 2 naming the line and character
# without starting the server; /alerts needs the token when --token is set.
. "$(dirname "$0")/lib.sh"

if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	test_skip "flamekit serve --alert" "curl or python3 is not installed"
	done_testing
	exit
fi

NOW=$(date +%s)
NOW=$((NOW - NOW % 10))

# profile FILE PCT TOTAL: a folded profile of TOTAL samples, PCT% of them under queryDB
# (also recursing once, which counts once).
profile() {
	_q=$(($3 * $2 / 100))
	_h=$((_q / 2))
	printf 'main;handle;queryDB;read %d\nmain;handle;queryDB;queryDB;send %d\nmain;handle;render %d\nmain;gc %d\n' \
		$((_q - _h)) "$_h" $((($3 - _q) / 2)) $(($3 - _q - ($3 - _q) / 2)) >"$1"
}
profile "$TRASH/p30.folded" 30 1000
profile "$TRASH/p33.folded" 33 1000
profile "$TRASH/p39.folded" 39 1000
profile "$TRASH/p30big.folded" 30 10000

# push NAME FROM FILE: POSTs FILE to /ingest as series NAME over [FROM, FROM+10).
push() {
	_code=$(curl -s -g -o "$TRASH/reply" -w '%{http_code}' --data-binary "@$3" \
		"$SERVER_URL/ingest?name=$1&from=$2&until=$(($2 + 10))&format=folded")
	if [ "$_code" != 200 ]; then
		echo "push $1 at $2: HTTP $_code: $(cat "$TRASH/reply")"
		return 1
	fi
}
# push_range NAME FROM UNTIL STEP FILE: a profile every STEP seconds in [FROM, UNTIL).
push_range() {
	_t=$2
	while [ "$_t" -lt "$3" ]; do
		push "$1" "$_t" "$5" || return 1
		_t=$((_t + $4))
	done
}
# get_alerts OUT [curl options]: GET /alerts; prints the status.
get_alerts() {
	_o=$1
	shift
	curl -s -g -o "$_o" -w '%{http_code}' "$@" "$SERVER_URL/alerts"
}
# field FILE ALERT KEY: one field of one alert of a GET /alerts answer.
field() {
	python3 -c 'import json, sys
a = {x["alert"]: x for x in json.load(open(sys.argv[1]))}
v = a[sys.argv[2]][sys.argv[3]]
print("null" if v is None else (round(v, 6) if isinstance(v, float) else v))' "$@"
}
# wait_until DESC COMMAND...: polls COMMAND (quietly) for up to 60 s.
wait_until() {
	_desc=$1
	shift
	_tries=0
	while ! "$@" >/dev/null 2>&1; do
		_tries=$((_tries + 1))
		if [ $_tries -gt 300 ]; then
			echo "timed out waiting for $_desc"
			return 1
		fi
		sleep 0.2
	done
}
expect() {
	if [ "$1" != "$2" ]; then
		echo "expected '$1', got '$2' ($3)"
		return 1
	fi
}

# ---- the webhook receiver ----
python3 "$FK_ROOT/tests/tools/webhook_receiver.py" --port-file "$TRASH/hook.port" \
	--out "$TRASH/hook.jsonl" --fail-first 1 &
SERVER_PIDS="$SERVER_PIDS $!"
tries=0
while [ ! -s "$TRASH/hook.port" ] && [ $tries -lt 250 ]; do
	sleep 0.02
	tries=$((tries + 1))
done
HOOK_URL="http://127.0.0.1:$(cat "$TRASH/hook.port")/hook"

cat >"$TRASH/rules" <<'EOF'
# checkout: the regression
alert=reg name=checkout.cpu{} fn=queryDB grow>20% window=10m baseline=1h

   # unchanged, and a small change under the threshold
alert=steady name=steady.cpu{env="prod"} fn=queryDB grow>20% window=10m baseline=1h
alert=mild name=mild.cpu fn=queryDB grow>20% window=10m baseline=1h
EOF

start_server --db "$TRASH/alerts.db" --alert-file "$TRASH/rules" --alert-every 1 \
	--alert 'alert=ver name=shop.cpu{env="prod"} fn=queryDB grow>20% window=10m label=version current=v2 baseline=v1' \
	--alert 'alert=nothing name=gone.cpu fn=queryDB grow>20% window=10m baseline=1h' \
	--webhook "$HOOK_URL"

t_pending() {
	wait_until "the first round" grep -q "alerts: 5 rules evaluated" "$SERVER_LOG"
	expect 200 "$(get_alerts "$TRASH/a0")" "GET /alerts"
	python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); assert [x["alert"] for x in a] == ["reg", "steady", "mild", "ver", "nothing"], a; assert all(x["state"] == "inactive" for x in a), a' "$TRASH/a0"
	expect "the query matches no series" "$(field "$TRASH/a0" nothing error)" "no data"
	expect no_data "$(field "$TRASH/a0" reg status)" "before any push"
}
test_ok "GET /alerts lists every rule, inactive, before any data" t_pending

t_push() {
	# Baseline profiles at NOW-3300 .. NOW-900, latest ones at NOW-500 .. NOW-100: on the
	# right sides of NOW-600 for any evaluation in the next 100 s.
	push_range "checkout.cpu{env=prod}" $((NOW - 3300)) $((NOW - 600)) 300 "$TRASH/p30.folded"
	push_range "checkout.cpu{env=prod}" $((NOW - 500)) "$NOW" 100 "$TRASH/p39.folded"
	push_range "steady.cpu{env=prod}" $((NOW - 3300)) $((NOW - 600)) 300 "$TRASH/p30.folded"
	push_range "steady.cpu{env=prod}" $((NOW - 500)) "$NOW" 100 "$TRASH/p30.folded"
	push_range "mild.cpu{}" $((NOW - 3300)) $((NOW - 600)) 300 "$TRASH/p30.folded"
	push_range "mild.cpu{}" $((NOW - 500)) "$NOW" 100 "$TRASH/p33.folded"
	push_range "shop.cpu{env=prod,version=v1}" $((NOW - 500)) "$NOW" 100 "$TRASH/p30.folded"
	push_range "shop.cpu{env=prod,version=v2}" $((NOW - 500)) "$NOW" 100 "$TRASH/p39.folded"
	# v2 of another environment is not selected
	push_range "shop.cpu{env=dev,version=v2}" $((NOW - 500)) "$NOW" 100 "$TRASH/p30.folded"
}
test_ok "push a baseline hour at 30% and a latest window at 39%, 33%, 30%" t_push

t_firing() {
	wait_until "reg firing" grep -q "alert reg firing" "$SERVER_LOG"
	wait_until "ver firing" grep -q "alert ver firing" "$SERVER_LOG"
	expect 200 "$(get_alerts "$TRASH/a1")" "GET /alerts"
	expect firing "$(field "$TRASH/a1" reg state)" "reg"
	expect 0.39 "$(field "$TRASH/a1" reg current_share)" "reg current"
	expect 0.3 "$(field "$TRASH/a1" reg baseline_share)" "reg baseline"
	expect 30 "$(field "$TRASH/a1" reg growth)" "reg growth"
	expect 5000 "$(field "$TRASH/a1" reg current_samples)" "reg current samples"
	expect 9000 "$(field "$TRASH/a1" reg baseline_samples)" "reg baseline samples"
	expect ok "$(field "$TRASH/a1" reg status)" "reg status"
	expect null "$(field "$TRASH/a1" reg error)" "reg error"
	since=$(field "$TRASH/a1" reg since)
	[ "$since" -ge "$NOW" ] || { echo "since $since"; return 1; }
	expect firing "$(field "$TRASH/a1" ver state)" "ver"
	expect 0.39 "$(field "$TRASH/a1" ver current_share)" "ver current"
	expect 0.3 "$(field "$TRASH/a1" ver baseline_share)" "ver baseline"
	contains "$SERVER_LOG" "flamekit serve: alert reg firing: queryDB 39.0% of checkout.cpu{} in the last 10m vs 30.0% in the 1h before (+30.0%)"
	contains "$SERVER_LOG" "flamekit serve: alert ver firing: queryDB 39.0% of shop.cpu{env=\"prod\"} with version=v2 vs 30.0% with version=v1, in the last 10m (+30.0%)"
}
test_ok "a 30% regression fires: /alerts shows the shares, the log has the line (time and label mode)" t_firing

t_quiet() {
	get_alerts "$TRASH/a2" >/dev/null
	expect inactive "$(field "$TRASH/a2" steady state)" "steady"
	expect ok "$(field "$TRASH/a2" steady status)" "steady evaluated"
	expect 0.3 "$(field "$TRASH/a2" steady current_share)" "steady current"
	expect 0.3 "$(field "$TRASH/a2" steady baseline_share)" "steady baseline"
	expect inactive "$(field "$TRASH/a2" mild state)" "mild"
	expect ok "$(field "$TRASH/a2" mild status)" "mild evaluated"
	expect 0.33 "$(field "$TRASH/a2" mild current_share)" "mild current"
	expect 10 "$(field "$TRASH/a2" mild growth)" "mild growth"
	expect inactive "$(field "$TRASH/a2" nothing state)" "nothing"
	if grep -q "alert steady\|alert mild\|alert nothing" "$SERVER_LOG"; then
		grep "alert " "$SERVER_LOG"
		return 1
	fi
}
test_ok "unchanged (30% -> 30%) and +10% under a 20% threshold do not fire" t_quiet

# hook_bodies STATUS: the alert/state of each POST the receiver answered with STATUS.
hook_bodies() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["status"] == int(sys.argv[2]):
        b = json.loads(r["body"])
        print(b["alert"], b["state"])' "$TRASH/hook.jsonl" "$1"
}

t_webhook() {
	wait_until "two webhooks delivered" sh -c "[ \$(grep -c '\"status\": 200' '$TRASH/hook.jsonl') -ge 2 ]"
	hook_bodies 200 | sort >"$TRASH/delivered"
	printf 'reg firing\nver firing\n' | same_file - "$TRASH/delivered"
	# the first POST got 500 and was sent again, the same body
	python3 -c 'import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs[0]["n"] == 1 and recs[0]["status"] == 500, recs[0]
assert recs[0]["content_type"] == "application/json", recs[0]
assert any(r["status"] == 200 and r["body"] == recs[0]["body"] for r in recs[1:]), "no retry of the first"
reg = [json.loads(r["body"]) for r in recs if r["status"] == 200 and json.loads(r["body"])["alert"] == "reg"][0]
want = {"state": "firing", "query": "checkout.cpu{}", "fn": "queryDB", "current_share": 0.39,
        "baseline_share": 0.3, "growth": 30, "window": 600, "baseline": 3600,
        "current_samples": 5000, "baseline_samples": 9000}
for k, v in want.items():
    assert reg[k] == v, (k, reg[k], v)
assert reg["at"] >= int(sys.argv[2]), reg' "$TRASH/hook.jsonl" "$NOW"
	contains "$SERVER_LOG" "webhook $HOOK_URL: HTTP 500 for alert"
	contains "$SERVER_LOG" "(try 1 of 10); retrying in 1.0s"
}
test_ok "the webhook gets the JSON of each firing alert, after a retry of a 500" t_webhook

t_resolve() {
	# 10,000 more samples at 30% in the latest window: 4,950 of 15,000 = 33%, +10%
	push "checkout.cpu{env=prod}" $((NOW - 10)) "$TRASH/p30big.folded"
	wait_until "reg resolved" grep -q "alert reg resolved" "$SERVER_LOG"
	contains "$SERVER_LOG" "flamekit serve: alert reg resolved: queryDB 33.0% of checkout.cpu{} in the last 10m vs 30.0% in the 1h before (+10.0%)"
	get_alerts "$TRASH/a3" >/dev/null
	expect inactive "$(field "$TRASH/a3" reg state)" "reg"
	wait_until "the resolved webhook" sh -c "grep -q 'resolved' '$TRASH/hook.jsonl'"
	hook_bodies 200 | grep -qx "reg resolved"
}
test_ok "diluting the regression resolves it (log line, webhook)" t_resolve

# (stop_server waits for its child: outside test_ok's subshell)
stop_rc=0
stop_server || stop_rc=$?
t_stop() {
	expect 0 "$stop_rc" "exit status"
	contains "$SERVER_LOG" "SIGTERM: finishing the requests under way"
}
test_ok "SIGTERM stops the server and the webhook sender" t_stop

# ---- --token ----
start_server --db "$TRASH/alerts.db" --token s3cret \
	--alert 'name=checkout.cpu{} fn=queryDB grow>20% window=10m baseline=1h'
t_token() {
	expect 401 "$(get_alerts "$TRASH/t1")" "no token"
	expect 200 "$(get_alerts "$TRASH/t2" -H 'Authorization: Bearer s3cret')" "token"
	wait_until "evaluated" sh -c "curl -s -H 'Authorization: Bearer s3cret' '$SERVER_URL/alerts' | grep -q '\"status\":\"ok\"'"
	get_alerts "$TRASH/t3" -H 'Authorization: Bearer s3cret' >/dev/null
	expect checkout.cpu/queryDB "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["alert"])' "$TRASH/t3")" "derived name"
}
test_ok "/alerts needs the token when --token is set; a derived alert name" t_token
stop_server

# ---- bad rules ----
t_bad_file() {
	printf '# fine\nname=a.cpu fn=x grow>5%% window=1m baseline=1h\n\nname=a.cpu fn=x grow>5%% window=1m baselin=1h\n' >"$TRASH/bad.rules"
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "$TRASH/bad.db" --alert-file "$TRASH/bad.rules" 2>"$TRASH/err" || rc=$?
	expect 2 "$rc" "exit status"
	contains "$TRASH/err" "flamekit serve: --alert-file: $TRASH/bad.rules:4: at character 35: unknown key 'baselin'"
	if grep -q "listening" "$TRASH/err" || [ -e "$TRASH/bad.db" ]; then
		echo "the server started"
		return 1
	fi
}
test_ok "a bad rule in --alert-file: exit 2, the line and character, no server" t_bad_file

t_bad_option() {
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "$TRASH/bad.db" \
		--alert 'name=a.cpu{env=prod} fn=x grow>20% window=10m baseline=1h' 2>"$TRASH/err" || rc=$?
	expect 2 "$rc" "exit status"
	contains "$TRASH/err" "flamekit serve: --alert 'name=a.cpu{env=prod} fn=x grow>20% window=10m baseline=1h': at character 16: name=: expected a '\"'-quoted value, found 'p'"
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "$TRASH/bad.db" --alert 'name=a.cpu fn=x grow>20 window=10m baseline=1h' 2>"$TRASH/err" || rc=$?
	expect 2 "$rc" "exit status"
	contains "$TRASH/err" "at character 24: grow>20 needs a unit"
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "$TRASH/bad.db" --webhook ftp://x 2>"$TRASH/err" || rc=$?
	expect 2 "$rc" "exit status"
	contains "$TRASH/err" "--webhook wants an http:// or https:// URL, not 'ftp://x'"
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "$TRASH/bad.db" --alert-file "$TRASH/absent" 2>"$TRASH/err" || rc=$?
	expect 2 "$rc" "exit status"
	contains "$TRASH/err" "--alert-file: $TRASH/absent: No such file or directory"
	[ ! -e "$TRASH/bad.db" ]
}
test_ok "a bad --alert, --webhook or missing --alert-file: exit 2 with the position" t_bad_option

done_testing
